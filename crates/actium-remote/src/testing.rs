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
use crate::auth::{self, Cookie, Side};
use crate::connection::{self, Identity, Reader, Writer};
use crate::wire::{self, DEFAULT_MAX_FRAME, Frame, Handshake, MAGIC, NodeAnswer, Request, VERSION};

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

    /// Sends a reply to a call, whether or not the node made it.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn reply(&mut self, id: u64, value: &[u8]) -> std::io::Result<()> {
        self.send(&Frame::Reply {
            id,
            response: Response::Value(value),
        })
        .await
    }

    /// Asks the node for the actor registered as `name`.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn lookup(&mut self, id: u64, name: &str) -> std::io::Result<()> {
        self.send(&Frame::Request {
            id,
            request: Request::Lookup { name },
        })
        .await
    }

    /// Says goodbye, as a node closing on purpose does.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn bye(&mut self, reason: &str) -> std::io::Result<()> {
        self.send(&Frame::Bye {
            reason: reason.into(),
        })
        .await
    }

    /// Asks the node to spawn an actor of `type_name` from `state`.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn spawn(&mut self, id: u64, type_name: &str, state: &[u8]) -> std::io::Result<()> {
        self.send(&Frame::Request {
            id,
            request: Request::Spawn { type_name, state },
        })
        .await
    }

    /// Asks the node to describe itself.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn describe(&mut self, id: u64) -> std::io::Result<()> {
        self.send(&Frame::Request {
            id,
            request: Request::Describe,
        })
        .await
    }

    /// Answers a request (made or not) with "found `label`".
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn answer_found(
        &mut self,
        id: u64,
        label: actium_core::ActorLabel,
    ) -> std::io::Result<()> {
        self.send(&Frame::Answer {
            id,
            answer: NodeAnswer::Found(label),
        })
        .await
    }

    /// Answers a request (made or not) with "not registered".
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn answer_not_registered(&mut self, id: u64) -> std::io::Result<()> {
        self.send(&Frame::Answer {
            id,
            answer: NodeAnswer::NotRegistered,
        })
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
            match wire::read_frame(&bytes) {
                Ok(Frame::Ping | Frame::Pong) => {}
                Ok(Frame::Reply { id, response }) => return Some(describe(id, &response)),
                Ok(frame) => return Some(format!("{frame:?}")),
                Err(error) => return Some(format!("undecodable: {error}")),
            }
        }
    }
}

/// A listener that speaks the protocol by hand, for tests of how a node
/// treats a hostile node it connects to.
pub struct RawListener {
    listener: tokio::net::TcpListener,
    cookie: Cookie,
    /// The id this raw listener claims.
    pub node: NodeId,
    address: String,
}

impl RawListener {
    /// Listens on 127.0.0.1 and an ephemeral port.
    ///
    /// # Errors
    ///
    /// Why it could not listen.
    pub async fn bind(cookie: &str) -> std::io::Result<RawListener> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = format!("tcp://{}", listener.local_addr()?);
        Ok(RawListener {
            listener,
            cookie: Cookie::new(cookie),
            node: NodeId::random(),
            address,
        })
    }

    /// The `tcp://host:port` address nodes dial.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Accepts a TCP connection without shaking hands.
    ///
    /// # Errors
    ///
    /// The accept error.
    pub async fn accept_raw(&self) -> std::io::Result<TcpStream> {
        Ok(self.listener.accept().await?.0)
    }

    /// Accepts a connection and authenticates it as a listener would.
    ///
    /// # Errors
    ///
    /// Why the connection or the handshake failed.
    pub async fn accept(&self) -> Result<RawPeer, String> {
        let (stream, _) = self.listener.accept().await.map_err(|e| e.to_string())?;
        let (mut reader, mut writer) = connection::frame(Box::new(stream), DEFAULT_MAX_FRAME);
        let me = Identity {
            node: self.node,
            name: "raw-listener",
            address: &self.address,
            cookie: &self.cookie,
            max_frame: DEFAULT_MAX_FRAME,
        };
        let info = connection::handshake_listener(&me, &mut reader, &mut writer).await?;
        tokio::io::AsyncWriteExt::write_all(&mut writer, &{
            let mut bytes = BytesMut::new();
            wire::write_frame(&mut bytes, &Handshake::Ready, DEFAULT_MAX_FRAME)
                .map_err(|e| e.to_string())?;
            bytes
        })
        .await
        .map_err(|e| e.to_string())?;
        Ok(RawPeer {
            reader,
            writer,
            node: self.node,
            peer: info.node,
        })
    }
}

/// A connection that has not been authenticated, for tests of the
/// handshake itself: each step is sent by hand.
pub struct RawHandshake {
    reader: Reader,
    writer: Writer,
    /// The id this connection claims.
    pub node: NodeId,
    /// The nonce its hello sent.
    pub nonce: [u8; 32],
}

/// What a node said during a handshake.
#[derive(Debug)]
pub enum Heard {
    /// The listener's welcome: its id, nonce and proof.
    Welcome {
        /// The listener's node id.
        node: NodeId,
        /// Its challenge.
        nonce: [u8; 32],
    },
    /// The connection is open.
    Ready,
    /// The connection is refused, and why.
    Refused(String),
    /// Anything else, described.
    Other(String),
    /// The node closed the connection.
    Closed,
}

impl RawHandshake {
    /// Opens a TCP connection to `address`; sends nothing.
    ///
    /// # Errors
    ///
    /// The connect error.
    pub async fn open(address: &str) -> Result<RawHandshake, String> {
        let target = NodeAddress::parse(address).map_err(|e| e.to_string())?;
        let stream = TcpStream::connect(target.socket())
            .await
            .map_err(|e| e.to_string())?;
        let (reader, writer) = connection::frame(Box::new(stream), DEFAULT_MAX_FRAME);
        Ok(RawHandshake {
            reader,
            writer,
            node: NodeId::random(),
            nonce: auth::nonce(),
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

    /// Sends a hello speaking protocol `version`, with this connection's
    /// id and nonce.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn hello(&mut self, version: u16) -> std::io::Result<()> {
        let hello = Handshake::Hello {
            magic: MAGIC,
            version,
            node: self.node,
            name: "raw".into(),
            address: "tcp://127.0.0.1:1".into(),
            nonce: self.nonce,
        };
        self.send(&hello).await
    }

    /// The protocol version nodes of this build speak.
    pub fn version() -> u16 {
        VERSION
    }

    /// The connector's proof for a handshake with the listener `listener`
    /// that sent `listener_nonce`, with `cookie`.
    pub fn proof(&self, cookie: &str, listener: NodeId, listener_nonce: &[u8; 32]) -> [u8; 32] {
        Cookie::new(cookie).prove(
            Side::Connector,
            &self.nonce,
            listener_nonce,
            self.node,
            listener,
        )
    }

    /// Sends a proof.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn send_proof(&mut self, proof: [u8; 32]) -> std::io::Result<()> {
        self.send(&Handshake::Proof { proof }).await
    }

    /// Sends a well-formed open-connection frame (a ping) before the
    /// handshake has finished.
    ///
    /// # Errors
    ///
    /// The write error.
    pub async fn send_ping(&mut self) -> std::io::Result<()> {
        let mut bytes = BytesMut::new();
        wire::write_frame(&mut bytes, &Frame::Ping, DEFAULT_MAX_FRAME)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.writer.write_all(&bytes).await
    }

    async fn send(&mut self, message: &Handshake<'_>) -> std::io::Result<()> {
        let mut bytes = BytesMut::new();
        wire::write_frame(&mut bytes, message, DEFAULT_MAX_FRAME)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.writer.write_all(&bytes).await
    }

    /// The next handshake message from the node.
    pub async fn next(&mut self) -> Heard {
        let bytes = match self.reader.next().await {
            Some(Ok(bytes)) => bytes,
            Some(Err(error)) => return Heard::Other(format!("unreadable: {error}")),
            None => return Heard::Closed,
        };
        match wire::read::<Handshake<'_>>(&bytes) {
            Ok(Handshake::Welcome { node, nonce, .. }) => Heard::Welcome { node, nonce },
            Ok(Handshake::Ready) => Heard::Ready,
            Ok(Handshake::Refused { reason }) => Heard::Refused(reason.into_owned()),
            Ok(other) => Heard::Other(format!("{other:?}")),
            Err(error) => Heard::Other(format!("undecodable: {error}")),
        }
    }
}

fn describe(id: u64, response: &Response<'_>) -> String {
    match response {
        Response::Value(bytes) => format!("reply {id}: value {bytes:?}"),
        other => format!("reply {id}: {other:?}"),
    }
}

/// The body (without the length prefix) of a one-way call frame, written
/// as a peer writes one (from its parts), for benchmarks of encoding and
/// decoding.
pub fn tell_frame(to: ActorId, method: &str, payload: &[u8]) -> Vec<u8> {
    let mut bytes = BytesMut::new();
    match wire::call::write_parts(&mut bytes, None, to, method, payload, DEFAULT_MAX_FRAME) {
        Ok(()) => bytes[wire::PREFIX..].to_vec(),
        Err(_) => Vec::new(),
    }
}

/// Decodes a frame body as the TCP reader does (a call without a trace
/// context into its parts, anything else through postcard), for
/// benchmarks of decoding.
///
/// # Errors
///
/// Why the bytes are not a frame.
pub fn read_frame(bytes: &[u8]) -> Result<(), String> {
    if wire::call::read_parts(bytes).is_some() {
        return Ok(());
    }
    wire::read_other(bytes).map(drop)
}

/// Decodes a frame body with bare postcard, without the bounds the reader
/// keeps to: what benchmarks measure [`read_frame`] against.
///
/// # Errors
///
/// Why the bytes are not a frame.
pub fn read_frame_unbounded(bytes: &[u8]) -> Result<(), String> {
    postcard::from_bytes::<Frame<'_>>(bytes)
        .map(drop)
        .map_err(|error| error.to_string())
}

/// Decodes `bytes` the way a node decodes what arrives from a peer —
/// split into length-prefixed frames (16 MiB limit) by the connection's
/// reader, each read as a handshake message and as a frame, each call's
/// payload as typical arguments — and discards the results: what the
/// fuzz target drives. Decoding untrusted bytes must return errors, never
/// panic.
pub fn decode_untrusted(bytes: &[u8]) {
    let mut rest = bytes;
    while let Ok(connection::Framed::Whole(length)) =
        connection::frame_length(rest, DEFAULT_MAX_FRAME)
    {
        let frame = &rest[wire::PREFIX..wire::PREFIX + length];
        rest = &rest[wire::PREFIX + length..];
        let _ = wire::read::<crate::wire::Handshake<'_>>(frame);
        if let Ok(Frame::Tell { payload, .. } | Frame::Ask { payload, .. }) =
            wire::read_frame(frame)
        {
            let _ = actium_core::transport::decode::<(u64,)>(payload);
            let _ = actium_core::transport::decode::<(String, Vec<u8>)>(payload);
            let _ = actium_core::transport::decode::<(Option<u64>, Vec<String>)>(payload);
        }
    }
    // The whole input as one frame body too.
    let _ = wire::read_frame(bytes);
}
