//! The daemon against a virtual cabinet of commodity I/O modules (lamps on coils, presence and
//! lamp sensing on discrete inputs) over real Modbus TCP, in real time (the modules have no
//! clock to follow): it takes over from the cabinet's flash at all red and drives with the
//! cabinet's conflict monitor reading the lamps; a module that stops answering, or a red lamp
//! that burns out, gives the safe state, never a partial picture.
#![cfg(feature = "sim")]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::watch;

use greenwave::cabinet::coils::rewired_config;
use greenwave::cabinet::{CabinetOptions, VirtualCabinets};
use greenwave::daemon::config::DaemonConfig;
use greenwave::daemon::run::{self, RunReport, SiteView};
use greenwave::fieldio::coils::wiring::Lamp;

use support::{eventually, root};

struct Daemon {
    stop: watch::Sender<bool>,
    view: watch::Receiver<SiteView>,
    task: tokio::task::JoinHandle<anyhow::Result<RunReport>>,
}

async fn cabinets(profile: &str) -> VirtualCabinets {
    let scenario =
        greenwave_sim::Scenario::load(&root().join("config/scenarios/arterial-peak.toml"))
            .expect("the scenario loads");
    let options = CabinetOptions {
        duration: Some(600.0),
        profile: Some(root().join(format!("config/profiles/{profile}.toml"))),
        ..CabinetOptions::default()
    };
    VirtualCabinets::start(&scenario, &options)
        .await
        .expect("the cabinets start")
}

/// J1's daemon, wired as the virtual cabinet's J1.
fn start(cabinets: &VirtualCabinets, name: &str) -> Daemon {
    let wiring = cabinets.sites[0]
        .coils
        .as_ref()
        .expect("modules")
        .wiring
        .clone();
    start_wired(&wiring, name)
}

fn start_wired(wiring: &greenwave::fieldio::coils::autowire::Wiring, name: &str) -> Daemon {
    let dir =
        std::env::temp_dir().join(format!("greenwave-coil-test-{}-{name}", std::process::id()));
    let file =
        rewired_config(&root().join("config/cabinets/J1.toml"), wiring, &dir).expect("rewired");
    let env = [(
        "GREENWAVE__CABINET__BACKOFF_MIN_MS".to_owned(),
        "10".to_owned(),
    )];
    let config = DaemonConfig::load_with(&file, env).expect("the rewired config loads");
    let (stop, stop_rx) = watch::channel(false);
    let (view_tx, view) = watch::channel(SiteView::default());
    let task = tokio::spawn(run::run(config, stop_rx, Some(view_tx)));
    Daemon { stop, view, task }
}

/// Every lamp of J1 as the coils light it, by group: [red, amber, green].
fn lamps(cabinets: &VirtualCabinets) -> Vec<[bool; 3]> {
    let coils = cabinets.sites[0].coils.as_ref().expect("modules");
    let banks = coils.modules.lock();
    coils
        .cabinet
        .lamps
        .iter()
        .map(|l| {
            l.clone()
                .map(|o| o.is_some_and(|o| banks[o.module].coil(o.coil)))
        })
        .collect()
}

fn greens(cabinets: &VirtualCabinets) -> usize {
    lamps(cabinets).iter().filter(|l| l[2]).count()
}

async fn finish(cabinets: VirtualCabinets, daemon: Daemon) {
    daemon.stop.send_replace(true);
    daemon.task.await.expect("joins").expect("runs");
    let trips = cabinets.trips();
    let outcome = cabinets.finish().expect("finishes");
    assert!(trips.is_empty(), "the conflict monitor tripped: {trips:?}");
    assert!(
        outcome.interlock_trips.is_empty(),
        "{:?}",
        outcome.interlock_trips
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_drives_lamps_on_coils_from_all_red() {
    let cabinets = cabinets("generic-16do-16di").await;
    let daemon = start(&cabinets, "drives");
    eventually("all red on every head", || {
        lamps(&cabinets).iter().all(|l| *l == [true, false, false])
    })
    .await;
    eventually("the daemon drives a stage", || {
        daemon.view.borrow().mode == "driving" && daemon.view.borrow().stage.is_some()
    })
    .await;
    let mut pictures = BTreeSet::new();
    eventually("four different lamp pictures", || {
        pictures.insert(lamps(&cabinets));
        pictures.len() >= 4
    })
    .await;
    assert!(
        pictures.iter().any(|p| p.iter().any(|l| l[2])),
        "a green was lit: {pictures:?}"
    );
    assert_eq!(daemon.view.borrow().mode, "driving");
    finish(cabinets, daemon).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_that_stops_answering_gives_the_safe_state_and_a_new_start_from_red() {
    let mut cabinets = cabinets("generic-8ro-8di-counters").await;
    let daemon = start(&cabinets, "restart");
    eventually("a green lit", || greens(&cabinets) > 0).await;
    // Down for longer than the modules' 2.5 s watchdog: they cut their outputs.
    cabinets
        .restart_server(0, Duration::from_secs(3))
        .await
        .expect("restarts");
    assert_eq!(greens(&cabinets), 0, "the watchdog put every lamp out");
    eventually("the daemon takes over again from all red", || {
        lamps(&cabinets).iter().all(|l| *l == [true, false, false])
    })
    .await;
    eventually("and drives a green again", || {
        greens(&cabinets) > 0 && daemon.view.borrow().mode == "driving"
    })
    .await;
    finish(cabinets, daemon).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_red_lamp_that_burns_out_latches_the_safe_state_flashing() {
    let cabinets = cabinets("generic-16do-16di").await;
    let daemon = start(&cabinets, "dead-red");
    eventually("the daemon drives", || {
        daemon.view.borrow().mode == "driving"
    })
    .await;
    // Group 1 (a left turn) shows red most of the time: its red lamp goes out.
    cabinets.sites[0]
        .coils
        .as_ref()
        .expect("modules")
        .burn_out(0, Lamp::Red);
    eventually("the safe state", || daemon.view.borrow().mode == "safe").await;
    let mut ambers = BTreeSet::new();
    eventually("every vehicle head flashes amber, no red, no green", || {
        let l = lamps(&cabinets);
        assert!(
            l.iter().all(|l| !l[0] && !l[2]) || ambers.is_empty(),
            "{l:?}"
        );
        if l.iter().all(|l| !l[0] && !l[2]) {
            ambers.insert(l.iter().all(|l| l[1]));
        }
        ambers.len() == 2
    })
    .await;
    finish(cabinets, daemon).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_that_answers_with_exceptions_keeps_the_lamps_flashing() {
    let cabinets = cabinets("generic-16do-16di").await;
    let mut wiring = cabinets.sites[0]
        .coils
        .as_ref()
        .expect("modules")
        .wiring
        .clone();
    // The second module is addressed by a unit id the gateway does not have: every request to
    // it is answered with exception 0B.
    wiring.modules[1].unit_id = 9;
    let daemon = start_wired(&wiring, "exceptions");
    // Amber on, off, on, off: flashing, not the dark of modules never written.
    let mut changes = Vec::new();
    eventually("the first module's heads flash amber", || {
        let l = lamps(&cabinets);
        // Groups 1 to 5 are on the first module.
        assert!(
            l[..5].iter().all(|l| !l[0] && !l[2]),
            "a red or a green lit: {l:?}"
        );
        let amber = l[..5].iter().all(|l| l[1]);
        if changes.last() != Some(&amber) && (amber || !changes.is_empty()) {
            changes.push(amber);
        }
        changes.len() >= 4
    })
    .await;
    assert_ne!(daemon.view.borrow().mode, "driving");
    daemon.stop.send_replace(true);
    let report = daemon.task.await.expect("joins").expect("runs");
    assert!(report.stats.failures > 0, "the failed polls are counted");
    cabinets.finish().expect("finishes");
}

#[test]
fn the_shipped_j1_coils_config_is_wired_as_the_virtual_cabinet_serves_it() {
    let config =
        DaemonConfig::load_with(&root().join("config/cabinets/J1-coils.toml"), []).expect("loads");
    let shipped = config.coils.expect("a coil cabinet");
    let profile_path = root().join("config/profiles/generic-16do-16di.toml");
    let profile =
        greenwave::fieldio::coils::profile::Profile::load(&profile_path).expect("profile");
    let wiring = greenwave::fieldio::coils::autowire::Wiring::generate(
        &config.site,
        &profile_path,
        &profile,
        "127.0.0.1:5020",
        true,
    )
    .expect("wires");
    let spec = greenwave::fieldio::coils::wiring::WiringSpec {
        modules: &wiring.modules,
        lamps: &wiring.lamps,
        feedback: &wiring.feedback,
        detectors: &wiring.detectors,
    };
    let served =
        greenwave::fieldio::coils::wiring::CoilCabinet::resolve(&profile_path, &config.site, &spec)
            .expect("resolves");
    assert_eq!(shipped.lamps, served.lamps);
    assert_eq!(shipped.feedback, served.feedback);
    assert_eq!(shipped.detectors, served.detectors);
    let units = |c: &greenwave::fieldio::coils::wiring::CoilCabinet| {
        c.modules
            .iter()
            .map(|m| (m.name.clone(), m.address.clone(), m.unit, m.watchdog_ms))
            .collect::<Vec<_>>()
    };
    assert_eq!(units(&shipped), units(&served));
}
