//! The daemons' MQTT link against the embedded broker (rumqttd): retained status, two daemons
//! exchanging outflow forecasts, and a clean offline status when a daemon stops.
#![cfg(feature = "sim")]

mod support;

use rumqttc::MqttOptions;
use tokio::sync::watch;

use greenwave::cabinet::{CabinetOptions, VirtualCabinets};
use greenwave::daemon::config::DaemonConfig;
use greenwave::daemon::run::{self, SiteView};
use greenwave::daemon::spat::Spat;
use greenwave::daemon::telemetry::Telemetry;
use greenwave::mqtt::broker;
use greenwave::mqtt::payload::{
    OperatorMode, OutflowMsg, PlanAck, PlanResult, PlanSet, ScheduleEntry, ScheduleSpec, Status,
};
use greenwave_controllers::plan::PlanSpec;
use greenwave_sim::Scenario;

use support::{eventually, root};

const SPEED: f64 = 20.0;

fn config(site: &str, cabinet: std::net::SocketAddr, broker: std::net::SocketAddr) -> DaemonConfig {
    let env = [
        ("GREENWAVE__CABINET__ADDRESS", cabinet.to_string()),
        ("GREENWAVE__CONTROL__CLOCK", "cabinet".into()),
        ("GREENWAVE__CONTROL__TICK_HZ", (10.0 * SPEED).to_string()),
        ("GREENWAVE__CABINET__WATCHDOG_S", (1.0 / SPEED).to_string()),
        ("GREENWAVE__MQTT__BROKER", format!("mqtt://{broker}")),
        ("GREENWAVE__MQTT__TELEMETRY_INTERVAL_S", "5".into()),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    DaemonConfig::load_with(&root().join(format!("config/cabinets/{site}.toml")), env)
        .expect("loads")
}

type Seen = support::Messages;

/// Every message on `greenwave/v1/#`, in order.
async fn watch_broker(broker: std::net::SocketAddr) -> Seen {
    watch_broker_as(broker, "test-watcher").await
}

async fn watch_broker_as(broker: std::net::SocketAddr, id: &str) -> Seen {
    let options = MqttOptions::new(id, broker.ip().to_string(), broker.port());
    support::subscribe(options, "greenwave/v1/#").await.1
}

fn latest(seen: &Seen, topic: &str) -> Option<Vec<u8>> {
    support::on_topic(seen, topic).pop()
}

fn status(seen: &Seen, site: &str) -> Option<Status> {
    serde_json::from_slice(&latest(seen, &format!("greenwave/v1/{site}/status"))?).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neighbours_exchange_outflow_forecasts_and_status_is_kept_retained() {
    let broker = broker::start().expect("broker starts");
    let seen = watch_broker(broker).await;
    let scenario =
        Scenario::load(&root().join("config/scenarios/arterial-peak.toml")).expect("loads");
    let options = CabinetOptions {
        speed: SPEED,
        duration: Some(900.0),
        ..CabinetOptions::default()
    };
    let cabinets = VirtualCabinets::start(&scenario, &options)
        .await
        .expect("cabinets");
    let (stop, stop_rx) = watch::channel(false);
    let mut views = Vec::new();
    let mut tasks = Vec::new();
    for site in &cabinets.sites[..2] {
        let (tx, rx) = watch::channel(SiteView::default());
        tasks.push(tokio::spawn(run::run(
            config(&site.id, site.address, broker),
            stop_rx.clone(),
            Some(tx),
        )));
        views.push(rx);
    }
    // J1 sends traffic to J2 and J2 to J1: each uses the other's forecast.
    eventually("J2 uses J1's forecast", || {
        views[1].borrow().heard == ["J1"]
    })
    .await;
    eventually("J1 uses J2's forecast", || {
        views[0].borrow().heard == ["J2"]
    })
    .await;
    eventually("J1's status says it drives", || {
        status(&seen, "J1").is_some_and(|s| s.online && s.mode == "driving")
    })
    .await;
    let j1_outflow = || -> Option<OutflowMsg> {
        serde_json::from_slice(&latest(&seen, "greenwave/v1/J1/outflow")?).ok()
    };
    eventually("J1 forecasts departures towards J2", || {
        j1_outflow().is_some_and(|o| {
            o.by_link
                .get("J1->J2")
                .is_some_and(|d| d.iter().sum::<f64>() > 0.0)
        })
    })
    .await;
    let outflow = j1_outflow().expect("an outflow");
    assert_eq!(outflow.clock, "cabinet");
    assert_eq!(outflow.bin_s, 1.0);

    // SPaT and telemetry.
    eventually("J1's SPaT shows a bounded green", || {
        latest(&seen, "greenwave/v1/J1/spat")
            .and_then(|b| serde_json::from_slice::<Spat>(&b).ok())
            .is_some_and(|spat| {
                spat.groups.len() == 8
                    && spat
                        .groups
                        .iter()
                        .any(|m| m.state == "protected-Movement-Allowed" && m.max_end_s.is_some())
            })
    })
    .await;
    eventually("J2's telemetry counts vehicles", || {
        latest(&seen, "greenwave/v1/J2/telemetry")
            .and_then(|b| serde_json::from_slice::<Telemetry>(&b).ok())
            .is_some_and(|t| {
                t.interval_s >= 5.0
                    && t.detectors.len() == 30
                    && t.detectors.iter().map(|d| d.count).sum::<u32>() > 0
            })
    })
    .await;

    // A late subscriber still gets the retained status.
    let late = watch_broker_as(broker, "late-watcher").await;
    eventually("a late subscriber sees J2's status", || {
        status(&late, "J2").is_some()
    })
    .await;

    // Stopping: the daemons say they are offline.
    stop.send_replace(true);
    for t in tasks {
        t.await.expect("joins").expect("runs");
    }
    eventually("J1 is offline", || {
        status(&seen, "J1").is_some_and(|s| !s.online && s.mode == "offline")
    })
    .await;
}

fn acks(seen: &Seen) -> Vec<PlanAck> {
    support::on_topic(seen, "greenwave/v1/J1/plan/ack")
        .iter()
        .map(|b| serde_json::from_slice(b).expect("an ack"))
        .collect()
}

fn plan_set(version: u32, tweak: impl FnOnce(&mut PlanSpec)) -> Vec<u8> {
    let text = std::fs::read_to_string(root().join("config/plans/arterial-webster/J1.toml"))
        .expect("plan reads");
    let mut plan: PlanSpec = toml::from_str(&text).expect("plan parses");
    plan.intersection = None;
    plan.version = version;
    tweak(&mut plan);
    serde_json::to_vec(&PlanSet {
        site: "J1".into(),
        ts: "2026-11-25T18:00:00.000Z".into(),
        plan: Some(plan),
        schedule: None,
        signature: None,
    })
    .expect("serialises")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_and_modes_from_central_operations_over_rumqttd() {
    plans_and_modes(broker::start().expect("broker starts")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_and_modes_from_central_operations_over_mosquitto() {
    let address = support::free_address();
    let _broker = support::Mosquitto::start(address);
    plans_and_modes(address).await;
}

/// Plans (good, bad, a schedule) and modes through `broker`, with acknowledgements, status,
/// persistence and the cabinet handed back and taken over again.
async fn plans_and_modes(broker: std::net::SocketAddr) {
    let seen = watch_broker(broker).await;
    let scenario =
        Scenario::load(&root().join("config/scenarios/arterial-peak.toml")).expect("loads");
    let options = CabinetOptions {
        speed: SPEED,
        duration: Some(1800.0),
        ..CabinetOptions::default()
    };
    let cabinets = VirtualCabinets::start(&scenario, &options)
        .await
        .expect("cabinets");
    let state = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("plans-and-modes-{}", broker.port()));
    let _ = std::fs::remove_dir_all(&state);
    let mut config = config("J1", cabinets.sites[0].address, broker);
    config.state_dir = Some(state.clone());
    let restarted = config.clone();
    let (stop, stop_rx) = watch::channel(false);
    let (view_tx, view) = watch::channel(SiteView::default());
    let daemon = tokio::spawn(run::run(config, stop_rx, Some(view_tx)));
    // Driving, and subscribed: a plan published from now on reaches it.
    eventually("J1 drives, subscribed", || {
        let v = view.borrow();
        v.mode == "driving" && v.broker_up
    })
    .await;
    let topic = "greenwave/v1/J1/plan/set";

    // A good plan, version 2: accepted, then active at a cycle boundary, and kept on disk.
    support::mqtt_publish(broker, "ops-1", topic, plan_set(2, |_| {})).await;
    eventually("accepted then active", || {
        let results: Vec<PlanResult> = acks(&seen).iter().map(|a| a.result).collect();
        results == [PlanResult::Accepted, PlanResult::Active]
    })
    .await;
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("J1.orders.json")).expect("kept"))
            .expect("JSON");
    let message: PlanSet =
        serde_json::from_str(kept["plan_message"].as_str().expect("the message kept"))
            .expect("a plan/set");
    assert_eq!(message.plan.expect("a plan").version, 2);
    assert_eq!(kept["newest"]["webster-J1"], 2);
    eventually("the status names the plan", || {
        status(&seen, "J1").is_some_and(|s| s.plan_version == Some(2))
    })
    .await;

    // Bad ones: each rejected with its reason; the plan in force stays.
    let bad: [(Vec<u8>, &str); 4] = [
        (b"{not json".to_vec(), "malformed plan/set"),
        (plan_set(3, |p| p.cycle_s += 7.0), "cycle"),
        (
            plan_set(3, |p| {
                p.stages[1].green_s += p.stages[0].green_s - 1.0;
                p.stages[0].green_s = 1.0;
            }),
            "green 1 s is outside its bounds (7 s",
        ),
        (plan_set(1, |_| {}), "older than v2 of webster-J1"),
    ];
    for (k, (payload, reason)) in bad.into_iter().enumerate() {
        support::mqtt_publish(broker, &format!("ops-bad-{k}"), topic, payload).await;
        eventually(&format!("rejected: {reason}"), || {
            acks(&seen).last().is_some_and(|a| {
                a.result == PlanResult::Rejected
                    && a.reason.as_deref().is_some_and(|r| r.contains(reason))
            }) && acks(&seen).len() == 3 + k
        })
        .await;
    }
    assert!(status(&seen, "J1").is_some_and(|s| s.plan_version == Some(2)));

    // A time-of-day schedule: the entry for now (from an hour ago) runs, and it is kept.
    let now_min = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        / 60
        % 1440;
    let hh_mm = |m: u64| format!("{:02}:{:02}", m / 60 % 24, m % 60);
    let entry = |from: String, id: &str| {
        let text = std::fs::read_to_string(root().join("config/plans/arterial-webster/J1.toml"))
            .expect("plan reads");
        let mut plan: PlanSpec = toml::from_str(&text).expect("plan parses");
        plan.intersection = None;
        plan.plan_id = id.into();
        ScheduleEntry { from, plan }
    };
    let schedule = PlanSet {
        site: "J1".into(),
        ts: "2026-11-25T18:00:00Z".into(),
        plan: None,
        schedule: Some(ScheduleSpec {
            schedule_id: "weekday".into(),
            version: 1,
            utc_offset_min: 0,
            entries: vec![
                entry(hh_mm(now_min + 1380), "now"),
                entry(hh_mm(now_min + 60), "later"),
            ],
        }),
        signature: None,
    };
    support::mqtt_publish(
        broker,
        "ops-schedule",
        topic,
        serde_json::to_vec(&schedule).expect("JSON"),
    )
    .await;
    eventually("the schedule is accepted, then active", || {
        let acks = acks(&seen);
        acks.iter()
            .any(|a| a.plan_id == "weekday" && a.result == PlanResult::Accepted)
            && acks
                .iter()
                .any(|a| a.plan_id == "weekday" && a.result == PlanResult::Active)
    })
    .await;
    eventually("the schedule's plan for now runs", || {
        status(&seen, "J1").is_some_and(|s| s.plan_id.as_deref() == Some("now"))
    })
    .await;
    let kept = std::fs::read_to_string(state.join("J1.orders.json")).expect("kept");
    assert!(kept.contains("weekday"), "the schedule is kept: {kept}");

    // Modes: local hands the cabinet back; adaptive takes it over again.
    let mode = |m: &str| format!(r#"{{"site":"J1","ts":"2026-11-25T18:00:00Z","mode":"{m}"}}"#);
    support::mqtt_publish(
        broker,
        "ops-mode-1",
        "greenwave/v1/J1/mode/set",
        mode("local").into_bytes(),
    )
    .await;
    let bank = cabinets.sites[0].bank.clone();
    eventually("the cabinet runs locally", || {
        let b = bank.lock();
        b.control_request == 0 && b.header[3] & 1 == 1
    })
    .await;
    eventually("the status says local", || {
        status(&seen, "J1").is_some_and(|s| s.operator_mode == OperatorMode::Local)
    })
    .await;
    support::mqtt_publish(
        broker,
        "ops-mode-2",
        "greenwave/v1/J1/mode/set",
        mode("adaptive").into_bytes(),
    )
    .await;
    eventually("taken over again", || {
        bank.lock().header[3] & 1 == 0 && view.borrow().mode == "driving"
    })
    .await;

    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");

    // Restarted, the daemon resumes the schedule it kept.
    let (stop, stop_rx) = watch::channel(false);
    let daemon = tokio::spawn(run::run(restarted, stop_rx, None));
    eventually("the restarted daemon runs the kept schedule", || {
        status(&seen, "J1").is_some_and(|s| s.online && s.plan_id.as_deref() == Some("now"))
    })
    .await;
    support::stop_safely(stop, daemon, cabinets).await;
}

/// Publishes `payload` retained, as client `id`, however large, and waits for the broker's
/// acknowledgement.
async fn publish_retained(broker: std::net::SocketAddr, id: &str, topic: &str, payload: Vec<u8>) {
    use rumqttc::{AsyncClient, Event, Packet, QoS};
    let mut options = MqttOptions::new(id, broker.ip().to_string(), broker.port());
    options.set_max_packet_size(1 << 20, 32 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    client
        .publish(topic, QoS::AtLeastOnce, true, payload)
        .await
        .expect("queued");
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => break,
            Ok(Ok(_)) => {}
            other => panic!("publishing failed: {other:?}"),
        }
    }
}

/// A retained `mode/set` left on the broker is an old order: ignored at connect. A retained
/// 5 MB `plan/set` is refused once, with the reason, and the link stays up (no reconnect, so it
/// is not delivered again), so a good plan after it is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retained_orders_and_oversized_messages_neither_obey_nor_cut_the_link() {
    let broker = support::free_address();
    let _mosquitto = support::Mosquitto::start(broker);
    publish_retained(
        broker,
        "ops-old",
        "greenwave/v1/J1/mode/set",
        br#"{"site":"J1","ts":"2020-01-01T00:00:00Z","mode":"flash"}"#.to_vec(),
    )
    .await;
    let seen = watch_broker(broker).await;
    let cabinets = support::arterial_cabinets(SPEED, 900.0).await;
    let (stop, stop_rx) = watch::channel(false);
    let (view_tx, view) = watch::channel(SiteView::default());
    let daemon = tokio::spawn(run::run(
        config("J1", cabinets.sites[0].address, broker),
        stop_rx,
        Some(view_tx),
    ));
    eventually("J1 drives, subscribed", || {
        let v = view.borrow();
        v.mode == "driving" && v.broker_up
    })
    .await;
    let events = || support::on_topic(&seen, "greenwave/v1/J1/events");
    eventually("the retained mode/set is ignored", || {
        events()
            .iter()
            .any(|e| String::from_utf8_lossy(e).contains("retained mode/set was ignored"))
    })
    .await;
    assert!(status(&seen, "J1").is_some_and(|s| s.operator_mode == OperatorMode::Adaptive));

    let mut huge = plan_set(2, |_| {});
    huge.extend(std::iter::repeat_n(b' ', 5 << 20));
    publish_retained(broker, "ops-huge", "greenwave/v1/J1/plan/set", huge).await;
    let rejected = || {
        acks(&seen)
            .iter()
            .filter(|a| {
                a.result == PlanResult::Rejected
                    && a.reason.as_deref().is_some_and(|r| r.contains("exceeds"))
            })
            .count()
    };
    eventually("the oversized plan is refused", || rejected() >= 1).await;
    support::mqtt_publish(
        broker,
        "ops-good",
        "greenwave/v1/J1/plan/set",
        plan_set(2, |_| {}),
    )
    .await;
    eventually("the good plan after it is accepted", || {
        acks(&seen)
            .iter()
            .any(|a| a.version == 2 && a.result == PlanResult::Accepted)
    })
    .await;
    assert_eq!(rejected(), 1, "refused once: the link never dropped");
    assert!(view.borrow().broker_up);
    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
}

/// A plan accepted and waiting for its cycle boundary stays the one to run when a mode order
/// comes before that boundary (the mode's controller runs it from then on).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mode_order_keeps_a_plan_waiting_for_its_cycle_boundary() {
    let broker = broker::start().expect("broker starts");
    let seen = watch_broker(broker).await;
    // Slower than the other tests: the plan waits for its boundary for seconds of real time.
    let cabinets = support::arterial_cabinets(5.0, 1800.0).await;
    let env = [
        (
            "GREENWAVE__CABINET__ADDRESS".to_owned(),
            cabinets.sites[0].address.to_string(),
        ),
        ("GREENWAVE__CONTROL__CLOCK".to_owned(), "cabinet".to_owned()),
        ("GREENWAVE__CONTROL__TICK_HZ".to_owned(), "50".to_owned()),
        (
            "GREENWAVE__CABINET__WATCHDOG_S".to_owned(),
            "0.2".to_owned(),
        ),
        (
            "GREENWAVE__MQTT__BROKER".to_owned(),
            format!("mqtt://{broker}"),
        ),
    ];
    let config =
        DaemonConfig::load_with(&root().join("config/cabinets/J1.toml"), env).expect("loads");
    let (stop, stop_rx) = watch::channel(false);
    let (view_tx, view) = watch::channel(SiteView::default());
    let daemon = tokio::spawn(run::run(config, stop_rx, Some(view_tx)));
    eventually("J1 drives, subscribed", || {
        let v = view.borrow();
        v.mode == "driving" && v.broker_up && v.stage.is_some()
    })
    .await;
    support::mqtt_publish(
        broker,
        "ops-plan",
        "greenwave/v1/J1/plan/set",
        plan_set(2, |_| {}),
    )
    .await;
    eventually("accepted", || {
        acks(&seen).iter().any(|a| a.result == PlanResult::Accepted)
    })
    .await;
    assert!(
        !acks(&seen).iter().any(|a| a.result == PlanResult::Active),
        "the cycle boundary came already: the test proves nothing"
    );
    let mode = br#"{"site":"J1","ts":"2026-12-05T18:00:00Z","mode":"plan"}"#.to_vec();
    support::mqtt_publish(broker, "ops-mode", "greenwave/v1/J1/mode/set", mode).await;
    eventually("v2 active, run by the plan mode", || {
        acks(&seen)
            .iter()
            .any(|a| a.version == 2 && a.result == PlanResult::Active)
            && status(&seen, "J1")
                .is_some_and(|s| s.plan_version == Some(2) && s.operator_mode == OperatorMode::Plan)
    })
    .await;
    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
}
