//! The wire codec of calls (`generated` wraps it for what
//! `#[actor(remote)]` expands to), and serde for references and labels.
//!
//! Arguments travel as one postcard-encoded tuple per call, results as one
//! postcard-encoded value. Postcard is compact (varints, no field names),
//! has a documented, stable wire format, and decodes from borrowed bytes.
//! A reference travels as its actor id, type name and node address, and
//! is resolved on arrival: to the local cell if it names an actor of the
//! receiving node, otherwise to a peer of the receiving node.

use std::borrow::Cow;

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::actor::{Actor, ActorRef, AnyRef, Cell, Target};
use crate::base::{ActorId, ActorLabel, ExitReason};

/// Where [`encode`] appends: a `Vec<u8>`, or the `BytesMut` a network
/// layer frames its messages in.
pub trait Output {
    /// Appends one byte.
    fn push_byte(&mut self, byte: u8);
    /// Appends `bytes`.
    fn push_bytes(&mut self, bytes: &[u8]);
}

impl Output for Vec<u8> {
    #[inline]
    fn push_byte(&mut self, byte: u8) {
        self.push(byte);
    }

    #[inline]
    fn push_bytes(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Output for bytes::BytesMut {
    #[inline]
    fn push_byte(&mut self, byte: u8) {
        bytes::BufMut::put_u8(self, byte);
    }

    #[inline]
    fn push_bytes(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Appends postcard output to an [`Output`] without per-byte bookkeeping.
struct Append<'a, O: ?Sized>(&'a mut O);

impl<O: Output + ?Sized> postcard::ser_flavors::Flavor for Append<'_, O> {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push_byte(byte);
        Ok(())
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.push_bytes(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Appends `value`, postcard-encoded, to `out`. On error `out` may hold
/// part of it: truncate to where it was.
///
/// # Errors
///
/// The serializer's message (a reference whose system has no node, say).
pub fn encode<T: Serialize + ?Sized, O: Output + ?Sized>(
    value: &T,
    out: &mut O,
) -> Result<(), String> {
    postcard::serialize_with_flavor(value, Append(out)).map_err(|error| error.to_string())
}

/// Serializes a borrowed byte slice as bytes: its length and the bytes in
/// one write, where serde's `[u8]` is a sequence, one write per byte.
/// Postcard encodes both alike, so the wire does not change. For
/// `#[serde(serialize_with = "...")]` on the payloads of frames.
///
/// # Errors
///
/// The serializer's.
#[doc(hidden)]
pub fn as_bytes<S: serde::Serializer>(bytes: &&[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

/// Decodes exactly one `T` from `bytes`: trailing bytes are an error too.
/// The bytes may come from anyone: decoding keeps to the bounds of
/// [`take_from`].
///
/// # Errors
///
/// What did not decode, in words — including a `Deserialize` impl (or a
/// `From` impl behind `#[serde(from)]`) that panicked on these bytes, and
/// a declared length or a decoded size past the bounds.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    // The bytes come from another node and the impls from users: one that
    // panics on input it did not expect must fail this call, not unwind
    // through the connection's reader and take the connection with it.
    let decoded = std::panic::catch_unwind(|| take_from::<T>(bytes))
        .map_err(|panic| format!("decoding panicked: {}", crate::base::panic_message(&*panic)))?;
    match decoded? {
        (value, []) => Ok(value),
        (_, rest) => Err(format!("{} unexpected trailing bytes", rest.len())),
    }
}

/// Decodes one `T` from the start of `bytes`, and returns it with the
/// bytes after it: for a network layer's own messages, which may borrow
/// from `bytes`.
///
/// Like every decoding of bytes from another node ([`decode`] too), it
/// keeps to bounds: a sequence may not declare more elements than there
/// are bytes left (zero-sized elements aside, up to a limit), and the
/// memory decoded into is at most 32 times the bytes plus 64 KiB, capped
/// by [`with_decode_limit`] (default [`DEFAULT_MAX_DECODED`](super::DEFAULT_MAX_DECODED)).
///
/// # Errors
///
/// What did not decode, in words, or which bound it broke.
pub fn take_from<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<(T, &'de [u8]), String> {
    super::bounded::take(bytes)
}

/// Runs `decode` with every decoding on this thread (calls' arguments,
/// answers, references in them, and [`take_from`]) capped at `limit` bytes
/// of decoded memory; a network layer wraps its handling of each frame,
/// or of each pass over a buffer of frames, in it, with its node's
/// setting.
pub fn with_decode_limit<T>(limit: usize, decode: impl FnOnce() -> T) -> T {
    super::bounded::with_limit(limit, decode)
}

/// Decodes exactly one `T` from `bytes` in `system`: references in it
/// resolve there.
///
/// # Errors
///
/// What did not decode, in words.
pub fn decode_in<T: DeserializeOwned>(
    system: &crate::runtime::SystemHandle,
    bytes: &[u8],
) -> Result<T, String> {
    super::inbound::decoding(system, || decode(bytes))
}

/// A label on the wire: the id and the type name.
#[derive(Serialize, Deserialize)]
struct WireLabel<'a> {
    id: ActorId,
    #[serde(borrow)]
    type_name: Cow<'a, str>,
}

impl Serialize for ActorLabel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireLabel {
            id: self.id(),
            type_name: Cow::Borrowed(self.type_name()),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ActorLabel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireLabel::deserialize(deserializer)?;
        Ok(ActorLabel::new(
            wire.id,
            super::intern_type_name(&wire.type_name),
        ))
    }
}

/// A reference on the wire.
#[derive(Serialize, Deserialize)]
struct WireRef<'a> {
    id: ActorId,
    #[serde(borrow)]
    type_name: Cow<'a, str>,
    /// The address of the actor's node.
    #[serde(borrow)]
    node: Cow<'a, str>,
}

/// Sends the actor's id, type and node address; the receiving node turns
/// it back into a reference (pass-by-reference, PyActive's `ref`).
///
/// Sending a reference to a local actor needs a node running on its
/// system, whose address it carries.
impl<A: Actor> Serialize for ActorRef<A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let address = match self.target() {
            Target::Local(cell) => match cell.core.system.transport() {
                Some(node) => Cow::Owned(node.address().to_owned()),
                None => {
                    return Err(S::Error::custom(format!(
                        "{} cannot be sent to another node: no node runs on its system",
                        self.label()
                    )));
                }
            },
            Target::Remote(remote) => Cow::Borrowed(remote.peer.address()),
        };
        WireRef {
            id: self.id(),
            type_name: Cow::Borrowed(A::NAME),
            node: address,
        }
        .serialize(serializer)
    }
}

/// Resolves a received reference in the system decoding it: an actor of
/// that system becomes a local reference (one that has exited, a reference
/// to a stopped actor); any other, a reference through a peer.
impl<'de, A: Actor> Deserialize<'de> for ActorRef<A> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireRef::deserialize(deserializer)?;
        if wire.type_name != A::NAME {
            return Err(D::Error::custom(format!(
                "a reference to a {} where a {} was expected",
                wire.type_name,
                A::NAME
            )));
        }
        let Some(system) = super::inbound::decoding_system() else {
            return Err(D::Error::custom(
                "actor references can only be decoded inside an Actium system",
            ));
        };
        let shared = system.shared();
        let label = ActorLabel::new(wire.id, A::NAME);
        if wire.id.node() == system.node() {
            let local = shared
                .cell(wire.id.local())
                .and_then(|cell| cell.into_any().downcast::<Cell<A>>().ok());
            return Ok(match local {
                Some(cell) => ActorRef::from_cell(cell),
                None => ActorRef::exited(label, shared.clone(), ExitReason::NoProc),
            });
        }
        let Some(node) = shared.transport() else {
            return Err(D::Error::custom(format!(
                "a reference to {label} on {} arrived, but no node runs here to reach it",
                wire.node
            )));
        };
        let peer = node.peer(&wire.node).map_err(D::Error::custom)?;
        Ok(ActorRef::from_remote(label, peer, shared.clone()))
    }
}

/// Sends an [`AnyRef`] as an [`ActorRef`] of its type is sent: the actor's
/// id, type name and node address.
impl Serialize for AnyRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let address = match self.peer() {
            Some(peer) => Cow::Borrowed(peer.address()),
            None => match self.erased().core().system.transport() {
                Some(node) => Cow::Owned(node.address().to_owned()),
                None => {
                    return Err(S::Error::custom(format!(
                        "{} cannot be sent to another node: no node runs on its system",
                        self.label()
                    )));
                }
            },
        };
        WireRef {
            id: self.id(),
            type_name: Cow::Borrowed(self.label().type_name()),
            node: address,
        }
        .serialize(serializer)
    }
}

/// Resolves a received reference of any type in the system decoding it,
/// as an [`ActorRef`] is resolved: an actor of that system becomes a local
/// reference (one that has exited, a reference that delivers `noproc`);
/// any other, a reference through a peer.
impl<'de> Deserialize<'de> for AnyRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireRef::deserialize(deserializer)?;
        let Some(system) = super::inbound::decoding_system() else {
            return Err(D::Error::custom(
                "actor references can only be decoded inside an Actium system",
            ));
        };
        let shared = system.shared();
        let label = ActorLabel::new(wire.id, super::intern_type_name(&wire.type_name));
        if wire.id.node() == system.node() {
            return Ok(match shared.cell(wire.id.local()) {
                Some(cell) => AnyRef::local(cell),
                None => AnyRef::local(crate::cell::ExitedCell::new(label, shared.clone())),
            });
        }
        let Some(node) = shared.transport() else {
            return Err(D::Error::custom(format!(
                "a reference to {label} on {} arrived, but no node runs here to reach it",
                wire.node
            )));
        };
        let peer = node.peer(&wire.node).map_err(D::Error::custom)?;
        Ok(AnyRef::remote(label, peer, shared.clone()))
    }
}
