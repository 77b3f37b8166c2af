use super::*;
use crate::model::Aspect::*;
use crate::test_support::*;
use crate::time::Duration;

fn stage(ix: &Intersection, id: &str) -> StageIndex {
    ix.stage_by_id(id).expect("known stage")
}

#[test]
fn starts_all_red_then_enters_the_first_stage_with_red_amber() {
    let ix = intersection(EU_TWO_STAGE);
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    assert!(seq.state().aspects().iter().all(|&a| a == Red));
    seq.request(stage(&ix, "A")).unwrap();
    // Start-up all red defaults to the largest intergreen, 8 s.
    assert_eq!(seq.poll_at(), Some(secs(8.0)));
    assert!(seq.poll(secs(7.5)).aspects().iter().all(|&a| a == Red));

    let st = seq.poll(secs(8.0)).clone();
    assert_eq!(aspect(&ix, &st, "K1"), RedAmber);
    assert_eq!(
        aspect(&ix, &st, "P1"),
        Green,
        "pedestrians have no red+amber"
    );
    assert_eq!(seq.poll_at(), Some(secs(9.0)));
    let st = seq.poll(secs(9.0)).clone();
    assert_eq!(aspect(&ix, &st, "K1"), Green);
    assert_eq!(
        seq.phase(),
        Phase::Dwell {
            stage: stage(&ix, "A"),
            since: secs(9.0)
        }
    );
    assert_eq!(seq.poll_at(), None, "nothing to do without a request");
}

#[test]
fn waits_for_minimum_greens_and_honours_every_intergreen() {
    let ix = intersection(EU_TWO_STAGE);
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    seq.request(stage(&ix, "A")).unwrap();
    seq.poll(secs(8.0));
    seq.poll(secs(9.0));
    seq.request(stage(&ix, "B")).unwrap();
    // K1 green since 9 s with a 6 s minimum: no change before 15 s.
    assert_eq!(seq.poll_at(), Some(secs(15.0)));
    assert_eq!(aspect(&ix, seq.poll(secs(14.9)), "K1"), Green);

    let st = seq.poll(secs(15.0)).clone();
    assert_eq!(aspect(&ix, &st, "K1"), Amber);
    assert_eq!(aspect(&ix, &st, "P1"), Red);
    // P3 waits for K1 -> P3 (4 s); K2 for P1 -> K2 (8 s), with 1 s red+amber before.
    let expected = [
        (18.0, "K1", Red),
        (19.0, "P3", Green),
        (22.0, "K2", RedAmber),
        (23.0, "K2", Green),
    ];
    for (t, id, a) in expected {
        assert_eq!(seq.poll_at(), Some(secs(t)), "next change of {id}");
        assert_eq!(aspect(&ix, seq.poll(secs(t)), id), a, "{id} at {t} s");
    }
    assert_eq!(seq.current_stage(), Some(stage(&ix, "B")));
    assert_eq!(seq.earliest_stage_end(), Some(secs(29.0)));
}

#[test]
fn post_soviet_green_ends_with_flashing_green_then_amber() {
    let ix = intersection(POST_SOVIET);
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    seq.request(stage(&ix, "1")).unwrap();
    while let Some(t) = seq.poll_at() {
        seq.poll(t);
    }
    let k1_green = seq.go_start(ix.group_by_id("K1").unwrap()).unwrap();
    seq.request(stage(&ix, "2")).unwrap();
    let t0 = k1_green + Duration::from_secs(10);
    assert_eq!(seq.poll_at(), Some(t0), "K1's minimum green is 10 s");
    let mut seen = vec![];
    let mut now = t0;
    while now <= t0 + Duration::from_secs(12) {
        let a = aspect(&ix, seq.poll(now), "K1");
        if seen.last() != Some(&a) {
            seen.push(a);
        }
        now += Duration::from_millis(500);
    }
    assert_eq!(seen, [FlashingGreen, Amber, Red]);
}

#[test]
fn a_late_poll_delays_the_rest_of_the_transition_instead_of_shortening_it() {
    let ix = intersection(NEMA_4LEG);
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    seq.request(stage(&ix, "2+6")).unwrap();
    while let Some(t) = seq.poll_at() {
        seq.poll(t);
    }
    seq.request(stage(&ix, "4+8")).unwrap();
    let t0 = seq.poll_at().unwrap();
    seq.poll(t0);
    assert_eq!(aspect(&ix, seq.state(), "2"), Amber);
    // Polled 1.3 s after the amber was due to end.
    let late = t0 + Duration::from_millis(5300);
    assert_eq!(aspect(&ix, seq.poll(late), "2"), Red);
    // Phase 4 must still wait the full 6 s intergreen after the green of 2 ended (at t0),
    // and 2 s of all red after the amber actually ended.
    assert_eq!(seq.poll_at(), Some(late + Duration::from_secs(2)));
}

#[test]
fn requests_are_checked_and_the_running_stage_withdraws_them() {
    let ix = intersection(EU_TWO_STAGE);
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    assert_eq!(seq.request(StageIndex(9)), Err(UnknownStage(9)));
    seq.request(stage(&ix, "A")).unwrap();
    while let Some(t) = seq.poll_at() {
        seq.poll(t);
    }
    seq.request(stage(&ix, "B")).unwrap();
    assert!(seq.pending().is_some());
    seq.request(stage(&ix, "A")).unwrap();
    assert_eq!(seq.pending(), None);
    assert_eq!(seq.poll_at(), None);
}

#[test]
fn interstage_times_follow_the_intergreen_matrix() {
    let ix = intersection(EU_TWO_STAGE);
    let (a, b) = (ix.stage(stage(&ix, "A")), ix.stage(stage(&ix, "B")));
    assert_eq!(interstage(&ix, a, b), Duration::from_secs(8));
    let nema = intersection(NEMA_4LEG);
    let s15 = nema.stage(stage(&nema, "1+5"));
    let s26 = nema.stage(stage(&nema, "2+6"));
    assert_eq!(interstage(&nema, s15, s26), Duration::from_secs(6));
}

#[test]
fn clearing_honours_minimum_green_and_amber_then_holds_all_red() {
    let ix = intersection(EU_TWO_STAGE);
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    seq.request(stage(&ix, "A")).unwrap();
    seq.poll(secs(8.0));
    seq.poll(secs(9.0));
    seq.clear(secs(10.0));
    assert_eq!(seq.current_stage(), None);
    // The pedestrians (5 s minimum) end at 14 s; K1, green since 9 s, keeps its 6 s minimum,
    // then shows 3 s of amber.
    assert_eq!(aspect(&ix, seq.poll(secs(14.0)), "P1"), Red);
    assert_eq!(aspect(&ix, seq.poll(secs(14.9)), "K1"), Green);
    assert_eq!(aspect(&ix, seq.poll(secs(15.0)), "K1"), Amber);
    seq.request(stage(&ix, "B")).unwrap();
    assert!(seq.poll(secs(18.0)).aspects().iter().all(|&a| a == Red));
    assert!(seq.all_red());
    // The start-up all red (8 s) follows before the requested stage starts.
    assert_eq!(seq.poll_at(), Some(secs(26.0)));
    assert!(seq.poll(secs(25.9)).aspects().iter().all(|&a| a == Red));
    assert_eq!(aspect(&ix, seq.poll(secs(26.0)), "K2"), RedAmber);
}

#[test]
fn taking_over_a_red_amber_runs_it_to_green_and_its_minimum_before_clearing() {
    let ix = intersection(EU_TWO_STAGE);
    let k1 = ix.group_by_id("K1").unwrap();
    let mut shown = SignalState::uniform(ix.groups().len(), Red);
    shown.set(k1, RedAmber);
    let go_start = vec![None; ix.groups().len()];
    let mut seq = Sequencer::take_over(ix.clone(), secs(100.0), &shown, &go_start);
    // Nothing is known of the conflicting groups' last greens: K1 waits every intergreen into
    // it from the take-over (8 s), showing red+amber all along, then holds its 6 s minimum.
    let wait = ix
        .group_indices()
        .filter_map(|c| ix.intergreen(c, k1))
        .max()
        .expect("K1 has conflicts");
    assert_eq!(wait, Duration::from_secs(8));
    assert_eq!(aspect(&ix, seq.poll(secs(100.0)), "K1"), RedAmber);
    assert_eq!(aspect(&ix, seq.poll(secs(107.9)), "K1"), RedAmber);
    assert_eq!(aspect(&ix, seq.poll(secs(108.0)), "K1"), Green);
    assert_eq!(aspect(&ix, seq.poll(secs(113.9)), "K1"), Green);
    assert_eq!(aspect(&ix, seq.poll(secs(114.0)), "K1"), Amber);
    assert_eq!(aspect(&ix, seq.poll(secs(117.0)), "K1"), Red);
    assert!(seq.all_red());
}

/// Runs `seq` to `until` in 0.1 s polls, returning every (time, aspect) change of `group`.
fn trace(
    seq: &mut Sequencer,
    ix: &Intersection,
    group: &str,
    from: f64,
    until: f64,
) -> Vec<(f64, Aspect)> {
    let g = ix.group_by_id(group).expect("known group");
    let mut out = Vec::new();
    let mut last = seq.state().get(g);
    let mut t = from;
    while t <= until + 1e-9 {
        let a = seq.poll(secs(t)).get(g);
        if a != last {
            out.push(((t * 10.0).round() / 10.0, a));
            last = a;
        }
        t += 0.1;
    }
    out
}

#[test]
fn a_us_walk_is_timed_then_flashes_dont_walk_and_holds_the_parallel_green() {
    let ix = intersection(NEMA_PEDS);
    let p4 = ix.group_by_id("P4").unwrap();
    let p = ix.group(p4).pedestrian.unwrap();
    // 21 m at 1.07 m/s, rounded up to a tenth; 7 s walk; intergreen towards 2 = 19.7 + 3.
    assert_eq!(p.clearance, Duration::from_millis(19_700));
    assert_eq!(ix.group(p4).min_green, Duration::from_secs(7));
    let two = ix.group_by_id("2").unwrap();
    assert_eq!(ix.intergreen(p4, two), Some(Duration::from_millis(22_700)));

    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    seq.call_pedestrian(p4);
    seq.request(stage(&ix, "4+8")).unwrap();
    let start = seq.poll_at().unwrap();
    let t0 = (start - secs(0.0)).as_secs_f64();
    let p4_trace = trace(&mut seq, &ix, "P4", t0, t0 + 40.0);
    assert_eq!(
        p4_trace,
        [(t0, Green), (t0 + 7.0, FlashingDontWalk), (t0 + 26.7, Red)],
        "walk 7 s, flashing don't walk 19.7 s, then don't walk"
    );
    assert!(
        seq.pedestrian_calls().iter().next().is_none(),
        "the call is served"
    );
    // The side street is asked to end at once; phase 4 holds its green until the flashing
    // don't walk has ended (change interval before the parallel amber).
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    seq.call_pedestrian(p4);
    seq.request(stage(&ix, "4+8")).unwrap();
    seq.poll(start);
    seq.request(stage(&ix, "2+6")).unwrap();
    let four = trace(&mut seq, &ix, "4", t0, t0 + 40.0);
    assert_eq!(four.first(), Some(&(t0 + 26.7, Amber)));
}

#[test]
fn an_uncalled_us_walk_stays_dark_and_a_call_in_the_running_stage_recycles_it() {
    let ix = intersection(NEMA_PEDS);
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    seq.request(stage(&ix, "2+6")).unwrap();
    let start = (seq.poll_at().unwrap() - secs(0.0)).as_secs_f64();
    assert_eq!(trace(&mut seq, &ix, "P2", start, start + 20.0), []);
    assert_eq!(aspect(&ix, seq.state(), "2"), Green);
    // A push while 2+6 rests: the walk comes at once (nothing it conflicts with ran lately).
    seq.call_pedestrian(ix.group_by_id("P2").unwrap());
    assert!(seq.poll_at().is_some_and(|t| t <= secs(start + 20.0)));
    let p2 = trace(&mut seq, &ix, "P2", start + 20.1, start + 50.0);
    assert_eq!(p2.first(), Some(&(start + 20.1, Green)));
    assert_eq!(p2.get(1), Some(&(start + 27.1, FlashingDontWalk)));
    // A vehicle group ignores a call.
    seq.call_pedestrian(ix.group_by_id("2").unwrap());
    assert!(seq.pedestrian_calls().iter().next().is_none());
}

#[test]
fn a_walk_is_recycled_only_if_it_is_over_before_the_stage_must_end() {
    let ix = intersection(NEMA_PEDS);
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    seq.request(stage(&ix, "2+6")).unwrap();
    let start = (seq.poll_at().unwrap() - secs(0.0)).as_secs_f64();
    trace(&mut seq, &ix, "P2", start, start + 20.0);
    let p2 = ix.group_by_id("P2").unwrap();
    let walk = ix.group(p2).min_green + ix.group(p2).pedestrian.unwrap().clearance;
    // The controller must leave 2+6 a tenth of a second before a walk pushed now could be over.
    let by = secs(start + 20.0) + walk - Duration::from_millis(100);
    seq.end_walks_by(Some(by));
    seq.call_pedestrian(p2);
    assert_eq!(trace(&mut seq, &ix, "P2", start + 20.0, start + 40.0), []);
    assert!(seq.pedestrian_calls().contains(p2), "the call stays");
    // With time for the whole walk, it comes at once.
    seq.end_walks_by(Some(secs(start + 40.1) + walk));
    let p2_trace = trace(&mut seq, &ix, "P2", start + 40.1, start + 60.0);
    assert_eq!(p2_trace.first(), Some(&(start + 40.1, Green)));
}

/// From 4+8 to 2+6, asking for 2+6 at every tick as controllers do, with a push of P2's button
/// once the change has begun and the walk deadline `by`: when P2 first walks.
fn walk_called_during_the_change(by: Option<Duration>) -> Option<f64> {
    let ix = intersection(NEMA_PEDS);
    let p2 = ix.group_by_id("P2").unwrap();
    let mut seq = Sequencer::new(ix.clone(), secs(0.0));
    seq.request(stage(&ix, "4+8")).unwrap();
    let mut t = 0.0;
    while !matches!(seq.phase(), Phase::Dwell { .. }) {
        seq.poll(secs(t));
        t += 0.1;
    }
    let main = stage(&ix, "2+6");
    seq.request(main).unwrap();
    let mut walked = None;
    let mut pushed = false;
    for _ in 0..600 {
        let now = secs(t);
        // As a controller with a wait bound says it, for the stage being entered too.
        seq.end_walks_by(by.map(|d| now + d));
        seq.end_entering_walks_by(by.map(|d| now + d));
        seq.request(main).unwrap();
        if !pushed && matches!(seq.phase(), Phase::Transition { .. }) {
            seq.call_pedestrian(p2);
            pushed = true;
        }
        if seq.poll(now).get(p2) == Green && walked.is_none() {
            walked = Some(t);
        }
        t += 0.1;
    }
    assert!(pushed, "the change to 2+6 began");
    walked
}

#[test]
fn a_walk_called_while_its_stage_is_entered_joins_only_if_it_ends_in_time() {
    let ix = intersection(NEMA_PEDS);
    let p2 = ix.group_by_id("P2").unwrap();
    let walk = ix.group(p2).min_green + ix.group(p2).pedestrian.unwrap().clearance;
    // With no deadline, or one the walk keeps, it comes with the green.
    let free = walk_called_during_the_change(None).expect("walks");
    let kept = walk_called_during_the_change(Some(walk + Duration::from_secs(1)));
    assert_eq!(kept, Some(free));
    // With the stage to end before the walk could be over, the call waits (it would be
    // recycled once a deadline allows it).
    assert_eq!(
        walk_called_during_the_change(Some(walk - Duration::from_secs(1))),
        None
    );
}
