//! The event log against hand-made sequences of signal states and detector readings.

use std::path::Path;

use greenwave_controllers::control::Termination;
use greenwave_controllers::detector::{DetectorSample, FaultCode};
use greenwave_controllers::model::{Aspect, SignalState};
use greenwave_controllers::site::Site;
use jiff::Timestamp;

use super::*;
use crate::fieldio::reading::RawDetector;

fn site(corridor: &str, id: &str) -> Site {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(corridor);
    let corridor = greenwave_controllers::load::corridor(&path).expect("corridor loads");
    Site::all(&corridor)
        .into_iter()
        .find(|s| s.id == id)
        .expect("site")
}

fn arterial_j1() -> Site {
    site("config/corridors/arterial-4.toml", "J1")
}

/// Aspects of groups 1..=n: `green` (1-based phases) green, the rest `rest`.
fn state(n: usize, set: &[(u16, Aspect)]) -> SignalState {
    let mut aspects = vec![Aspect::Red; n];
    for &(phase, a) in set {
        aspects[usize::from(phase) - 1] = a;
    }
    SignalState::from_aspects(aspects)
}

fn ev(code: u16, param: u16) -> Event {
    Event { code, param }
}

#[test]
fn a_vehicle_phase_runs_green_yellow_red_clearance_and_goes_inactive_at_the_next_green() {
    let j1 = arterial_j1();
    let n = j1.intersection.groups().len();
    let mut rec = Recorder::new(&j1);
    let mut out = Vec::new();
    rec.signals(&state(n, &[]), &mut out);
    assert!(out.is_empty(), "the first look is the baseline");
    rec.signals(
        &state(n, &[(2, Aspect::Green), (6, Aspect::Green)]),
        &mut out,
    );
    assert_eq!(
        out,
        [ev(0, 2), ev(1, 2), ev(0, 6), ev(1, 6)],
        "phase on and begin green"
    );
    out.clear();
    rec.signals(
        &state(n, &[(2, Aspect::Amber), (6, Aspect::Green)]),
        &mut out,
    );
    assert_eq!(out, [ev(7, 2), ev(8, 2)]);
    out.clear();
    rec.signals(&state(n, &[(6, Aspect::Green)]), &mut out);
    assert_eq!(out, [ev(9, 2), ev(10, 2)]);
    out.clear();
    rec.signals(
        &state(n, &[(6, Aspect::Green), (5, Aspect::Green)]),
        &mut out,
    );
    assert_eq!(
        out,
        [ev(11, 2), ev(12, 2), ev(0, 5), ev(1, 5)],
        "the red clearance ends when the next green begins"
    );
}

#[test]
fn every_count_is_one_actuation_and_calls_register_on_red_and_drop_when_served() {
    let j1 = arterial_j1();
    let n = j1.intersection.groups().len();
    // Channel 0: J1's first eastbound loop. Which phases does it call?
    let calls: Vec<u16> = j1
        .group_detectors()
        .iter()
        .enumerate()
        .filter(|(_, ds)| ds.iter().any(|d| d.channel == 0))
        .map(|(g, _)| phase_number(g))
        .collect();
    assert!(!calls.is_empty(), "channel 0 calls a phase");
    let phase = calls[0];
    let mut rec = Recorder::new(&j1);
    let mut out = Vec::new();
    rec.signals(&state(n, &[]), &mut out);
    let mut det = vec![ChannelState::default(); j1.channels()];
    rec.detectors(&det, &mut out);
    assert!(out.is_empty());
    // One vehicle arrives: on, and a call on red.
    det[0] = ChannelState {
        count: 1,
        presence: true,
        fault: 0,
    };
    rec.detectors(&det, &mut out);
    let mut expected = vec![ev(82, 1)];
    expected.extend(calls.iter().map(|&p| ev(43, p)));
    assert_eq!(out, expected);
    out.clear();
    // Two more counted while presence stayed on: two off/on pairs, no second call.
    det[0].count = 3;
    rec.detectors(&det, &mut out);
    assert_eq!(out, [ev(81, 1), ev(82, 1), ev(81, 1), ev(82, 1)]);
    out.clear();
    // One counted and gone between two looks: on and off.
    det[0] = ChannelState {
        count: 4,
        presence: false,
        fault: 0,
    };
    rec.detectors(&det, &mut out);
    assert_eq!(out, [ev(81, 1), ev(82, 1), ev(81, 1)]);
    out.clear();
    // Served: the call drops as the green begins.
    rec.signals(&state(n, &[(phase, Aspect::Green)]), &mut out);
    assert_eq!(out, [ev(44, phase), ev(0, phase), ev(1, phase)]);
}

#[test]
fn a_loop_occupied_as_the_green_ends_calls_the_phase_back() {
    let j1 = arterial_j1();
    let n = j1.intersection.groups().len();
    let (g, d) = j1
        .group_detectors()
        .into_iter()
        .enumerate()
        .find_map(|(g, ds)| ds.first().map(|d| (g, d.channel)))
        .expect("a called group");
    let phase = phase_number(g);
    let mut rec = Recorder::new(&j1);
    let mut out = Vec::new();
    rec.signals(&state(n, &[(phase, Aspect::Green)]), &mut out);
    let mut det = vec![ChannelState::default(); j1.channels()];
    det[usize::from(d)] = ChannelState {
        count: 0,
        presence: true,
        fault: 0,
    };
    rec.detectors(&det, &mut out);
    out.clear();
    rec.signals(&state(n, &[(phase, Aspect::Amber)]), &mut out);
    assert_eq!(out, [ev(7, phase), ev(8, phase), ev(43, phase)]);
}

#[test]
fn faults_follow_the_card() {
    let j1 = arterial_j1();
    let mut rec = Recorder::new(&j1);
    let mut out = Vec::new();
    let mut det = vec![DetectorSample::default(); j1.channels()];
    let look = |rec: &mut Recorder, det: &[DetectorSample], out: &mut Vec<Event>| {
        let states: Vec<ChannelState> = det.iter().map(Into::into).collect();
        rec.detectors(&states, out);
    };
    look(&mut rec, &det, &mut out);
    for (fault, code) in [
        (FaultCode::OpenLoop, 86),
        (FaultCode::ShortedLoop, 87),
        (FaultCode::ExcessiveChange, 88),
        (FaultCode::MaxPresence, 84),
        (FaultCode::Ok, 83),
    ] {
        det[2].fault = fault;
        look(&mut rec, &det, &mut out);
        assert_eq!(out, [ev(code, 3)], "{fault}");
        out.clear();
    }
    // A code the card should not send is a fault all the same.
    let raw = RawDetector {
        fault: 40,
        ..RawDetector::default()
    };
    let mut states = vec![ChannelState::default(); j1.channels()];
    states[0] = (&raw).into();
    rec.detectors(&states, &mut out);
    assert!(out.contains(&ev(84, 1)));
}

#[test]
fn pedestrians_walk_clear_and_stop_and_their_buttons_call() {
    let eu = site("config/corridors/eu-crossing.toml", "J1");
    let ix = eu.intersection.clone();
    let n = ix.groups().len();
    let k1 = phase_number(ix.group_by_id("K1").unwrap().get());
    let k2 = phase_number(ix.group_by_id("K2").unwrap().get());
    let p3 = phase_number(ix.group_by_id("P3").unwrap().get());
    let p4 = phase_number(ix.group_by_id("P4").unwrap().get());
    let mut rec = Recorder::new(&eu);
    let mut out = Vec::new();
    rec.signals(&state(n, &[(k1, Aspect::Green)]), &mut out);
    // The eastbound button (channel 2) calls the crossing of the west leg, P4.
    let mut det = vec![ChannelState::default(); eu.channels()];
    rec.detectors(&det, &mut out);
    det[2] = ChannelState {
        count: 1,
        presence: true,
        fault: 0,
    };
    rec.detectors(&det, &mut out);
    assert_eq!(out, [ev(90, 3), ev(45, p4)]);
    out.clear();
    rec.signals(
        &state(
            n,
            &[
                (k2, Aspect::Green),
                (p3, Aspect::Green),
                (p4, Aspect::Green),
            ],
        ),
        &mut out,
    );
    out.clear();
    rec.signals(
        &state(
            n,
            &[(k2, Aspect::Amber), (p3, Aspect::Red), (p4, Aspect::Red)],
        ),
        &mut out,
    );
    assert_eq!(out, [ev(7, k2), ev(8, k2), ev(22, p3), ev(22, p4)]);
    out.clear();
    rec.signals(&state(n, &[]), &mut out);
    out.clear();
    rec.signals(&state(n, &[(k1, Aspect::Green)]), &mut out);
    assert_eq!(
        out,
        [
            ev(11, k2),
            ev(12, k2),
            ev(23, p3),
            ev(23, p4),
            ev(0, k1),
            ev(1, k1)
        ]
    );
}

#[test]
fn lines_are_stamped_in_local_time() {
    let j1 = arterial_j1();
    let n = j1.intersection.groups().len();
    let clock = LocalTime::named("America/Chicago").unwrap();
    let mut log = EventLog::new(Vec::new(), &j1, clock);
    let at: Timestamp = "2026-06-02T21:00:00.25Z".parse().unwrap();
    let none: [RawDetector; 0] = [];
    log.observe(at, &state(n, &[]), &none).unwrap();
    log.observe(at, &state(n, &[(4, Aspect::Green)]), &none)
        .unwrap();
    let text = String::from_utf8(log.into_inner().unwrap()).unwrap();
    assert_eq!(
        text,
        "2026-06-02 16:00:00.2,0,4\n2026-06-02 16:00:00.2,1,4\n"
    );
}

#[test]
fn the_daemon_log_appends_and_starts_a_file_each_local_day() {
    let dir = std::env::temp_dir().join(format!("greenwave-eventlog-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("J1-events.csv");
    let j1 = arterial_j1();
    let n = j1.intersection.groups().len();
    let clock = LocalTime::named("Europe/Berlin").unwrap();
    let det = vec![RawDetector::default(); j1.channels()];
    let evening: Timestamp = "2026-06-02T21:59:59.9Z".parse().unwrap();
    let night: Timestamp = "2026-06-02T22:00:00.1Z".parse().unwrap();
    for _ in 0..2 {
        // Twice, as across a restart: the second run appends.
        let mut log = DailyLog::open(&path, &j1, clock.clone(), evening).unwrap();
        log.observe(evening, &state(n, &[]), &det).unwrap();
        log.observe(evening, &state(n, &[(2, Aspect::Green)]), &det)
            .unwrap();
        log.observe(night, &state(n, &[(2, Aspect::Amber)]), &det)
            .unwrap();
        log.flush().unwrap();
    }
    let day1 = std::fs::read_to_string(dir.join("J1-events-2026-06-02.csv")).unwrap();
    let day2 = std::fs::read_to_string(dir.join("J1-events-2026-06-03.csv")).unwrap();
    assert_eq!(
        day1,
        "2026-06-02 23:59:59.9,0,2\n2026-06-02 23:59:59.9,1,2\n".repeat(2)
    );
    assert_eq!(
        day2,
        "2026-06-03 00:00:00.1,7,2\n2026-06-03 00:00:00.1,8,2\n".repeat(2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn detector_config_rows_name_device_phase_channel_and_function() {
    let j1 = arterial_j1();
    let (rows, uncalled) = detectors::rows(std::slice::from_ref(&j1));
    assert!(uncalled.is_empty(), "{uncalled:?}");
    let advance = rows.iter().filter(|r| r.function == "Advance").count();
    let presence = rows.iter().filter(|r| r.function == "Presence").count();
    assert!(advance > 0 && presence > 0);
    assert!(
        rows.iter()
            .all(|r| r.device == "J1" && (1..=8).contains(&r.phase))
    );
    let mut text = Vec::new();
    detectors::write_csv(&mut text, &rows).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("DeviceId,Phase,Parameter,Function,"));
    assert_eq!(text.lines().count(), rows.len() + 1);
}

#[test]
fn the_controllers_reason_precedes_the_green_termination() {
    let j1 = arterial_j1();
    let n = j1.intersection.groups().len();
    let mut rec = Recorder::new(&j1);
    let mut out = Vec::new();
    rec.signals(&state(n, &[]), &mut out);
    rec.signals(
        &state(n, &[(2, Aspect::Green), (6, Aspect::Green)]),
        &mut out,
    );
    out.clear();
    rec.set_termination(Some(Termination::GapOut));
    rec.signals(
        &state(n, &[(2, Aspect::Amber), (6, Aspect::Green)]),
        &mut out,
    );
    assert_eq!(out, [ev(4, 2), ev(7, 2), ev(8, 2)]);
    out.clear();
    rec.set_termination(Some(Termination::MaxOut));
    rec.signals(&state(n, &[(6, Aspect::Amber)]), &mut out);
    assert_eq!(out, [ev(9, 2), ev(10, 2), ev(5, 6), ev(7, 6), ev(8, 6)]);
    out.clear();
    // A controller that does not say: no reason written.
    rec.set_termination(None);
    rec.signals(&state(n, &[(4, Aspect::Green)]), &mut out);
    rec.signals(&state(n, &[(4, Aspect::Amber)]), &mut out);
    assert!(!out.iter().any(|e| (4..=6).contains(&e.code)), "{out:?}");
}

#[test]
fn a_plan_taking_effect_writes_its_pattern_cycle_and_offset() {
    let cycle = |cycle_s, offset_s| Some(PlanCycle { cycle_s, offset_s });
    let mut out = Vec::new();
    PlanChange {
        pattern: 3,
        cycle: cycle(120, 37),
    }
    .events(&mut out);
    assert_eq!(out, [ev(131, 3), ev(132, 120), ev(133, 37)]);
    out.clear();
    // Beyond 255 s: 132 says 255, 156 the rest.
    PlanChange {
        pattern: 1,
        cycle: cycle(300, 400),
    }
    .events(&mut out);
    assert_eq!(out, [ev(131, 1), ev(132, 255), ev(156, 45), ev(133, 255)]);
    out.clear();
    // A controller that keeps no cycle: the pattern alone.
    PlanChange {
        pattern: 7,
        cycle: None,
    }
    .events(&mut out);
    assert_eq!(out, [ev(131, 7)]);
}

#[test]
fn a_plan_is_logged_with_its_pattern_number_or_1() {
    let j1 = arterial_j1();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/plans/arterial-webster/J1.toml");
    let mut plan = greenwave_controllers::load::plan_for(&path, &j1.intersection).unwrap();
    assert_eq!(
        PlanChange::new(&plan, "adaptive"),
        PlanChange {
            pattern: 1,
            cycle: None
        }
    );
    plan.pattern = Some(12);
    let fixed = PlanChange::new(&plan, "fixed");
    assert_eq!(fixed.pattern, 12);
    assert_eq!(
        fixed.cycle,
        Some(PlanCycle {
            cycle_s: 120,
            offset_s: 0
        })
    );
}

#[test]
fn the_daemons_log_writes_every_plan_change_with_its_pattern() {
    let dir = std::env::temp_dir().join(format!("greenwave-eventlog-plan-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let j1 = arterial_j1();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/plans/arterial-webster/J1.toml");
    let mut plan = greenwave_controllers::load::plan_for(&path, &j1.intersection).unwrap();
    let at: Timestamp = "2026-06-02T16:00:00Z".parse().unwrap();
    let log_path = dir.join("J1-events.csv");
    let mut log = DailyLog::open(&log_path, &j1, LocalTime::utc(), at).unwrap();
    plan.pattern = Some(2);
    log.plan(at, &PlanChange::new(&plan, "fixed")).unwrap();
    // A schedule's next plan under adaptive control: its pattern alone.
    plan.pattern = Some(5);
    let later: Timestamp = "2026-06-02T18:30:00Z".parse().unwrap();
    log.plan(later, &PlanChange::new(&plan, "adaptive"))
        .unwrap();
    log.flush().unwrap();
    let text = std::fs::read_to_string(dir.join("J1-events-2026-06-02.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "2026-06-02 16:00:00.0,131,2",
            "2026-06-02 16:00:00.0,132,120",
            "2026-06-02 16:00:00.0,133,0",
            "2026-06-02 18:30:00.0,131,5",
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_day_file_that_cannot_be_opened_is_said_once_and_the_events_kept() {
    let dir = std::env::temp_dir().join(format!("greenwave-eventlog-full-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The next day's name is taken by a folder.
    std::fs::create_dir_all(dir.join("J1-events-2026-06-03.csv")).unwrap();
    let path = dir.join("J1-events.csv");
    let j1 = arterial_j1();
    let n = j1.intersection.groups().len();
    let det = vec![RawDetector::default(); j1.channels()];
    let evening: Timestamp = "2026-06-02T23:00:00Z".parse().unwrap();
    let night: Timestamp = "2026-06-03T00:00:01Z".parse().unwrap();
    let mut log = DailyLog::open(&path, &j1, LocalTime::utc(), evening).unwrap();
    log.observe(evening, &state(n, &[]), &det).unwrap();
    let err = log.observe(night, &state(n, &[(2, Aspect::Green)]), &det);
    assert!(err.is_err(), "the failed rotation is said");
    log.observe(night, &state(n, &[(2, Aspect::Amber)]), &det)
        .expect("said once");
    log.flush().unwrap();
    let day1 = std::fs::read_to_string(dir.join("J1-events-2026-06-02.csv")).unwrap();
    assert_eq!(day1.lines().count(), 4, "green and amber kept: {day1}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_us_walk_ends_its_clearance_with_the_flashing_dont_walk() {
    let j1 = site("config/corridors/arterial-4-peds.toml", "J1");
    let ix = j1.intersection.clone();
    let n = ix.groups().len();
    let p4 = phase_number(ix.group_by_id("P4").unwrap().get());
    let mut rec = Recorder::new(&j1);
    let mut out = Vec::new();
    rec.signals(&state(n, &[]), &mut out);
    rec.signals(
        &state(n, &[(4, Aspect::Green), (p4, Aspect::Green)]),
        &mut out,
    );
    out.clear();
    rec.signals(
        &state(n, &[(4, Aspect::Green), (p4, Aspect::FlashingDontWalk)]),
        &mut out,
    );
    assert_eq!(out, [ev(22, p4)]);
    out.clear();
    rec.signals(&state(n, &[(4, Aspect::Green)]), &mut out);
    assert_eq!(out, [ev(23, p4)], "solid don't walk when the flashing ends");
}
