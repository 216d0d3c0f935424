//! What goes to a peer's actors: the calls and signals the core sends
//! through [`Peer`], and the replies to the peer's calls ([`Responder`]).

use std::sync::Arc;

use actium_core::Error;
use actium_core::transport::{OutgoingCall, Peer, RemoteSignal, Respond, Response};

use super::PeerHandle;
use crate::outbox::Refused;
use crate::wire::{self, Frame};

impl Peer for PeerHandle {
    fn address(&self) -> &str {
        &self.address
    }

    fn is_connected(&self) -> bool {
        self.is_up()
    }

    fn call(&self, call: OutgoingCall<'_>) -> Result<(), Box<Error>> {
        let OutgoingCall {
            to,
            method,
            payload,
            answer,
            trace,
            ..
        } = call;
        // A one-way call without a trace context, on an installed
        // connection, needs none of the peer's bookkeeping, and skips its
        // lock; anything else (connecting, down, idle) goes on below.
        if answer.is_none() && trace.is_none() {
            match self.outbox.push_tell(to, method, payload) {
                Err(Refused::NotUp) => {}
                queued => {
                    self.touch();
                    let crowded = queued.map_err(|refused| self.refused(refused, to, method))?;
                    self.outbox.relieve(crowded);
                    return Ok(());
                }
            }
        }
        let mut state = self.lock();
        self.ensure(&mut state, to.node())?;
        self.touch();
        let id = answer.is_some().then(|| state.pending.next_id());
        let queued = match trace {
            // Nearly every call: written from its parts, with no frame
            // built on the stack to be copied (`docs/BENCHMARKS.md`).
            None => self.outbox.push_call(id, to, method, payload),
            Some(&trace) => {
                let call = wire::call::Parts {
                    id,
                    to,
                    method,
                    payload,
                };
                self.outbox.push(&call.into_frame(Some(trace)))
            }
        };
        let crowded = queued.map_err(|refused| self.refused(refused, to, method))?;
        if let (Some(id), Some(answer)) = (id, answer) {
            state.pending.add_call(id, answer);
        }
        drop(state);
        self.outbox.relieve(crowded);
        Ok(())
    }

    fn signal(&self, signal: RemoteSignal) -> Result<(), Error> {
        let mut state = self.lock();
        self.ensure(&mut state, signal.receiver().node())?;
        self.touch();
        let crowded = self.queue(&Frame::Signal(signal))?;
        drop(state);
        self.outbox.relieve(crowded);
        Ok(())
    }
}

/// Sends a request-reply's response back to the peer that asked.
pub(crate) struct Responder {
    pub(crate) peer: Arc<PeerHandle>,
    pub(crate) id: u64,
}

impl Respond for Responder {
    fn respond(self: Box<Self>, response: Response<'_>) {
        self.peer.send_if_connected(&Frame::Reply {
            id: self.id,
            response,
        });
    }
}
