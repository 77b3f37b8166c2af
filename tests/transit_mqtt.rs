//! Requests over MQTT that move the signals: a bus's priority request from AVL and an
//! emergency vehicle's preemption call from dispatch, taken by a daemon driving a virtual
//! cabinet through the embedded broker, under actuated control (priority by rule) and under
//! adaptive control (a bus weighed by its load); bad requests refused with the reason on
//! `events`; the cabinet's conflict monitor never trips.
#![cfg(feature = "sim")]

mod support;

use rumqttc::MqttOptions;

use greenwave::daemon::spat::{MovementState, Spat};
use greenwave::daemon::telemetry::Telemetry;
use greenwave::mqtt::broker;
use greenwave::mqtt::payload::{EventKind, EventMsg};

use support::{arterial_cabinets, eventually, paced_j1_with};

const SPEED: f64 = 10.0;

/// J1's daemon on the embedded broker, driving the arterial's virtual cabinets, and a client
/// that keeps everything the site publishes.
struct Site {
    broker: std::net::SocketAddr,
    seen: support::Messages,
    cabinets: greenwave::cabinet::VirtualCabinets,
    stop: tokio::sync::watch::Sender<bool>,
    daemon: tokio::task::JoinHandle<anyhow::Result<greenwave::daemon::run::RunReport>>,
}

/// J1 under the controller `kind`.
async fn j1_under(kind: &str) -> Site {
    let broker = broker::start().expect("broker starts");
    let options = MqttOptions::new("watcher", broker.ip().to_string(), broker.port());
    let seen = support::subscribe(options, "greenwave/v1/#").await.1;
    let cabinets = arterial_cabinets(SPEED, 3600.0).await;
    let url = format!("mqtt://{broker}");
    let config = paced_j1_with(
        cabinets.sites[0].address,
        SPEED,
        Some(&url),
        &[("GREENWAVE__CONTROLLER__KIND", kind)],
    );
    let (stop, _view, daemon) = support::daemon_on_broker(config).await;
    Site {
        broker,
        seen,
        cabinets,
        stop,
        daemon,
    }
}

fn events(seen: &support::Messages) -> Vec<EventMsg> {
    support::on_topic(seen, "greenwave/v1/J1/events")
        .iter()
        .filter_map(|p| serde_json::from_slice(p).ok())
        .collect()
}

fn has(seen: &support::Messages, kind: EventKind, text: &str) -> bool {
    events(seen)
        .iter()
        .any(|e| e.kind == kind && e.message.contains(text))
}

/// The groups of the latest SPaT: (id, aspect).
fn latest_spat(seen: &support::Messages) -> Vec<MovementState> {
    support::on_topic(seen, "greenwave/v1/J1/spat")
        .iter()
        .rev()
        .find_map(|p| serde_json::from_slice::<Spat>(p).ok())
        .map(|s| s.groups)
        .unwrap_or_default()
}

/// Whether the latest SPaT shows group `id` green.
fn green(seen: &support::Messages, id: &str) -> bool {
    latest_spat(seen)
        .iter()
        .any(|g| g.group == id && g.aspect == "green")
}

fn now_ts() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_and_preemption_requests_over_mqtt_move_the_signals_safely() {
    // Actuated control: its transit priority brings a bus's green forward by rule (the adaptive
    // controller weighs a bus against the cars itself, `control/adaptive/bus_first.rs`).
    let j1 = j1_under("actuated").await;
    let (broker, seen) = (j1.broker, j1.seen.clone());

    let priority = "greenwave/v1/J1/priority/request";
    let bus = |site: &str, approach: &str, extra: &str| {
        format!(
            r#"{{"site":"{site}","ts":"{}","vehicle":"bus 7","approach":"{approach}","route":"12"{extra}}}"#,
            now_ts()
        )
        .into_bytes()
    };
    support::mqtt_publish(
        broker,
        "avl-1",
        priority,
        bus("J1", "eb", r#","eta_s":15,"lateness_s":90,"occupancy":44"#),
    )
    .await;
    eventually("the bus checks in", || {
        has(&seen, EventKind::Priority, "bus 7 checked in from eb")
    })
    .await;
    eventually("its green is held or brought forward", || {
        has(&seen, EventKind::Priority, "early green for a bus from eb")
            || has(&seen, EventKind::Priority, "green held for a bus from eb")
    })
    .await;
    let cancel = format!(
        r#"{{"site":"J1","ts":"{}","vehicle":"bus 7","approach":"eb","action":"cancel"}}"#,
        now_ts()
    );
    support::mqtt_publish(broker, "avl-2", priority, cancel.into_bytes()).await;
    eventually("the bus checks out", || {
        has(&seen, EventKind::Priority, "bus 7 checked out from eb")
    })
    .await;

    // Bad requests: each refused with its reason, nothing else disturbed.
    let bad: [(Vec<u8>, &str); 5] = [
        (b"{not json".to_vec(), "priority/request rejected"),
        (bus("J2", "eb", r#","eta_s":15"#), "names site J2, not J1"),
        (
            bus("J1", "xb", r#","eta_s":15"#),
            "no signal group serves approach `xb`",
        ),
        (bus("J1", "eb", ""), "a request needs eta_s"),
        (
            bus("J1", "eb", r#","eta_s":15,"occupancy":900"#),
            "occupancy 900 is out of range",
        ),
    ];
    let mut refused = 0;
    for (k, (payload, reason)) in bad.into_iter().enumerate() {
        support::mqtt_publish(broker, &format!("avl-bad-{k}"), priority, payload).await;
        eventually(&format!("refused: {reason}"), || {
            has(&seen, EventKind::Priority, reason)
        })
        .await;
        refused += 1;
    }
    assert_eq!(refused, 5);

    // A dispatcher's preemption call for a northbound vehicle, then its end.
    let preempt = "greenwave/v1/J1/preempt/request";
    let call = |action: &str| {
        format!(
            r#"{{"site":"J1","ts":"{}","approach":"nb","action":"{action}"}}"#,
            now_ts()
        )
        .into_bytes()
    };
    support::mqtt_publish(broker, "dispatch-1", preempt, call("request")).await;
    eventually("the call takes the signals", || {
        has(
            &seen,
            EventKind::Preemption,
            "preemption for an emergency vehicle from nb: stage 4+7",
        )
    })
    .await;
    eventually("nb green after the call", || {
        has(&seen, EventKind::Preemption, "preemption: nb green")
    })
    .await;
    eventually("SPaT says a preemption holds the signals", || {
        support::on_topic(&seen, "greenwave/v1/J1/spat")
            .iter()
            .filter_map(|p| serde_json::from_slice::<Spat>(p).ok())
            .any(|s| s.preemption_active)
    })
    .await;
    support::mqtt_publish(broker, "dispatch-2", preempt, call("cancel")).await;
    eventually("the call ends", || {
        has(&seen, EventKind::Preemption, "preemption from nb ended")
    })
    .await;

    eventually("telemetry counts the bus and the preemption", || {
        support::on_topic(&seen, "greenwave/v1/J1/telemetry")
            .iter()
            .filter_map(|p| serde_json::from_slice::<Telemetry>(p).ok())
            .any(|t| {
                t.priority.check_ins >= 1 && t.priority.preemptions >= 1 && t.priority.refused >= 1
            })
    })
    .await;
    support::stop_safely(j1.stop, j1.daemon, j1.cabinets).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_adaptive_control_a_full_late_bus_requested_over_mqtt_has_its_green_brought_forward()
{
    let j1 = j1_under("adaptive").await;
    let (broker, seen) = (j1.broker, j1.seen.clone());

    // A northbound bus (phase 4, in 4+8) asks while the arterial's 2+6 runs, which the
    // controller would otherwise hold for the arterial's traffic. With 80 people on board, 2
    // minutes late and due in 8 s, the bus's stage is brought forward; a bus asks each cycle
    // until one is.
    let priority = "greenwave/v1/J1/priority/request";
    let request = |bus: usize, action: &str, extra: &str| {
        format!(
            r#"{{"site":"J1","ts":"{}","vehicle":"bus {bus}","approach":"nb","route":"12","action":"{action}"{extra}}}"#,
            now_ts()
        )
        .into_bytes()
    };
    let early =
        |seen: &support::Messages| has(seen, EventKind::Priority, "early green for a bus from nb");
    let mut buses = 0;
    for bus in 1..=5 {
        eventually("2+6 runs", || green(&seen, "2") && !green(&seen, "4")).await;
        let full = r#","eta_s":8,"lateness_s":120,"occupancy":80"#;
        support::mqtt_publish(
            broker,
            &format!("avl-{bus}"),
            priority,
            request(bus, "request", full),
        )
        .await;
        buses += 1;
        let checked_in = format!("bus {bus} checked in from nb");
        eventually("the bus checks in", || {
            has(&seen, EventKind::Priority, &checked_in)
        })
        .await;
        eventually("the bus's green comes", || green(&seen, "4")).await;
        support::mqtt_publish(
            broker,
            &format!("avl-{bus}-out"),
            priority,
            request(bus, "cancel", ""),
        )
        .await;
        let checked_out = format!("bus {bus} checked out from nb");
        eventually("the bus checks out", || {
            has(&seen, EventKind::Priority, &checked_out)
        })
        .await;
        if early(&seen) {
            break;
        }
    }
    assert!(buses > 0);
    assert!(
        early(&seen),
        "none of {buses} full, late buses had its green brought forward"
    );
    eventually("telemetry counts the early green", || {
        support::on_topic(&seen, "greenwave/v1/J1/telemetry")
            .iter()
            .filter_map(|p| serde_json::from_slice::<Telemetry>(p).ok())
            .any(|t| t.priority.check_ins >= 1 && t.priority.early_greens >= 1)
    })
    .await;
    support::stop_safely(j1.stop, j1.daemon, j1.cabinets).await;
}
