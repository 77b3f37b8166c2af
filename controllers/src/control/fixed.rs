//! Fixed-time control: runs a timing plan's stages for their greens, cycle after cycle, in step
//! with the plan's offset against the corridor reference time.
//!
//! The plan's timeline puts the first stage's green start at `offset` (modulo the cycle); each
//! stage is green for its `green`, then the interstage to the next. At any moment the controller
//! asks for the stage the timeline says is green, or the one being changed to. After a start-up
//! or a late minimum green the sequencer lags the timeline and catches up at the next change.
//! A walk recycled within a green (a push while it shows) must end, clearance included, by the
//! green's end in the plan, so a push never stretches the cycle.
//!
//! A plan taking over from one with another offset ([`FixedTime::moving_from`]) reaches its
//! offset smoothly: the timeline slides from the old offset to the new one (the shorter way
//! round the cycle) over three cycles, stretching or shrinking each cycle by at most a sixth,
//! instead of jumping.

use super::{Controller, Inputs, Termination};
use crate::model::StageIndex;
use crate::plan::TimingPlan;
use crate::sequencer::Sequencer;
use crate::time::{Duration, Instant};

/// The fixed-time controller.
#[derive(Clone, Debug)]
pub struct FixedTime {
    plan: TimingPlan,
    /// Per plan stage, the end of its green measured from the cycle start.
    green_ends: Vec<Duration>,
    /// An offset still being reached: the signed shift (ms) left at the start, and the start
    /// (set by the first decision).
    moving: Option<(i64, Option<Instant>)>,
    /// The end of the green of the stage asked for: a walk recycled in it must be over by then.
    walks_by: Option<Instant>,
}

/// Cycles over which a new offset is reached.
const OFFSET_CYCLES: u64 = 3;

impl FixedTime {
    /// Runs `plan`.
    pub fn new(plan: TimingPlan) -> Self {
        let mut t = Duration::ZERO;
        let green_ends = plan
            .stages
            .iter()
            .zip(&plan.interstages)
            .map(|(stage, between)| {
                let end = t + stage.green;
                t = end + *between;
                end
            })
            .collect();
        FixedTime {
            plan,
            green_ends,
            moving: None,
            walks_by: None,
        }
    }

    /// Runs `plan`, starting from the timeline of a plan with offset `old_offset` and moving to
    /// `plan`'s own offset over three cycles from its first decision.
    pub fn moving_from(plan: TimingPlan, old_offset: Duration) -> Self {
        let cycle = plan.cycle.total_millis().max(1) as i64;
        let old = old_offset.total_millis() as i64 % cycle;
        let new = plan.offset.total_millis() as i64 % cycle;
        // The shorter way round: in (-cycle/2, cycle/2].
        let mut shift = (new - old).rem_euclid(cycle);
        if shift > cycle / 2 {
            shift -= cycle;
        }
        let mut fixed = FixedTime::new(plan);
        fixed.moving = (shift != 0).then_some((shift, None));
        fixed
    }

    /// The offset in force at `now`, ms (while moving, between the old and the new one).
    fn offset_at(&self, now: Instant) -> i64 {
        let new = self.plan.offset.total_millis() as i64;
        match self.moving {
            Some((shift, Some(start))) => {
                let span = (self.plan.cycle.total_millis() * OFFSET_CYCLES).max(1) as i64;
                let done =
                    (now.total_millis().saturating_sub(start.total_millis()) as i64).min(span);
                new - shift + shift * done / span
            }
            Some((shift, None)) => new - shift,
            None => new,
        }
    }

    /// Starts the move to a new offset, if one is due, at the first decision.
    pub(super) fn start_moving(&mut self, now: Instant) {
        if let Some((_, start @ None)) = &mut self.moving {
            *start = Some(now);
        }
    }

    /// The plan it runs.
    pub fn plan(&self) -> &TimingPlan {
        &self.plan
    }

    /// Where `now` lies in the cycle (from the first stage's green start).
    pub(super) fn in_cycle(&self, now: Instant) -> Duration {
        let cycle = self.plan.cycle.total_millis().max(1) as i64;
        let offset = self.offset_at(now).rem_euclid(cycle);
        let pos = (now.total_millis() as i64 - offset).rem_euclid(cycle);
        Duration::from_millis(pos as u64)
    }

    /// From cycle position `pos` to position `end`: later in this cycle, else in the next.
    fn until(&self, pos: Duration, end: Duration) -> Duration {
        if end > pos {
            end - pos
        } else {
            self.plan.cycle - pos + end
        }
    }

    /// The plan stage whose green (or the change towards it) covers `pos`.
    fn stage_at(&self, pos: Duration) -> usize {
        // Within stage k's green, or in the interstage before it; after the last, the first.
        self.green_ends
            .iter()
            .position(|&end| pos < end)
            .unwrap_or_default()
    }
}

impl Controller for FixedTime {
    fn name(&self) -> &'static str {
        "fixed"
    }

    fn reads_estimate(&self) -> bool {
        false
    }

    fn decide(&mut self, now: Instant, _: &Inputs<'_>, _: &Sequencer) -> Option<StageIndex> {
        self.start_moving(now);
        let pos = self.in_cycle(now);
        let k = self.stage_at(pos);
        // A recycled walk keeps to the plan: it ends, clearance included, with its green.
        self.walks_by = Some(now + self.until(pos, self.green_ends[k]));
        Some(self.plan.stages[k].stage)
    }

    /// Every green of a fixed-time plan ends at its split.
    fn termination(&self) -> Option<Termination> {
        Some(Termination::ForceOff)
    }

    fn poll_at(&self, now: Instant) -> Option<Instant> {
        let pos = self.in_cycle(now);
        let next = self
            .green_ends
            .iter()
            .find(|&&end| end > pos)
            .map_or(self.until(pos, self.green_ends[0]), |&end| end - pos);
        Some(now + next)
    }

    fn walks_by(&self) -> Option<Instant> {
        self.walks_by
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interlock::{Check, Interlock, SafeState};
    use crate::load::parse_toml;
    use crate::plan::PlanSpec;
    use crate::test_support::*;
    use std::path::Path;

    #[test]
    fn follows_the_plan_timeline_from_its_offset() {
        let ix = intersection(EU_TWO_STAGE);
        let mut spec: PlanSpec = parse_toml(
            Path::new("p.toml"),
            include_str!("../../../config/plans/eu-two-stage-base.toml"),
        )
        .unwrap();
        spec.offset_s = 10.0;
        let plan = TimingPlan::from_spec(&spec, &ix).unwrap();
        let mut fixed = FixedTime::new(plan);
        let mut seq = Sequencer::new(ix.clone(), Instant::ZERO);
        let mut interlock = Interlock::new(ix.clone(), SafeState::AllRed, Instant::ZERO);
        let estimate = crate::estimate::Estimate::default();
        let inputs = Inputs {
            buses: &[],
            detectors: &[],
            estimate: &estimate,
            neighbours: &Default::default(),
        };
        let k1 = ix.group_by_id("K1").unwrap();
        let mut green_starts = vec![];
        let mut now = Instant::ZERO;
        while now < secs(400.0) {
            if let Some(stage) = fixed.decide(now, &inputs, &seq) {
                seq.request(stage).unwrap();
            }
            let was = seq.state().get(k1);
            let state = seq.poll(now).clone();
            assert_eq!(interlock.check(now, &state), Check::Passed);
            if state.get(k1).is_go() && !was.is_go() {
                green_starts.push(now.as_secs_f64());
            }
            now += Duration::from_millis(500);
        }
        // Stage A's green (K1) starts at the offset, every 70 s, once the start-up is over.
        assert_eq!(&green_starts[1..], [80.0, 150.0, 220.0, 290.0, 360.0]);
        assert_eq!(
            fixed.poll_at(secs(81.0)),
            Some(secs(110.0)),
            "A's green ends 30 s after 80 s"
        );
    }

    #[test]
    fn a_push_while_the_green_shows_never_stretches_it_past_the_plan() {
        use crate::control::rig::{Rig, peds_plan, peds_site, pushes};
        let site = peds_site();
        let plan = peds_plan(&site);
        let cycle = plan.cycle.as_secs_f64();
        let mut rig = Rig::new(site.clone(), FixedTime::new(plan));
        // P2 walks beside 2+6 (green 52 s): pushed every 4 s, its walk could be recycled over
        // and over.
        let p2 = pushes(&site, "P2", 4.0);
        rig.run(cycle, &p2);
        let seen = rig.greens(6.0 * cycle, &p2);
        let main: Vec<(f64, f64)> = seen
            .iter()
            .filter(|(s, ..)| s == "2+6")
            .map(|&(_, from, to)| (from, to))
            .collect();
        assert!(main.len() >= 5, "{seen:?}");
        for &(from, to) in &main[..main.len() - 1] {
            assert!(
                (to - from - 52.0).abs() <= 0.2,
                "2+6 ran {from}..{to}: {seen:?}"
            );
        }
        for pair in main.windows(2) {
            assert!((pair[1].0 - pair[0].0 - cycle).abs() <= 0.2, "{seen:?}");
        }
    }

    #[test]
    fn a_new_offset_is_reached_over_three_cycles_without_a_jump() {
        let ix = intersection(EU_TWO_STAGE);
        let spec: PlanSpec = parse_toml(
            Path::new("p.toml"),
            include_str!("../../../config/plans/eu-two-stage-base.toml"),
        )
        .unwrap();
        let old = TimingPlan::from_spec(&spec, &ix).unwrap();
        let mut new_spec = spec.clone();
        new_spec.offset_s = spec.offset_s + 20.0;
        let new = TimingPlan::from_spec(&new_spec, &ix).unwrap();
        let cycle = new.cycle.as_secs_f64();
        let estimate = crate::estimate::Estimate::default();
        let inputs = Inputs {
            buses: &[],
            detectors: &[],
            estimate: &estimate,
            neighbours: &Default::default(),
        };
        let seq = Sequencer::new(ix.clone(), Instant::ZERO);
        let start = secs(1000.0);
        let before = FixedTime::new(old.clone());
        let mut moving = FixedTime::moving_from(new.clone(), old.offset);
        let after = FixedTime::new(new);
        moving.decide(start, &inputs, &seq);
        // At the start it is where the old plan was; three cycles on, where the new one is.
        assert_eq!(moving.in_cycle(start), before.in_cycle(start));
        let done = start + Duration::from_secs_f64(3.0 * cycle);
        assert_eq!(moving.in_cycle(done), after.in_cycle(done));
        // In between its position never jumps: 1 s later it is 1 s on, give or take a sixth.
        let mut t = start;
        while t < done {
            let a = moving.in_cycle(t).as_secs_f64();
            let b = moving.in_cycle(t + Duration::from_secs(1)).as_secs_f64();
            let step = (b - a).rem_euclid(cycle);
            assert!((step - 1.0).abs() <= 1.0 / 6.0 + 1e-3, "step {step} at {t}");
            t += Duration::from_secs(1);
        }
    }
}
