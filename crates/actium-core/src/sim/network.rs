//! The simulated network: its nodes, the connection between each pair
//! that talks, and the faults.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use super::SimNode;
use super::connection::{Connection, End, Frame, Lane, Link, pump};
use super::peer::{OwnedResponse, SimPeer, SimResolver};
use crate::actor::{Actor, ActorRef};
use crate::base::Error;
use crate::host;
use crate::runtime::{System, SystemHandle};
use crate::transport::{self, OutgoingCall, RemoteSignal};

/// The network's settings.
#[derive(Debug, Clone)]
pub(super) struct Config {
    pub(super) latency: (Duration, Duration),
    pub(super) loss: f64,
    pub(super) detection: Duration,
    /// The most a node's clock is off, either way.
    pub(super) skew: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            latency: (Duration::from_millis(1), Duration::from_millis(1)),
            loss: 0.0,
            detection: Duration::from_secs(2),
            skew: Duration::ZERO,
        }
    }
}

pub(super) struct Network {
    host: host::Simulation,
    config: Config,
    pub(super) me: Weak<Network>,
    state: Mutex<State>,
    /// The faults drawn from the seed, with their virtual times.
    faults: Mutex<Vec<String>>,
}

#[derive(Default)]
struct State {
    nodes: BTreeMap<Arc<str>, Node>,
    /// Pairs cut off from each other, in name order.
    partitions: BTreeSet<(Arc<str>, Arc<str>)>,
    /// The connection between each pair that has one, in name order.
    connections: BTreeMap<(Arc<str>, Arc<str>), Arc<Connection>>,
}

impl State {
    /// Whether the node at `end` of a connection still runs: not crashed,
    /// and not restarted since (a restart is a new node id).
    fn runs(&self, end: &End) -> bool {
        self.nodes
            .get(&end.name)
            .is_some_and(|node| node.system.is_some() && node.handle.node() == end.node)
    }
}

struct Node {
    /// Taken when the node crashes or the simulation ends.
    system: Option<System>,
    handle: SystemHandle,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn pair(a: &Arc<str>, b: &Arc<str>) -> (Arc<str>, Arc<str>) {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

fn down(name: &str, reason: &str) -> Error {
    Error::NodeDown {
        node: format!("sim://{name}"),
        reason: reason.to_owned(),
    }
}

impl Network {
    pub(super) fn new(host: host::Simulation, config: Config) -> Arc<Self> {
        Arc::new_cyclic(|me| Network {
            host,
            config,
            me: me.clone(),
            state: Mutex::new(State::default()),
            faults: Mutex::new(Vec::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub(super) fn start_node(&self, name: &str) -> Result<SimNode, Error> {
        if name.is_empty() || name.contains('/') {
            return Err(Error::Listen {
                address: format!("sim://{name}"),
                reason: "a node's name must be non-empty and hold no `/`".to_owned(),
            });
        }
        let name: Arc<str> = name.into();
        let mut state = self.lock();
        if state.nodes.contains_key(&name) {
            return Err(Error::Listen {
                address: format!("sim://{name}"),
                reason: "a node of that name runs already".to_owned(),
            });
        }
        let system = System::builder().start_in(&self.host, self.skew());
        let handle = system.handle().clone();
        let resolver = SimResolver::new(self.me.clone(), name.clone());
        transport::attach(&handle, Arc::new(resolver))?;
        state.nodes.insert(
            name.clone(),
            Node {
                system: Some(system),
                handle: handle.clone(),
            },
        );
        Ok(SimNode {
            name,
            system: handle,
            network: self.me.upgrade().expect("the network is alive while used"),
        })
    }

    /// Whether `from` can reach `to` now: both up, not cut off.
    fn reachable(
        state: &State,
        from: &Arc<str>,
        to: &Arc<str>,
    ) -> Result<SystemHandle, &'static str> {
        let alive = |name: &Arc<str>| {
            state
                .nodes
                .get(name)
                .filter(|node| node.system.is_some())
                .map(|node| node.handle.clone())
        };
        let Some(target) = alive(to) else {
            return Err("the node is down");
        };
        if alive(from).is_none() {
            return Err("this node is down");
        }
        if state.partitions.contains(&pair(from, to)) {
            return Err("the network is partitioned");
        }
        Ok(target)
    }

    /// The connection between `from` and `to`, made if there is none.
    fn connection(&self, from: &Arc<str>, to: &Arc<str>) -> Result<Arc<Connection>, Error> {
        let mut state = self.lock();
        let key = pair(from, to);
        if let Some(connection) = state.connections.get(&key) {
            return Ok(connection.clone());
        }
        Self::reachable(&state, from, to).map_err(|reason| down(to, reason))?;
        let end = |name: &Arc<str>| {
            let handle = state.nodes[name].handle.clone();
            End {
                name: name.clone(),
                node: handle.node(),
                system: handle,
            }
        };
        let connection = Arc::new(Connection {
            ends: [end(&key.0), end(&key.1)],
            state: Mutex::new(Link::new()),
        });
        state.connections.insert(key, connection.clone());
        drop(state);
        // Each direction's frames are handled on the receiving node.
        for from_end in [0, 1] {
            let pump = pump(self.me.clone(), connection.clone(), from_end);
            transport::spawn(&connection.ends[1 - from_end].system, pump);
        }
        Ok(connection)
    }

    /// Sends a call from node `from` to node `to`.
    pub(super) fn call(
        &self,
        from: &Arc<str>,
        to: &Arc<str>,
        call: OutgoingCall<'_>,
    ) -> Result<(), Error> {
        let connection = self.connection(from, to)?;
        let end = connection.end_of(from);
        let OutgoingCall {
            to: actor,
            method,
            payload,
            answer,
            trace,
            ..
        } = call;
        let ask = answer.map(|answer| {
            let mut link = lock(&connection.state);
            let id = link.next_id;
            link.next_id += 1;
            link.await_answer(end, id, answer);
            id
        });
        let frame = Frame::Call {
            to: actor,
            method,
            payload: payload.to_vec(),
            ask,
            trace: trace.copied(),
        };
        self.send(&connection, end, frame);
        Ok(())
    }

    /// Sends a signal from node `from` to node `to`.
    pub(super) fn signal(
        &self,
        from: &Arc<str>,
        to: &Arc<str>,
        signal: RemoteSignal,
    ) -> Result<(), Error> {
        let connection = self.connection(from, to)?;
        let end = connection.end_of(from);
        self.send(&connection, end, Frame::Signal(signal));
        Ok(())
    }

    /// Sends a request's response back over the connection it came on.
    pub(super) fn reply(
        &self,
        connection: &Arc<Connection>,
        end: usize,
        id: u64,
        response: OwnedResponse,
    ) {
        self.send(connection, end, Frame::Reply { id, response });
    }

    /// Queues `frame` from end `end`, after its latency; or loses it, and
    /// the connection with it; or, across a partition or to a crashed
    /// node, lets it vanish (the connection is noticed gone later).
    fn send(&self, connection: &Arc<Connection>, end: usize, frame: Frame) {
        if self.config.loss > 0.0 && self.host.chance() < self.config.loss {
            self.drop_later(connection, end, "a message was lost");
            return;
        }
        {
            let state = self.lock();
            let (from, to) = (&connection.ends[end].name, &connection.ends[1 - end].name);
            if Self::reachable(&state, from, to).is_err() {
                return;
            }
        }
        let at = self.host.clock().now() + self.latency();
        let mut link = lock(&connection.state);
        if !link.up {
            return;
        }
        let pump = link.lanes[end].send(at, frame);
        drop(link);
        if let Some(pump) = pump {
            pump.wake();
        }
    }

    /// A node's clock skew, drawn from the seed within the bound.
    fn skew(&self) -> i64 {
        let max = i64::try_from(self.config.skew.as_nanos()).unwrap_or(i64::MAX);
        if max == 0 {
            return 0;
        }
        let spread = max.unsigned_abs().saturating_mul(2);
        let drawn = self.host.draw() % spread.saturating_add(1);
        i64::try_from(drawn).unwrap_or(i64::MAX).saturating_sub(max)
    }

    fn latency(&self) -> Duration {
        let (min, max) = self.config.latency;
        let spread = u64::try_from((max - min).as_nanos()).unwrap_or(u64::MAX);
        let extra = if spread == 0 {
            0
        } else {
            self.host.draw() % (spread + 1)
        };
        min + Duration::from_nanos(extra)
    }

    /// Drops `connection` from a task of end `end`'s node, so that what
    /// it fires does not run inside the send that lost the frame.
    fn drop_later(&self, connection: &Arc<Connection>, end: usize, reason: &'static str) {
        let (network, connection2) = (self.me.clone(), connection.clone());
        transport::spawn(&connection.ends[end].system, async move {
            if let Some(network) = network.upgrade() {
                network.drop_connection(&connection2, reason);
            }
        });
    }

    /// Ends `connection`: frames in flight are not delivered, pending
    /// calls fail with [`Error::NodeDown`], and links and monitors across
    /// it fire on the nodes still up.
    fn drop_connection(&self, connection: &Arc<Connection>, reason: &str) {
        let (pending, pumps) = {
            let mut link = lock(&connection.state);
            if !link.up {
                return;
            }
            link.up = false;
            let pumps = link.lanes.each_mut().map(Lane::close);
            (std::mem::take(&mut link.pending), pumps)
        };
        for pump in pumps.into_iter().flatten() {
            pump.wake();
        }
        let alive = {
            let mut state = self.lock();
            let key = pair(&connection.ends[0].name, &connection.ends[1].name);
            if state
                .connections
                .get(&key)
                .is_some_and(|c| Arc::ptr_eq(c, connection))
            {
                state.connections.remove(&key);
            }
            connection.ends.each_ref().map(|end| state.runs(end))
        };
        for (end, answers) in pending.into_iter().enumerate() {
            let other = &connection.ends[1 - end].name;
            for (_, answer) in answers {
                answer.fail(down(other, reason));
            }
        }
        for (end, alive) in alive.into_iter().enumerate() {
            if alive {
                transport::connection_lost(
                    &connection.ends[end].system,
                    connection.ends[1 - end].node,
                );
            }
        }
    }

    /// Has `connection` noticed gone after the failure detector's
    /// timeout, by a task of a node still up on it.
    fn detect(&self, connection: &Arc<Connection>, reason: &'static str) {
        let state = self.lock();
        let watcher = connection.ends.iter().find(|end| state.runs(end));
        let Some(watcher) = watcher else { return };
        let (network, connection2, after) =
            (self.me.clone(), connection.clone(), self.config.detection);
        let clock = self.host.clock().clone();
        transport::spawn(&watcher.system, async move {
            crate::host::Clock::from(clock).sleep(after).await;
            if let Some(network) = network.upgrade() {
                network.drop_connection(&connection2, reason);
            }
        });
    }

    fn connections_of(&self, name: &str) -> Vec<Arc<Connection>> {
        self.lock()
            .connections
            .iter()
            .filter(|((a, b), _)| &**a == name || &**b == name)
            .map(|(_, connection)| connection.clone())
            .collect()
    }

    pub(super) fn partition(&self, a: &str, b: &str) {
        let key = pair(&a.into(), &b.into());
        self.lock().partitions.insert(key.clone());
        let crossing = self.lock().connections.get(&key).cloned();
        if let Some(connection) = crossing {
            self.detect(&connection, "no heartbeat across the partition");
        }
    }

    pub(super) fn heal(&self, a: &str, b: &str) {
        self.lock().partitions.remove(&pair(&a.into(), &b.into()));
    }

    pub(super) fn crash(&self, name: &str) {
        let system = self
            .lock()
            .nodes
            .get_mut(name)
            .and_then(|node| node.system.take());
        let Some(system) = system else { return };
        system.crash();
        for connection in self.connections_of(name) {
            self.detect(&connection, "the node crashed (no heartbeat)");
        }
    }

    pub(super) fn restart(&self, name: &str) -> Result<SimNode, Error> {
        let running = self
            .lock()
            .nodes
            .get(name)
            .is_some_and(|node| node.system.is_some());
        if running {
            return Err(Error::Listen {
                address: format!("sim://{name}"),
                reason: "the node runs already".to_owned(),
            });
        }
        // The restarted node's first contact replaces its old connections.
        for connection in self.connections_of(name) {
            self.drop_connection(&connection, "the node restarted");
        }
        self.lock().nodes.remove(name);
        self.start_node(name)
    }

    pub(super) fn shut_down(&self) {
        let systems: Vec<System> = {
            let mut state = self.lock();
            state.connections.clear();
            state
                .nodes
                .values_mut()
                .filter_map(|node| node.system.take())
                .collect()
        };
        for system in systems {
            system.shutdown();
        }
    }

    /// The nodes' names, in order.
    pub(super) fn node_names(&self) -> Vec<Arc<str>> {
        self.lock().nodes.keys().cloned().collect()
    }

    /// Whether node `name` runs (it has not crashed).
    pub(super) fn is_running(&self, name: &str) -> bool {
        self.lock()
            .nodes
            .get(name)
            .is_some_and(|node| node.system.is_some())
    }

    /// Notes a fault drawn from the seed.
    pub(super) fn log(&self, fault: String) {
        let at = self.host.clock().elapsed();
        lock(&self.faults).push(format!("{at:?} {fault}"));
    }

    pub(super) fn fault_log(&self) -> Vec<String> {
        lock(&self.faults).clone()
    }

    pub(super) fn is_connected(&self, from: &Arc<str>, to: &Arc<str>) -> bool {
        self.lock().connections.contains_key(&pair(from, to))
    }

    pub(super) async fn lookup<A: Actor>(
        &self,
        me: &SimNode,
        url: &str,
    ) -> Result<ActorRef<A>, Error> {
        let invalid = || Error::InvalidAddress {
            address: url.to_owned(),
            reason: "expected sim://<node>/<name>".to_owned(),
        };
        let rest = url.strip_prefix("sim://").ok_or_else(invalid)?;
        let (node, name) = rest.split_once('/').ok_or_else(invalid)?;
        if node == me.name() {
            return me.system.whereis(name);
        }
        if !A::REMOTE {
            return Err(Error::NotRemote {
                actor_type: A::NAME,
            });
        }
        let clock: crate::host::Clock = self.host.clock().clone().into();
        clock.sleep(self.latency() + self.latency()).await;
        let (from, to): (Arc<str>, Arc<str>) = (me.name.clone(), node.into());
        let target = {
            let state = self.lock();
            Self::reachable(&state, &from, &to).map_err(|reason| down(node, reason))?
        };
        let label = target
            .registered_label(name)
            .ok_or_else(|| Error::NotRegistered {
                name: name.to_owned(),
            })?;
        if label.type_name() != A::NAME {
            return Err(Error::WrongType {
                name: name.to_owned(),
                expected: A::NAME,
                found: label.type_name(),
            });
        }
        let peer = Arc::new(SimPeer::new(self.me.clone(), from, to));
        Ok(transport::remote_ref::<A>(&me.system, label, peer))
    }
}
