//! Max-pressure control (Varaiya 2013, "Max pressure control of a network of signalized
//! intersections", Transportation Research Part C 36): at each decision, run the stage with the
//! largest pressure, where a movement's pressure is its saturation flow times the difference
//! between its queue per lane and the queue it feeds downstream (the downstream site's movement
//! queues per lane weighted by that approach's turning ratios, as the neighbour reports them),
//! and a stage's pressure the sum over the movements it serves. Decisions come in slots (after
//! the minimum green, every `SLOT`), stages change through the sequencer, so minimum greens and
//! intergreens hold, a stage ends at its maximum green, and a movement kept waiting with a queue
//! for longer than `WAIT_BOUND` is served next whatever the pressures say (pure max pressure can
//! starve a small queue).

use std::sync::Arc;

use super::{Controller, Inputs, Termination};
use crate::model::StageIndex;
use crate::plan::TimingPlan;
use crate::sequencer::{Phase, Sequencer};
use crate::site::Site;
use crate::time::{Duration, Instant};

/// A new stage must beat the current one by this factor, so stages do not flap.
const HYSTERESIS: f64 = 1.2;
/// Decisions after the minimum green come this often.
const SLOT: Duration = Duration::from_secs(8);
/// No group with a queue waits longer than this for its green.
const WAIT_BOUND: Duration = Duration::from_secs(100);

/// The max-pressure controller of one site.
#[derive(Clone, Debug)]
pub struct MaxPressure {
    /// Why the green being left ends.
    ending: Option<Termination>,
    site: Arc<Site>,
    plan: TimingPlan,
    /// Since when each group has waited with a queue (red and queued).
    waiting_since: Vec<Option<Instant>>,
}

impl MaxPressure {
    /// The controller for `site`, within the green bounds of `plan`; it may run any stage of
    /// the intersection.
    pub fn new(site: Arc<Site>, plan: TimingPlan) -> Self {
        let n = site.intersection.groups().len();
        MaxPressure {
            ending: None,
            site,
            plan,
            waiting_since: vec![None; n],
        }
    }

    /// Pressure of every stage of the intersection, by stage index.
    pub fn pressures(&self, inputs: &Inputs<'_>) -> Vec<f64> {
        let ix = &self.site.intersection;
        let mut by_group = vec![0.0; ix.groups().len()];
        for (a, approach) in self.site.approaches.iter().enumerate() {
            let Some(est) = inputs.estimate.approaches.get(a) else {
                continue;
            };
            for m in &approach.movements {
                let (Some(g), Some(t)) = (m.group, m.turn.index()) else {
                    continue;
                };
                let lanes = m.lanes.len().max(1) as f64;
                let up = est.movement_queue_veh[t] / lanes;
                let down = inputs
                    .neighbours
                    .links
                    .get(&m.onto)
                    .map_or(0.0, |r| r.weighted_queue_per_lane);
                by_group[g.get()] += approach.saturation_flow_veh_h_lane * lanes * (up - down);
            }
        }
        ix.stages()
            .iter()
            .map(|s| s.groups.iter().map(|g| by_group[g.get()]).sum())
            .collect()
    }

    /// Keeps track of how long each group has waited with a queue; returns the stage of the
    /// group that has waited longest beyond the bound, if any.
    fn starving(
        &mut self,
        now: Instant,
        inputs: &Inputs<'_>,
        seq: &Sequencer,
    ) -> Option<StageIndex> {
        let ix = &self.site.intersection;
        let mut queued = vec![false; ix.groups().len()];
        for (a, approach) in self.site.approaches.iter().enumerate() {
            let Some(est) = inputs.estimate.approaches.get(a) else {
                continue;
            };
            for m in &approach.movements {
                if let (Some(g), Some(t)) = (m.group, m.turn.index()) {
                    queued[g.get()] |= est.movement_queue_veh[t] >= 1.0 || est.calls_on(&m.lanes);
                }
            }
        }
        let mut worst: Option<(Instant, usize)> = None;
        for g in ix.group_indices() {
            let waiting = queued[g.get()] && !seq.state().get(g).is_go();
            let since = &mut self.waiting_since[g.get()];
            *since = if waiting {
                Some(since.unwrap_or(now))
            } else {
                None
            };
            if let Some(t) = *since
                && now - t >= WAIT_BOUND
                && worst.is_none_or(|(w, _)| t < w)
            {
                worst = Some((t, g.get()));
            }
        }
        let (_, g) = worst?;
        let g = crate::model::GroupIndex(g as u8);
        // The plan's stage serving it, else any.
        self.plan
            .stages
            .iter()
            .map(|s| s.stage)
            .find(|&s| ix.stage(s).groups.contains(g))
            .or_else(|| {
                (0..ix.stages().len())
                    .map(|s| StageIndex(s as u8))
                    .find(|&s| ix.stage(s).groups.contains(g))
            })
    }

    fn bounds(&self, stage: StageIndex) -> (Duration, Duration) {
        match self.plan.stages.iter().find(|s| s.stage == stage) {
            Some(s) => (s.min_green, s.max_green),
            None => self.site.intersection.stage_green_bounds(stage),
        }
    }
}

impl Controller for MaxPressure {
    fn name(&self) -> &'static str {
        "max-pressure"
    }

    fn decide(&mut self, now: Instant, inputs: &Inputs<'_>, seq: &Sequencer) -> Option<StageIndex> {
        let out = self.choose(now, inputs, seq);
        // Why a green it leaves ends: its maximum green, else its own decision (a force off).
        if let Phase::Dwell { stage, since } = seq.phase() {
            self.ending = out.filter(|&s| s != stage).map(|_| {
                if now - since >= self.bounds(stage).1 {
                    Termination::MaxOut
                } else {
                    Termination::ForceOff
                }
            });
        }
        out
    }

    fn poll_at(&self, now: Instant) -> Option<Instant> {
        Some(now + Duration::from_secs(1))
    }

    fn termination(&self) -> Option<Termination> {
        self.ending
    }

    /// Max-pressure keeps no stage order for a bus's early green to jump: a group passed over
    /// gains pressure and is chosen next, not a cycle later. So priority runs as asked (on the
    /// arterial peak with buses, holding it to `[priority] max_wait_s` as under actuated
    /// control raised the car delay by 6 % and did not shorten the longest waits).
    fn priority_fits(&self, _: Instant, _: &Sequencer, _: StageIndex, _: Instant) -> Option<bool> {
        Some(true)
    }
}

impl MaxPressure {
    /// The stage to run next, if any.
    fn choose(&mut self, now: Instant, inputs: &Inputs<'_>, seq: &Sequencer) -> Option<StageIndex> {
        let starving = self.starving(now, inputs, seq);
        let pressures = self.pressures(inputs);
        let best_other = |current: Option<StageIndex>| {
            (0..pressures.len())
                .filter(|&s| Some(StageIndex(s as u8)) != current)
                .max_by(|&a, &b| pressures[a].total_cmp(&pressures[b]))
                .map(|s| StageIndex(s as u8))
        };
        match seq.phase() {
            Phase::Transition { to, .. } => Some(to),
            Phase::Clearing { .. } => None,
            Phase::AllRed { .. } => best_other(None),
            Phase::Dwell { stage, since } => {
                let (min, max) = self.bounds(stage);
                let green = now - since;
                if green < min {
                    return Some(stage);
                }
                if let Some(s) = starving
                    && s != stage
                {
                    return Some(s);
                }
                // Decide only at the end of a slot (or at the maximum green).
                let into_slots = (green - min).total_millis() % SLOT.total_millis();
                if into_slots >= 500 && green < max {
                    return Some(stage);
                }
                let other = best_other(Some(stage))?;
                let here = pressures[stage.get()];
                let there = pressures[other.get()];
                let switch = green >= max || (there > 0.0 && there > HYSTERESIS * here.max(0.0));
                Some(if switch { other } else { stage })
            }
        }
    }
}

#[cfg(test)]
mod tests;
