//! `greenwave report` end to end: before/after from simulated logs, bad lines skipped and named,
//! and exit code 2 only when nothing usable is left.
#![cfg(feature = "sim")]

mod common;
use common::{greenwave, stderr};

use std::path::{Path, PathBuf};

fn fresh_dir(name: &str) -> PathBuf {
    let dir = common::fresh_dir(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Simulates 15 minutes of the arterial peak under `controller`, logs into `dir`.
fn simulate(dir: &Path, controller: &str) -> Vec<String> {
    let out = greenwave(&[
        "sim",
        "config/scenarios/arterial-peak.toml",
        "--controller",
        controller,
        "--duration",
        "900",
        "--event-log",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    ["J1", "J2", "J3", "J4"]
        .iter()
        .map(|s| dir.join(format!("{s}.csv")).display().to_string())
        .collect()
}

#[test]
fn before_and_after_side_by_side_for_every_intersection() {
    let dir = fresh_dir("report-before-after");
    let before = simulate(&dir.join("fixed"), "fixed");
    let after = simulate(&dir.join("actuated"), "actuated");
    let out_dir = dir.join("report");
    let mut args = vec!["report"];
    args.extend(after.iter().map(String::as_str));
    args.extend(["--corridor", "config/corridors/arterial-4.toml", "--before"]);
    args.extend(before.iter().map(String::as_str));
    args.extend(["--out", out_dir.to_str().unwrap()]);
    let out = greenwave(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let index = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    // Sixteen approaches, each with before, after and change.
    assert_eq!(
        index.matches("<tr class=\"side\">").count(),
        8,
        "side streets shaded"
    );
    assert_eq!(index.matches("<td class=\"l\">arterial</td>").count(), 8);
    assert!(index.contains("mean wait s<br>before"));
    for site in ["J1", "J2", "J3", "J4"] {
        let page = std::fs::read_to_string(out_dir.join(format!("{site}.html"))).unwrap();
        assert_eq!(
            page.matches("<svg").count(),
            32,
            "{site}: a split monitor and a coordination diagram per phase, before and after"
        );
        assert!(!page.contains("<script"));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("measures.json")).unwrap()).unwrap();
    assert_eq!(json["after"].as_array().unwrap().len(), 4);
    assert_eq!(json["before"].as_array().unwrap().len(), 4);
    let phases = std::fs::read_to_string(out_dir.join("phases.csv")).unwrap();
    assert_eq!(phases.lines().count(), 1 + 2 * 4 * 8);
    // How greens ended, from the logs: force offs before (fixed time), gap outs after.
    let total = |set: &str, column: usize| -> u32 {
        (phases.lines())
            .filter(|l| l.starts_with(set))
            .map(|l| l.split(',').nth(column).unwrap().parse::<u32>().unwrap())
            .sum()
    };
    let (gap_outs, force_offs) = (5, 7);
    assert!(total("before", force_offs) > 0 && total("before", gap_outs) == 0);
    assert!(total("after", gap_outs) > 0 && total("after", force_offs) == 0);
    let approaches = std::fs::read_to_string(out_dir.join("approaches.csv")).unwrap();
    assert_eq!(approaches.lines().count(), 1 + 2 * 4 * 4);
}

#[test]
fn bad_lines_are_skipped_and_named_and_the_rest_is_reported() {
    let dir = fresh_dir("report-bad-lines");
    let logs = simulate(&dir.join("logs"), "fixed");
    let j1 = &logs[0];
    let mut text = std::fs::read_to_string(j1).unwrap();
    // An unknown code, a duplicate of the first line, a line from the past, a truncated end.
    text.push_str("2026-06-02 16:15:00.0,250,1\n");
    text.push_str("2026-06-02 16:15:00.0,82,1\n2026-06-02 16:15:00.0,82,1\n");
    text.push_str("2026-06-02 15:00:00.0,81,1\n");
    text.push_str("2026-06-02 16:15:0");
    std::fs::write(j1, &text).unwrap();
    let lines = text.lines().count();
    let out_dir = dir.join("report");
    let out = greenwave(&[
        "report",
        j1,
        &logs[1],
        "--corridor",
        "config/corridors/arterial-4.toml",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for (line, why) in [
        (lines - 4, "unknown event code 250"),
        (lines - 2, &*format!("duplicate of line {}", lines - 3)),
        (lines - 1, "out of order"),
        (lines, "truncated last line"),
    ] {
        let said = format!("J1.csv line {line}: skipped: {why}");
        assert!(err.contains(&said), "no `{said}` in:\n{err}");
    }
    let page = std::fs::read_to_string(out_dir.join("J1.html")).unwrap();
    assert!(page.contains("unknown event code 250"));
    assert!(out_dir.join("J2.html").exists());
    assert!(!out_dir.join("J3.html").exists(), "no log, no page");
}

/// `greenwave report` on `logs` for the arterial into `dir/report`, which must exit 2 and
/// write nothing: its standard error.
fn refused_report(dir: &std::path::Path, logs: &[&str]) -> String {
    let out_dir = dir.join("report");
    let mut args = vec!["report"];
    args.extend_from_slice(logs);
    args.extend([
        "--corridor",
        "config/corridors/arterial-4.toml",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let out = greenwave(&args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!out_dir.exists(), "nothing written: {err}");
    err
}

#[test]
fn nothing_usable_is_exit_code_2_with_the_reasons() {
    let dir = fresh_dir("report-nothing-usable");
    let garbage = dir.join("J1.csv");
    std::fs::write(&garbage, "not,a log\n2026-06-02 16:00:00.0,999,1\n").unwrap();
    let stranger = dir.join("K9.csv");
    std::fs::write(&stranger, "2026-06-02 16:00:00.0,1,1\n").unwrap();
    let err = refused_report(
        &dir,
        &[garbage.to_str().unwrap(), stranger.to_str().unwrap()],
    );
    assert!(
        err.contains("K9.csv: its name names no intersection"),
        "{err}"
    );
    assert!(
        err.contains("line 1: skipped: expected `timestamp,event code,parameter`, found 2 fields"),
        "{err}"
    );
    assert!(
        err.contains("line 2: skipped: unknown event code 999"),
        "{err}"
    );
    assert!(err.contains("nothing usable is left"), "{err}");
    assert!(!dir.join("report").exists());

    // A file that is not there (an unexpanded glob) is said missing, not misnamed; and a
    // usable set whose --before set is missing says which set is empty.
    let good = dir.join("J2.csv");
    std::fs::write(
        &good,
        "2026-06-02 16:00:06.0,1,2\n2026-06-02 16:00:30.0,8,2\n2026-06-02 16:00:34.0,10,2\n",
    )
    .unwrap();
    let glob = dir.join("nologs").join("*.csv");
    let err = refused_report(
        &dir,
        &[good.to_str().unwrap(), "--before", glob.to_str().unwrap()],
    );
    assert!(err.contains("*.csv: No such file"), "{err}");
    assert!(!err.contains("names no intersection"), "{err}");
    assert!(
        err.contains("nothing usable is left in the --before logs"),
        "{err}"
    );
    assert!(!dir.join("report").exists());
}

#[test]
fn an_invalid_corridor_is_exit_code_2() {
    let dir = fresh_dir("report-bad-corridor");
    let log = dir.join("J1.csv");
    std::fs::write(&log, "2026-06-02 16:00:00.0,1,1\n").unwrap();
    let out = greenwave(&[
        "report",
        log.to_str().unwrap(),
        "--corridor",
        "config/corridors/missing.toml",
        "--out",
        dir.join("report").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
}

#[test]
fn pedestrian_delay_from_a_crossing_with_push_buttons() {
    let dir = fresh_dir("report-pedestrians");
    let logs = dir.join("logs");
    let out = greenwave(&[
        "sim",
        "config/scenarios/eu-crossing-peds.toml",
        "--duration",
        "900",
        "--event-log",
        logs.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out_dir = dir.join("report");
    let out = greenwave(&[
        "report",
        logs.join("J1.csv").to_str().unwrap(),
        "--corridor",
        "config/corridors/eu-crossing.toml",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("measures.json")).unwrap()).unwrap();
    let peds = json["after"][0]["pedestrians"].as_array().unwrap();
    assert_eq!(peds.len(), 4, "four crossings: {peds:?}");
    for p in peds {
        assert!(p["calls"].as_u64().unwrap() > 0, "{p}");
        let delay = p["mean_delay_s"].as_f64().unwrap();
        // A fixed-time cycle of 70 s: no push waits longer than a cycle.
        assert!(
            delay > 0.0 && p["max_delay_s"].as_f64().unwrap() < 70.0,
            "{p}"
        );
    }
    let page = std::fs::read_to_string(out_dir.join("J1.html")).unwrap();
    assert!(page.contains("<h2>Pedestrians</h2>"));
}
