//! Junctions beyond four compass legs: the five-leg junction and the Y junction shipped in
//! `config/` name their approaches on eight compass points, classify their turns by angle
//! (slight and sharp ones included), carry traffic on every movement and run safely under every
//! controller; a junction that does not fit the NEMA preset, or two legs that the compass
//! cannot tell apart, are refused with a message that says what to do.

mod common;

use std::path::{Path, PathBuf};

use greenwave_controllers::Duration;
use greenwave_controllers::load;
use greenwave_controllers::model::{Approach, Turn};
use greenwave_sim::{RunOptions, Scenario};

use common::run;

fn config(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config")
        .join(rel)
}

/// The approaches of J1 in `corridor`, each with its turns.
fn approaches(corridor: &str) -> Vec<(Approach, Vec<Turn>)> {
    let c = load::corridor(&config(corridor)).expect("the corridor loads");
    let j1 = c.node_by_id("J1").expect("J1");
    let g = c.graph();
    let mut out: Vec<(Approach, Vec<Turn>)> = g
        .edges_directed(j1, petgraph::Direction::Incoming)
        .map(|e| {
            let link = e.weight();
            (
                link.approach,
                link.movements.iter().map(|m| m.turn).collect(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_five_leg_junction_names_its_approaches_on_eight_points_and_its_turns_by_angle() {
    use Turn::*;
    assert_eq!(
        approaches("corridors/five-leg.toml"),
        [
            (Approach::NB, vec![Left, Through, SlightRight, Right]),
            (Approach::EB, vec![Left, SlightLeft, Through, Right]),
            (Approach::SB, vec![SharpLeft, Left, Through, Right]),
            (Approach::SWB, vec![Left, SlightLeft, SlightRight, Right]),
            (Approach::WB, vec![Left, Through, Right, SharpRight]),
        ]
    );
}

#[test]
fn a_y_junction_forks_into_a_slight_left_and_a_slight_right() {
    use Turn::*;
    assert_eq!(
        approaches("corridors/y-junction.toml"),
        [
            (Approach::NB, vec![SlightLeft, SlightRight]),
            (Approach::SEB, vec![Left, Through]),
            (Approach::SWB, vec![Through, Right]),
        ]
    );
}

#[test]
fn every_movement_of_both_junctions_carries_traffic_under_every_controller() {
    let mut checked = 0;
    for name in ["five-leg", "y-junction"] {
        let scenario = Scenario::load(&config(&format!("scenarios/{name}.toml"))).unwrap();
        for controller in greenwave_sim::scenario::CONTROLLERS {
            let options = RunOptions {
                controller: Some((*controller).to_owned()),
                duration: Some(Duration::from_secs(1800)),
                ..RunOptions::default()
            };
            let s = run(&scenario, &options).summary;
            let what = format!("{name} under {controller}");
            assert_eq!(s.interlock_trips, 0, "{what}: interlock tripped");
            assert_eq!(s.red_crossings, 0, "{what}: a vehicle crossed on red");
            assert_eq!(s.controller_errors, 0, "{what}: a stage request refused");
            for a in &s.approaches {
                assert!(
                    !a.movements.is_empty(),
                    "{what}: {} has no movement",
                    a.link
                );
                for m in &a.movements {
                    assert!(
                        m.delay.vehicles > 0,
                        "{what}: {} {} carried {} vehicles",
                        a.link,
                        m.turn,
                        m.delay.vehicles
                    );
                    checked += 1;
                }
            }
        }
    }
    // 20 movements at the five-leg junction and 6 at the Y, under each controller.
    assert_eq!(checked, 26 * greenwave_sim::scenario::CONTROLLERS.len());
}

/// Writes `corridor` (with `J1`'s intersection file replaced by `intersection`) to a scratch
/// directory and loads it.
fn load_variant(name: &str, corridor: &str, edit: impl Fn(String) -> String) -> String {
    let text = std::fs::read_to_string(config(corridor)).unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("junctions");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    let text = edit(text).replace(
        "\"../intersections/",
        &format!("\"{}/", config("intersections").display()),
    );
    std::fs::write(&path, text).unwrap();
    match load::corridor(&path) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_nema_preset_refuses_a_junction_that_is_not_four_compass_legs() {
    let err = load_variant("five-leg-nema", "corridors/five-leg.toml", |t| {
        t.replace("five-leg.toml\"", "nema-4leg.toml\"")
    });
    assert!(
        err.contains("the NEMA eight-phase preset fits junctions whose legs are the four compass")
            && err.contains("5 approaches (nb, eb, sb, swb, wb)"),
        "{err}"
    );
}

#[test]
fn two_legs_the_compass_cannot_tell_apart_need_a_name_of_their_own() {
    // The north-eastern branch of the Y moved to 10 degrees off the north-western one: both
    // travel south-eastwards.
    let moved = |t: String| t.replace("x_m = 150.0\ny_m = 259.8", "x_m = -192.8\ny_m = 229.8");
    let err = load_variant("y-clash", "corridors/y-junction.toml", moved);
    assert!(
        err.contains("both approach `J1` as seb") && err.contains("`approach` name"),
        "{err}"
    );
    // Named, the junction loads; its turns still come from the angles.
    let named = load_variant("y-named", "corridors/y-junction.toml", |t| {
        moved(t).replace(
            "from = \"NE\"\nto = \"J1\"\n",
            "from = \"NE\"\nto = \"J1\"\napproach = \"harbour\"\n",
        )
    });
    assert!(
        named.contains("group `K3` serves `swb through`, but `J1` has no swb approach"),
        "{named}"
    );
}

/// Writes a variant of a shipped scenario whose corridor's lanes are edited by `lanes`, with
/// `extra` appended to the scenario, and loads it.
fn scenario_variant(
    name: &str,
    scenario: &str,
    lanes: impl Fn(String) -> String,
    extra: &str,
) -> Scenario {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("junctions")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(config(&format!("scenarios/{scenario}.toml"))).unwrap();
    let corridor_rel = text
        .lines()
        .find_map(|l| l.strip_prefix("corridor = \"../"))
        .and_then(|l| l.strip_suffix('"'))
        .expect("a corridor line")
        .to_owned();
    let corridor = std::fs::read_to_string(config(&corridor_rel)).unwrap();
    let absolute = |t: String, what: &str| {
        t.replace(
            &format!("\"../{what}/"),
            &format!("\"{}/", config(what).display()),
        )
    };
    std::fs::write(
        dir.join("corridor.toml"),
        absolute(lanes(corridor), "intersections"),
    )
    .unwrap();
    let text = absolute(text, "plans").replace(
        &format!("corridor = \"../{corridor_rel}\""),
        "corridor = \"corridor.toml\"",
    );
    std::fs::write(dir.join("scenario.toml"), format!("{text}\n{extra}")).unwrap();
    Scenario::load(&dir.join("scenario.toml")).expect("the variant loads")
}

#[test]
fn u_turns_run_with_the_left_turn_and_carry_traffic_safely() {
    let u_turns = r#"
[[turning_changes]]
from_s = 0.0
link = "W->J1"
ratios = { left = 0.1, through = 0.7, right = 0.1, u_turn = 0.1 }
"#;
    for (scenario, lanes) in [
        // NEMA: the U-turn from the left-turn lane, on the protected left (phase 5).
        ("isolated-low", r#"lanes = ["L+U", "T", "TR"]"#),
        // EU: one lane for everything; the U-turn yields to oncoming traffic as a left does.
        ("eu-crossing-peds", r#"lanes = ["L+T+R+U"]"#),
    ] {
        let s = scenario_variant(
            scenario,
            scenario,
            |c| {
                c.replacen("lanes = [\"L\", \"T\", \"TR\"]", lanes, 1)
                    .replacen("lanes = [\"LTR\"]", lanes, 1)
            },
            u_turns,
        );
        let west = s.corridor.link_by_id("W->J1").unwrap();
        let g = s.corridor.graph();
        let back = g[west].onto(Turn::UTurn).expect("a U-turn movement");
        assert_eq!(
            g[back].id, "J1->W",
            "{scenario}: the U-turn leads back west"
        );
        // No group names the U-turn: it runs on the group of the left from the west.
        let j1 = s.corridor.node_by_id("J1").unwrap();
        let ix = g[j1].intersection().unwrap();
        let serving = |turn: Turn| {
            ix.groups()
                .iter()
                .filter(|gr| {
                    gr.movements
                        .iter()
                        .any(|m| m.approach == Approach::EB && m.turn == turn)
                })
                .map(|gr| gr.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(serving(Turn::UTurn).len(), 1, "{scenario}");
        assert_eq!(serving(Turn::UTurn), serving(Turn::Left), "{scenario}");
        for controller in greenwave_sim::scenario::CONTROLLERS {
            let options = RunOptions {
                controller: Some((*controller).to_owned()),
                duration: Some(Duration::from_secs(1800)),
                ..RunOptions::default()
            };
            let summary = run(&s, &options).summary;
            let what = format!("{scenario} under {controller}");
            assert_eq!(summary.interlock_trips, 0, "{what}");
            assert_eq!(summary.red_crossings, 0, "{what}");
            assert_eq!(summary.controller_errors, 0, "{what}");
            let from_west = summary
                .approaches
                .iter()
                .find(|a| a.link == "W->J1")
                .unwrap();
            let u = from_west
                .movements
                .iter()
                .find(|m| m.turn == Turn::UTurn.key())
                .expect("U-turns reported");
            // 10 % of about 170 to 200 vehicles in half an hour.
            assert!(
                u.delay.vehicles >= 5,
                "{what}: {} U-turns",
                u.delay.vehicles
            );
        }
    }
}
