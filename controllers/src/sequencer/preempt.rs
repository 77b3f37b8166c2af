//! Emergency preemption in the sequencer (NTCIP 1202 preempt; MUTCD 4D.27).
//!
//! On a call the sequencer leaves whatever it is doing for the preemption's dwell stage at once:
//! every group that conflicts with it ends its green or walk (after its minimum green, or the
//! shorter green or walk the intersection lets a preemption cut it to) through its full amber,
//! red clearance or pedestrian clearance (shortened only as far as the intersection allows); a change already under way runs on; groups of the dwell stage that
//! are green stay green; the others join as soon as their intergreens allow. The plan is a
//! transition to the dwell stage like any other, so the interlock judges it the same way.

use super::transition::{Change, RED_REVERT, TransitionPlan};
use super::{Phase, Sequencer};
use crate::model::{Aspect, GroupIndex, GroupSet, Intersection, SignalState, StageIndex};
use crate::time::{Duration, Instant};

/// Plans the way from `state` at `t0` to `target` for a preemption: see the module docs.
/// `scheduled` holds the changes already planned (a transition under way, pedestrian timers);
/// a group part-way through its after-green sequence keeps them. `go_start[g]` is when `g`'s
/// current go began, `last_go_end[g]` when its last go ended, `red_since[g]` when its red began.
#[allow(clippy::too_many_arguments)]
pub fn preempt_plan(
    intersection: &Intersection,
    t0: Instant,
    state: &SignalState,
    scheduled: &[Change],
    go_start: &[Option<Instant>],
    last_go_end: &[Instant],
    red_since: &[Instant],
    target: GroupSet,
) -> TransitionPlan {
    let rules = intersection.preemption();
    // By how much each pedestrian clearance was shortened, and its intergreens with it.
    let mut shortened = vec![Duration::ZERO; state.len()];
    let mut changes = Vec::new();
    let mut go_end = last_go_end.to_vec();
    let mut completes = t0;
    let mut joining = Vec::new();
    // Groups of other stages on their way into green (red+amber) cannot turn back; a dwell-stage
    // group that conflicts with one of them ends its green and comes back after it.
    let entering = state
        .iter()
        .filter(|&(g, a)| {
            !target.contains(g)
                && intersection
                    .group(g)
                    .sequence
                    .before_green
                    .iter()
                    .any(|s| s.aspect == a)
        })
        .fold(GroupSet::EMPTY, |set, (g, _)| set.with(g));
    for (g, aspect) in state.iter() {
        let group = intersection.group(g);
        let sequence = &group.sequence;
        let in_target = target.contains(g);
        let stays = in_target && !entering.iter().any(|e| intersection.conflicts(g, e));
        if aspect == Aspect::Green && !stays {
            if in_target {
                joining.push(g);
            }
            let since = go_start[g.get()].unwrap_or(t0);
            let start = (since + rules.least_green(group)).max(t0);
            go_end[g.get()] = start + sequence.go_after_green();
            // A pedestrian clearance as short as the preemption may make it.
            let clearance = group.pedestrian.map(|p| rules.ped_clearance(p.clearance));
            if let (Some(p), Some(short)) = (group.pedestrian, clearance) {
                shortened[g.get()] = p.clearance - short;
            }
            let red_at = end_green(&mut changes, intersection, g, start, clearance);
            completes = completes.max(red_at);
        } else if aspect == Aspect::Green {
            // Stays green.
        } else if aspect == Aspect::Red {
            if in_target {
                joining.push(g);
            }
        } else if !in_target && sequence.before_green.iter().any(|s| s.aspect == aspect) {
            // Part-way into a green it may not keep: the green comes as planned, holds its
            // minimum and ends.
            let green_at = keep(scheduled, g, Aspect::Green, &mut changes);
            let start = green_at + group.min_green;
            go_end[g.get()] = start + sequence.go_after_green();
            let red_at = end_green(&mut changes, intersection, g, start, None);
            completes = completes.max(red_at);
        } else {
            // Part-way through a change (amber, red+amber, flashing green or don't walk): the
            // change runs on as planned.
            let until = if in_target && sequence.before_green.iter().any(|s| s.aspect == aspect) {
                Aspect::Green
            } else {
                Aspect::Red
            };
            let last = keep(scheduled, g, until, &mut changes);
            completes = completes.max(last);
            if aspect.is_go()
                && let Some(end) = changes
                    .iter()
                    .filter(|c| c.group == g && !c.aspect.is_go())
                    .map(|c| c.at)
                    .min()
            {
                go_end[g.get()] = end;
            }
            if in_target && until == Aspect::Red {
                joining.push(g);
            }
        }
    }
    let joined = schedule_joins(
        intersection,
        t0,
        &joining,
        red_since,
        &go_end,
        &shortened,
        &mut changes,
    );
    let completes = completes.max(joined);
    changes.sort_by_key(|c| c.at);
    TransitionPlan { changes, completes }
}

/// Schedules the dwell-stage groups in `joining` into green: after their own red revert and
/// the intergreen from every group they conflict with (less any shortened pedestrian
/// clearance). Returns when the last is green.
fn schedule_joins(
    intersection: &Intersection,
    t0: Instant,
    joining: &[GroupIndex],
    red_since: &[Instant],
    go_end: &[Instant],
    shortened: &[Duration],
    changes: &mut Vec<Change>,
) -> Instant {
    let mut completes = t0;
    for &g in joining {
        let sequence = &intersection.group(g).sequence;
        let lead_in = sequence.lead_in();
        let red_at = changes
            .iter()
            .filter(|c| c.group == g && c.aspect == Aspect::Red)
            .map(|c| c.at)
            .max()
            .unwrap_or(red_since[g.get()]);
        let green_at = intersection
            .group_indices()
            .filter_map(|c| {
                let ig = intersection.intergreen(c, g)? - shortened[c.get()];
                Some(go_end[c.get()] + ig)
            })
            .fold((t0.max(red_at + RED_REVERT)) + lead_in, Instant::max);
        let mut at = green_at - lead_in;
        for step in &sequence.before_green {
            changes.push(Change {
                at,
                group: g,
                aspect: step.aspect,
            });
            at += step.duration;
        }
        changes.push(Change {
            at,
            group: g,
            aspect: Aspect::Green,
        });
        completes = completes.max(green_at);
    }
    completes
}

/// Schedules group `g`'s after-green sequence from `start`, then red; a flashing don't walk
/// lasts `ped_clearance` when given. Returns when the red begins.
fn end_green(
    changes: &mut Vec<Change>,
    intersection: &Intersection,
    g: GroupIndex,
    start: Instant,
    ped_clearance: Option<Duration>,
) -> Instant {
    let mut at = start;
    for step in &intersection.group(g).sequence.after_green {
        changes.push(Change {
            at,
            group: g,
            aspect: step.aspect,
        });
        at += match (step.aspect, ped_clearance) {
            (Aspect::FlashingDontWalk, Some(short)) => short,
            _ => step.duration,
        };
    }
    changes.push(Change {
        at,
        group: g,
        aspect: Aspect::Red,
    });
    at
}

/// Copies group `g`'s scheduled changes into `changes` in time order, up to and including the
/// first to `until`; returns when that one is due.
fn keep(scheduled: &[Change], g: GroupIndex, until: Aspect, changes: &mut Vec<Change>) -> Instant {
    let mut mine: Vec<Change> = scheduled.iter().filter(|c| c.group == g).copied().collect();
    mine.sort_by_key(|c| c.at);
    let mut last = Instant::ZERO;
    for c in mine {
        changes.push(c);
        last = c.at;
        if c.aspect == until {
            break;
        }
    }
    last
}

impl Sequencer {
    /// Preempts for `stage` at `now`: see the module docs. A request waiting is dropped; the
    /// sequencer then dwells in `stage` until asked for another.
    /// A green or walk is cut only as far as the intersection's preemption rules allow.
    pub fn preempt(&mut self, now: Instant, stage: StageIndex) {
        if let Phase::Dwell { stage: running, .. } = self.phase
            && running == stage
        {
            self.pending = None;
            return;
        }
        // Uncalled pedestrian walks of the dwell stage stay at don't walk.
        let target = self.joining(stage);
        let mut scheduled: Vec<Change> = self.changes[self.next_change..].to_vec();
        scheduled.extend(self.ped_changes.iter().copied());
        let planned = preempt_plan(
            &self.intersection,
            now,
            &self.state,
            &scheduled,
            &self.go_start,
            &self.go_end,
            &self.red_since,
            target,
        );
        // Pedestrian timers of walks the dwell stage keeps go on; the rest is in the plan (or
        // dropped: a recycled walk about to start).
        let planned_groups = planned
            .changes
            .iter()
            .fold(GroupSet::EMPTY, |set, c| set.with(c.group));
        let state = &self.state;
        self.ped_changes.retain(|c| {
            target.contains(c.group)
                && state.get(c.group) == Aspect::Green
                && !planned_groups.contains(c.group)
        });
        self.pending = None;
        self.changes = planned.changes;
        self.next_change = 0;
        let from = match self.phase {
            Phase::Dwell { stage, .. } => Some(stage),
            _ => None,
        };
        self.phase = Phase::Transition {
            from,
            to: stage,
            started: now,
            completes: planned.completes.max(now),
        };
    }
}
