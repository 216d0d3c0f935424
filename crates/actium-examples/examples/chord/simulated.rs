//! `--simulate`: the ring in deterministic simulation, one simulated node
//! per Chord node, with latency and churn drawn from the seed.

use std::time::{Duration, Instant};

use actium_examples::chord::simulate::{self, Settings};

use crate::{Args, config_for, report_with};

/// Builds the ring, measures lookups, churns, waits until it is stable
/// again, and measures lookups and reads keys again; prints the summary
/// line with the virtual time and the run's digest.
pub fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = config_for(args, args.nodes);
    config.fastest = Duration::from_millis(args.fastest_ms.unwrap_or(100));
    config.slowest = Duration::from_millis(args.slowest_ms.unwrap_or(5000));
    let (min, max) = match args.latency_ms[..] {
        [min, max] => (min, max),
        _ => return Err("--latency-ms takes two numbers: the least and the most".into()),
    };
    let settings = Settings {
        nodes: args.nodes,
        lookups: args.lookups,
        keys: args.keys,
        churn: args.churn.unwrap_or(args.nodes / 5),
        latency: (Duration::from_millis(min), Duration::from_millis(max)),
        config,
        settle_limit: Duration::from_secs(args.settle_limit),
        ..Settings::new(args.seed)
    };
    let wall = Instant::now();
    let run = simulate::run(&settings)?;
    let wall = wall.elapsed();
    report_with(settings.nodes, &run.before, "(stable, before the churn)");
    let [joined, left, crashed] = run.churn;
    println!(
        "chord: churn: {joined} joined, {left} left, {crashed} crashed; {} of {} lookups \
         during the churn failed",
        run.during.failed, run.during.count
    );
    println!(
        "chord: keys stored={} failed_puts={} lost={}; {:.1} virtual s in {wall:.2?}",
        settings.keys,
        run.failed_puts,
        run.lost_keys,
        run.elapsed.as_secs_f64()
    );
    let extra = format!(
        "virtual_s={:.3} digest={}",
        run.elapsed.as_secs_f64(),
        run.digest
    );
    report_with(run.nodes, &run.after, &extra);
    if run.after.failed > 0 || run.lost_keys > 0 || run.failed_puts > 0 {
        return Err("some lookups, stores or reads failed after the ring settled".into());
    }
    Ok(())
}
