//! The adaptive controller's prediction: arrivals of each flow over the horizon (the upstream
//! neighbours' forecasts, else the local estimate, late by part of the time from the advance
//! loops: `unseen`), and the delay a candidate schedule gives them in a queue model that
//! discharges each flow at its saturation flow while it has green.

use std::cell::Cell;

use super::{Adaptive, BIN_S};
use crate::control::Inputs;
use crate::model::priority::CAR_OCCUPANCY;

impl Adaptive {
    /// Arrival rate of each flow over the horizon, veh/s per second.
    pub(super) fn arrivals(&self, inputs: &Inputs<'_>, horizon: usize) -> Vec<Vec<f64>> {
        // Each approach's forecast from upstream, looked up once for its movements.
        let profiles: Vec<Option<&Vec<f64>>> = (self.site.approaches.iter())
            .map(|a| inputs.neighbours.arrivals.get(&a.link))
            .collect();
        self.flows
            .iter()
            .map(|f| {
                let est = inputs.estimate.approaches.get(f.approach);
                let local = est.map_or(0.0, |e| e.movement_arrival_veh_h[f.turn] / 3600.0);
                // This movement's share of the approach: from the flows, or (with next to no flow
                // seen yet) the turning ratio.
                let share = est.map_or(0.0, |e| {
                    if e.arrival_veh_h > 1.0 {
                        e.movement_arrival_veh_h[f.turn] / e.arrival_veh_h
                    } else {
                        e.turning[f.turn]
                    }
                });
                match profiles[f.approach] {
                    // The forecast while it lasts, then the local estimate.
                    Some(profile) => {
                        let mut rate = Vec::with_capacity(horizon);
                        rate.extend(profile.iter().take(horizon).map(|a| a * share));
                        rate.resize(horizon, local);
                        rate
                    }
                    // A rate with no timing: vehicles the loops have not seen yet (`unseen`).
                    None => {
                        let mut rate = vec![local; horizon];
                        super::unseen::start_late(&mut rate, f.unseen_s);
                        rate
                    }
                }
            })
            .collect()
    }

    /// Predicted delay (vehicle-seconds, weighted for equity: `equity`) over the horizon when
    /// the current stage (plan position `k`) runs `hold` s more and then the stages that follow
    /// in order (skipping those without demand), each until its queues have cleared within its
    /// green bounds. Time runs in bins of `BIN` seconds. With `record`, the departures of each
    /// flow per second go there.
    pub(super) fn predict(
        &self,
        k: usize,
        hold: f64,
        queues: &[f64],
        inflow: &Inflow<'_>,
        record: Option<&mut Vec<Vec<f64>>>,
    ) -> f64 {
        self.predict_order(k, (hold, None), queues, inflow, record)
    }

    /// As [`Adaptive::predict`], with the stage after the hold at plan position `then` where
    /// given (out of the plan's order: a bus's stage brought forward), the order following on
    /// from there.
    pub(super) fn predict_order(
        &self,
        k: usize,
        (hold, then): (f64, Option<usize>),
        queues: &[f64],
        inflow: &Inflow<'_>,
        mut record: Option<&mut Vec<Vec<f64>>>,
    ) -> f64 {
        if let Some(d) = record.as_deref_mut() {
            fit(d, self.flows.len(), inflow.horizon);
        }
        let mut run = Run::new(self, k, queues, then);
        run.end_by = hold;
        match record {
            Some(d) => (0..inflow.bins).for_each(|b| run.bin(self, inflow, b, d)),
            None => (0..inflow.bins).for_each(|b| run.bin(self, inflow, b, &mut ())),
        }
        // No penalty for what is still queued at the end: over a horizon of a cycle or so every
        // stage has had its turn, and a penalty there makes the controller cut stages short to
        // chase queues it cannot clear anyway.
        run.delay
    }

    /// Of every extension of plan position `k`'s green up to `room` s, in steps of `step_s`
    /// (delay against extension can fall, rise and fall again as a platoon comes into reach):
    /// the least predicted delay, and the extension that gives it (0: end now); the first of
    /// equals.
    ///
    /// The same as predicting each extension in turn, with less work: every extension runs the
    /// same schedule until it ends the green, so one run holds the green throughout and each
    /// extension goes on from a copy of it at its end; and a run stops once its delay so far is
    /// more than the least found (delay only grows, but for rounding far below the 1e-6 by
    /// which an extension must be better to be taken).
    pub(super) fn best_extension(
        &self,
        k: usize,
        room: f64,
        (queues, inflow): (&[f64], &Inflow<'_>),
    ) -> (f64, f64) {
        let mut best = (f64::INFINITY, 0.0);
        let mut held = Run::new(self, k, queues, None);
        let mut run = held.clone();
        let mut b = 0;
        let mut hold = 0.0;
        while hold <= room + 1e-9 {
            while b < inflow.bins && (b as f64 * BIN_S) < hold {
                held.bin(self, inflow, b, &mut ());
                b += 1;
            }
            if held.delay > best.0 {
                break;
            }
            run.copy(&held);
            run.end_by = hold;
            for b in b..inflow.bins {
                run.bin(self, inflow, b, &mut ());
                if run.delay > best.0 {
                    break;
                }
            }
            if run.delay < best.0 - 1e-6 {
                best = (run.delay, hold);
            }
            hold += self.params.step_s;
        }
        best
    }
}

/// Makes `record` hold `flows` series of `horizon` seconds. A run writes every second of them
/// but those after its last whole bin, which stay 0 from when they were made.
fn fit(record: &mut Vec<Vec<f64>>, flows: usize, horizon: usize) {
    record.resize_with(flows, Vec::new);
    for flow in record.iter_mut() {
        if flow.len() != horizon {
            flow.clear();
            flow.resize(horizon, 0.0);
        }
    }
}

/// One schedule's prediction under way: the queues and the stage being served, bin by bin.
#[derive(Clone, Debug)]
struct Run {
    q: Vec<f64>,
    /// What each flow's delay counts for (`equity`): its group's weight for the wait so far
    /// until it is served, then 1 (a clock started within the horizon counts from its start,
    /// not on into the future).
    weight: Vec<f64>,
    /// What each lane pool's green movements could send in the bin.
    demand: Vec<f64>,
    delay: f64,
    /// The stage being served (or being changed to), when its green starts and when it ends.
    at: usize,
    green_from: f64,
    end_by: f64,
    /// The stage after the one at `at`, where not the plan's next with demand.
    then: Option<usize>,
    /// Buses still to go through, each counting its car-loads of people.
    bus_waiting: u32,
}

impl Run {
    /// A run from plan position `k` with `queues`, its green held until `end_by` is set.
    fn new(a: &Adaptive, k: usize, queues: &[f64], then: Option<usize>) -> Run {
        Run {
            q: queues.to_vec(),
            weight: a.flow_waits.iter().map(|w| a.wait_weight(*w)).collect(),
            demand: vec![0.0; a.pools.len()],
            delay: 0.0,
            at: k,
            green_from: f64::NEG_INFINITY,
            end_by: f64::INFINITY,
            then,
            bus_waiting: (1u32 << a.buses.len().min(31)) - 1,
        }
    }

    /// Becomes a copy of `other`, in its own buffers (every field named, so that none is
    /// forgotten).
    fn copy(&mut self, other: &Run) {
        let Run {
            q,
            weight,
            demand,
            delay,
            at,
            green_from,
            end_by,
            then,
            bus_waiting,
        } = other;
        self.q.clone_from(q);
        self.weight.clone_from(weight);
        self.demand.clone_from(demand);
        self.delay = *delay;
        self.at = *at;
        self.green_from = *green_from;
        self.end_by = *end_by;
        self.then = *then;
        self.bus_waiting = *bus_waiting;
    }

    /// Runs bin `b`, its departures into `record`.
    fn bin(&mut self, a: &Adaptive, inflow: &Inflow<'_>, b: usize, record: &mut impl Record) {
        let n = a.plan.stages.len();
        let now = b as f64 * BIN_S;
        if now >= self.end_by {
            // The stage ends: on to the next stage with demand, after the interstage.
            let (q, at) = (&self.q, self.at);
            let waiting = |p: usize| {
                a.stage_flows[p]
                    .iter()
                    .enumerate()
                    .any(|(i, &s)| s && (q[i] >= 0.5 || inflow.soon(i, b) >= 0.5))
            };
            let next = self.then.take().unwrap_or_else(|| {
                (1..=n)
                    .map(|d| (at + d) % n)
                    .find(|&p| p != at && waiting(p))
                    .unwrap_or((at + 1) % n)
            });
            self.green_from = now + a.between[at][next];
            self.at = next;
            self.end_by = self.green_from + a.plan.stages[next].max_green.as_secs_f64();
        }
        let served = &a.stage_flows[self.at];
        let flowing = now >= self.green_from + a.params.startup_lost_s
            || self.green_from == f64::NEG_INFINITY;
        let serving = now >= self.green_from;
        let open = serving && flowing;
        let mut left_in_stage = 0.0;
        // What each pool's green movements could send, against what its lanes can.
        self.demand.iter_mut().for_each(|d| *d = 0.0);
        let arriving = inflow.column(b);
        if open {
            for (((f, &served), q), arriving) in
                a.flows.iter().zip(served).zip(&self.q).zip(arriving)
            {
                if served {
                    self.demand[f.pool] += q + arriving;
                }
            }
        }
        // In locals, so that the sums stay in registers (the same sums, in the same order).
        let mut delay = self.delay;
        let flows = a
            .flows
            .iter()
            .zip(served)
            .zip(&mut self.q)
            .zip(&mut self.weight)
            .zip(arriving);
        for (i, ((((f, &served), q), weight), &inflow)) in flows.enumerate() {
            let green = open && served;
            let out = if green {
                let room = a.pools[f.pool].capacity * BIN_S;
                let d = self.demand[f.pool];
                (*q + inflow) * if d > room { room / d } else { 1.0 }
            } else {
                0.0
            };
            *q += inflow - out;
            record.put(i, b, out);
            if green {
                *weight = 1.0;
            }
            delay += *q * BIN_S * *weight;
            if served {
                left_in_stage += *q;
            }
        }
        self.delay = delay;
        if !a.buses.is_empty() {
            let stage_groups = a
                .site
                .intersection
                .stage(a.plan.stages[self.at].stage)
                .groups;
            for (j, bus) in a.buses.iter().enumerate().take(31) {
                if self.bus_waiting & (1 << j) == 0 || now + BIN_S <= bus.eta_s {
                    continue;
                }
                if open && stage_groups.contains(bus.group) {
                    self.bus_waiting &= !(1 << j);
                } else {
                    let waited = (now + BIN_S - bus.eta_s).min(BIN_S);
                    self.delay += waited * bus.people / CAR_OCCUPANCY;
                }
            }
        }
        // A later stage ends once its queues are gone (and its minimum green is done: with a
        // walk called in it, the walk and the clearance it holds the green for).
        let min_end = self.green_from + a.least_greens[self.at];
        if self.green_from > f64::NEG_INFINITY
            && serving
            && left_in_stage < 0.5
            && now + BIN_S >= min_end
        {
            self.end_by = self.end_by.min(now + BIN_S);
        }
    }
}

/// Where a run puts its departures: nowhere (`()`: the run is only compared), or each flow's
/// series per second (a bin's departures half in each of its seconds). Each run is compiled
/// for one of them, with no test of which in its inner loop.
trait Record {
    fn put(&mut self, flow: usize, bin: usize, out: f64);
}

impl Record for () {
    fn put(&mut self, _: usize, _: usize, _: f64) {}
}

impl Record for Vec<Vec<f64>> {
    fn put(&mut self, flow: usize, bin: usize, out: f64) {
        let series = &mut self[flow];
        series[2 * bin] = out / 2.0;
        if let Some(x) = series.get_mut(2 * bin + 1) {
            *x = out / 2.0;
        }
    }
}

/// The arrivals of one decision as the prediction reads them, worked out once for all the
/// schedules the decision compares.
pub(super) struct Inflow<'a> {
    /// Arrival rate of each flow per one-second bin.
    rate: &'a [Vec<f64>],
    horizon: usize,
    bins: usize,
    /// Arrivals of each flow in each bin of the prediction, bin by bin.
    per_bin: Vec<f64>,
    /// Arrivals of each flow within 30 s of the start of each bin, worked out when first
    /// asked (NaN until then).
    soon: Vec<Cell<f64>>,
}

impl<'a> Inflow<'a> {
    /// The arrivals `rate` (per flow, per one-second bin) over `horizon` seconds.
    pub fn new(rate: &'a [Vec<f64>], horizon: usize) -> Self {
        let bins = horizon / BIN_S as usize;
        let mut per_bin = Vec::with_capacity(bins * rate.len());
        for b in 0..bins {
            per_bin.extend(
                rate.iter()
                    .map(|a| a[2 * b] + a.get(2 * b + 1).copied().unwrap_or(0.0)),
            );
        }
        Inflow {
            rate,
            horizon,
            bins,
            per_bin,
            soon: vec![Cell::new(f64::NAN); rate.len() * bins],
        }
    }

    /// Arrivals of every flow in bin `b`.
    fn column(&self, b: usize) -> &[f64] {
        let flows = self.rate.len();
        &self.per_bin[b * flows..(b + 1) * flows]
    }

    /// Arrivals of flow `i` within 30 s of the start of bin `b`.
    fn soon(&self, i: usize, b: usize) -> f64 {
        let cell = &self.soon[i * self.bins + b];
        if cell.get().is_nan() {
            let from = b * BIN_S as usize;
            cell.set(
                self.rate[i][from..(from + 30).min(self.horizon)]
                    .iter()
                    .sum(),
            );
        }
        cell.get()
    }
}
