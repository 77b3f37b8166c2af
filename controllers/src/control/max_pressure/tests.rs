use super::*;
use crate::control::rig::{Rig, plan, pulse, site};

fn rig() -> Rig<MaxPressure> {
    let site = site();
    let ctl = MaxPressure::new(site.clone(), plan(&site));
    Rig::new(site, ctl)
}

/// Builds a queue on a lane: one vehicle a second past its advance loop up to `n`, none past
/// its stop bar, the stop bar occupied.
fn queue(
    t: f64,
    samples: &mut [crate::detector::DetectorSample],
    advance: usize,
    stop_bar: usize,
    n: u16,
) {
    samples[advance].count = (t as u16).min(n);
    samples[stop_bar].presence = true;
}

#[test]
fn the_stage_with_the_largest_queues_runs() {
    let mut rig = rig();
    // Twelve vehicles queue northbound (through lane 1 of nb: stop bar 14, advance 15).
    rig.run(40.0, |t, s| queue(t, s, 15, 14, 12));
    let pressures = {
        let inputs = Inputs {
            buses: &[],
            detectors: &rig.samples,
            estimate: rig.estimator.estimate(),
            neighbours: &rig.neighbours,
        };
        rig.ctl.pressures(&inputs)
    };
    let ix = &rig.site.intersection;
    let best = (0..pressures.len())
        .max_by(|&a, &b| pressures[a].total_cmp(&pressures[b]))
        .unwrap();
    assert!(
        ix.stage(StageIndex(best as u8))
            .groups
            .contains(ix.group_by_id("4").unwrap())
    );
    let served = rig.run_until(
        40.0,
        |t, s| queue(t, s, 15, 14, 12),
        |r| r.stage().is_some_and(|s| s.contains('4')),
    );
    assert!(
        served.is_some(),
        "the northbound through phase gets the green"
    );
}

#[test]
fn a_full_downstream_link_takes_the_pressure_off() {
    let mut rig = rig();
    rig.run(10.0, |t, s| queue(t, s, 15, 14, 8));
    let pressure_of_4 = |rig: &Rig<MaxPressure>| {
        let inputs = Inputs {
            buses: &[],
            detectors: &rig.samples,
            estimate: rig.estimator.estimate(),
            neighbours: &rig.neighbours,
        };
        let p = rig.ctl.pressures(&inputs);
        let ix = &rig.site.intersection;
        p[ix.stage_by_id("4+8").unwrap().get()]
    };
    let free = pressure_of_4(&rig);
    // The movements of the link northbound traffic feeds are queued back, 10 vehicles a lane
    // weighted by their turning ratios.
    rig.neighbours.links.insert(
        "J1->N".into(),
        crate::estimate::LinkReport {
            queue_per_lane: 10.0,
            weighted_queue_per_lane: 10.0,
            arrival_veh_h: 600.0,
        },
    );
    let blocked = pressure_of_4(&rig);
    assert!(
        free > 0.0 && blocked < free,
        "pressure {free} with room downstream, {blocked} without"
    );
}

#[test]
fn no_queued_group_waits_for_ever() {
    let mut rig = rig();
    // Heavy eastbound traffic keeps its pressure high; one northbound left waits.
    let mut waited = 0.0f64;
    let mut since: Option<f64> = None;
    // Northbound left: a vehicle every 20 s past the advance loop (13), queued on the stop bar
    // (12).
    let drive = |t: f64, s: &mut [crate::detector::DetectorSample]| {
        pulse(t, 0.5, &mut s[3]);
        s[3].count = (t * 2.0) as u16;
        s[12].presence = true;
        s[13].count = (t / 20.0) as u16 + 1;
    };
    rig.run(60.0, drive);
    for _ in 0..4000 {
        rig.run(0.1, drive);
        let left_green = rig
            .seq
            .state()
            .get(rig.site.intersection.group_by_id("7").unwrap())
            .is_go();
        let t = rig.now.as_secs_f64();
        match (left_green, since) {
            (false, None) => since = Some(t),
            (true, Some(s0)) => {
                waited = waited.max(t - s0);
                since = None;
            }
            _ => {}
        }
    }
    assert!(waited > 0.0, "the left turn was served at least once");
    assert!(waited <= 100.0 + 30.0, "the left turn waited {waited:.0} s");
}
