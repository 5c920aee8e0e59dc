//! Request messages over the size limit answer RESOURCE_EXHAUSTED, as gRPC's status-code guide
//! says (and as grpc-go, grpc-java and grpc-core do), rather than tonic's OUT_OF_RANGE.
//!
//! tonic enforces the limit (each service's `max_decoding_message_size`) and answers OUT_OF_RANGE
//! from its decoder. This layer watches the 5-byte gRPC message prefixes of the request body and,
//! only when one announced a message over the limit and the answer is OUT_OF_RANGE, replaces that
//! answer. Matching on what the body held, not on tonic's message text, keeps it exact. Every RPC
//! of the suite answers a decode failure before or instead of its response messages, so the
//! status is in the headers; a bidirectional RPC would need the trailers rewritten too.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use http_body::Frame;
use tonic::body::Body;

use crate::error::ApiError;

/// Layer mapping tonic's decode-limit OUT_OF_RANGE to RESOURCE_EXHAUSTED.
#[derive(Clone)]
pub struct MessageLimitLayer {
    limit: usize,
    domain: &'static str,
}

impl MessageLimitLayer {
    /// For services that refuse messages over `limit` bytes; errors use `domain`.
    pub fn new(limit: usize, domain: &'static str) -> Self {
        Self { limit, domain }
    }
}

impl<S> tower::Layer<S> for MessageLimitLayer {
    type Service = MessageLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MessageLimit {
            inner,
            limit: self.limit,
            domain: self.domain,
        }
    }
}

/// The service made by [`MessageLimitLayer`].
#[derive(Clone)]
pub struct MessageLimit<S> {
    inner: S,
    limit: usize,
    domain: &'static str,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, RB> tower::Service<http::Request<Body>> for MessageLimit<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let oversized = Arc::new(AtomicBool::new(false));
        let watched = request.map(|body| {
            Body::new(PrefixWatch {
                inner: body,
                limit: self.limit,
                prefix: [0; 5],
                prefix_len: 0,
                body_left: 0,
                oversized: oversized.clone(),
            })
        });
        let response = self.inner.call(watched);
        let (limit, domain) = (self.limit, self.domain);
        Box::pin(async move {
            let response = response.await?;
            let out_of_range = response
                .headers()
                .get(tonic::Status::GRPC_STATUS)
                .is_some_and(|code| code.as_bytes() == b"11");
            if out_of_range && oversized.load(Ordering::Relaxed) {
                return Ok(ApiError::ResourceExhausted {
                    reason: "MESSAGE_TOO_LARGE",
                    message: format!(
                        "a request message is over the server's limit of {limit} bytes; \
                         send less per message (retrying the same message will not help)"
                    ),
                }
                .into_status(domain)
                .into_http());
            }
            Ok(response)
        })
    }
}

/// A request body that notes whether a message prefix announced more than `limit` bytes.
struct PrefixWatch {
    inner: Body,
    limit: usize,
    /// The prefix being read: compression flag, then the big-endian u32 length.
    prefix: [u8; 5],
    prefix_len: usize,
    /// Bytes of the current message still to pass before the next prefix.
    body_left: usize,
    oversized: Arc<AtomicBool>,
}

impl PrefixWatch {
    fn watch(&mut self, mut data: &[u8]) {
        while !data.is_empty() && !self.oversized.load(Ordering::Relaxed) {
            if self.body_left > 0 {
                let skipped = self.body_left.min(data.len());
                self.body_left -= skipped;
                data = &data[skipped..];
                continue;
            }
            let taken = (5 - self.prefix_len).min(data.len());
            self.prefix[self.prefix_len..self.prefix_len + taken].copy_from_slice(&data[..taken]);
            self.prefix_len += taken;
            data = &data[taken..];
            if self.prefix_len == 5 {
                self.prefix_len = 0;
                let [_, a, b, c, d] = self.prefix;
                let len = u32::from_be_bytes([a, b, c, d]) as usize;
                if len > self.limit {
                    self.oversized.store(true, Ordering::Relaxed);
                }
                self.body_left = len;
            }
        }
    }
}

impl http_body::Body for PrefixWatch {
    type Data = tonic::codegen::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.watch(data);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watcher(limit: usize) -> PrefixWatch {
        PrefixWatch {
            inner: Body::empty(),
            limit,
            prefix: [0; 5],
            prefix_len: 0,
            body_left: 0,
            oversized: Arc::new(AtomicBool::new(false)),
        }
    }

    fn message(len: u32) -> Vec<u8> {
        let mut framed = vec![0];
        framed.extend_from_slice(&len.to_be_bytes());
        framed.resize(5 + len as usize, b'x');
        framed
    }

    #[test]
    fn a_prefix_over_the_limit_is_noticed_however_the_body_is_split() {
        let mut stream = message(10);
        stream.extend(message(100));
        stream.extend(message(3));
        for chunk in [1, 2, 5, 7, 64, stream.len()] {
            let mut over = watcher(99);
            let mut within = watcher(100);
            for piece in stream.chunks(chunk) {
                over.watch(piece);
                within.watch(piece);
            }
            assert!(over.oversized.load(Ordering::Relaxed), "chunks of {chunk}");
            assert!(
                !within.oversized.load(Ordering::Relaxed),
                "chunks of {chunk}"
            );
        }
    }
}
