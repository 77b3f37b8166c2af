//! The safety interlock: an independent monitor of every signal state before it is shown.
//!
//! It plays the part of a conflict monitor (NEMA TS 2 MMU, EN 12675 "signal safety"): it shares
//! no timing code with the sequencer, only the intersection's data (conflicts, intergreens,
//! minimum greens, aspect durations). For every successive state it checks that
//! - no two conflicting groups show go (green or flashing green) together;
//! - a group starts go only after the intergreen from the end of every conflicting group's go;
//! - every aspect change is legal for the region and group kind, and no amber, red+amber,
//!   flashing green or flashing don't walk (the pedestrian clearance) is cut short;
//! - no go period is shorter than the group's minimum green;
//! - a commanded flash (every group flashing amber together) begins from steady red, once every
//!   group's clearance (its longest intergreen, amber and red clearance) has run since its green
//!   ended (MUTCD 2009 4D.31, 11th ed. 4G.02), and flash is left through red, with the same
//!   clearance before any green (MUTCD 4D.32, 4G.03).
//!
//! A violation latches the configured safe state (all red or flashing amber); only an explicit
//! [`Interlock::reset`] releases it, after which the next state must start from red.

mod legal;
mod violation;

pub use violation::{Violation, ViolationKind};

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::model::{Aspect, GroupIndex, Intersection, SignalGroup, SignalState};
use crate::time::{Duration, Instant};

/// The state latched on a violation.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SafeState {
    /// Every group flashing amber (the usual cabinet flash).
    #[default]
    FlashingAmber,
    /// Every group red.
    AllRed,
}

impl SafeState {
    fn aspect(self) -> Aspect {
        match self {
            SafeState::FlashingAmber => Aspect::FlashingAmber,
            SafeState::AllRed => Aspect::Red,
        }
    }
}

/// The outcome of one check.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Check {
    /// The state is safe; it may be shown.
    Passed,
    /// The state was refused; the safe state is latched from now on.
    Tripped(Violation),
    /// A violation is latched; the safe state is shown whatever was proposed.
    Latched,
}

/// What the interlock remembers of one group.
#[derive(Clone, Copy, Debug)]
struct Watch {
    aspect: Aspect,
    since: Instant,
    go_since: Option<Instant>,
    last_go_end: Instant,
}

/// The interlock of one intersection.
#[derive(Clone, Debug)]
pub struct Interlock {
    intersection: Arc<Intersection>,
    safe: SafeState,
    watch: Vec<Watch>,
    last_check: Instant,
    latched: Option<Violation>,
    output: SignalState,
}

impl Interlock {
    /// An interlock that assumes every group has been red since `now` and that a green may have
    /// ended just then (so the first greens wait out their intergreens).
    pub fn new(intersection: Arc<Intersection>, safe: SafeState, now: Instant) -> Self {
        let n = intersection.groups().len();
        Interlock {
            safe,
            watch: vec![Self::fresh(Aspect::Red, now); n],
            last_check: now,
            latched: None,
            output: SignalState::uniform(n, Aspect::Red),
            intersection,
        }
    }

    fn fresh(aspect: Aspect, now: Instant) -> Watch {
        Watch {
            aspect,
            since: now,
            go_since: None,
            last_go_end: now,
        }
    }

    /// Checks `proposed` for `now`. On a pass it becomes the output; on a violation the safe
    /// state is latched and becomes the output.
    pub fn check(&mut self, now: Instant, proposed: &SignalState) -> Check {
        if self.latched.is_some() {
            return Check::Latched;
        }
        if *proposed == self.output && now >= self.last_check {
            // Shown on unchanged: it passed when it was first shown, and every rule judges
            // either the state itself (conflicts, form) or a change of aspect (transitions,
            // transitional aspects, minimum greens, intergreens), of which there is none.
            self.last_check = now;
            return Check::Passed;
        }
        match self.judge(now, proposed) {
            Ok(()) => {
                self.commit(now, proposed);
                Check::Passed
            }
            Err(kind) => {
                let violation = Violation { at: now, kind };
                self.output = SignalState::uniform(self.watch.len(), self.safe.aspect());
                self.latched = Some(violation.clone());
                Check::Tripped(violation)
            }
        }
    }

    /// What to show now: the last state that passed, or the safe state while latched.
    pub fn output(&self) -> &SignalState {
        &self.output
    }

    /// The latched violation, if any.
    pub fn latched(&self) -> Option<&Violation> {
        self.latched.as_ref()
    }

    /// The configured safe state.
    pub fn safe_state(&self) -> SafeState {
        self.safe
    }

    /// Releases a latched violation (an explicit operator action). The safe state stays shown
    /// until the next check, which must start every group from red; every group counts as
    /// having ended its green now.
    pub fn reset(&mut self, now: Instant) {
        let aspect = self.safe.aspect();
        self.watch = vec![Self::fresh(aspect, now); self.watch.len()];
        self.last_check = self.last_check.max(now);
        self.latched = None;
        self.output = SignalState::uniform(self.watch.len(), aspect);
    }

    fn name(&self, g: GroupIndex) -> String {
        self.intersection.group(g).id.clone()
    }

    fn judge(&self, now: Instant, proposed: &SignalState) -> Result<(), ViolationKind> {
        if now < self.last_check {
            return Err(ViolationKind::TimeWentBackwards {
                last: self.last_check,
            });
        }
        let ix = &*self.intersection;
        if proposed.len() != self.watch.len() {
            return Err(ViolationKind::Malformed {
                reason: format!(
                    "{} aspects for {} signal groups",
                    proposed.len(),
                    self.watch.len()
                ),
            });
        }
        let flash = proposed.iter().all(|(_, a)| a == Aspect::FlashingAmber);
        for (g, aspect) in proposed.iter() {
            let partial_flash = aspect == Aspect::FlashingAmber && !flash;
            if aspect == Aspect::Dark || partial_flash {
                return Err(ViolationKind::Malformed {
                    reason: format!(
                        "group `{}` shows {aspect}, which only the safe state or a flash of \
                         every group may show",
                        self.name(g)
                    ),
                });
            }
        }
        if flash {
            self.judge_flash_entry(now)?;
        }

        // 1. Conflicting greens.
        for (a, _) in proposed.iter().filter(|(_, x)| x.is_go()) {
            for (b, _) in proposed.iter().filter(|(b, x)| *b > a && x.is_go()) {
                if ix.conflicts(a, b) {
                    return Err(ViolationKind::ConflictingGreens {
                        a: self.name(a),
                        b: self.name(b),
                    });
                }
            }
        }

        // 2. Legal transitions, transitional aspects and minimum greens of groups that change.
        for (g, to) in proposed.iter() {
            let w = &self.watch[g.get()];
            if w.aspect == to {
                continue;
            }
            let group = ix.group(g);
            if !legal::is_legal(ix.region(), group.kind, w.aspect, to) {
                return Err(ViolationKind::IllegalTransition {
                    group: self.name(g),
                    from: w.aspect,
                    to,
                });
            }
            let shown = now - w.since;
            let required = least_shown(ix, group, w.aspect);
            if shown < required {
                return Err(ViolationKind::AspectCutShort {
                    group: self.name(g),
                    aspect: w.aspect,
                    required,
                    actual: shown,
                });
            }
            if let Some(go_since) = w.go_since
                && !to.is_go()
            {
                let green = now - go_since;
                // A preemption may cut a green (a walk too) as far as the intersection allows.
                let required = ix.preemption().least_green(group);
                if green < required {
                    return Err(ViolationKind::MinGreenCut {
                        group: self.name(g),
                        required,
                        actual: green,
                    });
                }
            }
        }

        // 3. Intergreens of groups starting go, against every conflicting group's last go end
        //    (a group ending go in this very state ends it now).
        for (g, to) in proposed.iter() {
            if !to.is_go() || self.watch[g.get()].aspect.is_go() {
                continue;
            }
            for (c, c_to) in proposed.iter() {
                let Some(required) = ix.intergreen(c, g) else {
                    continue;
                };
                let required = least_intergreen(ix, c, required);
                let w = &self.watch[c.get()];
                let ended = if w.aspect.is_go() && !c_to.is_go() {
                    now
                } else {
                    w.last_go_end
                };
                let actual = now - ended;
                if actual < required {
                    return Err(ViolationKind::IntergreenCut {
                        clearing: self.name(c),
                        entering: self.name(g),
                        required,
                        actual,
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether a commanded flash may begin at `now`: every group at steady red with its
    /// clearance run out (legal transitions are judged with the rest of the state).
    fn judge_flash_entry(&self, now: Instant) -> Result<(), ViolationKind> {
        let ix = &*self.intersection;
        for g in ix.group_indices() {
            let w = &self.watch[g.get()];
            if w.aspect == Aspect::FlashingAmber {
                continue;
            }
            let clearance = ix
                .group_indices()
                .filter_map(|c| ix.intergreen(g, c))
                .max()
                .unwrap_or(ix.timings().amber);
            let actual = now - w.last_go_end;
            if w.aspect == Aspect::Red && actual < clearance {
                return Err(ViolationKind::FlashBeforeClearance {
                    group: self.name(g),
                    required: clearance,
                    actual,
                });
            }
        }
        Ok(())
    }

    /// Whether a commanded flash (every group flashing amber) would pass at `now`, without
    /// checking or latching anything: a controller asks before it hands over to flash.
    pub fn flash_ready(&self, now: Instant) -> Result<(), ViolationKind> {
        if self.latched.is_some() {
            return Ok(());
        }
        let flash = SignalState::uniform(self.watch.len(), Aspect::FlashingAmber);
        self.judge(now, &flash)
    }

    fn commit(&mut self, now: Instant, proposed: &SignalState) {
        for (g, to) in proposed.iter() {
            let w = &mut self.watch[g.get()];
            if w.aspect == to {
                continue;
            }
            if w.aspect == Aspect::FlashingAmber {
                // Flashing amber lets traffic go with care: a clearance follows it, as a green.
                w.last_go_end = now;
            }
            if w.aspect.is_go() && !to.is_go() {
                w.last_go_end = now;
                w.go_since = None;
            } else if to.is_go() && !w.aspect.is_go() {
                w.go_since = Some(now);
            }
            w.aspect = to;
            w.since = now;
        }
        self.last_check = now;
        self.output.clone_from(proposed);
    }
}

/// The least time a group shows a transitional aspect: amber, red+amber and flashing green as
/// the intersection times them, flashing don't walk as its pedestrian clearance (or as short as
/// a preemption may make it).
fn least_shown(ix: &Intersection, group: &SignalGroup, aspect: Aspect) -> Duration {
    let timings = ix.timings();
    match aspect {
        Aspect::Amber => timings.amber,
        Aspect::RedAmber => timings.red_amber,
        Aspect::FlashingGreen => timings.flashing_green,
        Aspect::FlashingDontWalk => group.pedestrian.map_or(Duration::ZERO, |p| {
            ix.preemption().ped_clearance(p.clearance)
        }),
        _ => Duration::ZERO,
    }
}

/// The intergreen from `clearing` as the interlock holds it: less by as much as a preemption
/// may shorten its pedestrian clearance.
fn least_intergreen(ix: &Intersection, clearing: GroupIndex, intergreen: Duration) -> Duration {
    match ix.group(clearing).pedestrian {
        Some(p) if p.timed_walk => {
            intergreen - (p.clearance - ix.preemption().ped_clearance(p.clearance))
        }
        _ => intergreen,
    }
}

#[cfg(test)]
mod tests;
