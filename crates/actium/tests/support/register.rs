//! A register read and written in separate messages, for the simulation
//! tests' lost updates (`get` then `set` from two clients can lose one;
//! `incr` cannot).
// Each test file that includes this uses only a part of it.
#![allow(dead_code)]

use actium::prelude::*;

#[derive(Default)]
pub struct Register {
    value: u64,
}

#[actor]
impl Register {
    #[ask]
    pub fn get(&self) -> u64 {
        self.value
    }

    #[ask]
    pub fn set(&mut self, value: u64) {
        self.value = value;
    }

    /// Read and write in one message.
    #[ask]
    pub fn incr(&mut self) -> u64 {
        self.value += 1;
        self.value
    }
}
