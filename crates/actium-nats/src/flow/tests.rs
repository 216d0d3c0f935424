//! The streams' bookkeeping alone: numbering, batching, the window, and
//! what the receiving end makes of gaps.

use super::*;
use crate::envelope::{Message, Seal, decode};
use actium_core::ActorId;

fn limits(frames: u64, bytes: usize, sealed: bool) -> Limits {
    Limits {
        from: NodeId::from_u64(7),
        window: Window { frames, bytes },
        max_message: 1024 * 1024,
        sealed,
    }
}

fn tell(payload: &[u8]) -> Frame<'_> {
    Frame::Tell {
        to: ActorId::new(NodeId::from_u64(9), 3),
        method: "count",
        payload,
        trace: None,
    }
}

/// The next batch, finished.
fn take(
    sending: &mut Sending,
    generation: Option<u64>,
    limits: &Limits,
    seal: &Seal,
) -> Option<Finished> {
    let batch = sending.take(generation, limits)?;
    let more = batch.more;
    Some(Finished {
        bytes: batch.finish(seal, "s"),
        more,
    })
}

struct Finished {
    bytes: bytes::Bytes,
    more: bool,
}

/// Pushes the numbers `range` as tells.
fn push_all(sending: &mut Sending, limits: &Limits, range: std::ops::Range<u64>) {
    for i in range {
        sending.push(&tell(&i.to_be_bytes()), limits).unwrap();
    }
}

/// The epoch, first sequence number, whether it asks for an
/// acknowledgement, and the numbers it carries.
fn open(bytes: &[u8], seal: &Seal) -> (u32, u64, bool, Vec<u64>) {
    let (_, message) = decode(bytes, seal, "s").unwrap();
    let Message::Batch {
        epoch,
        first,
        ask_ack,
        frames,
    } = message
    else {
        panic!("not a batch")
    };
    let numbers = frames
        .map(|frame| match frame.unwrap() {
            Frame::Tell { payload, .. } => u64::from_be_bytes(payload.try_into().unwrap()),
            other => panic!("{other:?}"),
        })
        .collect();
    (epoch, first, ask_ack, numbers)
}

#[test]
fn frames_go_in_numbered_batches_within_the_window() {
    let limits = limits(8, 1 << 20, false);
    let seal = Seal::default();
    let mut sending = Sending::new();
    let mut receiving = Receiving::default();
    // A quarter window per batch: 2 frames.
    let pushed = sending.push(&tell(&0_u64.to_be_bytes()), &limits).unwrap();
    assert_eq!(pushed.wake, Some(0), "the idle stream wakes the writer");
    push_all(&mut sending, &limits, 1..20);
    let mut delivered = Vec::new();
    while let Some(batch) = take(&mut sending, Some(0), &limits, &seal) {
        let (epoch, first, _, numbers) = open(&batch.bytes, &seal);
        assert_eq!(
            receiving.arrive(epoch, first, numbers.len() as u64),
            Arrival::Accept
        );
        delivered.extend(numbers);
    }
    // The window (8 frames) is full: the stream waits for credit.
    assert_eq!(delivered, (0..8).collect::<Vec<_>>());
    assert_eq!(sending.acked(1, 4), Some(0), "credit wakes the writer");
    assert_eq!(sending.acked(1, 4), None, "a duplicate changes nothing");
    assert_eq!(sending.acked(1, 99), None, "past what was sent: bogus");
    while let Some(batch) = take(&mut sending, Some(0), &limits, &seal) {
        let (epoch, first, _, numbers) = open(&batch.bytes, &seal);
        assert_eq!(
            receiving.arrive(epoch, first, numbers.len() as u64),
            Arrival::Accept
        );
        delivered.extend(numbers);
    }
    assert_eq!(delivered, (0..12).collect::<Vec<_>>());
    assert_eq!(receiving.acknowledgement(), (1, 12));
}

#[test]
fn a_batch_asks_for_an_acknowledgement_every_quarter_window() {
    let limits = limits(64, 1 << 20, true);
    let seal = Seal::with_secret(b"k");
    let mut sending = Sending::new();
    push_all(&mut sending, &limits, 0..64);
    let mut asks = Vec::new();
    while let Some(batch) = take(&mut sending, Some(0), &limits, &seal) {
        let (_, first, ask, numbers) = open(&batch.bytes, &seal);
        assert_eq!(numbers.len(), 16);
        asks.push((first, ask));
    }
    assert_eq!(asks, [(1, true), (17, true), (33, true), (49, true)]);
}

#[test]
fn large_frames_make_small_batches_and_oversize_frames_are_refused() {
    let mut limits = limits(1000, 1 << 20, false);
    limits.max_message = 4096;
    let seal = Seal::default();
    let mut sending = Sending::new();
    let big = vec![7_u8; 3000];
    sending.push(&tell(&big), &limits).unwrap();
    sending.push(&tell(&big), &limits).unwrap();
    let before = sending.buffered();
    let huge = vec![7_u8; 5000];
    assert!(sending.push(&tell(&huge), &limits).is_err());
    assert_eq!(sending.buffered(), before, "a refused frame leaves nothing");
    let first = take(&mut sending, Some(0), &limits, &seal).unwrap();
    assert!(first.more);
    assert!(first.bytes.len() <= limits.max_message);
    let (_, message) = decode(&first.bytes, &seal, "s").unwrap();
    assert!(matches!(message, Message::Batch { frames, .. } if frames.frame_count() == 1));
}

#[test]
fn a_lost_batch_is_a_gap_and_the_next_epoch_starts_over() {
    let limits = limits(8, 1 << 20, false);
    let seal = Seal::default();
    let mut sending = Sending::new();
    let mut receiving = Receiving::default();
    push_all(&mut sending, &limits, 0..6);
    let one = take(&mut sending, Some(0), &limits, &seal).unwrap();
    let _lost = take(&mut sending, Some(0), &limits, &seal).unwrap();
    let three = take(&mut sending, Some(0), &limits, &seal).unwrap();
    let (epoch, first, _, numbers) = open(&one.bytes, &seal);
    assert_eq!(
        receiving.arrive(epoch, first, numbers.len() as u64),
        Arrival::Accept
    );
    let (epoch, first, _, numbers) = open(&three.bytes, &seal);
    let gap = receiving.arrive(epoch, first, numbers.len() as u64);
    assert_eq!(
        gap,
        Arrival::Gap("frames 3..5 of epoch 1 never arrived".to_owned())
    );
    // The rest of the broken epoch is dropped, probes of it too.
    assert_eq!(receiving.arrive(1, 7, 1), Arrival::Stale { current: 1 });
    assert_eq!(receiving.probed(1, 7), Arrival::Stale { current: 1 });
    // The sender learns of it and starts epoch 2 from 1; the stale writer
    // request is ignored.
    assert_eq!(sending.reset(), (0, 0));
    push_all(&mut sending, &limits, 100..101);
    assert!(take(&mut sending, Some(0), &limits, &seal).is_none());
    let next = take(&mut sending, Some(1), &limits, &seal).unwrap();
    let (epoch, first, _, numbers) = open(&next.bytes, &seal);
    assert_eq!((epoch, first, numbers.clone()), (2, 1, vec![100]));
    assert_eq!(receiving.arrive(epoch, first, 1), Arrival::Accept);
    // A repeated batch (a replay) is dropped, and breaks nothing.
    assert_eq!(receiving.arrive(2, 1, 1), Arrival::Duplicate);
    assert_eq!(receiving.arrive(2, 2, 1), Arrival::Accept);
}

#[test]
fn a_probe_finds_a_lost_tail_or_gets_an_acknowledgement() {
    let limits = limits(8, 1 << 20, false);
    let seal = Seal::default();
    let mut sending = Sending::new();
    let mut receiving = Receiving::default();
    assert_eq!(sending.probe(), None, "nothing in flight");
    push_all(&mut sending, &limits, 0..2);
    let batch = take(&mut sending, Some(0), &limits, &seal).unwrap();
    let (epoch, first, _, numbers) = open(&batch.bytes, &seal);
    assert_eq!(
        receiving.arrive(epoch, first, numbers.len() as u64),
        Arrival::Accept
    );
    let (epoch, sent) = sending.probe().unwrap();
    assert_eq!(receiving.probed(epoch, sent), Arrival::Accept);
    let (epoch, seq) = receiving.acknowledgement();
    assert_eq!(sending.acked(epoch, seq), None);
    assert_eq!(sending.probe(), None, "all acknowledged");
    // The next batch is lost: the probe says so.
    push_all(&mut sending, &limits, 2..3);
    let _lost = take(&mut sending, Some(0), &limits, &seal).unwrap();
    let (epoch, sent) = sending.probe().unwrap();
    assert!(matches!(receiving.probed(epoch, sent), Arrival::Gap(_)));
}

#[test]
fn leaving_publishes_past_the_window() {
    let limits = limits(2, 1 << 20, false);
    let seal = Seal::default();
    let mut sending = Sending::new();
    push_all(&mut sending, &limits, 0..5);
    let mut taken = 0;
    while take(&mut sending, Some(0), &limits, &seal).is_some() {
        taken += 1;
    }
    assert_eq!(taken, 2);
    while take(&mut sending, None, &limits, &seal).is_some() {
        taken += 1;
    }
    assert_eq!(taken, 5);
}

/// Finding 2 of the review: the heartbeat computes a probe, the writer
/// then publishes a batch, and the probe goes after it.
#[test]
fn a_probe_published_after_a_later_batch_is_harmless() {
    let limits = limits(64, 1 << 20, false);
    let seal = Seal::default();
    let mut sending = Sending::new();
    let mut receiving = Receiving::default();
    push_all(&mut sending, &limits, 0..1);
    let one = take(&mut sending, Some(0), &limits, &seal).unwrap();
    let probe = sending.probe().unwrap();
    push_all(&mut sending, &limits, 1..2);
    let two = take(&mut sending, Some(0), &limits, &seal).unwrap();
    for batch in [one, two] {
        let (epoch, first, _, numbers) = open(&batch.bytes, &seal);
        let arrival = receiving.arrive(epoch, first, numbers.len() as u64);
        assert_eq!(arrival, Arrival::Accept);
    }
    assert_eq!(receiving.probed(probe.0, probe.1), Arrival::Duplicate);
    // The stream goes on.
    push_all(&mut sending, &limits, 2..3);
    let three = take(&mut sending, Some(0), &limits, &seal).unwrap();
    let (epoch, first, _, numbers) = open(&three.bytes, &seal);
    assert_eq!(
        receiving.arrive(epoch, first, numbers.len() as u64),
        Arrival::Accept
    );
    assert_eq!(receiving.acknowledgement(), (1, 3));
}

/// Finding 5: an epoch no real sender reaches is refused and changes
/// nothing; a forged epoch within reach costs one reset, after which the
/// real sender's next epoch is above it.
#[test]
fn a_forged_epoch_does_not_wedge_the_stream() {
    let limits = limits(64, 1 << 20, false);
    let seal = Seal::default();
    let mut sending = Sending::new();
    let mut receiving = Receiving::default();
    push_all(&mut sending, &limits, 0..1);
    let one = take(&mut sending, Some(0), &limits, &seal).unwrap();
    let (epoch, first, _, _) = open(&one.bytes, &seal);
    assert_eq!(receiving.arrive(epoch, first, 1), Arrival::Accept);
    assert_eq!(
        receiving.arrive(u32::MAX, 1, 1),
        Arrival::Refused { current: 1 }
    );
    assert_eq!(
        receiving.probed(u32::MAX, 9),
        Arrival::Refused { current: 1 }
    );
    assert_eq!(receiving.acknowledgement(), (1, 1));
    // Within reach: the receiver follows, the real sender is told.
    assert_eq!(receiving.arrive(5_000, 1, 1), Arrival::Accept);
    push_all(&mut sending, &limits, 1..2);
    let two = take(&mut sending, Some(0), &limits, &seal).unwrap();
    let (epoch, first, _, _) = open(&two.bytes, &seal);
    let Arrival::Stale { current } = receiving.arrive(epoch, first, 1) else {
        panic!("not stale")
    };
    assert_eq!(current, 5_000);
    sending.reset_above(current);
    assert_eq!(sending.epoch(), 5_001);
    push_all(&mut sending, &limits, 2..3);
    let next = take(&mut sending, Some(1), &limits, &seal).unwrap();
    let (epoch, first, _, numbers) = open(&next.bytes, &seal);
    assert_eq!((epoch, first, numbers), (5_001, 1, vec![2]));
    assert_eq!(receiving.arrive(epoch, first, 1), Arrival::Accept);
}

#[test]
fn an_epoch_in_which_nothing_was_published_is_not_spent() {
    let limits = limits(64, 1 << 20, false);
    let mut sending = Sending::new();
    sending.reset();
    sending.reset();
    assert_eq!(sending.epoch(), 1);
    push_all(&mut sending, &limits, 0..1);
    assert!(take(&mut sending, Some(2), &limits, &Seal::default()).is_some());
    sending.reset();
    assert_eq!(sending.epoch(), 2);
}

/// Finding 7: a large message that does not fit the credit left asks
/// for more at once, once, instead of waiting for the heartbeat's probe.
#[test]
fn a_send_blocked_on_credit_asks_for_it_at_once() {
    let limits = limits(64, 4096, false);
    let seal = Seal::default();
    let mut sending = Sending::new();
    let mut receiving = Receiving::default();
    // A small frame goes without asking (the window is far from closing).
    push_all(&mut sending, &limits, 0..1);
    let one = take(&mut sending, Some(0), &limits, &seal).unwrap();
    let (epoch, first, ask_ack, _) = open(&one.bytes, &seal);
    assert!(!ask_ack);
    assert_eq!(receiving.arrive(epoch, first, 1), Arrival::Accept);
    assert_eq!(sending.credit_request(), None);
    // Then a large one: past the window, and no acknowledgement asked for.
    sending.push(&tell(&[7; 4060]), &limits).unwrap();
    assert!(
        take(&mut sending, Some(0), &limits, &seal).is_none(),
        "the window is full"
    );
    let (epoch, sent) = sending.credit_request().expect("a credit request");
    assert_eq!(sending.credit_request(), None, "only once");
    assert_eq!(receiving.probed(epoch, sent), Arrival::Accept);
    let (epoch, seq) = receiving.acknowledgement();
    assert_eq!(sending.acked(epoch, seq), Some(0));
    assert!(take(&mut sending, Some(0), &limits, &seal).is_some());
}

/// Publishes what waits in `sending` and hands it to `receiving`: what
/// each batch came to.
fn deliver(sending: &mut Sending, receiving: &mut Receiving, generation: u64) -> Vec<Arrival> {
    let limits = limits(64, 1 << 20, false);
    let seal = Seal::default();
    let mut arrivals = Vec::new();
    while let Some(batch) = take(sending, Some(generation), &limits, &seal) {
        let (epoch, first, _, numbers) = open(&batch.bytes, &seal);
        arrivals.push(receiving.arrive(epoch, first, numbers.len() as u64));
    }
    arrivals
}

/// Issue 16, finding 1: the receiver still holds epoch 1 up to frame 3
/// of a stream whose sender forgot it (it went down, was forgotten, and
/// was made again). Before the fix the new stream started at epoch 1:
/// every frame up to 3 was dropped as a duplicate, its acknowledgement
/// of frame 3 ignored as bogus, and the window never opened again.
#[test]
fn a_stream_made_again_after_its_receiver_was_forgotten_is_taken() {
    let limits = limits(64, 1 << 20, false);
    let node = NodeId::from_u64(9);
    let mut receiving = Receiving::default();
    let mut sending = Sending::new();
    push_all(&mut sending, &limits, 0..3);
    assert_eq!(deliver(&mut sending, &mut receiving, 0), [Arrival::Accept]);
    // Down (the stream's epoch ends), then forgotten: its next epoch is
    // kept, and the stream made again starts there.
    sending.reset();
    let mut departed = crate::departed::Departed::default();
    departed.remember(node, sending.next_epoch());
    let mut again = Sending::resume(departed.take(node));
    push_all(&mut again, &limits, 3..4);
    assert_eq!(deliver(&mut again, &mut receiving, 0), [Arrival::Accept]);
    assert_eq!(receiving.acknowledgement(), (2, 1));

    // The memory lost it (full), and the random start met the epoch the
    // receiver remembers: the stream finds out from the first
    // acknowledgement, which is above what it sent; it starts over above
    // that epoch, and is taken.
    let mut receiving = Receiving::default();
    let mut sending = Sending::new();
    push_all(&mut sending, &limits, 0..3);
    deliver(&mut sending, &mut receiving, 0);
    let mut again = Sending::resume(1);
    push_all(&mut again, &limits, 3..4);
    assert_eq!(deliver(&mut again, &mut receiving, 0), [Arrival::Duplicate]);
    let (epoch, sent) = again.probe().expect("frames unacknowledged");
    assert_eq!(receiving.probed(epoch, sent), Arrival::Duplicate);
    let (epoch, seq) = receiving.acknowledgement();
    assert_eq!((epoch, seq), (1, 3));
    assert!(again.acks_beyond(epoch, seq), "above what it sent");
    assert_eq!(again.acked(epoch, seq), None);
    again.reset_above(epoch);
    push_all(&mut again, &limits, 4..5);
    assert_eq!(deliver(&mut again, &mut receiving, 1), [Arrival::Accept]);
    assert_eq!(receiving.acknowledgement(), (2, 1));
    // A genuine acknowledgement never says so.
    assert!(!again.acks_beyond(2, 1));
    assert!(!again.acks_beyond(1, 99), "another epoch's: ignored");
}

/// Issue 16 (the last review): a stream that reuses an epoch its receiver
/// remembers learnt so only from the heartbeat's probe, and a probe
/// whose count met the receiver's last was answered with an
/// acknowledgement not above what was sent: every frame lost, silently.
/// Now a duplicate batch that asks for an acknowledgement gets one, so
/// the first such batch tells the sender; a replay's acknowledgement
/// says nothing above what a real sender sent.
#[test]
fn a_duplicate_batch_that_asks_is_acknowledged() {
    let mut receiving = Receiving::default();
    let mut sending = Sending::new();
    push_all(&mut sending, &limits(64, 1 << 20, false), 0..3);
    deliver(&mut sending, &mut receiving, 0);
    // A window of one frame: each batch asks for an acknowledgement.
    let small = limits(1, 1 << 20, false);
    let seal = Seal::default();
    let mut again = Sending::resume(1);
    push_all(&mut again, &small, 3..5);
    let batch = take(&mut again, Some(0), &small, &seal).expect("a batch");
    let (epoch, first, ask_ack, numbers) = open(&batch.bytes, &seal);
    assert!(ask_ack, "the next batch waits for credit");
    let arrival = receiving.arrive(epoch, first, numbers.len() as u64);
    assert_eq!(arrival, Arrival::Duplicate);
    assert!(
        arrival.acknowledged(ask_ack),
        "a duplicate that asks is answered"
    );
    let (epoch, seq) = receiving.acknowledgement();
    assert!(again.acks_beyond(epoch, seq), "the sender learns at once");
    // What else is answered, and what is not.
    assert!(Arrival::Accept.acknowledged(true));
    assert!(!Arrival::Duplicate.acknowledged(false));
    assert!(!Arrival::Stale { current: 1 }.acknowledged(true));
    assert!(!Arrival::Refused { current: 1 }.acknowledged(true));
    // A replay of a batch the real sender published: its answer is no
    // news to that sender, and breaks nothing.
    assert_eq!(receiving.arrive(1, 1, 3), Arrival::Duplicate);
    let (epoch, seq) = receiving.acknowledgement();
    assert!(!sending.acks_beyond(epoch, seq));
}

/// Issue 16, finding 2 and its review: a forged reset naming an epoch
/// far ahead (a client of a cluster without a secret) moved the sender
/// to an epoch its receiver refuses as forged, for ever; then, ignoring
/// such resets, a batch forged far ahead made the receiver answer every
/// real batch with a reset the sender ignored (one break per epoch). Now
/// the sender follows a receiver far ahead in one step, and a receiver
/// that refuses its epoch brings it back just above the receiver's.
#[test]
fn a_forged_reset_far_ahead_does_not_wedge_the_stream() {
    let limits = limits(64, 1 << 20, false);
    let mut sending = Sending::new();
    let mut receiving = Receiving::default();
    push_all(&mut sending, &limits, 0..1);
    assert_eq!(deliver(&mut sending, &mut receiving, 0), [Arrival::Accept]);
    // Two forged resets in a row, the second from the epoch the first
    // moved the sender to: it ends at the top.
    sending.reset_above(MAX_EPOCH_STEP - 1);
    let epoch = sending.epoch();
    sending.reset_above(u32::MAX - 1);
    assert!(sending.epoch() > epoch);
    // The receiver refuses it and names its own epoch: one more break.
    push_all(&mut sending, &limits, 1..2);
    let refused = deliver(&mut sending, &mut receiving, 2);
    assert_eq!(refused, [Arrival::Refused { current: 1 }]);
    sending.reset_above(1);
    assert_eq!(sending.epoch(), 2);
    push_all(&mut sending, &limits, 2..3);
    assert_eq!(deliver(&mut sending, &mut receiving, 3), [Arrival::Accept]);
    // A batch forged far ahead moves the receiver: the sender's next
    // batch is stale, and the reset naming the receiver's epoch moves the
    // sender above it at once.
    let forged = 40_000;
    let mut forger = Sending::new();
    forger.reset_above(forged - 1);
    assert_eq!(forger.epoch(), forged);
    push_all(&mut forger, &limits, 0..1);
    assert_eq!(deliver(&mut forger, &mut receiving, 1), [Arrival::Accept]);
    push_all(&mut sending, &limits, 3..4);
    let stale = deliver(&mut sending, &mut receiving, 3);
    assert_eq!(stale, [Arrival::Stale { current: forged }]);
    sending.reset_above(forged);
    assert_eq!(sending.epoch(), forged + 1);
    push_all(&mut sending, &limits, 4..5);
    assert_eq!(deliver(&mut sending, &mut receiving, 4), [Arrival::Accept]);
}

/// Issue 16, finding 4: a broken epoch's reset is said again at a few
/// heartbeats, until the sender's next epoch arrives.
#[test]
fn a_broken_epoch_says_its_reset_again_a_few_times() {
    let mut receiving = Receiving::default();
    assert_eq!(receiving.reset_due(), None, "nothing received");
    assert_eq!(receiving.arrive(1, 1, 2), Arrival::Accept);
    assert_eq!(receiving.reset_due(), None, "not broken");
    assert!(matches!(receiving.arrive(1, 5, 1), Arrival::Gap(_)));
    for _ in 0..RESET_REPEATS {
        assert_eq!(receiving.reset_due(), Some(1));
    }
    assert_eq!(receiving.reset_due(), None, "bounded");
    receiving.break_epoch();
    assert_eq!(receiving.reset_due(), Some(1), "a new break says it again");
    assert_eq!(receiving.arrive(2, 1, 1), Arrival::Accept);
    assert_eq!(receiving.reset_due(), None, "the sender moved on");
}
