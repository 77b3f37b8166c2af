//! Planning one stage transition: which group changes to which aspect when.
//!
//! EN 12675 stage transition: every group leaving green runs its after-green sequence from the
//! transition's start `t0`; every group joining starts green no earlier than the end of each
//! conflicting group's last green plus the intergreen between them, and shows its before-green
//! sequence (red+amber) just ahead of that. The result is a list of timed aspect changes.

use crate::model::{Aspect, GroupIndex, GroupSet, Intersection, SignalState, Stage, Step};
use crate::time::{Duration, Instant};

/// The least red a group shows between two of its greens (NEMA TS 2 "red revert", 2 s by
/// custom), whatever its conflicts.
pub const RED_REVERT: Duration = Duration::from_secs(2);

/// One scheduled aspect change.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Change {
    /// When it happens.
    pub at: Instant,
    /// Which group.
    pub group: GroupIndex,
    /// The aspect it shows from then on.
    pub aspect: Aspect,
}

/// A planned transition.
#[derive(Clone, Debug, Default)]
pub struct TransitionPlan {
    /// Changes in time order.
    pub changes: Vec<Change>,
    /// When the last change happens: every leaving group red, every joining group green.
    pub completes: Instant,
}

/// Plans the transition that starts at `t0` from the groups now showing go (`going`) to `to`.
/// `last_go_end[g]` is when group `g`'s last go period ended; entries of groups in `going` are
/// ignored (their go ends in this transition).
pub fn plan(
    intersection: &Intersection,
    t0: Instant,
    going: GroupSet,
    to: &Stage,
    last_go_end: &[Instant],
) -> TransitionPlan {
    plan_groups(intersection, t0, going, to.groups, last_go_end, None)
}

/// [`plan`] towards a set of groups rather than a whole stage (a stage whose uncalled
/// pedestrian groups stay at don't walk); `red_since[g]`, when given, is when group `g`'s red
/// began as shown (later than planned when a change was applied late).
pub fn plan_groups(
    intersection: &Intersection,
    t0: Instant,
    going: GroupSet,
    to: GroupSet,
    last_go_end: &[Instant],
    red_since: Option<&[Instant]>,
) -> TransitionPlan {
    let mut changes = Vec::new();
    let mut go_end: Vec<Instant> = last_go_end.to_vec();
    let mut completes = t0;

    for g in going.minus(to).iter() {
        let sequence = &intersection.group(g).sequence;
        go_end[g.get()] = t0 + sequence.go_after_green();
        let red_at = push_sequence(&mut changes, g, t0, &sequence.after_green, Aspect::Red);
        completes = completes.max(red_at);
    }

    for g in to.minus(going).iter() {
        let sequence = &intersection.group(g).sequence;
        let lead_in = sequence.lead_in();
        // Its own red lasts at least the red revert before it goes again (red+amber included).
        let red_began = go_end[g.get()] + sequence.clearance();
        let red_began = red_since.map_or(red_began, |r| r[g.get()].max(red_began));
        let red_revert = red_began + RED_REVERT + lead_in;
        let green_at = intersection
            .group_indices()
            .filter_map(|c| Some(go_end[c.get()] + intersection.intergreen(c, g)?))
            .fold((t0 + lead_in).max(red_revert), Instant::max);
        push_sequence(
            &mut changes,
            g,
            green_at - lead_in,
            &sequence.before_green,
            Aspect::Green,
        );
        completes = completes.max(green_at);
    }

    // Stable: a group's own changes keep their order when two fall at one instant.
    changes.sort_by_key(|c| c.at);
    TransitionPlan { changes, completes }
}

/// Plans winding every group of `state` down to red from `t0`, the way a hand-over between
/// controllers must (a cabinet taking back local control, or a controller taking over from it).
///
/// A group in steady green keeps it until its minimum green is over (counted from `go_start`, or
/// from `t0` when unknown), then runs its after-green sequence. A group part-way through its
/// after-green sequence runs the rest of it, the current step again in full. A group in its
/// before-green sequence (red+amber) goes on to green, no sooner than every conflicting group's
/// go has ended (this wind-down's ends, or `last_go_end`) plus the intergreen, holds its minimum
/// green and clears. Every duration is at least as long as in a normal transition.
pub fn wind_down(
    intersection: &Intersection,
    t0: Instant,
    state: &SignalState,
    go_start: &[Option<Instant>],
    last_go_end: &[Instant],
) -> TransitionPlan {
    let mut changes = Vec::new();
    let mut completes = t0;
    let mut go_end: Vec<Instant> = last_go_end.to_vec();
    go_end.resize(state.len(), t0);
    let mut entering = Vec::new();
    for (g, aspect) in state.iter() {
        let group = intersection.group(g);
        let sequence = &group.sequence;
        let red_at = if aspect == Aspect::Green {
            let since = go_start.get(g.get()).copied().flatten().unwrap_or(t0);
            let start = (since + group.min_green).max(t0);
            go_end[g.get()] = start + sequence.go_after_green();
            push_sequence(&mut changes, g, start, &sequence.after_green, Aspect::Red)
        } else if let Some(i) = sequence.after_green.iter().position(|s| s.aspect == aspect) {
            let rest = &sequence.after_green[i..];
            let go_left: Duration = rest
                .iter()
                .filter(|s| s.aspect.is_go())
                .map(|s| s.duration)
                .sum();
            go_end[g.get()] = t0 + go_left;
            push_sequence(&mut changes, g, t0, rest, Aspect::Red)
        } else if let Some(i) = sequence
            .before_green
            .iter()
            .position(|s| s.aspect == aspect)
        {
            entering.push((g, i));
            t0
        } else if aspect != Aspect::Red {
            // Dark or flashing amber: straight to red.
            push_sequence(&mut changes, g, t0, &[], Aspect::Red)
        } else {
            t0
        };
        completes = completes.max(red_at);
    }
    for (g, i) in entering {
        let group = intersection.group(g);
        let sequence = &group.sequence;
        let rest = &sequence.before_green[i..];
        let lead: Duration = rest.iter().map(|s| s.duration).sum();
        let green_at = intersection
            .group_indices()
            .filter(|&c| c != g)
            .filter_map(|c| Some(go_end[c.get()] + intersection.intergreen(c, g)?))
            .fold(t0 + lead, Instant::max);
        // The current before-green aspect (again in full, at least) lasts until the rest of
        // the sequence fits before the green.
        let after_current: Duration = rest[1..].iter().map(|s| s.duration).sum();
        push_sequence(
            &mut changes,
            g,
            green_at - after_current,
            &rest[1..],
            Aspect::Green,
        );
        let go_ends = green_at + group.min_green + sequence.go_after_green();
        let red_at = push_sequence(
            &mut changes,
            g,
            green_at + group.min_green,
            &sequence.after_green,
            Aspect::Red,
        );
        // A later entering group that conflicts with this one waits for it too.
        go_end[g.get()] = go_ends;
        completes = completes.max(red_at);
    }
    changes.sort_by_key(|c| c.at);
    TransitionPlan { changes, completes }
}

/// Schedules `steps` for group `g` from `start`, then `last`; returns when `last` begins.
fn push_sequence(
    changes: &mut Vec<Change>,
    group: GroupIndex,
    start: Instant,
    steps: &[Step],
    last: Aspect,
) -> Instant {
    let mut at = start;
    for step in steps {
        changes.push(Change {
            at,
            group,
            aspect: step.aspect,
        });
        at += step.duration;
    }
    changes.push(Change {
        at,
        group,
        aspect: last,
    });
    at
}

/// The interstage time from `from` to `to` when every group of `from` has been green long enough
/// and every other group red long enough: from the end of `from`'s green to the moment all of
/// `to` is green (EN 12675 "interstage").
///
/// Pedestrian groups whose flashing don't walk ends before the parallel amber have cleared by
/// then (their clearance is part of the green, not of the interstage); the steady don't walk
/// after it counts where it outlasts the vehicle intergreens.
pub fn interstage(intersection: &Intersection, from: &Stage, to: &Stage) -> Duration {
    let t0 = Instant::ZERO + Duration::from_secs(3600);
    let mut go_end = vec![Instant::ZERO; intersection.groups().len()];
    let mut leaving = GroupSet::EMPTY;
    for g in from.groups.iter() {
        match intersection.group(g).pedestrian.filter(|p| p.hold_parallel) {
            // A walk that holds the stage ends its flashing don't walk with it: its walk
            // ended a clearance before, and its intergreens count from there.
            Some(p) if !to.groups.contains(g) => go_end[g.get()] = t0 - p.clearance,
            Some(_) => {}
            None => leaving = leaving.with(g),
        }
    }
    plan(intersection, t0, leaving, to, &go_end).completes - t0
}
