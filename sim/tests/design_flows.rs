//! The design flows Webster plans are made from: each entry's peak carried through the turning
//! ratios (each movement at its largest over the periods the ratios change in), and each
//! origin-destination pair's peak along its route.

use std::path::Path;

use greenwave_controllers::model::Turn;
use greenwave_sim::Scenario;
use greenwave_sim::design::design_flows;
use greenwave_sim::scenario::ScenarioSpec;

/// The arterial with 600 veh/h entering eastbound, everyone going straight at first, and
/// `extra` TOML after the demand.
fn arterial(extra: &str) -> Scenario {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let text = format!(
        "name = \"design\"\ncorridor = \"corridors/arterial-4.toml\"\nduration_s = 3600.0\n\
         seed = 1\nturning = {{ left = 0.0, through = 1.0, right = 0.0 }}\n\
         [controller]\nkind = \"fixed\"\nplan = \"plans/arterial-base.toml\"\n\
         [[demand]]\nlink = \"W->J1\"\nflows = [{{ from_s = 0.0, veh_h = 600.0 }}]\n{extra}"
    );
    let spec: ScenarioSpec = toml::from_str(&text).expect("parses");
    Scenario::from_spec(&spec, &config.join("scenario.toml")).expect("valid")
}

fn flow(scenario: &Scenario, link: &str, turn: Turn) -> f64 {
    design_flows(scenario)[link][turn.index().unwrap()]
}

#[test]
fn each_movement_is_designed_for_its_peak_over_the_turning_periods() {
    let plain = arterial("");
    assert_eq!(flow(&plain, "W->J1", Turn::Through), 600.0);
    assert_eq!(flow(&plain, "W->J1", Turn::Left), 0.0);
    assert_eq!(flow(&plain, "J1->J2", Turn::Through), 600.0);

    // From 1800 s half turn left at J1: the left is designed for 300, the through movements
    // for the 600 of the first half hour.
    let changing = arterial(
        "[[turning_changes]]\nfrom_s = 1800.0\nlink = \"W->J1\"\n\
         ratios = { left = 0.5, through = 0.5 }\n",
    );
    assert_eq!(flow(&changing, "W->J1", Turn::Left), 300.0);
    assert_eq!(flow(&changing, "W->J1", Turn::Through), 600.0);
    assert_eq!(flow(&changing, "J1->J2", Turn::Through), 600.0);
    assert_eq!(flow(&changing, "J1->J2", Turn::Left), 0.0);
}

#[test]
fn origin_destination_pairs_load_the_movements_of_their_routes() {
    // 120 veh/h from W to N2 (through at J1, left at J2), 200 veh/h at their peak.
    let scenario = arterial(
        "[[od]]\nfrom_s = 0.0\ntrips_veh_h = { W = { N2 = 120.0 } }\n\
         [[od]]\nfrom_s = 900.0\ntrips_veh_h = { W = { N2 = 200.0 } }\n",
    );
    assert_eq!(flow(&scenario, "W->J1", Turn::Through), 800.0);
    assert_eq!(flow(&scenario, "J1->J2", Turn::Through), 600.0);
    assert_eq!(flow(&scenario, "J1->J2", Turn::Left), 200.0);
    assert_eq!(flow(&scenario, "J2->J3", Turn::Through), 600.0);
}

#[test]
fn an_intersection_that_needs_half_the_common_cycle_runs_it_twice() {
    use greenwave_controllers::control::webster::WebsterOptions;
    use greenwave_controllers::model::Approach;
    use greenwave_sim::design::network_plans;
    // J1's side streets are busy (800 veh/h each way), the other intersections carry the
    // arterial's 600 veh/h and little else.
    let scenario = arterial(
        "[[demand]]\nlink = \"N1->J1\"\nflows = [{ from_s = 0.0, veh_h = 800.0 }]\n\
         [[demand]]\nlink = \"S1->J1\"\nflows = [{ from_s = 0.0, veh_h = 800.0 }]\n",
    );
    let options = |half_cycles| WebsterOptions {
        max_cycle_s: 150.0,
        half_cycles,
        ..WebsterOptions::default()
    };
    let (plans, before, after) = network_plans(&scenario, Approach::EB, &options(true)).unwrap();
    let cycle_of = |site: &str| {
        let spec = &plans.sites.iter().find(|s| s.0 == site).unwrap().1;
        assert!((0.0..spec.cycle_s).contains(&spec.offset_s), "{spec:?}");
        spec.cycle_s
    };
    let common = plans.cycle_s;
    assert_eq!(cycle_of("J1"), common);
    for site in ["J2", "J3", "J4"] {
        assert_eq!(cycle_of(site), common / 2.0, "{site}");
    }
    assert!(
        after.mean_s <= before.mean_s,
        "{after:?} against {before:?}"
    );
    // Without half cycles every intersection runs the common one.
    let (plans, ..) = network_plans(&scenario, Approach::EB, &options(false)).unwrap();
    assert!(plans.sites.iter().all(|s| s.1.cycle_s == common));
}
