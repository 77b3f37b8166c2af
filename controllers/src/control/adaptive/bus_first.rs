//! Early green weighed by people: a bus due soon whose group is red has its stage brought
//! forward, out of the plan's order, where the prediction says that saves people's delay (the
//! bus's load counted with the cars it makes wait) and every waiting group keeps its wait
//! bound. It is the red truncation of transit signal priority (NTCIP 1211's early green),
//! decided on the delay it saves rather than granted by rule, so the transit priority module
//! leaves early greens to this controller and keeps to green extension.

use super::predict::Inflow;
use super::{Adaptive, Termination};
use crate::model::StageIndex;
use crate::sequencer::Sequencer;
use crate::time::{Duration, Instant};

/// How long a bus due at the stop line takes to clear it, s.
const BUS_PASSAGE_S: f64 = 3.0;

impl Adaptive {
    /// The stage of a bus due within the early-green window, and its plan position, when going
    /// there now (the green at plan position `k`, stage `running`, ends) predicts less delay
    /// than `best`, the least of the schedules in the plan's order.
    pub(super) fn bus_first(
        &self,
        now: Instant,
        (k, running): (usize, StageIndex),
        seq: &Sequencer,
        (queues, inflow): (&[f64], &Inflow<'_>),
        best: f64,
    ) -> Option<(StageIndex, usize)> {
        let ix = &self.site.intersection;
        let window = ix.priority().early_window.as_secs_f64();
        let n = self.plan.stages.len();
        let mut choice: Option<(f64, (StageIndex, usize))> = None;
        for bus in &self.buses {
            if bus.eta_s > window || ix.stage(running).groups.contains(bus.group) {
                continue;
            }
            let serves = |p: &usize| {
                ix.stage(self.plan.stages[*p].stage)
                    .groups
                    .contains(bus.group)
            };
            let Some(p) = (1..n).map(|d| (k + d) % n).find(serves) else {
                continue;
            };
            let stage = self.plan.stages[p].stage;
            let until = now + Duration::from_secs_f64(bus.eta_s.max(0.0) + BUS_PASSAGE_S);
            if !self.detour_fits(now, seq, stage, until) {
                continue;
            }
            let delay = self.predict_order(k, (0.0, Some(p)), queues, inflow, None);
            if delay < best - 1e-6 && choice.is_none_or(|(d, _)| delay < d) {
                choice = Some((delay, (stage, p)));
            }
        }
        choice.map(|(_, s)| s)
    }

    /// Ends the green at plan position `k` now for the bus's stage `early` (and its
    /// position), publishing the forecast as the order then runs.
    pub(super) fn bring_forward(
        &mut self,
        now: Instant,
        k: usize,
        early: (StageIndex, usize),
        on: (&[f64], &Inflow<'_>),
    ) -> StageIndex {
        self.commit(now, k, 0.0, on);
        self.ending = Some(Termination::GapOut);
        self.bus_brought = true;
        self.rings.go(&self.plan, early)
    }

    /// With nobody else waiting: the green at plan position `k` (stage `running`) rests,
    /// unless a bus due on red is worth bringing its stage forward.
    pub(super) fn rest_or_bus(
        &mut self,
        now: Instant,
        (k, running): (usize, StageIndex),
        seq: &Sequencer,
        on: (&[f64], &Inflow<'_>),
    ) -> StageIndex {
        // The resting schedule's departures, published unless a bus's stage comes first.
        let hold = self.params.horizon_s;
        let mut departures = std::mem::take(&mut self.departures);
        let rest = self.predict(k, hold, on.0, on.1, Some(&mut departures));
        if let Some(early) = self.bus_first(now, (k, running), seq, on, rest) {
            self.departures = departures;
            return self.bring_forward(now, k, early, on);
        }
        self.commit_predicted(now, hold, departures);
        running
    }
}
