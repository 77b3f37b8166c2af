//! The event log judged by a tool nobody here wrote: the arterial peak is simulated with every
//! intersection's event log written (`greenwave::eventlog::sim`), and the `atspm` package (PyPI,
//! 2.6.1; installed by `.ci/run`) aggregates the logs with the exported detector configuration
//! (`tests/atspm/check.py`). Checked against the simulator's own figures:
//! - every line loads, with no unknown event code;
//! - each log's plan taking effect: its pattern (131) and cycle (132);
//! - detector actuations per channel and 15-minute bin equal the loops' counts;
//! - arrivals on green per phase over the hour are within 3 percentage points of the truth on
//!   every phase with at least 50 arrivals: the vehicles whose undelayed arrival at the stop line
//!   (crossing time minus the delay the junction caused them,
//!   `StopLineCrossing::junction_delay_s`) fell in their group's green.
//!
//! And `greenwave report`'s own measures (`greenwave::measures`) from the same logs against the
//! package's, per phase and 15-minute bin: arrivals equal, arrivals on green within 2 percentage
//! points, split failures within 1; the split failures on the peak at 1.4 times its demand with
//! 12 m stop-bar presence zones, where there are some (at least 10 asserted in each).
//!
//! Arrivals are counted on the advance count loops 120 m upstream, beyond the standing queues;
//! the package classifies an actuation by the signal at the loop, so the actuations are shifted
//! by the free-flow travel time over those 120 m (the package's `latency_offset_seconds`,
//! negative).
#![cfg(feature = "sim")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use greenwave::eventlog::sim::SimLogs;
use greenwave::eventlog::{LocalTime, detectors, phase_number};
use greenwave::measures;
use greenwave_controllers::corridor::{Corridor, CorridorSpec, DetectorKind};
use greenwave_controllers::detector::counted_since;
use greenwave_controllers::load;
use greenwave_controllers::site::Site;
use greenwave_sim::{RunOptions, Scenario, Simulation};

/// The advance count loops' distance from the stop line and the free speed (config/corridors/
/// arterial-4.toml): 120 m at 50 km/h. The package shifts every actuation by one offset, so
/// [`simulate`] checks that every loop it counts arrivals on is that far upstream.
const ADVANCE_M: f64 = 120.0;
const ADVANCE_TRAVEL_S: f64 = ADVANCE_M / (50.0 / 3.6);
const BIN_S: f64 = 900.0;
/// A loop held occupied longer than this has a vehicle standing on it: a vehicle moving at
/// even 10 km/h covers a 2 m loop with its 5 m length in under 3 s.
const STANDING_S: f64 = 3.0;
/// The pattern number the plans are given.
const PATTERN: u8 = 3;
/// Every phase with at least this many arrivals in the hour is compared with the truth.
const MIN_ARRIVALS: u64 = 50;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> String {
    std::env::var("GREENWAVE_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// What the simulator itself saw: green intervals per (site, phase), loop counts per (site,
/// channel, bin).
#[derive(Default)]
struct Truth {
    greens: BTreeMap<(String, u16), Vec<(f64, f64)>>,
    counts: BTreeMap<(String, u16, usize), u64>,
    last_counts: BTreeMap<(String, usize), u16>,
    /// Per (site, channel): since when it has been occupied, and the seconds it was held
    /// occupied beyond [`STANDING_S`] at a stretch (a queue standing over the loop).
    occupied_since: BTreeMap<(String, u16), f64>,
    standing_s: BTreeMap<(String, u16), f64>,
}

impl Truth {
    fn observe(&mut self, sim: &Simulation, sites: &[Site], began_s: f64) {
        let now_s = sim.now().as_secs_f64();
        for site in sites {
            let shown = sim.signals(&site.id).expect("site signals");
            for (g, aspect) in shown.iter() {
                let greens = self
                    .greens
                    .entry((site.id.clone(), phase_number(g.get())))
                    .or_default();
                match greens.last_mut() {
                    Some(last) if aspect.is_go() && last.1 == began_s => last.1 = now_s,
                    _ if aspect.is_go() => greens.push((began_s, now_s)),
                    _ => {}
                }
            }
            let samples = sim.detector_samples(&site.id).expect("site detectors");
            for (c, s) in samples.iter().enumerate() {
                let before = self
                    .last_counts
                    .insert((site.id.clone(), c), s.count)
                    .unwrap_or(0);
                let key = (site.id.clone(), c as u16 + 1);
                match (s.presence, self.occupied_since.get(&key).copied()) {
                    (true, None) => {
                        self.occupied_since.insert(key, now_s);
                    }
                    (false, Some(since)) => {
                        self.occupied_since.remove(&key);
                        let held = now_s - since;
                        if held > STANDING_S {
                            *self.standing_s.entry(key).or_default() += held;
                        }
                    }
                    _ => {}
                }
                let n = counted_since(s.count, before);
                if n > 0 {
                    let bin = (now_s / BIN_S) as usize;
                    *self
                        .counts
                        .entry((site.id.clone(), c as u16 + 1, bin))
                        .or_default() += u64::from(n);
                }
            }
        }
    }

    fn green_at(&self, site: &str, phase: u16, t: f64) -> bool {
        self.greens
            .get(&(site.to_owned(), phase))
            .is_some_and(|gs| gs.iter().any(|&(a, b)| t >= a && t < b))
    }
}

/// Arrivals and arrivals on green, by (site, phase).
type Arrivals = BTreeMap<(String, u16), (u64, u64)>;

/// The arterial peak under fixed time.
const PEAK: &str = "config/scenarios/arterial-peak.toml";
/// The arterial peak with every demand times 1.4: the same fixed-time plans, oversaturated.
const PEAK_1_4: &str = "config/scenarios/arterial-peak-1.4.toml";
/// The length of the stop-bar presence zones the split-failure comparison runs with: the 40 ft
/// zone the 80 % occupancy method assumes. Over the arterial's 5 m loops the gaps between
/// vehicles leaving a queue show, and no green is 80 % occupied.
const PRESENCE_ZONE_M: f64 = 12.0;

/// The scenario at `path` (from the repository root).
fn load(path: &str) -> Scenario {
    Scenario::load(&root().join(path)).expect("the scenario loads")
}

/// `scenario` with every stop-bar loop of its corridor (`corridor`, from the repository root)
/// made a presence zone `length_m` long.
fn with_stop_bar_zones(mut scenario: Scenario, corridor: &str, length_m: f64) -> Scenario {
    let path = root().join(corridor);
    let text = std::fs::read_to_string(&path).expect("the corridor reads");
    let mut spec: CorridorSpec = toml::from_str(&text).expect("the corridor parses");
    for d in spec.links.iter_mut().flat_map(|l| &mut l.detectors) {
        if d.kind == DetectorKind::StopBar {
            d.length_m = length_m;
        }
    }
    let dir = path.parent().expect("a directory");
    let corridor = Corridor::from_spec(&spec, |relative| {
        (load::intersection(&dir.join(relative)))
            .map(Arc::new)
            .map_err(|e| e.to_string())
    })
    .expect("the corridor is valid");
    scenario.corridor = Arc::new(corridor);
    scenario
}

/// Simulates `scenario` into `dir`: the logs, the detector configuration (returned); and the
/// truth.
fn simulate(dir: &Path, scenario: &Scenario) -> (Vec<detectors::DetectorRow>, Truth, Arrivals) {
    let sites = Site::all(&scenario.corridor);
    let (rows, uncalled) = detectors::rows(&sites);
    assert!(uncalled.is_empty(), "{uncalled:?}");
    let advance = rows.iter().filter(|r| r.function == "Advance");
    assert!(
        advance.clone().all(|r| r.distance_m == ADVANCE_M),
        "{rows:#?}"
    );
    let file = std::fs::File::create(dir.join("detectors.csv")).unwrap();
    detectors::write_csv(file, &rows).unwrap();

    let clock = LocalTime::named("America/Indiana/Indianapolis").unwrap();
    let start = clock.instant("2026-06-02T16:00".parse().unwrap()).unwrap();
    let controller = scenario.controller.clone();
    let mut logs =
        SimLogs::create(&dir.join("logs"), scenario, &controller, start, &clock).unwrap();
    let mut sim = Simulation::new(scenario, &RunOptions::default()).expect("simulation");
    let mut truth = Truth::default();
    while !sim.finished() {
        let began = sim.now();
        sim.step();
        logs.after_step(&sim, began).unwrap();
        truth.observe(&sim, &sites, began.as_secs_f64());
    }
    logs.finish().unwrap();

    let mut aog = Arrivals::new();
    let outcome = sim.outcome(0.0);
    for c in outcome.crossings.iter() {
        let site = sites.iter().find(|s| s.id == c.intersection).unwrap();
        let approach = site
            .approaches
            .iter()
            .find(|a| a.direction.to_string() == c.direction)
            .unwrap();
        let movement = approach
            .movements
            .iter()
            .find(|m| m.turn.to_string() == c.turn)
            .unwrap();
        let Some(group) = movement.group else {
            continue;
        };
        let phase = phase_number(group.get());
        let arrived = c.t_s - c.junction_delay_s;
        let entry = aog.entry((c.intersection.clone(), phase)).or_default();
        entry.0 += 1;
        entry.1 += u64::from(truth.green_at(&c.intersection, phase, arrived));
    }
    (rows, truth, aog)
}

fn run_atspm(dir: &Path) -> serde_json::Value {
    let probe = Command::new(python())
        .args(["-c", "import atspm, duckdb"])
        .output();
    let ready = probe.as_ref().is_ok_and(|o| o.status.success());
    assert!(
        ready,
        "this check needs Python 3 with the atspm package: \
         pip install 'atspm==2.6.1' 'duckdb<2' (as .ci/run does); {}",
        probe
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .unwrap_or_else(|e| e.to_string())
    );
    let out = Command::new(python())
        .arg(root().join("tests/atspm/check.py"))
        .arg(dir.join("logs"))
        .arg(dir.join("detectors.csv"))
        .arg(format!("{}", -ADVANCE_TRAVEL_S))
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "check.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("check.py prints JSON")
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The 15-minute bin of an atspm timestamp (`2026-06-02 16:15:00`), counted from 16:00.
fn bin_of(stamp: &str) -> usize {
    let hour: usize = stamp[11..13].parse().unwrap();
    let minute: usize = stamp[14..16].parse().unwrap();
    ((hour - 16) * 60 + minute) / 15
}

/// `greenwave report`'s measures of the logs of `scenario` in `dir`, per (site, phase, bin from
/// 16:00): (arrivals, on green, split failures).
fn greenwave_measures(
    dir: &Path,
    scenario: &Scenario,
) -> BTreeMap<(String, u16, usize), (u32, u32, u32)> {
    let sites = Site::all(&scenario.corridor);
    let paths: Vec<PathBuf> = std::fs::read_dir(dir.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let (logs, refused) = measures::read_logs(&paths, &sites);
    assert!(refused.is_empty(), "{refused:?}");
    let mut out = BTreeMap::new();
    for site in &sites {
        let m = measures::analyse(site, &logs[&site.id]);
        assert!(m.skipped.is_empty() && m.notes.is_empty());
        for p in &m.phases {
            for b in &p.bins {
                let bin = ((b.from_s - 16.0 * 3600.0) / 900.0).round() as usize;
                out.insert(
                    (site.id.clone(), p.phase, bin),
                    (b.arrivals, b.on_green, b.split_failures),
                );
            }
        }
    }
    out
}

/// What [`report_against_atspm`] compared.
struct Compared {
    /// Phase bins with arrivals in both.
    bins: usize,
    /// Split failures found by `greenwave report` and by the package.
    failures: (u32, u32),
}

/// Simulates `scenario` into `dir`, and compares `greenwave report`'s measures of its logs
/// with the package's, per phase and 15-minute bin: arrivals equal, arrivals on green within 2
/// percentage points, split failures within 1. Panics naming every bin off.
fn report_against_atspm(dir: &Path, scenario: &Scenario) -> Compared {
    simulate(dir, scenario);
    let result = run_atspm(dir);
    let ours = greenwave_measures(dir, scenario);
    let name = &scenario.name;
    let mut theirs: BTreeMap<(String, u16, usize), (u32, f64, u32)> = BTreeMap::new();
    let key = |row: &serde_json::Value| {
        (
            row["DeviceId"].as_str().unwrap().to_owned(),
            row["Phase"].as_u64().unwrap() as u16,
            bin_of(row["TimeStamp"].as_str().unwrap()),
        )
    };
    for row in result["arrival_on_green"].as_array().unwrap() {
        let e = theirs.entry(key(row)).or_default();
        e.0 = row["Total_Actuations"].as_u64().unwrap() as u32;
        e.1 = 100.0 * row["Percent_AOG"].as_f64().unwrap();
    }
    for row in result["split_failures"].as_array().unwrap() {
        theirs.entry(key(row)).or_default().2 += row["Split_Failure"].as_u64().unwrap() as u32;
    }
    let mut compared = 0;
    let mut widest: f64 = 0.0;
    let mut off = Vec::new();
    for (k, &(arrivals, on_green, failures)) in &ours {
        let (total, pct, their_failures) = theirs.get(k).copied().unwrap_or_default();
        // The package leaves out a bin without an arrival on green.
        if total > 0 {
            compared += 1;
            let our_pct = 100.0 * f64::from(on_green) / f64::from(arrivals.max(1));
            widest = widest.max((our_pct - pct).abs());
            if total != arrivals || (our_pct - pct).abs() > 2.0 {
                off.push(format!(
                    "{k:?}: arrivals {arrivals} against {total}, on green {our_pct:.1} % against {pct:.1} %"
                ));
            }
        } else if on_green > 0 {
            off.push(format!("{k:?}: {on_green} on green, none in the package"));
        }
        if failures.abs_diff(their_failures) > 1 {
            off.push(format!(
                "{k:?}: {failures} split failures against {their_failures}"
            ));
        }
    }
    let failures = (
        ours.values().map(|m| m.2).sum(),
        theirs.values().map(|m| m.2).sum(),
    );
    eprintln!(
        "{name}: {compared} phase bins compared; arrivals on green differ by {widest:.2} \
         points at most; split failures: {} (greenwave), {} (atspm)",
        failures.0, failures.1
    );
    assert!(off.is_empty(), "{name}: {off:#?}");
    Compared {
        bins: compared,
        failures,
    }
}

#[test]
fn greenwave_report_measures_as_atspm_does() {
    let dir = fresh_dir("atspm-report");
    let compared = report_against_atspm(&dir, &load(PEAK));
    assert!(
        compared.bins >= 80,
        "only {} phase bins compared",
        compared.bins
    );
}

/// Split failures compared where there are some: the oversaturated peak, its stop-bar loops
/// presence zones of the usual length.
#[test]
fn greenwave_report_finds_the_split_failures_atspm_finds() {
    let dir = fresh_dir("atspm-report-1.4");
    let corridor = "config/corridors/arterial-4.toml";
    let scenario = with_stop_bar_zones(load(PEAK_1_4), corridor, PRESENCE_ZONE_M);
    let compared = report_against_atspm(&dir, &scenario);
    assert!(
        compared.bins >= 80,
        "only {} phase bins compared",
        compared.bins
    );
    let (ours, theirs) = compared.failures;
    assert!(
        ours >= 10 && theirs >= 10,
        "split failures: {ours} (greenwave), {theirs} (atspm); the comparison needs some"
    );
}

#[test]
fn atspm_reads_the_simulated_arterial_peak_as_the_simulator_saw_it() {
    let dir = fresh_dir("atspm-arterial-peak");
    // The plans numbered as a controller's pattern table would have them.
    let mut scenario = load(PEAK);
    for plan in scenario.plans.values_mut() {
        plan.pattern = Some(PATTERN);
    }
    let (rows, truth, aog_truth) = simulate(&dir, &scenario);
    let result = run_atspm(&dir);

    assert_eq!(result["bad_lines"], serde_json::json!([]), "lines skipped");
    assert_eq!(result["lines"], result["loaded"], "every line loads");
    assert!(result["lines"].as_u64().unwrap() > 10_000);
    assert_eq!(result["unknown_codes"], serde_json::json!([]));

    // The plans taking effect, as the package reads them: every log's pattern (131) and cycle
    // (132) in every 15-minute bin.
    let coordination: Vec<(String, u64, u64)> = (result["coordination"].as_array().unwrap())
        .iter()
        .map(|row| {
            (
                row["DeviceId"].as_str().unwrap().to_owned(),
                row["Pattern"].as_u64().unwrap(),
                row["CycleLength"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(coordination.len(), 16, "{coordination:?}");
    assert!(
        coordination
            .iter()
            .all(|(_, p, c)| (*p, *c) == (u64::from(PATTERN), 120)),
        "{coordination:?}"
    );

    // Actuations: equal to the loops' counts, channel by channel and bin by bin.
    let mut actuations = BTreeMap::new();
    for row in result["actuations"].as_array().unwrap() {
        let key = (
            row["DeviceId"].as_str().unwrap().to_owned(),
            row["Detector"].as_u64().unwrap() as u16,
            bin_of(row["TimeStamp"].as_str().unwrap()),
        );
        actuations.insert(key, row["Total"].as_u64().unwrap());
    }
    assert_eq!(
        actuations, truth.counts,
        "actuations by channel and 15-minute bin"
    );

    // Arrivals on green per phase over the hour, against the truth at the stop line. The
    // package leaves out the bins of a phase with no arrival on green, so its totals are taken
    // from its actuations of the phase's advance loops.
    let mut atspm: BTreeMap<(String, u16), (f64, f64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.function == "Advance") {
        let total: u64 = (actuations.iter())
            .filter(|((d, c, _), _)| *d == r.device && *c == r.channel)
            .map(|(_, n)| n)
            .sum();
        atspm.entry((r.device.clone(), r.phase)).or_default().0 += total as f64;
    }
    for row in result["arrival_on_green"].as_array().unwrap() {
        let key = (
            row["DeviceId"].as_str().unwrap().to_owned(),
            row["Phase"].as_u64().unwrap() as u16,
        );
        let total = row["Total_Actuations"].as_f64().unwrap();
        let share = row["Percent_AOG"].as_f64().unwrap();
        atspm.entry(key).or_default().1 += total * share;
    }
    let mut compared = 0;
    let mut off = Vec::new();
    for ((site, phase), &(arrivals, on_green)) in &aog_truth {
        let truth_pct = 100.0 * on_green as f64 / arrivals as f64;
        let (total, green) = atspm
            .get(&(site.clone(), *phase))
            .copied()
            .unwrap_or_default();
        let atspm_pct = if total > 0.0 {
            100.0 * green / total
        } else {
            0.0
        };
        eprintln!(
            "{site} phase {phase}: {arrivals} arrivals, truth {truth_pct:.1} % on green, \
             atspm {atspm_pct:.1} % of {total} actuations"
        );
        let standing = rows
            .iter()
            .filter(|r| r.function == "Advance" && r.device == *site && r.phase == *phase)
            .map(|r| {
                let key = (r.device.clone(), r.channel);
                truth.standing_s.get(&key).copied().unwrap_or(0.0) / 3600.0
            })
            .fold(0.0, f64::max);
        eprintln!(
            "    a queue standing on its advance count loops {:.1} % of the hour",
            100.0 * standing
        );
        if arrivals >= MIN_ARRIVALS {
            compared += 1;
            if (truth_pct - atspm_pct).abs() > 3.0 {
                off.push(format!(
                    "{site} phase {phase}: arrivals on green {atspm_pct:.1} % (atspm) against \
                     {truth_pct:.1} % (simulator); a queue standing on its advance count loops \
                     {:.1} % of the hour",
                    100.0 * standing
                ));
            }
        }
    }
    assert!(off.is_empty(), "{off:#?}");
    // The four intersections' arterial through and left phases and side-street through phases.
    assert!(compared >= 20, "only {compared} phases compared");
}

/// The package loads a log with emergency preemption (102 to 111) and transit priority (112 to
/// 115) whole: every line, no unknown code.
#[test]
fn atspm_loads_preemption_and_transit_priority_whole() {
    let dir = fresh_dir("atspm-transit-ev");
    let scenario = load("config/scenarios/arterial-peak-transit-ev.toml");
    let (rows, _) = detectors::rows(&Site::all(&scenario.corridor));
    let file = std::fs::File::create(dir.join("detectors.csv")).unwrap();
    detectors::write_csv(file, &rows).unwrap();
    let clock = LocalTime::named("America/Indiana/Indianapolis").unwrap();
    let start = clock.instant("2026-06-02T16:00".parse().unwrap()).unwrap();
    let mut logs = SimLogs::create(
        &dir.join("logs"),
        &scenario,
        &scenario.controller,
        start,
        &clock,
    )
    .unwrap();
    // The first emergency vehicle comes at 15 min; buses from the first minute.
    let options = RunOptions {
        duration: Some(greenwave_controllers::Duration::from_secs(1200)),
        ..RunOptions::default()
    };
    let mut sim = Simulation::new(&scenario, &options).expect("simulation");
    while !sim.finished() {
        let began = sim.now();
        sim.step();
        logs.after_step(&sim, began).unwrap();
    }
    logs.finish().unwrap();
    let mut codes = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir.join("logs")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        codes.extend(
            text.lines()
                .filter_map(|l| l.split(',').nth(1)?.parse::<u16>().ok()),
        );
    }
    for code in [102, 104, 105, 107, 111, 112, 115] {
        assert!(codes.contains(&code), "no {code} in {codes:?}");
    }

    let result = run_atspm(&dir);
    assert_eq!(result["bad_lines"], serde_json::json!([]), "lines skipped");
    assert_eq!(result["lines"], result["loaded"], "every line loads");
    assert_eq!(result["unknown_codes"], serde_json::json!([]));
}
