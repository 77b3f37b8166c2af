//! Deliberately broken sequencers (test doubles around the real one) are caught by the
//! interlock every time: at the very step their first broken state is proposed, with the right
//! violation, and never earlier.
//! - `skip amber`: shows red where the sequencer shows amber;
//! - `cut intergreen`: a sequencer configured with intergreens shorter than the true ones;
//! - `conflicting start`: starts a group while a conflicting group is still green.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;
use std::sync::Arc;

use greenwave_controllers::interlock::{Check, Interlock, SafeState, ViolationKind};
use greenwave_controllers::model::{Aspect, GroupIndex, Intersection, SignalState, StageIndex};
use greenwave_controllers::sequencer::Sequencer;
use greenwave_controllers::{Duration, Instant};

use common::{Blueprint, Step, blueprint, steps};

const CASES: u32 = 64;
const STEPS: usize = 800;

/// Runs `case` over random intersections and drives; returns in how many runs the double
/// produced a broken state (and was caught).
fn runs_that_broke(case: impl Fn(Blueprint, Vec<Step>) -> Result<bool, TestCaseError>) -> u32 {
    let broke = Cell::new(0);
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        ..Config::default()
    });
    runner
        .run(&(blueprint(10), steps(STEPS, 500)), |(bp, steps)| {
            broke.set(broke.get() + u32::from(case(bp, steps)?));
            Ok(())
        })
        .unwrap();
    broke.get()
}

/// Keeps requesting the stage after the current one, so stages keep changing.
fn request_next(seq: &mut Sequencer) {
    if seq.pending().is_none() {
        let stages = seq.intersection().stages().len();
        let next = seq.current_stage().map_or(0, |s| (s.get() + 1) % stages);
        seq.request(StageIndex(next as u8)).expect("stage exists");
    }
}

fn advance(now: Instant, seq: &Sequencer, step: &Step) -> Instant {
    let waited = now + Duration::from_millis(step.wait_ms);
    match seq.poll_at() {
        Some(deadline) if step.to_deadline && deadline > now => deadline.min(waited),
        _ => waited,
    }
}

/// Runs a double over `steps`: `propose` turns the real sequencer's state into the double's
/// and says whether it is broken. Before the first broken state every check must pass; at it,
/// the check must trip with a violation `expected` accepts.
fn run_double(
    ix: &Arc<Intersection>,
    truth: &Arc<Intersection>,
    steps: &[Step],
    mut propose: impl FnMut(Instant, &Sequencer) -> (SignalState, bool),
    expected: impl Fn(&ViolationKind) -> bool,
) -> Result<bool, TestCaseError> {
    let mut now = Instant::ZERO;
    let mut seq = Sequencer::new(ix.clone(), now);
    let mut interlock = Interlock::new(truth.clone(), SafeState::AllRed, now);
    for step in steps {
        request_next(&mut seq);
        now = advance(now, &seq, step);
        seq.poll(now);
        let (shown, broken) = propose(now, &seq);
        match interlock.check(now, &shown) {
            Check::Passed if !broken => {}
            Check::Tripped(v) if broken => {
                prop_assert!(expected(&v.kind), "wrong violation: {v}");
                prop_assert_eq!(
                    interlock.output(),
                    &SignalState::uniform(shown.len(), Aspect::Red)
                );
                return Ok(true);
            }
            other => prop_assert!(
                false,
                "broken={broken} but the interlock said {other:?} for {shown} at {now}"
            ),
        }
    }
    Ok(false)
}

fn assert_mostly_broke(broke: u32, what: &str) {
    assert!(
        broke * 2 >= CASES,
        "the {what} double broke in only {broke} of {CASES} runs"
    );
}

#[test]
fn a_sequencer_that_skips_the_amber_is_caught_every_time() {
    let broke = runs_that_broke(|bp, steps| {
        let ix = bp.intersection();
        run_double(
            &ix,
            &ix,
            &steps,
            |_, seq| {
                let mut shown = seq.state().clone();
                let mut broken = false;
                for (g, a) in seq.state().iter() {
                    if a == Aspect::Amber {
                        shown.set(g, Aspect::Red);
                        broken = true;
                    }
                }
                (shown, broken)
            },
            |v| {
                matches!(
                    v,
                    ViolationKind::IllegalTransition {
                        to: Aspect::Red,
                        ..
                    }
                )
            },
        )
    });
    // Group 0 is a vehicle group that must give way to group 1, so every run shows an amber.
    assert_eq!(broke, CASES);
}

/// Tracks when each group's green ended in the double's own output, to tell when it breaks an
/// intergreen of the true intersection.
struct IntergreenOracle {
    last: SignalState,
    go_end: Vec<Instant>,
}

impl IntergreenOracle {
    fn breaks(&mut self, truth: &Intersection, now: Instant, shown: &SignalState) -> bool {
        let mut broken = false;
        for (g, a) in shown.iter() {
            let was = self.last.get(g);
            if was.is_go() && !a.is_go() {
                self.go_end[g.get()] = now;
            }
        }
        for (g, a) in shown.iter() {
            if a.is_go() && !self.last.get(g).is_go() {
                for c in truth.group_indices() {
                    if let Some(ig) = truth.intergreen(c, g) {
                        broken |= now - self.go_end[c.get()] < ig;
                    }
                }
            }
        }
        self.last = shown.clone();
        broken
    }
}

#[test]
fn a_sequencer_with_cut_intergreens_is_caught_every_time() {
    let broke = runs_that_broke(|bp, steps| {
        // True intergreens exceed the amber by at least 2 s; the double's equal the amber.
        let truth = Arc::new(Intersection::from_spec(&bp.spec_with(1.0, 20)).expect("valid"));
        let cut = Arc::new(Intersection::from_spec(&bp.spec_with(0.0, 0)).expect("valid"));
        let n = truth.groups().len();
        let mut oracle = IntergreenOracle {
            last: SignalState::uniform(n, Aspect::Red),
            go_end: vec![Instant::ZERO; n],
        };
        run_double(
            &cut,
            &truth,
            &steps,
            |now, seq| {
                let shown = seq.state().clone();
                let broken = oracle.breaks(&truth, now, &shown);
                (shown, broken)
            },
            |v| matches!(v, ViolationKind::IntergreenCut { .. }),
        )
    });
    assert_mostly_broke(broke, "cut-intergreen");
}

#[test]
fn a_sequencer_that_starts_a_conflicting_group_is_caught_every_time() {
    let broke = runs_that_broke(|bp, steps| {
        let ix = bp.intersection();
        // The group the double forces on, and since when.
        let mut forced: Option<(GroupIndex, Instant)> = None;
        run_double(
            &ix,
            &ix,
            &steps,
            |now, seq| {
                let real = seq.state();
                if forced.is_none() {
                    forced = pick_victim(&ix, seq, now).map(|c| (c, now));
                }
                let mut shown = real.clone();
                let mut broken = false;
                if let Some((c, since)) = forced {
                    let lead_in = ix.group(c).sequence.lead_in();
                    let aspect = if now - since >= lead_in {
                        Aspect::Green
                    } else {
                        Aspect::RedAmber
                    };
                    shown.set(c, aspect);
                    broken = aspect == Aspect::Green;
                }
                (shown, broken)
            },
            |v| matches!(v, ViolationKind::ConflictingGreens { .. }),
        )
    });
    assert_mostly_broke(broke, "conflicting-start");
}

/// A red group conflicting with a green one that must stay green (minimum green) for longer
/// than the red group's red+amber plus a step.
fn pick_victim(ix: &Intersection, seq: &Sequencer, now: Instant) -> Option<GroupIndex> {
    let state = seq.state();
    for g in ix.group_indices() {
        let Some(go_start) = seq.go_start(g) else {
            continue;
        };
        for c in ix.group_indices() {
            if state.get(c) != Aspect::Red || !ix.conflicts(g, c) {
                continue;
            }
            let needed = ix.group(c).sequence.lead_in() + Duration::from_millis(1_000);
            if go_start + ix.group(g).min_green > now + needed {
                return Some(c);
            }
        }
    }
    None
}
