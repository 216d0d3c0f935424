//! A peer's requests to its node (look-ups, spawns, snapshots) and the
//! answers to them and to calls: the waiting side of the pending table.

use std::time::Duration;

use actium_core::transport::{RemoteSignal, Response};
use actium_core::{Error, SystemHandle};
use actium_remote::protocol::{Frame, NodeAnswer, Request, Taken, from_peer};
use tokio::sync::oneshot;

use super::NatsPeer;

impl NatsPeer {
    /// A response to a call of ours arrived.
    pub(crate) fn answered(&self, id: u64, response: Response<'_>, system: &SystemHandle) {
        // A reply under a request's id is the peer's mistake and must not
        // take the request's place.
        let taken = self.lock().pending.take_call(id);
        if let Taken::Found(answer) = taken {
            answer.resolve(system, response);
        }
    }

    /// An answer to a request of ours arrived.
    pub(crate) fn request_answered(&self, id: u64, answer: NodeAnswer) {
        let taken = self.lock().pending.take_request(id);
        let unwanted = match taken {
            Taken::Found(sender) => sender.send(answer).err(),
            Taken::Missing => Some(answer),
            // A reply's id: not ours to act on.
            Taken::WrongKind => None,
        };
        // A spawn whose requester gave up (its timeout passed, or it was
        // dropped) would leave an actor no one has a reference to: stop it.
        if let Some(NodeAnswer::Spawned(label)) = unwanted
            && label.id().node() == self.node
        {
            tracing::info!(peer = %self.address, actor = %label, "stopping an actor spawned for a request that gave up");
            let stop = Frame::Signal(RemoteSignal::Stop { to: label.id() });
            if let Err(reason) = self.send(&stop) {
                tracing::warn!(peer = %self.address, %reason, "could not stop an actor spawned too late");
            }
        }
    }

    /// Asks the node itself (a look-up), waiting at most `timeout`.
    pub(crate) async fn request(
        &self,
        request: Request<'_>,
        timeout: Duration,
    ) -> Result<NodeAnswer, Error> {
        let (sender, receiver) = oneshot::channel();
        let kind = match &request {
            Request::Lookup { .. } => "lookup",
            Request::Spawn { .. } => "spawn",
            Request::Describe => "describe",
            Request::Snapshot => "snapshot",
            Request::Recent { .. } => "recent",
        };
        let spawn = kind == "spawn";
        {
            let mut state = self.lock();
            if let Some(reason) = &state.down {
                return Err(self.down_error(reason));
            }
            let id = state.pending.next_id();
            state.pending.add_request(id, sender);
            if let Err(reason) = self.push(&mut state, &Frame::Request { id, request }) {
                state.pending.forget(id);
                return Err(self.down_error(&reason.to_string()));
            }
        }
        match self.clock.timeout(timeout, receiver).await {
            // The node's answer did not fit in a message; it said so
            // instead (see `Shared::respond`).
            Ok(Ok(NodeAnswer::SpawnFailed(message))) if !spawn => Err(Error::Codec {
                actor_type: "node".to_owned(),
                method: kind.to_owned(),
                message: from_peer(&message),
            }),
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_dropped)) => {
                let reason = self.lock().down.clone();
                Err(self.down_error(reason.as_deref().unwrap_or("the node went away")))
            }
            Err(_elapsed) => Err(self.down_error(&format!("no answer within {timeout:?}"))),
        }
    }
}
