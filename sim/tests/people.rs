//! Pedestrians and emergency vehicles on the arterial peak: every crossing served by its walk,
//! nobody caught in a crossing, and emergency vehicles given their green by preemption.

mod common;

use greenwave_sim::{RunOptions, Summary};

use common::{config_scenarios, run};

fn summary(name: &str) -> Summary {
    let scenario = config_scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("config/scenarios/{name}.toml"));
    run(&scenario, &RunOptions::default()).summary
}

#[test]
fn every_us_crossing_gets_its_walk_and_nobody_is_caught_in_it() {
    let s = summary("arterial-peak-peds");
    assert_eq!(
        s.crossings.len(),
        16,
        "four crossings at four intersections"
    );
    for c in &s.crossings {
        assert!(
            c.wait.vehicles > 0,
            "{} {}: nobody crossed",
            c.intersection,
            c.group
        );
        assert!(
            c.wait.max_delay_s < 600.0,
            "{} {}: a pedestrian waited {:.0} s",
            c.intersection,
            c.group,
            c.wait.max_delay_s
        );
    }
    assert!(s.pedestrians > 300, "{} pedestrians served", s.pedestrians);
    assert_eq!(
        (s.peds_caught, s.interlock_trips, s.red_crossings),
        (0, 0, 0)
    );
}

#[test]
fn emergency_vehicles_preempt_every_intersection_they_approach() {
    let s = summary("arterial-peak-peds-ev");
    assert_eq!(s.ev_vehicles, 2, "two emergency vehicles entered");
    assert!(s.preempt_calls >= 2, "{} preemption calls", s.preempt_calls);
    assert!(
        s.preempt_call_to_green_max_s > 0.0 && s.preempt_call_to_green_max_s < 40.0,
        "call to green {:.1} s",
        s.preempt_call_to_green_max_s
    );
    assert_eq!(s.preempt_stuck, 0);
    assert_eq!(
        (s.peds_caught, s.interlock_trips, s.red_crossings),
        (0, 0, 0)
    );
}
