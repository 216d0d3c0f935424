//! What the examples share: which execution models to run.

use actium::Mode;

/// The models named by the first argument (`tasks` or `threads`); both
/// when there is none, since the same program runs under either.
pub fn modes() -> Vec<Mode> {
    match std::env::args().nth(1).as_deref() {
        Some("tasks") => vec![Mode::Tasks],
        Some("threads") => vec![Mode::Threads],
        _ => vec![Mode::Tasks, Mode::Threads],
    }
}

/// Runs `run` under each model [`modes`] names, saying which.
pub fn each_mode(run: impl Fn(Mode) -> actium::Result<()>) -> actium::Result<()> {
    for mode in modes() {
        println!("{mode:?} mode:");
        run(mode)?;
    }
    Ok(())
}
