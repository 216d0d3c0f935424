//! Publishing a [`SystemSnapshot`] through the `metrics` crate's facade,
//! so that whatever recorder the program installed (a Prometheus
//! exporter, StatsD, a test's debugging recorder) sees Actium's counters.
//!
//! Actors are grouped by type and, for registered ones, by name: an
//! actor's id would give every spawned actor a time series of its own.

use std::collections::BTreeMap;

use super::snapshot::SystemSnapshot;

/// Sums over the actors of one type (and name, for registered actors).
#[derive(Default)]
struct Sums {
    actors: u64,
    depth: u64,
    handled: u64,
    errors: u64,
    panics: u64,
    restarts: u64,
    busy_seconds: f64,
}

impl SystemSnapshot {
    /// Hands this snapshot to the `metrics` recorder installed in the
    /// process (with the `metrics` feature). Per actor type, and per name
    /// for registered actors (labels `actor_type` and `name`):
    ///
    /// | metric | kind | what |
    /// | --- | --- | --- |
    /// | `actium_actors` | gauge | live actors |
    /// | `actium_mailbox_depth` | gauge | messages waiting |
    /// | `actium_messages_handled_total` | counter | messages and signals handled |
    /// | `actium_errors_total` | counter | requests answered with `Err` (while measuring) |
    /// | `actium_panics_total` | counter | methods and hooks that panicked |
    /// | `actium_restarts_total` | counter | restarts by a supervisor |
    /// | `actium_busy_seconds` | gauge | time in methods (while measuring) |
    ///
    /// and with a node (labels none): `actium_node_connections` (gauge),
    /// `actium_node_bytes_in_total`, `actium_node_bytes_out_total`
    /// (counters). Counters are set to the sums now (`absolute`): when
    /// actors of a type exit, its sums drop, which Prometheus's `rate`
    /// reads as a counter reset.
    ///
    /// Call it when the exporter is scraped, or on an interval: nothing is
    /// published between calls, so a program that never calls it pays
    /// nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # actium::launch(Mode::Tasks, async {
    /// // With a recorder installed (e.g. metrics-exporter-prometheus):
    /// SystemHandle::current().snapshot().publish();
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn publish(&self) {
        let mut groups: BTreeMap<(&str, Option<&str>), Sums> = BTreeMap::new();
        for actor in &self.actors {
            let sums = groups
                .entry((actor.type_name.as_str(), actor.name.as_deref()))
                .or_default();
            sums.actors += 1;
            sums.depth += actor.mailbox_depth;
            sums.handled += actor.handled;
            sums.errors += actor.errors;
            sums.panics += actor.panics;
            sums.restarts += actor.restarts;
            sums.busy_seconds += actor.busy.as_secs_f64();
        }
        for ((type_name, name), sums) in groups {
            let labels = [
                ("actor_type", type_name.to_owned()),
                ("name", name.unwrap_or("").to_owned()),
            ];
            #[allow(clippy::cast_precision_loss, reason = "gauges are f64")]
            {
                metrics::gauge!("actium_actors", &labels).set(sums.actors as f64);
                metrics::gauge!("actium_mailbox_depth", &labels).set(sums.depth as f64);
            }
            metrics::counter!("actium_messages_handled_total", &labels).absolute(sums.handled);
            metrics::counter!("actium_errors_total", &labels).absolute(sums.errors);
            metrics::counter!("actium_panics_total", &labels).absolute(sums.panics);
            metrics::counter!("actium_restarts_total", &labels).absolute(sums.restarts);
            metrics::gauge!("actium_busy_seconds", &labels).set(sums.busy_seconds);
        }
        if let Some(network) = &self.network {
            #[allow(clippy::cast_precision_loss, reason = "gauges are f64")]
            metrics::gauge!("actium_node_connections").set(network.connections as f64);
            metrics::counter!("actium_node_bytes_in_total").absolute(network.bytes_in);
            metrics::counter!("actium_node_bytes_out_total").absolute(network.bytes_out);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    use crate::base::{ActorId, NodeId};
    use crate::observe::{ActorSnapshot, NetworkSnapshot, SystemSnapshot};

    fn actor(local: u64, type_name: &str, name: Option<&str>, handled: u64) -> ActorSnapshot {
        ActorSnapshot {
            id: ActorId::new(NodeId::from_u64(1), local),
            type_name: type_name.to_owned(),
            name: name.map(str::to_owned),
            parent: None,
            mailbox_depth: local,
            handled,
            errors: 1,
            panics: 0,
            restarts: 2,
            last_exit: None,
            busy: Duration::from_millis(500),
            doing: None,
            links: Vec::new(),
            monitors: Vec::new(),
            monitored_by: Vec::new(),
        }
    }

    /// The value a metric with these labels got, if published.
    fn value<'a>(
        all: &'a [(metrics_util::CompositeKey, DebugValue)],
        name: &str,
        labels: &[(&str, &str)],
    ) -> Option<&'a DebugValue> {
        all.iter()
            .find(|(key, _)| {
                let key = key.key();
                key.name() == name
                    && labels
                        .iter()
                        .all(|(k, v)| key.labels().any(|l| l.key() == *k && l.value() == *v))
            })
            .map(|(_, value)| value)
    }

    #[test]
    fn a_snapshot_is_published_per_type_and_name() {
        let snapshot = SystemSnapshot {
            node: NodeId::from_u64(1),
            taken_at: SystemTime::now(),
            measuring: true,
            actors: vec![
                actor(1, "Counter", None, 10),
                actor(2, "Counter", None, 5),
                actor(3, "Counter", Some("main"), 7),
            ],
            names: Vec::new(),
            network: Some(NetworkSnapshot {
                address: "tcp://127.0.0.1:1".to_owned(),
                connections: 3,
                bytes_in: 100,
                bytes_out: 200,
            }),
        };
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || snapshot.publish());
        let all: Vec<_> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| (key, value))
            .collect();
        let anonymous = [("actor_type", "Counter"), ("name", "")];
        let main = [("actor_type", "Counter"), ("name", "main")];
        let handled = "actium_messages_handled_total";
        assert_eq!(
            value(&all, handled, &anonymous),
            Some(&DebugValue::Counter(15))
        );
        assert_eq!(value(&all, handled, &main), Some(&DebugValue::Counter(7)));
        let gauge = |v: f64| DebugValue::Gauge(v.into());
        assert_eq!(value(&all, "actium_actors", &anonymous), Some(&gauge(2.0)));
        assert_eq!(
            value(&all, "actium_mailbox_depth", &anonymous),
            Some(&gauge(3.0))
        );
        assert_eq!(
            value(&all, "actium_busy_seconds", &anonymous),
            Some(&gauge(1.0))
        );
        let restarts = value(&all, "actium_restarts_total", &main);
        assert_eq!(restarts, Some(&DebugValue::Counter(2)));
        let errors = value(&all, "actium_errors_total", &anonymous);
        assert_eq!(errors, Some(&DebugValue::Counter(2)));
        assert_eq!(
            value(&all, "actium_node_connections", &[]),
            Some(&gauge(3.0))
        );
        let sent = value(&all, "actium_node_bytes_out_total", &[]);
        assert_eq!(sent, Some(&DebugValue::Counter(200)));
    }
}
