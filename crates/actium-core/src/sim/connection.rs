//! One connection of the simulated network: frames each way in order,
//! each handed over at its time on the receiving node.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use tokio::sync::mpsc;

use super::network::{Network, lock};
use super::peer::{OwnedResponse, SimPeer, SimResponder};
use crate::base::{ActorId, NodeId};
use crate::runtime::SystemHandle;
use crate::transport::{self, Answer, RemoteSignal, TraceContext};

/// What travels on a connection.
pub(super) enum Frame {
    Call {
        to: ActorId,
        method: &'static str,
        payload: Vec<u8>,
        /// A request-reply's id on this connection.
        ask: Option<u64>,
        trace: Option<TraceContext>,
    },
    Reply {
        id: u64,
        response: OwnedResponse,
    },
    Signal(RemoteSignal),
}

/// One end of a connection.
pub(super) struct End {
    pub(super) name: Arc<str>,
    pub(super) system: SystemHandle,
    pub(super) node: NodeId,
}

/// The connection between two nodes: frames each way in order, each
/// after its latency. Once dropped it carries nothing more; the next call
/// between the two makes a new one.
pub(super) struct Connection {
    pub(super) ends: [End; 2],
    pub(super) state: Mutex<Link>,
}

pub(super) struct Link {
    pub(super) up: bool,
    /// Frames from end `i` to the other.
    pub(super) outboxes: [Option<mpsc::UnboundedSender<(Instant, Frame)>>; 2],
    /// The answers end `i` waits for, by id.
    pub(super) pending: [BTreeMap<u64, Answer>; 2],
    pub(super) next_id: u64,
}

impl Connection {
    pub(super) fn end_of(&self, name: &str) -> usize {
        usize::from(&*self.ends[0].name != name)
    }

    pub(super) fn is_up(&self) -> bool {
        lock(&self.state).up
    }
}

/// Hands the frames from end `from` to the other end, each at its time.
pub(super) async fn pump(
    network: Weak<Network>,
    connection: Arc<Connection>,
    from: usize,
    mut inbox: mpsc::UnboundedReceiver<(Instant, Frame)>,
) {
    let to = 1 - from;
    let clock = connection.ends[to].system.clock();
    while let Some((at, frame)) = inbox.recv().await {
        clock.sleep_until(at).await;
        if !connection.is_up() {
            return;
        }
        let Some(network) = network.upgrade() else {
            return;
        };
        let receiver = &connection.ends[to];
        match frame {
            Frame::Call {
                to: actor,
                method,
                payload,
                ask,
                trace,
            } => {
                let responder = ask.map(|id| {
                    Box::new(SimResponder::new(
                        network.me.clone(),
                        connection.clone(),
                        to,
                        id,
                    )) as crate::transport::Responder
                });
                if let Err(error) =
                    transport::deliver(&receiver.system, actor, method, &payload, responder, trace)
                {
                    tracing::debug!(%error, method, "a simulated call was not delivered");
                }
            }
            Frame::Reply { id, response } => {
                let answer = lock(&connection.state).pending[to].remove(&id);
                if let Some(answer) = answer {
                    answer.resolve(&receiver.system, response.as_response());
                }
            }
            Frame::Signal(signal) => {
                if signal.receiver().node() == receiver.node {
                    let sender = &connection.ends[from].name;
                    let peer =
                        SimPeer::new(network.me.clone(), receiver.name.clone(), sender.clone());
                    transport::apply(&receiver.system, Arc::new(peer), signal);
                }
            }
        }
    }
}
