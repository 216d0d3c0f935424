//! Every Savina program once at a tiny size on every system that has it:
//! each run checks its own result and panics on a wrong one, so these are
//! the suite's correctness tests (`cargo test -p actium-bench`).

use super::*;

/// Small enough for a debug build, large enough that every program has
/// several actors and several rounds.
const TINY: u64 = 240;

const SYSTEMS: [System; 6] = [
    System::ActiumTasks,
    System::ActiumThreads,
    System::TokioRaw,
    System::Actix,
    System::Ractor,
    System::Kameo,
];

fn on_every_system(program: Savina) {
    for system in SYSTEMS {
        let measured = run(system, program, TINY);
        let Some(measurement) = measured else {
            panic!("{} has no {program}", system.name());
        };
        assert!(
            measurement.ops > 0,
            "{program} on {} did no operation",
            system.name()
        );
    }
}

macro_rules! every_system {
    ($($test:ident => $program:ident),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                on_every_system(Savina::$program);
            }
        )*
    };
}

every_system! {
    pingpong_answers_every_ping => PingPong,
    count_reaches_n => Count,
    threadring_token_stops_after_n_hops => ThreadRing,
    fjthrput_delivers_every_message => FjThrput,
    fjcreate_hears_from_every_actor => FjCreate,
    chameneos_meetings_sum_to_twice_n => Chameneos,
    big_answers_every_ping => Big,
    concdict_keeps_every_write => ConcDict,
    banking_preserves_the_total_balance => Banking,
    philosophers_all_eat_every_meal => Philosophers,
}

#[test]
fn complementary_colours_follow_savina() {
    use Colour::*;
    assert_eq!(Blue.complement(Blue), Blue);
    assert_eq!(Blue.complement(Red), Yellow);
    assert_eq!(Red.complement(Yellow), Blue);
    assert_eq!(Yellow.complement(Blue), Red);
}

#[test]
fn every_program_has_a_distinct_name_and_parses_back() {
    for program in Savina::ALL {
        let workload = crate::workload::Workload::parse(program.name());
        assert_eq!(workload, Some(crate::workload::Workload::Savina(program)));
    }
}

#[test]
fn transfers_never_move_money_to_the_same_account() {
    let mut rng = Rng::new(1);
    for _ in 0..1_000 {
        let (from, to, amount) = transfer(&mut rng, 3);
        assert!(from != to && from < 3 && to < 3 && amount > 0);
    }
}
