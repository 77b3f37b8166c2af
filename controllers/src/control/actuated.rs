//! Fully actuated control, after NTCIP 1202 phase behaviour, run stage by stage in the order
//! of the timing plan: a stage holds for its minimum green, then is extended by every vehicle
//! actuation within the passage time (it gaps out when none comes), and ends at its maximum
//! green counted from the first call of a conflicting group (max-out). Stages without calls are
//! skipped; with no conflicting call the current stage rests in green. Calls are latched until
//! served. Recall modes place calls without detection; a detector that has failed places a
//! constant call. The rings run as in a dual-ring controller (`rings`): a stage whose groups are
//! not all called gives way to one that starts the next stage's called groups early, and a group
//! that gaps out hands its ring on while the other ring's group is still extended. A walk
//! recycled while its stage runs (a push while the green shows) must end, clearance included, by
//! the stage's max-out once a conflicting group calls.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::rings::Rings;
use super::{Controller, Inputs, Termination};
use crate::corridor::DetectorKind;
use crate::detector::wrapping_delta;
use crate::estimate::Fallback;
use crate::model::{GroupIndex, GroupKind, GroupSet, StageIndex};
use crate::plan::TimingPlan;
use crate::sequencer::{Phase, Sequencer};
use crate::site::Site;
use crate::time::{Duration, Instant};

/// How a stage is called when detection says nothing (NTCIP 1202 recall modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Recall {
    /// Only detected demand calls it.
    #[default]
    None,
    /// Always called; served for its minimum green at least.
    Minimum,
    /// Always called and held to its maximum green.
    Maximum,
    /// Its pedestrian groups are always called.
    Pedestrian,
}

/// Settings of the actuated controller.
#[derive(Clone, Debug, PartialEq)]
pub struct ActuatedParams {
    /// Passage time (vehicle extension), s.
    pub passage_s: f64,
    /// Recall mode by stage id (default none).
    pub recall: BTreeMap<String, Recall>,
}

impl Default for ActuatedParams {
    fn default() -> Self {
        ActuatedParams {
            passage_s: 3.0,
            recall: BTreeMap::new(),
        }
    }
}

/// Allowed passage times, s.
pub const PASSAGE_RANGE_S: (f64, f64) = (0.5, 10.0);

/// The actuated controller of one site.
#[derive(Clone, Debug)]
pub struct Actuated {
    plan: TimingPlan,
    passage: Duration,
    /// Recall of each plan stage.
    recall: Vec<Recall>,
    /// Detector channels that call each group.
    channels_of: Vec<Vec<usize>>,
    /// Detector channels that extend each group's green: its advance loops where it has any
    /// (a vehicle crossing one can reach the stop line within the passage time), else all.
    extenders_of: Vec<Vec<usize>>,
    pedestrian: Vec<bool>,
    calls: Vec<bool>,
    last_actuation: Vec<Instant>,
    last_counts: Vec<Option<u16>>,
    /// The first conflicting call in the running green: when that green began (`None`: handed
    /// on by the dual ring to the next stage, whose green keeps timing from the same call), and
    /// the call.
    conflict_since: Option<(Option<Instant>, Instant)>,
    /// Why the stage being left ends.
    ending: Option<Termination>,
    /// The running stage's max-out while a conflicting group calls: a walk recycled in the
    /// stage must be over by then.
    walks_by: Option<Instant>,
    /// Dual-ring stand-ins for plan stages.
    rings: Rings,
}

impl Actuated {
    /// The controller for `site`, running the stage order and green bounds of `plan`.
    pub fn new(
        site: &Arc<Site>,
        plan: TimingPlan,
        params: &ActuatedParams,
    ) -> Result<Self, String> {
        let (lo, hi) = PASSAGE_RANGE_S;
        if !(params.passage_s.is_finite() && (lo..=hi).contains(&params.passage_s)) {
            return Err(format!(
                "passage time {} s is out of range ({lo} to {hi} s)",
                params.passage_s
            ));
        }
        let ix = &site.intersection;
        for id in params.recall.keys() {
            if ix.stage_by_id(id).is_none() {
                return Err(format!("recall names unknown stage `{id}`"));
            }
        }
        let n = ix.groups().len();
        let detectors = site.group_detectors();
        let channels = |keep: &dyn Fn(&crate::corridor::Detector) -> bool| -> Vec<Vec<usize>> {
            detectors
                .iter()
                .map(|ds| {
                    ds.iter()
                        .filter(|d| keep(d))
                        .map(|d| usize::from(d.channel))
                        .collect()
                })
                .collect()
        };
        let channels_of = channels(&|_| true);
        let advance = channels(&|d| d.kind == DetectorKind::Advance);
        // A group's advance loops extend its green where it has any; else all its loops do.
        let extenders_of = channels_of
            .iter()
            .zip(&advance)
            .map(|(all, adv)| {
                if adv.is_empty() {
                    all.clone()
                } else {
                    adv.clone()
                }
            })
            .collect();
        let recall = plan
            .stages
            .iter()
            .map(|s| {
                params
                    .recall
                    .get(&ix.stage(s.stage).id)
                    .copied()
                    .unwrap_or_default()
            })
            .collect();
        Ok(Actuated {
            passage: Duration::from_secs_f64(params.passage_s),
            recall,
            pedestrian: ix
                .groups()
                .iter()
                .map(|g| g.kind == GroupKind::Pedestrian)
                .collect(),
            channels_of,
            extenders_of,
            calls: vec![false; n],
            last_actuation: vec![Instant::ZERO; n],
            last_counts: Vec::new(),
            conflict_since: None,
            ending: None,
            walks_by: None,
            rings: Rings::default(),
            plan,
        })
    }

    /// Reads the detectors: actuations, latched calls, recalls.
    pub(super) fn observe(&mut self, now: Instant, inputs: &Inputs<'_>, seq: &Sequencer) {
        let samples = inputs.detectors;
        self.last_counts.resize(samples.len(), None);
        let failed = |ch: usize| {
            inputs.estimate.detectors.iter().any(|d| {
                usize::from(d.channel) == ch && d.fault.is_some() && d.fallback != Fallback::None
            })
        };
        let ix = seq.intersection();
        let actuated = |ch: usize| {
            samples.get(ch).is_some_and(|s| {
                s.presence
                    || failed(ch)
                    || self.last_counts[ch].is_some_and(|c| wrapping_delta(s.count, c) > 0)
            })
        };
        for g in ix.group_indices() {
            if self.extenders_of[g.get()].iter().any(|&ch| actuated(ch)) {
                self.last_actuation[g.get()] = now;
            }
            if !seq.state().get(g).is_go()
                && self.channels_of[g.get()].iter().any(|&ch| actuated(ch))
            {
                self.calls[g.get()] = true;
            }
        }
        for (ch, s) in samples.iter().enumerate() {
            self.last_counts[ch] = Some(s.count);
        }
        for (k, recall) in self.recall.iter().enumerate() {
            let groups = ix.stage(self.plan.stages[k].stage).groups;
            for g in groups.iter() {
                let call = match recall {
                    Recall::None => false,
                    Recall::Minimum | Recall::Maximum => true,
                    Recall::Pedestrian => self.pedestrian[g.get()],
                };
                if call && !seq.state().get(g).is_go() {
                    self.calls[g.get()] = true;
                }
            }
        }
        // A group showing go is being served.
        for g in ix.group_indices() {
            if seq.state().get(g).is_go() {
                self.calls[g.get()] = false;
            }
        }
    }

    /// Whether any of `groups` is called.
    pub(super) fn called(&self, groups: GroupSet) -> bool {
        groups.iter().any(|g| self.calls[g.get()])
    }

    /// Whether the green of plan position `k`, serving `groups`, has gapped out at `now`: no
    /// actuation on their extending loops within the passage time, and no maximum recall.
    pub(super) fn gapped_out(&self, k: usize, groups: GroupSet, now: Instant) -> bool {
        self.recall[k] != Recall::Maximum
            && groups
                .iter()
                .all(|g| now - self.last_actuation[g.get()] >= self.passage)
    }

    /// Moves on to the next stage after plan position `k` that serves a called group (or a
    /// dual-ring stand-in for it), if any.
    fn next_called(&mut self, k: usize, seq: &Sequencer) -> Option<StageIndex> {
        let ix = seq.intersection();
        let n = self.plan.stages.len();
        let calls = &self.calls;
        let called = |g: GroupIndex| calls[g.get()];
        let next = (1..=n)
            .map(|d| (k + d) % n)
            .find(|&p| {
                ix.stage(self.plan.stages[p].stage)
                    .groups
                    .iter()
                    .any(called)
            })
            .map(|p| Rings::choose(ix, &self.plan, p, &called))?;
        Some(self.rings.go(&self.plan, next))
    }
}

impl Controller for Actuated {
    fn name(&self) -> &'static str {
        "actuated"
    }

    fn decide(&mut self, now: Instant, inputs: &Inputs<'_>, seq: &Sequencer) -> Option<StageIndex> {
        self.observe(now, inputs, seq);
        self.walks_by = None;
        match seq.phase() {
            Phase::Transition { to, .. } => Some(to),
            Phase::Clearing { .. } => None,
            Phase::AllRed { .. } => Some(
                self.next_called(self.plan.stages.len() - 1, seq)
                    .unwrap_or(self.plan.stages[0].stage),
            ),
            Phase::Dwell { stage, since } => {
                let Some((k, began)) = self.rings.position(&self.plan, stage, since) else {
                    // A stage outside the plan (after a plan change): move on to the plan.
                    return Some(self.plan.stages[0].stage);
                };
                let ix = seq.intersection();
                let groups = ix.stage(stage).groups;
                let conflicting = ix
                    .group_indices()
                    .any(|g| self.calls[g.get()] && !groups.contains(g));
                if !conflicting {
                    self.conflict_since = None;
                    self.ending = None;
                    return Some(stage); // rest in green
                }
                // The max-out runs from the first conflicting call in this green; it does not
                // start again while something else (a transit priority hold) keeps the green
                // past the controller's decision to end it.
                let conflict_since = match self.conflict_since {
                    Some((green, at)) if green.is_none_or(|g| g == began) => {
                        self.conflict_since = Some((Some(began), at));
                        at
                    }
                    _ => {
                        self.conflict_since = Some((Some(began), now));
                        now
                    }
                };
                let bounds = &self.plan.stages[k];
                self.walks_by = Some(conflict_since + bounds.max_green);
                let green = now - began;
                let gap = groups
                    .iter()
                    .map(|g| now - self.last_actuation[g.get()])
                    .min()
                    .unwrap_or(Duration::ZERO);
                let gapped_out = self.recall[k] != Recall::Maximum
                    && green >= bounds.min_green
                    && gap >= self.passage;
                let maxed_out = now - conflict_since >= bounds.max_green;
                if gapped_out || maxed_out {
                    // A max-out is a max-out even if the traffic also stopped at that moment.
                    self.ending = Some(if maxed_out {
                        Termination::MaxOut
                    } else {
                        Termination::GapOut
                    });
                    return self.next_called(k, seq).or(Some(stage));
                }
                // Dual ring: a group that has gapped out hands its ring on to the next stage's
                // called group while the other ring's group is still extended.
                if green < bounds.min_green || self.recall[k] == Recall::Maximum {
                    self.ending = None;
                    return Some(stage);
                }
                let (calls, last, passage) = (&self.calls, &self.last_actuation, self.passage);
                let extended = |g: GroupIndex| now - last[g.get()] < passage;
                let called = |g: GroupIndex| calls[g.get()];
                let next =
                    self.rings
                        .hand_on(ix, &self.plan, (stage, k, began), &extended, &called);
                self.ending = (next != stage).then_some(Termination::GapOut);
                if next != stage {
                    self.conflict_since = Some((None, conflict_since));
                }
                Some(next)
            }
        }
    }

    fn poll_at(&self, now: Instant) -> Option<Instant> {
        Some(now + Duration::from_millis(100))
    }

    fn termination(&self) -> Option<Termination> {
        self.ending
    }

    fn walks_by(&self) -> Option<Instant> {
        self.walks_by
    }
}

#[cfg(test)]
mod tests;
