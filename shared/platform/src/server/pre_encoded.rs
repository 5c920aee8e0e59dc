//! Unary methods answered with bytes already in protobuf's wire form.
//!
//! A hot read whose answer rarely changes (a shipment's tracking, kept in a cache) spends most of
//! its CPU building the answer message and encoding it, the same bytes call after call. A service
//! can keep those bytes and answer with them: [`PreEncoded`] wraps a generated server and routes
//! the methods registered with [`PreEncoded::unary`] to handlers that return [`Bytes`], which
//! [`PreEncodedCodec`] copies out as they are. Protobuf lets an encoded message be assembled from
//! encoded parts (a repeated or embedded field is a key, a length and the part's bytes), so a
//! batch answer can be written from its entries' bytes too; [`put_embedded`] writes one such field.
//!
//! Every other method goes to the generated server untouched. The layers around the server
//! (auth, telemetry, limits) see the same calls either way: they sit outside this wrapper.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use prost::bytes::{BufMut as _, Bytes};
use prost::encoding::{WireType, encode_key, encode_varint};
use tonic::body::Body;
use tonic::codec::{Codec, EncodeBuf, Encoder};
use tonic::server::{Grpc, NamedService};
use tonic::{Request, Response, Status};
use tonic_prost::ProstDecoder;

/// A codec whose requests are protobuf messages and whose answers are already encoded; a client
/// uses it the other way round (the OTLP span exporter): it sends encoded bytes, decodes answers.
pub struct PreEncodedCodec<Req>(PhantomData<fn() -> Req>);

impl<Req> Default for PreEncodedCodec<Req> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<Req> Codec for PreEncodedCodec<Req>
where
    Req: prost::Message + Default + Send + 'static,
{
    type Encode = Bytes;
    type Decode = Req;
    type Encoder = CopyEncoder;
    type Decoder = ProstDecoder<Req>;

    fn encoder(&mut self) -> Self::Encoder {
        CopyEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::default()
    }
}

/// Writes an answer's bytes as they are.
pub struct CopyEncoder;

impl Encoder for CopyEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

/// Appends field `tag` holding the encoded message `encoded` to `out`, as protobuf writes an
/// embedded (or repeated) message field.
pub fn put_embedded(out: &mut impl prost::bytes::BufMut, tag: u32, encoded: &[u8]) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(encoded.len() as u64, out);
    out.put_slice(encoded);
}

/// The bytes [`put_embedded`] writes for a part of `len` bytes under `tag`.
pub fn embedded_len(tag: u32, len: usize) -> usize {
    prost::encoding::key_len(tag) + prost::encoding::encoded_len_varint(len as u64) + len
}

type Route =
    Arc<dyn Fn(http::Request<Body>) -> BoxFuture<'static, http::Response<Body>> + Send + Sync>;

/// The generated server `S` with some of its unary methods answered from encoded bytes.
#[derive(Clone)]
pub struct PreEncoded<S> {
    inner: S,
    /// Full paths ("/package.Service/Method") and their handlers; a handful, so a list.
    routes: Vec<(String, Route)>,
    max_decoding_message_size: usize,
}

impl<S: NamedService> PreEncoded<S> {
    /// Wraps `inner`, the generated server, with no method routed yet; the routed methods refuse
    /// requests larger than `max_decoding_message_size`, as the generated server's setting does.
    pub fn new(inner: S, max_decoding_message_size: usize) -> Self {
        Self {
            inner,
            routes: Vec::new(),
            max_decoding_message_size,
        }
    }

    /// Answers the unary method `method` of the service (e.g. "GetTracking") with `handler`,
    /// whose bytes must be the method's response message as protobuf encodes it.
    pub fn unary<Req, F, Fut>(mut self, method: &str, handler: F) -> Self
    where
        Req: prost::Message + Default + Send + 'static,
        F: Fn(Request<Req>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Response<Bytes>, Status>> + Send + 'static,
    {
        let limit = self.max_decoding_message_size;
        let route: Route = Arc::new(move |request| {
            let handler = handler.clone();
            Box::pin(async move {
                let mut grpc =
                    Grpc::new(PreEncodedCodec::<Req>::default()).max_decoding_message_size(limit);
                grpc.unary(tower::service_fn(handler), request).await
            })
        });
        self.routes.push((format!("/{}/{method}", S::NAME), route));
        self
    }
}

impl<S: NamedService> NamedService for PreEncoded<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower::Service<http::Request<Body>> for PreEncoded<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let path = request.uri().path();
        match self.routes.iter().find(|(routed, _)| routed == path) {
            Some((_, route)) => {
                let answer = route(request);
                Box::pin(async move { Ok(answer.await) })
            }
            None => Box::pin(self.inner.call(request)),
        }
    }
}
