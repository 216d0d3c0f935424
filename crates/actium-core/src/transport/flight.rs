//! A system's flight recorder, for network layers: starting it on a node's
//! request, and answering another node's `Recent` request from it.

use std::sync::Arc;

use crate::base::ActorId;
use crate::observe::{AlreadyRecording, FlightRecorder, RecentError, RecentEvent};
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
/// # Errors
///
/// [`RecentError::Off`] if the system keeps no flight recorder;
/// [`RecentError::UnknownActor`] for an actor that is neither live here
/// nor in the ring (another node's, or long gone).
pub fn recent(
    system: &SystemHandle,
    actors: &[ActorId],
    last: u32,
) -> Result<Vec<RecentEvent>, RecentError> {
    let shared = system.shared();
    let flight = shared.recorder.1.get().ok_or(RecentError::Off)?;
    for &actor in actors {
        let live = actor.node() == shared.node && shared.table.get(actor.local()).is_some();
        if !live && !flight.mentions(actor) {
            return Err(RecentError::UnknownActor(actor));
        }
    }
    let last = usize::try_from(last).unwrap_or(usize::MAX);
    Ok(flight.recent(actors, last))
}
