//! The reader of a connection: reads whatever has arrived into one buffer
//! and acts on every whole frame in it, in order, decoding each where it
//! lies (no frame is split off the buffer; only an unfinished one moves,
//! when room is made). Calls in one read to the same actor look it up
//! once and are queued together (`Recipients`).
//!
//! The reader acts on what it read in the peer's inbound turn
//! (`PeerHandle::inbound`), taken for each poll and let go only after
//! the calls it staged are queued. Ending or replacing the connection
//! takes the turn too, so the calls the reader acted on are queued
//! before the links and monitors that crossed the connection fire,
//! whichever task ends it; a reader whose connection is no longer the
//! peer's acts on nothing more, and what it had read but not acted on is
//! dropped with the connection.

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use actium_core::Error;
use actium_core::transport::{self, Response, TraceContext};
use bytes::{Buf, BytesMut};
use tokio::io::AsyncReadExt;

use super::buffer::{MOST_ROOM, Partial, Whole, make_room};
use super::{Link, Reader, frame_length, sent_from};
use crate::peer::Responder;
use crate::wire::{self, Frame};

pub(super) async fn read_loop(link: Arc<Link>, reader: Reader) {
    // The handshake's reader may hold the first frames already. Its
    // buffer starts at a frame's length prefix only because the handshake
    // ended on a whole frame (`next()` returned it): the codec keeps a
    // prefix it has read in its own state, so the handshake must not poll
    // the reader again after its last frame.
    let parts = reader.into_parts();
    let mut io = parts.io;
    let mut buffer = parts.read_buf;
    let mut pass = Pass {
        max_frame: link.node.config.max_frame,
        max_decoded: link.node.config.max_decoded,
        recipients: transport::Recipients::default(),
        start: 0,
        received: 0,
        whole: 0,
    };
    // Whether a frame over `MOST_ROOM` went through the buffer since it
    // was last made small.
    let mut large = false;
    let reason = 'connection: loop {
        pass.start = 0;
        let wanted = match poll_fn(|cx| pass.poll_frames(&link, &buffer, &mut large, cx)).await {
            Ended::Wanted(wanted) => wanted,
            // Ended or replaced by another task, which fired what it had
            // to: nothing more of this connection is acted on.
            Ended::Gone => {
                let peer = link.peer.address();
                tracing::debug!(%peer, "the connection was ended or replaced: its reader stops");
                return;
            }
            Ended::Unframed(reason) => {
                tracing::warn!(peer = %link.peer.address(), %reason, "dropping a connection");
                break 'connection reason;
            }
            Ended::Closing(Closing::Idle) => {
                tracing::debug!(peer = %link.peer.address(), "the node closed an idle connection");
                link.peer.went_idle(link.generation);
                return;
            }
            Ended::Closing(Closing::Bye(reason)) => {
                break 'connection format!("closed by the node: {reason}");
            }
            Ended::Closing(Closing::Violation(reason)) => {
                // What came before the bad frame went on before the
                // wait, while the connection is still this node's.
                say_goodbye(&link, &reason).await;
                break 'connection format!("protocol violation: {reason}");
            }
        };
        buffer.advance(pass.start);
        make_room(&mut buffer, wanted, &mut large);
        match io.read_buf(&mut buffer).await {
            Ok(0) if buffer.is_empty() => break "the connection was closed".to_owned(),
            Ok(0) => {
                let reason = "unreadable frame: bytes remaining on stream".to_owned();
                tracing::warn!(peer = %link.peer.address(), %reason, "dropping a connection");
                break reason;
            }
            Ok(_) => {}
            Err(error) => {
                let reason = format!("unreadable frame: {error}");
                tracing::warn!(peer = %link.peer.address(), %reason, "dropping a connection");
                break reason;
            }
        }
    };
    link.end(&reason);
}

/// How many small frames one unit of Tokio's cooperative budget pays
/// for: with Tokio's 128 units a poll, the reader acts on up to 2,048
/// small frames before it yields (about a hundred microseconds: reading
/// and staging a call takes some tens of nanoseconds; the calls' methods
/// run in their actors' tasks, not here).
const FRAMES_PER_UNIT: u32 = 16;

/// The largest frame that costs less than a whole unit: a call with a few
/// small arguments. Acting on a frame costs about its length in decoding,
/// so a bigger one pays a unit of its own.
const SMALL_FRAME: usize = 256;

/// The reader's share of Tokio's cooperative budget, within one poll: one
/// unit pays for up to [`FRAMES_PER_UNIT`] small frames, and a frame
/// bigger than [`SMALL_FRAME`] bytes ends the unit it is paid from, not
/// one frame per unit as a channel's receive does. Each yield costs the
/// worker a look for other work, a poll of the I/O driver and often the
/// wake-up of a parked worker (microseconds on this project's machines);
/// once per 128 small calls, that was about a fifth of a remote tell's
/// cost (`docs/BENCHMARKS.md`).
#[derive(Default)]
struct Credit {
    /// Frames the unit spent last may still pay for.
    frames: u32,
}

impl Credit {
    /// Pays for acting on a frame of `length` bytes; pending, with the
    /// task woken to go on later, once the poll's budget is spent.
    fn poll_frame(&mut self, length: usize, cx: &mut Context<'_>) -> Poll<()> {
        if self.frames == 0 {
            let unit = std::task::ready!(tokio::task::coop::poll_proceed(cx));
            unit.made_progress();
            self.frames = FRAMES_PER_UNIT;
        }
        self.frames = if length > SMALL_FRAME {
            0
        } else {
            self.frames - 1
        };
        Poll::Ready(())
    }
}

/// The reader's state across the polls of its passes.
struct Pass {
    max_frame: usize,
    max_decoded: usize,
    /// The last call's actor, and the calls not yet queued.
    recipients: transport::Recipients,
    /// Where in the buffer the next frame starts.
    start: usize,
    /// Frames received on the connection.
    received: u64,
    /// Bytes of whole frames read and not yet counted.
    whole: usize,
}

/// How a pass over the buffer ended.
enum Ended {
    /// Every whole frame was acted on; the next one needs this many more
    /// bytes.
    Wanted(usize),
    /// The next frame's length breaks the protocol.
    Unframed(String),
    /// The connection is no longer the peer's.
    Gone,
    /// A frame ended the connection.
    Closing(Closing),
}

impl Pass {
    /// Acts on the whole frames of `buffer` from `start`, in the peer's
    /// inbound turn and while the connection is the peer's, spending
    /// Tokio's cooperative budget as it goes ([`Credit`]): a peer that
    /// floods the connection costs no socket read for frames already
    /// read, so without it this task would run for seconds, and a task it
    /// wakes on this worker (the writer, in the worker's unstealable LIFO
    /// slot) would wait as long. Pending once the budget is spent, to go
    /// on from `start` at the next poll. Every way out queues the calls
    /// read first (`settle`): actors may exit while this task waits.
    fn poll_frames(
        &mut self,
        link: &Link,
        buffer: &BytesMut,
        large: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Ended> {
        let _turn = link.peer.inbound();
        if !link.peer.is_current(link.generation) {
            return Poll::Ready(Ended::Gone);
        }
        let mut credit = Credit::default();
        // One decoding limit for all the frames of the pass, rather than
        // one set and restored per frame (`None`: Tokio's cooperative
        // budget is spent).
        let ended = transport::with_decode_limit(self.max_decoded, || {
            loop {
                let length = match frame_length(&buffer[self.start..], self.max_frame) {
                    Ok(Whole(length)) => length,
                    Ok(Partial(wanted)) => break Some(Ended::Wanted(wanted)),
                    Err(reason) => break Some(Ended::Unframed(reason)),
                };
                if credit.poll_frame(length, cx).is_pending() {
                    break None;
                }
                let bytes = &buffer[self.start + wire::PREFIX..self.start + wire::PREFIX + length];
                self.start += wire::PREFIX + length;
                *large |= length > MOST_ROOM;
                // Bytes of whole frames, as the node's counter promises (a
                // frame that never arrived whole is not counted), added to it
                // once per pass over the buffer.
                self.whole += wire::PREFIX + length;
                // This task alone writes the count: a store, not an add.
                self.received += 1;
                link.received.store(self.received, Ordering::Relaxed);
                if let Err(closing) = dispatch(link, bytes, &mut self.recipients, &mut self.whole) {
                    break Some(Ended::Closing(closing));
                }
            }
        });
        settle(link, &mut self.recipients, &mut self.whole);
        match ended {
            Some(ended) => Poll::Ready(ended),
            None => Poll::Pending,
        }
    }
}

/// Before the reader waits or yields: queues the calls `recipients` holds,
/// lets go of its actor, and counts the bytes of whole frames (`whole`).
fn settle(link: &Link, recipients: &mut transport::Recipients, whole: &mut usize) {
    link.node.traffic.received(std::mem::take(whole));
    if let Err(error) = recipients.forget() {
        log_undelivered(link, "?", &error);
    }
}

/// Tells a peer that broke the protocol why its connection is dropped,
/// and lets the goodbye reach it (for a second at most).
async fn say_goodbye(link: &Link, reason: &str) {
    tracing::warn!(peer = %link.peer.address(), %reason, "dropping a connection that broke the protocol");
    link.peer.send_if_connected(&Frame::Bye {
        reason: reason.into(),
    });
    let drained = link.peer.outbox.drained();
    let _ = link
        .node
        .clock()
        .timeout(Duration::from_secs(1), drained)
        .await;
}

/// Why the reader stops.
enum Closing {
    /// The peer closed the connection for being idle.
    Idle,
    /// The peer said goodbye.
    Bye(String),
    /// The peer broke the protocol.
    Violation(String),
}

/// Acts on one frame; `recipients` keeps the last call's actor and calls
/// not yet queued, `whole` the bytes of whole frames not yet counted.
fn dispatch(
    link: &Link,
    bytes: &[u8],
    recipients: &mut transport::Recipients,
    whole: &mut usize,
) -> Result<(), Closing> {
    // Nearly every frame under load: a call without a trace context, acted
    // on from its parts. A `Frame` built on the stack and moved on was
    // copied wide just after it was written narrow, and the reader waited
    // on those stores (`docs/BENCHMARKS.md`).
    if let Some(call) = wire::call::read_parts(bytes) {
        link.peer.touch();
        if !recipients.keeps(call.to) {
            push_staged(link, recipients, whole);
        }
        deliver(link, recipients, call, None);
        return Ok(());
    }
    // Nearly every other frame: an answer to one of this node's asks,
    // read by hand too (through postcard's `Frame` it was about 8 % of the
    // stretch from an answer's read to the next ask's write,
    // `docs/BENCHMARKS.md`). The calls staged go first, as before any
    // frame that is not a call.
    if let Some((id, value)) = wire::call::read_reply(bytes) {
        link.peer.touch();
        push_staged(link, recipients, whole);
        link.peer
            .answered(id, Response::Value(value), link.node.system());
        return Ok(());
    }
    // Anything else: `read_frame` without the hand-written readers that
    // just failed.
    let frame = wire::read_other(bytes)
        .map_err(|error| Closing::Violation(format!("malformed frame: {error}")))?;
    if !matches!(frame, Frame::Ping | Frame::Pong) {
        link.peer.touch();
    }
    let node = &link.node;
    let system = node.system();
    if !frame.joins_run_to(recipients) {
        push_staged(link, recipients, whole);
    }
    match frame {
        Frame::Tell {
            to,
            method,
            payload,
            trace,
        } => {
            let call = wire::call::Parts {
                id: None,
                to,
                method,
                payload,
            };
            deliver(link, recipients, call, trace.as_ref());
        }
        Frame::Ask {
            id,
            to,
            method,
            payload,
            trace,
        } => {
            let call = wire::call::Parts {
                id: Some(id),
                to,
                method,
                payload,
            };
            deliver(link, recipients, call, trace.as_ref());
        }
        Frame::Reply { id, response } => link.peer.answered(id, response, system),
        Frame::Signal(signal) => {
            if !sent_from(&signal, link.peer_node) {
                return Err(Closing::Violation(format!(
                    "a signal that claims to come from another node: {}",
                    wire::from_peer(&format!("{signal:?}"))
                )));
            }
            if signal.receiver().node() == node.id() {
                transport::apply(system, link.peer.clone(), signal);
            }
        }
        Frame::Request { id, request } => {
            let answer = node.answer(request);
            link.peer.send_if_connected(&Frame::Answer { id, answer });
        }
        Frame::Answer { id, answer } => link.peer.request_answered(id, answer),
        Frame::Ping => link.peer.send_if_connected(&Frame::Pong),
        Frame::Pong => {}
        Frame::Bye { reason } if reason == wire::IDLE => return Err(Closing::Idle),
        Frame::Bye { reason } => return Err(Closing::Bye(wire::from_peer(&reason))),
    }
    Ok(())
}

/// Queues the calls staged and counts the bytes before them, before a
/// frame that does not join their run is acted on (a snapshot request
/// among others).
fn push_staged(link: &Link, recipients: &mut transport::Recipients, whole: &mut usize) {
    link.node.traffic.received(std::mem::take(whole));
    if let Err(error) = recipients.push() {
        log_undelivered(link, "?", &error);
    }
}

/// Delivers a call to its actor if it is of this node's current run; a
/// request-reply's (`call.id`) is answered over this connection, with
/// `Stopped` for an actor of another run.
#[inline(always)]
fn deliver(
    link: &Link,
    recipients: &mut transport::Recipients,
    call: wire::call::Parts<'_>,
    trace: Option<&TraceContext>,
) {
    let node = &link.node;
    let wire::call::Parts {
        id,
        to,
        method,
        payload,
    } = call;
    let responder = id.map(|id| {
        Box::new(Responder {
            peer: link.peer.clone(),
            id,
        })
    });
    if to.node() != node.id() {
        match responder {
            Some(responder) => {
                use actium_core::transport::Respond;
                responder.respond(Response::Stopped);
            }
            None => {
                tracing::debug!(%to, method, "a one-way call for an actor of another run of this node")
            }
        }
        return;
    }
    let responder = responder.map(|responder| responder as actium_core::transport::Responder);
    if let Err(error) = recipients.deliver(node.system(), to, method, payload, responder, trace) {
        log_undelivered(link, method, &error);
    }
}

fn log_undelivered(link: &Link, method: &str, error: &Error) {
    match error {
        Error::ActorStopped { .. } => {
            tracing::debug!(peer = %link.peer.address(), method, %error, "call to a stopped actor");
        }
        _ => tracing::warn!(peer = %link.peer.address(), method, %error, "call not delivered"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;
    use std::task::Waker;

    use actium_core::{NodeId, System};

    use super::*;
    use crate::node::Node;
    use crate::outbox::memory_socket;
    use crate::peer::{Admission, PeerHandle};

    /// `count` heartbeat frames, as they arrive on the wire.
    fn pings(count: usize) -> BytesMut {
        let mut bytes = BytesMut::new();
        for _ in 0..count {
            wire::write_frame(&mut bytes, &Frame::Ping, wire::DEFAULT_MAX_FRAME)
                .expect("a ping encodes");
        }
        bytes
    }

    /// A node, and a link to a peer it admitted, over an in-memory stream.
    struct Fixture {
        system: System,
        node: Node,
        peer: Arc<PeerHandle>,
        link: Link,
    }

    impl Fixture {
        fn new() -> Self {
            let system = System::builder().start().expect("a test system starts");
            let node = system
                .block_on(
                    Node::builder()
                        .system(system.handle())
                        .listen("tcp://127.0.0.1:0")
                        .cookie("reader test")
                        .start(),
                )
                .expect("a node starts");
            let shared = node.shared().clone();
            let peer = shared.peer_for("tcp://127.0.0.1:1").expect("a peer");
            let other = NodeId::from_u64(7);
            assert!(matches!(
                peer.admit(other, shared.id(), 1),
                Admission::Accept(None)
            ));
            let (socket, _far) = memory_socket(shared.traffic.clone());
            let link = Link {
                socket,
                node: shared,
                peer: peer.clone(),
                generation: 1,
                peer_node: other,
                received: AtomicU64::new(0),
            };
            Fixture {
                system,
                node,
                peer,
                link,
            }
        }

        fn received(&self) -> u64 {
            self.link.received.load(Ordering::Relaxed)
        }

        fn shutdown(self) {
            drop(self.link);
            self.node.shutdown();
            self.system.shutdown();
        }
    }

    fn pass() -> Pass {
        Pass {
            max_frame: wire::DEFAULT_MAX_FRAME,
            max_decoded: wire::DEFAULT_MAX_FRAME,
            recipients: transport::Recipients::default(),
            start: 0,
            received: 0,
            whole: 0,
        }
    }

    /// A reader acts on frames while its connection is the peer's; once
    /// another task ended it (which takes the inbound turn), its next
    /// poll acts on nothing more.
    #[test]
    fn a_reader_whose_connection_ended_acts_on_nothing_more() {
        let fixture = Fixture::new();
        let link = &fixture.link;
        let mut pass = pass();
        let mut cx = Context::from_waker(Waker::noop());
        let mut large = false;

        let read = pings(3);
        let ended = pass.poll_frames(link, &read, &mut large, &mut cx);
        assert!(matches!(ended, Poll::Ready(Ended::Wanted(_))));
        assert_eq!(fixture.received(), 3);

        fixture.peer.ended(1, "ended by another task");
        let read = pings(2);
        pass.start = 0;
        let ended = pass.poll_frames(link, &read, &mut large, &mut cx);
        assert!(matches!(ended, Poll::Ready(Ended::Gone)));
        assert_eq!(fixture.received(), 3, "no frame acted on");
        fixture.shutdown();
    }

    /// How many frames of `length` bytes one poll of a Tokio task pays
    /// for (Tokio gives a task's poll 128 units).
    fn frames_paid_in_one_poll(length: usize) -> u32 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let paid = runtime.spawn(std::future::poll_fn(move |cx| {
            let mut credit = Credit::default();
            let mut paid = 0;
            while credit.poll_frame(length, cx).is_ready() {
                paid += 1;
            }
            Poll::Ready(paid)
        }));
        runtime.block_on(paid).expect("the task ends")
    }

    #[test]
    fn a_poll_pays_for_sixteen_small_frames_a_unit_and_one_big_one() {
        assert_eq!(frames_paid_in_one_poll(20), 128 * FRAMES_PER_UNIT);
        assert_eq!(frames_paid_in_one_poll(SMALL_FRAME), 128 * FRAMES_PER_UNIT);
        assert_eq!(frames_paid_in_one_poll(SMALL_FRAME + 1), 128);
    }

    /// A flood of frames already read does not keep the reader from
    /// yielding: it acts on 2,048 small frames a poll, then goes on
    /// where it stopped, and every frame is acted on once.
    #[test]
    fn a_reader_yields_after_a_polls_worth_of_frames_and_goes_on() {
        let fixture = Fixture::new();
        let read = pings(5_000);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let mut pass = pass();
        let mut large = false;
        let mut seen = Vec::new();
        let link = &fixture.link;
        runtime.block_on(async {
            std::future::poll_fn(|cx| {
                let ended = pass.poll_frames(link, &read, &mut large, cx);
                seen.push(fixture.received());
                ended.map(|ended| assert!(matches!(ended, Ended::Wanted(_))))
            })
            .await;
        });
        assert_eq!(seen, [2_048, 4_096, 5_000]);
        fixture.shutdown();
    }
}
