//! A raw, authenticated peer for tests of how a node treats bad input:
//! it completes the handshake like a node, then sends whatever bytes or
//! frames a test wants and shows what comes back. Not public API.

use actium_core::transport::Response;
use actium_core::{ActorId, NodeId};
use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::address::NodeAddress;
use crate::auth::Cookie;
use crate::connection::{self, Identity, Reader, Writer};
use crate::wire::{self, DEFAULT_MAX_FRAME, Frame};

/// A connection to a node that speaks the protocol by hand.
pub struct RawPeer {
    reader: Reader,
    writer: Writer,
    /// The id this raw peer claims.
    pub node: NodeId,
    /// The node's id.
    pub peer: NodeId,
}

impl RawPeer {
    /// Connects to `address` and authenticates with `cookie`.
    ///
    /// # Errors
    ///
    /// Why the connection or the handshake failed.
    pub async fn connect(address: &str, cookie: &str) -> Result<RawPeer, String> {
        let target = NodeAddress::parse(address).map_err(|e| e.to_string())?;
        let stream = TcpStream::connect(target.socket())
            .await
            .map_err(|e| e.to_string())?;
        let (mut reader, mut writer) = connection::frame(Box::new(stream), DEFAULT_MAX_FRAME);
        let node = NodeId::random();
        let cookie = Cookie::new(cookie);
        let me = Identity {
            node,
            name: "raw",
            address: "tcp://127.0.0.1:1",
            cookie: &cookie,
            max_frame: DEFAULT_MAX_FRAME,
        };
        let info = connection::handshake_connector(&me, &mut reader, &mut writer).await?;
        Ok(RawPeer {
            reader,
            writer,
            node,
            peer: info.node,
        })
    }

    /// Sends bytes as they are.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes).await
    }

    /// Sends `body` as one frame (with its length prefix).
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn send_frame(&mut self, body: &[u8]) -> std::io::Result<()> {
        let length = u32::try_from(body.len()).unwrap_or(u32::MAX);
        self.writer.write_all(&length.to_be_bytes()).await?;
        self.writer.write_all(body).await
    }

    /// Sends a well-formed request-reply call frame.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn ask(
        &mut self,
        id: u64,
        to: ActorId,
        method: &str,
        payload: &[u8],
    ) -> std::io::Result<()> {
        self.send(&Frame::Ask {
            id,
            to,
            method,
            payload,
            trace: None,
        })
        .await
    }

    /// Sends a well-formed one-way call frame.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn tell(&mut self, to: ActorId, method: &str, payload: &[u8]) -> std::io::Result<()> {
        self.send(&Frame::Tell {
            to,
            method,
            payload,
            trace: None,
        })
        .await
    }

    /// Sends a link signal that claims to come from an actor of `from`.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn link_as(&mut self, from: ActorId, to: ActorId) -> std::io::Result<()> {
        self.send(&Frame::Signal(actium_core::transport::RemoteSignal::Link {
            from: actium_core::ActorLabel::new(from, "Forged"),
            to,
        }))
        .await
    }

    async fn send(&mut self, frame: &Frame<'_>) -> std::io::Result<()> {
        let mut bytes = BytesMut::new();
        wire::write_frame(&mut bytes, frame, DEFAULT_MAX_FRAME)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.writer.write_all(&bytes).await
    }

    /// The next frame other than a heartbeat, described; `None` once the
    /// node has closed the connection.
    pub async fn next(&mut self) -> Option<String> {
        loop {
            let bytes = self.reader.next().await?.ok()?;
            match wire::read::<Frame<'_>>(&bytes) {
                Ok(Frame::Ping | Frame::Pong) => {}
                Ok(Frame::Reply { id, response }) => return Some(describe(id, &response)),
                Ok(frame) => return Some(format!("{frame:?}")),
                Err(error) => return Some(format!("undecodable: {error}")),
            }
        }
    }
}

fn describe(id: u64, response: &Response<'_>) -> String {
    match response {
        Response::Value(bytes) => format!("reply {id}: value {bytes:?}"),
        other => format!("reply {id}: {other:?}"),
    }
}

/// Decodes `bytes` the way a node decodes what arrives from a peer —
/// split into length-prefixed frames (16 MiB limit), each read as a
/// handshake message and as a frame, each call's payload as typical
/// arguments — and discards the results: what the fuzz target drives.
/// Decoding untrusted bytes must return errors, never panic.
pub fn decode_untrusted(bytes: &[u8]) {
    use tokio_util::codec::{Decoder, LengthDelimitedCodec};

    let mut codec = LengthDelimitedCodec::builder()
        .max_frame_length(DEFAULT_MAX_FRAME)
        .new_codec();
    let mut buffer = BytesMut::from(bytes);
    while let Ok(Some(frame)) = codec.decode(&mut buffer) {
        let _ = wire::read::<crate::wire::Handshake<'_>>(&frame);
        if let Ok(Frame::Tell { payload, .. } | Frame::Ask { payload, .. }) =
            wire::read::<Frame<'_>>(&frame)
        {
            let _ = actium_core::transport::decode::<(u64,)>(payload);
            let _ = actium_core::transport::decode::<(String, Vec<u8>)>(payload);
            let _ = actium_core::transport::decode::<(Option<u64>, Vec<String>)>(payload);
        }
    }
    // The whole input as one frame body too.
    let _ = wire::read::<Frame<'_>>(bytes);
}
