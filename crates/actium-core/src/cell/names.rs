//! Names: registering actors and looking them up by name.
//!
//! A name is a plain string without `/`, unique within a system, and an
//! actor has one name at most (as Erlang's `register/2`). The remote layer
//! extends look-ups to URLs of the form `tcp://host:port/name`, which is why
//! a name may not contain `/`. An actor's name is dropped when it exits; a
//! supervised actor keeps it across restarts (same cell).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::base::{ActorId, ActorLabel, Error};
use crate::cell::{ErasedCell, NameRefused};

#[derive(Default)]
pub(crate) struct Registry {
    names: Mutex<BTreeMap<String, Arc<dyn ErasedCell>>>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Arc<dyn ErasedCell>>> {
        // Only map operations run under this lock.
        self.names.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cell registered under `name`, untyped; `otp`'s typed look-up
    /// builds on it.
    pub(crate) fn get(&self, name: &str) -> Option<Arc<dyn ErasedCell>> {
        self.lock().get(name).cloned()
    }

    pub(crate) fn register(&self, name: &str, cell: Arc<dyn ErasedCell>) -> Result<(), Error> {
        validate(name)?;
        let mut names = self.lock();
        if let Some(holder) = names.get(name) {
            return Err(Error::NameTaken {
                name: name.to_owned(),
                holder: holder.core().label,
            });
        }
        match cell.core().add_name(name) {
            Ok(()) => {}
            // An actor that has exited cannot take a name (it would never be
            // removed).
            Err(NameRefused::Exited) => {
                return Err(Error::ActorStopped {
                    actor: cell.core().label,
                    method: "register",
                });
            }
            Err(NameRefused::Named(held)) => {
                return Err(Error::AlreadyNamed {
                    actor: cell.core().label,
                    name: held,
                });
            }
        }
        names.insert(name.to_owned(), cell.clone());
        drop(names);
        // The recorder is user code: it runs with no lock held, so that it
        // may look names up itself.
        crate::cell::named(cell.core(), name);
        Ok(())
    }

    /// Removes `name`; returns whether it was registered.
    pub(crate) fn unregister(&self, name: &str) -> bool {
        let removed = self.lock().remove(name);
        match removed {
            Some(cell) => {
                cell.core().remove_name(name);
                true
            }
            None => false,
        }
    }

    /// Removes `name` if it still refers to `id` (an exiting actor).
    pub(super) fn remove_if(&self, name: &str, id: ActorId) {
        let mut names = self.lock();
        let removed = if names.get(name).is_some_and(|cell| cell.core().id() == id) {
            names.remove(name)
        } else {
            None
        };
        drop(names);
        // A cell may be the last reference to an actor's state, whose drop
        // is user code: never under the lock.
        drop(removed);
    }

    /// Every name with its actor, sorted by name (for a node's description,
    /// and for a recorder installed after the names).
    pub(crate) fn entries(&self) -> Vec<(String, ActorLabel)> {
        let mut entries: Vec<(String, ActorLabel)> = self
            .lock()
            .iter()
            .map(|(name, cell)| (name.clone(), cell.core().label))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    /// The label of the actor registered under `name`.
    pub(crate) fn label_of(&self, name: &str) -> Option<ActorLabel> {
        self.lock().get(name).map(|cell| cell.core().label)
    }

    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lock().keys().cloned().collect();
        names.sort();
        names
    }

    pub(crate) fn clear(&self) {
        let names = std::mem::take(&mut *self.lock());
        drop(names);
    }
}

fn validate(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.contains('/') {
        return Err(Error::InvalidName {
            name: name.to_owned(),
        });
    }
    Ok(())
}
