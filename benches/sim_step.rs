#![allow(missing_docs)] // criterion_group! generates an undocumented public function
//! Simulator speed on the arterial peak scenario: vehicle updates per second, single-threaded.
//!
//! `cargo bench --bench sim_step`. One iteration simulates the first 30 minutes of the
//! scenario (the network filling up and the peak starting); throughput is reported in vehicle
//! updates (vehicles times steps), counted by the simulator itself.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;

use greenwave_controllers::Duration;
use greenwave_sim::{RunOptions, Scenario, Simulation};

fn arterial_peak(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/scenarios/arterial-peak.toml");
    let scenario = Scenario::load(&path).expect("arterial-peak loads");
    let options = RunOptions {
        duration: Some(Duration::from_secs(1800)),
        ..RunOptions::default()
    };
    // Count the work of one iteration once.
    let mut probe = Simulation::new(&scenario, &options).expect("builds");
    probe.run(|_| {});
    let updates = probe.outcome(0.0).summary.vehicle_updates;

    let mut group = c.benchmark_group("sim");
    group.sample_size(20);
    group.throughput(Throughput::Elements(updates));
    group.bench_function("arterial_peak_1800s", |b| {
        b.iter(|| {
            let mut sim = Simulation::new(&scenario, &options).expect("builds");
            sim.run(|_| {});
            sim.vehicles_in_network()
        })
    });
    group.finish();
}

criterion_group!(benches, arterial_peak);
criterion_main!(benches);
