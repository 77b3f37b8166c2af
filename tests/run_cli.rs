//! `greenwave run` as a process, as deployed: it takes over a virtual cabinet, writes the
//! Indiana event log and JSON logs, and on SIGTERM hands the cabinet back and exits 0.
#![cfg(feature = "sim")]
#![cfg(unix)]

mod support;

use std::process::{Command, Stdio};

use greenwave::cabinet::registers::address;
use greenwave::fieldio::poller::request;

use support::{eventually, root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_process_drives_logs_and_hands_back_on_sigterm() {
    let cabinets = support::arterial_cabinets(10.0, 900.0).await;
    // A file a day: J1-events-YYYY-MM-DD.csv in this folder.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("run-cli-events");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let events = dir.join("J1-events.csv");
    let child = Command::new(env!("CARGO_BIN_EXE_greenwave"))
        .args(["run", "--config", "config/cabinets/J1.toml"])
        .current_dir(root())
        .env(
            "GREENWAVE__CABINET__ADDRESS",
            cabinets.sites[0].address.to_string(),
        )
        .env("GREENWAVE__CONTROL__CLOCK", "cabinet")
        .env("GREENWAVE__CONTROL__TICK_HZ", "100")
        .env("GREENWAVE__CABINET__WATCHDOG_S", "0.1")
        .env("GREENWAVE__LOG__FORMAT", "json")
        .env("GREENWAVE__LOG__EVENT_LOG", &events)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("greenwave starts");

    let bank = cabinets.sites[0].bank.clone();
    let status = || bank.lock().header[usize::from(address::CABINET_STATUS)];
    eventually("the daemon takes over", || status() & 1 == 0).await;
    let mut states = std::collections::BTreeSet::new();
    eventually("the daemon changes the signals", || {
        states.insert(bank.lock().shown.clone());
        states.len() >= 3
    })
    .await;

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("joins")
        .expect("waits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(bank.lock().control_request, request::LOCAL, "handed back");
    eventually("the cabinet runs locally", || status() & 1 == 1).await;

    // JSON logs, one object per line.
    let first = stderr.lines().next().expect("a log line");
    let line: serde_json::Value = serde_json::from_str(first).expect("JSON log line");
    assert_eq!(line["level"], "INFO");
    // The event log: phase begin green (1) and detector on (82) lines, `timestamp,code,param`.
    let mut days: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    days.sort();
    assert!(!days.is_empty(), "event log written");
    for day in &days {
        let name = day.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("J1-events-20") && name.ends_with(".csv"),
            "{name}"
        );
    }
    let log: String = days
        .iter()
        .map(|d| std::fs::read_to_string(d).unwrap())
        .collect();
    let codes: Vec<u16> = log
        .lines()
        .map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            assert_eq!(fields.len(), 3, "{l}");
            fields[1].parse().expect("a code")
        })
        .collect();
    assert!(codes.contains(&1) && codes.contains(&82), "{log}");
}
