//! The independent check: the daemon drives lamps on I/O modules that nobody here wrote
//! (pymodbus's server, `tests/pymodbus/modules.py`, its tables laid out like the
//! `generic-16do-16di` profile), and the lamps are judged from the server's own log of every
//! coil write, intermediate ones included, replayed write by write, lamp by lamp
//! (`tests/lamp_judge`): each head shows its region's aspects in its region's order, no two
//! conflicting greens are ever lit, red+amber, ambers, flashing greens, flashing don't walks,
//! minimum greens and intergreens last as long as the intersection says, and every module's
//! watchdog was set.
//!
//! Four junctions, each with the fixed-time controller (so stages go round without traffic):
//! J1 of the arterial (`us`, vehicle heads), J1 of the arterial with pedestrian phases (`us`
//! walk, flashing don't walk, don't walk; on pedestrian recall, since the modules' inputs stay
//! off), the European two-stage crossing with pedestrians (`eu`) and the post-Soviet
//! three-stage crossing (`post_soviet`). Each runs for `GREENWAVE_PYMODBUS_S` seconds of real
//! time (default 150, more than one cycle of each). Needs `python3` with `pymodbus` 3.8
//! (`.ci/run` installs it).
#![cfg(feature = "sim")]

mod lamp_judge;
mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::watch;

use greenwave::cabinet::coils::rewired_config;
use greenwave::daemon::config::DaemonConfig;
use greenwave::daemon::run;
use greenwave::fieldio::coils::autowire::Wiring;
use greenwave::fieldio::coils::profile::Profile;
use greenwave_controllers::site::Site;

use lamp_judge::{CoilWrite, Verdict, judge};
use support::{coil_base_config, root};

/// One write as the server logged it.
#[derive(Deserialize, Debug)]
struct Write {
    t: f64,
    unit: u8,
    table: String,
    address: u16,
    values: Vec<u8>,
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the modules; returns the server and its port.
fn start_server(profile: &Path, units: usize, log: &Path) -> (Server, u16) {
    let mut child = Command::new("python3")
        .arg(root().join("tests/pymodbus/modules.py"))
        .arg(profile)
        .arg(units.to_string())
        .arg(log)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs (with pymodbus 3.8: pip install pymodbus==3.8.6)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the server says its port");
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a port: `{line}` (is pymodbus installed?)"));
    (Server(child), port)
}

fn seconds() -> u64 {
    std::env::var("GREENWAVE_PYMODBUS_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150)
}

/// A run: the verdict, the server's log, the number of modules.
struct Run {
    verdict: Verdict,
    writes: Vec<Write>,
    units: usize,
}

/// Runs site `J1` of `corridor` from the cabinet config `base` (rewired to pymodbus modules)
/// with the fixed-time controller for `seconds()`, and judges its lamps.
async fn run_site(name: &str, corridor: &Path, base: &Path) -> Run {
    let seconds = seconds();
    let profile_path = root().join("config/profiles/generic-16do-16di.toml");
    let profile = Profile::load(&profile_path).expect("the profile loads");
    let corridor = greenwave_controllers::load::corridor(corridor).expect("corridor");
    let site = Site::all(&corridor)
        .into_iter()
        .find(|s| s.id == "J1")
        .expect("J1");
    let units = Wiring::generate(&site, &profile_path, &profile, "127.0.0.1:1", false)
        .expect("wires")
        .modules
        .len();
    let dir = scratch(name);
    let log = dir.join("writes.jsonl");
    let (_server, port) = start_server(&profile_path, units, &log);
    let address = format!("127.0.0.1:{port}");
    let wiring = Wiring::generate(&site, &profile_path, &profile, &address, false).expect("wires");
    let file = rewired_config(base, &wiring, &dir).expect("rewired");
    let env = [("GREENWAVE__CONTROLLER__KIND".to_owned(), "fixed".to_owned())];
    let config = DaemonConfig::load_with(&file, env).expect("the rewired config loads");
    let cabinet = config.coils.clone().expect("a coil cabinet");

    let (stop, stop_rx) = watch::channel(false);
    let daemon = tokio::spawn(run::run(config, stop_rx, None));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    // Judged up to here: the switch-off at shutdown is not part of the run.
    let text = std::fs::read_to_string(&log).expect("the log");
    stop.send_replace(true);
    daemon.await.expect("joins").expect("runs");

    let writes: Vec<Write> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a log line"))
        .collect();
    // Lamps by (unit, coil), from the wiring (terminal DOn is coil n in the profile).
    let mut lamp_of: BTreeMap<(u8, u16), (usize, usize)> = BTreeMap::new();
    for (g, lamps) in cabinet.lamps.iter().enumerate() {
        for (l, o) in lamps.iter().enumerate() {
            if let Some(o) = o {
                lamp_of.insert((cabinet.modules[o.module].unit, o.coil), (g, l));
            }
        }
    }
    let coils: Vec<CoilWrite> = writes
        .iter()
        .filter(|w| w.table == "coils")
        .map(|w| CoilWrite {
            t: w.t,
            unit: w.unit,
            address: w.address,
            values: w.values.iter().map(|&v| v == 1).collect(),
        })
        .collect();
    let end = coils.first().map_or(0.0, |w| w.t) + seconds as f64;
    let end = writes.last().map_or(end, |w| w.t.max(end));
    let verdict = judge(&site.intersection, &lamp_of, &coils, end);
    let halves = verdict
        .flash_halves_s
        .map_or("none".into(), |(lo, hi)| format!("{lo:.3} to {hi:.3} s"));
    eprintln!(
        "pymodbus check, {name}, over {seconds} s: {} coil writes, {} green starts, {} \
         conflicting greens, {} illegal changes, {} short intervals, smallest margin {:.2} s, \
         whole flash halves {halves}; changes seen: {:?}; problems: {:?}",
        verdict.coil_writes,
        verdict.green_starts,
        verdict.conflicting_greens,
        verdict.illegal_changes,
        verdict.short_intervals,
        verdict.min_margin_s,
        verdict.changes,
        verdict.problems
    );
    Run {
        verdict,
        writes,
        units,
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("greenwave-pymodbus-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The judge found nothing, saw enough greens, and saw every change in `expected`.
fn assert_clean(run: &Run, min_greens: usize, expected: &[&str]) {
    let v = &run.verdict;
    assert!(v.problems.is_empty(), "{:#?}", v.problems);
    assert_eq!(
        v.conflicting_greens + v.illegal_changes + v.short_intervals,
        0
    );
    assert!(
        v.green_starts >= min_greens,
        "too few greens to judge: {v:?}"
    );
    for change in expected {
        assert!(
            v.changes.contains_key(*change),
            "never seen: {change}; seen: {:?}",
            v.changes
        );
    }
}

/// Each region's junction at once (so `GREENWAVE_PYMODBUS_S` is the wall time of the whole
/// check), each judged on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pymodbus_sees_each_regions_sequences_intergreens_and_no_conflicting_greens() {
    let us = us_vehicles();
    let eu = eu_with_pedestrians();
    let post_soviet = post_soviet_with_pedestrians();
    let us_peds = us_with_pedestrians();
    let (us, eu, post_soviet, us_peds) = tokio::join!(us, eu, post_soviet, us_peds);
    let vehicle_us = [
        "Vehicle: Red -> Green",
        "Vehicle: Green -> Amber",
        "Vehicle: Amber -> Red",
    ];
    assert_clean(&us, 8, &vehicle_us);
    assert_watchdogs_set(&us);
    assert_clean(
        &eu,
        6,
        &[
            "Vehicle: Red -> RedAmber",
            "Vehicle: RedAmber -> Green",
            "Vehicle: Green -> Amber",
            "Vehicle: Amber -> Red",
            "Pedestrian: Red -> Green",
            "Pedestrian: Green -> Red",
        ],
    );
    assert_clean(
        &post_soviet,
        7,
        &[
            "Vehicle: Red -> RedAmber",
            "Vehicle: RedAmber -> Green",
            "Vehicle: Green -> FlashingGreen",
            "Vehicle: FlashingGreen -> Amber",
            "Vehicle: Amber -> Red",
            "Pedestrian: Red -> Green",
            "Pedestrian: Green -> FlashingGreen",
            "Pedestrian: FlashingGreen -> Red",
        ],
    );
    assert_clean(
        &us_peds,
        8,
        &[
            &vehicle_us[..],
            &[
                "Pedestrian: Red -> Green",
                "Pedestrian: Green -> FlashingDontWalk",
                "Pedestrian: FlashingDontWalk -> Red",
            ],
        ]
        .concat(),
    );
}

/// Every module's watchdog was set to 2500 ms and enabled.
fn assert_watchdogs_set(run: &Run) {
    for unit in 1..=run.units as u8 {
        let set = |address: u16, value: u8| {
            run.writes.iter().any(|w| {
                w.unit == unit
                    && w.table == "holding"
                    && w.address == address
                    && w.values == [value]
            })
        };
        assert!(
            set(4096, 25) && set(4097, 1),
            "unit {unit}: watchdog set to 2500 ms and enabled"
        );
    }
}

/// J1 of the arterial, as shipped (`us`, vehicle heads only).
async fn us_vehicles() -> Run {
    run_site(
        "us",
        &root().join("config/corridors/arterial-4.toml"),
        &root().join("config/cabinets/J1.toml"),
    )
    .await
}

/// The European two-stage crossing with pedestrians.
async fn eu_with_pedestrians() -> Run {
    let corridor = root().join("config/corridors/eu-crossing.toml");
    let plan = root().join("config/plans/eu-two-stage-base.toml");
    let base = coil_base_config(&scratch("eu-base"), &corridor, &plan);
    run_site("eu", &corridor, &base).await
}

/// The post-Soviet three-stage crossing with pedestrians.
async fn post_soviet_with_pedestrians() -> Run {
    let corridor = root().join("config/corridors/post-soviet-crossing.toml");
    let plan = root().join("config/plans/post-soviet-base.toml");
    let base = coil_base_config(&scratch("ps-base"), &corridor, &plan);
    run_site("post-soviet", &corridor, &base).await
}

/// J1 of the arterial with pedestrian phases, copied with pedestrian recall on: the modules'
/// push-button inputs stay off.
async fn us_with_pedestrians() -> Run {
    let dir = support::us_peds_on_recall(&scratch("us-peds-tree"));
    let corridor = dir.join("corridors/arterial-4-peds.toml");
    let base = coil_base_config(
        &dir,
        &corridor,
        &dir.join("plans/arterial-peds-webster/J1.toml"),
    );
    run_site("us-peds", &corridor, &base).await
}
