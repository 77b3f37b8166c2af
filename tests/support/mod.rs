//! Shared pieces of the Modbus tests: a scripted cabinet (a register bank served by
//! tokio-modbus's server on a loopback port the OS picks), the J1 config, and polling helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use greenwave::cabinet::registers::{self, Bank, SharedBank};
use greenwave::daemon::config::DaemonConfig;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

/// `config/cabinets/J1.toml` pointed at `address`, with `overrides` (`GREENWAVE__…` pairs).
pub fn j1_config(address: SocketAddr, overrides: &[(&str, &str)]) -> DaemonConfig {
    let mut env = vec![(
        "GREENWAVE__CABINET__ADDRESS".to_owned(),
        address.to_string(),
    )];
    env.extend(
        overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    DaemonConfig::load_with(&root().join("config/cabinets/J1.toml"), env).expect("J1 loads")
}

/// A scripted cabinet: a bank the test fills, served over Modbus TCP.
pub struct Scripted {
    pub bank: SharedBank,
    pub address: SocketAddr,
    pub server: JoinHandle<()>,
}

impl Scripted {
    /// A cabinet of that size on a free loopback port, external control, all red shown.
    pub async fn start(channels: u16, groups: u16) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let address = listener.local_addr().expect("an address");
        let bank = SharedBank::new(Bank::new(channels, groups));
        let server = registers::serve(listener, bank.clone());
        Scripted {
            bank,
            address,
            server,
        }
    }

    /// Stops the server and closes every connection.
    pub async fn kill(&mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
    }

    /// Serves `bank` again on the same address.
    pub async fn restart(&mut self) {
        let listener = loop {
            match TcpListener::bind(self.address).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        self.server = registers::serve(listener, self.bank.clone());
    }
}

/// Waits until `done` holds, checking every 10 ms; fails after 60 s (a bound for a loaded
/// machine, not a measure: the conditions hold within seconds on an idle one).
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..6_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// A mosquitto broker (plain, anonymous) on `address`, killed when dropped. Needs `mosquitto` on
/// the PATH (`.ci/run` installs it).
pub struct Mosquitto(std::process::Child);

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Mosquitto {
    /// Starts one on `address` and waits (up to 10 s) until it accepts connections.
    pub fn start(address: std::net::SocketAddr) -> Mosquitto {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mosquitto-{}", address.port()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {} 127.0.0.1\nallow_anonymous true\n",
                address.port()
            ),
        )
        .expect("writes");
        let child = std::process::Command::new("mosquitto")
            .args(["-c", conf.to_str().expect("utf-8")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("mosquitto is needed for this test (apt-get install mosquitto)");
        for _ in 0..500 {
            if std::net::TcpStream::connect(address).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Mosquitto(child)
    }
}

/// A free loopback address (bound, then released).
pub fn free_address() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("an address")
}

/// The arterial peak served as virtual cabinets at `speed` times real time, for `duration_s`.
pub async fn arterial_cabinets(speed: f64, duration_s: f64) -> greenwave::cabinet::VirtualCabinets {
    let scenario =
        greenwave_sim::Scenario::load(&root().join("config/scenarios/arterial-peak.toml"))
            .expect("the scenario loads");
    let options = greenwave::cabinet::CabinetOptions {
        speed,
        duration: Some(duration_s),
        ..greenwave::cabinet::CabinetOptions::default()
    };
    greenwave::cabinet::VirtualCabinets::start(&scenario, &options)
        .await
        .expect("the cabinets start")
}

/// J1's config for a cabinet at `address` running `speed` times faster than real time: the
/// daemon follows the cabinet clock, polls and writes its watchdog `speed` times as often, and
/// talks to `broker` if given.
pub fn paced_j1(address: SocketAddr, speed: f64, broker: Option<&str>) -> DaemonConfig {
    paced_j1_with(address, speed, broker, &[])
}

/// As [`paced_j1`], with further environment `overrides`.
pub fn paced_j1_with(
    address: SocketAddr,
    speed: f64,
    broker: Option<&str>,
    more: &[(&str, &str)],
) -> DaemonConfig {
    let tick_hz = (10.0 * speed).to_string();
    let watchdog_s = (1.0 / speed).to_string();
    let mut overrides = vec![
        ("GREENWAVE__CONTROL__CLOCK", "cabinet"),
        ("GREENWAVE__CONTROL__TICK_HZ", tick_hz.as_str()),
        ("GREENWAVE__CABINET__WATCHDOG_S", watchdog_s.as_str()),
        ("GREENWAVE__CABINET__BACKOFF_MIN_MS", "10"),
    ];
    if let Some(url) = broker {
        overrides.push(("GREENWAVE__MQTT__BROKER", url));
    }
    overrides.extend_from_slice(more);
    j1_config(address, &overrides)
}

/// Publishes one QoS 1 message as client `id` and waits for the broker's acknowledgement.
pub async fn mqtt_publish(broker: SocketAddr, id: &str, topic: &str, payload: Vec<u8>) {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let options = MqttOptions::new(id, broker.ip().to_string(), broker.port());
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    client
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .await
        .expect("queued");
    loop {
        match tokio::time::timeout(Duration::from_secs(5), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => break,
            Ok(Ok(_)) => {}
            other => panic!("publishing failed: {other:?}"),
        }
    }
}

/// Messages seen by a [`subscribe`]r: (topic, payload), in order of arrival.
pub type Messages = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;

/// A client that keeps every message on `filter`: it reconnects by itself and subscribes again
/// on every connect. Returns once the broker has acknowledged the first subscription (within
/// 20 s), so nothing published after that is missed.
pub async fn subscribe(
    mut options: rumqttc::MqttOptions,
    filter: &str,
) -> (rumqttc::AsyncClient, Messages) {
    use rumqttc::{AsyncClient, Event, Packet, QoS};
    options.set_max_packet_size(32 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    let seen: Messages = Messages::default();
    let store = seen.clone();
    let (ready_tx, mut ready) = tokio::sync::watch::channel(false);
    let sub = client.clone();
    let filter = filter.to_owned();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = sub.try_subscribe(filter.clone(), QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    ready_tx.send_replace(true);
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    store
                        .lock()
                        .expect("lock")
                        .push((p.topic.clone(), p.payload.to_vec()));
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(20), ready.wait_for(|r| *r))
        .await
        .expect("the broker acknowledges the subscription within 20 s")
        .expect("the client runs");
    (client, seen)
}

/// The payloads seen on `topic`, in order.
pub fn on_topic(seen: &Messages, topic: &str) -> Vec<Vec<u8>> {
    seen.lock()
        .expect("lock")
        .iter()
        .filter(|(t, _)| t == topic)
        .map(|(_, p)| p.clone())
        .collect()
}

/// A daemon running `config` in a task, once it drives its cabinet and is subscribed at its
/// broker: the switch that stops it, its view, and the task.
pub async fn daemon_on_broker(
    config: DaemonConfig,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::sync::watch::Receiver<greenwave::daemon::run::SiteView>,
    JoinHandle<anyhow::Result<greenwave::daemon::run::RunReport>>,
) {
    use greenwave::daemon::run::{self, SiteView};
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let (view_tx, view) = tokio::sync::watch::channel(SiteView::default());
    let daemon = tokio::spawn(run::run(config, stop_rx, Some(view_tx)));
    eventually("the daemon drives, subscribed", || {
        let v = view.borrow();
        v.mode == "driving" && v.broker_up
    })
    .await;
    (stop, view, daemon)
}

/// Stops the daemon (`stop`, then its task), ends the virtual `cabinets` and checks that
/// their conflict monitors never tripped.
pub async fn stop_safely(
    stop: tokio::sync::watch::Sender<bool>,
    daemon: JoinHandle<anyhow::Result<greenwave::daemon::run::RunReport>>,
    cabinets: greenwave::cabinet::VirtualCabinets,
) {
    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
    let outcome = cabinets.finish().expect("finishes");
    assert!(
        outcome.interlock_trips.is_empty(),
        "{:?}",
        outcome.interlock_trips
    );
}

/// The arterial with pedestrian phases (scenario, corridor, intersection, J1..J4's plans)
/// copied into `dir` with pedestrian recall on, so walks come every cycle without a push
/// button; returns `dir`. Inside: `scenarios/arterial-peak-peds.toml`,
/// `corridors/arterial-4-peds.toml`, `plans/arterial-peds-webster/J1.toml`, ...
pub fn us_peds_on_recall(dir: &Path) -> PathBuf {
    let mut files = vec![
        "scenarios/arterial-peak-peds.toml".to_owned(),
        "corridors/arterial-4-peds.toml".to_owned(),
        "intersections/nema-4leg-peds.toml".to_owned(),
    ];
    files.extend((1..=4).map(|j| format!("plans/arterial-peds-webster/J{j}.toml")));
    for file in files {
        let mut text = std::fs::read_to_string(root().join("config").join(&file)).expect("reads");
        if file.starts_with("intersections") {
            text = text.replace(
                "[nema.pedestrians]\n",
                "[nema.pedestrians]\nrecall = true\n",
            );
            assert!(text.contains("recall = true"), "recall set");
        }
        let path = dir.join(&file);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
        std::fs::write(path, text).expect("written");
    }
    dir.to_owned()
}

/// A cabinet config for site J1 of `corridor` on `plan` with the fixed-time controller, at
/// `dir/base/J1.toml`, to be rewired to modules (`greenwave::cabinet::coils::rewired_config`).
pub fn coil_base_config(dir: &Path, corridor: &Path, plan: &Path) -> PathBuf {
    let file = dir.join("base").join("J1.toml");
    std::fs::create_dir_all(file.parent().expect("a folder")).expect("folder");
    let text = format!(
        "site = \"J1\"\ncorridor = {:?}\nplan = {:?}\n\n[controller]\nkind = \"fixed\"\n\n\
         [control]\ntick_hz = 10\nheartbeat_timeout_s = 3\nmismatch_grace_s = 1\n\n\
         [cabinet]\ntimeout_ms = 200\nwatchdog_s = 1\n",
        corridor.display().to_string(),
        plan.display().to_string()
    );
    std::fs::write(&file, text).expect("written");
    file
}
