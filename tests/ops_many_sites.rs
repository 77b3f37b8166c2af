//! Central operations at city scale: 200 sites' retained status on mosquitto, and `ops watch`
//! drawing every one of them from its first second on the broker (retained messages arrive on
//! subscription). Needs `mosquitto` on the PATH (`.ci/run` installs it).
#![cfg(feature = "sim")]

mod support;

use std::process::Command;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use support::{Mosquitto, free_address, root};

const SITES: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_watch_draws_two_hundred_sites_within_its_first_second() {
    let address = free_address();
    let _broker = Mosquitto::start(address);
    // Every site's status, retained, as its daemon leaves it.
    let mut options = MqttOptions::new("sites", address.ip().to_string(), address.port());
    options.set_inflight(100);
    let (client, mut eventloop) = AsyncClient::new(options, SITES);
    for i in 1..=SITES {
        let site = format!("S{i:03}");
        let status = serde_json::json!({
            "site": site, "ts": "2026-12-06T08:00:00Z", "online": i % 50 != 0,
            "mode": "driving", "controller": "adaptive",
            "plan_id": format!("plan-{site}"), "plan_version": 3,
        });
        client
            .publish(
                format!("greenwave/v1/{site}/status"),
                QoS::AtLeastOnce,
                true,
                serde_json::to_vec(&status).unwrap(),
            )
            .await
            .unwrap();
    }
    let mut acked = 0;
    while acked < SITES {
        match tokio::time::timeout(Duration::from_secs(20), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => acked += 1,
            Ok(Ok(_)) => {}
            other => panic!("publishing failed after {acked} acknowledgements: {other:?}"),
        }
    }

    let url = format!("mqtt://{address}");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_greenwave"))
            .args(["ops", "watch", "--broker", &url, "--once-after", "1"])
            .current_dir(root())
            .output()
            .expect("greenwave runs")
    })
    .await
    .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{table}");
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with('S')).collect();
    assert_eq!(rows.len(), SITES, "{table}");
    for (i, row) in rows.iter().enumerate() {
        let site = format!("S{:03}", i + 1);
        assert!(row.starts_with(&site), "{row}");
        assert!(row.contains(&format!("plan-{site} v3")), "{row}");
        let online = if (i + 1) % 50 == 0 { "NO" } else { "yes" };
        assert_eq!(row.split_whitespace().nth(1), Some(online), "{row}");
    }
}
