use actium::prelude::*;
use actium::Group;

struct Job;

struct Sink;

#[actor]
impl Sink {
    #[tell]
    fn take(&mut self, job: Job) {
        let _ = job;
    }
}

// Each member gets its own copy of the arguments, so they must be Clone.
fn fan_out(sinks: Group<Sink>) {
    let _ = sinks.tell_all().take(Job).send();
}

fn main() {}
