//! The daemons' MQTT link against the embedded broker (rumqttd): retained status, two daemons
//! exchanging outflow forecasts, and a clean offline status when a daemon stops.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::watch;

use greenwave::cabinet::{CabinetOptions, VirtualCabinets};
use greenwave::daemon::config::DaemonConfig;
use greenwave::daemon::run::{self, SiteView};
use greenwave::mqtt::broker;
use greenwave::mqtt::payload::{OutflowMsg, Status};
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
    ]
    .map(|(k, v)| (k.to_owned(), v));
    DaemonConfig::load_with(&root().join(format!("config/cabinets/{site}.toml")), env)
        .expect("loads")
}

/// Every message on `greenwave/v1/#`, latest per topic.
async fn watch_broker(broker: std::net::SocketAddr) -> Arc<Mutex<BTreeMap<String, Vec<u8>>>> {
    let seen = Arc::new(Mutex::new(BTreeMap::new()));
    let mut options = MqttOptions::new("test-watcher", broker.ip().to_string(), broker.port());
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    let store = seen.clone();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_subscribe("greenwave/v1/#", QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    store
                        .lock()
                        .expect("lock")
                        .insert(p.topic.clone(), p.payload.to_vec());
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    seen
}

fn status(seen: &Mutex<BTreeMap<String, Vec<u8>>>, site: &str) -> Option<Status> {
    let seen = seen.lock().expect("lock");
    let bytes = seen.get(&format!("greenwave/v1/{site}/status"))?;
    serde_json::from_slice(bytes).ok()
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
        let seen = seen.lock().expect("lock");
        serde_json::from_slice(seen.get("greenwave/v1/J1/outflow")?).ok()
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

    // A late subscriber still gets the retained status.
    let late = watch_broker(broker).await;
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
