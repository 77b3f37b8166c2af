//! The daemon speaks systemd's notify protocol: started as a unit would start it
//! (`NOTIFY_SOCKET`, `WATCHDOG_USEC`) against a virtual cabinet, it says READY once it reads
//! the cabinet, STATUS with its mode, WATCHDOG while its loop runs, and STOPPING on SIGTERM,
//! after which it exits 0. The datagrams are received on a socket of the test's own.
#![cfg(feature = "sim")]
#![cfg(unix)]

mod support;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::root;

const SPEED: f64 = 10.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_tells_systemd_it_is_ready_alive_and_stopping() {
    let cabinets = support::arterial_cabinets(SPEED, 3600.0).await;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("notify-{}", cabinets.sites[0].address.port()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder");
    let socket_path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("binds");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_greenwave"))
        .args(["run", "--config"])
        .arg(root().join("config/cabinets/J1.toml"))
        .env(
            "GREENWAVE__CABINET__ADDRESS",
            cabinets.sites[0].address.to_string(),
        )
        .env("GREENWAVE__CONTROL__CLOCK", "cabinet")
        .env("GREENWAVE__CONTROL__TICK_HZ", (10.0 * SPEED).to_string())
        .env("GREENWAVE__CABINET__WATCHDOG_S", (1.0 / SPEED).to_string())
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "600000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the daemon starts");

    // Everything it says, until it has said it drives and pinged a few times.
    let received = tokio::task::spawn_blocking(move || {
        let mut said: Vec<String> = Vec::new();
        let until = Instant::now() + Duration::from_secs(60);
        let mut buf = [0u8; 4096];
        while Instant::now() < until {
            if let Ok(n) = socket.recv(&mut buf) {
                said.extend(
                    String::from_utf8_lossy(&buf[..n])
                        .lines()
                        .map(str::to_owned),
                );
            }
            let driving = said.iter().any(|l| l.starts_with("STATUS=driving"));
            let pings = said.iter().filter(|l| *l == "WATCHDOG=1").count();
            if driving && pings >= 3 {
                break;
            }
        }
        (said, socket)
    });
    let (said, socket) = received.await.expect("joins");
    // Ready once, before any status: the daemon reads the cabinet from then on.
    assert_eq!(
        said.iter().filter(|l| *l == "READY=1").count(),
        1,
        "{said:?}"
    );
    let ready = said.iter().position(|l| l == "READY=1");
    let first_status = said.iter().position(|l| l.starts_with("STATUS="));
    assert!(ready < first_status, "{said:?}");
    assert!(
        said.iter().any(|l| l.starts_with("STATUS=following")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|l| l.starts_with("STATUS=driving (adaptive mode, adaptive, plan webster-j1")),
        "{said:?}"
    );
    assert!(
        said.iter().filter(|l| *l == "WATCHDOG=1").count() >= 3,
        "{said:?}"
    );

    // SIGTERM: STOPPING, and exit 0.
    let pid = daemon.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let stopping = tokio::task::spawn_blocking(move || {
        let mut buf = [0u8; 4096];
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if let Ok(n) = socket.recv(&mut buf)
                && String::from_utf8_lossy(&buf[..n]).contains("STOPPING=1")
            {
                return true;
            }
        }
        false
    })
    .await
    .expect("joins");
    assert!(stopping, "STOPPING=1 on SIGTERM");
    let status = daemon.wait().expect("exits");
    assert!(status.success(), "{status}");
}
