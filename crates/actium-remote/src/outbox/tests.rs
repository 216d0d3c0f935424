use super::*;
use crate::node::Traffic;

/// An outbox attached to a socket over an in-memory stream, and the
/// stream's far end (the peer).
fn attached() -> (Outbox, Arc<Socket>, tokio::io::DuplexStream) {
    let outbox = Outbox::new(wire::DEFAULT_MAX_FRAME);
    let (socket, far) = memory_socket(Arc::new(Traffic::default()));
    outbox.attach(socket.clone());
    (outbox, socket, far)
}

/// A call to a made-up actor, queued in `outbox`: a request-reply's
/// request if it has an `id`.
fn call(outbox: &Outbox, id: Option<u64>) -> Crowded {
    let to = ActorId::new(actium_core::NodeId::from_u64(7), 1);
    match outbox.push_call(id, to, "echo", b"payload") {
        Ok(crowded) => crowded,
        Err(_) => panic!("the outbox refused a small call"),
    }
}

/// Whether `ready` holds a notification (the writer task would wake).
fn writer_woken(outbox: &Outbox) -> bool {
    use futures_util::FutureExt;
    outbox.ready.notified().now_or_never().is_some()
}

/// What the peer has received so far.
fn received(far: &mut tokio::io::DuplexStream) -> Vec<u8> {
    use futures_util::FutureExt;
    use tokio::io::AsyncReadExt;
    let mut bytes = vec![0; 4096];
    let n = far.read(&mut bytes).now_or_never().map_or(0, |read| {
        read.unwrap_or_else(|error| panic!("the in-memory stream failed: {error}"))
    });
    bytes.truncate(n);
    bytes
}

/// A request-reply's request queued in an idle outbox is its sender's
/// to write, and the writer task is not woken for it; one queued soon
/// after a write, or a one-way call, is the writer task's.
#[test]
fn an_idle_outbox_has_the_sender_write_its_request() {
    let (outbox, _socket, mut far) = attached();
    // Nothing taken for longer than `IDLE_AFTER`.
    std::thread::sleep(IDLE_AFTER * 2);

    let crowded = call(&outbox, Some(1));
    assert!(crowded.socket.is_some(), "the sender writes it");
    assert!(!writer_woken(&outbox), "the writer task sleeps on");
    outbox.relieve(crowded);
    let written = received(&mut far);
    assert!(!written.is_empty(), "written by the sender");
    assert!(!outbox.is_writing() && outbox.lock().bytes.is_empty());
    assert!(!writer_woken(&outbox), "nothing waits for the writer task");

    // Just taken (a moment in the future reads as none elapsed): the
    // next request may be one of a burst.
    outbox.lock().taken_at = Instant::now() + Duration::from_secs(3600);
    let crowded = call(&outbox, Some(2));
    assert!(crowded.socket.is_none(), "left to the writer task");
    assert!(writer_woken(&outbox));

    // A one-way call, however idle the outbox.
    let (outbox, _socket, _far) = attached();
    std::thread::sleep(IDLE_AFTER * 2);
    let crowded = call(&outbox, None);
    assert!(
        crowded.socket.is_none(),
        "one-way calls are the writer task's"
    );
    assert!(writer_woken(&outbox));
}

/// A sender that finds the socket's lock taken leaves the frame it meant
/// to write in an idle outbox to the writer task, and wakes it: its push
/// woke no one. A crowded outbox's sender does not: the holder takes what
/// waits before it lets go.
#[test]
fn an_idle_outbox_sender_that_cannot_write_wakes_the_writer_task() {
    let (outbox, socket, _far) = attached();
    std::thread::sleep(IDLE_AFTER * 2);
    let held = socket.side.try_lock();
    assert!(held.is_some(), "nobody else holds the socket");
    let crowded = call(&outbox, Some(1));
    assert!(crowded.idle && crowded.socket.is_some());
    assert!(!writer_woken(&outbox), "the push woke no one");
    outbox.relieve(crowded);
    assert!(writer_woken(&outbox), "the writer task is woken for it");
    assert!(!outbox.lock().bytes.is_empty(), "the frame waits for it");

    outbox.relieve(Crowded {
        socket: Some(socket.clone()),
        idle: false,
    });
    assert!(
        !writer_woken(&outbox),
        "a crowded outbox's holder writes it"
    );
}

/// `drained` resolves once a writer finds nothing left to take, and
/// stops counting itself among the waiters when it does.
#[test]
fn drained_resolves_when_a_writer_finds_nothing_left() {
    use futures_util::FutureExt;
    let (outbox, socket, mut far) = attached();
    assert!(matches!(
        outbox.push(&Frame::Ping),
        Ok(Crowded { socket: None, .. })
    ));
    let mut drained = Box::pin(outbox.drained());
    assert!((&mut drained).now_or_never().is_none(), "a ping waits");
    assert_eq!(outbox.lock().draining, 1);

    outbox.relieve(Crowded {
        socket: Some(socket),
        idle: false,
    });
    assert!(
        (&mut drained).now_or_never().is_some(),
        "written, so drained"
    );
    drop(drained);
    assert!(!received(&mut far).is_empty(), "the ping went out");
    assert_eq!(outbox.lock().draining, 0);
    assert!(outbox.drained().now_or_never().is_some());
}

/// Which of `count` pings, numbered from 1, found the outbox crowded.
fn crowded_at(outbox: &Outbox, count: usize) -> Vec<usize> {
    (1..=count)
        .filter(|_| {
            matches!(
                outbox.push(&Frame::Ping),
                Ok(Crowded {
                    socket: Some(_),
                    ..
                })
            )
        })
        .collect()
}

/// A sender writes what it queued itself at every [`INLINE_FRAMES`]th
/// frame once the frames have waited [`INLINE_AFTER`] since the last
/// write, and at every [`INLINE_FRAMES_MOST`]th however fast it
/// sends; a write starts the count and the wait again.
#[test]
fn a_sender_writes_its_frames_once_they_waited_or_at_the_most() {
    let most = INLINE_FRAMES_MOST;
    // A fast sender: no time passes since the last write (a moment in
    // the future reads as none elapsed).
    let (outbox, socket, _far) = attached();
    outbox.lock().taken_at = Instant::now() + Duration::from_secs(3600);
    assert_eq!(crowded_at(&outbox, 2 * most), [most, 2 * most]);

    // A write: the count starts again, and so does the wait.
    let before = Instant::now();
    assert!(
        outbox.take(&socket, &mut BytesMut::new()),
        "a writer took it"
    );
    assert!(outbox.lock().taken_at >= before);
    assert_eq!(outbox.lock().frames, 0);

    // A slow sender: every frame has waited long enough.
    let (outbox, _socket, _far) = attached();
    std::thread::sleep(INLINE_AFTER * 2);
    let every: Vec<usize> = (1..=most / INLINE_FRAMES)
        .map(|n| n * INLINE_FRAMES)
        .collect();
    assert_eq!(crowded_at(&outbox, most), every);
}
