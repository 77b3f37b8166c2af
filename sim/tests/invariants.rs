//! What must hold in every run: safety, conservation, determinism, any step length, and loops
//! that report like a cabinet's detector card.

mod common;

use greenwave_controllers::Duration;
use greenwave_controllers::detector::FaultCode;
use greenwave_sim::scenario::{FaultKind, FaultSpec, ScenarioSpec};
use greenwave_sim::{RunOptions, Scenario, Simulation, Summary};

use common::{config_scenario, config_scenarios, crossing, run};

/// Steps a scenario to its end, checking after every step that no two vehicles overlap and
/// that every inserted vehicle has arrived or is still in the network.
fn run_checked(scenario: &Scenario) -> Summary {
    let mut sim = Simulation::new(scenario, &RunOptions::default()).expect("builds");
    while !sim.finished() {
        sim.step();
        assert_eq!(
            sim.overlaps(),
            0,
            "{}: vehicles overlap at {}",
            scenario.name,
            sim.now()
        );
        assert_eq!(
            sim.vehicles_inserted(),
            sim.vehicles_arrived() + sim.vehicles_in_network() as u64,
            "{}: vehicles lost or made at {}",
            scenario.name,
            sim.now()
        );
    }
    assert_eq!(
        sim.hard_stops(),
        0,
        "{}: a vehicle could not stop for red",
        scenario.name
    );
    sim.outcome(0.0).summary
}

#[test]
fn every_config_scenario_is_safe_and_conserves_vehicles() {
    for scenario in config_scenarios() {
        let s = run_checked(&scenario);
        assert_eq!(
            s.red_crossings, 0,
            "{}: a vehicle crossed on red",
            scenario.name
        );
        assert_eq!(
            s.interlock_trips, 0,
            "{}: the interlock tripped",
            scenario.name
        );
        assert_eq!(
            s.peds_caught, 0,
            "{}: a pedestrian was caught in the crossing",
            scenario.name
        );
        assert!(
            s.vehicles_arrived > 500,
            "{}: only {} vehicles arrived",
            scenario.name,
            s.vehicles_arrived
        );
    }
}

#[test]
fn the_same_seed_gives_identical_results_and_another_seed_does_not() {
    let scenario = config_scenario("arterial-peak");
    let options = |seed| RunOptions {
        seed: Some(seed),
        duration: Some(Duration::from_secs(1200)),
        ..RunOptions::default()
    };
    let a = run(&scenario, &options(7));
    let b = run(&scenario, &options(7));
    let c = run(&scenario, &options(8));
    // Debug text compares NaN (unfinished trips) equal to NaN, and floats bit for bit.
    let text = |o: &greenwave_sim::Outcome| format!("{:?}{:?}", o.vehicles, o.crossings);
    let (ta, tb) = (text(&a), text(&b));
    let first_difference = ta.bytes().zip(tb.bytes()).position(|(x, y)| x != y);
    assert_eq!(
        first_difference,
        None,
        "runs differ near {:?}",
        first_difference.map(|i| &ta[i.saturating_sub(80)..i + 20])
    );
    assert_eq!(ta.len(), tb.len());
    let json = |s: &Summary| {
        serde_json::to_string(&Summary {
            wall_seconds: 0.0,
            vehicle_updates_per_s: 0.0,
            ..s.clone()
        })
        .unwrap()
    };
    assert_eq!(json(&a.summary), json(&b.summary));
    assert_ne!(text(&a), text(&c), "another seed gives another run");
}

#[test]
fn step_lengths_of_one_second_and_a_tenth_work() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config/scenarios/isolated-low.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut by_step = Vec::new();
    for step_s in [1.0, 0.5, 0.1] {
        let mut spec: ScenarioSpec = toml::from_str(&text).unwrap();
        spec.step_s = step_s;
        spec.duration_s = 1800.0;
        let scenario = Scenario::from_spec(&spec, &path).unwrap();
        let s = run_checked(&scenario);
        assert_eq!(s.red_crossings, 0);
        by_step.push((step_s, s.vehicles_arrived, s.mean_delay_s));
    }
    // The same demand is served whatever the step, with a similar delay.
    let (_, arrived_half, delay_half) = by_step[1];
    for &(step_s, arrived, delay) in &by_step {
        let served = arrived as f64 / arrived_half as f64;
        assert!(
            (0.95..=1.05).contains(&served),
            "step {step_s} s: {arrived} vs {arrived_half} arrived"
        );
        assert!(
            (delay / delay_half - 1.0).abs() < 0.25,
            "step {step_s} s: delay {delay:.1} s vs {delay_half:.1} s"
        );
    }
}

#[test]
fn a_loop_shows_no_presence_once_its_lane_has_emptied() {
    // Traffic for the first two minutes, then none: by the end every lane is empty.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cross-scenario.toml");
    let mut spec: ScenarioSpec = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    spec.demand = vec![greenwave_sim::scenario::DemandSpec {
        link: "W->J".into(),
        flows: vec![
            greenwave_sim::scenario::FlowSpec {
                from_s: 0.0,
                veh_h: 900.0,
            },
            greenwave_sim::scenario::FlowSpec {
                from_s: 120.0,
                veh_h: 0.0,
            },
        ],
    }];
    spec.duration_s = 400.0;
    let scenario = Scenario::from_spec(&spec, &path).unwrap();
    let mut sim = Simulation::new(&scenario, &RunOptions::default()).unwrap();
    sim.run(|_| {});
    let samples = sim.detector_samples("J").unwrap().to_vec();
    let outcome = sim.outcome(0.0);
    assert!(outcome.summary.vehicles_arrived > 20);
    assert_eq!(outcome.summary.vehicles_in_network, 0);
    let on: Vec<usize> = (0..samples.len())
        .filter(|&ch| samples[ch].presence)
        .collect();
    assert!(
        on.is_empty(),
        "channels {on:?} show presence on empty lanes"
    );
}

#[test]
fn loops_count_what_crosses_them_and_report_injected_faults() {
    let mut scenario = crossing(600.0, 3, 1200.0);
    let mut sim = Simulation::new(&scenario, &RunOptions::default()).unwrap();
    sim.run(|_| {});
    let counted = sim.detector_samples("J").unwrap()[0];
    let outcome = sim.outcome(0.0);
    let crossed = outcome
        .crossings
        .iter()
        .filter(|c| c.direction == "eb")
        .count() as i64;
    // The stop-bar loop ends at the stop line: every crossing vehicle was counted on entering it,
    // plus at most the ones standing on it at the end.
    let diff = i64::from(counted.count) - crossed;
    assert!(
        (0..=2).contains(&diff),
        "loop counted {}, {crossed} crossed",
        counted.count
    );
    assert!(counted.on_time_cs > 0);
    assert_eq!(counted.fault, FaultCode::Ok);

    // The same loop stuck on from 600 s: presence held, counts frozen, fault reported.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cross-scenario.toml");
    let mut spec: ScenarioSpec = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    spec.demand = vec![greenwave_sim::scenario::DemandSpec {
        link: "W->J".into(),
        flows: vec![greenwave_sim::scenario::FlowSpec {
            from_s: 0.0,
            veh_h: 600.0,
        }],
    }];
    spec.duration_s = 1200.0;
    spec.faults = vec![FaultSpec {
        detector: "eb-stop".into(),
        kind: FaultKind::StuckOn,
        from_s: 600.0,
        to_s: None,
        reported: true,
    }];
    scenario = Scenario::from_spec(&spec, &path).unwrap();
    let mut sim = Simulation::new(&scenario, &RunOptions::default()).unwrap();
    let mut at_fault = None;
    while !sim.finished() {
        sim.step();
        let s = sim.detector_samples("J").unwrap()[0];
        if sim.now().as_secs_f64() >= 600.5 {
            let frozen = *at_fault.get_or_insert(s.count);
            assert_eq!(s.count, frozen, "counts frozen while stuck");
            assert!(s.presence);
            assert_eq!(s.fault, FaultCode::MaxPresence);
        }
    }
}

#[test]
fn pedestrians_wait_for_their_walk_signal_at_most_a_cycle() {
    let scenario = config_scenario("eu-crossing-peds");
    let s = run(&scenario, &RunOptions::default()).summary;
    // About 390 pedestrians an hour press the buttons; the plan's cycle is 70 s and each
    // crossing walks for about 30 s of it, so a random arrival waits (70 - 30)^2 / 140 = 11 s
    // on average and never more than the 40 s without walk, plus a step.
    assert!(
        (300..=480).contains(&s.pedestrians),
        "{} pedestrians served",
        s.pedestrians
    );
    assert!(
        s.ped_max_wait_s <= 50.0,
        "longest pedestrian wait {:.1} s",
        s.ped_max_wait_s
    );
    assert!(
        (6.0..=16.0).contains(&s.ped_mean_wait_s),
        "mean pedestrian wait {:.1} s",
        s.ped_mean_wait_s
    );
}

#[test]
fn permissive_left_turners_give_way_to_oncoming_traffic() {
    // Eastbound left-turners on the European crossing share their green with the westbound
    // through traffic: with heavy oncoming traffic they wait for gaps, without it they do not.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config/scenarios/eu-crossing-peds.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let left_delay = |oncoming_veh_h: f64| {
        let mut spec: ScenarioSpec = toml::from_str(&text).unwrap();
        spec.turning = Some(greenwave_sim::scenario::TurningSpec::left_through_right(
            0.5, 0.5, 0.0,
        ));
        spec.turning_by_link.insert(
            "E->J1".into(),
            greenwave_sim::scenario::TurningSpec::left_through_right(0.0, 1.0, 0.0),
        );
        spec.pedestrians.clear();
        spec.demand = vec![
            greenwave_sim::scenario::DemandSpec {
                link: "W->J1".into(),
                flows: vec![greenwave_sim::scenario::FlowSpec {
                    from_s: 0.0,
                    veh_h: 150.0,
                }],
            },
            greenwave_sim::scenario::DemandSpec {
                link: "E->J1".into(),
                flows: vec![greenwave_sim::scenario::FlowSpec {
                    from_s: 0.0,
                    veh_h: oncoming_veh_h,
                }],
            },
        ];
        let outcome = run(
            &Scenario::from_spec(&spec, &path).unwrap(),
            &RunOptions::default(),
        );
        assert_eq!(outcome.summary.red_crossings, 0);
        let d: Vec<f64> = outcome
            .crossings
            .iter()
            .filter(|c| c.direction == "eb" && c.turn == "left")
            .map(|c| c.delay_s)
            .collect();
        d.iter().sum::<f64>() / d.len() as f64
    };
    let (free, opposed) = (left_delay(1.0), left_delay(800.0));
    println!("left-turn delay {free:.1} s unopposed, {opposed:.1} s opposed");
    assert!(
        opposed > free + 5.0,
        "left-turn delay {free:.1} s unopposed, {opposed:.1} s opposed"
    );
}

#[test]
fn every_controller_runs_every_config_scenario_safely() {
    for scenario in config_scenarios() {
        for controller in greenwave_sim::scenario::CONTROLLERS {
            let options = RunOptions {
                controller: Some((*controller).to_owned()),
                duration: Some(Duration::from_secs(1200)),
                ..RunOptions::default()
            };
            let s = run(&scenario, &options).summary;
            let what = format!("{} under {controller}", scenario.name);
            assert_eq!(s.interlock_trips, 0, "{what}: interlock tripped");
            assert_eq!(s.red_crossings, 0, "{what}: a vehicle crossed on red");
            assert_eq!(s.hard_stops, 0, "{what}: a vehicle could not stop");
            assert_eq!(
                s.controller_errors, 0,
                "{what}: a stage request was refused"
            );
            assert!(
                s.vehicles_arrived > 100,
                "{what}: only {} arrived",
                s.vehicles_arrived
            );
        }
    }
}

#[test]
fn adaptive_keeps_pedestrians_within_its_wait_bound() {
    let scenario = config_scenario("eu-crossing-peds");
    let options = RunOptions {
        controller: Some("adaptive".into()),
        ..RunOptions::default()
    };
    let s = run(&scenario, &options).summary;
    assert!(s.pedestrians > 300, "{} pedestrians served", s.pedestrians);
    // The bound (120 s) plus the interstage to the walk (8 s) and a step.
    assert!(
        s.ped_max_wait_s <= 129.0,
        "a pedestrian waited {:.1} s",
        s.ped_max_wait_s
    );
}
