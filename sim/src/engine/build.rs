//! Setting a simulation up from a scenario: network, junctions with their controllers, loops,
//! demand and pedestrian sources, each random stream seeded from the scenario's seed.

use petgraph::Direction as Dir;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64Mcg;
use std::collections::VecDeque;
use std::sync::Arc;

use greenwave_controllers::corridor::DetectorKind;
use greenwave_controllers::model::{PerTurn, SignalState, Turn};
use greenwave_controllers::site::Site;
use greenwave_controllers::{Duration, Instant};

use super::lane_groups::LaneGroups;
use super::{Crossing, Simulation, Source};
use crate::arrivals::Arrivals;
use crate::driver::Driver;
use crate::loops::{Loop, LoopTable};
use crate::metrics::ApproachLog;
use crate::net::{self, NONE, SimLink};
use crate::scenario::Scenario;
use crate::signals::{ControllerError, Junction, build_controller};

use super::record::Recording;

/// Choices for one run on top of the scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Run this controller instead of the scenario's.
    pub controller: Option<String>,
    /// Use this seed instead of the scenario's.
    pub seed: Option<u64>,
    /// Simulate this long instead of the scenario's duration.
    pub duration: Option<Duration>,
    /// Keep trajectories and signal changes for the pictures.
    pub record: bool,
    /// The routes whose trajectories to keep (`route`); none: the arterial both ways.
    pub routes: Vec<super::route::Route>,
    /// Aggregation interval of the per-approach log (default 60 s).
    pub interval_s: Option<f64>,
    /// Run without transit signal priority (buses still ask; nobody answers).
    pub no_priority: bool,
    /// Threads stepping the intersections (default: one per core, or `RAYON_NUM_THREADS`);
    /// the results are the same whatever the number.
    pub threads: Option<usize>,
    /// Run every intersection's demand estimator, to watch it ([`Simulation::estimate`]),
    /// even where no controller reads it (fixed time; by default a network where no
    /// controller reads an estimate runs none).
    pub estimate_always: bool,
}

/// An independent random stream for purpose `stream` of run `seed`.
pub(crate) fn stream(seed: u64, stream: u64) -> Pcg64Mcg {
    let mixed =
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (stream + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
    Pcg64Mcg::seed_from_u64(mixed)
}

/// The loops with injected faults, in loop order.
fn faulted(loops: &[Loop]) -> Vec<u32> {
    (0..loops.len() as u32)
        .filter(|&l| !loops[l as usize].faults.is_empty())
        .collect()
}

/// A desired-speed factor: normal, cut at two standard deviations.
pub(crate) fn speed_factor(rng: &mut Pcg64Mcg, mean: f64, sd: f64) -> f32 {
    if sd <= 0.0 {
        return mean as f32;
    }
    let normal = Normal::new(mean, sd).expect("sd is positive and finite");
    normal.sample(rng).clamp(mean - 2.0 * sd, mean + 2.0 * sd) as f32
}

/// What each junction shows as the run starts, and since when each group shows go.
fn shown_at_start(junctions: &[Junction]) -> (Vec<SignalState>, Vec<Vec<f32>>) {
    junctions
        .iter()
        .map(|j| (j.shown.clone(), j.go_since.clone()))
        .unzip()
}

impl Simulation {
    /// Sets up a run of `scenario`.
    pub fn new(scenario: &Scenario, options: &RunOptions) -> Result<Simulation, ControllerError> {
        let corridor = &scenario.corridor;
        let seed = options.seed.unwrap_or(scenario.seed);
        let controller = options
            .controller
            .clone()
            .unwrap_or_else(|| scenario.controller.clone());

        // Junctions, in corridor order.
        let (junction_nodes, junctions) = junctions(scenario, &controller, options)?;
        let junction_of = |node| {
            junction_nodes
                .iter()
                .position(|&n| n == node)
                .map(|i| i as u32)
        };
        let (links, lane_info) = net::build(corridor, &scenario.turning, junction_of);

        let mut table = loops(scenario, &links, lane_info.len(), &junction_of);

        let (approach_of_link, approaches) =
            approach_logs(scenario, &links, &junctions, &junction_of);

        let mut sources = sources(scenario, seed);
        let routes: Vec<Vec<u8>> = scenario.od.iter().map(|r| r.turns.clone()).collect();

        let crossings = crossings(scenario, seed, &junctions, &junction_of);
        let preempt_inputs = super::emergency::inputs(scenario, &junction_of);
        let emergency = emergency_entries(scenario);
        entry_sources(&emergency, &mut sources, seed);
        let (bus_dispatch, routes) = buses(scenario, seed, &mut sources, routes);
        let bus_links = super::bus::bus_links(scenario, &junction_of);
        let bus_routes_from = scenario.od.len() as u32;

        let (shown, go_since) = shown_at_start(&junctions);
        let duration = options.duration.unwrap_or(scenario.duration);
        let recording = options
            .record
            .then(|| Recording::new(corridor, &links, scenario.step, &options.routes));
        let link_index = links.iter().map(|l| l.id.clone()).zip(0..).collect();
        let approach_count = approaches.len();
        let junction_count = junctions.len();
        let threads = super::threads::Threads::new(options.threads, junction_count);
        let net = (links.as_slice(), lane_info.as_slice());
        let lane_groups = LaneGroups::on(&threads, net, bus_dispatch.is_empty(), &mut table);
        Ok(Simulation {
            scenario_name: scenario.name.clone(),
            controller,
            seed,
            dt: scenario.step.as_secs_f64() as f32,
            step: scenario.step,
            now: Instant::ZERO,
            end: Instant::ZERO + duration,
            steps: 0,
            driver: Driver::new(&scenario.vehicles),
            bus_driver: Driver::bus(&scenario.vehicles),
            bus_dispatch,
            next_bus: 0,
            buses: Vec::new(),
            bus_links,
            parked: Vec::new(),
            bus_out: Vec::new(),
            bus_routes_from,
            speed_factor: (
                scenario.vehicles.speed_factor_mean,
                scenario.vehicles.speed_factor_sd,
            ),
            lanes: vec![Vec::new(); lane_info.len()],
            tails: super::tails::Tails::new(lane_info.len()),
            wrong_lane: vec![false; lane_info.len()],
            booking: Default::default(),
            seen: Vec::new(),
            card_reads: Vec::new(),
            faulted: table.faulted,
            oncoming: super::oncoming::Oncoming::new(links.len()),
            links,
            lane_info,
            junctions,
            neighbours: Default::default(),
            link_index,
            shown,
            go_since,
            loops: table.loops,
            lane_loops: table.lane_loops,
            sources,
            crossings,
            preempt_inputs,
            emergency,
            next_emergency: 0,
            turning_changes: turning_changes(scenario),
            emergency_trips: Vec::new(),
            trips: Vec::new(),
            routes,
            leaving: Vec::new(),
            transfers: Vec::new(),
            fault_rng: stream(seed, 2_000),
            approach_of_link,
            approaches,
            interval_s: options.interval_s.unwrap_or(60.0),
            queues: vec![0; approach_count],
            queued: Vec::new(),
            interval_steps: Vec::new(),
            records: Vec::new(),
            vehicle_updates: 0,
            inserted: 0,
            hard_stops: 0,
            red_crossings: 0,
            recording,
            threads,
            lane_groups,
            changed: vec![false; junction_count],
            reports: Vec::new(),
            report_of: Vec::new(),
            forecast_copied: vec![None; junction_count],
        })
    }
}

/// A log for every link into a junction, and each link's log (`NONE` for the others).
fn approach_logs(
    scenario: &Scenario,
    links: &[SimLink],
    junctions: &[Junction],
    junction_of: &dyn Fn(NodeIndex) -> Option<u32>,
) -> (Vec<u32>, Vec<ApproachLog>) {
    let g = scenario.corridor.graph();
    let mut approach_of_link = vec![NONE; links.len()];
    let mut approaches = Vec::new();
    for e in g.edge_references() {
        if let Some(j) = junction_of(e.target()) {
            approach_of_link[e.id().index()] = approaches.len() as u32;
            let next = links[e.id().index()].next;
            approaches.push(ApproachLog {
                site: junctions[j as usize].site.clone(),
                direction: e.weight().approach.to_string(),
                link: e.weight().id.clone(),
                turns: next.map(|n| n != NONE),
                ..ApproachLog::default()
            });
        }
    }
    (approach_of_link, approaches)
}

/// The buses of the run in order of departure, with a source at every entry of theirs, and the
/// routes' turns after the origin-destination `routes`.
fn buses(
    scenario: &Scenario,
    seed: u64,
    sources: &mut Vec<Source>,
    mut routes: Vec<Vec<u8>>,
) -> (Vec<super::bus::BusRun>, Vec<Vec<u8>>) {
    let dispatch = super::bus::dispatches(scenario, &mut stream(seed, 7_000));
    let entries: Vec<(u32, f64)> = dispatch
        .iter()
        .map(|b| (b.links[0], b.dispatched_s))
        .collect();
    entry_sources(&entries, sources, seed);
    routes.extend(scenario.buses.iter().map(|b| b.turns.clone()));
    (dispatch, routes)
}

/// Every intersection of the corridor as a junction running `controller`, in corridor order,
/// with its node.
fn junctions(
    scenario: &Scenario,
    controller: &str,
    options: &RunOptions,
) -> Result<(Vec<NodeIndex>, Vec<Junction>), ControllerError> {
    let corridor = &scenario.corridor;
    let g = corridor.graph();
    let mut junction_nodes = Vec::new();
    let mut junctions = Vec::new();
    for (node, _) in corridor.intersections() {
        let site = Arc::new(Site::new(corridor, node).expect("an intersection"));
        let ctl = build_controller(
            controller,
            &site,
            scenario.plans.get(&node),
            &scenario.controller_params,
        )?;
        let mut junction = Junction::new(site, ctl);
        // The scenario's turning ratios are the estimator's starting point.
        for e in g.edges_directed(node, Dir::Incoming) {
            junction
                .estimator
                .set_turning_prior(&e.weight().id, scenario.turning[e.id().index()]);
        }
        junction_nodes.push(node);
        junctions.push(junction);
    }
    // Estimators run where a controller reads them (any, in a network of neighbours).
    let estimating = options.estimate_always || junctions.iter().any(Junction::reads_estimate);
    for j in &mut junctions {
        j.set_priority(!options.no_priority);
        j.set_estimating(estimating);
    }
    Ok((junction_nodes, junctions))
}

/// The emergency vehicles of `scenario`: (entry link, when).
fn emergency_entries(scenario: &Scenario) -> Vec<(u32, f64)> {
    scenario
        .emergency
        .iter()
        .map(|&(link, at)| (link.index() as u32, at))
        .collect()
}

/// The vehicle loops, the loops on each of the `lanes` lanes, and those with injected faults.
fn loops(
    scenario: &Scenario,
    links: &[SimLink],
    lanes: usize,
    junction_of: &dyn Fn(NodeIndex) -> Option<u32>,
) -> LoopTable {
    let g = scenario.corridor.graph();
    let mut loops = Vec::new();
    let mut lane_loops = vec![Vec::new(); lanes];
    for e in g.edge_references() {
        let link = &links[e.id().index()];
        let Some(junction) = junction_of(e.target()) else {
            continue;
        };
        for (k, det) in e.weight().detectors.iter().enumerate() {
            if !det.kind.is_vehicle_loop() {
                continue;
            }
            let lane = link.first_lane as usize + usize::from(det.lane);
            let end = link.length - det.distance_m as f32;
            lane_loops[lane].push(loops.len() as u32);
            loops.push(Loop {
                junction,
                channel: det.channel,
                start: end - det.length_m as f32,
                end,
                count: 0,
                on_time_s: 0.0,
                presence: false,
                faults: scenario
                    .faults
                    .iter()
                    .filter(|f| f.link == e.id() && f.detector == k)
                    .cloned()
                    .collect(),
                reported_count: 0,
                reported_on_time_s: 0.0,
                seen_count: 0,
                seen_on_time_s: 0.0,
            });
        }
    }
    let faulted = faulted(&loops);
    LoopTable {
        loops,
        lane_loops,
        faulted,
    }
}

/// A source for every entry's demand and every origin-destination pair (at the route's entry),
/// each on a random stream of its own.
fn sources(scenario: &Scenario, seed: u64) -> Vec<Source> {
    let mut sources: Vec<Source> = scenario
        .demand
        .iter()
        .enumerate()
        .map(|(i, d)| Source {
            link: d.link.index() as u32,
            route: u32::MAX,
            arrivals: Arrivals::new(d.flows.clone(), stream(seed, i as u64)),
            waiting: VecDeque::new(),
        })
        .collect();
    sources.extend(scenario.od.iter().enumerate().map(|(k, r)| Source {
        link: r.links[0].index() as u32,
        route: k as u32,
        arrivals: Arrivals::new(r.flows.clone(), stream(seed, 3_000 + k as u64)),
        waiting: VecDeque::new(),
    }));
    sources
}

/// A source at every entry of `vehicles` (emergency vehicles, buses: entry link and time) that
/// has none drawing its turns (an entry without demand, or with origin-destination demand
/// only).
fn entry_sources(vehicles: &[(u32, f64)], sources: &mut Vec<Source>, seed: u64) {
    for &(link, _) in vehicles {
        if !sources
            .iter()
            .any(|s| s.link == link && s.route == u32::MAX)
        {
            let i = sources.len() as u64;
            sources.push(Source {
                link,
                route: u32::MAX,
                arrivals: Arrivals::new(vec![(0.0, 0.0)], stream(seed, 4_000 + i)),
                waiting: VecDeque::new(),
            });
        }
    }
}

/// The pedestrian crossings, each with its arrivals and push button.
fn crossings(
    scenario: &Scenario,
    seed: u64,
    junctions: &[Junction],
    junction_of: &dyn Fn(NodeIndex) -> Option<u32>,
) -> Vec<Crossing> {
    let g = scenario.corridor.graph();
    scenario
        .pedestrians
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let junction = junction_of(p.node).expect("pedestrians are at intersections");
            let ix = &junctions[junction as usize].ix;
            let approach = ix
                .group(p.group)
                .movements
                .iter()
                .find(|m| m.turn == Turn::Crossing)
                .map(|m| m.approach);
            let button = g
                .edges_directed(p.node, Dir::Incoming)
                .filter(|e| Some(e.weight().approach) == approach)
                .flat_map(|e| e.weight().detectors.iter())
                .find(|d| d.kind == DetectorKind::PedestrianButton)
                .map(|d| d.channel);
            let arrivals = Arrivals::new(vec![(0.0, p.per_s)], stream(seed, 1_000 + i as u64));
            Crossing::new(junction, ix, p.group, arrivals, button)
        })
        .collect()
}

/// The scenario's turning ratio changes as the engine makes them: from when, the link and its
/// cumulative ratios.
fn turning_changes(scenario: &Scenario) -> VecDeque<(f64, u32, PerTurn<f64>)> {
    scenario
        .turning_changes
        .iter()
        .map(|c| (c.from_s, c.link.index() as u32, net::cumulative(&c.ratios)))
        .collect()
}
