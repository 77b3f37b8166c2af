//! `greenwave import sumo` on a network with what greenwave does not model, and on broken
//! files. No SUMO needed: the network is a fixture, built once by SUMO 1.24.0's netconvert from
//! the plain files beside it (`netconvert -n mixed.nod.xml -e mixed.edg.xml -o mixed.net.xml
//! --no-turnarounds`): a signalised T junction `A` and a signalised six-leg junction `B`
//! (imported, its approaches on eight compass points and its turns by angle), an unsignalised
//! junction `C` (dropped), a bicycle lane on `A_B`, a railway and a cycle path.
#![cfg(feature = "sim")]

mod common;

use common::{fresh_dir, greenwave, stderr};
use greenwave_controllers::model::{Turn, left_through_right};

const NET: &str = "tests/fixtures/sumo/mixed.net.xml";
const ROUTES: &str = "tests/fixtures/sumo/mixed.rou.xml";

#[test]
fn imports_what_it_can_and_lists_what_it_dropped() {
    let dir = fresh_dir("sumo-import-mixed");
    let out = greenwave(&[
        "import",
        "sumo",
        NET,
        "--routes",
        ROUTES,
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", stderr(&out));
    assert!(stdout.contains("2 intersections (A, B)"), "{stdout}");
    let report = std::fs::read_to_string(dir.join("import-report.txt")).unwrap();
    for dropped in [
        "edge `rail` (line 284): no lane for cars (used by rail)",
        "edge `path` (line 281): no lane for cars (used by pedestrian bicycle)",
        "junction `C` (priority, 3 legs): not signalised",
        "lane `A_B_0`: not for cars (used by bicycle)",
        "edge `C_Cn`: touches no intersection greenwave models",
        "trip `t1` (line 12): no route (from/to trips need a router)",
    ] {
        assert!(
            report.contains(dropped),
            "`{dropped}` missing from:\n{report}"
        );
    }
    // What was written is a valid study.
    let check = greenwave(&["check", dir.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    let scenario = greenwave_sim::Scenario::load(&dir.join("scenario.toml")).unwrap();
    let g = scenario.corridor.graph();
    let ab = scenario.corridor.link_by_id("A->B").unwrap();
    assert_eq!(g[ab].lanes.len(), 1, "the bicycle lane is not a car lane");
    // The six legs of `B`: named on eight compass points, every exit a turn of its own.
    let b = scenario.corridor.node_by_id("B").unwrap();
    let mut approaches: Vec<String> = g
        .edges_directed(b, petgraph::Direction::Incoming)
        .map(|e| e.weight().approach.to_string())
        .collect();
    approaches.sort();
    assert_eq!(approaches, ["eb", "nb", "nwb", "sb", "swb", "wb"]);
    let from_ne = scenario.corridor.link_by_id("B_ne->B").unwrap();
    assert_eq!(g[from_ne].approach.to_string(), "swb");
    assert_eq!(g[from_ne].lanes[0].to_string(), "HL+L+SL+SR+R");
    let demand = |link: &str| -> Vec<(f64, f64)> {
        let d = scenario
            .demand
            .iter()
            .find(|d| g[d.link].id == link)
            .unwrap();
        d.flows
            .iter()
            .map(|&(t, r)| (t, (r * 3600.0 * 100.0).round() / 100.0))
            .collect()
    };
    // 600 veh/h, and one vehicle counted in its 15-minute bin.
    assert_eq!(demand("A_w->A"), vec![(0.0, 604.0), (900.0, 600.0)]);
    // exp(0.05) per second and 90 vehicles in half an hour.
    assert_eq!(demand("A_s->A"), vec![(0.0, 360.0)]);
    let south = scenario.corridor.link_by_id("A_s->A").unwrap();
    assert_eq!(
        scenario.turning[south.index()],
        left_through_right(0.0, [0.5, 0.0, 0.5])
    );
    assert_eq!(scenario.duration.as_secs_f64(), 1800.0);
    let plan = scenario.plans.values().next().unwrap();
    assert_eq!(plan.cycle.as_secs_f64(), 90.0);
    assert_eq!(plan.stages.len(), 2);
}

#[test]
fn a_broken_file_is_named_with_its_line_and_element() {
    let dir = fresh_dir("sumo-import-broken");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(NET).unwrap();
    let cases = [
        // Cut off in the middle: not well-formed.
        (
            "cut.net.xml",
            text[..text.len() / 2].to_owned(),
            "not well-formed XML",
        ),
        // A lane whose speed is not a number.
        (
            "speed.net.xml",
            text.replacen(
                "id=\"Aw_A_0\" index=\"0\" speed=\"13.89\"",
                "id=\"Aw_A_0\" index=\"0\" speed=\"fast\"",
                1,
            ),
            "<lane>: `speed` is `fast`, not a number",
        ),
        // A junction without its position.
        (
            "junction.net.xml",
            text.replacen(
                "<junction id=\"A\" type=\"traffic_light\" x=\"300.00\"",
                "<junction id=\"A\" type=\"traffic_light\"",
                1,
            ),
            "<junction>: missing attribute `x`",
        ),
        ("empty.net.xml", String::new(), "not well-formed XML"),
    ];
    for (name, content, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let out = greenwave(&[
            "import",
            "sumo",
            path.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(expected) && err.contains(name),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    // The line is named too.
    let path = dir.join("speed.net.xml");
    let out = greenwave(&[
        "import",
        "sumo",
        path.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert!(stderr(&out).contains(", line "), "{}", stderr(&out));
}

/// Two signalised junctions 8 m apart (`close.net.xml`, built by netconvert 1.24.0 from
/// `close.nod.xml` and `close.edg.xml` with `--no-turnarounds`), as OpenStreetMap data has
/// where one junction is drawn as two: both are imported, the links between them lengthened to
/// greenwave's shortest link, and `--standard-loops` puts a stop-bar and an advance loop on
/// every approach lane, also on those short links.
#[test]
fn junctions_a_few_metres_apart_are_both_kept_with_the_standard_loops() {
    let dir = fresh_dir("sumo-import-close");
    let out = greenwave(&[
        "import",
        "sumo",
        "tests/fixtures/sumo/close.net.xml",
        "--standard-loops",
        "--note",
        "Test data, no licence needed.",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", stderr(&out));
    assert!(stdout.contains("2 intersections (A, B)"), "{stdout}");
    assert!(
        stdout.contains("edge `A_B`: 8.00 m long, lengthened to 10 m (greenwave's shortest link)"),
        "{stdout}"
    );
    let corridor = std::fs::read_to_string(dir.join("corridor.toml")).unwrap();
    assert!(
        corridor.starts_with(
            "# Imported by `greenwave import sumo` from close.net.xml.\n\
             # Test data, no licence needed.\n"
        ),
        "{corridor}"
    );
    let scenario = greenwave_sim::Scenario::load(&dir.join("scenario.toml")).unwrap();
    let g = scenario.corridor.graph();
    let ab = &g[scenario.corridor.link_by_id("A->B").unwrap()];
    assert_eq!(ab.length_m, 10.0);
    let loops: Vec<(&str, f64, f64)> = ab
        .detectors
        .iter()
        .map(|d| (d.id.as_str(), d.distance_m, d.length_m))
        .collect();
    assert_eq!(
        loops,
        vec![("A_B_0-stop", 0.0, 5.0), ("A_B_0-adv", 5.0, 2.0)]
    );
    let west = &g[scenario.corridor.link_by_id("A_w->A").unwrap()];
    assert_eq!(west.detectors[1].distance_m, 40.0);
    // What was written passes the check.
    let check = greenwave(&["check", dir.to_str().unwrap()]);
    assert!(check.status.success());
}

/// A route that leaves the corridor at a boundary and comes back is two trips through it: the
/// second enters where it comes back, with its own turns.
#[test]
fn a_route_that_leaves_the_corridor_and_comes_back_enters_it_twice() {
    let dir = fresh_dir("sumo-import-reentry");
    let out = greenwave(&[
        "import",
        "sumo",
        NET,
        "--routes",
        "tests/fixtures/sumo/mixed-reentry.rou.xml",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let scenario = greenwave_sim::Scenario::load(&dir.join("scenario.toml")).unwrap();
    let g = scenario.corridor.graph();
    let entries: Vec<(String, Vec<(f64, f64)>)> = scenario
        .demand
        .iter()
        .map(|d| {
            let flows = d
                .flows
                .iter()
                .map(|&(t, r)| (t, (r * 3600.0).round()))
                .collect();
            (g[d.link].id.clone(), flows)
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            ("A_w->A".to_owned(), vec![(0.0, 360.0)]),
            ("B_n->B".to_owned(), vec![(0.0, 360.0)]),
        ]
    );
    let back = scenario.corridor.link_by_id("B->A").unwrap();
    assert_eq!(
        scenario.turning[back.index()],
        left_through_right(0.0, [1.0, 0.0, 0.0]),
        "left to the south"
    );
}

/// Flows whose turns change from one interval to the next give turning ratios that change at
/// the same time; a link whose turns move by no more than chance explains keeps its ratios.
#[test]
fn turning_ratios_change_where_the_flows_do() {
    let dir = fresh_dir("sumo-import-by-interval");
    let out = greenwave(&[
        "import",
        "sumo",
        NET,
        "--routes",
        "tests/fixtures/sumo/mixed-by-interval.rou.xml",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let scenario = greenwave_sim::Scenario::load(&dir.join("scenario.toml")).unwrap();
    let south = scenario.corridor.link_by_id("A_s->A").unwrap().index();
    let west = scenario.corridor.link_by_id("A_w->A").unwrap().index();
    let at = |t: f64| scenario.turning_at(t);
    assert_eq!(at(0.0)[south], left_through_right(0.0, [0.0, 0.0, 1.0]));
    assert_eq!(at(899.0)[south], left_through_right(0.0, [0.0, 0.0, 1.0]));
    assert_eq!(at(900.0)[south], left_through_right(0.0, [0.75, 0.0, 0.25]));
    // From the west, 8 then 15 of 75 vehicles right: within chance of the run's 23 of 150.
    assert_eq!(
        at(0.0)[west],
        left_through_right(0.0, [0.0, 0.8467, 0.1533])
    );
    assert_eq!(at(1700.0)[west], at(0.0)[west]);
    // Both intervals from the south differ from the run's 5/8 right.
    assert_eq!(
        scenario.turning_changes.len(),
        2,
        "{:?}",
        scenario.turning_changes
    );
}

/// netconvert adds a U-turn at every junction unless told not to (`--no-turnarounds`): they
/// come in as lanes allowing `U`, run with their approach's left turn, and go back out to SUMO
/// as connections. The fixture is `mixed.net.xml` built again without that option.
#[test]
fn u_turns_come_in_from_sumo_and_go_back_out() {
    let dir = fresh_dir("sumo-import-turnarounds");
    let out = greenwave(&[
        "import",
        "sumo",
        "tests/fixtures/sumo/mixed-turnarounds.net.xml",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let scenario = greenwave_sim::Scenario::load(&dir.join("scenario.toml")).unwrap();
    let g = scenario.corridor.graph();
    let from_south = scenario.corridor.link_by_id("A_s->A").unwrap();
    assert_eq!(g[from_south].lanes[0].to_string(), "L+R+U");
    let back = g[from_south].onto(Turn::UTurn).expect("a U-turn");
    assert_eq!(g[back].id, "A->A_s");
    // No group of its own: it runs with the left turn from the south.
    let a = scenario.corridor.node_by_id("A").unwrap();
    let ix = g[a].intersection().unwrap();
    let with = |turn: Turn| {
        ix.groups()
            .iter()
            .find(|gr| {
                gr.movements
                    .iter()
                    .any(|m| m.approach == g[from_south].approach && m.turn == turn)
            })
            .map(|gr| gr.id.clone())
    };
    assert!(with(Turn::UTurn).is_some());
    assert_eq!(with(Turn::UTurn), with(Turn::Left));
    // Exported, the U-turn is a connection back.
    let exported = dir.join("export");
    let out = greenwave(&[
        "export",
        "sumo",
        dir.join("scenario.toml").to_str().unwrap(),
        "--out",
        exported.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let connections = std::fs::read_to_string(exported.join("network.con.xml")).unwrap();
    assert!(
        connections.contains(r#"<connection from="A_s_A" to="A_A_s" fromLane="0""#),
        "{connections}"
    );
}
