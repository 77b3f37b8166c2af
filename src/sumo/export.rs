//! `greenwave export sumo`: a scenario as a SUMO study (plain XML network, programs, loops,
//! routes, and the configurations of netconvert and sumo), with a report of what is not carried
//! over.

use anyhow::{Context, Result};
use std::path::Path;

use greenwave_controllers::corridor::DetectorKind;
use greenwave_sim::Scenario;

use super::network::{self, bad_id};
use super::xml::{Doc, attr, num};
use super::{demand, program};

/// The files written, in the order a reader meets them.
pub const NODES: &str = "network.nod.xml";
pub const EDGES: &str = "network.edg.xml";
pub const CONNECTIONS: &str = "network.con.xml";
pub const PROGRAMS: &str = "network.tll.xml";
pub const NETCONVERT: &str = "network.netccfg";
pub const NET: &str = "network.net.xml";
pub const DETECTORS: &str = "detectors.add.xml";
pub const ROUTES: &str = "routes.rou.xml";
pub const SUMOCFG: &str = "scenario.sumocfg";
pub const TRIPINFO: &str = "tripinfo.xml";
pub const REPORT: &str = "export-report.txt";

/// How often the induction loops report, s.
const LOOP_PERIOD_S: f64 = 60.0;

/// netconvert's configuration: the plain files in, the net out. Turns are not slowed for their
/// curvature (greenwave's vehicles take a junction at their desired speed), and no U-turns are
/// added beyond those a lane allows (`U`), which come with the connections.
fn netccfg() -> String {
    let mut doc = Doc::new("netconvert -c network.netccfg", "configuration", &[]);
    doc.open("input", &[]);
    for (key, file) in [
        ("node-files", NODES),
        ("edge-files", EDGES),
        ("connection-files", CONNECTIONS),
        ("tllogic-files", PROGRAMS),
    ] {
        doc.leaf(key, &[attr("value", file)]);
    }
    doc.close("input");
    doc.open("output", &[]);
    doc.leaf("output-file", &[attr("value", NET)]);
    doc.close("output");
    doc.open("processing", &[]);
    doc.leaf("no-turnarounds", &[attr("value", "true")]);
    doc.close("processing");
    doc.open("junctions", &[]);
    doc.leaf("junctions.limit-turn-speed", &[attr("value", "-1")]);
    doc.close("junctions");
    doc.finish("configuration")
}

/// sumo's configuration: the scenario's duration, step and seed; no teleporting (greenwave
/// never removes a stuck vehicle); ballistic position updates (as greenwave's); every trip
/// written, unfinished and never-started ones too (greenwave counts them).
fn sumocfg(scenario: &Scenario, detectors: bool) -> String {
    let mut doc = Doc::new("sumo -c scenario.sumocfg", "configuration", &[]);
    doc.open("input", &[]);
    doc.leaf("net-file", &[attr("value", NET)]);
    doc.leaf("route-files", &[attr("value", ROUTES)]);
    if detectors {
        doc.leaf("additional-files", &[attr("value", DETECTORS)]);
    }
    doc.close("input");
    doc.open("time", &[]);
    doc.leaf("begin", &[attr("value", "0")]);
    doc.leaf(
        "end",
        &[attr("value", num(scenario.duration.as_secs_f64()))],
    );
    doc.leaf(
        "step-length",
        &[attr("value", num(scenario.step.as_secs_f64()))],
    );
    doc.close("time");
    doc.open("processing", &[]);
    doc.leaf("time-to-teleport", &[attr("value", "-1")]);
    doc.leaf("step-method.ballistic", &[attr("value", "true")]);
    doc.close("processing");
    doc.open("random_number", &[]);
    doc.leaf("seed", &[attr("value", scenario.seed)]);
    doc.close("random_number");
    doc.open("output", &[]);
    doc.leaf("tripinfo-output", &[attr("value", TRIPINFO)]);
    doc.leaf("tripinfo-output.write-unfinished", &[attr("value", "true")]);
    doc.leaf("tripinfo-output.write-undeparted", &[attr("value", "true")]);
    doc.close("output");
    doc.finish("configuration")
}

/// What the SUMO study leaves out of this scenario, one line each.
fn not_carried_over(scenario: &Scenario) -> Vec<String> {
    let mut out = vec![
        "control: SUMO runs each intersection's fixed timing plan (static programs); no \
         actuated, coordinated, max-pressure or adaptive control and no detector-driven decisions"
            .to_owned(),
        "driver: greenwave's reaction time at the stop line when the signal turns green, its \
         amber decision (stop if the amber deceleration suffices) and its permissive-left gap \
         acceptance are its own; SUMO applies its IDM, junction and lane-change models"
            .to_owned(),
        "geometry: SUMO builds its own junction shapes and internal lanes; greenwave's fixed \
         paths through a junction (from 22 m for a sharp left to 7 m for a sharp right: 20 m \
         left, 16 m through, 9 m right) are not carried over"
            .to_owned(),
        "saturation flow: an input of greenwave's plans and estimator, not of SUMO, where it \
         follows from car following"
            .to_owned(),
    ];
    if scenario.controller != "fixed" {
        out.push(format!(
            "controller: the scenario runs `{}`; SUMO runs the plans it names as fixed time",
            scenario.controller
        ));
    }
    if !scenario.pedestrians.is_empty() {
        out.push(format!(
            "pedestrians: {} pedestrian demand(s) left out (SUMO gets vehicles only)",
            scenario.pedestrians.len()
        ));
    }
    if !scenario.faults.is_empty() {
        out.push(format!(
            "faults: {} detector fault(s) left out",
            scenario.faults.len()
        ));
    }
    let g = scenario.corridor.graph();
    let buttons = g
        .edge_weights()
        .flat_map(|l| &l.detectors)
        .filter(|d| d.kind == DetectorKind::PedestrianButton)
        .count();
    if buttons > 0 {
        out.push(format!(
            "detectors: {buttons} pedestrian button(s) left out"
        ));
    }
    out
}

/// Writes the study into `dir`; returns the report's lines.
pub fn export(scenario: &Scenario, dir: &Path) -> Result<Vec<String>> {
    let corridor = &scenario.corridor;
    let g = corridor.graph();
    for n in g.node_weights() {
        if let Some(why) = bad_id(&n.id) {
            anyhow::bail!("node {why}");
        }
    }
    let programs = program::programs(scenario)?;
    let conns = network::connections(corridor);
    let unsignalled = conns.iter().filter(|c| c.group.is_none()).count();
    let detectors = network::detectors(corridor, LOOP_PERIOD_S, "detectors.out.xml");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = vec![
        (NODES, network::nodes(corridor)),
        (EDGES, network::edges(corridor)),
        (CONNECTIONS, network::connections_xml(corridor, &conns)),
        (PROGRAMS, program::tll(scenario, &programs, &conns)),
        (NETCONVERT, netccfg()),
        (ROUTES, demand::routes_xml(scenario)),
        (SUMOCFG, sumocfg(scenario, detectors.is_some())),
    ];
    if let Some(d) = detectors {
        files.push((DETECTORS, d));
    }
    let mut report = vec![format!(
        "greenwave export sumo: scenario `{}` ({}), corridor `{}`",
        scenario.name,
        scenario.path.display(),
        corridor.id()
    )];
    report.push(format!(
        "{} nodes, {} links, {} connections, {} programs, {} entry flows",
        g.node_count(),
        g.edge_count(),
        conns.len(),
        programs.len(),
        scenario.demand.len()
    ));
    for (node, p) in &programs {
        report.push(format!(
            "{}: plan `{}`, cycle {} s, offset {} s, {} phases",
            g[*node].id,
            p.plan_id,
            num(p.cycle_s),
            num(p.offset_s),
            p.phases.len()
        ));
    }
    if unsignalled > 0 {
        report.push(format!(
            "{unsignalled} connection(s) served by no signal group are left to SUMO's right of way"
        ));
    }
    report.push("not carried over:".to_owned());
    report.extend(
        not_carried_over(scenario)
            .into_iter()
            .map(|l| format!("- {l}")),
    );
    report.push(format!(
        "run: netconvert -c {NETCONVERT} && sumo -c {SUMOCFG}"
    ));
    files.push((REPORT, report.join("\n") + "\n"));
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report)
}
