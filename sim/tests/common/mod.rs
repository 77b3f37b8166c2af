//! Helpers for the simulator's tests: the test crossing with chosen demand, and the scenarios in
//! `config/`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use greenwave_sim::scenario::{DemandSpec, FlowSpec, ScenarioSpec};
use greenwave_sim::{Outcome, RunOptions, Scenario, Simulation};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The two-phase test crossing (60 s cycle, 25 s greens) with `eb_veh_h` eastbound.
pub fn crossing(eb_veh_h: f64, seed: u64, duration_s: f64) -> Scenario {
    let path = data("cross-scenario.toml");
    let text = std::fs::read_to_string(&path).expect("test scenario");
    let mut spec: ScenarioSpec = toml::from_str(&text).expect("parses");
    spec.demand = vec![DemandSpec {
        link: "W->J".into(),
        flows: vec![FlowSpec {
            from_s: 0.0,
            veh_h: eb_veh_h,
        }],
    }];
    spec.seed = seed;
    spec.duration_s = duration_s;
    Scenario::from_spec(&spec, &path).expect("valid")
}

/// Runs a scenario to its end.
pub fn run(scenario: &Scenario, options: &RunOptions) -> Outcome {
    let mut sim = Simulation::new(scenario, options).expect("controller builds");
    sim.run(|_| {});
    sim.outcome(0.0)
}

/// The shipped scenario `config/scenarios/{name}.toml`.
pub fn config_scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config/scenarios")
        .join(format!("{name}.toml"));
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scenario.name, name, "the name in {}", path.display());
    scenario
}

/// Every scenario file in `config/scenarios/`.
pub fn config_scenarios() -> Vec<Scenario> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("config/scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected the shipped scenarios in {}",
        dir.display()
    );
    files
        .iter()
        .map(|f| Scenario::load(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}
