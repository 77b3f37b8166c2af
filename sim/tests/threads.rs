//! A run is the same for a seed whatever the number of threads stepping its intersections and
//! moving its lanes (one thread moves them one by one, in lane order): a
//! generated grid under the adaptive controller (the one that talks most with its neighbours)
//! and under max pressure, and one with faulty loops (whose cards draw from one random stream
//! in loop order, while the lanes' groups renumber the loops), on one thread and on several,
//! compared bit for bit.

use std::path::PathBuf;

use greenwave_controllers::Duration;
use greenwave_sim::grid::Grid;
use greenwave_sim::scenario::{Fault, FaultKind};
use greenwave_sim::{Outcome, RunOptions, Scenario, Simulation};

fn grid_scenario(name: &str, controller: &str) -> (Scenario, PathBuf) {
    let dir = std::env::temp_dir().join(format!("greenwave-threads-{name}-{}", std::process::id()));
    let grid = Grid {
        rows: 4,
        cols: 5,
        controller: controller.to_owned(),
        ..Grid::default()
    };
    let path = grid.write(&dir).expect("the grid is written");
    (Scenario::load(&path).expect("the grid loads"), dir)
}

fn run(scenario: &Scenario, threads: usize) -> (Outcome, usize) {
    let options = RunOptions {
        duration: Some(Duration::from_secs(600)),
        threads: Some(threads),
        ..RunOptions::default()
    };
    let mut sim = Simulation::new(scenario, &options).expect("builds");
    let used = sim.threads();
    sim.run(|_| {});
    (sim.outcome(0.0), used)
}

/// Everything a run produced, floats bit for bit (Debug text compares NaN equal to NaN).
fn fingerprint(o: &Outcome) -> String {
    let mut summary = o.summary.clone();
    summary.wall_seconds = 0.0;
    summary.vehicle_updates_per_s = 0.0;
    format!(
        "{summary:?}{:?}{:?}{:?}",
        o.vehicles, o.crossings, o.intervals
    )
}

fn same_on_one_and_three_threads(controller: &str) {
    let (scenario, dir) = grid_scenario(controller, controller);
    same_for(&scenario);
    let _ = std::fs::remove_dir_all(dir);
}

fn same_for(scenario: &Scenario) {
    let (one, used_one) = run(scenario, 1);
    let (three, used_three) = run(scenario, 3);
    assert_eq!((used_one, used_three), (1, 3), "the threads asked for");
    assert!(one.summary.vehicles_arrived > 500, "traffic flowed");
    assert_eq!(one.summary.interlock_trips, 0);
    let (a, b) = (fingerprint(&one), fingerprint(&three));
    let first_difference = a.bytes().zip(b.bytes()).position(|(x, y)| x != y);
    assert_eq!(
        first_difference,
        None,
        "runs differ near {:?}",
        first_difference.map(|i| &a[i.saturating_sub(80)..(i + 20).min(a.len())])
    );
    assert_eq!(a.len(), b.len());
}

#[test]
fn adaptive_control_of_a_grid_is_the_same_on_one_thread_and_on_three() {
    same_on_one_and_three_threads("adaptive");
}

#[test]
fn max_pressure_control_of_a_grid_is_the_same_on_one_thread_and_on_three() {
    same_on_one_and_three_threads("max-pressure");
}

#[test]
fn a_grid_with_faulty_loops_is_the_same_on_one_thread_and_on_three() {
    let (mut scenario, dir) = grid_scenario("faults", "adaptive");
    // Every third link's first loop fails, in turns of the three kinds, the erratic ones
    // drawing from the shared stream while the run goes on.
    let kinds = [FaultKind::Erratic, FaultKind::StuckOn, FaultKind::Dead];
    let graph = scenario.corridor.graph();
    let faults: Vec<Fault> = graph
        .edge_indices()
        .filter(|&e| !graph[e].detectors.is_empty())
        .step_by(3)
        .enumerate()
        .map(|(i, link)| Fault {
            link,
            detector: 0,
            kind: kinds[i % kinds.len()],
            from_s: 60.0,
            to_s: 480.0,
            reported: i % 2 == 0,
        })
        .collect();
    assert!(faults.len() >= 10, "{} faulty loops", faults.len());
    scenario.faults = faults;
    same_for(&scenario);
    let _ = std::fs::remove_dir_all(dir);
}
