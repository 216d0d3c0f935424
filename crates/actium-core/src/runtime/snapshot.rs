//! Taking a [`SystemSnapshot`]: every live actor's counters and relations
//! and the registered names, read without stopping anyone.

use std::sync::Arc;
use std::time::SystemTime;

use crate::base::ActorId;
use crate::cell::ErasedCell;
#[cfg(feature = "metrics")]
use crate::host::TaskHandle;
use crate::observe::{ActorSnapshot, StatsRead, SystemSnapshot};
use crate::runtime::SystemHandle;

impl SystemHandle {
    /// What the system looks like now: each live actor's mailbox depth,
    /// counters (messages handled, errors, panics, restarts, time in
    /// methods), what it runs, its parent, links and monitors; and the
    /// registered names.
    ///
    /// Costs a walk over the actor table and one short lock of each
    /// actor's mailbox and relations; actors keep running meanwhile, so
    /// counters of different actors may be a message apart. Method times
    /// and errors are counted only by a system started with
    /// [`SystemBuilder::metrics`](crate::SystemBuilder::metrics).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let counter = Counter::default().spawn();
    /// counter.incr()?;
    /// counter.get().await?;
    /// let snapshot = SystemHandle::current().snapshot();
    /// let seen = snapshot.actor(counter.id()).expect("live");
    /// assert_eq!(seen.handled, 2);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn snapshot(&self) -> SystemSnapshot {
        let shared = &self.shared;
        let mut actors: Vec<ActorSnapshot> =
            shared.table.snapshot().iter().map(actor_snapshot).collect();
        actors.sort_by_key(|actor| actor.id);
        let names = shared
            .registry
            .entries()
            .into_iter()
            .map(|(name, label)| (name, label.id()))
            .collect();
        SystemSnapshot {
            node: shared.node,
            taken_at: SystemTime::now(),
            measuring: shared.config.metrics,
            actors,
            names,
            network: None,
        }
    }

    /// Publishes this system's [`snapshot`](SystemHandle::snapshot)
    /// through the `metrics` recorder installed in the process (see
    /// [`SystemSnapshot::publish`] for the metrics) every `period` of the
    /// system's clock — virtual under simulation, as timers are — the
    /// first one period from now (a zero period counts as one
    /// millisecond). With the `metrics` feature.
    ///
    /// Runs until the system shuts down or the returned handle is
    /// aborted; dropping the handle leaves it running, and it keeps no
    /// reference that would keep the system alive. Each round costs one
    /// snapshot and one update per metric and actor type. Method times
    /// and errors are counted only by a system started with
    /// [`SystemBuilder::metrics`](crate::SystemBuilder::metrics). A
    /// node's connections and bytes are in the node's own snapshot
    /// (`Node::local_snapshot`), not in this one.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// // With a recorder installed (e.g. metrics-exporter-prometheus):
    /// let publishing = SystemHandle::current().publish_metrics_every(Duration::from_secs(10));
    /// // … and to stop before the system does:
    /// publishing.abort();
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    #[cfg(feature = "metrics")]
    pub fn publish_metrics_every(&self, period: std::time::Duration) -> TaskHandle {
        let system = Arc::downgrade(&self.shared);
        let mut interval = self.clock().interval(period);
        self.shared.spawn_task(async move {
            loop {
                interval.tick().await;
                let Some(shared) = system.upgrade() else {
                    return;
                };
                SystemHandle::from_shared(shared).snapshot().publish();
            }
        })
    }
}

/// Counts an `Err` answer of the running actor, if its system measures:
/// called while any system does, on the actor's own task.
#[cold]
#[inline(never)]
pub(crate) fn count_error() {
    let Some(actor) = crate::call::current::observing(|actor, _| actor) else {
        return;
    };
    let Ok(system) = SystemHandle::try_current() else {
        return;
    };
    let shared = &system.shared;
    if !shared.config.metrics || actor.id().node() != shared.node {
        return;
    }
    if let Some(cell) = shared.table.get(actor.id().local()) {
        cell.core().count(|counts| counts.errors += 1);
    }
}

fn actor_snapshot(cell: &Arc<dyn ErasedCell>) -> ActorSnapshot {
    let core = cell.core();
    let (stats, mailbox_depth) = cell.measure().unwrap_or((StatsRead::default(), 0));
    let mut actor = ActorSnapshot {
        id: core.id(),
        type_name: core.label.type_name().to_owned(),
        name: None,
        parent: None,
        mailbox_depth,
        handled: stats.handled,
        errors: 0,
        panics: 0,
        restarts: 0,
        last_exit: None,
        busy: stats.busy,
        doing: cell.doing().map(str::to_owned),
        links: Vec::new(),
        monitors: Vec::new(),
        monitored_by: Vec::new(),
    };
    let lifecycle = core.lock();
    if let Some(relations) = lifecycle.relations.as_ref() {
        let ids = |cells: &mut dyn Iterator<Item = &Arc<dyn ErasedCell>>| -> Vec<ActorId> {
            cells.map(|cell| cell.core().id()).collect()
        };
        actor.name.clone_from(&relations.name);
        actor.parent = relations
            .supervisor
            .as_ref()
            .map(|supervisor| supervisor.core().id())
            .or(relations.parent);
        actor.last_exit = relations.last_exit.as_ref().map(ToString::to_string);
        actor.errors = relations.counts.errors;
        actor.panics = relations.counts.panics;
        actor.restarts = relations.counts.restarts;
        actor.links = ids(&mut relations.links.iter());
        actor.monitors = ids(&mut relations.monitoring.iter().map(|(_, cell)| cell));
        actor.monitored_by = ids(&mut relations.watchers.iter().map(|(_, cell)| cell));
    }
    drop(lifecycle);
    actor
}
