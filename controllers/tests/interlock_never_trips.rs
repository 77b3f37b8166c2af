//! Property: random stage requests at random times, through the sequencer, never trip the
//! interlock: over every intersection in `config/` and over randomly generated valid ones.
//! Now and then the signals are handed over part-way (wound down in place, or taken over by a
//! new sequencer from whatever is shown), as between a cabinet and the daemon; the interlock
//! watches across the hand-over. At least 100,000 sequencer steps per run, counted and asserted.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;
use std::sync::Arc;

use greenwave_controllers::interlock::{Check, Interlock, SafeState};
use greenwave_controllers::model::{GroupIndex, Intersection, StageIndex};
use greenwave_controllers::sequencer::Sequencer;
use greenwave_controllers::{Duration, Instant};

use common::{Step, blueprint, config_intersections, steps};

/// Drives `ix` through `steps`; returns the number of steps, or the first refusal.
fn drive(ix: &Arc<Intersection>, start_ms: u64, steps: &[Step]) -> Result<u64, String> {
    let mut now = Instant::from_millis(start_ms);
    let mut seq = Sequencer::new(ix.clone(), now);
    let mut interlock = Interlock::new(ix.clone(), SafeState::FlashingAmber, now);
    let stages = ix.stages().len();
    let mut hand_overs = 0;
    for step in steps {
        match step.hand_over {
            1 => seq.clear(now),
            2 => {
                let go_start: Vec<_> = ix.group_indices().map(|g| seq.go_start(g)).collect();
                seq = Sequencer::take_over(ix.clone(), now, &seq.state().clone(), &go_start);
            }
            _ => {}
        }
        hand_overs += usize::from(step.hand_over > 0);
        if let Some(s) = step.request {
            seq.request(StageIndex((s % stages) as u8))
                .map_err(|e| e.to_string())?;
            // A push of some pedestrian button (vehicle groups ignore it).
            seq.call_pedestrian(GroupIndex((s / 7 % ix.groups().len()) as u8));
            // Now and then an emergency vehicle preempts for some stage.
            if s % 9 == 4 {
                seq.preempt(now, StageIndex((s / 9 % stages) as u8));
            }
        }
        let waited = now + Duration::from_millis(step.wait_ms);
        now = match seq.poll_at() {
            Some(deadline) if step.to_deadline && deadline > now => deadline.min(waited),
            _ => waited,
        };
        let proposed = seq.poll(now).clone();
        if let Check::Tripped(v) = interlock.check(now, &proposed) {
            return Err(format!(
                "{v} (state {proposed}, phase {}, after {hand_overs} hand-overs)",
                seq.phase()
            ));
        }
    }
    Ok(steps.len() as u64)
}

const STEPS_PER_CASE: usize = 1_500;

#[test]
fn config_intersections_never_trip_the_interlock() {
    let total = Cell::new(0u64);
    for (name, ix) in config_intersections() {
        let mut runner = TestRunner::new(Config {
            cases: 24,
            ..Config::default()
        });
        runner
            .run(
                &(0u64..10_000_000, steps(STEPS_PER_CASE, 3_000)),
                |(start, steps)| {
                    let n = drive(&ix, start, &steps)
                        .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
                    total.set(total.get() + n);
                    Ok(())
                },
            )
            .unwrap();
    }
    let total = total.get();
    assert!(total >= 3 * 24 * STEPS_PER_CASE as u64, "ran {total} steps");
}

#[test]
fn random_valid_intersections_never_trip_the_interlock() {
    let total = Cell::new(0u64);
    let mut runner = TestRunner::new(Config {
        cases: 80,
        ..Config::default()
    });
    runner
        .run(
            &(blueprint(12), steps(STEPS_PER_CASE, 3_000)),
            |(bp, steps)| {
                let ix = bp.intersection();
                total.set(total.get() + drive(&ix, 0, &steps).map_err(TestCaseError::fail)?);
                Ok(())
            },
        )
        .unwrap();
    let total = total.get();
    assert!(
        total >= 100_000,
        "only {total} steps over random intersections"
    );
}
