use super::*;
use crate::control::rig::{Rig, plan, pulse, site};
use crate::detector::{DetectorSample, FaultCode};

fn rig(params: ActuatedParams) -> Rig<Actuated> {
    let site = site();
    let ctl = Actuated::new(&site, plan(&site), &params).unwrap();
    Rig::new(site, ctl)
}

#[test]
fn without_conflicting_calls_the_stage_rests_in_green() {
    let mut rig = rig(ActuatedParams::default());
    // Only eastbound through traffic.
    rig.run(200.0, |t, s| pulse(t, 4.0, &mut s[3]));
    assert_eq!(rig.stage().as_deref(), Some("2+6"));
    assert_eq!(rig.ctl.termination(), None, "nothing is ending");
}

#[test]
fn a_stage_gaps_out_when_actuations_stop_and_serves_the_waiting_calls() {
    let mut rig = rig(ActuatedParams::default());
    rig.run(60.0, |t, s| pulse(t, 2.0, &mut s[3]));
    assert_eq!(rig.stage().as_deref(), Some("2+6"));
    // A northbound vehicle calls phase 4; eastbound traffic stops coming.
    let start = rig.now.as_secs_f64();
    let served_at = rig
        .run_until(
            30.0,
            |t, s| {
                s[3].presence = false;
                s[15].presence = t - start < 1.0;
                s[15].count = 1;
            },
            |r| r.stage().as_deref() == Some("4+8"),
        )
        .expect("the side street is served");
    // Gap-out 3 s after the last actuation (at most 2 s before), then a 6 s interstage: well
    // before the 40 s maximum.
    assert!(served_at < 15.0, "side street green after {served_at:.1} s");
    assert_eq!(rig.ctl.termination(), Some(Termination::GapOut));
}

#[test]
fn continuous_traffic_maxes_out_from_the_first_conflicting_call() {
    let mut rig = rig(ActuatedParams::default());
    rig.run(30.0, |t, s| pulse(t, 1.0, &mut s[3]));
    assert_eq!(rig.stage().as_deref(), Some("2+6"));
    let ended = rig
        .run_until(
            80.0,
            |t, s| {
                pulse(t, 1.0, &mut s[3]);
                s[15].presence = true;
            },
            |r| r.stage().as_deref() != Some("2+6"),
        )
        .expect("max-out ends the stage");
    assert!(
        (39.5..=41.0).contains(&ended),
        "2+6 ended {ended:.1} s after the call (max 40 s)"
    );
    assert_eq!(rig.ctl.termination(), Some(Termination::MaxOut));
}

#[test]
fn stages_without_calls_are_skipped() {
    let mut rig = rig(ActuatedParams::default());
    rig.run(30.0, |t, s| pulse(t, 1.5, &mut s[3]));
    // Call only the northbound left (phase 7): stage 3+7 is served, 4+8 and 1+5 are not.
    let mut seen = Vec::new();
    rig.run(120.0, |t, s| {
        s[3].presence = false;
        s[12].presence = t % 60.0 < 0.5;
    });
    for _ in 0..10 {
        rig.run(10.0, |_, _| {});
        if let Some(st) = rig.stage()
            && seen.last() != Some(&st)
        {
            seen.push(st);
        }
    }
    assert!(!seen.iter().any(|s| s == "4+8" || s == "1+5"), "{seen:?}");
}

#[test]
fn a_failed_detector_places_a_constant_call() {
    let mut rig = rig(ActuatedParams::default());
    rig.run(60.0, |t, s| {
        pulse(t, 2.0, &mut s[3]);
        s[13].fault = FaultCode::OpenLoop; // northbound left advance loop
    });
    let served = rig.run_until(
        200.0,
        |t, s| pulse(t, 2.0, &mut s[3]),
        |r| r.stage().as_deref() == Some("3+7"),
    );
    assert!(
        served.is_some(),
        "the failed loop's phase is called and served"
    );
}

#[test]
fn passage_times_out_of_range_are_refused() {
    let site = site();
    let params = ActuatedParams {
        passage_s: 0.0,
        ..ActuatedParams::default()
    };
    let err = Actuated::new(&site, plan(&site), &params).unwrap_err();
    assert!(
        err.contains("passage time 0 s is out of range (0.5 to 10 s)"),
        "{err}"
    );
}

#[test]
fn a_walk_recycled_in_a_green_ends_by_its_max_out() {
    use crate::control::rig::{peds_plan, peds_site, pushes};
    let site = peds_site();
    let mut rig = Rig::new(
        site.clone(),
        Actuated::new(&site, peds_plan(&site), &ActuatedParams::default()).unwrap(),
    );
    // Every loop busy: every stage called and extended to its maximum green; P2, the walk
    // beside 2+6 (maximum green 52 s), pushed every 4 s.
    let p2 = pushes(&site, "P2", 4.0);
    let drive = |t: f64, s: &mut [DetectorSample]| {
        for d in &mut s[..20] {
            pulse(t, 1.0, d);
        }
        p2(t, s);
    };
    rig.run(60.0, drive);
    let seen = rig.greens(600.0, drive);
    let main: Vec<f64> = seen
        .iter()
        .filter(|(s, ..)| s == "2+6")
        .map(|&(_, from, to)| to - from)
        .collect();
    assert!(main.len() >= 3, "{seen:?}");
    for green in main {
        assert!(green <= 52.0 + 0.2, "2+6 ran {green} s: {seen:?}");
    }
}

#[test]
fn a_green_held_past_its_max_out_ends_as_soon_as_the_hold_does() {
    let mut rig = rig(ActuatedParams::default());
    rig.run(30.0, |t, s| pulse(t, 1.0, &mut s[3]));
    assert_eq!(rig.stage().as_deref(), Some("2+6"));
    let main = rig.seq.current_stage().unwrap();
    let drive = |t: f64, s: &mut [DetectorSample]| {
        pulse(t, 1.0, &mut s[3]);
        s[15].presence = true;
    };
    // Something else holds 2+6 (a bus's green extension) for 60 s from the side street's call,
    // past the 40 s maximum: the controller's decisions are taken but not followed.
    let estimate = crate::estimate::Estimate::default();
    let mut asked_to_leave = 0;
    for _ in 0..600 {
        rig.now += Duration::from_millis(100);
        drive(rig.now.as_secs_f64(), &mut rig.samples);
        let inputs = Inputs {
            buses: &[],
            detectors: &rig.samples,
            estimate: &estimate,
            neighbours: &rig.neighbours,
        };
        if rig.ctl.decide(rig.now, &inputs, &rig.seq) != Some(main) {
            asked_to_leave += 1;
        }
        rig.seq.poll(rig.now);
    }
    // From the max-out on it kept asking to leave: 20 s of decisions at 10 Hz.
    assert!(
        asked_to_leave >= 195,
        "asked to leave {asked_to_leave} times"
    );
    // Let go, it ends the green at once rather than timing a new maximum.
    let ended = rig
        .run_until(30.0, drive, |r| r.stage().as_deref() != Some("2+6"))
        .expect("the green ends");
    assert!(ended <= 0.5, "2+6 ended {ended:.1} s after the hold");
    assert_eq!(rig.ctl.termination(), Some(Termination::MaxOut));
}
