//! Controller and estimator latency on the arterial peak: one decision of each controller for
//! one intersection (with its estimator's update), the adaptive one's taken anew and standing,
//! and one estimator update per detector.
//!
//! `cargo bench --bench control`. The inputs are real: the arterial peak is simulated for 30
//! minutes first, then the benchmarks run on intersection J3's state at that moment.

#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;
use std::sync::Arc;

use greenwave_controllers::control::{
    Actuated, ActuatedParams, Adaptive, AdaptiveParams, Controller, Coordinated, CoordinatedParams,
    FixedTime, Inputs, MaxPressure, Neighbours,
};
use greenwave_controllers::estimate::{Estimator, EstimatorParams};
use greenwave_controllers::sequencer::Sequencer;
use greenwave_controllers::site::Site;
use greenwave_controllers::{Duration, Instant};
use greenwave_sim::{RunOptions, Scenario, Simulation};

fn setup() -> (
    Arc<Site>,
    Scenario,
    Vec<greenwave_controllers::detector::DetectorSample>,
) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/scenarios/arterial-peak.toml");
    let scenario = Scenario::load(&path).expect("arterial-peak loads");
    let mut sim = Simulation::new(&scenario, &RunOptions::default()).expect("builds");
    while sim.now() < Instant::from_millis(1_800_000) {
        sim.step();
    }
    let samples = sim.detector_samples("J3").expect("J3").to_vec();
    let node = scenario.corridor.node_by_id("J3").expect("J3");
    let site = Arc::new(Site::new(&scenario.corridor, node).expect("a site"));
    (site, scenario, samples)
}

fn controllers(c: &mut Criterion) {
    let (site, scenario, samples) = setup();
    let node = scenario.corridor.node_by_id("J3").unwrap();
    let plan = scenario.plans[&node].clone();
    let ix = site.intersection.clone();
    // A sequencer that has been running stage 2+6 for 20 s.
    let mut seq = Sequencer::new(ix.clone(), Instant::ZERO);
    seq.request(ix.stage_by_id("2+6").unwrap()).unwrap();
    let mut now = Instant::ZERO;
    while now < Instant::from_millis(40_000) {
        now += Duration::from_millis(500);
        seq.poll(now);
    }
    let mut estimator = Estimator::new(site.clone(), EstimatorParams::default(), Instant::ZERO);
    estimator.update(now, &samples, seq.state());
    let neighbours = Neighbours::default();
    let inputs = Inputs {
        buses: &[],
        detectors: &samples,
        estimate: estimator.estimate(),
        neighbours: &neighbours,
    };

    let mut group = c.benchmark_group("decision");
    let mut fixed = FixedTime::new(plan.clone());
    group.bench_function("fixed", |b| b.iter(|| fixed.decide(now, &inputs, &seq)));
    let mut actuated = Actuated::new(&site, plan.clone(), &ActuatedParams::default()).unwrap();
    group.bench_function("actuated", |b| {
        b.iter(|| actuated.decide(now, &inputs, &seq))
    });
    let mut pressure = MaxPressure::new(site.clone(), plan.clone());
    let mut coordinated =
        Coordinated::new(&site, plan.clone(), &CoordinatedParams::default()).unwrap();
    group.bench_function("coordinated", |b| {
        b.iter(|| coordinated.decide(now, &inputs, &seq))
    });
    group.bench_function("max-pressure", |b| {
        b.iter(|| pressure.decide(now, &inputs, &seq))
    });
    // The adaptive controller decides anew only when a loop counted something new (or the
    // sequencer moved, or a second passed): one count more or less on the first channel each
    // iteration makes every decision a new one; the same samples again, a decision that stands.
    let mut counted = samples.clone();
    counted[0].count = counted[0].count.wrapping_add(1);
    let inputs_counted = Inputs {
        buses: &[],
        detectors: &counted,
        ..inputs
    };
    let mut adaptive = Adaptive::new(site.clone(), plan, AdaptiveParams::default()).unwrap();
    let mut flip = false;
    group.bench_function("adaptive", |b| {
        b.iter(|| {
            flip = !flip;
            adaptive.decide(now, if flip { &inputs_counted } else { &inputs }, &seq)
        })
    });
    group.bench_function("adaptive_standing", |b| {
        b.iter(|| adaptive.decide(now, &inputs, &seq))
    });
    group.finish();

    let mut group = c.benchmark_group("estimator");
    group.throughput(Throughput::Elements(site.channels() as u64));
    let mut t = now;
    group.bench_function("update_per_detector", |b| {
        b.iter(|| {
            t += Duration::from_millis(100);
            estimator.update(t, &samples, seq.state());
        })
    });
    group.finish();
}

criterion_group!(benches, controllers);
criterion_main!(benches);
