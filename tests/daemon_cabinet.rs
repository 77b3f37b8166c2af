//! The daemon (`greenwave::daemon::run`) against cabinets over real Modbus TCP: the virtual
//! cabinet (the simulator) it takes over and drives, hands back on shutdown and loses to the
//! watchdog when killed; a scripted cabinet whose heartbeat freezes or whose heads do not show
//! what was commanded.
#![cfg(feature = "sim")]

mod support;

use std::time::Duration;

use tokio::sync::watch;

use greenwave::cabinet::VirtualCabinets;
use greenwave::cabinet::registers::address;
use greenwave::daemon::config::DaemonConfig;
use greenwave::daemon::run::{self, RunReport, SiteView};
use greenwave::fieldio::poller::request;

use support::{Scripted, eventually, root};

/// Simulated seconds per real second in these tests.
const SPEED: f64 = 20.0;

struct Daemon {
    stop: watch::Sender<bool>,
    view: watch::Receiver<SiteView>,
    task: tokio::task::JoinHandle<anyhow::Result<RunReport>>,
}

fn start(config: DaemonConfig) -> Daemon {
    let (stop, stop_rx) = watch::channel(false);
    let (view_tx, view) = watch::channel(SiteView::default());
    let task = tokio::spawn(run::run(config, stop_rx, Some(view_tx)));
    Daemon { stop, view, task }
}

fn status(cabinets: &VirtualCabinets) -> u16 {
    cabinets.sites[0].bank.lock().header[usize::from(address::CABINET_STATUS)]
}

fn shown(cabinets: &VirtualCabinets) -> Vec<u16> {
    cabinets.sites[0].bank.lock().shown.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_takes_over_drives_safely_and_hands_back_on_shutdown() {
    let cabinets = support::arterial_cabinets(SPEED, 600.0).await;
    let daemon = start(support::paced_j1(cabinets.sites[0].address, SPEED, None));

    eventually("the cabinet hands over", || status(&cabinets) & 1 == 0).await;
    eventually("the daemon drives a stage", || {
        daemon.view.borrow().mode == "driving" && daemon.view.borrow().stage.is_some()
    })
    .await;
    // Different states over a while: the daemon's stages go round.
    let mut states = std::collections::BTreeSet::new();
    eventually("three different states shown", || {
        states.insert(shown(&cabinets));
        states.len() >= 3
    })
    .await;
    assert_eq!(status(&cabinets) & 0b110, 0, "no flash, no conflict");

    daemon.stop.send_replace(true);
    let report = daemon.task.await.expect("joins").expect("runs");
    assert!(report.ticks > 10);
    assert!(!report.stats.latencies_us.is_empty());
    assert_eq!(
        cabinets.sites[0].bank.lock().control_request,
        request::LOCAL,
        "handed back"
    );
    eventually("the cabinet runs locally", || status(&cabinets) & 1 == 1).await;
    let outcome = cabinets.finish().expect("finishes");
    assert!(
        outcome.interlock_trips.is_empty(),
        "the cabinet's conflict monitor never tripped: {:?}",
        outcome.interlock_trips
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_cabinet_server_is_reconnected_and_driven_again_without_a_conflict() {
    let mut cabinets = support::arterial_cabinets(SPEED, 900.0).await;
    let daemon = start(support::paced_j1(cabinets.sites[0].address, SPEED, None));
    eventually("the cabinet hands over", || status(&cabinets) & 1 == 0).await;
    eventually("the heads show the command", || {
        let bank = cabinets.sites[0].bank.lock();
        bank.shown == bank.commanded && bank.shown.contains(&3)
    })
    .await;

    // Down for 10 simulated seconds: longer than the cabinet's 3 s watchdog.
    let down = Duration::from_secs_f64(10.0 / SPEED);
    cabinets.restart_server(0, down).await.expect("restarts");
    assert_eq!(status(&cabinets) & 1, 1, "the cabinet fell back meanwhile");
    eventually("the daemon takes over again", || {
        status(&cabinets) & 1 == 0 && daemon.view.borrow().mode == "driving"
    })
    .await;
    let mut states = std::collections::BTreeSet::new();
    eventually("the daemon drives on", || {
        states.insert(shown(&cabinets));
        states.len() >= 3
    })
    .await;

    // A blip shorter than the watchdog: the cabinet stays external, the daemon carries on.
    cabinets
        .restart_server(0, Duration::from_secs_f64(0.5 / SPEED))
        .await
        .expect("restarts");
    eventually("the daemon drives on after a blip", || {
        daemon.view.borrow().mode == "driving" && status(&cabinets) & 1 == 0
    })
    .await;
    daemon.stop.send_replace(true);
    daemon.task.await.expect("joins").expect("runs");
    let outcome = cabinets.finish().expect("finishes");
    assert!(
        outcome.interlock_trips.is_empty(),
        "{:?}",
        outcome.interlock_trips
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_daemon_loses_the_cabinet_to_its_watchdog() {
    let cabinets = support::arterial_cabinets(SPEED, 600.0).await;
    // The daemon as a process, killed outright (SIGKILL): nothing hands the cabinet back.
    let tick_hz = (10.0 * SPEED).to_string();
    let watchdog_s = (1.0 / SPEED).to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_greenwave"))
        .args(["run", "--config", "config/cabinets/J1.toml"])
        .current_dir(root())
        .env(
            "GREENWAVE__CABINET__ADDRESS",
            cabinets.sites[0].address.to_string(),
        )
        .env("GREENWAVE__CONTROL__CLOCK", "cabinet")
        .env("GREENWAVE__CONTROL__TICK_HZ", &tick_hz)
        .env("GREENWAVE__CABINET__WATCHDOG_S", &watchdog_s)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("greenwave starts");
    eventually("the cabinet hands over", || status(&cabinets) & 1 == 0).await;
    child.kill().expect("killed");
    let _ = child.wait();
    assert_eq!(
        cabinets.sites[0].bank.lock().control_request,
        request::EXTERNAL,
        "nobody handed the cabinet back"
    );
    eventually("the watchdog drops the cabinet to local", || {
        status(&cabinets) & 1 == 1
    })
    .await;
    let outcome = cabinets.finish().expect("finishes");
    assert!(
        outcome.interlock_trips.is_empty(),
        "{:?}",
        outcome.interlock_trips
    );
}

/// A scripted cabinet in external control showing all red whose clock runs `SPEED` times real
/// time; `heartbeat` says whether its I/O heartbeat moves.
async fn scripted_cabinet(heartbeat: bool) -> (Scripted, tokio::task::JoinHandle<()>) {
    let cab = Scripted::start(30, 8).await;
    let bank = cab.bank.clone();
    let clock = tokio::spawn(async move {
        let mut ds: u32 = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(5)).await;
            ds += (SPEED / 2.0) as u32;
            let mut b = bank.lock();
            b.header[usize::from(address::CLOCK_DS)] = (ds >> 16) as u16;
            b.header[usize::from(address::CLOCK_DS) + 1] = ds as u16;
            if heartbeat {
                b.header[usize::from(address::IO_HEARTBEAT)] = (ds / 10) as u16;
            }
        }
    });
    (cab, clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_io_heartbeat_leads_to_the_safe_state() {
    let (cab, clock) = scripted_cabinet(false).await;
    let daemon = start(support::paced_j1(cab.address, SPEED, None));
    eventually("the daemon asks for flash", || {
        cab.bank.lock().control_request == request::FLASH_NOW
    })
    .await;
    assert_eq!(daemon.view.borrow().mode, "safe");
    clock.abort();
    daemon.stop.send_replace(true);
    let _ = daemon.task.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_that_do_not_show_the_command_lead_to_the_safe_state() {
    // The heads stay red whatever is commanded.
    let (cab, clock) = scripted_cabinet(true).await;
    let daemon = start(support::paced_j1(cab.address, SPEED, None));
    eventually("the daemon commands a green", || {
        cab.bank.lock().commanded.contains(&3)
    })
    .await;
    eventually("the daemon asks for flash", || {
        cab.bank.lock().control_request == request::FLASH_NOW
    })
    .await;
    assert_eq!(daemon.view.borrow().mode, "safe");
    clock.abort();
    daemon.stop.send_replace(true);
    let _ = daemon.task.await;
}
