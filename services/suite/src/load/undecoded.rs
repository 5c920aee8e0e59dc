//! Calls whose answers the load generator counts but does not decode.
//!
//! The load generator shares the machine with the server it measures, and decoding a tracking
//! answer (ten events; three hundred in a batch) cost it about as much CPU as the server spent
//! answering. So the tracking reads keep each answer as the bytes it came in, and decode only each
//! worker's first, to check that the server answers what the method promises.

use std::marker::PhantomData;

use logistics_platform::client::CallCredentials;
use prost::bytes::{Buf as _, Bytes};
use tonic::codec::{Codec, DecodeBuf, Decoder};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Request, Status};
use tonic_prost::ProstEncoder;

/// Messages sent encoded by prost, messages received handed back undecoded: a client's answers
/// here, the requests a server only counts in `logistics bench otlp-sink`.
pub(crate) struct UndecodedAnswers<Req>(pub(crate) PhantomData<fn(Req)>);

impl<Req> Codec for UndecodedAnswers<Req>
where
    Req: prost::Message + Send + 'static,
{
    type Encode = Req;
    type Decode = Bytes;
    type Encoder = ProstEncoder<Req>;
    type Decoder = KeepBytes;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(Default::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        KeepBytes
    }
}

/// Takes an answer's bytes as they are.
pub(crate) struct KeepBytes;

impl Decoder for KeepBytes {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        let length = src.remaining();
        Ok(Some(src.copy_to_bytes(length)))
    }
}

/// A client of unary methods whose answers it checks once and then only counts.
#[derive(Clone)]
pub struct UndecodedClient {
    grpc: tonic::client::Grpc<InterceptedService<Channel, CallCredentials>>,
    checked: bool,
}

impl UndecodedClient {
    pub fn new(channel: Channel, credentials: CallCredentials) -> Self {
        Self {
            grpc: tonic::client::Grpc::new(InterceptedService::new(channel, credentials)),
            checked: false,
        }
    }

    /// Calls `path` (`/package.Service/Method`) with `request`. The first answer must decode as
    /// `Resp`; later ones are not decoded.
    pub async fn unary<Req, Resp>(&mut self, path: &'static str, request: Req) -> Result<(), Status>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default,
    {
        self.grpc
            .ready()
            .await
            .map_err(|error| Status::unavailable(format!("the channel is not ready: {error}")))?;
        let answer = self
            .grpc
            .unary(
                Request::new(request),
                http::uri::PathAndQuery::from_static(path),
                UndecodedAnswers::<Req>(PhantomData),
            )
            .await?
            .into_inner();
        if !self.checked {
            Resp::decode(answer).map_err(|error| {
                Status::data_loss(format!("the answer of {path} does not decode: {error}"))
            })?;
            self.checked = true;
        }
        Ok(())
    }
}
