use super::*;
use crate::model::Aspect::*;
use crate::sequencer::Sequencer;
use crate::test_support::*;

fn tripped(check: Check) -> ViolationKind {
    match check {
        Check::Tripped(v) => v.kind,
        other => panic!("expected a trip, got {other:?}"),
    }
}

/// EU two-stage: K1 green from 9 s (after red+amber from 8 s), P1 and P2 green from 8 s.
fn running_stage_a() -> (Arc<Intersection>, Interlock) {
    let ix = intersection(EU_TWO_STAGE);
    let mut il = Interlock::new(ix.clone(), SafeState::FlashingAmber, secs(0.0));
    let walk = [("P1", Green), ("P2", Green)];
    assert_eq!(
        il.check(
            secs(8.0),
            &state(&ix, &[("K1", RedAmber), walk[0], walk[1]])
        ),
        Check::Passed
    );
    assert_eq!(
        il.check(secs(9.0), &state(&ix, &[("K1", Green), walk[0], walk[1]])),
        Check::Passed
    );
    (ix, il)
}

#[test]
fn a_correct_sequencer_never_trips_it() {
    let ix = intersection(POST_SOVIET);
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    let mut il = Interlock::new(ix.clone(), SafeState::AllRed, secs(0.0));
    let mut now = secs(0.0);
    for i in 0..2_000u32 {
        seq.request(crate::model::StageIndex((i / 7 % 3) as u8))
            .unwrap();
        now += crate::time::Duration::from_millis(400);
        let proposed = seq.poll(now).clone();
        assert_eq!(il.check(now, &proposed), Check::Passed, "at {now}");
        assert_eq!(il.output(), &proposed);
    }
}

/// `check` passes a state shown on unchanged without judging it again; the full judgement
/// agrees at every moment of a sequencer's run, in every region's intersection, whatever the
/// state shown.
#[test]
fn a_state_shown_on_unchanged_passes_the_full_judgement_too() {
    let mut judged = 0;
    for spec in [POST_SOVIET, EU_TWO_STAGE, NEMA_PEDS] {
        let ix = intersection(spec);
        let mut seq = Sequencer::new(ix.clone(), secs(0.0));
        let mut il = Interlock::new(ix.clone(), SafeState::AllRed, secs(0.0));
        let stages = ix.stages().len() as u32;
        let mut now = secs(0.0);
        for i in 0..1_500u32 {
            seq.request(crate::model::StageIndex((i / 5 % stages) as u8))
                .unwrap();
            now += crate::time::Duration::from_millis(300);
            let proposed = seq.poll(now).clone();
            assert_eq!(il.check(now, &proposed), Check::Passed, "at {now}");
            for later in [0, 100, 5_000] {
                let at = now + crate::time::Duration::from_millis(later);
                assert_eq!(il.judge(at, il.output()), Ok(()), "{proposed} at {at}");
                judged += 1;
            }
        }
    }
    assert_eq!(judged, 3 * 1_500 * 3);
}

#[test]
fn conflicting_greens_latch_the_safe_state_until_reset() {
    let (ix, mut il) = running_stage_a();
    let bad = state(&ix, &[("K1", Green), ("K2", Green)]);
    let kind = tripped(il.check(secs(20.0), &bad));
    assert_eq!(
        kind,
        ViolationKind::ConflictingGreens {
            a: "K1".into(),
            b: "K2".into()
        }
    );
    assert!(
        kind.to_string()
            .contains("conflicting groups `K1` and `K2` both show green")
    );
    assert!(il.output().aspects().iter().all(|&a| a == FlashingAmber));
    // Latched: even a harmless state is refused.
    assert_eq!(il.check(secs(21.0), &state(&ix, &[])), Check::Latched);
    assert!(il.latched().is_some());

    il.reset(secs(30.0));
    assert!(il.latched().is_none());
    // From flashing amber, only red is legal.
    let kind = tripped(il.check(secs(30.5), &state(&ix, &[("P1", Green)])));
    assert!(
        matches!(
            kind,
            ViolationKind::IllegalTransition {
                from: FlashingAmber,
                ..
            }
        ),
        "{kind:?}"
    );
    il.reset(secs(31.0));
    assert_eq!(il.check(secs(31.0), &state(&ix, &[])), Check::Passed);
}

#[test]
fn skipping_the_amber_is_an_illegal_transition() {
    let (ix, mut il) = running_stage_a();
    let kind = tripped(il.check(secs(20.0), &state(&ix, &[("P1", Green), ("P2", Green)])));
    assert_eq!(
        kind,
        ViolationKind::IllegalTransition {
            group: "K1".into(),
            from: Green,
            to: Red
        }
    );
}

#[test]
fn an_amber_cut_short_is_caught() {
    let (ix, mut il) = running_stage_a();
    assert_eq!(
        il.check(secs(20.0), &state(&ix, &[("K1", Amber)])),
        Check::Passed
    );
    let kind = tripped(il.check(secs(22.5), &state(&ix, &[])));
    assert!(
        matches!(kind, ViolationKind::AspectCutShort { aspect: Amber, .. }),
        "{kind:?}"
    );
    assert!(
        kind.to_string()
            .contains("showed amber for 2.5 s (at least 3 s)"),
        "{kind}"
    );
}

#[test]
fn a_green_below_its_minimum_is_caught() {
    let (ix, mut il) = running_stage_a();
    let kind = tripped(il.check(
        secs(12.0),
        &state(&ix, &[("K1", Amber), ("P1", Green), ("P2", Green)]),
    ));
    assert_eq!(
        kind,
        ViolationKind::MinGreenCut {
            group: "K1".into(),
            required: Duration::from_secs(6),
            actual: Duration::from_secs(3),
        }
    );
}

#[test]
fn an_intergreen_cut_short_is_caught() {
    let (ix, mut il) = running_stage_a();
    // P1 and P2 end at 20 s; K2 may not start before 28 s (P -> K2 intergreen 8 s).
    assert_eq!(
        il.check(secs(20.0), &state(&ix, &[("K1", Amber)])),
        Check::Passed
    );
    assert_eq!(il.check(secs(23.0), &state(&ix, &[])), Check::Passed);
    assert_eq!(
        il.check(secs(26.0), &state(&ix, &[("K2", RedAmber)])),
        Check::Passed
    );
    let kind = tripped(il.check(secs(27.0), &state(&ix, &[("K2", Green)])));
    assert_eq!(
        kind,
        ViolationKind::IntergreenCut {
            clearing: "P1".into(),
            entering: "K2".into(),
            required: Duration::from_secs(8),
            actual: Duration::from_secs(7),
        }
    );
}

#[test]
fn the_first_greens_after_start_up_wait_out_their_intergreens() {
    let ix = intersection(EU_TWO_STAGE);
    let mut il = Interlock::new(ix.clone(), SafeState::AllRed, secs(100.0));
    let kind = tripped(il.check(secs(100.0), &state(&ix, &[("P3", Green)])));
    assert!(
        matches!(kind, ViolationKind::IntergreenCut { .. }),
        "{kind:?}"
    );
    assert!(
        il.output().aspects().iter().all(|&a| a == Red),
        "all-red safe state"
    );
}

#[test]
fn malformed_states_and_time_going_backwards_are_refused() {
    let ix = intersection(EU_TWO_STAGE);
    let fresh = || Interlock::new(ix.clone(), SafeState::AllRed, secs(10.0));
    let kind = tripped(fresh().check(secs(11.0), &SignalState::uniform(3, Red)));
    assert!(
        kind.to_string().contains("3 aspects for 6 signal groups"),
        "{kind}"
    );
    let kind = tripped(fresh().check(secs(11.0), &state(&ix, &[("K2", FlashingAmber)])));
    assert!(
        kind.to_string()
            .contains("only the safe state or a flash of every group may show"),
        "{kind}"
    );
    let kind = tripped(fresh().check(secs(9.0), &state(&ix, &[])));
    assert_eq!(kind, ViolationKind::TimeWentBackwards { last: secs(10.0) });
}

/// Stage A winds down at 20 s (K1 amber, walks end); K1 red from 23 s.
fn stage_a_wound_down() -> (Arc<Intersection>, Interlock) {
    let (ix, mut il) = running_stage_a();
    assert_eq!(
        il.check(secs(20.0), &state(&ix, &[("K1", Amber)])),
        Check::Passed
    );
    assert_eq!(il.check(secs(23.0), &state(&ix, &[])), Check::Passed);
    (ix, il)
}

fn flashing(ix: &Intersection) -> SignalState {
    SignalState::uniform(ix.groups().len(), FlashingAmber)
}

#[test]
fn a_commanded_flash_out_of_a_green_is_refused() {
    let (ix, mut il) = running_stage_a();
    assert!(
        il.flash_ready(secs(20.0)).is_err(),
        "asked first: not ready"
    );
    assert!(il.latched().is_none(), "asking latches nothing");
    let kind = tripped(il.check(secs(20.0), &flashing(&ix)));
    assert!(
        matches!(
            kind,
            ViolationKind::IllegalTransition {
                from: Green,
                to: FlashingAmber,
                ..
            }
        ),
        "{kind:?}"
    );
}

#[test]
fn a_commanded_flash_waits_for_the_end_of_the_red_clearance() {
    let (ix, mut il) = stage_a_wound_down();
    // Every group of stage A ended its green at 20 s; the longest clearance of them (the
    // walks' 8 s pedestrian intergreen) sets when flash may begin.
    let clearance = ix
        .group_indices()
        .flat_map(|g| {
            let ix = ix.clone();
            ix.group_indices()
                .filter_map(move |c| ix.intergreen(g, c))
                .collect::<Vec<_>>()
        })
        .max()
        .expect("conflicts");
    assert_eq!(clearance, crate::time::Duration::from_secs(8));
    let end = secs(20.0) + clearance;
    let early = end - crate::time::Duration::from_millis(100);
    let Err(kind) = il.flash_ready(early) else {
        panic!("ready before the red clearance ended");
    };
    assert!(
        matches!(kind, ViolationKind::FlashBeforeClearance { ref group, .. } if group.starts_with('P')),
        "{kind:?}"
    );
    assert!(kind.to_string().contains("before the end of its clearance"));
    let kind = tripped(il.check(early, &flashing(&ix)));
    assert!(
        matches!(kind, ViolationKind::FlashBeforeClearance { .. }),
        "{kind:?}"
    );

    let (ix, mut il) = stage_a_wound_down();
    assert_eq!(il.flash_ready(end), Ok(()));
    assert_eq!(il.check(end, &flashing(&ix)), Check::Passed);
    assert_eq!(il.output(), &flashing(&ix));
}

#[test]
fn a_partial_flash_is_malformed_and_flash_is_left_through_a_clearance() {
    let (ix, mut il) = stage_a_wound_down();
    let kind = tripped(il.check(secs(40.0), &state(&ix, &[("K2", FlashingAmber)])));
    assert!(matches!(kind, ViolationKind::Malformed { .. }), "{kind:?}");

    let (ix, mut il) = stage_a_wound_down();
    assert_eq!(il.check(secs(40.0), &flashing(&ix)), Check::Passed);
    // Out of flash: red first, then a green only after the clearance from the flash's end.
    assert_eq!(il.check(secs(100.0), &state(&ix, &[])), Check::Passed);
    assert_eq!(
        il.check(secs(100.5), &state(&ix, &[("K2", RedAmber)])),
        Check::Passed
    );
    let kind = tripped(il.check(secs(101.5), &state(&ix, &[("K2", Green)])));
    assert!(
        matches!(kind, ViolationKind::IntergreenCut { ref entering, .. } if entering == "K2"),
        "{kind:?}"
    );
}
