//! Pedestrian timing in the sequencer (MUTCD 4I.06; NEMA TS 2 pedestrian timing).
//!
//! A timed pedestrian group (region `us`) walks when its stage is entered if it has a call (a
//! push of its button) or is on recall, and when a call comes while its stage runs (the walk is
//! recycled, once the intergreens from the groups it conflicts with have run and no change of
//! stage is waiting). Its walk lasts its walk interval (its minimum green), or with rest in walk
//! until a change of stage ends it; then the flashing don't walk runs for the clearance time,
//! then steady don't walk. Where the change interval ends before the parallel amber, a change of
//! stage that ends the group waits for its flashing don't walk to end. These timers run beside
//! the stage transitions, in [`Sequencer::ped_changes`].

use super::transition::{Change, RED_REVERT};
use super::{Phase, Sequencer};
use crate::model::{Aspect, GroupIndex, GroupSet, StageIndex};
use crate::time::{Duration, Instant};

impl Sequencer {
    /// Registers a pedestrian call for group `g` (a push of its button). Groups that walk
    /// without calls, and vehicle groups, ignore it.
    pub fn call_pedestrian(&mut self, g: GroupIndex) {
        let on_call = g.get() < self.intersection.groups().len()
            && self
                .intersection
                .group(g)
                .pedestrian
                .is_some_and(|p| p.on_call);
        if on_call {
            self.ped_calls = self.ped_calls.with(g);
        }
    }

    /// The pedestrian calls not yet served by a walk.
    pub fn pedestrian_calls(&self) -> GroupSet {
        self.ped_calls
    }

    /// The groups that go green when `stage` is entered: all of them but on-call pedestrian
    /// groups without a call and pedestrian groups still clearing (they may walk again once
    /// their clearance is over); those already green stay so.
    pub(super) fn joining(&self, stage: StageIndex) -> GroupSet {
        let ix = &self.intersection;
        let groups = ix.stage(stage).groups;
        let going = self.going();
        groups
            .iter()
            .filter(|&g| self.state.get(g) != Aspect::FlashingDontWalk)
            .filter(|&g| match ix.group(g).pedestrian {
                Some(p) if p.on_call => self.ped_calls.contains(g) || going.contains(g),
                _ => true,
            })
            .fold(GroupSet::EMPTY, GroupSet::with)
    }

    /// Group `g` began to walk at `now`: its call is served, and a timed walk's end and
    /// clearance are scheduled.
    pub(super) fn walk_started(&mut self, g: GroupIndex, now: Instant) {
        self.ped_calls = self.ped_calls.minus(GroupSet::EMPTY.with(g));
        let group = self.intersection.group(g);
        if let Some(p) = group.pedestrian.filter(|p| p.timed_walk && !p.rest_in_walk) {
            let walk = group.min_green;
            self.schedule_clearance(g, now + walk, p.clearance);
        }
    }

    /// Schedules group `g`'s flashing don't walk from `at` for `clearance`, then don't walk.
    fn schedule_clearance(&mut self, g: GroupIndex, at: Instant, clearance: Duration) {
        self.ped_changes.retain(|c| c.group != g);
        self.ped_changes.push(Change {
            at,
            group: g,
            aspect: Aspect::FlashingDontWalk,
        });
        self.ped_changes.push(Change {
            at: at + clearance,
            group: g,
            aspect: Aspect::Red,
        });
        self.ped_changes.sort_by_key(|c| c.at);
    }

    /// Until when pedestrian groups outside `staying` hold the parallel green: the end of the
    /// flashing don't walk of every group that holds it and shows walk or flashing don't walk.
    pub(super) fn pedestrian_hold(&self, staying: GroupSet) -> Instant {
        let ix = &self.intersection;
        ix.group_indices()
            .filter(|&g| !staying.contains(g))
            .filter_map(|g| {
                let p = ix.group(g).pedestrian.filter(|p| p.hold_parallel)?;
                let scheduled_red = self
                    .ped_changes
                    .iter()
                    .find(|c| c.group == g && c.aspect == Aspect::Red)
                    .map(|c| c.at);
                match self.state.get(g) {
                    Aspect::Green => Some(scheduled_red.unwrap_or_else(|| {
                        let start = self.go_start[g.get()].unwrap_or(Instant::ZERO);
                        start + ix.group(g).min_green + p.clearance
                    })),
                    Aspect::FlashingDontWalk => scheduled_red,
                    _ => None,
                }
            })
            .fold(Instant::ZERO, Instant::max)
    }

    /// The walks at rest that a waiting change of stage ends and that hold the parallel green:
    /// `(group, when its walk interval is over)`.
    fn rested_walks(&self) -> impl Iterator<Item = (GroupIndex, Instant)> + '_ {
        let ix = &self.intersection;
        let target = match (self.phase, self.pending) {
            (Phase::Dwell { .. }, Some(to)) => Some(ix.stage(to).groups),
            _ => None,
        };
        ix.group_indices().filter_map(move |g| {
            let target = target?;
            let p = ix.group(g).pedestrian?;
            let resting = p.rest_in_walk && p.hold_parallel && !target.contains(g);
            let unscheduled = !self.ped_changes.iter().any(|c| c.group == g);
            let walking = self.state.get(g) == Aspect::Green;
            let walk_over = self.go_start[g.get()].unwrap_or(Instant::ZERO) + ix.group(g).min_green;
            (resting && unscheduled && walking).then_some((g, walk_over))
        })
    }

    /// Starts the flashing don't walk of walks at rest that a waiting change of stage ends, once
    /// their walk interval is over.
    pub(super) fn end_rested_walks(&mut self, now: Instant) {
        let due: Vec<GroupIndex> = self
            .rested_walks()
            .filter(|&(_, at)| at <= now)
            .map(|(g, _)| g)
            .collect();
        for g in due {
            let clearance = self
                .intersection
                .group(g)
                .pedestrian
                .map_or(Duration::ZERO, |p| p.clearance);
            self.schedule_clearance(g, now, clearance);
        }
    }

    /// The earliest instant a walk at rest must end for a waiting change of stage.
    pub(super) fn rested_walk_end(&self) -> Option<Instant> {
        self.rested_walks().map(|(_, at)| at).min()
    }

    /// A called pedestrian group of the running stage at don't walk, and when it may walk: after
    /// the intergreen from every group it conflicts with, if its walk and clearance are over by
    /// the time the stage must end ([`Sequencer::end_walks_by`]), starting no earlier than
    /// `now`. `None` while a change of stage waits.
    pub(super) fn recycle_at(&self, now: Instant) -> Option<(GroupIndex, Instant)> {
        let Phase::Dwell { stage, .. } = self.phase else {
            return None;
        };
        if self.pending.is_some() {
            return None;
        }
        let ix = &self.intersection;
        let going = self.going();
        ix.stage(stage)
            .groups
            .iter()
            .filter(|&g| self.ped_calls.contains(g) && self.state.get(g) == Aspect::Red)
            .filter_map(|g| {
                let mut at = self.red_since[g.get()] + RED_REVERT;
                for c in ix.group_indices() {
                    if let Some(ig) = ix.intergreen(c, g) {
                        if going.contains(c) {
                            return None;
                        }
                        at = at.max(self.go_end[c.get()] + ig);
                    }
                }
                self.walk_over_by(g, at.max(now), self.walks_by)
                    .then_some((g, at))
            })
            .min_by_key(|&(_, at)| at)
    }

    /// Whether group `g`'s walk and clearance, starting at `at`, are over by `by` (none: they
    /// always are).
    pub(super) fn walk_over_by(&self, g: GroupIndex, at: Instant, by: Option<Instant>) -> bool {
        let group = self.intersection.group(g);
        let clearance = group.pedestrian.map_or(Duration::ZERO, |p| p.clearance);
        by.is_none_or(|by| at + group.min_green + clearance <= by)
    }

    /// Starts a recycled walk if one is due at `now`; true when it did.
    pub(super) fn recycle(&mut self, now: Instant) -> bool {
        match self.recycle_at(now) {
            Some((g, at)) if at <= now => {
                self.ped_changes.push(Change {
                    at: now,
                    group: g,
                    aspect: Aspect::Green,
                });
                self.ped_changes.sort_by_key(|c| c.at);
                true
            }
            _ => false,
        }
    }
}
