//! Buses in a run: dispatched off their timetable, driving with their own length and
//! acceleration, dwelling at their stops, and asking the junctions for priority: a pulse on a
//! check-in or check-out input as they pass it (`loops`), or a request with their due time,
//! lateness and load from the agency's AVL system, renewed as they go and cancelled at the
//! stop line (`avl`).
//!
//! Stops are bays: a bus that has stopped at one leaves its lane for the dwell (traffic behind
//! goes on) and merges back when the dwell is over and the lane has a safe gap.
//!
//! A bus's delay is its time loss less its dwells (the service it is there for).

use greenwave_controllers::corridor::DetectorKind;
use greenwave_controllers::model::Approach;
use petgraph::visit::EdgeRef;
use rand_distr::{Distribution, Normal};

use crate::driver::Driver;
use crate::scenario::{BusPriority, Scenario};
use crate::vehicle::{NO_BUS, Vehicle};

/// An AVL request is renewed this often while the bus approaches, s.
const RENEW_S: f32 = 5.0;

/// A stop of one bus's trip.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stop {
    pub link: u32,
    pub at_m: f32,
    /// This bus's dwell there, s.
    pub dwell_s: f32,
    /// When the timetable has it there, s.
    pub due_s: f64,
}

/// One bus on its trip.
#[derive(Clone, Debug)]
pub(crate) struct BusRun {
    /// Its route (index among the scenario's).
    pub route: u32,
    /// Its name in requests and records: route and number.
    pub name: String,
    /// Its vehicle (trip) number.
    pub trip: u32,
    /// People on board.
    pub occupancy: f32,
    /// How it asks for priority.
    pub priority: BusPriority,
    /// When it left, s.
    pub dispatched_s: f64,
    /// Its route's links, and when the timetable has it at the stop line of each.
    pub links: Vec<u32>,
    pub line_due_s: Vec<f64>,
    pub stops: Vec<Stop>,
    pub next_stop: usize,
    /// While dwelling: until when.
    pub dwell_until: f32,
    /// It has just stopped at a stop: to be moved into the bay.
    pub parking: bool,
    /// Time spent dwelling so far, s.
    pub dwelt_s: f32,
    /// Lateness at each stop reached, s.
    pub lateness_s: Vec<f64>,
    /// The approach link it last asked on, and when.
    pub asked: Option<(u32, f32)>,
}

impl BusRun {
    /// Its lateness if it reaches the stop line of `link` at `at_s`.
    fn lateness_at_line(&self, link: u32, at_s: f64) -> Option<f64> {
        let leg = self.links.iter().position(|&l| l == link)?;
        Some(at_s - self.line_due_s[leg])
    }
}

/// Per link, what a bus on it meets: priority inputs `(junction, channel, position from the
/// link's start)` and, on an approach, its junction and direction.
#[derive(Clone, Debug, Default)]
pub(crate) struct BusLink {
    pub inputs: Vec<(u32, u8, f32)>,
    pub approach: Option<(u32, Approach)>,
}

/// What buses tell the junctions in one step.
#[derive(Clone, Debug)]
pub(crate) enum BusSignal {
    /// A pulse on a check-in or check-out input.
    Pulse { junction: u32, channel: u8 },
    /// An AVL request.
    Request {
        junction: u32,
        approach: Approach,
        bus: u16,
        eta_s: f64,
        lateness_s: Option<f64>,
    },
    /// An AVL check-out.
    Cancel { junction: u32, bus: u16 },
}

/// What every link holds for buses.
pub(crate) fn bus_links(
    scenario: &Scenario,
    junction_of: &dyn Fn(petgraph::graph::NodeIndex) -> Option<u32>,
) -> Vec<BusLink> {
    let g = scenario.corridor.graph();
    let mut out = vec![BusLink::default(); g.edge_count()];
    for e in g.edge_references() {
        let Some(junction) = junction_of(e.target()) else {
            continue;
        };
        let link = e.weight();
        let slot = &mut out[e.id().index()];
        slot.approach = Some((junction, link.approach));
        for d in &link.detectors {
            if matches!(d.kind, DetectorKind::BusCheckIn | DetectorKind::BusCheckOut) {
                let at = (link.length_m - d.distance_m).max(0.0) as f32;
                slot.inputs.push((junction, d.channel, at));
            }
        }
    }
    out
}

/// Every bus of the run, in order of departure; departures off the timetable, dwells and
/// loads drawn from `rng`. Their trip numbers are set when they leave.
pub(crate) fn dispatches(scenario: &Scenario, rng: &mut rand_pcg::Pcg64Mcg) -> Vec<BusRun> {
    let mut all = Vec::new();
    for (r, route) in scenario.buses.iter().enumerate() {
        let late = Normal::new(0.0, route.dispatch_sd_s.max(1e-9)).expect("finite spread");
        for (k, &due) in route.departures.iter().enumerate() {
            let off = if route.dispatch_sd_s > 0.0 {
                late.sample(rng)
                    .clamp(-route.dispatch_sd_s, 3.0 * route.dispatch_sd_s)
            } else {
                0.0
            };
            all.push(((due + off).max(0.0), r as u32, due, k as u32));
        }
    }
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.into_iter()
        .map(|(at, r, due, k)| run_of(scenario, r, k, due, at, rng))
        .collect()
}

/// The trip of bus `number` of route `r` timetabled at `scheduled_s`: its stops with their
/// dwells drawn from `rng`, and its timetable along the route.
pub(crate) fn run_of(
    scenario: &Scenario,
    r: u32,
    number: u32,
    scheduled_s: f64,
    dispatched_s: f64,
    rng: &mut rand_pcg::Pcg64Mcg,
) -> BusRun {
    let route = &scenario.buses[r as usize];
    let g = scenario.corridor.graph();
    let ff = |e: petgraph::graph::EdgeIndex| g[e].length_m / g[e].speed_mps.max(0.1);
    // Free-flow time from the start of the route to the start of each leg.
    let mut leg_start = Vec::with_capacity(route.links.len());
    let mut t = 0.0;
    for &e in &route.links {
        leg_start.push(t);
        t += ff(e);
    }
    let factor = route.schedule_factor;
    let mut dwells_before = 0.0;
    let mut stops = Vec::new();
    let mut line_due_s = Vec::new();
    let mut next = route.stops.iter().peekable();
    for (leg, &e) in route.links.iter().enumerate() {
        while let Some(s) = next.next_if(|s| s.leg == leg) {
            let at = leg_start[leg] + s.at_m / g[e].speed_mps.max(0.1);
            let spread = Normal::new(s.dwell_s, 0.3 * s.dwell_s).expect("finite dwell");
            let dwell = spread.sample(rng).clamp(0.3 * s.dwell_s, 3.0 * s.dwell_s);
            stops.push(Stop {
                link: e.index() as u32,
                at_m: s.at_m as f32,
                dwell_s: dwell as f32,
                due_s: scheduled_s + factor * at + dwells_before,
            });
            dwells_before += s.dwell_s;
        }
        line_due_s.push(scheduled_s + factor * (leg_start[leg] + ff(e)) + dwells_before);
    }
    let load = Normal::new(route.occupancy, 0.25 * route.occupancy).expect("finite load");
    BusRun {
        route: r,
        name: format!("{} #{}", route.name, number + 1),
        trip: u32::MAX,
        occupancy: load.sample(rng).clamp(1.0, 3.0 * route.occupancy) as f32,
        priority: route.priority,
        dispatched_s,
        links: route.links.iter().map(|e| e.index() as u32).collect(),
        line_due_s,
        stops,
        next_stop: 0,
        dwell_until: f32::NAN,
        parking: false,
        dwelt_s: 0.0,
        lateness_s: Vec::new(),
        asked: None,
    }
}

/// What a bus does at its stops in one step on `link`: the acceleration it may have at most
/// (`f32::INFINITY` when no stop holds it), given its position `x`, speed `v`, the gap-keeping
/// `stop_accel(gap)` and the step's time `t` and length `dt`.
pub(crate) fn at_stops(
    run: &mut BusRun,
    link: u32,
    (x, v): (f32, f32),
    (t, dt): (f32, f32),
    halt_within_m: f32,
    stop_accel: impl Fn(f32) -> f32,
) -> f32 {
    let Some(stop) = run.stops.get(run.next_stop).copied() else {
        return f32::INFINITY;
    };
    if stop.link != link || run.dwell_until.is_finite() {
        return f32::INFINITY;
    }
    let to_stop = stop.at_m - x;
    if to_stop < -1.0 {
        // Past it without stopping (it entered the link beyond): skipped.
        run.next_stop += 1;
        return f32::INFINITY;
    }
    if v < crate::vehicle::HALTING_SPEED && to_stop < halt_within_m {
        run.dwell_until = t + dt + stop.dwell_s;
        run.parking = true;
        run.lateness_s.push(f64::from(t) - stop.due_s);
        return f32::NEG_INFINITY;
    }
    stop_accel(to_stop.max(0.1))
}

/// When the agency's AVL system expects a bus at `x` with speed `v` (desired `v0`) on `link` at
/// the stop line `line`, from `t`, s: on a free road from its speed, each stop still before the
/// line costing its braking, its dwell (what is left of it, at the stop) and the start from
/// standstill after it.
pub(crate) fn eta_to_line(
    run: &BusRun,
    d: &Driver,
    link: u32,
    (x, v, v0): (f32, f32, f32),
    line: f32,
    t: f32,
) -> f32 {
    let (mut eta, mut from, mut speed) = (0.0, x, v);
    let ahead = run.stops.iter().enumerate().skip(run.next_stop);
    for (i, stop) in ahead.filter(|(_, s)| s.link == link && s.at_m < line) {
        let dwell = if i == run.next_stop && run.dwell_until.is_finite() {
            (run.dwell_until - t).max(0.0)
        } else {
            stop.dwell_s
        };
        if stop.at_m > from {
            // Braking to a stop from its desired speed takes v0 / 2b longer than covering the
            // braking distance at that speed.
            eta += d.free_time(speed, v0, stop.at_m - from) + v0 / (2.0 * d.b);
        }
        eta += dwell;
        (from, speed) = (from.max(stop.at_m), 0.0);
    }
    eta + d.free_time(speed, v0, (line - from).max(0.0))
}

/// Moves every bus that has just stopped into its bay (out of `lanes`, into `parked` with its
/// lane), and merges back those whose dwell is over at `t` where their lane has a safe gap.
/// Parked buses lose time like halted vehicles; the dwell itself is booked apart.
pub(crate) fn bays(
    buses: &mut [BusRun],
    lanes: &mut [Vec<Vehicle>],
    parked: &mut Vec<(u32, Vehicle)>,
    (t, dt): (f32, f32),
    fits: impl Fn(&[Vehicle], &Vehicle) -> bool,
) {
    for (lane, vehicles) in lanes.iter_mut().enumerate() {
        let mut i = 0;
        while i < vehicles.len() {
            let veh = &vehicles[i];
            if veh.bus != NO_BUS && buses[usize::from(veh.bus)].parking {
                buses[usize::from(veh.bus)].parking = false;
                let mut bus = vehicles.remove(i);
                bus.v = 0.0;
                bus.x_prev = bus.x;
                parked.push((lane as u32, bus));
            } else {
                i += 1;
            }
        }
    }
    parked.retain_mut(|(lane, veh)| {
        let run = &mut buses[usize::from(veh.bus)];
        veh.loss += dt;
        veh.waiting += dt;
        if t < run.dwell_until {
            run.dwelt_s += dt.min(run.dwell_until - t);
            return true;
        }
        let vehicles = &mut lanes[*lane as usize];
        if !fits(vehicles, veh) {
            return true;
        }
        run.dwell_until = f32::NAN;
        run.next_stop += 1;
        // Back in the lane: the AVL system tells the junction ahead at once.
        run.asked = None;
        let at = vehicles.partition_point(|o| o.x > veh.x);
        vehicles.insert(at, *veh);
        false
    });
}

/// Whether a bus standing at `veh.x` may pull out of its bay into `lane`: the standstill gap to
/// the vehicle ahead, and behind it room for the follower to stop comfortably (a standing bus is
/// not a lane change at speed).
pub(crate) fn room_to_merge(lane: &[Vehicle], veh: &Vehicle, d: &Driver) -> bool {
    let at = lane.partition_point(|o| o.x > veh.x);
    let ahead_ok = at == 0 || lane[at - 1].x - lane[at - 1].len - veh.x >= d.s0;
    let behind_ok = lane.get(at).is_none_or(|f| {
        let stopping = f.v * d.headway + f.v * f.v / (2.0 * d.b);
        veh.x - veh.len - f.x >= d.s0 + stopping
    });
    ahead_ok && behind_ok
}

/// What a bus tells the junction of `link` in one step from `x_prev` to `x` (`line` the stop
/// line): pulses on the inputs it passed, and (AVL) a request renewed every few seconds or its
/// cancellation once over the line. `eta` is its time to the line at its desired speed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn signals(
    run: &mut BusRun,
    bus: u16,
    link: u32,
    meets: &BusLink,
    (x_prev, x, line): (f32, f32, f32),
    eta: impl Fn(&BusRun) -> f32,
    t: f32,
    out: &mut Vec<BusSignal>,
) {
    match run.priority {
        BusPriority::None => {}
        BusPriority::Loops => {
            for &(junction, channel, at) in &meets.inputs {
                if x_prev < at && x >= at {
                    out.push(BusSignal::Pulse { junction, channel });
                }
            }
        }
        BusPriority::Avl => {
            let Some((junction, approach)) = meets.approach else {
                return;
            };
            if x >= line {
                if x_prev < line {
                    out.push(BusSignal::Cancel { junction, bus });
                }
                return;
            }
            let due = match run.asked {
                Some((l, at)) if l == link => t - at >= RENEW_S,
                _ => true,
            };
            if due {
                run.asked = Some((link, t));
                let eta_s = f64::from(eta(run));
                out.push(BusSignal::Request {
                    junction,
                    approach,
                    bus,
                    eta_s,
                    lateness_s: run.lateness_at_line(link, f64::from(t) + eta_s),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::VehicleSpec;

    /// The first eastbound bus of `arterial-peak-transit` (its first stop, far side on J1->J2,
    /// `dwell_s` long), as dispatched.
    fn first_bus(dwell_s: f32) -> BusRun {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../config/scenarios/arterial-peak-transit.toml");
        let scenario = Scenario::load(&path).unwrap();
        let mut run = run_of(
            &scenario,
            0,
            0,
            0.0,
            0.0,
            &mut super::super::build::stream(1, 0),
        );
        run.stops[0].dwell_s = dwell_s;
        run
    }

    #[test]
    fn the_avl_eta_counts_a_stop_before_the_line_its_dwell_and_the_start_after_it() {
        let d = Driver::bus(&VehicleSpec::default());
        let mut run = first_bus(20.0);
        let (link, at) = (run.stops[0].link, run.stops[0].at_m);
        let line = at + 377.0;
        let at_speed = (0.0, 13.9, 13.9);
        let direct = d.free_time(13.9, 13.9, line);
        // Before the stop: the whole dwell, braking and the start from standstill.
        let before = eta_to_line(&run, &d, link, at_speed, line, 0.0);
        let start = d.free_time(0.0, 13.9, 377.0) - d.free_time(13.9, 13.9, 377.0);
        let expected = direct + 13.9 / (2.0 * d.b) + 20.0 + start;
        assert!(
            (before - expected).abs() < 0.1,
            "{before} against {expected}"
        );
        // Dwelling, 15 s of it left: that, and the start.
        run.dwell_until = 15.0;
        let dwelling = eta_to_line(&run, &d, link, (at, 0.0, 13.9), line, 0.0);
        let expected = 15.0 + d.free_time(0.0, 13.9, 377.0);
        assert!(
            (dwelling - expected).abs() < 1e-3,
            "{dwelling} against {expected}"
        );
        // Past it (served): the road to the line only; on another link the stop does not count.
        run.next_stop = 1;
        let past = eta_to_line(&run, &d, link, (at + 77.0, 13.9, 13.9), line, 0.0);
        assert!((past - 300.0 / 13.9).abs() < 0.05, "{past}");
        let elsewhere = eta_to_line(&first_bus(20.0), &d, link + 1, at_speed, line, 0.0);
        assert!((elsewhere - direct).abs() < 1e-3, "{elsewhere}");
    }
}
