//! The SUMO export judged by SUMO itself (`eclipse-sumo` from PyPI, pinned in `.ci/run`; its
//! wheel carries `netconvert` and `sumo`).
//!
//! The arterial peak with its fixed Webster plans is exported, netconvert builds the network,
//! and sumo runs the hour on three seeds; `greenwave sim` runs the same three seeds. Compared:
//! - mean delay within 15 %: SUMO's `timeLoss` plus its `departDelay` (the wait to enter)
//!   against greenwave's delay, which is the same time loss with the wait to enter included,
//!   over every vehicle that wanted to enter, finished or not (tripinfo's unfinished and
//!   undeparted trips are written for that);
//! - throughput within 3 %: vehicles that reached their exit.
//!
//! Three seeds each, because one hour of one seed of Poisson arrivals varies by about 2 % in the
//! number of vehicles, which is most of the throughput tolerance.
//!
//! And the round trip: the exported network, built by netconvert and imported with
//! `greenwave import sumo`, is the corridor it came from (intersections, approaches, lanes and
//! their turns, detectors) with the same plans (cycle, offset, stages and greens).
#![cfg(feature = "sim")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fresh_dir, greenwave, stderr};

const SCENARIO: &str = "config/scenarios/arterial-peak.toml";
const SEEDS: [u64; 3] = [1, 2, 3];

/// SUMO's `bin` folder: `GREENWAVE_SUMO_BIN`, or the one of the `sumo` Python package. `None`
/// (the test is skipped, saying so) when neither is there, except in CI, where `.ci/run` has
/// installed it and its absence is a failure.
fn sumo_bin() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("GREENWAVE_SUMO_BIN") {
        return Some(PathBuf::from(dir));
    }
    let found = Command::new("python3")
        .args(["-c", "import sumo; print(sumo.SUMO_HOME)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("bin"))
        .filter(|bin| bin.join("sumo").exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "SUMO is not installed: .ci/run installs eclipse-sumo from PyPI"
        );
        eprintln!(
            "skipped: SUMO is not installed (pip install eclipse-sumo==1.24.0, or set \
             GREENWAVE_SUMO_BIN to a folder with netconvert and sumo)"
        );
    }
    found
}

/// Runs a SUMO tool in `dir`; panics with its output when it fails.
fn run_tool(bin: &Path, tool: &str, dir: &Path, args: &[&str]) {
    let out = Command::new(bin.join(tool))
        .args(args)
        .current_dir(dir)
        .env("SUMO_HOME", bin.parent().expect("bin has a parent"))
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Exports the arterial peak into a fresh folder and builds its network.
fn exported(bin: &Path, name: &str) -> PathBuf {
    let dir = fresh_dir(name);
    let dir_s = dir.to_str().expect("a UTF-8 path");
    let out = greenwave(&["export", "sumo", SCENARIO, "--out", dir_s]);
    assert!(out.status.success(), "export: {}", stderr(&out));
    run_tool(bin, "netconvert", &dir, &["-c", "network.netccfg"]);
    dir
}

/// (vehicles that wanted to enter, vehicles arrived, mean delay s) of a tripinfo file.
fn tripinfo(path: &Path) -> (usize, usize, f64) {
    let text = std::fs::read_to_string(path).expect("tripinfo written");
    let doc = roxmltree::Document::parse(&text).expect("tripinfo is XML");
    let (mut n, mut arrived, mut delay) = (0, 0, 0.0);
    for trip in doc.descendants().filter(|e| e.has_tag_name("tripinfo")) {
        let num = |key: &str| -> f64 {
            trip.attribute(key)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("tripinfo `{key}`"))
        };
        n += 1;
        if num("arrival") >= 0.0 {
            arrived += 1;
        }
        delay += num("timeLoss") + num("departDelay");
    }
    (n, arrived, delay / n.max(1) as f64)
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b
}

#[test]
fn sumo_runs_the_exported_arterial_peak_like_greenwave() {
    let Some(bin) = sumo_bin() else { return };
    let dir = exported(&bin, "sumo-check");

    // SUMO took the programs as written: offsets and phases.
    let net = std::fs::read_to_string(dir.join("network.net.xml")).expect("net written");
    let doc = roxmltree::Document::parse(&net).expect("net is XML");
    let j2 = doc
        .descendants()
        .find(|e| e.has_tag_name("tlLogic") && e.attribute("id") == Some("J2"))
        .expect("J2's program");
    assert_eq!(j2.attribute("offset"), Some("28.80"));
    assert_eq!(
        j2.children().filter(|c| c.has_tag_name("phase")).count(),
        12
    );

    let mut sumo = (0, 0, 0.0);
    for seed in SEEDS {
        let file = format!("tripinfo-{seed}.xml");
        run_tool(
            &bin,
            "sumo",
            &dir,
            &[
                "-c",
                "scenario.sumocfg",
                "--seed",
                &seed.to_string(),
                "--tripinfo-output",
                &file,
                "--no-step-log",
                "--duration-log.disable",
            ],
        );
        let (n, arrived, delay) = tripinfo(&dir.join(file));
        eprintln!("sumo seed {seed}: {n} vehicles, {arrived} arrived, mean delay {delay:.1} s");
        sumo.0 += n;
        sumo.1 += arrived;
        sumo.2 += delay / SEEDS.len() as f64;
    }
    let sumo_arrived = sumo.1 as f64 / SEEDS.len() as f64;

    let seeds = SEEDS.len().to_string();
    let out = greenwave(&["sim", SCENARIO, "--seeds", &seeds, "--format", "json"]);
    assert!(out.status.success(), "sim: {}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sim JSON");
    let gw_delay = summary["mean_delay_s"].as_f64().expect("mean_delay_s");
    let gw_arrived = summary["vehicles_arrived"]
        .as_f64()
        .expect("vehicles_arrived");
    eprintln!(
        "arterial-peak, fixed Webster plans, 3600 s, seeds {SEEDS:?}: mean delay greenwave \
         {gw_delay:.1} s, SUMO {:.1} s ({:+.1} %); arrived per run greenwave {gw_arrived:.0}, \
         SUMO {sumo_arrived:.0} ({:+.1} %)",
        sumo.2,
        100.0 * (sumo.2 - gw_delay) / gw_delay,
        100.0 * (sumo_arrived - gw_arrived) / gw_arrived,
    );
    assert!(
        relative(sumo.2, gw_delay) <= 0.15,
        "mean delay: SUMO {:.1} s, greenwave {gw_delay:.1} s",
        sumo.2
    );
    assert!(
        relative(sumo_arrived, gw_arrived) <= 0.03,
        "throughput: SUMO {sumo_arrived:.0}, greenwave {gw_arrived:.0} vehicles"
    );
}

/// A corridor as comparable facts: per link its lanes, speed, length and detectors; per
/// intersection its groups (movements with their lanes spelled out) and stages.
fn facts(corridor: &greenwave_controllers::corridor::Corridor) -> (Vec<String>, Vec<String>) {
    let g = corridor.graph();
    let mut links: Vec<String> = g
        .edge_weights()
        .map(|l| {
            let dets: Vec<String> = l
                .detectors
                .iter()
                .map(|d| {
                    format!(
                        "{} ch{} lane{} {:.2} m {:.2} m {:?}",
                        d.id, d.channel, d.lane, d.distance_m, d.length_m, d.kind
                    )
                })
                .collect();
            format!(
                "{} {} {:?} {:.2} km/h {:.1} m [{}]",
                l.id,
                l.approach,
                l.lanes,
                l.speed_mps * 3.6,
                l.length_m,
                dets.join(", ")
            )
        })
        .collect();
    links.sort();
    let mut junctions = Vec::new();
    for (node, n) in corridor.intersections() {
        let ix = n.intersection().expect("an intersection");
        for group in ix.groups() {
            let mut moves: Vec<String> = group
                .movements
                .iter()
                .map(|m| {
                    let lanes: Vec<u8> = if m.lanes.is_empty() {
                        let link = corridor.approach(node, m.approach).expect("approach");
                        (0..link.lanes.len() as u8)
                            .filter(|&l| link.lanes[usize::from(l)].allows(m.turn))
                            .collect()
                    } else {
                        m.lanes.clone()
                    };
                    format!("{} {} {lanes:?}", m.approach, m.turn)
                })
                .collect();
            moves.sort();
            junctions.push(format!("{} group {}: {}", n.id, group.id, moves.join(", ")));
        }
        for a in ix.group_indices() {
            for b in ix.group_indices() {
                if let Some(ig) = ix.intergreen(a, b) {
                    let (a, b) = (&ix.group(a).id, &ix.group(b).id);
                    junctions.push(format!("{} intergreen {a} -> {b}: {ig:?}", n.id));
                }
            }
        }
        for stage in ix.stages() {
            let groups: Vec<&str> = stage
                .groups
                .iter()
                .map(|gr| ix.group(gr).id.as_str())
                .collect();
            junctions.push(format!("{} stage {}: {groups:?}", n.id, stage.id));
        }
    }
    junctions.sort();
    (links, junctions)
}

/// Per intersection: cycle, offset, and each stage with its green.
fn plan_facts(scenario: &greenwave_sim::Scenario) -> Vec<String> {
    let g = scenario.corridor.graph();
    let mut out: Vec<String> = scenario
        .plans
        .iter()
        .map(|(node, plan)| {
            let ix = g[*node].intersection().expect("an intersection");
            let stages: Vec<String> = plan
                .stages
                .iter()
                .map(|s| format!("{} {:.1} s", ix.stage(s.stage).id, s.green.as_secs_f64()))
                .collect();
            format!(
                "{}: cycle {:.1} s, offset {:.1} s, {}",
                g[*node].id,
                plan.cycle.as_secs_f64(),
                plan.offset.as_secs_f64(),
                stages.join(", ")
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn export_netconvert_import_gives_the_same_network() {
    let Some(bin) = sumo_bin() else { return };
    let dir = exported(&bin, "sumo-round-trip");
    let back = dir.join("imported");
    let d = |name: &str| dir.join(name).to_str().expect("a UTF-8 path").to_owned();
    let out = greenwave(&[
        "import",
        "sumo",
        &d("network.net.xml"),
        "--routes",
        &d("routes.rou.xml"),
        "--additional",
        &d("detectors.add.xml"),
        "--out",
        back.to_str().expect("a UTF-8 path"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "import: {stdout}{}", stderr(&out));
    assert!(stdout.contains("dropped or approximated (0)"), "{stdout}");

    let original =
        greenwave_sim::Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIO))
            .expect("the arterial peak loads");
    let imported =
        greenwave_sim::Scenario::load(&back.join("scenario.toml")).expect("the import loads");
    let (links, junctions) = facts(&original.corridor);
    let (links_back, junctions_back) = facts(&imported.corridor);
    assert_eq!(links_back, links);
    assert_eq!(junctions_back, junctions);
    assert_eq!(plan_facts(&imported), plan_facts(&original));

    // The demand: the same entry flows, and the turning ratios the routes were drawn from.
    let mut flows: Vec<(String, Vec<(f64, f64)>)> = imported
        .demand
        .iter()
        .map(|d| {
            (
                imported.corridor.graph()[d.link].id.clone(),
                d.flows.clone(),
            )
        })
        .collect();
    let mut flows_before: Vec<(String, Vec<(f64, f64)>)> = original
        .demand
        .iter()
        .map(|d| {
            (
                original.corridor.graph()[d.link].id.clone(),
                d.flows.clone(),
            )
        })
        .collect();
    flows.sort_by(|a, b| a.0.cmp(&b.0));
    flows_before.sort_by(|a, b| a.0.cmp(&b.0));
    let per_s = |f: &[(String, Vec<(f64, f64)>)]| -> Vec<String> {
        f.iter()
            .map(|(l, fl)| {
                format!(
                    "{l} {:?}",
                    fl.iter()
                        .map(|(t, r)| format!("{t:.0}: {:.1}", r * 3600.0))
                        .collect::<Vec<_>>()
                )
            })
            .collect()
    };
    assert_eq!(per_s(&flows), per_s(&flows_before));
    for e in original.corridor.graph().edge_indices() {
        let id = &original.corridor.graph()[e].id;
        let Some(back) = imported.corridor.link_by_id(id) else {
            panic!("link {id} is not imported");
        };
        let (a, b) = (original.turning[e.index()], imported.turning[back.index()]);
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-3, "{id}: turning {a:?} became {b:?}");
        }
    }
}
