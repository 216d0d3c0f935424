//! `Monitor::cancel_and_flush` (Erlang's `demonitor(Ref, [flush, info])`):
//! cancelling a monitor also removes its `Down` if one waits, for method
//! actors' `#[on_down]` and for mailbox actors' `Inbox`, and says what it
//! found.

use std::time::Duration;

use actium::Cancelled;
use actium::prelude::*;

struct Peer;

#[actor]
impl Peer {
    #[ask]
    fn ping(&self) {}
}

/// Monitors a peer and counts the `Down`s its hook sees.
#[derive(Default)]
struct Watcher {
    downs: u32,
    monitor: Option<Monitor>,
}

#[actor]
impl Watcher {
    #[ask]
    fn watch(&mut self, ctx: &mut Context<Self>, peer: ActorRef<Peer>) {
        self.monitor = Some(ctx.monitor(&peer));
    }

    /// Kills the peer and waits for its exit inside one method, so that
    /// its `Down` waits in this actor's queue; then cancels with flush.
    #[ask]
    async fn kill_then_flush(&mut self, peer: ActorRef<Peer>) -> Cancelled {
        peer.kill();
        peer.stopped().await;
        self.flush()
    }

    #[ask]
    fn flush(&mut self) -> Cancelled {
        self.monitor.as_ref().expect("watching").cancel_and_flush()
    }

    #[ask]
    fn cancel(&mut self) -> bool {
        self.monitor.as_ref().expect("watching").cancel()
    }

    #[on_down]
    fn down(&mut self, _down: Down) {
        self.downs += 1;
    }

    #[ask]
    fn downs(&self) -> u32 {
        self.downs
    }
}

#[actium::test]
async fn a_flush_removes_a_queued_down_before_on_down_sees_it() -> actium::Result<()> {
    let (watcher, peer) = (Watcher::default().spawn(), Peer.spawn());
    watcher.watch(peer.clone()).await?;
    assert_eq!(watcher.kill_then_flush(peer).await?, Cancelled::Flushed);
    // The Down was queued before this call: it would have been handled.
    assert_eq!(watcher.downs().await?, 0);
    assert_eq!(watcher.flush().await?, Cancelled::Inactive);
    Ok(())
}

#[actium::test]
async fn a_flush_of_an_active_monitor_says_so_and_no_down_comes() -> actium::Result<()> {
    let (watcher, peer) = (Watcher::default().spawn(), Peer.spawn());
    watcher.watch(peer.clone()).await?;
    assert_eq!(watcher.flush().await?, Cancelled::Active);
    peer.kill();
    peer.stopped().await;
    assert_eq!(watcher.downs().await?, 0);
    Ok(())
}

#[actium::test]
async fn a_flush_after_the_down_was_handled_finds_nothing() -> actium::Result<()> {
    let (watcher, peer) = (Watcher::default().spawn(), Peer.spawn());
    watcher.watch(peer.clone()).await?;
    peer.kill();
    peer.stopped().await;
    assert_eq!(watcher.downs().await?, 1);
    assert_eq!(watcher.flush().await?, Cancelled::Inactive);
    Ok(())
}

#[actium::test]
async fn a_plain_cancel_says_whether_the_monitor_was_active() -> actium::Result<()> {
    let (watcher, peer) = (Watcher::default().spawn(), Peer.spawn());
    watcher.watch(peer.clone()).await?;
    assert!(watcher.cancel().await?);
    assert!(!watcher.cancel().await?);
    peer.kill();
    peer.stopped().await;
    assert_eq!(watcher.downs().await?, 0);
    Ok(())
}

#[actium::test]
async fn a_flush_removes_a_down_from_a_process_inbox() -> actium::Result<()> {
    let (first, second) = (Peer.spawn(), Peer.spawn());
    let process = actium::spawn(move |mut inbox: Inbox| async move {
        let flushed = inbox.monitor(&first);
        let kept = inbox.monitor(&second);
        first.kill();
        second.kill();
        first.stopped().await;
        second.stopped().await;
        assert_eq!(flushed.cancel_and_flush(), Cancelled::Flushed);
        // Only the other monitor's Down is received.
        let down = inbox.recv_as::<Down>(Duration::MAX).await.expect("a Down");
        assert_eq!(down.monitor, kept.id());
        assert!(
            inbox
                .recv_as::<Down>(Duration::from_millis(20))
                .await
                .is_err()
        );
        assert_eq!(kept.cancel_and_flush(), Cancelled::Inactive);
    });
    assert_eq!(process.stopped().await, ExitReason::Normal);
    Ok(())
}

#[actium::test]
async fn a_flush_removes_a_down_a_selective_receive_passed_over() -> actium::Result<()> {
    let peer = Peer.spawn();
    let process = actium::spawn(move |mut inbox: Inbox| async move {
        let monitor = inbox.monitor(&peer);
        peer.kill();
        peer.stopped().await;
        // Looking for something else moves the Down aside, unseen.
        assert!(
            inbox
                .recv_as::<String>(Duration::from_millis(20))
                .await
                .is_err()
        );
        assert_eq!(inbox.pending(), 1);
        assert_eq!(monitor.cancel_and_flush(), Cancelled::Flushed);
        assert!(
            inbox
                .recv_as::<Down>(Duration::from_millis(20))
                .await
                .is_err()
        );
    });
    assert_eq!(process.stopped().await, ExitReason::Normal);
    Ok(())
}

#[actium::test]
async fn a_down_sent_as_a_plain_message_is_not_flushed() -> actium::Result<()> {
    let (peer, other) = (Peer.spawn(), Peer.spawn());
    let process = actium::spawn(move |mut inbox: Inbox| async move {
        let monitor = inbox.monitor(&peer);
        assert_eq!(monitor.cancel_and_flush(), Cancelled::Active);
        // A Down another actor forwards is a message like any other.
        let forwarded = Down {
            monitor: monitor.id(),
            actor: other.label(),
            reason: ExitReason::Normal,
        };
        inbox.me().send(forwarded.clone()).expect("sent");
        let received = inbox.recv_as::<Down>(Duration::MAX).await.expect("a Down");
        assert_eq!(received, forwarded);
    });
    assert_eq!(process.stopped().await, ExitReason::Normal);
    Ok(())
}
