//! `serve_forever`: serves until a shutdown request or SIGTERM, then shuts
//! down gracefully.
//!
//! One test only: it sends SIGTERM to this test process, which Tokio's
//! handler (installed by `serve_forever`) turns into a shutdown.

mod support;

use std::time::Duration;

use actium::prelude::*;
use support::{Event, MODES, within};

struct Service {
    served: u32,
}

#[actor]
impl Service {
    /// Asks the system to shut down after the third request.
    #[ask]
    fn serve(&mut self, ctx: &mut Context<Self>) -> u32 {
        self.served += 1;
        if self.served == 3 {
            ctx.system().request_shutdown();
        }
        self.served
    }
}

fn serves_until_requested(mode: Mode) {
    actium::serve_forever(mode, async {
        let service = Service { served: 0 }.spawn();
        // Requests come from a task of the system, as a network front end's
        // would; `serve_forever` returns only once the third one asks for
        // shutdown.
        tokio::spawn(async move {
            for _ in 0..3 {
                service.serve().await.expect("served");
            }
        });
        Ok::<(), Error>(())
    })
    .expect("serve_forever");
}

#[cfg(unix)]
fn serves_until_sigterm(mode: Mode) {
    let ready = Event::new();
    let signalled = ready.clone();
    let killer = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(signalled.wait());
        nix::sys::signal::raise(nix::sys::signal::Signal::SIGTERM).expect("raise SIGTERM");
    });
    actium::serve_forever(mode, async move {
        Service { served: 0 }.spawn();
        ready.fire();
        Ok::<(), Error>(())
    })
    .expect("serve_forever");
    killer.join().expect("killer thread");
}

#[cfg(unix)]
#[test]
fn serve_forever_runs_until_a_shutdown_request_or_sigterm() {
    within(Duration::from_secs(60), || {
        for mode in MODES {
            serves_until_requested(mode);
        }
        for mode in MODES {
            serves_until_sigterm(mode);
        }
    });
}

#[test]
fn a_failing_setup_ends_serve_forever_with_its_error() {
    within(Duration::from_secs(60), || {
        let result =
            actium::serve_forever(Mode::Tasks, async { Err::<(), Error>(Error::ShuttingDown) });
        assert!(matches!(result, Err(Error::ShuttingDown)));
    });
}
