//! `greenwave sim --event-log` and `greenwave atspm detectors` end to end: the files written,
//! local time across a daylight-saving change, and bad input.
#![cfg(feature = "sim")]

mod common;
use common::{fresh_dir, greenwave, stderr};

#[test]
fn sim_writes_one_log_per_intersection_in_local_time_across_a_clock_change() {
    let dir = fresh_dir("event-log-dst");
    let dir_arg = dir.to_str().unwrap();
    // Chicago springs forward at 02:00 on 2026-03-08: five minutes from 01:58 end at 03:03.
    let out = greenwave(&[
        "sim",
        "config/scenarios/arterial-peak.toml",
        "--duration",
        "300",
        "--event-log",
        dir_arg,
        "--start",
        "2026-03-08T01:58:00",
        "--time-zone",
        "America/Chicago",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for site in ["J1", "J2", "J3", "J4"] {
        let text = std::fs::read_to_string(dir.join(format!("{site}.csv"))).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 100, "{site}: {} lines", lines.len());
        assert!(lines[0].starts_with("2026-03-08 01:5"), "{}", lines[0]);
        // The fixed-time plan in force from the start: its pattern (1: the plans have no
        // number), cycle 120 s, then its offset.
        assert!(lines[0].ends_with(",131,1"), "{}", lines[0]);
        assert!(lines[1].ends_with(",132,120"), "{}", lines[1]);
        assert!(lines[2].split(',').nth(1) == Some("133"), "{}", lines[2]);
        let last = lines.last().unwrap();
        assert!(last.starts_with("2026-03-08 03:0"), "{last}");
        assert!(
            !text.contains(" 02:"),
            "{site}: a time that does not exist in Chicago"
        );
        // Fixed time: every green ends in a force off (6) before its green termination (7).
        let code = |c: &str| {
            lines
                .iter()
                .filter(|l| l.split(',').nth(1) == Some(c))
                .count()
        };
        assert!(
            code("6") > 0 && code("6") == code("7"),
            "{site}: force offs"
        );
        for line in &lines {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 3, "{line}");
            assert_eq!(fields[0].len(), "2026-03-08 01:58:00.0".len(), "{line}");
            let code: u16 = fields[1].parse().unwrap();
            assert!(greenwave::eventlog::code::WRITTEN.contains(&code), "{line}");
            let _: u16 = fields[2].parse().unwrap();
        }
    }
}

#[test]
fn sim_refuses_an_unknown_time_zone_before_simulating() {
    let dir = fresh_dir("event-log-bad-zone");
    let out = greenwave(&[
        "sim",
        "config/scenarios/arterial-peak.toml",
        "--event-log",
        dir.to_str().unwrap(),
        "--time-zone",
        "Mars/Olympus",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--time-zone: `Mars/Olympus` is not an IANA time zone"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.exists(), "nothing written");
}

#[test]
fn atspm_detectors_lists_every_loop_with_its_phase_and_function() {
    let out = greenwave(&["atspm", "detectors", "config/corridors/arterial-4.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "DeviceId,Phase,Parameter,Function,DistanceFromStopBar_m,Approach,Lane,Detector"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // Four intersections of ten approach lanes (three on each arterial approach, two on each
    // side street), each lane with a stop-bar loop, an advance loop 40 m upstream and an
    // advance count loop 120 m upstream, each for one phase. Arrivals are counted on the count
    // loops (`Advance`); the controllers' advance loops beside them are `AdvancePresence`.
    assert_eq!(rows.len(), 120);
    let function = |f: &str, m: &str| rows.iter().filter(|r| r[3] == f && r[4] == m).count();
    assert_eq!(function("Advance", "120"), 40);
    assert_eq!(function("AdvancePresence", "40"), 40);
    assert_eq!(function("Presence", "0"), 40);
    let j1_phase_2: Vec<&str> = rows
        .iter()
        .filter(|r| r[0] == "J1" && r[1] == "2")
        .map(|r| r[7])
        .collect();
    assert!(
        j1_phase_2.iter().all(|d| d.starts_with("J1-eb-")) && j1_phase_2.len() == 6,
        "J1's phase 2 is eastbound through and right: {j1_phase_2:?}"
    );
}

#[test]
fn atspm_detectors_says_what_is_wrong_with_a_corridor() {
    let out = greenwave(&["atspm", "detectors", "config/corridors/missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
}

#[test]
fn sim_logs_preemption_and_transit_priority_with_their_indiana_codes() {
    let mut checked = 0;
    for (scenario, duration, wanted) in [
        (
            "config/scenarios/arterial-peak-peds-ev.toml",
            "1200",
            &["102", "105", "107", "104", "111"][..],
        ),
        (
            "config/scenarios/arterial-peak-transit.toml",
            "900",
            &["112", "115"][..],
        ),
    ] {
        let dir = fresh_dir(&format!("event-log-{duration}"));
        let out = greenwave(&[
            "sim",
            scenario,
            "--controller",
            "actuated",
            "--duration",
            duration,
            "--event-log",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let mut codes = std::collections::BTreeSet::new();
        for site in ["J1", "J2", "J3", "J4"] {
            let text = std::fs::read_to_string(dir.join(format!("{site}.csv"))).unwrap();
            for line in text.lines() {
                let code = line.split(',').nth(1).unwrap().to_owned();
                let param: u16 = line.split(',').nth(2).unwrap().parse().unwrap();
                if ["102", "104", "105", "107", "110", "111"].contains(&code.as_str()) {
                    assert!((1..=4).contains(&param), "preempt number: {line}");
                }
                codes.insert(code);
            }
        }
        for w in wanted {
            assert!(codes.contains(*w), "{scenario}: no event {w} in {codes:?}");
            checked += 1;
        }
        if scenario.contains("transit") {
            assert!(
                codes.contains("113") || codes.contains("114"),
                "no early green or extension: {codes:?}"
            );
        }
    }
    assert_eq!(checked, 7);
}
