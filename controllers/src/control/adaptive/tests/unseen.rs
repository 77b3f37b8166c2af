//! The local arrivals start late by the time from the advance loop; a neighbour's forecast
//! does not.

use super::super::*;
use crate::control::rig::{Rig, plan, pulse, site};

/// The arrivals of eastbound through traffic after a minute of it, with `unseen_share`, and
/// with a neighbour's forecast where `forecast`.
fn eastbound_through(unseen_share: f64, forecast: bool) -> (Vec<f64>, f64) {
    let site = site();
    let params = AdaptiveParams {
        unseen_share,
        ..AdaptiveParams::default()
    };
    let ctl = Adaptive::new(site.clone(), plan(&site), params).unwrap();
    let mut rig = Rig::new(site.clone(), ctl);
    // A vehicle every 4 s over lane 1's advance loop (channel 3).
    rig.run(60.0, |t, s| pulse(t, 4.0, &mut s[3]));
    if forecast {
        rig.neighbours
            .arrivals
            .insert("W->J1".into(), vec![0.25; 120]);
    }
    let inputs = Inputs {
        buses: &[],
        detectors: &rig.samples,
        estimate: rig.estimator.estimate(),
        neighbours: &rig.neighbours,
    };
    let arrivals = rig.ctl.arrivals(&inputs, 120);
    let a = site
        .approaches
        .iter()
        .position(|a| a.link == "W->J1")
        .unwrap();
    let flow = (rig.ctl.flows.iter())
        .position(|f| f.approach == a && Turn::VEHICLE[f.turn] == Turn::Through)
        .unwrap();
    (
        arrivals[flow].clone(),
        unseen::loop_to_line_s(&site.approaches[a]),
    )
}

#[test]
fn local_arrivals_start_once_a_vehicle_beyond_the_advance_loop_could_reach_the_line() {
    let (on_time, loop_s) = eastbound_through(0.0, false);
    let (late, _) = eastbound_through(1.0, false);
    assert!(
        loop_s > 1.0,
        "the rig's advance loops are {loop_s:.2} s out"
    );
    let rate = on_time[0];
    assert!(rate > 0.05, "the estimate's rate is {rate}");
    assert!(on_time.iter().all(|&r| r == rate), "{on_time:?}");
    let whole = loop_s.floor() as usize;
    assert!(late[..whole].iter().all(|&r| r == 0.0), "{late:?}");
    let part = late[whole] / rate;
    assert!((part - (1.0 - loop_s.fract())).abs() < 1e-9, "{part}");
    assert!(late[whole + 1..].iter().all(|&r| r == rate), "{late:?}");
}

#[test]
fn a_neighbours_forecast_keeps_its_own_timing() {
    let (with_share, _) = eastbound_through(1.0, true);
    let (without, _) = eastbound_through(0.0, true);
    assert_eq!(with_share, without);
    assert!(with_share[0] > 0.0, "{with_share:?}");
}

#[test]
fn an_unseen_share_out_of_range_is_refused() {
    let site = site();
    for share in [-0.1, 1.5, f64::NAN] {
        let params = AdaptiveParams {
            unseen_share: share,
            ..AdaptiveParams::default()
        };
        let err = Adaptive::new(site.clone(), plan(&site), params).unwrap_err();
        assert!(err.contains("unseen share"), "{err}");
    }
}
