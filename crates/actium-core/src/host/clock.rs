//! The one clock of a system: what every wait reads and sleeps on.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use super::deadline::{self, Expire};

/// Where a clock other than the real one gets its time: a
/// [`ManualClock`](super::ManualClock), or a simulation's virtual time.
pub(crate) trait TimeSource: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;

    /// How much of this source's time has passed since it started.
    fn since_start(&self) -> Duration;

    /// A future that completes once this source's time reaches `deadline`.
    fn sleep_until(self: Arc<Self>, deadline: Instant) -> Pin<Box<dyn Future<Output = ()> + Send>>;

    /// Has `pending` expired once this source's time reaches `deadline`,
    /// unless it is done by then: the deadline of a request-reply. Returns
    /// a token for [`cancel`](TimeSource::cancel) if the source holds the
    /// deadline until then.
    fn expire_at(&self, deadline: Instant, pending: Arc<dyn Expire>) -> Option<u64>;

    /// Lets go of the deadline `token` names, whose ask no longer waits:
    /// nothing if this source does not hold it.
    fn cancel(&self, token: u64);
}

/// The time a system runs on.
///
/// Every wait inside Actium goes through its system's clock: the deadline
/// of each request-reply, timers ([`sleep`](crate::sleep),
/// [`Context::later`](crate::Context::later),
/// [`Context::interval`](crate::Context::interval)), supervisors' restart
/// windows and shutdown timeouts, the grace a killed child gets, and a
/// node's heartbeats and failure detection. The real clock (the default)
/// is the operating system's, with Tokio's timers; a
/// [`ManualClock`](crate::ManualClock) stands still until the program
/// moves it on.
///
/// ```
/// use std::time::Duration;
///
/// let clock = actium::Clock::real();
/// let start = clock.now();
/// # actium::launch(actium::Mode::Tasks, async move {
/// clock.sleep(Duration::from_millis(1)).await;
/// assert!(clock.now() >= start + Duration::from_millis(1));
/// # Ok::<(), actium::Error>(())
/// # })?;
/// # Ok::<(), actium::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Clock {
    /// `None` for the real clock, kept apart so that its hot path (an ask's
    /// deadline) is a branch rather than a virtual call.
    source: Option<Arc<dyn TimeSource>>,
}

impl Clock {
    /// The operating system's clock, with Tokio's timers.
    pub fn real() -> Self {
        Clock { source: None }
    }

    pub(crate) fn from_source(source: Arc<dyn TimeSource>) -> Self {
        Clock {
            source: Some(source),
        }
    }

    /// This clock, read `skew` nanoseconds ahead (behind if negative): a
    /// simulated node whose clock is off. The real clock is never skewed.
    pub(crate) fn skewed(&self, skew: i64) -> Clock {
        match &self.source {
            Some(base) if skew != 0 => Clock::from_source(Arc::new(Skewed {
                base: base.clone(),
                by: Duration::from_nanos(skew.unsigned_abs()),
                ahead: skew > 0,
            })),
            _ => self.clone(),
        }
    }

    /// Whether this is the real clock.
    pub fn is_real(&self) -> bool {
        self.source.is_none()
    }

    /// The current instant on this clock.
    pub fn now(&self) -> Instant {
        match &self.source {
            None => Instant::now(),
            Some(source) => source.now(),
        }
    }

    /// The time of day on this clock, for timestamps: the system's on the
    /// real clock; on any other, the Unix epoch plus the time that clock
    /// has let pass (so a simulation's records read 1970-01-01 plus
    /// virtual time, the same in every run).
    pub fn wall(&self) -> SystemTime {
        match &self.source {
            None => SystemTime::now(),
            Some(source) => SystemTime::UNIX_EPOCH + source.since_start(),
        }
    }

    /// Waits until `duration` has passed on this clock.
    ///
    /// # Panics
    ///
    /// On the real clock, outside a Tokio runtime (as `tokio::time::sleep`).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the wait and nothing else.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        match self.now().checked_add(duration) {
            Some(deadline) => self.sleep_until(deadline),
            // Past the end of time: never.
            None => Sleep { wait: Wait::Never },
        }
    }

    /// Waits until this clock reads `deadline` (at once if it has).
    ///
    /// # Panics
    ///
    /// On the real clock, outside a Tokio runtime (as `tokio::time::sleep`).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the wait and nothing else.
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        match &self.source {
            None => Sleep {
                wait: Wait::Real {
                    sleep: tokio::time::sleep_until(deadline.into()),
                },
            },
            Some(source) => Sleep {
                wait: Wait::Custom {
                    sleep: source.clone().sleep_until(deadline),
                },
            },
        }
    }

    /// [`sleep_until`](Self::sleep_until) as a boxed future, 16 bytes in
    /// the future that awaits it rather than a [`Sleep`]'s 112: for a task
    /// that lives as long as what it serves (a simulated connection's
    /// pump). On a time source other than the real clock it is the box
    /// that source makes anyway, so it costs no allocation more.
    ///
    /// # Panics
    ///
    /// On the real clock, outside a Tokio runtime (as `tokio::time::sleep`).
    pub(crate) fn sleep_until_boxed(
        &self,
        deadline: Instant,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        match &self.source {
            None => Box::pin(tokio::time::sleep_until(deadline.into())),
            Some(source) => source.clone().sleep_until(deadline),
        }
    }

    /// Runs `future` for at most `duration` on this clock.
    ///
    /// # Panics
    ///
    /// On the real clock, outside a Tokio runtime (as `tokio::time::timeout`).
    ///
    /// # Errors
    ///
    /// The future resolves to [`Elapsed`] if `duration` passed first; the
    /// inner future is then dropped.
    ///
    /// # Cancel safety
    ///
    /// As cancel-safe as `future`.
    pub fn timeout<F: Future>(&self, duration: Duration, future: F) -> Timeout<F> {
        Timeout {
            future,
            sleep: self.sleep(duration),
        }
    }

    /// Ticks every `period`, the first tick one period from now. A tick
    /// that comes late (its task was busy) is not made up for: the next
    /// one is a period after it. A zero period counts as one millisecond.
    pub fn interval(&self, period: Duration) -> Interval {
        let period = period.max(Duration::from_millis(1));
        Interval {
            clock: self.clone(),
            next: self.now().checked_add(period),
            period,
        }
    }

    /// Has `pending` expired after `timeout` on this clock; returns the
    /// token to take the deadline back with, if the clock gives one.
    fn expire_after(&self, pending: Arc<dyn Expire>, timeout: Duration) -> Option<u64> {
        match &self.source {
            None => {
                deadline::register(pending, timeout);
                None
            }
            Some(source) => {
                let deadline = source.now().checked_add(timeout)?;
                source.expire_at(deadline, pending)
            }
        }
    }

    /// Makes this the clock of this thread (what its asks' deadlines and
    /// [`sleep`](crate::sleep) use) until the guard drops: code that
    /// entered a system.
    pub(crate) fn enter(&self) -> ClockGuard {
        ClockGuard {
            previous: self.make_current(),
        }
    }

    /// Makes this the clock of this thread for good (a system's worker
    /// thread, as it starts); returns the one it replaces.
    pub(crate) fn make_current(&self) -> Option<Clock> {
        set_thread_clock(self.source.clone().map(Clock::from_source))
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_real() {
            "Clock::Real"
        } else {
            "Clock::Custom"
        })
    }
}

/// Another time source, read off by a fixed amount.
struct Skewed {
    base: Arc<dyn TimeSource>,
    /// How far off `base` it reads,
    by: Duration,
    /// and which way.
    ahead: bool,
}

impl Skewed {
    /// `instant` moved by the skew, `forward` or back.
    fn moved(&self, instant: Instant, forward: bool) -> Instant {
        let moved = if forward {
            instant.checked_add(self.by)
        } else {
            instant.checked_sub(self.by)
        };
        moved.unwrap_or(instant)
    }
}

impl TimeSource for Skewed {
    fn now(&self) -> Instant {
        self.moved(self.base.now(), self.ahead)
    }

    fn since_start(&self) -> Duration {
        let start = self.base.since_start();
        if self.ahead {
            start + self.by
        } else {
            start.saturating_sub(self.by)
        }
    }

    /// Deadlines on this clock become instants on the base clock.
    fn sleep_until(self: Arc<Self>, deadline: Instant) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let deadline = self.moved(deadline, !self.ahead);
        self.base.clone().sleep_until(deadline)
    }

    fn expire_at(&self, deadline: Instant, pending: Arc<dyn Expire>) -> Option<u64> {
        self.base
            .expire_at(self.moved(deadline, !self.ahead), pending)
    }

    fn cancel(&self, token: u64) {
        self.base.cancel(token);
    }
}

thread_local! {
    /// The clock of the system whose code runs on this thread, if it is
    /// not the real one: asks know no system, so their deadlines find
    /// their clock here.
    static THREAD_CLOCK: RefCell<Option<Clock>> = const { RefCell::new(None) };

    /// Whether `THREAD_CLOCK` holds a clock: what an ask's deadline reads
    /// first, without a destructor's state check or a borrow, so that on
    /// the real clock the seam costs one thread-local load.
    static CUSTOM_CLOCK: Cell<bool> = const { Cell::new(false) };
}

/// Makes `clock` (`None`: the real one) this thread's; returns the previous.
fn set_thread_clock(clock: Option<Clock>) -> Option<Clock> {
    let custom = clock.is_some();
    let previous = THREAD_CLOCK
        .try_with(|current| current.replace(clock))
        .ok()
        .flatten();
    let _exiting = CUSTOM_CLOCK.try_with(|flag| flag.set(custom));
    previous
}

/// Restores the thread's previous clock when dropped.
pub(crate) struct ClockGuard {
    previous: Option<Clock>,
}

impl Drop for ClockGuard {
    fn drop(&mut self) {
        set_thread_clock(self.previous.take());
    }
}

/// The clock of the system whose code runs on this thread; the real clock
/// outside any system.
pub(crate) fn thread_clock() -> Clock {
    if !CUSTOM_CLOCK.try_with(Cell::get).unwrap_or(false) {
        return Clock::real();
    }
    THREAD_CLOCK
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// An ask's deadline as the ask holds it: not registered yet, registered,
/// or registered with a clock that holds it until the ask takes it back
/// (a virtual clock: see `expiries.rs`). One word; taking back costs a
/// comparison on the real clock, which holds none. (`Default` is
/// [`UNREGISTERED`], 0.)
#[derive(Debug, Default)]
pub(crate) struct Registration(u64);

/// `Registration`'s word for "not registered yet".
const UNREGISTERED: u64 = 0;
/// `Registration`'s word for "registered, nothing to take back" (the real
/// clock's sweeper holds it, or a clock that gave no token). Every other
/// word is a token.
const HELD_ELSEWHERE: u64 = 1;

impl Registration {
    /// Whether the deadline is registered.
    #[inline]
    pub(crate) fn is_registered(&self) -> bool {
        self.0 != UNREGISTERED
    }

    /// Has `pending` (an ask's reply slot) expired after `timeout` on the
    /// clock of the system running on this thread; the real clock outside
    /// any system. Once per ask.
    #[inline]
    pub(crate) fn register(&mut self, pending: Arc<dyn Expire>, timeout: Duration) {
        debug_assert!(!self.is_registered(), "an ask registers its deadline once");
        self.0 = if CUSTOM_CLOCK.with(Cell::get) {
            register_on_thread_clock(pending, timeout)
        } else {
            deadline::register(pending, timeout);
            HELD_ELSEWHERE
        };
    }

    /// The ask no longer waits: its clock may let go of the deadline.
    /// (Taken back through this thread's clock: one the ask did not
    /// register with matches nothing, and its deadline falls due as a
    /// no-op.)
    #[inline]
    pub(crate) fn end(&mut self) {
        if self.0 > HELD_ELSEWHERE {
            take_back(std::mem::replace(&mut self.0, HELD_ELSEWHERE));
        }
    }
}

impl Drop for Registration {
    #[inline]
    fn drop(&mut self) {
        self.end();
    }
}

/// Registers `pending` with this thread's clock, not the real one: the
/// `Registration` word for it.
#[cold]
#[inline(never)]
fn register_on_thread_clock(pending: Arc<dyn Expire>, timeout: Duration) -> u64 {
    let token = thread_clock().expire_after(pending, timeout);
    token.unwrap_or(HELD_ELSEWHERE)
}

/// Lets the clock of this thread go of the deadline `token` names.
#[cold]
#[inline(never)]
fn take_back(token: u64) {
    if let Some(source) = thread_clock().source {
        source.cancel(token);
    }
}

pin_project_lite::pin_project! {
    /// A wait on a [`Clock`]: from [`Clock::sleep`] and [`Clock::sleep_until`].
    #[must_use = "a sleep does nothing unless awaited"]
    pub struct Sleep {
        #[pin]
        wait: Wait,
    }
}

pin_project_lite::pin_project! {
    #[project = WaitProj]
    enum Wait {
        // On the real clock.
        Real { #[pin] sleep: tokio::time::Sleep },
        // On another time source.
        Custom { sleep: Pin<Box<dyn Future<Output = ()> + Send>> },
        // Past the end of time.
        Never,
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sleep")
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().wait.project() {
            WaitProj::Real { sleep } => sleep.poll(cx),
            WaitProj::Custom { sleep } => sleep.as_mut().poll(cx),
            WaitProj::Never => Poll::Pending,
        }
    }
}

/// The error of a [`Timeout`] whose time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("deadline has elapsed")]
pub struct Elapsed;

pin_project_lite::pin_project! {
    /// A future with a time limit: from [`Clock::timeout`].
    #[derive(Debug)]
    #[must_use = "a timeout does nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        #[pin]
        sleep: Sleep,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        this.sleep.poll(cx).map(|()| Err(Elapsed))
    }
}

/// Periodic ticks on a [`Clock`]: from [`Clock::interval`].
#[derive(Debug)]
pub struct Interval {
    clock: Clock,
    /// `None` past the end of time: it never ticks.
    next: Option<Instant>,
    period: Duration,
}

impl Interval {
    /// Waits for the next tick.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a tick is used up only when this returns.
    pub async fn tick(&mut self) {
        let Some(next) = self.next else {
            return std::future::pending().await;
        };
        self.clock.sleep_until(next).await;
        // As Tokio's `MissedTickBehavior::Delay`: on time (within its 5 ms
        // tolerance) keeps the schedule, late restarts it from now.
        let now = self.clock.now();
        let base = if now > next + Duration::from_millis(5) {
            now
        } else {
            next
        };
        self.next = base.checked_add(self.period);
    }
}
