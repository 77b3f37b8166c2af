use super::*;
use crate::detector::FaultCode;
use crate::load;
use crate::model::Aspect;
use std::path::Path;

/// The isolated NEMA intersection: eb approach channels 0..5 (lane l: stop bar 2l, advance
/// 2l + 1), wb 6..11, nb 12..15, sb 16..19.
fn site() -> Arc<Site> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors/isolated.toml");
    let corridor = load::corridor(&path).unwrap();
    let node = corridor.node_by_id("J1").unwrap();
    Arc::new(Site::new(&corridor, node).unwrap())
}

fn all_red() -> SignalState {
    SignalState::uniform(8, Aspect::Red)
}

fn eb(e: &Estimate) -> &ApproachEstimate {
    e.approaches.iter().find(|a| a.direction == "eb").unwrap()
}

#[test]
fn queue_is_arrivals_minus_departures_through_a_counter_wrap() {
    let mut est = Estimator::new(site(), EstimatorParams::default(), Instant::ZERO);
    let mut samples = vec![DetectorSample::default(); 20];
    // Lane 1 of eb: the counters start near the wrap.
    samples[2].count = 65_534;
    samples[3].count = 65_533;
    est.update(Instant::from_millis(500), &samples, &all_red());
    samples[3].count = 2; // 5 vehicles past the advance loop
    samples[2].count = 0; // 2 past the stop bar
    samples[2].presence = true;
    est.update(Instant::from_millis(1000), &samples, &all_red());
    let lane = eb(est.estimate()).lanes[1];
    assert_eq!(lane.queue_veh, 3.0);
    assert!(!lane.degraded);
}

#[test]
fn a_reported_fault_falls_back_to_the_neighbouring_lane() {
    let mut est = Estimator::new(site(), EstimatorParams::default(), Instant::ZERO);
    let mut samples = vec![DetectorSample::default(); 20];
    samples[3].fault = FaultCode::OpenLoop;
    let mut now = Instant::ZERO;
    for k in 0..120u16 {
        now += Duration::from_secs(1);
        // The neighbour (lane 2's advance loop, channel 5) counts one vehicle every 4 s.
        samples[5].count = k / 4;
        est.update(now, &samples, &all_red());
    }
    let health = est
        .estimate()
        .detectors
        .iter()
        .find(|d| d.channel == 3)
        .unwrap();
    assert_eq!(
        health.fault,
        Some(Fault::Reported {
            code: FaultCode::OpenLoop
        })
    );
    assert_eq!(health.fallback, Fallback::Neighbour { channel: 5 });
    let lanes = &eb(est.estimate()).lanes;
    assert!(lanes[1].degraded);
    assert!(
        (lanes[1].arrival_veh_h - lanes[2].arrival_veh_h).abs() < 1.0,
        "{lanes:?}"
    );
    assert!(
        lanes[1].arrival_veh_h > 300.0,
        "900 veh/h copied from the neighbour, got {}",
        lanes[1].arrival_veh_h
    );
}

#[test]
fn a_count_that_stops_while_the_neighbours_count_is_a_fault() {
    let params = EstimatorParams::default();
    let mut est = Estimator::new(site(), params, Instant::ZERO);
    let mut samples = vec![DetectorSample::default(); 20];
    let mut now = Instant::ZERO;
    for k in 0..(params.frozen_after_s as u16 + 60) {
        now += Duration::from_secs(1);
        samples[5].count = k / 3;
        if k < 30 {
            samples[3].count = k / 3; // lane 1 counts at first, then freezes
        }
        est.update(now, &samples, &all_red());
    }
    let health = est
        .estimate()
        .detectors
        .iter()
        .find(|d| d.channel == 3)
        .unwrap();
    assert_eq!(health.fault, Some(Fault::CountFrozen));
    assert_eq!(health.fallback, Fallback::Neighbour { channel: 5 });
}

#[test]
fn without_a_neighbour_the_fallback_is_history_then_a_constant_call() {
    let mut est = Estimator::new(site(), EstimatorParams::default(), Instant::ZERO);
    let mut samples = vec![DetectorSample::default(); 20];
    // sb has one left lane (0) and one through/right lane (1): the left lane's loops have
    // neighbours of their kind on lane 1; fail both advance loops of sb.
    samples[17].fault = FaultCode::ShortedLoop;
    samples[19].fault = FaultCode::ShortedLoop;
    est.update(Instant::from_millis(500), &samples, &all_red());
    let fallback = |ch| {
        est.estimate()
            .detectors
            .iter()
            .find(|d| d.channel == ch)
            .unwrap()
            .fallback
    };
    assert_eq!(fallback(17), Fallback::ConstantCall, "no history yet");
    let sb = est
        .estimate()
        .approaches
        .iter()
        .find(|a| a.direction == "sb")
        .unwrap();
    assert!(
        sb.lanes[0].queue_veh >= 1.0,
        "a constant call counts as a vehicle waiting"
    );

    let mut est = Estimator::new(site(), EstimatorParams::default(), Instant::ZERO);
    let mut now = Instant::ZERO;
    let mut samples = vec![DetectorSample::default(); 20];
    for k in 0..60u16 {
        now += Duration::from_secs(1);
        samples[19].count = k / 5;
        est.update(now, &samples, &all_red());
    }
    samples[17].fault = FaultCode::ShortedLoop;
    samples[19].fault = FaultCode::ShortedLoop;
    est.update(now + Duration::from_secs(1), &samples, &all_red());
    let fallback = |ch| {
        est.estimate()
            .detectors
            .iter()
            .find(|d| d.channel == ch)
            .unwrap()
            .fallback
    };
    assert_eq!(fallback(19), Fallback::Historical);
}

#[test]
fn a_lost_loop_keeps_its_recent_flow_instead_of_fading() {
    let mut est = Estimator::new(site(), EstimatorParams::default(), Instant::ZERO);
    let mut samples = vec![DetectorSample::default(); 20];
    let mut now = Instant::ZERO;
    // sb lane 1 (advance 19, stop bar 18): a vehicle every 5 s (720 veh/h) for 20 minutes.
    for k in 0..1200u16 {
        now += Duration::from_secs(1);
        samples[19].count = k / 5;
        samples[18].count = k / 5;
        est.update(now, &samples, &all_red());
    }
    let sb = |e: &Estimate| {
        e.approaches
            .iter()
            .find(|a| a.direction == "sb")
            .unwrap()
            .lanes[1]
    };
    let before = sb(est.estimate()).arrival_veh_h;
    // Both sb advance loops fail, so no neighbour can stand in; half an hour later the lane
    // still carries its recent flow.
    samples[17].fault = FaultCode::ShortedLoop;
    samples[19].fault = FaultCode::ShortedLoop;
    for _ in 0..1800 {
        now += Duration::from_secs(1);
        est.update(now, &samples, &all_red());
    }
    let after = sb(est.estimate());
    assert!(after.degraded);
    assert!(before > 500.0, "{before}");
    assert!(
        (after.arrival_veh_h - before).abs() < 0.1 * before,
        "{before} veh/h before, {} after",
        after.arrival_veh_h
    );
}

#[test]
fn a_vehicle_standing_on_the_stop_bar_at_red_is_a_call_even_uncounted() {
    let mut est = Estimator::new(site(), EstimatorParams::default(), Instant::ZERO);
    let mut samples = vec![DetectorSample::default(); 20];
    // Lane 0 of eb (stop bar 0): a vehicle that changed lanes past the advance loop stops on it.
    samples[0].presence = true;
    let mut now = Instant::ZERO;
    for _ in 0..20 {
        now += Duration::from_millis(100);
        est.update(now, &samples, &all_red());
    }
    assert!(!eb(est.estimate()).lanes[0].standing, "2 s is passing");
    for _ in 0..10 {
        now += Duration::from_millis(100);
        est.update(now, &samples, &all_red());
    }
    let lane = eb(est.estimate()).lanes[0];
    assert!(lane.standing, "{lane:?}");
    assert_eq!(lane.queue_veh, 0.0, "nothing counted in");
    assert!(!eb(est.estimate()).lanes[1].standing);
    // On green, standing on the loop is discharging, not a call.
    let green = SignalState::uniform(8, Aspect::Green);
    now += Duration::from_millis(100);
    est.update(now, &samples, &green);
    assert!(!eb(est.estimate()).lanes[0].standing);
}

#[test]
fn link_reports_weight_movement_queues_by_the_turning_ratios_and_counts_pin_them() {
    let mut est = Estimator::new(site(), EstimatorParams::default(), Instant::ZERO);
    let mut samples = vec![DetectorSample::default(); 20];
    // Eastbound at red: lane 0 (left only) 4 queued, lane 1 (through) 6, lane 2 (through and
    // right) 6; counts arrive at 0.25 veh/s a lane over five minutes.
    let mut now = Instant::ZERO;
    for k in 1..=300u16 {
        now += Duration::from_secs(1);
        for lane in 0..3 {
            samples[2 * lane + 1].count = k / 4;
        }
        samples[0].count = (k / 4).saturating_sub(4);
        samples[2].count = (k / 4).saturating_sub(6);
        samples[4].count = (k / 4).saturating_sub(6);
        est.update(now, &samples, &all_red());
    }
    let e = eb(est.estimate()).clone();
    let (link, report) = est
        .link_reports()
        .find(|(link, _)| *link == e.link.as_str())
        .unwrap();
    assert_eq!(link, e.link);
    let r = e.turning;
    let q = e.movement_queue_veh;
    // Left on 1 lane, through on 2, right on 1.
    let [l, t, rt] = [Turn::Left, Turn::Through, Turn::Right].map(|x| x.index().unwrap());
    let expected = r[l] * q[l] + r[t] * q[t] / 2.0 + r[rt] * q[rt];
    assert!(
        (report.weighted_queue_per_lane - expected).abs() < 1e-9,
        "{report:?} {e:?}"
    );
    assert!(
        (report.queue_per_lane - 16.0 / 3.0).abs() < 0.5,
        "{report:?}"
    );
    assert!((report.arrival_veh_h - 2700.0).abs() < 300.0, "{report:?}");

    // The eastbound right turn's exit counted downstream at 300 veh/h pins the right ratio
    // inside the shared lane: eastbound sends 2700 veh/h, so 0.11 of it.
    let right_exit = est
        .site()
        .approaches
        .iter()
        .find(|a| a.link == e.link)
        .and_then(|a| a.movement(Turn::Right))
        .unwrap()
        .onto
        .clone();
    let before = eb(est.estimate()).turning[rt];
    let target = 300.0 / report.arrival_veh_h;
    let reports = BTreeMap::from([(
        right_exit,
        LinkReport {
            arrival_veh_h: 300.0,
            ..LinkReport::default()
        },
    )]);
    est.observe_downstream(&reports);
    for _ in 0..10 {
        now += Duration::from_secs(1);
        est.update(now, &samples, &all_red());
    }
    let after = eb(est.estimate()).turning[rt];
    assert!(
        (after - target).abs() < (before - target).abs() / 2.0,
        "right ratio {before:.3} -> {after:.3}, counted {target:.3}"
    );
}

#[test]
fn a_stop_bar_loop_occupied_through_a_green_is_no_call() {
    let mut est = Estimator::new(site(), EstimatorParams::default(), Instant::ZERO);
    let mut samples = vec![DetectorSample::default(); 20];
    // Stuck on (and not reported) from the start, through a green and into the red after it.
    samples[0].presence = true;
    let green = SignalState::uniform(8, Aspect::Green);
    let mut now = Instant::ZERO;
    for k in 0..100 {
        now += Duration::from_millis(100);
        let shown = if k < 50 { green.clone() } else { all_red() };
        est.update(now, &samples, &shown);
    }
    assert!(!eb(est.estimate()).lanes[0].standing);
    // Cleared, then a vehicle stops on it at red: a call.
    samples[0].presence = false;
    now += Duration::from_millis(100);
    est.update(now, &samples, &all_red());
    samples[0].presence = true;
    for _ in 0..30 {
        now += Duration::from_millis(100);
        est.update(now, &samples, &all_red());
    }
    assert!(eb(est.estimate()).lanes[0].standing);
}
