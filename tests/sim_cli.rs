//! `greenwave sim` end to end: the JSON summary, several seeds, comparisons, the files written
//! with `--out`, and bad input.

mod common;
use common::{fresh_dir, greenwave};

use std::process::Output;

fn assert_ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `greenwave sim SCENARIO --out DIR`, and the vehicles file it wrote.
fn simulated_vehicles(scenario: &std::path::Path, dir: &std::path::Path) -> String {
    let out = greenwave(&[
        "sim",
        scenario.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_ok(&out);
    std::fs::read_to_string(dir.join("vehicles.csv")).unwrap()
}

/// `greenwave export sumo SCENARIO --out DIR`, and the routes file it wrote.
fn exported_routes(scenario: &std::path::Path, dir: &std::path::Path) -> String {
    let out = greenwave(&[
        "export",
        "sumo",
        scenario.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_ok(&out);
    std::fs::read_to_string(dir.join("routes.rou.xml")).unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

const FIELDS: [&str; 17] = [
    "scenario",
    "controller",
    "seeds",
    "sim_seconds",
    "vehicles_inserted",
    "vehicles_arrived",
    "vehicles_unserved",
    "mean_delay_s",
    "p95_delay_s",
    "max_wait_s",
    "mean_stops",
    "throughput_veh_h",
    "co2_kg",
    "ped_mean_wait_s",
    "ped_max_wait_s",
    "vehicle_updates",
    "wall_seconds",
];

#[test]
fn json_summary_has_every_figure_and_every_approach() {
    let out = greenwave(&[
        "sim",
        "config/scenarios/arterial-peak.toml",
        "--duration",
        "900",
        "--format",
        "json",
    ]);
    let v = json(&out);
    for field in FIELDS {
        assert!(v.get(field).is_some(), "missing `{field}` in {v}");
    }
    assert_eq!(v["scenario"], "arterial-peak");
    assert_eq!(v["sim_seconds"], 900.0);
    let approaches = v["approaches"].as_array().expect("approaches");
    assert_eq!(
        approaches.len(),
        16,
        "four approaches at each of four intersections"
    );
    assert!(
        approaches
            .iter()
            .all(|a| a["intersection"].is_string() && a["direction"].is_string())
    );
    assert!(v["vehicles_arrived"].as_u64().unwrap() > 300);
    let inserted = v["vehicles_inserted"].as_u64().unwrap();
    assert!(inserted >= v["vehicles_arrived"].as_u64().unwrap());
}

#[test]
fn several_seeds_and_a_comparison() {
    let v = json(&greenwave(&[
        "sim",
        "config/scenarios/isolated-low.toml",
        "--duration",
        "600",
        "--seeds",
        "3",
        "--seed",
        "5",
        "--format",
        "json",
    ]));
    assert_eq!(v["seeds"], serde_json::json!([5, 6, 7]));
    let v = json(&greenwave(&[
        "sim",
        "config/scenarios/isolated-low.toml",
        "--duration",
        "600",
        "--compare",
        "fixed,fixed",
        "--format",
        "json",
    ]));
    let runs = v.as_array().expect("one summary per controller");
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[0]["mean_delay_s"], runs[1]["mean_delay_s"],
        "same demand, same controller"
    );
    let table = greenwave(&[
        "sim",
        "config/scenarios/isolated-low.toml",
        "--duration",
        "600",
        "--compare",
        "fixed,fixed",
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("mean delay (s)") && text.contains("p95 delay / longest wait"),
        "{text}"
    );
    // No buses, pedestrians or emergency vehicles here: their figures are dashes, not zeros.
    let row = |text: &str, label: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.starts_with(label)).expect(label);
        line[label.len()..]
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    for label in ["bus on time (%)", "ped mean wait (s)", "EV mean delay (s)"] {
        assert_eq!(row(&text, label), ["-", "-"], "{label}: {text}");
    }
    assert!(
        row(&text, "mean delay (s)")
            .iter()
            .all(|x| x.parse::<f64>().is_ok())
    );
    // With buses they are figures.
    let table = greenwave(&[
        "sim",
        "config/scenarios/arterial-peak-transit.toml",
        "--duration",
        "900",
        "--compare",
        "fixed,fixed",
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    for label in ["bus on time (%)", "bus mean delay (s)", "ped mean wait (s)"] {
        let cells = row(&text, label);
        assert!(
            cells.len() == 2 && cells.iter().all(|x| x.parse::<f64>().is_ok()),
            "{label}: {text}"
        );
    }
}

#[test]
fn out_writes_csv_files_and_pictures() {
    let dir = fresh_dir("sim-out");
    let out = greenwave(&[
        "sim",
        "config/scenarios/arterial-peak.toml",
        "--duration",
        "600",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let vehicles = std::fs::read_to_string(dir.join("vehicles.csv")).unwrap();
    assert!(vehicles.starts_with("id,entry,exit,generated_s"));
    assert!(vehicles.lines().count() > 100);
    let approaches = std::fs::read_to_string(dir.join("approaches.csv")).unwrap();
    assert_eq!(
        approaches.lines().count(),
        1 + 16 * 10,
        "16 approaches x 10 one-minute intervals"
    );
    for svg in ["time-space-eb.svg", "time-space-wb.svg", "queues.svg"] {
        let text = std::fs::read_to_string(dir.join(svg)).unwrap();
        assert!(
            text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
            "{svg}"
        );
        assert!(text.contains("<polyline"), "{svg} draws lines");
    }
    let ts = std::fs::read_to_string(dir.join("time-space-eb.svg")).unwrap();
    assert!(
        ts.contains(">J1<") && ts.contains(">J4<"),
        "signals of the arterial are labelled"
    );
}

#[test]
fn a_broken_scenario_or_an_unknown_controller_exits_2_with_the_reason() {
    let out = greenwave(&["sim", "tests/fixtures/scenario-demand-not-at-an-entry.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("scenario-demand-not-at-an-entry.toml") && err.contains("demand[0].link"),
        "{err}"
    );
    let out = greenwave(&[
        "sim",
        "config/scenarios/isolated-low.toml",
        "--controller",
        "psychic",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown controller `psychic`"));
    // Another kind of model file: said what it is, and what `sim` takes.
    for (file, kind) in [
        (
            "config/corridors/arterial-4.toml",
            "this is a corridor, not a scenario",
        ),
        (
            "config/plans/arterial-webster/J1.toml",
            "this is a timing plan",
        ),
        (
            "config/intersections/nema-4leg.toml",
            "this is an intersection",
        ),
        ("config/cabinets/J1.toml", "greenwave run --config"),
    ] {
        let out = greenwave(&["sim", file]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(kind), "{file}: {err}");
    }
}

#[test]
fn a_path_that_is_not_connected_exits_2_before_simulating() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sim-bad-path");
    let d = dir.to_str().unwrap();
    for (path, says) in [
        ("J1,J3", "no link from J1 to J3"),
        ("J1,Jx", "no intersection `Jx`"),
        ("J2", "two intersections or more"),
    ] {
        let out = greenwave(&[
            "sim",
            "config/scenarios/arterial-peak.toml",
            "--out",
            d,
            "--path",
            path,
        ]);
        assert_eq!(out.status.code(), Some(2), "--path {path}");
        let err = common::stderr(&out);
        assert!(err.contains("--path") && err.contains(says), "{err}");
        assert!(!dir.exists(), "nothing written for --path {path}");
    }
}

/// With `--half-cycles` the light intersections of the busy-crossing arterial run half the
/// busy one's cycle, and the plans written are valid and within their own cycles; without it,
/// every one runs the common cycle.
#[test]
fn network_plans_double_cycle_the_light_intersections_when_asked() {
    let cycle_of = |dir: &std::path::Path, site: &str| -> (f64, f64) {
        let plan: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.join(format!("{site}.toml"))).unwrap())
                .unwrap();
        (
            plan["cycle_s"].as_float().unwrap(),
            plan["offset_s"].as_float().unwrap(),
        )
    };
    for half in [true, false] {
        let dir = fresh_dir(&format!("network-plans-half-{half}"));
        let mut args = vec![
            "plan",
            "network",
            "config/scenarios/arterial-busy-crossing.toml",
            "--max-cycle",
            "150",
            "--out",
            dir.to_str().unwrap(),
        ];
        if half {
            args.push("--half-cycles");
        }
        let out = greenwave(&args);
        assert_ok(&out);
        let text = String::from_utf8_lossy(&out.stdout);
        let halves = text.matches("runs a half cycle of 68 s").count();
        assert_eq!(halves, if half { 3 } else { 0 }, "{text}");
        let check = greenwave(&["check", dir.to_str().unwrap()]);
        assert_eq!(
            check.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
        assert_eq!(cycle_of(&dir, "J1").0, 136.0);
        for site in ["J2", "J3", "J4"] {
            let (cycle, offset) = cycle_of(&dir, site);
            assert_eq!(cycle, if half { 68.0 } else { 136.0 }, "{site}");
            assert!((0.0..cycle).contains(&offset), "{site}: offset {offset} s");
        }
    }
}

#[test]
fn webster_plans_are_written_valid_and_form_a_green_wave() {
    let dir = fresh_dir("webster-plans");
    let out = greenwave(&[
        "plan",
        "webster",
        "config/scenarios/arterial-peak.toml",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("common cycle"), "{text}");
    let check = greenwave(&["check", dir.to_str().unwrap()]);
    let verdicts = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{verdicts}");
    assert!(verdicts.contains("4 checked: 4 valid"), "{verdicts}");
    // Eastbound green wave: offsets grow along J1..J4 (modulo the cycle) by the travel times.
    let offset = |site: &str| -> f64 {
        let plan: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.join(format!("{site}.toml"))).unwrap())
                .unwrap();
        plan["offset_s"].as_float().unwrap()
    };
    let cycle: f64 = {
        let plan: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.join("J1.toml")).unwrap()).unwrap();
        plan["cycle_s"].as_float().unwrap()
    };
    let travel = |m: f64| m / (50.0 / 3.6);
    assert_eq!(offset("J1"), 0.0);
    assert!((offset("J2") - travel(400.0)).abs() < 0.01);
    assert!((offset("J3") - travel(700.0) % cycle).abs() < 0.01);
    assert!((offset("J4") - travel(1200.0) % cycle).abs() < 0.01);
}

#[test]
fn network_plans_coordinate_every_street_of_a_grid_and_run() {
    let dir = fresh_dir("network-plans");
    let grid = dir.join("grid");
    let g = grid.to_str().unwrap();
    let generated = greenwave(&["generate", "grid", "--rows", "3", "--cols", "3", "--out", g]);
    assert_ok(&generated);
    let scenario = grid.join("scenario.toml");
    let plans = dir.join("plans");
    let out = greenwave(&[
        "plan",
        "network",
        scenario.to_str().unwrap(),
        "--out",
        plans.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    // "... (24 links): A s per vehicle with one green wave eastbound, B s with these offsets"
    let figures: Vec<f64> = text
        .split("expected delay")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"))
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(figures[0], 24.0, "{text}");
    assert!(figures[2] < figures[1], "{text}");
    let check = greenwave(&["check", plans.to_str().unwrap()]);
    let verdicts = String::from_utf8_lossy(&check.stdout);
    assert!(verdicts.contains("9 checked: 9 valid"), "{verdicts}");
    // The plans run: the scenario with each site on its own plan file.
    let table: Vec<String> = (0..3)
        .flat_map(|r| (0..3).map(move |c| format!("J{r}-{c}")))
        .map(|s| format!(r#""{s}" = "{}/{s}.toml""#, plans.display()))
        .collect();
    let text = std::fs::read_to_string(&scenario).unwrap().replace(
        r#"plan = "plans/grid-base.toml""#,
        &format!("plans = {{ {} }}", table.join(", ")),
    );
    let coordinated = grid.join("coordinated.toml");
    std::fs::write(&coordinated, text).unwrap();
    let run = greenwave(&["sim", coordinated.to_str().unwrap(), "--duration", "300"]);
    assert_ok(&run);
    // A cycle bound out of range is refused by name.
    let bad = greenwave(&[
        "plan",
        "network",
        scenario.to_str().unwrap(),
        "--max-cycle",
        "5",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(common::stderr(&bad).contains("--max-cycle 5 s is out of range"));
}

#[test]
fn a_network_too_large_for_the_memory_is_refused_before_it_starts() {
    let dir = fresh_dir("too-large");
    let d = dir.to_str().unwrap();
    // 900 intersections need about 197 MB; with 100 MB nothing is written.
    let args = [
        "generate", "grid", "--rows", "30", "--cols", "30", "--out", d,
    ];
    let out = common::greenwave_in_memory(100, &args);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("900 intersections under fixed need about 197 MB") && err.contains("100 MB"),
        "{err}"
    );
    assert!(!dir.exists());
    // A grid that fits is written, and then refused by `sim` on a smaller machine.
    let small = ["generate", "grid", "--rows", "2", "--cols", "2", "--out", d];
    assert_ok(&common::greenwave_in_memory(100, &small));
    let scenario = dir.join("scenario.toml");
    let run = [
        "sim",
        scenario.to_str().unwrap(),
        "--controller",
        "adaptive",
    ];
    let out = common::greenwave_in_memory(10, &run);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("4 intersections under adaptive need about 14 MB"));
}

/// The table and `od.csv` give travel times by origin and destination: the boundary a vehicle
/// came from and the one it left by, its travel time as in `vehicles.csv`.
#[test]
fn travel_times_by_origin_and_destination() {
    let dir = fresh_dir("sim-od");
    let out = greenwave(&[
        "sim",
        "config/scenarios/arterial-peak.toml",
        "--duration",
        "600",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("travel time by origin and destination"),
        "{stdout}"
    );
    assert!(stdout.contains("\nW -> E "), "{stdout}");
    // From vehicles.csv: the trips from W to E, and every arrived vehicle.
    let vehicles = std::fs::read_to_string(dir.join("vehicles.csv")).unwrap();
    let (mut arrived, mut west_east) = (0, Vec::new());
    for line in vehicles.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[2].is_empty() {
            continue;
        }
        arrived += 1;
        if f[1] == "W->J1" && f[2] == "J4->E" {
            west_east.push(f[6].parse::<f64>().unwrap());
        }
    }
    let od = std::fs::read_to_string(dir.join("od.csv")).unwrap();
    assert!(od.starts_with("origin,destination,vehicles,mean_travel_time_s,p95_travel_time_s\n"));
    let rows: Vec<Vec<&str>> = od.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let counted: usize = rows.iter().map(|r| r[2].parse::<usize>().unwrap()).sum();
    assert_eq!(counted, arrived);
    let we = rows.iter().find(|r| r[0] == "W" && r[1] == "E").unwrap();
    assert_eq!(we[2].parse::<usize>().unwrap(), west_east.len());
    let mean = west_east.iter().sum::<f64>() / west_east.len() as f64;
    assert!(
        (we[3].parse::<f64>().unwrap() - mean).abs() < 0.01,
        "{we:?} vs {mean}"
    );
}

/// The arterial with origin-destination demand only: each pair follows its shortest route (from
/// W to N2 the left turn at J2), the second interval drops a pair, and the report counts the
/// trips by origin and destination. A matrix naming a node that is no boundary is refused.
#[test]
fn origin_destination_demand_follows_its_routes() {
    let dir = fresh_dir("sim-od-demand");
    std::fs::create_dir_all(&dir).unwrap();
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let scenario = |od: &str| {
        format!(
            "name = \"arterial-od\"\ncorridor = \"{}/corridors/arterial-4.toml\"\n\
             duration_s = 600.0\nseed = 1\nstep_s = 0.1\n\n[controller]\nkind = \"fixed\"\n\
             plan = \"{}/plans/arterial-base.toml\"\n{od}",
            config.display(),
            config.display()
        )
    };
    let path = dir.join("od.toml");
    std::fs::write(
        &path,
        scenario(
            "[[od]]\nfrom_s = 0.0\ntrips_veh_h = { W = { E = 600.0, N2 = 120.0 } }\n\
             [[od]]\nfrom_s = 300.0\ntrips_veh_h = { W = { E = 600.0 } }\n",
        ),
    )
    .unwrap();
    let out_dir = dir.join("out");
    let vehicles = simulated_vehicles(&path, &out_dir);
    let mut to_n2 = 0;
    for line in vehicles.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[1], "W->J1", "{line}");
        assert!(["", "J4->E", "J2->N2"].contains(&f[2]), "{line}");
        if f[2] == "J2->N2" {
            to_n2 += 1;
            // Generated in the first interval only.
            assert!(f[3].parse::<f64>().unwrap() < 300.0, "{line}");
        }
    }
    assert!(
        (5..=20).contains(&to_n2),
        "{to_n2} trips to N2 (120 veh/h for 5 min)"
    );
    let od = std::fs::read_to_string(out_dir.join("od.csv")).unwrap();
    let pairs: Vec<&str> = od
        .lines()
        .skip(1)
        .map(|l| &l[..l.find(",").unwrap() + 3])
        .collect();
    assert_eq!(pairs, vec!["W,E,", "W,N2"], "{od}");
    // The SUMO export keeps each pair to its route, a flow per interval it has trips in.
    let routes = exported_routes(&path, &dir.join("sumo"));
    let route_of = |id: &str| {
        let at = routes.find(&format!("<route id=\"{id}\"")).expect(id);
        routes[at..at + routes[at..].find("/>").unwrap()].to_owned()
    };
    let (to_e, to_n2) = (route_of("od0"), route_of("od1"));
    assert!(to_e.ends_with("J4_E\""), "{to_e}");
    assert!(to_n2.ends_with("J2_N2\""), "{to_n2}");
    for (flow, route) in [("od0_f0", "od0"), ("od0_f1", "od0"), ("od1_f0", "od1")] {
        assert!(
            routes.contains(&format!(
                "<flow id=\"{flow}\" type=\"greenwave\" route=\"{route}\""
            )),
            "no flow {flow}: {routes}"
        );
    }
    assert!(!routes.contains("od1_f1"), "{routes}");

    std::fs::write(
        &path,
        scenario("[[od]]\nfrom_s = 0.0\ntrips_veh_h = { W = { J2 = 100.0 } }\n"),
    )
    .unwrap();
    let out = greenwave(&["sim", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`od[0].trips_veh_h.W.J2`: `J2` is not a boundary node of the corridor"),
        "{stderr}"
    );
}

/// Turning ratios that change: eastbound at J1 nobody turns left until 300 s, then half do;
/// from 450 s a change for every approach has them all go straight again (the later statement
/// wins). The SUMO export writes a route distribution per period. A change out of the run or
/// at a link that leads to no intersection is refused.
#[test]
fn turning_ratios_change_when_the_scenario_says() {
    let dir = fresh_dir("sim-turning-changes");
    std::fs::create_dir_all(&dir).unwrap();
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let scenario = |changes: &str| {
        format!(
            "name = \"arterial-turns\"\ncorridor = \"{}/corridors/arterial-4.toml\"\n\
             duration_s = 600.0\nseed = 1\nstep_s = 0.1\n\
             turning = {{ left = 0.0, through = 1.0, right = 0.0 }}\n\n\
             [controller]\nkind = \"fixed\"\nplan = \"{}/plans/arterial-base.toml\"\n\n\
             [[demand]]\nlink = \"W->J1\"\nflows = [{{ from_s = 0.0, veh_h = 600.0 }}]\n{changes}",
            config.display(),
            config.display()
        )
    };
    let path = dir.join("turns.toml");
    std::fs::write(
        &path,
        scenario(
            "[[turning_changes]]\nfrom_s = 300.0\nlink = \"W->J1\"\n\
             ratios = { left = 0.5, through = 0.5 }\n\
             [[turning_changes]]\nfrom_s = 450.0\nratios = { through = 1.0 }\n",
        ),
    )
    .unwrap();
    let out_dir = dir.join("out");
    let vehicles = simulated_vehicles(&path, &out_dir);
    let (mut east, mut north) = (0, 0);
    for line in vehicles.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let generated: f64 = f[3].parse().unwrap();
        match f[2] {
            "J1->N1" => {
                north += 1;
                // The turn is drawn as the vehicle enters W->J1, from the ratios then.
                assert!((300.0..450.0).contains(&generated), "{line}");
            }
            "J4->E" => east += 1,
            "" => {}
            other => panic!("a vehicle left by {other}: {line}"),
        }
    }
    // 600 veh/h for 150 s, half of them: 12.5 expected.
    assert!((5..=25).contains(&north), "{north} vehicles turned north");
    assert!(east > 25, "{east} vehicles went east");

    let routes = exported_routes(&path, &dir.join("sumo"));
    for period in ["_t0\"", "_t1\"", "_t2\""] {
        assert!(
            routes.contains(period),
            "no distribution {period}: {routes}"
        );
    }
    // Only the middle period turns north at J1: two routes (north, and east) from W.
    let middle = &routes[routes.find("_t1\"").unwrap()..routes.find("_t2\"").unwrap()];
    assert_eq!(middle.matches("<route ").count(), 2, "{middle}");
    assert_eq!(routes.matches("begin=\"300").count(), 1, "{routes}");

    for (changes, problem) in [
        (
            "[[turning_changes]]\nfrom_s = 700.0\nratios = { through = 1.0 }\n",
            "`turning_changes[0].from_s`: 700 s is out of range",
        ),
        (
            "[[turning_changes]]\nfrom_s = 60.0\nlink = \"J4->E\"\nratios = { through = 1.0 }\n",
            "`turning_changes[0].link`: `J4->E` is not a link into an intersection",
        ),
        (
            "[[turning_changes]]\nfrom_s = 60.0\nratios = { left = 0.5, through = 0.6 }\n",
            "`turning_changes[0].ratios`: turning ratios sum to 1.1, not 1",
        ),
    ] {
        std::fs::write(&path, scenario(changes)).unwrap();
        let out = greenwave(&["sim", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(problem), "{stderr}");
    }
}

#[test]
fn a_generated_grid_runs_the_same_on_one_thread_and_on_two() {
    let dir = fresh_dir("generated-grid");
    let d = dir.to_str().unwrap();
    let out = greenwave(&[
        "generate",
        "grid",
        "--rows",
        "2",
        "--cols",
        "3",
        "--controller",
        "adaptive",
        "--out",
        d,
    ]);
    assert_ok(&out);
    assert!(common::stderr(&out).contains("6 intersections"));
    let scenario = dir.join("scenario.toml");
    let run = |threads: &str| {
        let mut summary = json(&greenwave(&[
            "sim",
            scenario.to_str().unwrap(),
            "--duration",
            "300",
            "--threads",
            threads,
            "--format",
            "json",
        ]));
        let o = summary.as_object_mut().unwrap();
        o.remove("wall_seconds");
        o.remove("vehicle_updates_per_s");
        summary
    };
    let one = run("1");
    assert_eq!(one["scenario"], "grid-2x3");
    assert_eq!(one["controller"], "adaptive");
    assert!(one["vehicles_arrived"].as_u64().unwrap() > 100, "{one}");
    assert_eq!(one, run("2"));
    // A grid too small to write is refused with the flag named.
    let out = greenwave(&["generate", "grid", "--rows", "0", "--cols", "3", "--out", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("--rows"));
}
