//! The daemon's MQTT link against mosquitto (plain, on a loopback port): a broker restart is
//! survived (status republished, subscriptions renewed), and a killed daemon's last will marks
//! it offline. Needs `mosquitto` on the PATH (`.ci/run` installs it).
#![cfg(feature = "sim")]

mod support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use rumqttc::MqttOptions;
use tokio::sync::watch;

use greenwave::daemon::run::{self, SiteView};
use greenwave::mqtt::payload::{OperatorMode, Status};

use support::{Messages, Mosquitto, eventually, free_address, root};

/// Every `status` of J1 seen so far by a watcher that reconnects by itself.
async fn watch_status(address: SocketAddr) -> Messages {
    let mut options = MqttOptions::new("watcher", address.ip().to_string(), address.port());
    options.set_keep_alive(Duration::from_secs(5));
    support::subscribe(options, "greenwave/v1/J1/status")
        .await
        .1
}

fn statuses(seen: &Messages) -> Vec<Status> {
    support::on_topic(seen, "greenwave/v1/J1/status")
        .iter()
        .filter_map(|p| serde_json::from_slice(p).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_is_survived_with_status_and_subscriptions_renewed() {
    let address = free_address();
    let broker = Mosquitto::start(address);
    let seen = watch_status(address).await;
    let cabinets = support::arterial_cabinets(20.0, 1800.0).await;
    let url = format!("mqtt://{address}");
    let config = support::paced_j1(cabinets.sites[0].address, 20.0, Some(&url));
    let (stop, stop_rx) = watch::channel(false);
    let (view_tx, view) = watch::channel(SiteView::default());
    let daemon = tokio::spawn(run::run(config, stop_rx, Some(view_tx)));
    eventually("J1 drives and says so", || {
        statuses(&seen)
            .iter()
            .any(|s| s.online && s.mode == "driving")
    })
    .await;

    // The broker goes away (keeping nothing) and comes back on the same port.
    drop(broker);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        view.borrow().mode,
        "driving",
        "control goes on without the broker"
    );
    let before = statuses(&seen).len();
    let _broker = Mosquitto::start(address);
    eventually("J1 republishes its status and subscribes again", || {
        statuses(&seen)[before..].iter().any(|s| s.online) && view.borrow().broker_up
    })
    .await;
    // Its subscriptions were renewed: a mode reaches it.
    support::mqtt_publish(
        address,
        "ops-test",
        "greenwave/v1/J1/mode/set",
        r#"{"site":"J1","ts":"2026-11-25T18:00:00Z","mode":"plan"}"#
            .as_bytes()
            .to_vec(),
    )
    .await;
    eventually("J1 takes the mode", || {
        statuses(&seen)
            .iter()
            .any(|s| s.operator_mode == OperatorMode::Plan)
    })
    .await;
    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_daemon_is_marked_offline_by_its_last_will() {
    let address = free_address();
    let _broker = Mosquitto::start(address);
    let seen = watch_status(address).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_greenwave"))
        .args(["run", "--config", "config/cabinets/J1.toml"])
        .current_dir(root())
        // No cabinet answers: the daemon still reports over MQTT.
        .env("GREENWAVE__CABINET__ADDRESS", "127.0.0.1:9")
        .env("GREENWAVE__MQTT__BROKER", format!("mqtt://{address}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("greenwave starts");
    eventually("J1 online", || statuses(&seen).iter().any(|s| s.online)).await;
    child.kill().expect("killed");
    let _ = child.wait();
    eventually("the last will says J1 is offline", || {
        statuses(&seen)
            .last()
            .is_some_and(|s| !s.online && s.mode == "offline")
    })
    .await;
}
