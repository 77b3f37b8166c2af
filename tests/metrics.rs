//! The daemon's `/metrics` scraped over HTTP while it drives a virtual cabinet, checked by
//! `promtool check metrics` (Debian's prometheus package; `.ci/run` installs it); and a metrics
//! address already in use is an error at start.
#![cfg(feature = "sim")]

mod support;

use std::io::{Read as _, Write as _};
use std::time::Duration;

use tokio::sync::watch;

use greenwave::daemon::run::{self, SiteView};

use support::eventually;

const SPEED: f64 = 20.0;

/// GET `path` from `address`: (status line, body).
fn get(address: std::net::SocketAddr, path: &str) -> (String, String) {
    get_accepting(address, path, "text/plain")
}

fn get_accepting(address: std::net::SocketAddr, path: &str, accept: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(address).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\nAccept: {accept}\r\n\r\n"
    )
    .expect("writes");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_over_http_and_pass_promtool() {
    let cabinets = support::arterial_cabinets(SPEED, 600.0).await;
    let bind = support::free_address();
    let mut config = support::paced_j1(cabinets.sites[0].address, SPEED, None);
    config.metrics_bind = Some(bind);
    let (stop, stop_rx) = watch::channel(false);
    let (view_tx, view) = watch::channel(SiteView::default());
    let daemon = tokio::spawn(run::run(config, stop_rx, Some(view_tx)));
    eventually("J1 drives a stage", || {
        let v = view.borrow();
        v.mode == "driving" && v.stage.is_some()
    })
    .await;
    let (status, body) = tokio::task::spawn_blocking(move || get(bind, "/metrics"))
        .await
        .expect("joins");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    for expected in [
        r#"greenwave_mode{site="J1",mode="driving"} 1"#,
        r#"greenwave_operator_mode{site="J1",mode="adaptive"} 1"#,
        r#"greenwave_plan{site="J1",plan_id="webster-J1",version="1"} 1"#,
        r#"greenwave_modbus_reconnects_total{site="J1"} 1"#,
        r#"greenwave_interlock_trips_total{site="J1"} 0"#,
        r#"greenwave_detector_fault{site="J1",channel="0"} 0"#,
    ] {
        assert!(body.contains(expected), "no `{expected}` in:\n{body}");
    }
    let requests: f64 = body
        .lines()
        .find_map(|l| l.strip_prefix(r#"greenwave_modbus_request_seconds_count{site="J1"} "#))
        .and_then(|v| v.parse().ok())
        .expect("a request count");
    let ticks: f64 = body
        .lines()
        .find_map(|l| l.strip_prefix(r#"greenwave_control_tick_seconds_count{site="J1"} "#))
        .and_then(|v| v.parse().ok())
        .expect("a tick count");
    assert!(
        requests > 10.0 && ticks > 10.0,
        "{requests} requests, {ticks} ticks"
    );
    let (_, open) = tokio::task::spawn_blocking(move || {
        get_accepting(
            bind,
            "/metrics",
            "application/openmetrics-text;version=1.0.0",
        )
    })
    .await
    .expect("joins");
    assert!(
        open.ends_with("# EOF\n"),
        "OpenMetrics when asked for: {open}"
    );
    let (status, _) = tokio::task::spawn_blocking(move || get(bind, "/other"))
        .await
        .expect("joins");
    assert_eq!(status, "HTTP/1.1 404 Not Found");

    // The exposition passes the Prometheus project's own checker.
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool is needed for this test (apt-get install prometheus)");
    promtool
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("writes");
    let out = promtool.wait_with_output().expect("promtool runs");
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_address_in_use_is_an_error_at_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let bind = taken.local_addr().expect("an address");
    let mut config = support::paced_j1("127.0.0.1:9".parse().expect("an address"), SPEED, None);
    config.metrics_bind = Some(bind);
    let (_stop, stop_rx) = watch::channel(false);
    let err = run::run(config, stop_rx, None)
        .await
        .expect_err("refuses to start");
    let message = format!("{err:#}");
    assert!(
        message.contains(&format!("metrics.bind {bind}")) && message.contains("in use"),
        "{message}"
    );
}
