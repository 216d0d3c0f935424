//! One connection: its handshake (in `handshake`), and the three tasks
//! that run it.
//!
//! - The **reader** (in `reader`) decodes frames as they arrive and acts
//!   on each: a call goes to the local actor's mailbox, a reply to the
//!   caller waiting for it, a signal to the link and monitor machinery.
//! - The **writer** writes whatever the peer's outbox holds, in batches
//!   (a sender that finds the outbox crowded writes it itself: see
//!   `outbox`).
//! - The **heartbeat** sends a ping every interval and ends the connection
//!   when nothing has arrived for the heartbeat timeout; it also forgets
//!   calls whose callers gave up.
//!
//! Whatever ends a connection — the peer closing, a read or write error, a
//! missed heartbeat, a frame that breaks the protocol — ends it through
//! `PeerHandle::ended` (or `went_idle` for an idle one, `ended_in_turn`
//! for the heartbeat, which looks at the silence again in the turn),
//! which fails the calls waiting on it and fires the links and monitors
//! that crossed it.
//! It does so in the peer's inbound turn, as a new connection of the node
//! replacing this one does (`PeerHandle::admit`): the reader, which acts
//! on what it read in that turn, has queued the calls it acted on, and
//! acts on nothing more.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actium_core::transport::{self, RemoteSignal};
use actium_core::{Error, NodeId};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{FramedRead, LengthDelimitedCodec};

use crate::node::{Handshaking, NodeShared};
use crate::outbox::Socket;
use crate::peer::{Admission, PeerHandle};
use crate::wire::{self, Frame, Handshake};

mod buffer;
mod handshake;
mod reader;

pub(crate) use buffer::{Framed, frame_length};

pub(crate) use handshake::{DUPLICATE, Identity, frame, handshake_connector, handshake_listener};
use handshake::{refuse, send};

/// Any byte stream a connection can run over: TCP, or TLS over TCP,
/// split into its two directions so that the reader and the writer task
/// use them apart.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// The read and write halves.
    fn halves(self: Box<Self>) -> (ReadSide, Writer);
}

/// A TCP stream splits into halves that share it without a lock, where
/// `tokio::io::split` takes one for every read and every write: 8 locked
/// instructions of every remote ask on each node (`docs/BENCHMARKS.md`).
/// Dropping its write half shuts the connection's sending direction
/// (where a TLS stream's write half, dropped, does nothing): the
/// [`Writer`] must outlive the reading, as the connection's `Socket`,
/// held by its reader's link, does.
impl Io for tokio::net::TcpStream {
    fn halves(self: Box<Self>) -> (ReadSide, Writer) {
        let (read, write) = self.into_split();
        (Box::new(read), Box::new(write))
    }
}

/// A stream that reads and writes through one state (TLS's session)
/// splits with `tokio::io::split`, which shares it under a lock.
#[cfg(any(test, feature = "tls"))]
pub(crate) fn split_locked<T: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    io: T,
) -> (ReadSide, Writer) {
    let (read, write) = tokio::io::split(io);
    (Box::new(read), Box::new(write))
}

/// The read half of a connection's stream.
pub(crate) type ReadSide = Box<dyn AsyncRead + Unpin + Send>;
pub(crate) type Reader = FramedRead<ReadSide, LengthDelimitedCodec>;
/// The write half of a connection's stream; dropped, it may half-close
/// the connection (see the TCP `Io`).
pub(crate) type Writer = Box<dyn AsyncWrite + Unpin + Send>;

/// Opens a connection from this node to `peer` and runs it, as
/// generation `generation` of that peer's connections.
pub(crate) async fn connect(node: Arc<NodeShared>, peer: Arc<PeerHandle>, generation: u64) {
    let timeout = node.config.connect_timeout;
    let opened = node
        .clock()
        .timeout(timeout, async {
            let io = node.dial(peer.address()).await?;
            let (mut reader, mut writer) = frame(io, node.config.max_frame);
            let info = handshake_connector(&node.identity(), &mut reader, &mut writer).await?;
            Ok::<_, String>((reader, writer, info))
        })
        .await;
    match opened {
        Ok(Ok((reader, writer, info))) => {
            if !peer.established(generation, info.node) {
                // The peer's own connection to us won meanwhile.
                return;
            }
            tracing::debug!(peer = %peer.address(), name = %info.name, "connected");
            run(node, peer, generation, info.node, reader, writer);
        }
        Ok(Err(reason)) if reason == DUPLICATE => {
            // The peer keeps the connection it is opening to us; if it
            // never arrives, give up after the connect timeout.
            node.clock().sleep(timeout).await;
            peer.ended(
                generation,
                "the node refused a duplicate connection and never connected back",
            );
        }
        Ok(Err(reason)) => {
            tracing::warn!(peer = %peer.address(), %reason, "could not connect");
            peer.ended(generation, &reason);
        }
        Err(_elapsed) => peer.ended(generation, &format!("no connection within {timeout:?}")),
    }
}

/// Runs an accepted connection: handshake, admission, then the tasks.
///
/// `place` counts the connection among those being set up until its
/// handshake ends.
pub(crate) async fn accept(
    node: Arc<NodeShared>,
    io: Box<dyn Io>,
    from: String,
    place: Handshaking,
) {
    let max = node.config.max_frame;
    let (mut reader, mut writer) = frame(io, max);
    let shaken = node
        .clock()
        .timeout(
            node.config.connect_timeout,
            handshake_listener(&node.identity(), &mut reader, &mut writer),
        )
        .await;
    drop(place);
    let info = match shaken {
        Ok(Ok(info)) => info,
        Ok(Err(reason)) => {
            tracing::warn!(%from, %reason, "refused a connection");
            return;
        }
        Err(_elapsed) => {
            tracing::warn!(%from, "refused a connection: the handshake timed out");
            return;
        }
    };
    let peer = match node.peer_for(&info.address) {
        Ok(peer) => peer,
        Err(Error::NodeDown { reason, .. }) => {
            // The peer table is full.
            tracing::warn!(%from, %reason, "refused a connection");
            refuse(&mut writer, &reason, max).await;
            return;
        }
        Err(error) => {
            let reason = format!(
                "its advertised address is invalid: {}",
                wire::from_peer(&error.to_string())
            );
            tracing::warn!(%from, %reason, "refused a connection");
            refuse(&mut writer, &reason, max).await;
            return;
        }
    };
    let generation = node.next_generation();
    match peer.admit(info.node, node.id(), generation) {
        Admission::Duplicate => refuse(&mut writer, DUPLICATE, max).await,
        Admission::Accept(replaced) => {
            if let Err(reason) = send(&mut writer, &Handshake::Ready, max).await {
                peer.ended(generation, &reason);
                return;
            }
            if let Some(old) = replaced {
                // The node restarted: everything tied to its old run is gone.
                transport::connection_lost(node.system(), old);
            }
            tracing::debug!(peer = %info.address, name = %info.name, "accepted a connection");
            run(node, peer, generation, info.node, reader, writer);
        }
    }
}

/// What the tasks of one connection share.
struct Link {
    node: Arc<NodeShared>,
    peer: Arc<PeerHandle>,
    generation: u64,
    peer_node: NodeId,
    /// Frames received so far. A count rather than a time: reading the
    /// clock for every frame was a tenth of a one-way call's cost on the
    /// receiving node; the heartbeat notes when the count moves.
    received: AtomicU64,
    /// The write side, shared by the writer task and crowded senders.
    socket: Arc<Socket>,
}

impl Link {
    fn end(&self, reason: &str) {
        self.peer.ended(self.generation, reason);
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // The last of the connection's tasks is done with it.
        self.node.traffic.closed();
    }
}

fn run(
    node: Arc<NodeShared>,
    peer: Arc<PeerHandle>,
    generation: u64,
    peer_node: NodeId,
    reader: Reader,
    writer: Writer,
) {
    let socket = Socket::new(writer, node.traffic.clone());
    if !peer.attach(generation, socket.clone()) {
        // Replaced or ended already: dropping the stream closes it.
        return;
    }
    node.traffic.opened();
    let link = Arc::new(Link {
        received: AtomicU64::new(0),
        socket,
        node,
        peer,
        generation,
        peer_node,
    });
    let tasks = vec![
        link.node.spawn(reader::read_loop(link.clone(), reader)),
        link.node.spawn(write_loop(link.clone())),
        link.node.spawn(heartbeat(link.clone())),
    ];
    link.peer.set_tasks(generation, tasks);
}

async fn write_loop(link: Arc<Link>) {
    if let Err(error) = link.peer.outbox.write_loop(&link.socket).await {
        link.end(&format!("write failed: {error}"));
    }
}

async fn heartbeat(link: Arc<Link>) {
    let config = &link.node.config;
    let mut ticks = link.node.clock().interval(config.heartbeat_interval);
    // The writers' progress when the heartbeat last saw it change, and when.
    let mut progress = link.socket.progress();
    let mut progressed_at = link.node.now_millis();
    // Likewise for the frames received.
    let mut received = 0;
    let mut received_at = progressed_at;
    loop {
        ticks.tick().await;
        let now = link.node.now_millis();
        if link.received.load(Ordering::Relaxed) != received {
            received = link.received.load(Ordering::Relaxed);
            received_at = now;
        }
        let silent = now.saturating_sub(received_at);
        if Duration::from_millis(silent) > config.heartbeat_timeout {
            // In the inbound turn: frames the reader acted on while this
            // task waited for it were heard.
            let turn = link.peer.inbound();
            if link.received.load(Ordering::Relaxed) == received {
                let reason = format!("no heartbeat for {:?}", Duration::from_millis(silent));
                link.peer.ended_in_turn(&turn, link.generation, &reason);
                return;
            }
        }
        // A peer that sends but never reads would otherwise keep the
        // connection alive while what is queued for it grows up to the
        // outbox's bound: the writer making no progress for as long as the
        // heartbeat timeout ends it like silence does.
        if link.socket.progress() != progress {
            progress = link.socket.progress();
            progressed_at = now;
        }
        let stuck = now.saturating_sub(progressed_at);
        if link.peer.outbox.is_writing() && Duration::from_millis(stuck) > config.heartbeat_timeout
        {
            let reason = format!(
                "the node does not read what is sent to it (nothing written for {:?})",
                Duration::from_millis(stuck)
            );
            tracing::warn!(peer = %link.peer.address(), %reason, "dropping a connection");
            link.end(&reason);
            return;
        }
        link.peer.send_if_connected(&Frame::Ping);
        // A burst queued by a sender that then computes without yielding
        // leaves the writer task waiting behind it: this task (which may
        // run on another worker) writes what waits, the ping included,
        // unless a writer is at it.
        link.peer.outbox.relieve_on_tick(&link.socket);
        link.peer.sweep();
    }
}

/// Whether a signal's sender is on the node at the other end (a peer may
/// only speak for its own actors).
pub fn sent_from(signal: &RemoteSignal, node: NodeId) -> bool {
    let sender = match signal {
        RemoteSignal::Link { from, .. } | RemoteSignal::Exit { from, .. } => from.id().node(),
        RemoteSignal::Unlink { from, .. } => from.node(),
        RemoteSignal::Monitor { watcher, .. } => watcher.id().node(),
        RemoteSignal::Demonitor { watcher, .. } => watcher.node(),
        RemoteSignal::Down { actor, .. } => actor.id().node(),
        RemoteSignal::Stop { .. } | RemoteSignal::Kill { .. } => return true,
    };
    sender == node
}

#[cfg(test)]
mod tests {
    use super::buffer::{Partial, Whole};
    use super::*;

    fn framed(bytes: &[u8], max_frame: usize) -> Result<(bool, usize), String> {
        frame_length(bytes, max_frame).map(|framed| match framed {
            Whole(length) => (true, length),
            Partial(wanted) => (false, wanted),
        })
    }

    #[test]
    fn the_reader_finds_whole_frames_and_waits_for_the_rest() {
        assert_eq!(framed(&[], 16), Ok((false, 4)));
        assert_eq!(framed(&[0, 0], 16), Ok((false, 2)));
        assert_eq!(framed(&[0, 0, 0, 3, 9], 16), Ok((false, 2)));
        assert_eq!(framed(&[0, 0, 0, 3, 9, 9, 9, 0, 0], 16), Ok((true, 3)));
        assert_eq!(framed(&[0, 0, 0, 0], 16), Ok((true, 0)));
    }

    #[test]
    fn a_frame_over_the_limit_is_refused_before_it_arrives() {
        let reason = framed(&(1_u32 << 30).to_be_bytes(), 16).unwrap_err();
        assert!(reason.contains("frame size too big"), "{reason}");
        assert!(framed(&u32::MAX.to_be_bytes(), usize::MAX).is_ok());
    }

    #[test]
    fn a_frame_of_exactly_the_limit_is_taken_and_one_byte_more_is_not() {
        let mut at_limit = 16_u32.to_be_bytes().to_vec();
        at_limit.extend([7; 16]);
        assert_eq!(framed(&at_limit, 16), Ok((true, 16)));
        assert!(framed(&17_u32.to_be_bytes(), 16).is_err());
    }
}
