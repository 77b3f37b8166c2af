//! The independent check: the daemon drives lamps on I/O modules that nobody here wrote
//! (pymodbus's server, `tests/pymodbus/modules.py`, its tables laid out like the
//! `generic-16do-16di` profile), and the lamps are judged from the server's own log of every
//! coil write, intermediate ones included, replayed write by write, lamp by lamp: each head shows
//! one aspect at a time (red, green or amber) in the order red -> green -> amber -> red (MUTCD
//! 4D.26, region `us` as J1 runs), no two conflicting greens are ever lit, ambers, minimum greens
//! and intergreens last as long as the intersection says, and every module's watchdog was set.
//!
//! Runs J1 with the fixed-time controller (so stages go round without traffic) for
//! `GREENWAVE_PYMODBUS_S` seconds of real time (default 150, more than one 120 s cycle). Needs
//! `python3` with `pymodbus` 3.8 (`.ci/run` installs it).
#![cfg(feature = "sim")]

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::watch;

use greenwave::cabinet::coils::rewired_config;
use greenwave::daemon::config::DaemonConfig;
use greenwave::daemon::run;
use greenwave::fieldio::coils::autowire::Wiring;
use greenwave::fieldio::coils::profile::Profile;
use greenwave_controllers::model::{GroupIndex, Intersection};

use support::root;

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
fn start_server(profile: &std::path::Path, units: usize, log: &std::path::Path) -> (Server, u16) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pymodbus_sees_legal_sequences_intergreens_and_no_conflicting_greens() {
    let seconds: u64 = std::env::var("GREENWAVE_PYMODBUS_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    let profile_path = root().join("config/profiles/generic-16do-16di.toml");
    let profile = Profile::load(&profile_path).expect("the profile loads");
    let corridor =
        greenwave_controllers::load::corridor(&root().join("config/corridors/arterial-4.toml"))
            .expect("corridor");
    let site = greenwave_controllers::site::Site::all(&corridor)
        .into_iter()
        .find(|s| s.id == "J1")
        .expect("J1");
    let units = Wiring::generate(&site, &profile_path, &profile, "127.0.0.1:1", false)
        .expect("wires")
        .modules
        .len();
    let dir = std::env::temp_dir().join(format!("greenwave-pymodbus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log = dir.join("writes.jsonl");
    let (_server, port) = start_server(&profile_path, units, &log);
    let wiring = Wiring::generate(
        &site,
        &profile_path,
        &profile,
        &format!("127.0.0.1:{port}"),
        false,
    )
    .expect("wires");
    let file =
        rewired_config(&root().join("config/cabinets/J1.toml"), &wiring, &dir).expect("rewired");
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
            let o = o.as_ref().expect("a vehicle head has three lamps");
            lamp_of.insert((cabinet.modules[o.module].unit, o.coil), (g, l));
        }
    }
    let ix = site.intersection.clone();
    let verdict = judge(&ix, &lamp_of, &writes);
    eprintln!("pymodbus check over {seconds} s: {verdict:?}");
    assert!(verdict.problems.is_empty(), "{:#?}", verdict.problems);
    assert!(
        verdict.green_starts >= 8,
        "too few greens to judge: {verdict:?}"
    );
    for unit in 1..=units as u8 {
        let set = |address: u16, value: u8| {
            writes.iter().any(|w| {
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

#[derive(Debug, Default)]
struct Verdict {
    coil_writes: usize,
    green_starts: usize,
    /// Smallest margin over the required intergreen, amber and minimum green, s.
    min_margin_s: f64,
    problems: Vec<String>,
}

/// Replays the coil writes and judges every picture; tolerance 50 ms for the server's clock
/// against the daemon's.
fn judge(
    ix: &Intersection,
    lamp_of: &BTreeMap<(u8, u16), (usize, usize)>,
    writes: &[Write],
) -> Verdict {
    const TOLERANCE_S: f64 = 0.05;
    let n = ix.groups().len();
    let mut lit = vec![[false; 3]; n];
    let mut aspect: Vec<Option<char>> = vec![None; n];
    let mut since = vec![0.0; n];
    let mut green_end: Vec<Option<f64>> = vec![None; n];
    let mut v = Verdict {
        min_margin_s: f64::INFINITY,
        ..Verdict::default()
    };
    let require = |v: &mut Verdict, what: String, lasted: f64, needed: f64| {
        v.min_margin_s = v.min_margin_s.min(lasted - needed);
        if lasted < needed - TOLERANCE_S {
            v.problems
                .push(format!("{what}: {lasted:.2} s, needs {needed:.2} s"));
        }
    };
    for w in writes.iter().filter(|w| w.table == "coils") {
        v.coil_writes += 1;
        for (k, &value) in w.values.iter().enumerate() {
            if let Some(&(g, l)) = lamp_of.get(&(w.unit, w.address + k as u16)) {
                lit[g][l] = value == 1;
            }
        }
        for g in 0..n {
            let now = match lit[g] {
                [true, false, false] => Some('R'),
                [false, true, false] => Some('A'),
                [false, false, true] => Some('G'),
                [false, false, false] if aspect[g].is_none() => None,
                other => {
                    v.problems.push(format!(
                        "t={:.2} group {}: lamps {other:?} are no aspect",
                        w.t,
                        ix.groups()[g].id
                    ));
                    continue;
                }
            };
            if now == aspect[g] {
                continue;
            }
            let held = w.t - since[g];
            let id = &ix.groups()[g].id;
            match (aspect[g], now) {
                (None, Some('R')) => {}
                (Some('R'), Some('G')) => {
                    v.green_starts += 1;
                    for (c, end) in green_end.iter().enumerate() {
                        let (clearing, entering) = (GroupIndex(c as u8), GroupIndex(g as u8));
                        if let (Some(end), Some(ig)) = (end, ix.intergreen(clearing, entering)) {
                            let what =
                                format!("t={:.2} intergreen {} -> {id}", w.t, ix.groups()[c].id);
                            require(&mut v, what, w.t - end, ig.as_secs_f64());
                        }
                    }
                }
                (Some('G'), Some('A')) => {
                    green_end[g] = Some(w.t);
                    let min = ix.groups()[g].min_green.as_secs_f64();
                    require(&mut v, format!("t={:.2} green of {id}", w.t), held, min);
                }
                (Some('A'), Some('R')) => {
                    let amber = ix.timings().amber.as_secs_f64();
                    require(&mut v, format!("t={:.2} amber of {id}", w.t), held, amber);
                }
                (from, to) => v.problems.push(format!(
                    "t={:.2} group {id}: {from:?} -> {to:?} is not a legal change",
                    w.t
                )),
            }
            aspect[g] = now;
            since[g] = w.t;
        }
        for a in 0..n {
            for b in a + 1..n {
                if lit[a][2] && lit[b][2] && ix.conflicts(GroupIndex(a as u8), GroupIndex(b as u8))
                {
                    v.problems.push(format!(
                        "t={:.2} conflicting greens lit: {} and {}",
                        w.t,
                        ix.groups()[a].id,
                        ix.groups()[b].id
                    ));
                }
            }
        }
    }
    v
}
