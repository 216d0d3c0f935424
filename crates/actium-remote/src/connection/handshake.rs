//! The handshake that opens a connection: each side says who it is, both
//! prove they hold the cookie, and the listener admits the connection or
//! refuses it, saying why. Frames stay small until it succeeds.

use actium_core::NodeId;
use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_util::codec::{FramedRead, LengthDelimitedCodec};

use super::{Io, Reader, Writer};
use crate::auth::{self, Side};
use crate::node::NodeShared;
use crate::wire::{self, Handshake, MAGIC, MAX_HANDSHAKE_FRAME, VERSION};

/// The reason a connector gives up when the listener keeps its own
/// connection: not a failure, the other connection carries the traffic.
pub(crate) const DUPLICATE: &str = "duplicate connection";

/// Who this end is, for the handshake.
pub(crate) struct Identity<'a> {
    pub(crate) node: NodeId,
    pub(crate) name: &'a str,
    pub(crate) address: &'a str,
    pub(crate) cookie: &'a auth::Cookie,
    pub(crate) max_frame: usize,
}

impl NodeShared {
    pub(crate) fn identity(&self) -> Identity<'_> {
        Identity {
            node: self.id(),
            name: self.name(),
            address: self.address_str(),
            cookie: &self.config.cookie,
            max_frame: self.config.max_frame,
        }
    }
}

/// Who is at the other end, as the handshake established.
pub(crate) struct PeerInfo {
    pub(crate) node: NodeId,
    pub(crate) name: String,
    pub(crate) address: String,
}

/// Splits a stream and frames its read half. Until `authenticated`
/// raises it, frames are limited to the handshake's size.
pub(crate) fn frame(io: Box<dyn Io>, max_frame: usize) -> (Reader, Writer) {
    let (read, write) = io.halves();
    let codec = LengthDelimitedCodec::builder()
        .max_frame_length(max_frame.min(MAX_HANDSHAKE_FRAME))
        .new_codec();
    (FramedRead::new(read, codec), write)
}

/// The handshake succeeded: frames up to the node's maximum may follow.
/// No frame after the handshake has been decoded yet, so the new limit
/// applies to all of them.
pub(super) fn authenticated(reader: &mut Reader, max_frame: usize) {
    reader.decoder_mut().set_max_frame_length(max_frame);
}

pub(super) async fn send(
    writer: &mut Writer,
    message: &Handshake<'_>,
    max_frame: usize,
) -> Result<(), String> {
    let mut bytes = BytesMut::new();
    wire::write_frame(&mut bytes, message, max_frame).map_err(|e| e.to_string())?;
    writer
        .write_all(&bytes)
        .await
        .map_err(|e| format!("write failed: {e}"))
}

pub(super) async fn receive(reader: &mut Reader) -> Result<BytesMut, String> {
    match reader.next().await {
        Some(Ok(bytes)) => Ok(bytes),
        Some(Err(error)) => Err(format!("read failed: {error}")),
        None => Err("the connection closed during the handshake".to_owned()),
    }
}

/// Refuses a connection, telling the other side why (best effort).
pub(super) async fn refuse(writer: &mut Writer, reason: &str, max_frame: usize) {
    let _ = send(
        writer,
        &Handshake::Refused {
            reason: reason.into(),
        },
        max_frame,
    )
    .await;
    let _ = writer.shutdown().await;
}

/// The connector's side of the handshake.
pub(crate) async fn handshake_connector(
    me: &Identity<'_>,
    reader: &mut Reader,
    writer: &mut Writer,
) -> Result<PeerInfo, String> {
    let max = me.max_frame;
    let my_nonce = auth::nonce();
    send(
        writer,
        &Handshake::Hello {
            magic: MAGIC,
            version: VERSION,
            node: me.node,
            name: me.name.into(),
            address: me.address.into(),
            nonce: my_nonce,
        },
        max,
    )
    .await?;
    let bytes = receive(reader).await?;
    let (info, their_nonce) = match wire::read::<Handshake<'_>>(&bytes) {
        Ok(Handshake::Welcome {
            version,
            node: their_node,
            name,
            address,
            nonce,
            proof,
        }) => {
            if version != VERSION {
                return Err(format!(
                    "the node speaks protocol version {version}, this one {VERSION}"
                ));
            }
            if !me.cookie.verify(
                Side::Listener,
                &nonce,
                &my_nonce,
                their_node,
                me.node,
                &proof,
            ) {
                return Err(
                    "authentication failed: the node does not know this node's cookie".to_owned(),
                );
            }
            (
                PeerInfo {
                    node: their_node,
                    name: name.into_owned(),
                    address: address.into_owned(),
                },
                nonce,
            )
        }
        Ok(Handshake::Refused { reason }) => {
            return Err(format!("refused: {}", wire::from_peer(&reason)));
        }
        Ok(other) => {
            return Err(format!(
                "unexpected handshake message {}",
                wire::from_peer(&format!("{other:?}"))
            ));
        }
        Err(error) => return Err(format!("malformed handshake: {error}")),
    };
    let proof = me
        .cookie
        .prove(Side::Connector, &my_nonce, &their_nonce, me.node, info.node);
    send(writer, &Handshake::Proof { proof }, max).await?;
    let bytes = receive(reader).await?;
    match wire::read::<Handshake<'_>>(&bytes) {
        Ok(Handshake::Ready) => {
            authenticated(reader, max);
            Ok(info)
        }
        Ok(Handshake::Refused { reason }) if reason == DUPLICATE => Err(DUPLICATE.to_owned()),
        Ok(Handshake::Refused { reason }) => Err(format!("refused: {}", wire::from_peer(&reason))),
        Ok(other) => Err(format!(
            "unexpected handshake message {}",
            wire::from_peer(&format!("{other:?}"))
        )),
        Err(error) => Err(format!("malformed handshake: {error}")),
    }
}

/// The listener's side of the handshake, up to the proofs; the caller
/// decides whether to keep the connection.
pub(crate) async fn handshake_listener(
    me: &Identity<'_>,
    reader: &mut Reader,
    writer: &mut Writer,
) -> Result<PeerInfo, String> {
    let max = me.max_frame;
    let bytes = receive(reader).await?;
    let hello = wire::read::<Handshake<'_>>(&bytes);
    let (info, their_nonce) = match hello {
        Ok(Handshake::Hello {
            magic,
            version,
            node: their_node,
            name,
            address,
            nonce,
        }) if magic == MAGIC => {
            if version != VERSION {
                let reason = format!(
                    "protocol version {version} is not supported; this node speaks {VERSION}"
                );
                refuse(writer, &reason, max).await;
                return Err(reason);
            }
            if their_node == me.node {
                let reason = "a node cannot connect to itself".to_owned();
                refuse(writer, &reason, max).await;
                return Err(reason);
            }
            (
                PeerInfo {
                    node: their_node,
                    name: name.into_owned(),
                    address: address.into_owned(),
                },
                nonce,
            )
        }
        _ => {
            let reason = "not an Actium node (no valid hello)".to_owned();
            refuse(writer, &reason, max).await;
            return Err(reason);
        }
    };
    let my_nonce = auth::nonce();
    let proof = me
        .cookie
        .prove(Side::Listener, &my_nonce, &their_nonce, me.node, info.node);
    send(
        writer,
        &Handshake::Welcome {
            version: VERSION,
            node: me.node,
            name: me.name.into(),
            address: me.address.into(),
            nonce: my_nonce,
            proof,
        },
        max,
    )
    .await?;
    let bytes = receive(reader).await?;
    match wire::read::<Handshake<'_>>(&bytes) {
        Ok(Handshake::Proof { proof })
            if me.cookie.verify(
                Side::Connector,
                &their_nonce,
                &my_nonce,
                info.node,
                me.node,
                &proof,
            ) =>
        {
            authenticated(reader, max);
            Ok(info)
        }
        Ok(Handshake::Proof { .. }) => {
            let reason = "authentication failed: wrong cookie".to_owned();
            refuse(writer, &reason, max).await;
            Err(reason)
        }
        _ => {
            let reason = "expected the connector's proof".to_owned();
            refuse(writer, &reason, max).await;
            Err(reason)
        }
    }
}
