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
