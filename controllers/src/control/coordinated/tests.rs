use super::*;
use crate::control::rig::{Rig, pulse, site};
use crate::detector::DetectorSample;
use crate::plan::{PlanSpec, PlanStageSpec};

const CYCLE_S: f64 = 30.0 + 8.0 + 15.0 + 10.0 + 24.0;
const OFFSET_S: f64 = 20.0;

/// Stages 2+6 (coordinated), 3+7, 4+8, 1+5 with greens 30, 8, 15, 10 s; cycle 87 s, offset 20 s.
fn coordination_plan(site: &Site) -> TimingPlan {
    let stage = |id: &str, green_s: f64| PlanStageSpec {
        stage: id.into(),
        green_s,
        min_green_s: None,
        max_green_s: Some(40.0),
    };
    let spec = PlanSpec {
        plan_id: "coordination".into(),
        version: 1,
        pattern: None,
        intersection: None,
        cycle_s: CYCLE_S,
        offset_s: OFFSET_S,
        max_cycle_s: None,
        stages: vec![
            stage("2+6", 30.0),
            stage("3+7", 8.0),
            stage("4+8", 15.0),
            stage("1+5", 10.0),
        ],
    };
    TimingPlan::from_spec(&spec, &site.intersection).unwrap()
}

fn rig(force_off: ForceOff) -> Rig<Coordinated> {
    let site = site();
    let params = CoordinatedParams {
        force_off,
        ..CoordinatedParams::default()
    };
    let ctl = Coordinated::new(&site, coordination_plan(&site), &params).unwrap();
    Rig::new(site, ctl)
}

/// Runs for `secs`, returning each stage that began with when (s).
fn starts(
    rig: &mut Rig<Coordinated>,
    secs: f64,
    drive: impl FnMut(f64, &mut [DetectorSample]),
) -> Vec<(String, f64)> {
    greens(rig, secs, drive)
        .into_iter()
        .map(|(s, from, _)| (s, from))
        .collect()
}

/// Runs for `secs`, returning each stage's green: the stage, when it began and when it ended
/// (s).
fn greens(
    rig: &mut Rig<Coordinated>,
    secs: f64,
    drive: impl FnMut(f64, &mut [DetectorSample]),
) -> Vec<(String, f64, f64)> {
    rig.greens(secs, drive)
}

/// Where `t` lies in the plan's cycle.
fn in_cycle(t: f64) -> f64 {
    (t - OFFSET_S).rem_euclid(CYCLE_S)
}

/// Every loop of every approach busy: every stage is called and extended to its force-off.
fn everywhere(t: f64, s: &mut [DetectorSample]) {
    for d in s.iter_mut() {
        pulse(t, 1.0, d);
    }
}

#[test]
fn with_every_phase_maxed_out_the_coordinated_green_starts_at_the_offset_every_cycle() {
    let mut rig = rig(ForceOff::Fixed);
    let seen = starts(&mut rig, 8.0 * CYCLE_S, everywhere);
    let coordinated: Vec<f64> = seen
        .iter()
        .filter(|(s, t)| s == "2+6" && *t > 2.0 * CYCLE_S)
        .map(|(_, t)| *t)
        .collect();
    assert!(coordinated.len() >= 5, "{seen:?}");
    for t in &coordinated {
        let pos = in_cycle(*t);
        assert!(
            !(0.3..=CYCLE_S - 0.3).contains(&pos),
            "2+6 began {pos:.1} s into the cycle at {t:.1} s: {seen:?}"
        );
    }
    // Every stage served once a cycle, in the plan's order.
    let order: Vec<&str> = seen
        .iter()
        .filter(|(_, t)| *t > 2.0 * CYCLE_S)
        .map(|(s, _)| s.as_str())
        .take(8)
        .collect();
    let first = order.iter().position(|s| *s == "2+6").unwrap();
    assert_eq!(
        &order[first..first + 4],
        &["2+6", "3+7", "4+8", "1+5"],
        "{seen:?}"
    );
}

#[test]
fn without_other_calls_it_rests_in_the_coordinated_green() {
    let mut rig = rig(ForceOff::Fixed);
    // Only eastbound through traffic.
    let seen = starts(&mut rig, 4.0 * CYCLE_S, |t, s| pulse(t, 3.0, &mut s[3]));
    assert_eq!(seen.last().map(|(s, _)| s.as_str()), Some("2+6"));
    let leaving: Vec<_> = seen
        .iter()
        .filter(|(s, t)| s != "2+6" && *t > 10.0)
        .collect();
    assert!(leaving.is_empty(), "{seen:?}");
}

/// One northbound vehicle early in each cycle's side-street window; no left turners.
fn one_side_street_vehicle(t: f64, s: &mut [DetectorSample]) {
    pulse(t, 3.0, &mut s[3]);
    let pos = in_cycle(t);
    s[15].presence = (30.0..30.5).contains(&pos);
    s[15].count = (t / CYCLE_S) as u16 + u16::from(pos >= 30.0);
}

#[test]
fn a_side_street_that_gaps_out_returns_its_time_to_the_coordinated_stage_early() {
    let mut rig = rig(ForceOff::Fixed);
    let seen = starts(&mut rig, 6.0 * CYCLE_S, one_side_street_vehicle);
    let mut checked = 0;
    for pair in seen.windows(2) {
        let [(a, ta), (b, tb)] = pair else { continue };
        if a == "4+8" && b == "2+6" && *ta > CYCLE_S {
            // Back well before its planned start (87 s into the cycle)...
            assert!(in_cycle(*tb) < CYCLE_S - 15.0, "{seen:?}");
            checked += 1;
        }
        if a == "2+6" && b != "2+6" && *ta > CYCLE_S {
            // ...and held to its yield point (30 s into the cycle) before the side street.
            assert!(
                in_cycle(*tb) >= 30.0,
                "{b} began {:.1} s in: {seen:?}",
                in_cycle(*tb)
            );
        }
    }
    assert!(checked >= 3, "early returns seen: {checked}, {seen:?}");
}

/// The green of 4+8 each cycle (s) when 3+7 has no calls and 4+8 a constant one.
fn side_street_greens(force_off: ForceOff) -> Vec<f64> {
    let mut rig = rig(force_off);
    let seen = greens(&mut rig, 6.0 * CYCLE_S, |t, s| {
        pulse(t, 1.0, &mut s[3]);
        pulse(t, 1.0, &mut s[15]);
    });
    let side: Vec<f64> = seen
        .iter()
        .filter(|(s, from, _)| s == "4+8" && *from > CYCLE_S)
        .map(|(_, from, to)| to - from)
        .collect();
    assert!(side.len() >= 3, "{seen:?}");
    side
}

#[test]
fn fixed_force_offs_pass_unused_time_on_and_floating_ones_keep_to_the_split() {
    // 3+7 is skipped. With fixed force-offs 4+8 starts after the yield point (30 s) and its
    // interstage (6 s), and runs to its own force-off at 65 s: 29 s. Floating, it keeps to its
    // 15 s split and the time left returns to the coordinated stage.
    let mut rig = rig(ForceOff::Fixed);
    rig.run_until(
        3.0 * CYCLE_S,
        |t, s| {
            pulse(t, 1.0, &mut s[3]);
            pulse(t, 1.0, &mut s[15]);
        },
        |r| r.stage().as_deref() == Some("4+8"),
    )
    .expect("the side street is served");
    rig.run_until(
        CYCLE_S,
        |t, s| pulse(t, 1.0, &mut s[15]),
        |r| r.stage().is_none(),
    )
    .expect("and ended");
    assert_eq!(rig.ctl.termination(), Some(Termination::ForceOff));
    for green in side_street_greens(ForceOff::Fixed) {
        assert!(
            (green - 29.0).abs() <= 0.3,
            "4+8 green {green:.1} s with fixed force-offs"
        );
    }
    for green in side_street_greens(ForceOff::Floating) {
        assert!(
            (green - 15.0).abs() <= 0.3,
            "4+8 green {green:.1} s with floating force-offs"
        );
    }
}

#[test]
fn a_split_below_its_minimum_green_is_refused() {
    let site = site();
    let mut plan = coordination_plan(&site);
    plan.stages[2].green = Duration::from_secs(3);
    let err = Coordinated::new(&site, plan, &CoordinatedParams::default()).unwrap_err();
    assert!(
        err.contains("stage `4+8`") && err.contains("before its minimum green"),
        "{err}"
    );
}

#[test]
fn a_new_offset_is_reached_over_three_cycles_without_a_jump() {
    let site = site();
    let plan = coordination_plan(&site);
    let old = Duration::from_secs_f64(OFFSET_S - 20.0);
    let ctl = Coordinated::moving_from(&site, plan, old, &CoordinatedParams::default()).unwrap();
    let mut rig = Rig::new(site, ctl);
    let seen = starts(&mut rig, 7.0 * CYCLE_S, everywhere);
    let coordinated: Vec<f64> = seen
        .iter()
        .filter(|(s, _)| s == "2+6")
        .map(|(_, t)| *t)
        .collect();
    // Cycle lengths change by at most a sixth while it moves, and it ends on the new offset.
    for pair in coordinated.windows(2).skip(1) {
        let length = pair[1] - pair[0];
        assert!(
            (length - CYCLE_S).abs() <= CYCLE_S / 6.0 + 0.5,
            "a cycle of {length:.1} s: {coordinated:?}"
        );
    }
    let last = *coordinated.last().unwrap();
    let pos = in_cycle(last);
    assert!(
        !(0.3..=CYCLE_S - 0.3).contains(&pos),
        "ended {pos:.1} s off: {coordinated:?}"
    );
}

#[test]
fn phases_2_and_6_are_coordinated_wherever_the_plan_puts_them() {
    // The rig's plan leads with the left turns (1+5, 10 s, then a 6 s interstage), offset 0:
    // 2+6 begins 16 s into each cycle of 87 s.
    let site = site();
    let plan = crate::control::rig::plan(&site);
    let cycle = plan.cycle.as_secs_f64();
    let ctl = Coordinated::new(&site, plan, &CoordinatedParams::default()).unwrap();
    let mut rig = Rig::new(site, ctl);
    let seen = starts(&mut rig, 6.0 * cycle, everywhere);
    let mut checked = 0;
    for (stage, t) in seen.iter().filter(|(_, t)| *t > 2.0 * cycle) {
        if stage == "2+6" {
            let pos = (t - 16.0).rem_euclid(cycle);
            assert!(pos < 0.3 || pos > cycle - 0.3, "2+6 at {t:.1} s: {seen:?}");
            checked += 1;
        }
    }
    assert!(checked >= 3, "{seen:?}");
}

#[test]
fn coordinated_phases_the_intersection_or_plan_lacks_are_refused() {
    let site = site();
    let plan = coordination_plan(&site);
    let params = |phases: &[&str]| CoordinatedParams {
        phases: phases.iter().map(|p| p.to_string()).collect(),
        ..CoordinatedParams::default()
    };
    let err = Coordinated::new(&site, plan.clone(), &params(&["2", "9"])).unwrap_err();
    assert!(
        err.contains("coordinated phase `9` is not a signal group of intersection `J1`"),
        "{err}"
    );
    let err = Coordinated::new(&site, plan.clone(), &params(&["2", "4"])).unwrap_err();
    assert!(
        err.contains("no stage of plan `coordination` serves the coordinated phases 2 and 4"),
        "{err}"
    );
    // 4 and 8 together are a stage: coordinated on the side street, if asked.
    assert!(Coordinated::new(&site, plan, &params(&["4", "8"])).is_ok());
}

/// Side-street vehicles every 2 s (nb and sb loops, channels 12 to 19) and a push on the walk
/// beside the arterial (P2) every 4 s.
fn side_street_and_p2(site: &Site) -> impl Fn(f64, &mut [DetectorSample]) {
    let p2 = crate::control::rig::pushes(site, "P2", 4.0);
    move |t, s| {
        for d in &mut s[12..20] {
            pulse(t, 2.0, d);
        }
        p2(t, s);
    }
}

#[test]
fn with_the_coordinated_walk_pushed_all_the_time_it_yields_on_time_and_serves_the_side_street_every_cycle()
 {
    let site = crate::control::rig::peds_site();
    let plan = crate::control::rig::peds_plan(&site);
    let cycle = plan.cycle.as_secs_f64();
    let ctl = Coordinated::new(&site, plan, &CoordinatedParams::default()).unwrap();
    let mut rig = Rig::new(site.clone(), ctl);
    let drive = side_street_and_p2(&site);
    rig.run(cycle, &drive);
    let cycles = 8;
    let seen = rig.greens(cycles as f64 * cycle, &drive);
    let side: Vec<f64> = seen
        .iter()
        .filter(|(s, ..)| s == "4+8")
        .map(|&(_, from, _)| from)
        .collect();
    assert!(
        side.len() >= cycles - 1,
        "4+8 served {} times in {cycles} cycles: {seen:?}",
        side.len()
    );
    for pair in side.windows(2) {
        assert!(
            pair[1] - pair[0] <= cycle + 0.5,
            "4+8 skipped a cycle: {seen:?}"
        );
    }
    // The coordinated green, walks and all, yields at the same point of every cycle.
    let yields: Vec<f64> = seen
        .iter()
        .filter(|(s, ..)| s == "2+6")
        .map(|&(_, _, to)| to)
        .collect();
    for pair in yields[..yields.len() - 1].windows(2) {
        assert!((pair[1] - pair[0] - cycle).abs() <= 0.2, "{seen:?}");
    }
}
