//! The simulation: state, one time step, and the run.
//!
//! Each step: every junction's controller, sequencer and interlock tick (signals change only
//! through the interlock); pedestrians arrive and cross on walk; vehicles arrive (Poisson) and
//! enter when there is room; every lane moves (car following, stop lines, hand-over through the
//! junction); vehicles change to a lane for their turn; loops report what a cabinet would.
//! The same scenario, seed and controller give bit-identical results.

mod booking;
mod build;
mod bus;
mod cabinets;
mod crossing;
mod emergency;
mod lane_change;
mod lane_groups;
mod movement;
mod neighbours;
mod oncoming;
mod record;
mod results;
mod route;
pub(crate) mod stop_lines;
mod tails;
mod threads;

pub use build::RunOptions;
pub use record::{Path, PathSignal, Recording, TrajectoryPoint};
pub use results::{IntervalRow, Outcome};
pub use route::{Route, route};
pub use stop_lines::{StopLineCrossing, StopLineCrossings};

use rand_pcg::Pcg64Mcg;
use std::collections::VecDeque;

use greenwave_controllers::control::Neighbours;
use greenwave_controllers::detector::DetectorSample;
use greenwave_controllers::estimate::Estimate;
use greenwave_controllers::model::{PerTurn, SignalState};
use greenwave_controllers::{Duration, Instant};

use crate::arrivals::Arrivals;
use crate::driver::{CO2_G_PER_ML, Driver};
use crate::loops::Loop;
use crate::metrics::ApproachLog;
use crate::net::{EXIT, LaneInfo, NONE, SimLink, pick_turn};
use crate::signals::Junction;
use crate::vehicle::{
    BUS, COMMITTED, EMERGENCY, GAP_TAKEN, NO_BUS, Trip, Vehicle, VehicleRecord, WRONG_LANE,
};
use bus::{BusLink, BusRun, BusSignal};
use crossing::Crossing;
use movement::{LaneContext, Leaving, Road, crossing_allowed, step_lane};

/// Vehicles waiting to enter at one entry link.
struct Source {
    link: u32,
    /// The origin-destination route its vehicles follow (`u32::MAX`: they draw their turns).
    route: u32,
    arrivals: Arrivals,
    waiting: VecDeque<u32>,
}

/// A running simulation.
pub struct Simulation {
    scenario_name: String,
    controller: String,
    seed: u64,
    dt: f32,
    step: Duration,
    now: Instant,
    end: Instant,
    steps: u64,
    driver: Driver,
    speed_factor: (f64, f64),
    links: Vec<SimLink>,
    lane_info: Vec<LaneInfo>,
    lanes: Vec<Vec<Vehicle>>,
    /// Per lane, its last vehicle, as the lanes move.
    tails: tails::Tails,
    /// Per lane, whether it may hold a vehicle in a lane that does not allow its turn.
    wrong_lane: Vec<bool>,
    /// What the lanes add to the logs in a step, when they move on one thread.
    booking: booking::Booking,
    /// What the loops saw in the step (only loops that saw something or stopped seeing it).
    seen: Vec<(u32, crate::loops::Passage)>,
    /// Cards read where the lanes moved in groups: (junction, channel, what it reports).
    card_reads: Vec<(u32, u8, DetectorSample)>,
    /// Loops with injected faults, in loop order: their cards are read at every step.
    faulted: Vec<u32>,
    oncoming: oncoming::Oncoming,
    junctions: Vec<Junction>,
    neighbours: Neighbours,
    link_index: std::collections::BTreeMap<String, usize>,
    shown: Vec<SignalState>,
    go_since: Vec<Vec<f32>>,
    loops: Vec<Loop>,
    lane_loops: Vec<Vec<u32>>,
    sources: Vec<Source>,
    crossings: Vec<Crossing>,
    trips: Vec<Trip>,
    /// The turns of every origin-destination route.
    routes: Vec<Vec<u8>>,
    leaving: Vec<Leaving>,
    transfers: Vec<(u32, Vehicle)>,
    fault_rng: Pcg64Mcg,
    /// Approach log index of each link, or `NONE`.
    approach_of_link: Vec<u32>,
    approaches: Vec<ApproachLog>,
    interval_s: f64,
    /// Halted vehicles on each approach after the last step.
    queues: Vec<u32>,
    /// The approaches with halted vehicles after the last step.
    queued: Vec<u32>,
    /// Steps simulated in each interval.
    interval_steps: Vec<u32>,
    records: Vec<VehicleRecord>,
    vehicle_updates: u64,
    inserted: u64,
    hard_stops: u64,
    red_crossings: u64,
    recording: Option<Recording>,
    /// Preemption inputs.
    preempt_inputs: Vec<emergency::PreemptInput>,
    /// Emergency vehicles to come: entry link and time, in time order.
    emergency: Vec<(u32, f64)>,
    next_emergency: usize,
    /// Turning ratios to come: from when, the link and its cumulative ratios, in time order.
    turning_changes: std::collections::VecDeque<(f64, u32, PerTurn<f64>)>,
    /// The trips of emergency vehicles.
    emergency_trips: Vec<u32>,
    /// The driver model of buses.
    bus_driver: Driver,
    /// Buses to come, in order of departure.
    bus_dispatch: Vec<BusRun>,
    next_bus: usize,
    /// Buses that have left, by bus number.
    buses: Vec<BusRun>,
    /// What each link holds for buses.
    bus_links: Vec<BusLink>,
    /// Buses dwelling in a bay, with the lane they left.
    parked: Vec<(u32, Vehicle)>,
    /// What buses told the junctions in the last step.
    bus_out: Vec<BusSignal>,
    /// Where the bus routes' turns start among `routes`.
    bus_routes_from: u32,
    /// Every link report of the step, in link id order, and the junction and approach each
    /// comes from (`neighbours`).
    reports: Vec<greenwave_controllers::estimate::LinkReport>,
    report_of: Vec<(usize, usize)>,
    /// Per junction, the stamp of its forecast as last copied into `neighbours`
    /// ([`crate::forecast::Forecast::stamp`]).
    forecast_copied: Vec<Option<(Instant, Instant, usize)>>,
    /// The threads the junctions are stepped on.
    threads: threads::Threads,
    /// The lanes by the junction they end at, to move them on those threads (none on one
    /// thread, or with bus routes).
    lane_groups: Option<lane_groups::LaneGroups>,
    /// Whether each junction's signals changed in this step.
    changed: Vec<bool>,
}

impl Simulation {
    /// The simulated time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// When the run ends.
    pub fn end(&self) -> Instant {
        self.end
    }

    /// True once the run's duration has been simulated.
    pub fn finished(&self) -> bool {
        self.now >= self.end
    }

    /// Vehicles in the network now.
    pub fn vehicles_in_network(&self) -> usize {
        self.lanes.iter().map(Vec::len).sum::<usize>() + self.transfers.len() + self.parked.len()
    }

    /// The latest detector samples of an intersection, by cabinet channel.
    pub fn detector_samples(&self, site: &str) -> Option<&[DetectorSample]> {
        self.junctions
            .iter()
            .find(|j| j.site == site)
            .map(|j| j.samples.as_slice())
    }

    /// What an intersection's preemption and transit priority reported in the last step.
    pub fn reported(&self, site: &str) -> &[crate::signals::Reported] {
        self.junctions
            .iter()
            .find(|j| j.site == site)
            .map_or(&[], |j| j.reported.as_slice())
    }

    /// What an intersection's signal heads show now.
    pub fn signals(&self, site: &str) -> Option<&SignalState> {
        self.junctions
            .iter()
            .find(|j| j.site == site)
            .map(|j| &j.shown)
    }

    /// Why the greens an intersection's controller is ending end, if it says.
    pub fn termination(&self, site: &str) -> Option<greenwave_controllers::control::Termination> {
        self.junctions
            .iter()
            .find(|j| j.site == site)
            .and_then(|j| j.termination())
    }

    /// The estimator's view of an intersection (as it started, in a network where no
    /// controller reads an estimate, unless [`RunOptions::estimate_always`]).
    pub fn estimate(&self, site: &str) -> Option<&Estimate> {
        self.junctions
            .iter()
            .find(|j| j.site == site)
            .map(|j| j.estimator.estimate())
    }

    /// Sets the turning ratios an intersection's estimator starts from on one approach (by
    /// default, the scenario's).
    pub fn set_turning_prior(&mut self, site: &str, link: &str, ratios: PerTurn<f64>) {
        if let Some(j) = self.junctions.iter_mut().find(|j| j.site == site) {
            j.estimator.set_turning_prior(link, ratios);
            j.refresh_reports();
        }
    }

    /// The true number of halted vehicles on every approach link after the last step, by
    /// approach link id.
    pub fn halted_by_approach(&self) -> Vec<(&str, u32)> {
        self.approaches
            .iter()
            .zip(&self.queues)
            .map(|(a, &q)| (a.link.as_str(), q))
            .collect()
    }

    /// Vehicles that have entered the network so far.
    pub fn vehicles_inserted(&self) -> u64 {
        self.inserted
    }

    /// Vehicles that have left the network at an exit so far.
    pub fn vehicles_arrived(&self) -> u64 {
        self.records.len() as u64
    }

    /// Vehicles that stopped at a stop line harder than they physically could (0 in a correct
    /// run: every vehicle that had to stop could).
    pub fn hard_stops(&self) -> u64 {
        self.hard_stops
    }

    /// Vehicles that crossed a stop line on red or red+amber (or on an amber they could have
    /// stopped for).
    pub fn red_crossings(&self) -> u64 {
        self.red_crossings
    }

    /// Pairs of consecutive vehicles in one lane that overlap (0 in a correct run).
    pub fn overlaps(&self) -> usize {
        self.lanes
            .iter()
            .map(|lane| {
                lane.windows(2)
                    .filter(|w| w[1].x > w[0].x - w[0].len + 1e-3)
                    .count()
            })
            .sum()
    }

    /// Simulates one step.
    pub fn step(&mut self) {
        let t0 = self.now;
        let t = t0.as_secs_f64();
        let dt = self.dt;
        let t_end = t + f64::from(dt);

        self.gather_neighbours();
        let (neighbours, reports) = (&self.neighbours, &self.reports);
        let (links, link_index) = (&self.links, &self.link_index);
        self.threads
            .each_junction(&mut self.junctions, &mut self.changed, |junction| {
                let changed = junction.tick(t0, neighbours, reports);
                junction.refresh_reports();
                junction.refresh_forecast(links, link_index);
                changed
            });
        for (j, junction) in self.junctions.iter().enumerate() {
            if self.changed[j] {
                self.shown[j].clone_from(&junction.shown);
                self.go_since[j].clone_from(&junction.go_since);
                if let Some(rec) = &mut self.recording {
                    rec.signal(j, t, &junction.shown);
                }
            }
        }
        self.pedestrians(t, t_end);
        self.emergency_inputs();
        self.change_turning(t);
        self.spawn(t);
        self.insert(t);

        self.step_lanes(t, t_end);
        let interval = (t / self.interval_s) as usize;
        self.book_lanes((t_end, f64::from(dt)), interval);
        self.settle_leaving(t_end, interval);
        self.bus_signals(t_end);
        self.apply_transfers();
        lane_change::change_lanes(
            (&mut self.lanes, &mut self.wrong_lane),
            &self.lane_info,
            &self.links,
            &self.driver,
        );
        if !self.buses.is_empty() {
            let d = self.driver;
            bus::bays(
                &mut self.buses,
                &mut self.lanes,
                &mut self.parked,
                (t_end as f32, dt),
                |lane, veh| bus::room_to_merge(lane, veh, &d),
            );
        }
        self.sample_faulted(t_end, f64::from(dt));
        if let Some(rec) = &mut self.recording
            && rec.due(self.steps)
        {
            rec.sample(t_end, &self.lanes, &self.lane_info);
        }
        self.steps += 1;
        self.now = t0 + self.step;
    }

    /// One step of every lane (see [`movement::step_lane`]): `outcomes` says what happened in
    /// each, `leaving` gets the vehicles that left them, `seen` what their loops saw.
    fn step_lanes(&mut self, t: f64, t_end: f64) {
        self.tails.reset(&self.lanes);
        if self.lane_groups.is_none() {
            // (Grouped lanes work out their own as they begin.)
            let lanes = self.lanes.iter().map(Vec::as_slice).enumerate();
            self.oncoming.find(lanes, &self.lane_info, &self.links);
        }
        let road = Road {
            driver: &self.driver,
            bus_driver: &self.bus_driver,
            bus_links: &self.bus_links,
            links: &self.links,
            lane_info: &self.lane_info,
            shown: &self.shown,
            go_since: &self.go_since,
            tails: &self.tails,
            oncoming: &self.oncoming,
            approach_of_link: &self.approach_of_link,
            dt: self.dt,
            t: t as f32,
            t_end: t_end as f32,
        };
        let lane_loops = self.lane_loops.as_slice();
        let (leaving, seen) = (&mut self.leaving, &mut self.seen);
        if let Some(groups) = &mut self.lane_groups {
            let lanes = &mut self.lanes;
            groups.step_lanes(
                &self.threads,
                road,
                lanes,
                (lane_loops, &mut self.loops),
                &mut self.wrong_lane,
                (leaving, &mut self.card_reads),
            );
            return;
        }
        let loops = self.loops.as_slice();
        let mut ctx = LaneContext {
            road,
            buses: &mut self.buses,
            bus_out: &mut self.bus_out,
        };
        self.booking.clear();
        let mut out = movement::LaneOutcome::default();
        for (lane, vehicles) in self.lanes.iter_mut().enumerate() {
            let detectors = (lane_loops[lane].as_slice(), loops, 0);
            step_lane(
                &mut ctx,
                lane,
                vehicles,
                detectors,
                (seen, leaving),
                &mut out,
            );
            self.booking
                .add(movement::approach_of(&ctx.road, lane), &out);
            self.wrong_lane[lane] = out.wrong_lane;
        }
    }

    /// Books what happened in each lane in the step ending at `t_end` (loops, queues, stops)
    /// in the approaches' logs of `interval`. A loop without faults that saw something or
    /// stopped seeing it has its card read into its junction's samples at once; one that saw
    /// nothing and was not covered reports what it did after the step before (the faulted
    /// are read in [`Simulation::sample_faulted`]).
    fn book_lanes(&mut self, (t_end, dt): (f64, f64), interval: usize) {
        // (Lanes moved in groups booked their loops and read their cards on their threads.)
        for (j, channel, sample) in self.card_reads.drain(..) {
            self.junctions[j as usize].samples[usize::from(channel)] = sample;
        }
        for (l, seen) in self.seen.drain(..) {
            let it = &mut self.loops[l as usize];
            it.record(seen);
            if it.faults.is_empty() {
                // (A card without faults draws nothing from the faults' random stream.)
                let sample = it.sample(t_end, dt, &mut self.fault_rng);
                self.junctions[it.junction as usize].samples[usize::from(it.channel)] = sample;
            }
        }
        // Only the approaches with a queue in the step before, or in this one, change.
        for &a in &self.queued {
            self.queues[a as usize] = 0;
        }
        self.queued.clear();
        let mut book = |b: &booking::Booking| {
            self.vehicle_updates += b.updates;
            self.hard_stops += b.hard_stops;
            for &(a, halted, stops) in &b.approaches {
                if halted > 0 && self.queues[a as usize] == 0 {
                    self.queued.push(a);
                }
                self.queues[a as usize] += halted;
                self.approaches[a as usize].stops += u64::from(stops);
            }
        };
        match &self.lane_groups {
            Some(groups) => groups.bookings().for_each(book),
            None => book(&self.booking),
        }
        if self.interval_steps.len() <= interval {
            self.interval_steps.resize(interval + 1, 0);
            for log in &mut self.approaches {
                interval_log(log, interval);
            }
        }
        self.interval_steps[interval] += 1;
        for &a in &self.queued {
            let q = self.queues[a as usize];
            let log = &mut self.approaches[a as usize];
            log.queue_sum += u64::from(q);
            log.queue_max = log.queue_max.max(q);
            let iv = interval_log(log, interval);
            iv.queue_sum += u64::from(q);
            iv.queue_max = iv.queue_max.max(q);
        }
    }

    /// Runs to the end, calling `progress` with the fraction done now and then.
    pub fn run(&mut self, progress: impl FnMut(f64) + Send) {
        let threads = self.threads.clone();
        threads.install(|| self.run_here(progress));
    }

    /// Simulates `steps` steps, or up to the end.
    pub fn advance(&mut self, steps: u64) {
        let threads = self.threads.clone();
        threads.install(|| {
            for _ in 0..steps {
                if self.finished() {
                    break;
                }
                self.step();
            }
        });
    }

    /// How many threads step the intersections.
    pub fn threads(&self) -> usize {
        self.threads.count()
    }

    fn run_here(&mut self, mut progress: impl FnMut(f64)) {
        let total = self.end.total_millis().max(1) as f64;
        let report_every = (60_000 / self.step.total_millis().max(1)).max(1);
        while !self.finished() {
            self.step();
            if self.steps % report_every == 0 {
                progress(self.now.total_millis() as f64 / total);
            }
        }
        progress(1.0);
    }

    fn pedestrians(&mut self, t: f64, t_end: f64) {
        for c in &mut self.crossings {
            c.step(t, t_end, &self.shown[c.junction as usize]);
            if let Some(channel) = c.button {
                let sample = &mut self.junctions[c.junction as usize].samples[usize::from(channel)];
                sample.count = c.presses as u16;
                sample.presence = !c.waiting.is_empty();
            }
        }
    }

    /// Hands what the buses said in this step to their junctions.
    fn bus_signals(&mut self, t_end: f64) {
        let now = Instant::from_secs_f64(t_end);
        for signal in self.bus_out.drain(..) {
            match signal {
                BusSignal::Pulse { junction, channel } => {
                    let j = &mut self.junctions[junction as usize];
                    if let Some(s) = j.samples.get_mut(usize::from(channel)) {
                        s.count = s.count.wrapping_add(1);
                    }
                }
                BusSignal::Request {
                    junction,
                    approach,
                    bus,
                    eta_s,
                    lateness_s,
                } => {
                    let run = &self.buses[usize::from(bus)];
                    let request = greenwave_controllers::priority::PriorityRequest {
                        approach,
                        vehicle: run.name.clone(),
                        route: None,
                        eta_s,
                        lateness_s,
                        occupancy: Some(f64::from(run.occupancy)),
                    };
                    self.junctions[junction as usize].request_priority(now, request);
                }
                BusSignal::Cancel { junction, bus } => {
                    let name = &self.buses[usize::from(bus)].name;
                    self.junctions[junction as usize].cancel_priority(name);
                }
            }
        }
    }

    /// Sets every preemption input from the emergency vehicles within its range.
    fn emergency_inputs(&mut self) {
        if self.emergency_trips.is_empty() {
            return;
        }
        for input in &self.preempt_inputs {
            let link = &self.links[input.link as usize];
            let seen = link.lanes().any(|l| {
                self.lanes[l].iter().any(|v| {
                    v.flags & EMERGENCY != 0
                        && v.x <= link.length
                        && link.length - v.x <= input.range_m
                })
            });
            let junction = &mut self.junctions[input.junction as usize];
            if let Some(sample) = junction.samples.get_mut(usize::from(input.channel)) {
                sample.presence = seen;
            }
        }
    }

    /// Makes the turning ratios' changes due by `t`: turns drawn from then on follow them.
    fn change_turning(&mut self, t: f64) {
        while let Some(&(from_s, link, cdf)) = self.turning_changes.front()
            && from_s <= t
        {
            self.links[link as usize].turn_cdf = cdf;
            self.turning_changes.pop_front();
        }
    }

    /// Generates the vehicles that arrived at every entry before `t` (they enter at `t` at the
    /// earliest), emergency vehicles ahead of the queue.
    fn spawn(&mut self, t: f64) {
        while let Some(&(link, at)) = self.emergency.get(self.next_emergency)
            && at <= t
        {
            self.next_emergency += 1;
            let id = self.trips.len() as u32;
            let mut trip = Trip::new(at, link, 1.0, id.into());
            trip.emergency = true;
            let l = &self.links[link as usize];
            let turn = pick_turn(l, trip.draw());
            let next_turn = match l.next.get(usize::from(turn)) {
                Some(&n) if n != NONE => pick_turn(&self.links[n as usize], trip.draw()),
                _ => EXIT,
            };
            trip.first_turns = (turn, next_turn);
            self.trips.push(trip);
            self.emergency_trips.push(id);
            if let Some(source) = self
                .sources
                .iter_mut()
                .find(|s| s.link == link && s.route == u32::MAX)
            {
                source.waiting.push_front(id);
            }
        }
        self.dispatch_buses(t);
        let (mean, sd) = self.speed_factor;
        for source in &mut self.sources {
            while let Some(at) = source.arrivals.pop_before(t) {
                let rng = source.arrivals.rng();
                let factor = build::speed_factor(rng, mean, sd);
                let seed = rand::Rng::random::<u64>(rng);
                let id = self.trips.len() as u32;
                let mut trip = Trip::new(at, source.link, factor, seed);
                trip.route = source.route;
                set_first_turns(&mut trip, &self.links, &self.routes);
                self.trips.push(trip);
                source.waiting.push_back(id);
            }
        }
    }

    /// Sends off the buses due to leave before `t`, at the back of their entry's queue.
    fn dispatch_buses(&mut self, t: f64) {
        while let Some(next) = self.bus_dispatch.get(self.next_bus)
            && next.dispatched_s <= t
        {
            let mut run = next.clone();
            self.next_bus += 1;
            let (at, r, entry) = (run.dispatched_s, run.route, run.links[0]);
            let id = self.trips.len() as u32;
            let bus = self.buses.len() as u16;
            run.trip = id;
            self.buses.push(run);
            let mut trip = Trip::new(at, entry, 1.0, id.into());
            trip.bus = bus;
            trip.route = self.bus_routes_from + r;
            set_first_turns(&mut trip, &self.links, &self.routes);
            self.trips.push(trip);
            if let Some(source) = self.sources.iter_mut().find(|s| s.link == entry) {
                source.waiting.push_back(id);
            }
        }
    }

    /// Puts waiting vehicles onto their entry link where there is room.
    fn insert(&mut self, t: f64) {
        let d = self.driver;
        for source in &mut self.sources {
            let link = &self.links[source.link as usize];
            while let Some(&id) = source.waiting.front() {
                let trip = &mut self.trips[id as usize];
                let (turn, next_turn) = trip.first_turns;
                // The lane for its turn with the most room.
                let lane = link
                    .lanes()
                    .filter(|&l| self.lane_info[l].allows_turn(turn))
                    .max_by(|&a, &b| {
                        let room =
                            |l: usize| self.lanes[l].last().map_or(f32::INFINITY, |v| v.x - v.len);
                        room(a).total_cmp(&room(b)).then(b.cmp(&a))
                    })
                    .unwrap_or(link.first_lane as usize);
                let room = self.lanes[lane]
                    .last()
                    .map_or(f32::INFINITY, |v| v.x - v.len);
                if room < d.s0 + 0.5 {
                    break;
                }
                let v0 = link.speed * trip.speed_factor;
                let v = if room >= d.s0 + v0 * d.headway {
                    v0
                } else {
                    ((room - d.s0) / d.headway).clamp(0.0, v0)
                };
                trip.inserted_s = t;
                self.inserted += 1;
                let approach = self.approach_of_link[source.link as usize];
                if approach != NONE {
                    interval_log(
                        &mut self.approaches[approach as usize],
                        (t / self.interval_s) as usize,
                    )
                    .arrivals += 1;
                }
                let wait = (t - trip.generated_s).max(0.0) as f32;
                self.lanes[lane].push(Vehicle {
                    x: 0.0,
                    x_prev: 0.0,
                    v,
                    v0,
                    loss: wait,
                    loss_at_link: wait,
                    loss_at_free: wait,
                    halted_since: -1.0,
                    fuel: 0.0,
                    waiting: 0.0,
                    len: if trip.bus == NO_BUS {
                        d.length
                    } else {
                        self.bus_driver.length
                    },
                    id,
                    stops: 0,
                    bus: trip.bus,
                    turn,
                    next_turn,
                    flags: if self.lane_info[lane].allows_turn(turn) {
                        0
                    } else {
                        WRONG_LANE
                    } | if trip.emergency { EMERGENCY } else { 0 }
                        | if trip.bus == NO_BUS { 0 } else { BUS },
                });
                source.waiting.pop_front();
            }
        }
    }

    /// Books the vehicles that left their lane this step.
    fn settle_leaving(&mut self, t_end: f64, interval: usize) {
        let mut leaving_now = std::mem::take(&mut self.leaving);
        for leaving in leaving_now.drain(..) {
            match leaving {
                Leaving::Exit { from, vehicle } => self.finish(&vehicle, from, t_end),
                Leaving::Onto {
                    from,
                    lane,
                    vehicle,
                    aspect,
                } => {
                    let mut veh = vehicle;
                    if !crossing_allowed(aspect, veh.flags) {
                        self.red_crossings += 1;
                    }
                    let approach = self.approach_of_link[from as usize];
                    if approach != NONE {
                        let delay = veh.loss - veh.loss_at_link;
                        let wait = if veh.halted_since >= 0.0 {
                            t_end as f32 - veh.halted_since
                        } else {
                            0.0
                        };
                        let since_free = veh.loss - veh.loss_at_free;
                        let log = &mut self.approaches[approach as usize];
                        log.crossings
                            .push((veh.turn, delay, wait, t_end as f32, since_free));
                        let iv = interval_log(log, interval);
                        iv.departures += 1;
                        iv.delay_sum += f64::from(delay);
                    }
                    let new_link = self.lane_info[lane as usize].link;
                    let link = &self.links[new_link as usize];
                    let trip = &mut self.trips[veh.id as usize];
                    veh.turn = veh.next_turn;
                    veh.next_turn = match link.next.get(usize::from(veh.turn)) {
                        Some(&n) if n != NONE => {
                            let next = &self.links[n as usize];
                            trip.turn_at(&self.routes, next.is_exit(), |u| pick_turn(next, u))
                        }
                        _ => EXIT,
                    };
                    veh.v0 = link.speed * trip.speed_factor;
                    veh.loss_at_link = veh.loss;
                    veh.loss_at_free = veh.loss;
                    veh.halted_since = -1.0;
                    veh.flags &= !(COMMITTED | WRONG_LANE | GAP_TAKEN);
                    if !self.lane_info[lane as usize].allows_turn(veh.turn) {
                        veh.flags |= WRONG_LANE;
                    }
                    let next_approach = self.approach_of_link[new_link as usize];
                    if next_approach != NONE {
                        interval_log(&mut self.approaches[next_approach as usize], interval)
                            .arrivals += 1;
                    }
                    self.transfers.push((lane, veh));
                }
            }
        }
        // Hand the (now empty) buffer back, keeping its capacity for the next step.
        self.leaving = leaving_now;
    }

    fn apply_transfers(&mut self) {
        for (lane, veh) in self.transfers.drain(..) {
            let vehicles = &mut self.lanes[lane as usize];
            let mut at = vehicles.len();
            while at > 0 && vehicles[at - 1].x < veh.x {
                at -= 1;
            }
            self.wrong_lane[lane as usize] |= veh.flags & WRONG_LANE != 0;
            vehicles.insert(at, veh);
        }
    }

    /// Reads the cards of the loops with injected faults after a step into their junctions'
    /// samples, in loop order (for the random stream of erratic faults).
    fn sample_faulted(&mut self, t_end: f64, dt: f64) {
        for &l in &self.faulted {
            let it = &mut self.loops[l as usize];
            let sample = it.sample(t_end, dt, &mut self.fault_rng);
            self.junctions[it.junction as usize].samples[usize::from(it.channel)] = sample;
        }
    }

    fn finish(&mut self, veh: &Vehicle, exit: u32, t_end: f64) {
        let trip = &self.trips[veh.id as usize];
        self.records.push(VehicleRecord {
            id: veh.id,
            entry: self.links[trip.entry as usize].id.clone(),
            exit: self.links[exit as usize].id.clone(),
            generated_s: trip.generated_s,
            inserted_s: trip.inserted_s,
            arrived_s: t_end,
            delay_s: f64::from(veh.loss),
            stops: u32::from(veh.stops),
            waiting_s: f64::from(veh.waiting),
            co2_g: f64::from(veh.fuel) * CO2_G_PER_ML,
        });
    }
}

/// Sets a new trip's turns at the end of its entry link and of the link after: its route's, or
/// drawn from the turning ratios.
fn set_first_turns(trip: &mut Trip, links: &[SimLink], routes: &[Vec<u8>]) {
    let link = &links[trip.entry as usize];
    let turn = trip.turn_at(routes, link.is_exit(), |u| pick_turn(link, u));
    let next_turn = match link.next.get(usize::from(turn)) {
        Some(&n) if n != NONE => {
            let next = &links[n as usize];
            trip.turn_at(routes, next.is_exit(), |u| pick_turn(next, u))
        }
        _ => EXIT,
    };
    trip.first_turns = (turn, next_turn);
}

fn interval_log(log: &mut ApproachLog, interval: usize) -> &mut crate::metrics::IntervalLog {
    if log.intervals.len() <= interval {
        log.intervals.resize(interval + 1, Default::default());
    }
    &mut log.intervals[interval]
}
