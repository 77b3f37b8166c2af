//! The daemon against mosquitto, with the example configuration of `config/mosquitto/`: TLS
//! with client certificates, no anonymous access, and the per-site ACL. Needs `mosquitto` and
//! `openssl` on the PATH (`.ci/run` installs them from Debian's packages).
#![cfg(feature = "sim")]

mod support;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rumqttc::{AsyncClient, QoS};
use tokio::sync::watch;

use greenwave::daemon::run::{self, SiteView};
use greenwave::mqtt::link::{MqttSettings, TlsFiles};
use greenwave::mqtt::payload::Status;

use support::{eventually, j1_config, root};

fn run_tool(program: &str, args: &[&str], dir: &Path) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("`{program}` is needed for this test (apt-get install {program}): {e}")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, the broker's certificate (for 127.0.0.1) and client certificates named `names`.
fn certificates(dir: &Path, names: &[&str]) {
    std::fs::create_dir_all(dir).expect("a folder");
    run_tool(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=greenwave test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
        dir,
    );
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("writes");
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").expect("writes");
    let mut all = vec![("broker", true)];
    all.extend(names.iter().map(|n| (*n, false)));
    for (name, server) in all {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        let subject = format!("/CN={}", if server { "127.0.0.1" } else { name });
        run_tool(
            "openssl",
            &[
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", &subject, "-keyout", &key, "-out",
                &csr,
            ],
            dir,
        );
        let mut sign = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &pem,
        ];
        // X.509 v3 certificates (with extensions), as rustls requires.
        sign.extend(["-extfile", if server { "san.ext" } else { "client.ext" }]);
        run_tool("openssl", &sign, dir);
    }
    // mosquitto started as root drops to its own user, which must be able to read the keys.
    #[cfg(unix)]
    for entry in std::fs::read_dir(dir).expect("lists") {
        use std::os::unix::fs::PermissionsExt;
        let path = entry.expect("an entry").path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
}

struct Mosquitto(Child);

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// mosquitto with the example configuration, on a free loopback port.
fn mosquitto(dir: &Path) -> (Mosquitto, SocketAddr) {
    let address = TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr");
    let example = std::fs::read_to_string(root().join("config/mosquitto/mosquitto.conf"))
        .expect("example config");
    let acl = root().join("config/mosquitto/greenwave.acl");
    let conf = example
        .replace(
            "listener 8883",
            &format!("listener {} 127.0.0.1", address.port()),
        )
        .replace("/etc/greenwave/tls/", &format!("{}/", dir.display()))
        .replace("/etc/mosquitto/greenwave.acl", &acl.display().to_string());
    let path = dir.join("mosquitto.conf");
    std::fs::write(&path, conf).expect("writes");
    let child = Command::new("mosquitto")
        .args(["-c", path.to_str().expect("utf-8")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto is needed for this test (apt-get install mosquitto)");
    (Mosquitto(child), address)
}

fn tls(dir: &Path, name: &str) -> TlsFiles {
    let file = |ext: &str| Some(dir.join(format!("{name}.{ext}")));
    TlsFiles::read(
        Some(&dir.join("ca.pem")),
        file("pem").as_deref(),
        file("key").as_deref(),
    )
    .expect("TLS files")
}

type Seen = support::Messages;

/// A client with `name`'s certificate: every message of `subscribe` goes into the result.
async fn client(
    address: SocketAddr,
    dir: &Path,
    name: &str,
    subscribe: &str,
) -> (AsyncClient, Seen) {
    let mut settings =
        MqttSettings::from_url(&format!("mqtts://{address}"), &format!("test-{name}"))
            .expect("an address");
    settings.tls = Some(tls(dir, name));
    support::subscribe(settings.options(), subscribe).await
}

fn statuses(seen: &Seen, site: &str) -> Vec<Status> {
    support::on_topic(seen, &format!("greenwave/v1/{site}/status"))
        .iter()
        .filter_map(|p| serde_json::from_slice(p).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_the_acl_keep_each_cabinet_to_its_own_site() {
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mosquitto-tls");
    let _ = std::fs::remove_dir_all(&dir);
    certificates(&dir, &["J1", "J2", "ops"]);
    let (_broker, address) = mosquitto(&dir);

    // Central operations watch everything.
    let (_ops, seen) = client(address, &dir, "ops", "greenwave/v1/#").await;

    // J1's daemon over TLS with its own certificate (no cabinet needed for its status).
    let url = format!("mqtts://{address}");
    let file = |name: &str| dir.join(name).display().to_string();
    let config = j1_config(
        "127.0.0.1:9".parse().expect("an address"),
        &[
            ("GREENWAVE__MQTT__BROKER", &url),
            ("GREENWAVE__MQTT__CA_FILE", &file("ca.pem")),
            ("GREENWAVE__MQTT__CERT_FILE", &file("J1.pem")),
            ("GREENWAVE__MQTT__KEY_FILE", &file("J1.key")),
        ],
    );
    assert!(config.mqtt_tls.is_some());
    let (stop, stop_rx) = watch::channel(false);
    let daemon = tokio::spawn(run::run(config, stop_rx, None::<watch::Sender<SiteView>>));
    eventually("J1's status arrives over TLS", || {
        statuses(&seen, "J1").iter().any(|s| s.online)
    })
    .await;

    // J2's certificate may publish under J2, not under J1.
    let (rogue, _) = client(address, &dir, "J2", "greenwave/v1/J2/mode/set").await;
    let fake = |site: &str| {
        serde_json::json!({"site": site, "ts": "2026-11-25T18:00:00Z", "online": true, "mode": "forged"})
            .to_string()
    };
    rogue
        .publish("greenwave/v1/J1/status", QoS::AtLeastOnce, true, fake("J1"))
        .await
        .expect("queued");
    rogue
        .publish("greenwave/v1/J2/status", QoS::AtLeastOnce, true, fake("J2"))
        .await
        .expect("queued");
    eventually("J2's own status gets through", || {
        !statuses(&seen, "J2").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        statuses(&seen, "J1").iter().all(|s| s.mode != "forged"),
        "the ACL let J2 publish under J1"
    );

    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
    eventually("J1 says it is offline", || {
        statuses(&seen, "J1").last().is_some_and(|s| !s.online)
    })
    .await;
}

/// A daemon of J1 over TLS with its own certificate, taking only orders signed by `ops.pub`,
/// keeping its orders in `state`.
fn signed_j1(
    address: SocketAddr,
    dir: &Path,
    state: &Path,
) -> greenwave::daemon::config::DaemonConfig {
    let url = format!("mqtts://{address}");
    let file = |name: &str| dir.join(name).display().to_string();
    j1_config(
        "127.0.0.1:9".parse().expect("an address"),
        &[
            ("GREENWAVE__MQTT__BROKER", &url),
            ("GREENWAVE__MQTT__CA_FILE", &file("ca.pem")),
            ("GREENWAVE__MQTT__CERT_FILE", &file("J1.pem")),
            ("GREENWAVE__MQTT__KEY_FILE", &file("J1.key")),
            ("GREENWAVE__MQTT__TRUSTED_KEYS", &file("ops.pub")),
            ("GREENWAVE__STATE_DIR", &state.display().to_string()),
        ],
    )
}

/// A `plan/set` for J1 of plan `id` at `version`, signed by `key` as issued at `issued`.
fn signed_plan(key: &str, id: &str, version: u32, issued: std::time::SystemTime) -> Vec<u8> {
    let text = std::fs::read_to_string(root().join("config/plans/arterial-webster/J1.toml"))
        .expect("plan reads");
    let mut plan: greenwave_controllers::plan::PlanSpec = toml::from_str(&text).expect("parses");
    plan.intersection = None;
    plan.plan_id = id.into();
    plan.version = version;
    let expires = issued + Duration::from_secs(3600);
    let signature =
        greenwave::mqtt::signing::sign(key, "J1", &plan, issued, expires).expect("signs");
    serde_json::to_vec(&greenwave::mqtt::payload::PlanSet {
        site: "J1".into(),
        ts: greenwave::mqtt::payload::now_ts(),
        plan: Some(plan),
        schedule: None,
        signature: Some(signature),
    })
    .expect("JSON")
}

fn signed_mode(
    key: &str,
    mode: greenwave::mqtt::payload::OperatorMode,
    issued: std::time::SystemTime,
) -> Vec<u8> {
    let signature =
        greenwave::mqtt::signing::sign(key, "J1", &mode, issued, issued + Duration::from_secs(600))
            .expect("signs");
    serde_json::to_vec(&greenwave::mqtt::payload::ModeSet {
        site: "J1".into(),
        ts: humantime::format_rfc3339_millis(issued).to_string(),
        mode,
        signature: Some(signature),
    })
    .expect("JSON")
}

fn acks(seen: &Seen) -> Vec<greenwave::mqtt::payload::PlanAck> {
    support::on_topic(seen, "greenwave/v1/J1/plan/ack")
        .iter()
        .filter_map(|p| serde_json::from_slice(p).ok())
        .collect()
}

/// Waits for J1's answer to the `n`-th plan/set it got; returns it.
async fn nth_ack(seen: &Seen, n: usize) -> greenwave::mqtt::payload::PlanAck {
    eventually(&format!("plan/ack number {n}"), || acks(seen).len() >= n).await;
    acks(seen)[n - 1].clone()
}

/// Replays and rollbacks of signed orders, across plan ids and across a restart, a takeover by
/// another site's certificate, and a tampered `state_dir`: against mosquitto with the example
/// configuration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_orders_cannot_be_replayed_rolled_back_taken_over_or_tampered_with() {
    use greenwave::mqtt::payload::{OperatorMode, PlanResult};
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mosquitto-replay");
    let _ = std::fs::remove_dir_all(&dir);
    certificates(&dir, &["J1", "J2", "ops"]);
    let (private, public) = greenwave::mqtt::signing::generate().expect("a key");
    std::fs::write(dir.join("ops.pub"), &public).expect("writes");
    let state = dir.join("state");
    let (_broker, address) = mosquitto(&dir);
    let (ops, seen) = client(address, &dir, "ops", "greenwave/v1/#").await;
    let (stop, stop_rx) = watch::channel(false);
    let daemon = tokio::spawn(run::run(
        signed_j1(address, &dir, &state),
        stop_rx,
        None::<watch::Sender<SiteView>>,
    ));
    eventually("J1 online", || {
        statuses(&seen, "J1").iter().any(|s| s.online)
    })
    .await;

    let publish = |topic: &'static str, payload: Vec<u8>| {
        let ops = ops.clone();
        async move {
            ops.publish(
                format!("greenwave/v1/J1/{topic}"),
                QoS::AtLeastOnce,
                false,
                payload,
            )
            .await
            .expect("queued")
        }
    };
    let t0 = std::time::SystemTime::now() - Duration::from_secs(120);
    let webster_v9 = signed_plan(&private, "webster-J1", 9, t0);
    let evening_v1 = signed_plan(&private, "evening-J1", 1, t0 + Duration::from_secs(60));
    publish("plan/set", webster_v9.clone()).await;
    assert_eq!(nth_ack(&seen, 1).await.result, PlanResult::Accepted);
    publish("plan/set", evening_v1.clone()).await;
    assert_eq!(nth_ack(&seen, 2).await.result, PlanResult::Accepted);
    // The superseded webster v9, replayed, and an older webster v3 signed before evening:
    // refused, whatever their id.
    publish("plan/set", webster_v9.clone()).await;
    let ack = nth_ack(&seen, 3).await;
    assert_eq!(ack.result, PlanResult::Rejected, "{ack:?}");
    publish(
        "plan/set",
        signed_plan(&private, "webster-J1", 10, t0 + Duration::from_secs(30)),
    )
    .await;
    let ack = nth_ack(&seen, 4).await;
    assert_eq!(ack.result, PlanResult::Rejected);
    assert!(
        ack.reason
            .as_deref()
            .is_some_and(|r| r.contains("replay or a rollback")),
        "{ack:?}"
    );
    // A signed flash, then its replay: refused.
    let flash = signed_mode(&private, OperatorMode::Flash, t0 + Duration::from_secs(90));
    publish("mode/set", flash.clone()).await;
    eventually("flash taken", || {
        statuses(&seen, "J1")
            .last()
            .is_some_and(|s| s.operator_mode == OperatorMode::Flash)
    })
    .await;
    // An unsigned mode order: refused.
    publish(
        "mode/set",
        br#"{"site":"J1","ts":"2026-12-05T18:00:00Z","mode":"adaptive"}"#.to_vec(),
    )
    .await;
    let events = || {
        support::on_topic(&seen, "greenwave/v1/J1/events")
            .iter()
            .map(|e| String::from_utf8_lossy(e).into_owned())
            .collect::<Vec<_>>()
    };
    eventually("the unsigned mode order is refused", || {
        events()
            .iter()
            .any(|e| e.contains("mode/set rejected: unsigned"))
    })
    .await;

    // Another site's certificate asking for J1's client id does not disconnect J1.
    let mut settings = MqttSettings::from_url(&format!("mqtts://{address}"), "J1").expect("url");
    settings.tls = Some(tls(&dir, "J2"));
    let (_rogue, _) = support::subscribe(settings.options(), "greenwave/v1/J2/mode/set").await;

    // A round trip to J1 after the rogue connected: J1 still answers, never went offline.
    publish("plan/set", webster_v9.clone()).await;
    assert_eq!(nth_ack(&seen, 5).await.result, PlanResult::Rejected);
    let offline = || statuses(&seen, "J1").iter().filter(|s| !s.online).count();
    assert_eq!(offline(), 0, "J2's certificate took J1's connection over");

    // Restarted: the replay of evening v1 and of the flash are refused; the flash is resumed.
    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
    eventually("J1 says it is offline", || offline() == 1).await;
    let (stop, stop_rx) = watch::channel(false);
    let daemon = tokio::spawn(run::run(
        signed_j1(address, &dir, &state),
        stop_rx,
        None::<watch::Sender<SiteView>>,
    ));
    eventually(
        "J1 back online, flashing as ordered, with evening v1",
        || {
            statuses(&seen, "J1").last().is_some_and(|s| {
                s.online
                    && s.operator_mode == OperatorMode::Flash
                    && s.plan_id.as_deref() == Some("evening-J1")
            })
        },
    )
    .await;
    publish("plan/set", evening_v1).await;
    let ack = nth_ack(&seen, 6).await;
    assert_eq!(ack.result, PlanResult::Rejected, "{ack:?}");
    publish("mode/set", flash).await;
    eventually("the replayed flash is refused", || {
        events()
            .iter()
            .any(|e| e.contains("mode/set rejected: issued at"))
    })
    .await;
    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");

    // A stored order edited on disk (version 999) fails its signature and is not resumed.
    let orders = state.join("J1.orders.json");
    let text = std::fs::read_to_string(&orders).expect("kept");
    let edited = text.replace(r#"\"version\":1"#, r#"\"version\":999"#);
    assert_ne!(text, edited, "the kept plan message names its version");
    std::fs::write(&orders, edited).expect("writes");
    let mark = statuses(&seen, "J1").len();
    let (stop, stop_rx) = watch::channel(false);
    let daemon = tokio::spawn(run::run(
        signed_j1(address, &dir, &state),
        stop_rx,
        None::<watch::Sender<SiteView>>,
    ));
    eventually("J1 back online", || {
        statuses(&seen, "J1")[mark..].iter().any(|s| s.online)
    })
    .await;
    let status = statuses(&seen, "J1").last().cloned().expect("a status");
    assert_ne!(
        status.plan_version,
        Some(999),
        "the edited plan is not resumed"
    );
    assert_eq!(
        status.plan_id.as_deref(),
        Some("webster-J1"),
        "the configured plan runs"
    );
    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
}

/// A daemon with the wrong CA (and a certificate from another CA) says why it cannot connect,
/// at warn level, on every attempt, without ever having connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_cannot_connect_says_why() {
    use std::io::BufRead as _;
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mosquitto-wrong-ca");
    let other: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mosquitto-other-ca");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
    certificates(&dir, &["J1"]);
    certificates(&other, &["J1"]);
    let (_broker, address) = mosquitto(&dir);
    let file = |name: &str| other.join(name).display().to_string();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_greenwave"))
        .args(["run", "--config"])
        .arg(root().join("config/cabinets/J1.toml"))
        .env("GREENWAVE__CABINET__ADDRESS", "127.0.0.1:9")
        .env("GREENWAVE__MQTT__BROKER", format!("mqtts://{address}"))
        .env("GREENWAVE__MQTT__CA_FILE", file("ca.pem"))
        .env("GREENWAVE__MQTT__CERT_FILE", file("J1.pem"))
        .env("GREENWAVE__MQTT__KEY_FILE", file("J1.key"))
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the daemon starts");
    let stderr = std::io::BufReader::new(daemon.stderr.take().expect("stderr"));
    // Until the broker listens the reason is a refused connection; then it is the certificate.
    let lines = tokio::task::spawn_blocking(move || {
        let mut failed = Vec::new();
        for line in stderr.lines().map_while(Result::ok) {
            if line.contains("MQTT connect failed") {
                failed.push(line);
                let certificate = failed.iter().filter(|l| l.contains("certificate")).count();
                if certificate >= 2 || failed.len() > 50 {
                    break;
                }
            }
        }
        failed
    });
    let lines = tokio::time::timeout(Duration::from_secs(60), lines)
        .await
        .expect("failed connects logged within 60 s")
        .expect("read");
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert!(lines.iter().all(|l| l.contains("WARN")), "{lines:?}");
    let named = lines
        .iter()
        .filter(|l| l.contains("invalid peer certificate"))
        .count();
    assert_eq!(
        named, 2,
        "each attempt names the certificate problem: {lines:?}"
    );
}

/// A cabinet may publish its own retained status (the ACL allows it), with escape sequences
/// meant to clear the operator's screen and print a fake flash: `ops watch` shows them escaped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cabinet_status_cannot_drive_the_operators_terminal() {
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mosquitto-terminal");
    let _ = std::fs::remove_dir_all(&dir);
    certificates(&dir, &["J2", "ops"]);
    let (_broker, address) = mosquitto(&dir);
    let (rogue, _) = client(address, &dir, "J2", "greenwave/v1/J2/mode/set").await;
    let hostile = serde_json::json!({
        "site": "J2", "ts": "2026-12-05T18:00:00Z", "online": true,
        "mode": "\u{1b}[2J\u{1b}[HJ1     yes      FLASH",
        "faults": ["\u{1b}[31mconflict monitor tripped\nJ3     NO"]
    });
    rogue
        .publish(
            "greenwave/v1/J2/status",
            QoS::AtLeastOnce,
            true,
            hostile.to_string(),
        )
        .await
        .expect("queued");
    let (_ops, seen) = client(address, &dir, "ops", "greenwave/v1/J2/status").await;
    eventually("the hostile status is retained", || {
        !statuses(&seen, "J2").is_empty()
    })
    .await;
    let file = |name: &str| dir.join(name).display().to_string();
    let args = [
        "ops".to_owned(),
        "watch".into(),
        "--broker".into(),
        format!("mqtts://{address}"),
        "--tls-ca".into(),
        file("ca.pem"),
        "--tls-cert".into(),
        file("ops.pem"),
        "--tls-key".into(),
        file("ops.key"),
        "--once-after".into(),
        "1.5".into(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_greenwave"))
            .args(args)
            .output()
            .expect("ops watch runs")
    })
    .await
    .expect("joins");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}'),
        "an escape sequence reached the terminal: {stdout:?}"
    );
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with('J')).collect();
    assert_eq!(rows.len(), 1, "no forged row: {stdout}");
    assert!(rows[0].contains("\\u{1b}[2J"), "shown escaped: {stdout}");
}
