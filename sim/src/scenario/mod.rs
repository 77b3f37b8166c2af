//! Scenarios: a validated scenario file, with its corridor, plans and demand resolved.
//!
//! Validation names the file, the field and the value: an unknown corridor, demand on a link
//! that is not an entry, turning ratios that do not sum to 1, a negative flow, a missing seed.

pub mod bus;
pub mod od;
pub mod spec;
mod turning;

pub use bus::{BusPriority, BusRoute, BusStop};
pub use od::OdRoute;
pub use spec::{
    ControllerSpec, DemandSpec, EmergencySpec, FaultKind, FaultSpec, FlowSpec, OdSpec,
    PedestrianSpec, ScenarioSpec, TurningChangeSpec, TurningSpec, VehicleSpec,
};
pub use turning::TurningChange;

use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use greenwave_controllers::corridor::{Corridor, NodeKind};
use greenwave_controllers::load::{self, LoadError};
use greenwave_controllers::model::{GroupIndex, GroupKind, PerTurn};
use greenwave_controllers::plan::TimingPlan;
use greenwave_controllers::{Collector, Duration, Problems};

/// The controllers the simulator can run.
pub use greenwave_controllers::control::CONTROLLERS;

/// Step lengths the simulator accepts: they divide a second.
pub const STEPS_S: [f64; 6] = [0.05, 0.1, 0.2, 0.25, 0.5, 1.0];

/// The longest run, s (a week).
pub const MAX_DURATION_S: f64 = 7.0 * 86_400.0;

pub use greenwave_controllers::control::ControllerParams;

/// Demand at one entry link.
#[derive(Clone, Debug)]
pub struct Demand {
    /// The entry link.
    pub link: EdgeIndex,
    /// `(from_s, veh_per_s)`, ascending.
    pub flows: Vec<(f64, f64)>,
}

/// Pedestrian demand at one crossing.
#[derive(Clone, Debug)]
pub struct Pedestrians {
    /// The intersection.
    pub node: NodeIndex,
    /// The crossing's signal group.
    pub group: GroupIndex,
    /// Pedestrians per second.
    pub per_s: f64,
}

/// A detector fault, resolved.
#[derive(Clone, Debug)]
pub struct Fault {
    /// The link the detector is on.
    pub link: EdgeIndex,
    /// Its index in the link's detector list.
    pub detector: usize,
    /// The fault.
    pub kind: FaultKind,
    /// Window start.
    pub from_s: f64,
    /// Window end.
    pub to_s: f64,
    /// The card sets the fault code.
    pub reported: bool,
}

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// The file it came from.
    pub path: PathBuf,
    /// The corridor.
    pub corridor: Arc<Corridor>,
    /// Simulated time.
    pub duration: Duration,
    /// The seed.
    pub seed: u64,
    /// The time step.
    pub step: Duration,
    /// The controller's name.
    pub controller: String,
    /// The controllers' settings.
    pub controller_params: ControllerParams,
    /// The timing plan of each intersection, where one was given.
    pub plans: BTreeMap<NodeIndex, TimingPlan>,
    /// Turning ratios (by [`Turn::index`]) of every link ending at an intersection, by edge
    /// index; movements that do not exist have ratio 0.
    pub turning: Vec<PerTurn<f64>>,
    /// Turning ratios that change during the run, each resolved to one link, in time order.
    pub turning_changes: Vec<TurningChange>,
    /// Vehicle demand.
    pub demand: Vec<Demand>,
    /// Origin-destination demand, each pair on its route.
    pub od: Vec<OdRoute>,
    /// Pedestrian demand.
    pub pedestrians: Vec<Pedestrians>,
    /// Emergency vehicles: entry link and when each wants to enter, in time order.
    pub emergency: Vec<(EdgeIndex, f64)>,
    /// Bus routes.
    pub buses: Vec<BusRoute>,
    /// Detector faults.
    pub faults: Vec<Fault>,
    /// Vehicle and driver parameters.
    pub vehicles: VehicleSpec,
}

impl Scenario {
    /// Each link's turning ratios (by edge index) at `t` s, the changes up to then made.
    pub fn turning_at(&self, t: f64) -> Vec<PerTurn<f64>> {
        turning::turning_at(&self.turning, &self.turning_changes, t)
    }

    /// Loads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        let spec: ScenarioSpec = load::parse_toml(path, &text)?;
        Scenario::from_spec(&spec, path).map_err(|problems| LoadError::Invalid {
            path: path.to_owned(),
            problems,
        })
    }

    /// Validates a parsed scenario; paths inside it are relative to `path`. Every section is
    /// checked in its own function; every problem found is reported.
    pub fn from_spec(spec: &ScenarioSpec, path: &Path) -> Result<Scenario, Problems> {
        let mut out = Collector::default();
        let corridor = match load::corridor(&load::beside(path, &spec.corridor)) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                out.push("corridor", e.to_string());
                return Err(out.into_problems());
            }
        };
        check_run(spec, &corridor, &mut out);
        let plans = plans_of(spec, path, &corridor, &mut out);
        let turning = turning::turning_of(spec, &corridor, &mut out);
        let turning_changes = turning::changes_of(spec, &corridor, &turning, &mut out);
        let demand = demand_of(spec, &corridor, &mut out);
        let od = od::od_of(&spec.od, &corridor, &mut out);
        let pedestrians = pedestrians_of(spec, &corridor, &mut out);
        let emergency = emergency_of(spec, &corridor, &mut out);
        let buses = bus::buses_of(&spec.buses, &corridor, spec.duration_s, &mut out);
        let faults = faults_of(spec, &corridor, &mut out);
        check_vehicles(&spec.vehicles, &mut |field, message| {
            out.push(field, message)
        });
        out.finish(|| Scenario {
            name: spec.name.clone(),
            path: path.to_owned(),
            corridor,
            duration: Duration::from_secs_f64(spec.duration_s),
            seed: spec.seed,
            step: Duration::from_secs_f64(spec.step_s),
            controller: spec.controller.kind.clone(),
            controller_params: spec.controller.params(),
            plans,
            turning,
            turning_changes,
            demand,
            od,
            pedestrians,
            emergency,
            buses,
            faults,
            vehicles: spec.vehicles,
        })
    }
}

/// The run's length, its step and the controller section.
fn check_run(spec: &ScenarioSpec, corridor: &Corridor, out: &mut Collector) {
    if !(spec.duration_s.is_finite() && spec.duration_s > 0.0 && spec.duration_s <= MAX_DURATION_S)
    {
        out.push(
            "duration_s",
            format!(
                "{} s is out of range (above 0, at most a week)",
                spec.duration_s
            ),
        );
    }
    // Signal timings are in whole and half seconds: a step that divides a second lands on
    // every one of them.
    if !STEPS_S.iter().any(|&s| (s - spec.step_s).abs() < 1e-9) {
        out.push(
            "step_s",
            format!(
                "{} s is not a step the simulator takes (one of 0.05, 0.1, 0.2, 0.25, 0.5, 1 s)",
                spec.step_s
            ),
        );
    }
    for problem in spec.controller.problems(|stage| {
        corridor.intersections().any(|(_, n)| {
            n.intersection()
                .is_some_and(|ix| ix.stage_by_id(stage).is_some())
        })
    }) {
        out.push(problem.field, problem.message);
    }
}

/// The timing plan of each intersection, by node.
fn plans_of(
    spec: &ScenarioSpec,
    path: &Path,
    corridor: &Corridor,
    out: &mut Collector,
) -> BTreeMap<NodeIndex, TimingPlan> {
    let g = corridor.graph();
    // Plans, by site.
    let mut plans = BTreeMap::new();
    for site in spec.controller.plans.keys() {
        if corridor
            .node_by_id(site)
            .and_then(|n| g[n].intersection().cloned())
            .is_none()
        {
            out.push(
                format!("controller.plans.{site}"),
                format!(
                    "`{site}` is not an intersection of corridor `{}`",
                    corridor.id()
                ),
            );
        }
    }
    for (node, n) in corridor.intersections() {
        let ix = n.intersection().expect("an intersection");
        let (field, file) = match spec.controller.plans.get(&n.id) {
            Some(file) => (format!("controller.plans.{}", n.id), file),
            None => match &spec.controller.plan {
                Some(file) => ("controller.plan".to_owned(), file),
                None => continue,
            },
        };
        match load::plan_for(&load::beside(path, file), ix) {
            Ok(plan) => {
                plans.insert(node, plan);
            }
            Err(e) => out.push(&field, format!("for `{}`: {e}", n.id)),
        }
    }
    // Every controller runs within a timing plan (its stage order and green bounds).
    {
        for (node, n) in corridor.intersections() {
            if !plans.contains_key(&node)
                && !spec.controller.plans.contains_key(&n.id)
                && spec.controller.plan.is_none()
            {
                out.push(
                    "controller.plan",
                    format!(
                        "every intersection needs a timing plan: `{}` has none",
                        n.id
                    ),
                );
            }
        }
    }
    plans
}

/// The vehicle demand at each entry.
fn demand_of(spec: &ScenarioSpec, corridor: &Corridor, out: &mut Collector) -> Vec<Demand> {
    let g = corridor.graph();
    // Demand.
    let mut demand = Vec::new();
    for (i, d) in spec.demand.iter().enumerate() {
        let field = format!("demand[{i}]");
        let Some(edge) = corridor.link_by_id(&d.link) else {
            out.push(
                format!("{field}.link"),
                format!("unknown link `{}`", d.link),
            );
            continue;
        };
        let (a, _) = g.edge_endpoints(edge).expect("edge");
        if !matches!(g[a].kind, NodeKind::Boundary) {
            out.push(
                format!("{field}.link"),
                format!(
                    "demand on `{}`, which is not an entry (it starts at intersection `{}`)",
                    d.link, g[a].id
                ),
            );
            continue;
        }
        if d.flows.is_empty() {
            out.push(format!("{field}.flows"), "a demand needs at least one flow");
        }
        let mut flows = Vec::new();
        let mut last = f64::NEG_INFINITY;
        for (k, f) in d.flows.iter().enumerate() {
            if !(f.veh_h.is_finite() && f.veh_h >= 0.0 && f.veh_h <= 10_000.0) {
                out.push(
                    format!("{field}.flows[{k}].veh_h"),
                    format!("flow {} veh/h is out of range (0 to 10000)", f.veh_h),
                );
            }
            if !(f.from_s.is_finite() && f.from_s >= 0.0 && f.from_s > last) {
                out.push(
                    format!("{field}.flows[{k}].from_s"),
                    format!(
                        "{} s must be at least 0 and after the previous flow's start",
                        f.from_s
                    ),
                );
            } else if f.from_s >= spec.duration_s {
                out.push(
                    format!("{field}.flows[{k}].from_s"),
                    format!(
                        "{} s starts after the run ends (duration_s = {} s)",
                        f.from_s, spec.duration_s
                    ),
                );
            }
            last = f.from_s;
            flows.push((f.from_s, f.veh_h / 3600.0));
        }
        if demand.iter().any(|x: &Demand| x.link == edge) {
            out.push(
                format!("{field}.link"),
                format!("`{}` has demand twice", d.link),
            );
        }
        demand.push(Demand { link: edge, flows });
    }
    demand
}

/// The pedestrian demand at each crossing.
fn pedestrians_of(
    spec: &ScenarioSpec,
    corridor: &Corridor,
    out: &mut Collector,
) -> Vec<Pedestrians> {
    let g = corridor.graph();
    // Pedestrians.
    let mut pedestrians = Vec::new();
    for (i, p) in spec.pedestrians.iter().enumerate() {
        let field = format!("pedestrians[{i}]");
        let node = corridor.node_by_id(&p.site);
        let Some((node, ix)) = node.and_then(|n| Some((n, g[n].intersection()?.clone()))) else {
            out.push(
                format!("{field}.site"),
                format!("`{}` is not an intersection", p.site),
            );
            continue;
        };
        match ix.group_by_id(&p.group) {
            Some(group) if ix.group(group).kind == GroupKind::Pedestrian => {
                if !(p.ped_h.is_finite() && p.ped_h >= 0.0 && p.ped_h <= 5_000.0) {
                    out.push(
                        format!("{field}.ped_h"),
                        format!("{} ped/h is out of range (0 to 5000)", p.ped_h),
                    );
                }
                pedestrians.push(Pedestrians {
                    node,
                    group,
                    per_s: p.ped_h / 3600.0,
                });
            }
            _ => out.push(
                format!("{field}.group"),
                format!("`{}` is not a pedestrian group of `{}`", p.group, p.site),
            ),
        }
    }
    pedestrians
}

/// The emergency vehicles, in time order.
fn emergency_of(
    spec: &ScenarioSpec,
    corridor: &Corridor,
    out: &mut Collector,
) -> Vec<(EdgeIndex, f64)> {
    let mut all = Vec::new();
    for (i, e) in spec.emergency.iter().enumerate() {
        let field = format!("emergency[{i}]");
        let g = corridor.graph();
        let entry = corridor.link_by_id(&e.link).filter(|&l| {
            g.edge_endpoints(l)
                .is_some_and(|(a, _)| matches!(g[a].kind, NodeKind::Boundary))
        });
        let Some(link) = entry else {
            out.push(
                format!("{field}.link"),
                format!("`{}` is not an entry link", e.link),
            );
            continue;
        };
        for (k, &at) in e.at_s.iter().enumerate() {
            if !(at.is_finite() && (0.0..=spec.duration_s).contains(&at)) {
                out.push(
                    format!("{field}.at_s[{k}]"),
                    format!("{at} s is outside the run (0 to {} s)", spec.duration_s),
                );
                continue;
            }
            all.push((link, at));
        }
    }
    all.sort_by(|a, b| a.1.total_cmp(&b.1));
    all
}

/// The detector faults to inject.
fn faults_of(spec: &ScenarioSpec, corridor: &Corridor, out: &mut Collector) -> Vec<Fault> {
    let g = corridor.graph();
    // Faults.
    let mut faults = Vec::new();
    for (i, f) in spec.faults.iter().enumerate() {
        let field = format!("faults[{i}]");
        let found = g.edge_references().find_map(|e| {
            e.weight()
                .detectors
                .iter()
                .position(|d| d.id == f.detector)
                .map(|k| (e.id(), k))
        });
        let Some((link, detector)) = found else {
            out.push(
                format!("{field}.detector"),
                format!("unknown detector `{}`", f.detector),
            );
            continue;
        };
        let to_s = f.to_s.unwrap_or(f64::INFINITY);
        if !(f.from_s.is_finite() && f.from_s >= 0.0 && to_s > f.from_s) {
            out.push(
                &field,
                format!("window {} s to {to_s} s is empty or negative", f.from_s),
            );
        }
        faults.push(Fault {
            link,
            detector,
            kind: f.kind,
            from_s: f.from_s,
            to_s,
            reported: f.reported,
        });
    }
    faults
}

fn check_vehicles(v: &VehicleSpec, push: &mut impl FnMut(&str, String)) {
    let ranges = [
        ("vehicles.length_m", v.length_m, 2.0, 20.0),
        ("vehicles.min_gap_m", v.min_gap_m, 0.5, 10.0),
        ("vehicles.headway_s", v.headway_s, 0.5, 4.0),
        ("vehicles.accel_mps2", v.accel_mps2, 0.5, 5.0),
        ("vehicles.decel_mps2", v.decel_mps2, 0.5, 8.0),
        ("vehicles.amber_decel_mps2", v.amber_decel_mps2, 1.0, 8.0),
        ("vehicles.max_decel_mps2", v.max_decel_mps2, 3.0, 12.0),
        ("vehicles.reaction_s", v.reaction_s, 0.0, 3.0),
        ("vehicles.speed_factor_mean", v.speed_factor_mean, 0.5, 1.5),
        ("vehicles.speed_factor_sd", v.speed_factor_sd, 0.0, 0.3),
        ("vehicles.bus_length_m", v.bus_length_m, 6.0, 25.0),
        ("vehicles.bus_accel_mps2", v.bus_accel_mps2, 0.3, 3.0),
    ];
    for (field, value, lo, hi) in ranges {
        if !(value.is_finite() && (lo..=hi).contains(&value)) {
            push(field, format!("{value} is out of range ({lo} to {hi})"));
        }
    }
    // The slowest driver (two deviations below the mean) must still want to move.
    if v.speed_factor_mean - 2.0 * v.speed_factor_sd < 0.3 {
        push(
            "vehicles.speed_factor_sd",
            format!(
                "a mean of {} with a deviation of {} lets drivers want less than 0.3 times the link speed",
                v.speed_factor_mean, v.speed_factor_sd
            ),
        );
    }
    if v.max_decel_mps2 < v.decel_mps2 {
        push(
            "vehicles.max_decel_mps2",
            format!(
                "{} is below the comfortable deceleration {}",
                v.max_decel_mps2, v.decel_mps2
            ),
        );
    }
}
