//! The sequencer: the only code that turns "run stage S next" into aspects over time.
//!
//! It honours minimum greens, intergreens (EN 12675) and the region's aspect sequence, and knows
//! when it next needs attention ([`Sequencer::poll_at`], after smoltcp's `poll_at`). A stage
//! transition, once started, runs to completion; a request made meanwhile waits for it.
//! Pedestrian walks of region `us` are timed beside the transitions (see `pedestrians`). The
//! sequencer's output is a proposal: the [`crate::interlock`] checks every state before it is
//! shown.

mod pedestrians;
mod preempt;
mod transition;

pub use preempt::preempt_plan;
pub use transition::{
    Change, RED_REVERT, TransitionPlan, interstage, plan, plan_groups, wind_down,
};

use std::fmt;
use std::sync::Arc;

use crate::model::{Aspect, GroupIndex, GroupSet, Intersection, SignalState, StageIndex};
use crate::time::{Duration, Instant};

/// Where the sequencer is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    /// All red, no stage running: at start-up until `until`, then until a stage is requested.
    AllRed {
        /// The start-up all-red lasts at least until then.
        until: Instant,
    },
    /// A stage is running, every one of its groups green.
    Dwell {
        /// The stage.
        stage: StageIndex,
        /// Since when all its groups have been green.
        since: Instant,
    },
    /// Changing from one stage (none at start-up) to another.
    Transition {
        /// The stage being left.
        from: Option<StageIndex>,
        /// The stage being entered.
        to: StageIndex,
        /// When the transition began.
        started: Instant,
        /// When its last change is due.
        completes: Instant,
    },
    /// Winding every group down to red, for a hand-over ([`Sequencer::clear`]); all red follows.
    Clearing {
        /// When the wind-down began.
        started: Instant,
        /// When its last change is due.
        completes: Instant,
    },
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::AllRed { .. } => write!(f, "all red"),
            Phase::Dwell { stage, .. } => write!(f, "stage #{}", stage.0),
            Phase::Transition { from, to, .. } => match from {
                Some(from) => write!(f, "transition #{} -> #{}", from.0, to.0),
                None => write!(f, "transition -> #{}", to.0),
            },
            Phase::Clearing { .. } => write!(f, "clearing to all red"),
        }
    }
}

/// A stage index the intersection does not have.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[error("stage #{0} does not exist")]
pub struct UnknownStage(pub u8);

/// Drives one intersection's signal groups from stage requests.
#[derive(Clone, Debug)]
pub struct Sequencer {
    intersection: Arc<Intersection>,
    state: SignalState,
    phase: Phase,
    pending: Option<StageIndex>,
    /// Changes of the running transition not yet applied, in time order from `next_change`.
    changes: Vec<Change>,
    next_change: usize,
    /// When each group's current go began (`None` when not showing go).
    go_start: Vec<Option<Instant>>,
    /// When each group's last go ended (start-up counts as an end, to be safe).
    go_end: Vec<Instant>,
    /// Pedestrian walk timers (ends of walk and of flashing don't walk, recycled walks), in
    /// time order, apart from any transition.
    ped_changes: Vec<Change>,
    /// Pedestrian calls not yet served.
    ped_calls: GroupSet,
    /// When each group's red began as shown.
    red_since: Vec<Instant>,
    /// A walk recycled in the running stage must have its clearance over by then.
    walks_by: Option<Instant>,
    /// A walk called while its stage is being entered must have its clearance over by then.
    entering_walks_by: Option<Instant>,
}

impl Sequencer {
    /// A sequencer that starts at `now` with every group red (the start-up all-red).
    pub fn new(intersection: Arc<Intersection>, now: Instant) -> Self {
        let n = intersection.groups().len();
        let until = now + intersection.startup_all_red();
        Sequencer {
            state: SignalState::uniform(n, Aspect::Red),
            phase: Phase::AllRed { until },
            pending: None,
            changes: Vec::new(),
            next_change: 0,
            go_start: vec![None; n],
            go_end: vec![now; n],
            ped_changes: Vec::new(),
            ped_calls: GroupSet::EMPTY,
            red_since: vec![now; n],
            walks_by: None,
            entering_walks_by: None,
            intersection,
        }
    }

    /// A walk recycled in the running stage (a call while its stage runs) must have its
    /// clearance over by `by`, when the controller must leave the stage (its wait bound);
    /// `None`: whenever it comes. Walks that enter with a stage are not affected.
    pub fn end_walks_by(&mut self, by: Option<Instant>) {
        self.walks_by = by;
    }

    /// A walk called while a stage is being entered, joining its green as the stage is asked
    /// for again, must have its clearance over by `by` (the controller's wait bound); `None`:
    /// it joins.
    pub fn end_entering_walks_by(&mut self, by: Option<Instant>) {
        self.entering_walks_by = by;
    }

    /// A sequencer taking over at `now` from whatever showed `shown` (the cabinet's own
    /// controller, say): it winds every group down to red ([`wind_down`]), then holds all red
    /// like a fresh start. `go_start[g]` is when group `g`'s current go began, if known.
    pub fn take_over(
        intersection: Arc<Intersection>,
        now: Instant,
        shown: &SignalState,
        go_start: &[Option<Instant>],
    ) -> Self {
        let mut seq = Sequencer::new(intersection, now);
        seq.state.clone_from(shown);
        for (g, aspect) in shown.iter() {
            if aspect.is_go() {
                seq.go_start[g.get()] = go_start.get(g.get()).copied().flatten().or(Some(now));
            }
        }
        seq.clear(now);
        seq
    }

    /// Winds every group down to red from `now` (minimum greens and after-green sequences
    /// honoured), then holds all red for the start-up all red; a request waiting or made
    /// meanwhile starts after that. Used to hand the signals over to another controller.
    pub fn clear(&mut self, now: Instant) {
        let planned = wind_down(
            &self.intersection,
            now,
            &self.state,
            &self.go_start,
            &self.go_end,
        );
        self.pending = None;
        self.changes = planned.changes;
        self.ped_changes.clear();
        self.next_change = 0;
        self.phase = Phase::Clearing {
            started: now,
            completes: planned.completes,
        };
    }

    /// True once every group is red and no stage is running or being entered.
    pub fn all_red(&self) -> bool {
        matches!(self.phase, Phase::AllRed { .. })
    }

    /// The intersection this sequencer drives.
    pub fn intersection(&self) -> &Arc<Intersection> {
        &self.intersection
    }

    /// Asks for `stage` to run next, replacing any earlier request not yet started. Asking for
    /// the stage that is running (and not being left) withdraws the request.
    pub fn request(&mut self, stage: StageIndex) -> Result<(), UnknownStage> {
        if stage.get() >= self.intersection.stages().len() {
            return Err(UnknownStage(stage.0));
        }
        self.pending = match self.phase {
            Phase::Dwell { stage: running, .. } if running == stage => None,
            _ => Some(stage),
        };
        Ok(())
    }

    /// The request waiting to start, if any.
    pub fn pending(&self) -> Option<StageIndex> {
        self.pending
    }

    /// Advances to `now`: applies every change due and starts a requested transition as soon as
    /// minimum greens allow. Returns the state to propose to the interlock.
    pub fn poll(&mut self, now: Instant) -> &SignalState {
        loop {
            self.apply_due(now);
            if self.next_change == self.changes.len() {
                match self.phase {
                    Phase::Transition { to, completes, .. } => {
                        self.phase = Phase::Dwell {
                            stage: to,
                            since: completes,
                        };
                    }
                    Phase::Clearing { completes, .. } => {
                        self.phase = Phase::AllRed {
                            until: completes + self.intersection.startup_all_red(),
                        };
                    }
                    Phase::AllRed { .. } | Phase::Dwell { .. } => {}
                }
            }
            self.end_rested_walks(now);
            if self.recycle(now) {
                continue;
            }
            match self.ready_to_start(now) {
                Some(to) => self.start_transition(now, to),
                None => break,
            }
        }
        &self.state
    }

    /// The next instant at which [`Sequencer::poll`] has something to do, if any.
    pub fn poll_at(&self) -> Option<Instant> {
        let stage = match self.phase {
            Phase::Transition { .. } | Phase::Clearing { .. } => {
                self.changes.get(self.next_change).map(|c| c.at)
            }
            Phase::AllRed { until } => self.pending.map(|_| until),
            Phase::Dwell { .. } => self.pending.map(|to| self.earliest_start(to)),
        };
        let pedestrians = [
            self.ped_changes.first().map(|c| c.at),
            self.recycle_at(Instant::ZERO).map(|(_, at)| at),
            self.rested_walk_end(),
        ];
        pedestrians.into_iter().chain([stage]).flatten().min()
    }

    /// The state as of the last poll.
    pub fn state(&self) -> &SignalState {
        &self.state
    }

    /// Where the sequencer is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The running stage, or the one being entered during a transition.
    pub fn current_stage(&self) -> Option<StageIndex> {
        match self.phase {
            Phase::AllRed { .. } | Phase::Clearing { .. } => None,
            Phase::Dwell { stage, .. } => Some(stage),
            Phase::Transition { to, .. } => Some(to),
        }
    }

    /// The earliest instant the current stage may end, whatever comes next: when every one of
    /// its groups has had its minimum green (needed for SPaT). `None` when no stage is running.
    pub fn earliest_stage_end(&self) -> Option<Instant> {
        match self.phase {
            Phase::AllRed { .. } | Phase::Clearing { .. } => None,
            Phase::Dwell { stage, since } => Some(
                self.intersection
                    .stage(stage)
                    .groups
                    .iter()
                    .map(|g| self.min_green_end(g))
                    .fold(since, Instant::max)
                    .max(self.pedestrian_hold(GroupSet::EMPTY)),
            ),
            Phase::Transition { to, completes, .. } => Some(
                self.intersection
                    .stage(to)
                    .groups
                    .iter()
                    .map(|g| self.min_green_end(g))
                    .fold(completes, Instant::max),
            ),
        }
    }

    /// When group `g`'s current go began, if it shows go.
    pub fn go_start(&self, g: GroupIndex) -> Option<Instant> {
        self.go_start[g.get()]
    }

    /// The changes of the running transition still to come, in time order.
    pub fn upcoming(&self) -> &[Change] {
        &self.changes[self.next_change..]
    }

    /// Group `g`'s minimum green end, or for a group not showing go, when its next green could
    /// at the earliest start counting from its scheduled start.
    fn min_green_end(&self, g: GroupIndex) -> Instant {
        let start = self.go_start[g.get()].or_else(|| {
            self.upcoming()
                .iter()
                .find(|c| c.group == g && c.aspect == Aspect::Green)
                .map(|c| c.at)
        });
        start.map_or(Instant::ZERO, |s| s + self.intersection.group(g).min_green)
    }

    fn going(&self) -> GroupSet {
        self.state
            .iter()
            .filter(|(_, a)| a.is_go())
            .fold(GroupSet::EMPTY, |set, (g, _)| set.with(g))
    }

    /// When a transition to `to` may start: after the minimum green of every group it ends,
    /// and after the flashing don't walk of pedestrian groups it ends that hold their parallel
    /// green.
    fn earliest_start(&self, to: StageIndex) -> Instant {
        let target = self.intersection.stage(to).groups;
        self.going()
            .minus(target)
            .iter()
            .map(|g| self.min_green_end(g))
            .fold(self.pedestrian_hold(target), Instant::max)
    }

    fn ready_to_start(&self, now: Instant) -> Option<StageIndex> {
        let to = self.pending?;
        let ready = match self.phase {
            Phase::Transition { .. } | Phase::Clearing { .. } => false,
            Phase::AllRed { until } => now >= until,
            Phase::Dwell { .. } => now >= self.earliest_start(to),
        };
        ready.then_some(to)
    }

    fn start_transition(&mut self, now: Instant, to: StageIndex) {
        self.pending = None;
        let from = match self.phase {
            Phase::Dwell { stage, .. } => Some(stage),
            _ => None,
        };
        let going = self.going();
        let mut target = self.joining(to);
        if from == Some(to) {
            // The stage being entered, asked for again as its green came (a controller keeps
            // asking for it during the change): a walk called since the change began joins
            // only if it is over by the time the controller must end the stage.
            target = target
                .iter()
                .filter(|&g| going.contains(g) || self.walk_over_by(g, now, self.entering_walks_by))
                .fold(GroupSet::EMPTY, GroupSet::with);
        }
        // Walks this transition ends run their clearance in it, not on their own timers.
        let leaving = going.minus(target);
        self.ped_changes.retain(|c| !leaving.contains(c.group));
        let planned = plan_groups(
            &self.intersection,
            now,
            going,
            target,
            &self.go_end,
            Some(&self.red_since),
        );
        self.changes = planned.changes;
        self.next_change = 0;
        self.phase = Phase::Transition {
            from,
            to,
            started: now,
            completes: planned.completes,
        };
    }

    /// Applies the changes due by `now`. A change applied late (the caller polled after its
    /// time) pushes every later change back by the same lateness, so no aspect, intergreen or
    /// minimum green is ever shown shorter than planned.
    fn apply_due(&mut self, now: Instant) {
        loop {
            let transition = self
                .changes
                .get(self.next_change)
                .copied()
                .filter(|c| c.at <= now);
            let pedestrian = self.ped_changes.first().copied().filter(|c| c.at <= now);
            let change = match (transition, pedestrian) {
                (Some(t), Some(p)) if p.at < t.at => self.take_pedestrian_change(p, now),
                (Some(t), _) => self.take_transition_change(t, now),
                (None, Some(p)) => self.take_pedestrian_change(p, now),
                (None, None) => break,
            };
            let g = change.group.get();
            let was_go = self.state.get(change.group).is_go();
            let is_go = change.aspect.is_go();
            self.state.set(change.group, change.aspect);
            if change.aspect == Aspect::Red {
                self.red_since[g] = now;
            }
            if was_go && !is_go {
                self.go_start[g] = None;
                self.go_end[g] = now;
            } else if is_go && !was_go {
                self.go_start[g] = Some(now);
                if self.intersection.group(change.group).pedestrian.is_some() {
                    self.walk_started(change.group, now);
                }
            }
        }
    }

    /// Takes the transition's next change, due by `now`; a change applied late pushes every
    /// later one back by as much.
    fn take_transition_change(&mut self, change: Change, now: Instant) -> Change {
        let late = now - change.at;
        if late > Duration::ZERO {
            for later in &mut self.changes[self.next_change..] {
                later.at += late;
            }
            if let Phase::Transition { completes, .. } | Phase::Clearing { completes, .. } =
                &mut self.phase
            {
                *completes += late;
            }
        }
        self.next_change += 1;
        change
    }

    /// Takes the first pedestrian timer change, due by `now`; applied late, it pushes the
    /// group's later changes back by as much.
    fn take_pedestrian_change(&mut self, change: Change, now: Instant) -> Change {
        self.ped_changes.remove(0);
        let late = now - change.at;
        for later in self
            .ped_changes
            .iter_mut()
            .filter(|c| c.group == change.group)
        {
            later.at += late;
        }
        change
    }
}

#[cfg(test)]
mod tests;
