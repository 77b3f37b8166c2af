//! The central operations commands against a daemon over the embedded broker:
//! `plan publish` (active: 0, rejected: 1, no answer: 2), `mode set` and `ops watch`.
#![cfg(feature = "sim")]

mod support;

use std::process::{Command, Output};

use greenwave::mqtt::broker;

use support::root;

async fn greenwave(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_greenwave"))
            .args(&args)
            .current_dir(root())
            .output()
            .expect("greenwave runs")
    })
    .await
    .expect("joins")
}

/// Asserts the exit code (showing both outputs if it differs); returns stdout.
fn exits(out: &Output, code: i32) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_a_plan_set_a_mode_and_watch() {
    let broker = broker::start().expect("broker starts");
    let url = format!("mqtt://{broker}");
    let cabinets = support::arterial_cabinets(20.0, 1800.0).await;
    let config = support::paced_j1(cabinets.sites[0].address, 20.0, Some(&url));
    // Driving, and subscribed: a plan published from now on reaches it.
    let (stop, _view, daemon) = support::daemon_on_broker(config).await;

    // The plan J1 already runs: not newer, rejected, exit 1.
    let out = greenwave(args(&[
        "plan",
        "publish",
        "--broker",
        &url,
        "--site",
        "J1",
        "config/plans/arterial-webster/J1.toml",
    ]))
    .await;
    let stdout = exits(&out, 1);
    assert!(
        stdout.contains("\"result\":\"rejected\"") && stdout.contains("not newer"),
        "{stdout}"
    );

    // Version 2 of it: accepted, then active at a cycle boundary; exit 0.
    let v2 = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("J1-v2.toml");
    let text = std::fs::read_to_string(root().join("config/plans/arterial-webster/J1.toml"))
        .expect("reads")
        .replace("version = 1", "version = 2");
    std::fs::write(&v2, text).expect("writes");
    let out = greenwave(args(&[
        "plan",
        "publish",
        "--broker",
        &url,
        "--site",
        "J1",
        "--timeout",
        "30",
        v2.to_str().expect("utf-8"),
    ]))
    .await;
    let stdout = exits(&out, 0);
    assert!(stdout.contains("\"result\":\"accepted\""), "{stdout}");
    assert!(stdout.contains("\"result\":\"active\""), "{stdout}");

    // A mode.
    let out = greenwave(args(&[
        "mode", "set", "--broker", &url, "--site", "J1", "plan",
    ]))
    .await;
    let stdout = exits(&out, 0);
    assert!(stdout.contains("\"operator_mode\":\"plan\""), "{stdout}");

    // The watch table.
    let out = greenwave(args(&[
        "ops",
        "watch",
        "--broker",
        &url,
        "--once-after",
        "1.5",
    ]))
    .await;
    let stdout = exits(&out, 0);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("J1"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("yes") && line.contains("plan") && line.contains("v2"),
        "{line}"
    );

    // Nobody answers for J9: exit 2.
    let out = greenwave(args(&[
        "plan",
        "publish",
        "--broker",
        &url,
        "--site",
        "J9",
        "--timeout",
        "1",
        v2.to_str().expect("utf-8"),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(2));

    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_with_trusted_keys_takes_only_plans_signed_by_them() {
    let broker = broker::start().expect("broker starts");
    let url = format!("mqtt://{broker}");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("signing");
    let _ = std::fs::remove_dir_all(&dir);
    for name in ["ops", "stranger"] {
        let out = greenwave(args(&[
            "keygen",
            "--out",
            dir.join(name).to_str().expect("utf-8"),
        ]))
        .await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Not overwritten.
    let again = greenwave(args(&[
        "keygen",
        "--out",
        dir.join("ops").to_str().expect("utf-8"),
    ]))
    .await;
    assert_eq!(again.status.code(), Some(2));

    let cabinets = support::arterial_cabinets(20.0, 1800.0).await;
    let mut config = support::paced_j1(cabinets.sites[0].address, 20.0, Some(&url));
    config.trusted_keys = vec![greenwave::mqtt::signing::TrustedKey::new(
        greenwave::mqtt::signing::public_key(
            &std::fs::read_to_string(dir.join("ops.pub")).expect("reads"),
        )
        .expect("a key"),
    )];
    // Driving, and subscribed: a plan published from now on reaches it.
    let (stop, _view, daemon) = support::daemon_on_broker(config).await;

    let v2 = dir.join("J1-v2.toml");
    let text = std::fs::read_to_string(root().join("config/plans/arterial-webster/J1.toml"))
        .expect("reads")
        .replace("version = 1", "version = 2");
    std::fs::write(&v2, text).expect("writes");
    let publish = |key: Option<&str>| {
        let mut a = args(&[
            "plan",
            "publish",
            "--broker",
            &url,
            "--site",
            "J1",
            "--timeout",
            "30",
        ]);
        if let Some(key) = key {
            a.push("--sign".into());
            a.push(dir.join(key).to_str().expect("utf-8").to_owned());
        }
        a.push(v2.to_str().expect("utf-8").to_owned());
        a
    };
    let out = greenwave(publish(None)).await;
    let stdout = exits(&out, 1);
    assert!(stdout.contains("unsigned"), "{stdout}");

    let out = greenwave(publish(Some("stranger.key"))).await;
    let stdout = exits(&out, 1);
    assert!(stdout.contains("does not verify"), "{stdout}");

    let out = greenwave(publish(Some("ops.key"))).await;
    let stdout = exits(&out, 0);
    assert!(stdout.contains("\"result\":\"accepted\""), "{stdout}");

    // `plan sign` prints the signed payload.
    let out = greenwave(args(&[
        "plan",
        "sign",
        "--key",
        dir.join("ops.key").to_str().expect("utf-8"),
        "--site",
        "J1",
        "--valid-for",
        "1h",
        v2.to_str().expect("utf-8"),
    ]))
    .await;
    let signed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(signed["signature"]["signature"].is_string(), "{signed}");

    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
}
