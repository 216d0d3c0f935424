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
    assert_eq!(receiving.arrive(1, 7, 1), Arrival::Stale);
    assert_eq!(receiving.probed(1, 7), Arrival::Stale);
    // The sender learns of it and starts epoch 2 from 1; the stale writer
    // request is ignored.
    assert_eq!(sending.reset(), (0, 0));
    push_all(&mut sending, &limits, 100..101);
    assert!(take(&mut sending, Some(0), &limits, &seal).is_none());
    let next = take(&mut sending, Some(1), &limits, &seal).unwrap();
    let (epoch, first, _, numbers) = open(&next.bytes, &seal);
    assert_eq!((epoch, first, numbers.clone()), (2, 1, vec![100]));
    assert_eq!(receiving.arrive(epoch, first, 1), Arrival::Accept);
    // A repeated batch is a gap too.
    assert!(matches!(receiving.arrive(2, 1, 1), Arrival::Gap(_)));
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
