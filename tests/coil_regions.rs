//! Every region's heads through coils: the daemon drives the European crossing with
//! pedestrians, the post-Soviet crossing and J1 of the arterial with US pedestrian phases on a
//! virtual cabinet of commodity I/O modules, whose conflict monitor reads the lamps back into
//! aspects and judges them (the interlock's own table of each region's sequences, intergreens,
//! conflicts). Each region's changes must all be seen on the simulated heads, with no monitor
//! trip: red -> red+amber -> green -> amber -> red (EU), green -> flashing green -> amber -> red
//! (post-Soviet), walk -> flashing don't walk -> don't walk (US pedestrians), pedestrian green
//! -> red (EU) and green -> flashing green -> red (post-Soviet). The post-Soviet crossing runs
//! a second time on modules that flash their outputs themselves (`[flash]` in the profile).
//!
//! Real time (the modules have no clock to follow): each run lasts a little over one cycle;
//! the four run at once.
#![cfg(feature = "sim")]

mod support;

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::watch;

use greenwave::cabinet::coils::rewired_config;
use greenwave::cabinet::{CabinetOptions, VirtualCabinets};
use greenwave::daemon::config::DaemonConfig;
use greenwave::daemon::run::{self, SiteView};
use greenwave_controllers::model::{Aspect, GroupKind};

use support::{coil_base_config, root};

/// A change of aspect seen on a simulated head.
type Change = (GroupKind, Aspect, Aspect);

/// What one run saw.
struct Seen {
    changes: HashSet<Change>,
    modes: BTreeSet<String>,
    /// A lamp was seen dark while its coil was on: the module flashed it.
    module_flashed: bool,
}

/// Runs J1 of `scenario` on modules of `profile` for `seconds`, its daemon on `plan`, and
/// collects the changes its simulated heads show; no monitor trip, no interlock trip.
async fn drive(
    name: &str,
    scenario: PathBuf,
    corridor: PathBuf,
    plan: PathBuf,
    profile: &str,
    seconds: u64,
) -> Seen {
    let scenario = greenwave_sim::Scenario::load(&scenario).expect("the scenario loads");
    let options = CabinetOptions {
        duration: Some(seconds as f64 + 30.0),
        profile: Some(root().join(format!("config/profiles/{profile}.toml"))),
        ..CabinetOptions::default()
    };
    let cabinets = VirtualCabinets::start(&scenario, &options)
        .await
        .expect("the cabinets start");
    let dir = std::env::temp_dir().join(format!(
        "greenwave-coil-regions-{}-{name}",
        std::process::id()
    ));
    let base = coil_base_config(&dir, &corridor, &plan);
    let coils = cabinets.sites[0].coils.as_ref().expect("modules");
    let file = rewired_config(&base, &coils.wiring, &dir).expect("rewired");
    let config = DaemonConfig::load_with(&file, []).expect("the rewired config loads");
    let kinds = coils.cabinet.kinds.clone();
    let (stop, stop_rx) = watch::channel(false);
    let (view_tx, view) = watch::channel(SiteView::default());
    let daemon = tokio::spawn(run::run(config, stop_rx, Some(view_tx)));

    let mut seen = Seen {
        changes: HashSet::new(),
        modes: BTreeSet::new(),
        module_flashed: false,
    };
    let mut last: Vec<u16> = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(20));
    for _ in 0..seconds * 50 {
        ticker.tick().await;
        let shown = cabinets.sites[0].bank.lock().shown.clone();
        for (g, (&before, &now)) in last.iter().zip(&shown).enumerate() {
            if before != now {
                let aspect = |c| Aspect::from_code(c).expect("an aspect");
                seen.changes.insert((kinds[g], aspect(before), aspect(now)));
            }
        }
        last = shown;
        seen.modes.insert(view.borrow().mode.clone());
        let banks = coils.modules.lock();
        let now = std::time::Instant::now();
        seen.module_flashed |= coils
            .cabinet
            .lamps
            .iter()
            .flatten()
            .flatten()
            .any(|o| banks[o.module].coil(o.coil) && !banks[o.module].output(o.coil, now));
    }
    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");
    let trips = cabinets.trips();
    let outcome = cabinets.finish().expect("finishes");
    assert!(
        trips.is_empty(),
        "{name}: the conflict monitor tripped: {trips:?}"
    );
    assert!(
        outcome.interlock_trips.is_empty(),
        "{name}: {:?}",
        outcome.interlock_trips
    );
    seen
}

fn config(path: &str) -> PathBuf {
    root().join("config").join(path)
}

/// `seen` has every change of `expected`, and the daemon drove.
fn assert_seen(name: &str, seen: &Seen, expected: &[Change]) {
    assert!(seen.modes.contains("driving"), "{name}: {:?}", seen.modes);
    let missing: Vec<&Change> = expected
        .iter()
        .filter(|c| !seen.changes.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "{name}: never seen {missing:?}; seen {:?}",
        seen.changes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_regions_heads_show_their_sequences_through_coils() {
    use Aspect::*;
    use GroupKind::{Pedestrian as P, Vehicle as V};
    let us_tree = support::us_peds_on_recall(&std::env::temp_dir().join(format!(
        "greenwave-coil-regions-{}-us-tree",
        std::process::id()
    )));
    let eu = drive(
        "eu",
        config("scenarios/eu-crossing-peds.toml"),
        config("corridors/eu-crossing.toml"),
        config("plans/eu-two-stage-base.toml"),
        "generic-16do-16di",
        90,
    );
    let post_soviet = drive(
        "post-soviet",
        config("scenarios/post-soviet-crossing.toml"),
        config("corridors/post-soviet-crossing.toml"),
        config("plans/post-soviet-base.toml"),
        "generic-16do-16di",
        100,
    );
    let post_soviet_flash = drive(
        "post-soviet-module-flash",
        config("scenarios/post-soviet-crossing.toml"),
        config("corridors/post-soviet-crossing.toml"),
        config("plans/post-soviet-base.toml"),
        "generic-16do-16di-flash",
        100,
    );
    let us = drive(
        "us-peds",
        us_tree.join("scenarios/arterial-peak-peds.toml"),
        us_tree.join("corridors/arterial-4-peds.toml"),
        us_tree.join("plans/arterial-peds-webster/J1.toml"),
        "generic-16do-16di",
        140,
    );
    let (eu, post_soviet, post_soviet_flash, us) =
        tokio::join!(eu, post_soviet, post_soviet_flash, us);
    let eu_changes = [
        (V, Red, RedAmber),
        (V, RedAmber, Green),
        (V, Green, Amber),
        (V, Amber, Red),
        (P, Red, Green),
        (P, Green, Red),
    ];
    assert_seen("eu", &eu, &eu_changes);
    let post_soviet_changes = [
        (V, Red, RedAmber),
        (V, RedAmber, Green),
        (V, Green, FlashingGreen),
        (V, FlashingGreen, Amber),
        (V, Amber, Red),
        (P, Red, Green),
        (P, Green, FlashingGreen),
        (P, FlashingGreen, Red),
    ];
    assert_seen("post-soviet", &post_soviet, &post_soviet_changes);
    assert_seen(
        "post-soviet-module-flash",
        &post_soviet_flash,
        &post_soviet_changes,
    );
    // There the modules flashed the lamps: a lamp dark while its coil was on.
    assert!(post_soviet_flash.module_flashed);
    assert!(!post_soviet.module_flashed);
    assert_seen(
        "us-peds",
        &us,
        &[
            (V, Red, Green),
            (V, Green, Amber),
            (V, Amber, Red),
            (P, Red, Green),
            (P, Green, FlashingDontWalk),
            (P, FlashingDontWalk, Red),
        ],
    );
}
