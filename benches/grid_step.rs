#![allow(missing_docs)] // criterion_group! generates an undocumented public function
//! Simulator speed on generated grids: one second simulated (ten 0.1 s steps) of a 10x10 grid
//! of signalised intersections, 20 minutes into the run (the network filled), under fixed time
//! and under the adaptive controller, with the intersections stepped on one thread and on two.
//!
//! `cargo bench --bench grid_step`. Throughput is in vehicle updates (vehicles times steps),
//! counted by the simulator itself. The results are the same whatever the number of threads
//! (`sim/tests/threads.rs`); only the time differs.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use greenwave_controllers::Duration;
use greenwave_sim::grid::Grid;
use greenwave_sim::{RunOptions, Scenario, Simulation};

/// Simulated seconds before measuring.
const WARM_S: u64 = 1200;
/// Steps per iteration (one simulated second).
const STEPS: u64 = 10;

fn scenario(controller: &str) -> Scenario {
    let dir = std::env::temp_dir().join(format!(
        "greenwave-bench-grid-{controller}-{}",
        std::process::id()
    ));
    let grid = Grid {
        rows: 10,
        cols: 10,
        controller: controller.to_owned(),
        ..Grid::default()
    };
    let path = grid.write(&dir).expect("the grid is written");
    Scenario::load(&path).expect("the grid loads")
}

fn warmed(scenario: &Scenario, threads: usize) -> Simulation {
    let options = RunOptions {
        // Long enough never to end while measured.
        duration: Some(Duration::from_secs(7 * 24 * 3600)),
        threads: Some(threads),
        ..RunOptions::default()
    };
    let mut sim = Simulation::new(scenario, &options).expect("builds");
    sim.advance(WARM_S * 10);
    sim
}

fn grid_10x10(c: &mut Criterion) {
    let mut group = c.benchmark_group("grid_10x10_1s");
    group.sample_size(20);
    for controller in ["fixed", "adaptive"] {
        let scenario = scenario(controller);
        for threads in [1, 2] {
            let mut sim = warmed(&scenario, threads);
            // The work of an iteration: the vehicles now times the steps.
            group.throughput(Throughput::Elements(
                sim.vehicles_in_network() as u64 * STEPS,
            ));
            let id = BenchmarkId::new(controller, format!("{threads}_threads"));
            group.bench_function(id, |b| b.iter(|| sim.advance(STEPS)));
        }
    }
    group.finish();
}

criterion_group!(benches, grid_10x10);
criterion_main!(benches);
