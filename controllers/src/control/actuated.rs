//! Fully actuated control, after NTCIP 1202 phase behaviour, run stage by stage in the order
//! of the timing plan: a stage holds for its minimum green, then is extended by every vehicle
//! actuation within the passage time (it gaps out when none comes), and ends at its maximum
//! green counted from the first call of a conflicting group (max-out). Stages without calls are
//! skipped; with no conflicting call the current stage rests in green. Calls are latched until
//! served. Recall modes place calls without detection; a detector that has failed places a
//! constant call.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Controller, Inputs};
use crate::corridor::DetectorKind;
use crate::detector::wrapping_delta;
use crate::estimate::Fallback;
use crate::model::{GroupKind, StageIndex, Turn};
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
    conflict_since: Option<Instant>,
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
        let mut channels_of = vec![Vec::new(); n];
        for approach in &site.approaches {
            for d in &approach.detectors {
                let ch = usize::from(d.channel);
                for g in ix.group_indices() {
                    let serves = ix.group(g).movements.iter().any(|m| {
                        m.approach == approach.direction
                            && match d.kind {
                                DetectorKind::PedestrianButton => m.turn == Turn::Crossing,
                                _ => {
                                    m.turn != Turn::Crossing
                                        && approach
                                            .movement(m.turn)
                                            .is_some_and(|sm| sm.lanes.contains(&d.lane))
                                }
                            }
                    });
                    if serves {
                        channels_of[g.get()].push(ch);
                    }
                }
            }
        }
        let advance: Vec<usize> = site
            .approaches
            .iter()
            .flat_map(|a| {
                a.detectors
                    .iter()
                    .filter(|d| d.kind == DetectorKind::Advance)
                    .map(|d| usize::from(d.channel))
            })
            .collect();
        let extenders_of = channels_of
            .iter()
            .map(|chs: &Vec<usize>| {
                let adv: Vec<usize> = chs
                    .iter()
                    .copied()
                    .filter(|c| advance.contains(c))
                    .collect();
                if adv.is_empty() { chs.clone() } else { adv }
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
            plan,
        })
    }

    fn position(&self, stage: StageIndex) -> Option<usize> {
        self.plan.stages.iter().position(|s| s.stage == stage)
    }

    /// Reads the detectors: actuations, latched calls, recalls.
    fn observe(&mut self, now: Instant, inputs: &Inputs<'_>, seq: &Sequencer) {
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

    /// The next stage after plan position `k` that serves a called group.
    fn next_called(&self, k: usize, seq: &Sequencer) -> Option<StageIndex> {
        let ix = seq.intersection();
        let n = self.plan.stages.len();
        (1..=n)
            .map(|d| self.plan.stages[(k + d) % n].stage)
            .find(|&s| ix.stage(s).groups.iter().any(|g| self.calls[g.get()]))
    }
}

impl Controller for Actuated {
    fn name(&self) -> &'static str {
        "actuated"
    }

    fn decide(&mut self, now: Instant, inputs: &Inputs<'_>, seq: &Sequencer) -> Option<StageIndex> {
        self.observe(now, inputs, seq);
        match seq.phase() {
            Phase::Transition { to, .. } => Some(to),
            Phase::AllRed { .. } => Some(
                self.next_called(self.plan.stages.len() - 1, seq)
                    .unwrap_or(self.plan.stages[0].stage),
            ),
            Phase::Dwell { stage, since } => {
                let Some(k) = self.position(stage) else {
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
                    return Some(stage); // rest in green
                }
                let conflict_since = *self.conflict_since.get_or_insert(now);
                let bounds = &self.plan.stages[k];
                let green = now - since;
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
                    self.conflict_since = None;
                    return self.next_called(k, seq).or(Some(stage));
                }
                Some(stage)
            }
        }
    }

    fn poll_at(&self, now: Instant) -> Option<Instant> {
        Some(now + Duration::from_millis(100))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::{DetectorSample, FaultCode};
    use crate::estimate::{Estimator, EstimatorParams};
    use crate::interlock::{Check, Interlock, SafeState};
    use crate::load;
    use crate::plan::{PlanSpec, PlanStageSpec};
    use std::path::Path;

    /// The isolated NEMA intersection; loops: eb lane l stop bar 2l, advance 2l + 1 (eb 0..5,
    /// wb 6..11, nb 12..15, sb 16..19).
    struct Rig {
        site: Arc<Site>,
        seq: Sequencer,
        interlock: Interlock,
        estimator: Estimator,
        ctl: Actuated,
        samples: Vec<DetectorSample>,
        now: Instant,
    }

    impl Rig {
        fn new(params: ActuatedParams) -> Rig {
            let path =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors/isolated.toml");
            let corridor = load::corridor(&path).unwrap();
            let site = Arc::new(Site::new(&corridor, corridor.node_by_id("J1").unwrap()).unwrap());
            let ix = site.intersection.clone();
            let stage = |id: &str, green_s: f64, max: f64| PlanStageSpec {
                stage: id.into(),
                green_s,
                min_green_s: None,
                max_green_s: Some(max),
            };
            let spec = PlanSpec {
                plan_id: "t".into(),
                version: 1,
                intersection: None,
                cycle_s: 10.0 + 30.0 + 8.0 + 15.0 + 24.0,
                offset_s: 0.0,
                max_cycle_s: None,
                stages: vec![
                    stage("1+5", 10.0, 20.0),
                    stage("2+6", 30.0, 40.0),
                    stage("3+7", 8.0, 20.0),
                    stage("4+8", 15.0, 30.0),
                ],
            };
            let plan = TimingPlan::from_spec(&spec, &ix).unwrap();
            Rig {
                seq: Sequencer::new(ix.clone(), Instant::ZERO),
                interlock: Interlock::new(ix.clone(), SafeState::AllRed, Instant::ZERO),
                estimator: Estimator::new(site.clone(), EstimatorParams::default(), Instant::ZERO),
                ctl: Actuated::new(&site, plan, &params).unwrap(),
                samples: vec![DetectorSample::default(); 20],
                site,
                now: Instant::ZERO,
            }
        }

        /// Runs for `secs` seconds at 10 Hz; `drive` sets the loops each tick.
        fn run(&mut self, secs: f64, mut drive: impl FnMut(f64, &mut [DetectorSample])) {
            let end = self.now + Duration::from_secs_f64(secs);
            while self.now < end {
                self.now += Duration::from_millis(100);
                drive(self.now.as_secs_f64(), &mut self.samples);
                self.estimator
                    .update(self.now, &self.samples, self.seq.state());
                let inputs = Inputs {
                    detectors: &self.samples,
                    estimate: self.estimator.estimate(),
                    neighbours: &Default::default(),
                };
                if let Some(s) = self.ctl.decide(self.now, &inputs, &self.seq) {
                    self.seq.request(s).unwrap();
                }
                let state = self.seq.poll(self.now).clone();
                assert_eq!(self.interlock.check(self.now, &state), Check::Passed);
            }
        }

        fn stage(&self) -> Option<String> {
            match self.seq.phase() {
                Phase::Dwell { stage, .. } => Some(self.site.intersection.stage(stage).id.clone()),
                _ => None,
            }
        }
    }

    /// A vehicle crossing a loop every `every` seconds.
    fn pulse(t: f64, every: f64, s: &mut DetectorSample) {
        s.count = (t / every) as u16;
        s.presence = (t % every) < 0.3;
    }

    #[test]
    fn without_conflicting_calls_the_stage_rests_in_green() {
        let mut rig = Rig::new(ActuatedParams::default());
        // Only eastbound through traffic.
        rig.run(200.0, |t, s| pulse(t, 4.0, &mut s[3]));
        assert_eq!(rig.stage().as_deref(), Some("2+6"));
    }

    #[test]
    fn a_stage_gaps_out_when_actuations_stop_and_serves_the_waiting_calls() {
        let mut rig = Rig::new(ActuatedParams::default());
        rig.run(60.0, |t, s| pulse(t, 2.0, &mut s[3]));
        assert_eq!(rig.stage().as_deref(), Some("2+6"));
        // A northbound vehicle calls phase 4; eastbound traffic stops coming.
        let before = rig.now.as_secs_f64();
        let mut served_at = None;
        for _ in 0..300 {
            rig.run(0.1, |t, s| {
                s[3].presence = false;
                s[15].presence = t - before < 1.0;
                s[15].count = 1;
            });
            if rig.stage().as_deref() == Some("4+8") {
                served_at = Some(rig.now.as_secs_f64() - before);
                break;
            }
        }
        let served_at = served_at.expect("the side street is served");
        // Gap-out after 3 s without actuations (the last came at most 2 s before), 6 s
        // interstage: well before the 40 s maximum.
        assert!(served_at < 15.0, "side street green after {served_at:.1} s");
    }

    #[test]
    fn continuous_traffic_maxes_out_from_the_first_conflicting_call() {
        let mut rig = Rig::new(ActuatedParams::default());
        rig.run(30.0, |t, s| pulse(t, 1.0, &mut s[3]));
        assert_eq!(rig.stage().as_deref(), Some("2+6"));
        let call = rig.now.as_secs_f64();
        let mut ended = None;
        for _ in 0..800 {
            rig.run(0.1, |t, s| {
                pulse(t, 1.0, &mut s[3]);
                s[15].presence = true;
            });
            if rig.stage().as_deref() != Some("2+6") {
                ended = Some(rig.now.as_secs_f64() - call);
                break;
            }
        }
        let ended = ended.expect("max-out ends the stage");
        assert!(
            (39.5..=41.0).contains(&ended),
            "2+6 ended {ended:.1} s after the call (max 40 s)"
        );
    }

    #[test]
    fn stages_without_calls_are_skipped() {
        let mut rig = Rig::new(ActuatedParams::default());
        rig.run(30.0, |t, s| pulse(t, 1.5, &mut s[3]));
        // Call only the northbound left (phase 7): stage 3+7 is served, 4+8 and 1+5 are not.
        let mut seen = Vec::new();
        rig.run(120.0, |t, s| {
            s[3].presence = false;
            s[12].presence = t % 60.0 < 0.5;
        });
        for _ in 0..10 {
            rig.run(10.0, |_, _| {});
            if let Some(st) = rig.stage()
                && seen.last() != Some(&st)
            {
                seen.push(st);
            }
        }
        assert!(!seen.iter().any(|s| s == "4+8" || s == "1+5"), "{seen:?}");
    }

    #[test]
    fn a_failed_detector_places_a_constant_call() {
        let mut rig = Rig::new(ActuatedParams::default());
        rig.run(60.0, |t, s| {
            pulse(t, 2.0, &mut s[3]);
            s[13].fault = FaultCode::OpenLoop; // northbound left advance loop
        });
        let mut served = false;
        for _ in 0..200 {
            rig.run(1.0, |t, s| pulse(t, 2.0, &mut s[3]));
            served |= rig.stage().as_deref() == Some("3+7");
        }
        assert!(served, "the failed loop's phase is called and served");
    }

    #[test]
    fn passage_times_out_of_range_are_refused() {
        let err = Actuated::new(
            &Rig::new(ActuatedParams::default()).site,
            Rig::new(ActuatedParams::default()).ctl.plan.clone(),
            &ActuatedParams {
                passage_s: 0.0,
                ..ActuatedParams::default()
            },
        )
        .unwrap_err();
        assert!(
            err.contains("passage time 0 s is out of range (0.5 to 10 s)"),
            "{err}"
        );
    }
}
