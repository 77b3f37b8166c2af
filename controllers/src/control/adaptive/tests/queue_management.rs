//! Queue management near saturation: a green whose queue still moves runs to its plan green,
//! and a saturated stage that cannot be served longer keeps its plan share of time; and a walk
//! served between two decisions is known to be served.

use super::super::*;
use super::{QueuedLane, green_of};
use crate::control::rig::{Rig, plan_with, pulse, site};

/// A main street with a vehicle every `main` s in each of its lanes both ways and a platoon
/// forecast from upstream, and a northbound lane with a vehicle every `side` s, for `secs` s under `plan`. Returns the northbound greens
/// after a warm-up, each as (start, length, vehicles queued at its end).
fn side_street_greens(
    plan: TimingPlan,
    (main, side): (f64, f64),
    secs: f64,
) -> Vec<(f64, f64, usize)> {
    let site = site();
    let ctl = Adaptive::new(site.clone(), plan, AdaptiveParams::default()).unwrap();
    let mut rig = Rig::new(site, ctl);
    rig.neighbours
        .arrivals
        .insert("W->J1".into(), vec![0.8; 120]);
    let mut lane = QueuedLane::new(side);
    let nb = rig.site.intersection.group_by_id("4").unwrap();
    let mut greens = Vec::new();
    let mut since: Option<f64> = None;
    for _ in 0..(secs * 10.0) as usize {
        let green = rig.seq.state().get(nb).is_go();
        rig.run(0.1, |t, s| {
            for l in [1, 2] {
                pulse(t, main, &mut s[2 * l]);
                pulse(t, main, &mut s[2 * l + 1]);
                pulse(t, main, &mut s[6 + 2 * l]);
                pulse(t, main, &mut s[7 + 2 * l]);
            }
            lane.step(t, green, s);
        });
        let t = rig.now.as_secs_f64();
        match (green_of(&rig, "4"), since) {
            (true, None) => since = Some(t),
            (false, Some(start)) => {
                if start > 300.0 {
                    greens.push((start, t - start, lane.queue.len()));
                }
                since = None;
            }
            _ => {}
        }
    }
    greens
}

#[test]
fn a_green_whose_queue_still_moves_runs_to_its_plan_green() {
    // The side street's plan green is 25 s; its queue backs up past the advance loop, so the
    // loop counts it moving up for as long as seven or more are queued.
    let greens = side_street_greens(
        plan_with(&site(), (30.0, 40.0), (25.0, 30.0), Some(150.0)),
        (1.6, 6.0),
        2400.0,
    );
    let left_moving: Vec<_> = greens
        .iter()
        .filter(|(_, _, queued)| *queued > QueuedLane::ADVANCE_INDEX)
        .collect();
    assert!(greens.len() >= 10, "northbound greens: {greens:?}");
    for (start, length, queued) in &left_moving {
        assert!(
            *length >= 25.0 - 0.5,
            "the green at {start:.1} s ended after {length:.1} s with {queued} still queued"
        );
    }
}

#[test]
fn a_saturated_stage_at_its_maximum_green_comes_round_within_its_plan_cycle() {
    // The side street cannot be served longer than its plan green (25 s), and one vehicle every
    // 3 s is more than that serves: it is saturated. The main street could run 70 s.
    let plan = plan_with(&site(), (30.0, 70.0), (25.0, 25.0), Some(150.0));
    let cycle = plan.cycle.as_secs_f64();
    let greens = side_street_greens(plan, (4.5, 3.0), 2400.0);
    let starts: Vec<f64> = greens.iter().map(|g| g.0).collect();
    assert!(starts.len() >= 10, "northbound greens: {starts:?}");
    let longest = starts
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(0.0f64, f64::max);
    assert!(
        longest <= cycle + 2.0,
        "the side street started again {longest:.1} s after its last start (plan cycle {cycle} s)"
    );
}

#[test]
fn a_walk_served_between_two_decisions_is_not_waited_for_again() {
    // J1 of the pedestrian arterial, nobody about: the main street rests in green and the
    // controller's decision stands while nothing is counted.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let corridor = crate::load::corridor(&root.join("config/corridors/arterial-4-peds.toml"))
        .expect("the corridor loads");
    let site = Arc::new(Site::new(&corridor, corridor.node_by_id("J1").unwrap()).unwrap());
    let plan = crate::load::plan_for(
        &root.join("config/plans/arterial-peds-webster/J1.toml"),
        &site.intersection,
    )
    .expect("the plan loads");
    let ctl = Adaptive::new(site.clone(), plan, AdaptiveParams::default()).unwrap();
    let mut rig = Rig::new(site.clone(), ctl);
    rig.samples.resize(site.channels(), Default::default());
    rig.run_until(120.0, |_, _| {}, |r| r.stage().as_deref() == Some("2+6"))
        .expect("the main street rests in green");
    rig.run(30.0, |_, _| {});
    // A push of the button of the walk beside it (P2, channel 20): the sequencer takes the
    // call and recycles the walk within the running stage.
    let (p2, channel) = site
        .pedestrian_buttons()
        .into_iter()
        .find(|&(g, _)| site.intersection.groups()[g.get()].id == "P2")
        .expect("P2 has a button");
    rig.samples[usize::from(channel)].count = 1;
    rig.seq.call_pedestrian(p2);
    rig.run(0.2, |_, _| {});
    assert!(rig.ctl.ped_called[p2.get()], "the controller saw the push");
    // The walk is served while the controller is not asked (as while an emergency preemption
    // drives the sequencer, or between decisions that stand).
    let mut walked = false;
    for _ in 0..1200 {
        rig.now += crate::time::Duration::from_millis(100);
        let state = rig.seq.poll(rig.now).clone();
        walked |= state.get(p2).is_go();
        assert_eq!(
            rig.interlock.check(rig.now, &state),
            crate::interlock::Check::Passed
        );
    }
    assert!(walked, "the walk is served");
    assert!(
        !rig.seq.pedestrian_calls().contains(p2),
        "the sequencer's call is served"
    );
    // A decision after the walk knows it was served, whether or not one fell within it.
    rig.samples[0].count = 1;
    rig.run(1.0, |_, _| {});
    assert!(
        !rig.ctl.ped_called[p2.get()],
        "P2 is still taken to be waiting"
    );
}
