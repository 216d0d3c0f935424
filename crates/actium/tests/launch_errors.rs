//! `?` inside `launch`: an I/O error and a recording's start error convert
//! into `actium::Error`, and a program mixing error types returns
//! `Box<dyn Error + Send + Sync>`, into which Actium's errors convert.

mod support;

use std::io::ErrorKind;

use actium::Error;
use actium::prelude::*;
use support::MODES;

struct Echo;

#[actor]
impl Echo {
    #[ask]
    fn echo(&self, text: String) -> String {
        text
    }
}

#[test]
fn an_io_error_becomes_an_actium_error_with_its_kind() {
    for mode in MODES {
        let result = actium::launch(mode, async {
            let echo = Echo.spawn();
            let text = std::fs::read_to_string("/nonexistent/actium/friction.txt")?;
            echo.echo(text).await?;
            Ok::<(), Error>(())
        });
        let Err(Error::Io(error)) = result else {
            panic!("{mode:?}: expected an I/O error, got {result:?}");
        };
        assert_eq!(error.kind(), ErrorKind::NotFound);
        let text = Error::Io(error).to_string();
        assert!(text.starts_with("I/O failed: "), "{text}");
    }
}

#[test]
fn a_program_mixing_error_types_returns_a_boxed_error() {
    type AnyError = Box<dyn std::error::Error + Send + Sync>;
    for mode in MODES {
        let parsed: Result<u64, AnyError> = actium::launch(mode, async {
            let echo = Echo.spawn();
            let text = echo.echo("42".into()).await?; // an actium::Error
            Ok(text.parse::<u64>()?) // a ParseIntError
        });
        assert_eq!(parsed.expect("parses"), 42);

        let failed: Result<u64, AnyError> = actium::launch(mode, async {
            let echo = Echo.spawn();
            echo.stop();
            echo.stopped().await;
            Ok(echo.echo("1".into()).await?.parse::<u64>()?)
        });
        let error = failed.expect_err("the actor stopped");
        assert!(matches!(
            error.downcast_ref::<Error>(),
            Some(Error::ActorStopped { .. })
        ));
    }
}

#[cfg(feature = "trace")]
#[test]
fn starting_a_second_recording_is_an_actium_error() {
    use actium::trace::{Memory, Recording};
    for mode in MODES {
        let result = actium::launch(mode, async {
            let system = SystemHandle::current();
            let first = Recording::builder().sink(Memory::new()).start(&system)?;
            let second = Recording::builder().sink(Memory::new()).start(&system);
            drop(first);
            second?;
            Ok::<(), Error>(())
        });
        assert!(
            matches!(result, Err(Error::AlreadyRecording)),
            "{mode:?}: {result:?}"
        );
    }
}
