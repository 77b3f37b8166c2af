//! The adaptive controller's prediction: arrivals of each flow over the horizon (the upstream
//! neighbours' forecasts, else the local estimate), and the delay a candidate schedule gives
//! them in a queue model that discharges each flow at its saturation flow while it has green.

use std::cell::Cell;

use super::equity::Clocks;
use super::{Adaptive, BIN_S};
use crate::control::Inputs;
use crate::model::priority::CAR_OCCUPANCY;

impl Adaptive {
    /// Arrival rate of each flow over the horizon, veh/s per second.
    pub(super) fn arrivals(&self, inputs: &Inputs<'_>, horizon: usize) -> Vec<Vec<f64>> {
        self.flows
            .iter()
            .map(|f| {
                let approach = &self.site.approaches[f.approach];
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
                match inputs.neighbours.arrivals.get(&approach.link) {
                    Some(profile) => (0..horizon)
                        .map(|t| profile.get(t).map_or(local, |a| a * share))
                        .collect(),
                    None => vec![local; horizon],
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
        (hold, mut then): (f64, Option<usize>),
        queues: &[f64],
        inflow: &Inflow<'_>,
        mut record: Option<&mut Vec<Vec<f64>>>,
    ) -> f64 {
        let ix = &self.site.intersection;
        let n = self.plan.stages.len();
        let lost = self.params.startup_lost_s;
        let (horizon, bins) = (inflow.horizon, inflow.bins);
        let mut q = queues.to_vec();
        let mut demand = vec![0.0; self.pools.len()];
        let mut delay = 0.0;
        let mut clocks = Clocks::new(self);
        if let Some(d) = record.as_deref_mut() {
            *d = vec![vec![0.0; horizon]; self.flows.len()];
        }
        // The stage being served (or being changed to), when its green starts and when it ends.
        let mut at = k;
        let mut green_from = f64::NEG_INFINITY;
        let mut end_by = hold;
        // Which flows the stage at `at` serves.
        let in_stage = |at: usize| {
            let groups = ix.stage(self.plan.stages[at].stage).groups;
            self.flows.iter().map(move |f| groups.contains(f.group))
        };
        let mut served: Vec<bool> = in_stage(at).collect();
        // Buses still to go through, each counting its car-loads of people.
        let mut bus_waiting: u32 = (1u32 << self.buses.len().min(31)) - 1;
        for b in 0..bins {
            let now = b as f64 * BIN_S;
            if now >= end_by {
                // The stage ends: on to the next stage with demand, after the interstage.
                let waiting = |p: usize| {
                    in_stage(p)
                        .enumerate()
                        .any(|(i, s)| s && (q[i] >= 0.5 || inflow.soon(i, b) >= 0.5))
                };
                let next = then.take().unwrap_or_else(|| {
                    (1..=n)
                        .map(|d| (at + d) % n)
                        .find(|&p| p != at && waiting(p))
                        .unwrap_or((at + 1) % n)
                });
                green_from = now + self.between[at][next];
                at = next;
                end_by = green_from + self.plan.stages[at].max_green.as_secs_f64();
                served.clear();
                served.extend(in_stage(at));
            }
            let flowing = now >= green_from + lost || green_from == f64::NEG_INFINITY;
            let serving = now >= green_from;
            let open = serving && flowing;
            let mut left_in_stage = 0.0;
            // What each pool's green movements could send, against what its lanes can.
            demand.iter_mut().for_each(|d| *d = 0.0);
            if open {
                for (i, f) in self.flows.iter().enumerate() {
                    if served[i] {
                        demand[f.pool] += q[i] + inflow.bin(i, b);
                    }
                }
            }
            for (i, f) in self.flows.iter().enumerate() {
                let inflow = inflow.bin(i, b);
                let green = open && served[i];
                let out = if green {
                    let room = self.pools[f.pool].capacity * BIN_S;
                    let d = demand[f.pool];
                    (q[i] + inflow) * if d > room { room / d } else { 1.0 }
                } else {
                    0.0
                };
                q[i] += inflow - out;
                if let Some(d) = record.as_deref_mut() {
                    d[i][2 * b] = out / 2.0;
                    if let Some(x) = d[i].get_mut(2 * b + 1) {
                        *x = out / 2.0;
                    }
                }
                delay += q[i] * BIN_S * clocks.weight(i, now, green, q[i]);
                if served[i] {
                    left_in_stage += q[i];
                }
            }
            let stage_groups = ix.stage(self.plan.stages[at].stage).groups;
            for (j, bus) in self.buses.iter().enumerate().take(31) {
                if bus_waiting & (1 << j) == 0 || now + BIN_S <= bus.eta_s {
                    continue;
                }
                if open && stage_groups.contains(bus.group) {
                    bus_waiting &= !(1 << j);
                } else {
                    let waited = (now + BIN_S - bus.eta_s).min(BIN_S);
                    delay += waited * bus.people / CAR_OCCUPANCY;
                }
            }
            // A later stage ends once its queues are gone (and its minimum green is done).
            let min_end = green_from + self.plan.stages[at].min_green.as_secs_f64();
            if green_from > f64::NEG_INFINITY
                && serving
                && left_in_stage < 0.5
                && now + BIN_S >= min_end
            {
                end_by = end_by.min(now + BIN_S);
            }
        }
        // No penalty for what is still queued at the end: over a horizon of a cycle or so every
        // stage has had its turn, and a penalty there makes the controller cut stages short to
        // chase queues it cannot clear anyway.
        delay
    }
}

/// The arrivals of one decision as the prediction reads them, worked out once for all the
/// schedules the decision compares.
pub(super) struct Inflow<'a> {
    /// Arrival rate of each flow per one-second bin.
    rate: &'a [Vec<f64>],
    horizon: usize,
    bins: usize,
    /// Arrivals of each flow in each bin of the prediction, flow by flow.
    per_bin: Vec<f64>,
    /// Arrivals of each flow within 30 s of the start of each bin, worked out when first
    /// asked (NaN until then).
    soon: Vec<Cell<f64>>,
}

impl<'a> Inflow<'a> {
    /// The arrivals `rate` (per flow, per one-second bin) over `horizon` seconds.
    pub fn new(rate: &'a [Vec<f64>], horizon: usize) -> Self {
        let bins = horizon / BIN_S as usize;
        let per_bin = rate
            .iter()
            .flat_map(|a| {
                (0..bins).map(move |b| a[2 * b] + a.get(2 * b + 1).copied().unwrap_or(0.0))
            })
            .collect();
        Inflow {
            rate,
            horizon,
            bins,
            per_bin,
            soon: vec![Cell::new(f64::NAN); rate.len() * bins],
        }
    }

    /// Arrivals of flow `i` in bin `b`.
    fn bin(&self, i: usize, b: usize) -> f64 {
        self.per_bin[i * self.bins + b]
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
