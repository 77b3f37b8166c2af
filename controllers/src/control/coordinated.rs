//! Coordinated-actuated control, the incumbent on most US arterials: NTCIP 1202 coordination of
//! NEMA TS 2 phases, run on the timing plan's stages.
//!
//! - **The cycle**: the plan's timeline, as fixed time runs it: its cycle, its first stage's green
//!   starting at the plan's offset against the corridor's reference time. A new plan with
//!   another offset is reached the shorter way round the cycle, over three cycles
//!   ([`FixedTime::moving_from`]).
//! - **The coordinated stage** (the plan stage with the coordinated phases: 2 and 6 by default,
//!   where the intersection has them, else the plan's first stage) holds its green until its
//!   yield point, the end of its green in the plan, and rests in green past it while no other
//!   phase calls. The other stages follow it in the plan's order.
//! - **The other stages** are actuated: served only on a call (skipped without one), held for
//!   their minimum green, extended by actuations within the passage time, gapped out when none
//!   comes, and ended at their force-off. With *fixed* force-offs each ends at the point its
//!   green ends in the plan, so time one stage leaves unused goes to the stages after it; with
//!   *floating* force-offs each keeps to its own split (at most its plan green from its start),
//!   so unused time goes back to the coordinated stage.
//! - **Permissive periods**: after the yield point a stage is started only if its minimum green
//!   still fits before its force-off; once no stage fits, the coordinated stage returns to green
//!   early (early return to green) and holds to its next yield point.
//! - **Pedestrians within the split**: a walk recycled while its stage runs (a push while the
//!   green shows) must end, clearance included, by the stage's force-off; in the coordinated
//!   stage by the yield point, or past it by the last point a stage still to serve could start.
//!   A walk that ran past the yield would push the other stages out of their permissive periods,
//!   cycle after cycle, while the coordinated crossing kept recycling.
//!
//! Calls and extensions are read as actuated control reads them ([`Actuated`]): advance loops
//! extend, any loop or push button of a group calls it, and a failed detector calls constantly.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::actuated::{Actuated, ActuatedParams};
use super::fixed::FixedTime;
use super::{Controller, Inputs, Termination};
use crate::model::{GroupSet, StageIndex};
use crate::plan::TimingPlan;
use crate::sequencer::{Phase, Sequencer};
use crate::site::Site;
use crate::time::{Duration, Instant};

/// How the non-coordinated stages' force-offs are placed (NTCIP 1202 `coordForceMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForceOff {
    /// At the point each stage's green ends in the plan: unused time passes to the next stages.
    #[default]
    Fixed,
    /// At most each stage's plan green from its start: unused time returns to coordination.
    Floating,
}

/// Settings of the coordinated controller.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CoordinatedParams {
    /// Passage time and recalls of the actuated stages.
    pub actuated: ActuatedParams,
    /// Fixed or floating force-offs.
    pub force_off: ForceOff,
    /// The coordinated phases (signal group ids); empty: 2 and 6 where the intersection has
    /// them, else the groups of the plan's first stage.
    pub phases: Vec<String>,
}

/// The coordinated-actuated controller of one site.
#[derive(Clone, Debug)]
pub struct Coordinated {
    site: Arc<Site>,
    /// The cycle timeline (offset and its transitions).
    clock: FixedTime,
    /// Calls and extensions, as actuated control reads them.
    calls: Actuated,
    force_off: ForceOff,
    /// Plan positions in coordination order: the coordinated stage first, then the plan's order.
    order: Vec<usize>,
    /// Where the coordinated stage's green starts on the plan's timeline.
    shift: Duration,
    /// By coordination order: where each green ends in the cycle, counted from the coordinated
    /// stage's green start (its fixed force-off; the coordinated stage's yield point).
    ends: Vec<Duration>,
    /// By coordination order: whether it has been served in this cycle (once a cycle each).
    served: Vec<bool>,
    /// By coordination order: whether it was called and waiting when the coordinated stage
    /// reached its yield point in this cycle; served even where its minimum green no longer
    /// fits its window (a priority hold or a pedestrian clearance ran past the yield).
    due: Vec<bool>,
    /// Whether the coordinated stage has reached its yield point in this cycle.
    yielded: bool,
    /// The cycle position at the last decision, to tell when a cycle begins.
    last_pos: Option<Duration>,
    /// Why the green being left ends.
    ending: Option<Termination>,
    /// A walk recycled in the running stage must be over by then: its yield point or
    /// force-off.
    walks_by: Option<Instant>,
}

impl Coordinated {
    /// The controller for `site`, coordinated by `plan`.
    pub fn new(
        site: &Arc<Site>,
        plan: TimingPlan,
        params: &CoordinatedParams,
    ) -> Result<Self, String> {
        Self::with_clock(site, FixedTime::new(plan.clone()), plan, params)
    }

    /// As [`Coordinated::new`], taking over from a plan whose offset was `old_offset`: the new
    /// offset is reached over three cycles.
    pub fn moving_from(
        site: &Arc<Site>,
        plan: TimingPlan,
        old_offset: Duration,
        params: &CoordinatedParams,
    ) -> Result<Self, String> {
        let clock = FixedTime::moving_from(plan.clone(), old_offset);
        Self::with_clock(site, clock, plan, params)
    }

    fn with_clock(
        site: &Arc<Site>,
        clock: FixedTime,
        plan: TimingPlan,
        params: &CoordinatedParams,
    ) -> Result<Self, String> {
        let ix = &site.intersection;
        let c = coordinated_position(site, &plan, &params.phases)?;
        let n = plan.stages.len();
        let order: Vec<usize> = (0..n).map(|i| (c + i) % n).collect();
        for &p in &order[1..] {
            let stage = &plan.stages[p];
            if stage.green < stage.min_green {
                return Err(format!(
                    "stage `{}`: its split green {} ends before its minimum green {} (force-off \
                     before the minimum green)",
                    ix.stage(stage.stage).id,
                    stage.green,
                    stage.min_green
                ));
            }
        }
        let shift: Duration = (0..c)
            .map(|p| plan.stages[p].green + plan.interstages[p])
            .sum();
        let mut ends = Vec::with_capacity(n);
        let mut t = Duration::ZERO;
        for &p in &order {
            t += plan.stages[p].green;
            ends.push(t);
            t += plan.interstages[p];
        }
        let calls = Actuated::new(site, plan, &params.actuated)?;
        Ok(Coordinated {
            site: site.clone(),
            clock,
            calls,
            force_off: params.force_off,
            order,
            shift,
            ends,
            served: vec![false; n],
            due: vec![false; n],
            yielded: false,
            last_pos: None,
            ending: None,
            walks_by: None,
        })
    }

    fn plan(&self) -> &TimingPlan {
        self.clock.plan()
    }

    /// The plan stage at coordination order `i`.
    fn stage(&self, i: usize) -> StageIndex {
        self.plan().stages[self.order[i]].stage
    }

    /// The groups at coordination order `i`.
    fn groups(&self, i: usize) -> GroupSet {
        self.site.intersection.stage(self.stage(i)).groups
    }

    /// Where `now` lies in the cycle, counted from the coordinated stage's green start.
    fn position(&self, now: Instant) -> Duration {
        let cycle = self.plan().cycle.total_millis().max(1);
        let pos = self.clock.in_cycle(now).total_millis();
        Duration::from_millis((pos + cycle - self.shift.total_millis() % cycle) % cycle)
    }

    /// The first stage after coordination order `i`, not yet served this cycle, with a call and
    /// whose minimum green still fits before its force-off, if the interstage to it starts at
    /// `pos`, or that was due at the yield point.
    fn next_fitting(&self, i: usize, pos: Duration) -> Option<usize> {
        let plan = self.plan();
        (i + 1..self.order.len()).find(|&j| {
            !self.served[j]
                && self.calls.called(self.groups(j))
                && (self.due[j]
                    || pos + self.between(i, j) + plan.stages[self.order[j]].min_green
                        <= self.ends[j])
        })
    }

    /// The longest interstage on the way from coordination order `i` to `j` (the plan's
    /// interstages run between neighbours; a skip takes the longest on the way).
    fn between(&self, i: usize, j: usize) -> Duration {
        let plan = self.plan();
        (i..j)
            .map(|x| plan.interstages[self.order[x]])
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// How long a walk recycled in the coordinated stage at cycle position `pos` may run: to
    /// the yield point; past it, to the last point a stage not yet served could still start
    /// within its split; past that, to the next yield point.
    fn coordinated_walks_for(&self, pos: Duration) -> Duration {
        if pos < self.ends[0] {
            return self.ends[0] - pos;
        }
        let plan = self.plan();
        let last_start = (1..self.order.len())
            .filter(|&j| !self.served[j])
            .map(|j| self.ends[j] - self.between(0, j) - plan.stages[self.order[j]].min_green)
            .max()
            .unwrap_or(Duration::ZERO);
        if last_start > pos {
            last_start - pos
        } else {
            plan.cycle - pos + self.ends[0]
        }
    }

    /// The force-off of coordination order `i` whose green began at cycle position `began`.
    fn force_off_at(&self, i: usize, began: Duration) -> Duration {
        match self.force_off {
            ForceOff::Fixed => self.ends[i],
            ForceOff::Floating => self.ends[i].min(began + self.plan().stages[self.order[i]].green),
        }
    }
}

/// The plan position of the stage with the coordinated phases.
fn coordinated_position(
    site: &Site,
    plan: &TimingPlan,
    phases: &[String],
) -> Result<usize, String> {
    let ix = &site.intersection;
    let defaults = ["2".to_owned(), "6".to_owned()];
    let named = if phases.is_empty() {
        if defaults.iter().all(|id| ix.group_by_id(id).is_some()) {
            &defaults[..]
        } else {
            return Ok(0);
        }
    } else {
        phases
    };
    let mut groups = Vec::new();
    for id in named {
        let Some(g) = ix.group_by_id(id) else {
            let known: Vec<&str> = ix.groups().iter().map(|g| g.id.as_str()).collect();
            return Err(format!(
                "coordinated phase `{id}` is not a signal group of intersection `{}` (its \
                 groups: {})",
                site.id,
                known.join(", ")
            ));
        };
        groups.push(g);
    }
    plan.stages
        .iter()
        .position(|s| groups.iter().all(|&g| ix.stage(s.stage).groups.contains(g)))
        .ok_or_else(|| {
            format!(
                "no stage of plan `{}` serves the coordinated phases {} together",
                plan.plan_id,
                named.join(" and ")
            )
        })
}

impl Controller for Coordinated {
    fn name(&self) -> &'static str {
        "coordinated"
    }

    fn decide(&mut self, now: Instant, inputs: &Inputs<'_>, seq: &Sequencer) -> Option<StageIndex> {
        self.calls.observe(now, inputs, seq);
        self.clock.start_moving(now);
        let pos = self.position(now);
        // A new cycle: every stage may be served once again.
        if self.last_pos.is_some_and(|last| pos < last) {
            self.served.iter_mut().for_each(|s| *s = false);
            self.due.iter_mut().for_each(|d| *d = false);
            self.yielded = false;
        }
        self.last_pos = Some(pos);
        let coordinated = self.stage(0);
        self.walks_by = None;
        let (stage, since) = match seq.phase() {
            Phase::Transition { to, .. } => return Some(to),
            Phase::Clearing { .. } => return None,
            Phase::AllRed { .. } => return Some(coordinated),
            Phase::Dwell { stage, since } => (stage, since),
        };
        let Some(i) = (0..self.order.len()).find(|&i| self.stage(i) == stage) else {
            // A stage outside the plan (after a plan change): back to coordination.
            return Some(coordinated);
        };
        // Served in this cycle if its green began in it: a green running on from the cycle
        // before leaves the stage its turn in this one.
        if now - since <= pos {
            self.served[i] = true;
        }
        let next = |this: &Self, fallback: StageIndex| {
            this.next_fitting(i, pos)
                .map_or(fallback, |j| this.stage(j))
        };
        if i == 0 {
            self.walks_by = Some(now + self.coordinated_walks_for(pos));
            if pos >= self.ends[0] && !self.yielded {
                self.yielded = true;
                for j in 1..self.order.len() {
                    self.due[j] = !self.served[j] && self.calls.called(self.groups(j));
                }
            }
            // Hold to the yield point; past it, serve the first called stage that still fits,
            // else rest in green.
            let to = if pos < self.ends[0] {
                stage
            } else {
                next(self, stage)
            };
            self.ending = (to != stage).then_some(Termination::ForceOff);
            return Some(to);
        }
        self.ending = None;
        let green = now - since;
        // Where in the cycle this green began (it may have begun in the cycle before).
        let cycle = self.plan().cycle.total_millis().max(1);
        let began = Duration::from_millis(
            (pos.total_millis() + cycle - green.total_millis() % cycle) % cycle,
        );
        let force_off = self.force_off_at(i, began);
        // Pedestrian service within the split: a recycled walk ends by the force-off.
        self.walks_by = Some(now + (force_off - (began + green)));
        if green < self.plan().stages[self.order[i]].min_green {
            return Some(stage);
        }
        let forced = began >= self.ends[i] || began + green >= force_off;
        if forced || self.calls.gapped_out(self.order[i], self.groups(i), now) {
            self.ending = Some(if forced {
                Termination::ForceOff
            } else {
                Termination::GapOut
            });
            return Some(next(self, coordinated));
        }
        Some(stage)
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
