//! A system's flight recorder, for network layers: starting it on a node's
//! request, and answering another node's `Recent` request from it.

use std::collections::HashSet;
use std::sync::Arc;

use crate::base::ActorId;
use crate::observe::{
    AlreadyRecording, FlightRecorder, MAX_RECENT_ACTORS, NodeKind, RecentError, RecentEvent,
};
use crate::runtime::SystemHandle;

/// Starts a flight recorder of `capacity` events on `system` (see
/// [`FlightRecorder::new`] for the bounds), or returns the one it has.
///
/// # Errors
///
/// [`AlreadyRecording`] if the system has another recorder: a system
/// keeps one recorder for its whole life.
pub fn start_flight_recorder(
    system: &SystemHandle,
    capacity: usize,
) -> Result<Arc<FlightRecorder>, AlreadyRecording> {
    let installed = &system.shared().recorder;
    if let Some(flight) = installed.1.get() {
        return Ok(flight.clone());
    }
    let flight = Arc::new(FlightRecorder::new(capacity));
    system.record(flight.clone())?;
    // The recorder slot was empty and is now this one: only this call
    // could set it, so the flight slot is empty too.
    let _ = installed.1.set(flight.clone());
    Ok(flight)
}

/// The flight recorder of `system`, if it has one.
pub fn flight_recorder(system: &SystemHandle) -> Option<Arc<FlightRecorder>> {
    system.shared().recorder.1.get().cloned()
}

/// The answer to a `Recent` request: the last `last` events (at most
/// [`MAX_RECENT`](crate::observe::MAX_RECENT)) of `actors` (of all if
/// empty) from the system's flight recorder, oldest first.
///
/// Costs one pass over the ring to check the actors not live here and one
/// to pick the events, each a set lookup an event: a long list of actors
/// does not multiply the time the ring stays locked.
///
/// # Errors
///
/// [`RecentError::Off`] if the system keeps no flight recorder (naming a
/// TCP node's builder: a network layer on another transport corrects it
/// with [`RecentError::from_node`] where it receives the answer);
/// [`RecentError::TooManyActors`] for more than
/// [`MAX_RECENT_ACTORS`] actors; [`RecentError::UnknownActor`] for an
/// actor that is neither live here nor in the ring (another node's, or
/// long gone).
pub fn recent(
    system: &SystemHandle,
    actors: &[ActorId],
    last: u32,
) -> Result<Vec<RecentEvent>, RecentError> {
    let shared = system.shared();
    let flight = shared.recorder.1.get().ok_or(RecentError::Off {
        node: NodeKind::default(),
    })?;
    if actors.len() > MAX_RECENT_ACTORS {
        return Err(RecentError::TooManyActors {
            asked: actors.len(),
            limit: MAX_RECENT_ACTORS,
        });
    }
    let gone: HashSet<ActorId> = actors
        .iter()
        .copied()
        .filter(|actor| actor.node() != shared.node || shared.table.get(actor.local()).is_none())
        .collect();
    let unknown = flight.unmentioned(gone);
    // Name the first unknown actor in the order asked, so that the same
    // request always gets the same error.
    if let Some(&actor) = actors.iter().find(|actor| unknown.contains(actor)) {
        return Err(RecentError::UnknownActor(actor));
    }
    let last = usize::try_from(last).unwrap_or(usize::MAX);
    Ok(flight.recent(actors, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::NodeId;
    use crate::runtime::System;

    #[test]
    fn a_request_naming_too_many_actors_is_refused_before_any_scan() {
        let system = System::builder().workers(1).start().expect("a system");
        let handle = system.handle();
        start_flight_recorder(handle, 16).expect("no other recorder");
        let node = NodeId::from_u64(7);
        let many: Vec<ActorId> = (0..=MAX_RECENT_ACTORS as u64)
            .map(|local| ActorId::new(node, local))
            .collect();
        assert_eq!(
            recent(handle, &many, 10),
            Err(RecentError::TooManyActors {
                asked: MAX_RECENT_ACTORS + 1,
                limit: MAX_RECENT_ACTORS,
            })
        );
        // At the limit the actors are checked: none is known here.
        assert_eq!(
            recent(handle, &many[..MAX_RECENT_ACTORS], 10),
            Err(RecentError::UnknownActor(many[0]))
        );
        system.shutdown();
    }

    #[test]
    fn a_system_without_flight_recorder_says_how_to_start_one() {
        let system = System::builder().workers(1).start().expect("a system");
        let off = recent(system.handle(), &[], 10).expect_err("no recorder");
        let tcp = off.to_string();
        assert!(
            tcp.contains("`Node::builder().flight_recorder(n)`"),
            "{tcp}"
        );
        let nats = off.from_node(NodeKind::Nats).to_string();
        assert!(
            nats.contains("NatsNode::builder().flight_recorder"),
            "{nats}"
        );
        system.shutdown();
    }
}
