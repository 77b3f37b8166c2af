//! `greenwave sim`: runs a scenario under one or several controllers and seeds, and reports.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant as WallClock;

use greenwave_controllers::Duration;
use greenwave_sim::scenario::MAX_DURATION_S;
use greenwave_sim::{ControllerError, Outcome, Route, RunOptions, Scenario, Simulation, Summary};

use greenwave::eventlog::{self, LocalTime, sim::SimLogs};

use crate::check::Kind;
use crate::cli::{Format, SimArgs};
use crate::report;

/// The runs a command line asks for.
struct Study {
    scenario: Scenario,
    controllers: Vec<String>,
    seeds: Vec<u64>,
    duration: Duration,
    /// The routes of the time-space diagrams (`--path`); none: the arterial both ways.
    routes: Vec<Route>,
}

/// What a `greenwave sim` command line asks for, checked: the scenario, the controllers, the
/// seeds and the duration; or the exit code of a command line that cannot run (said why).
fn study(args: &SimArgs) -> Result<Study, ExitCode> {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            match Kind::of_file(&args.scenario) {
                Some(Kind::Cabinet) => eprintln!(
                    "hint: this is a cabinet daemon's configuration, not a scenario: run it with \
                     `greenwave run --config {}`",
                    args.scenario.display()
                ),
                Some(kind) if kind != Kind::Scenario => eprintln!(
                    "hint: this is {}, not a scenario; `greenwave sim` takes a scenario (a \
                     corridor, its demand and a controller), such as \
                     config/scenarios/arterial-peak.toml",
                    kind.name()
                ),
                _ => {}
            }
            return Err(ExitCode::from(2));
        }
    };
    if let Some(d) = args.duration
        && !(d.is_finite() && d >= scenario.step.as_secs_f64() && d <= MAX_DURATION_S)
    {
        eprintln!(
            "error: --duration {d} s is out of range ({} s to a week, {MAX_DURATION_S} s)",
            scenario.step.as_secs_f64()
        );
        return Err(ExitCode::from(2));
    }
    let controllers: Vec<String> = if args.compare.is_empty() {
        vec![
            args.controller
                .clone()
                .unwrap_or_else(|| scenario.controller.clone()),
        ]
    } else {
        args.compare.clone()
    };
    let first_seed = args.seed.unwrap_or(scenario.seed);
    let Some(seeds) = (0..args.seeds)
        .map(|i| first_seed.checked_add(i))
        .collect::<Option<Vec<u64>>>()
    else {
        eprintln!(
            "error: --seed {first_seed} with --seeds {} runs past the largest seed",
            args.seeds
        );
        return Err(ExitCode::from(2));
    };
    let duration = args
        .duration
        .map(Duration::from_secs_f64)
        .unwrap_or(scenario.duration);

    let mut routes = Vec::with_capacity(args.path.len());
    for path in &args.path {
        let sites: Vec<String> = path.split(',').map(|s| s.trim().to_owned()).collect();
        match greenwave_sim::route(&scenario.corridor, &sites) {
            Ok(r) => routes.push(r),
            Err(e) => {
                eprintln!("error: --path: {e}");
                return Err(ExitCode::from(2));
            }
        }
    }
    if !routes.is_empty() && args.out.is_none() {
        eprintln!("error: --path draws into the folder of --out; give --out DIR too");
        return Err(ExitCode::from(2));
    }

    // Check the machine can hold the network, and every controller can be built, before
    // simulating anything.
    let sites = scenario.corridor.intersections().count();
    for name in &controllers {
        if let Some(why) = greenwave_sim::memory::too_large(sites, name) {
            eprintln!("error: {}: {why}", args.scenario.display());
            return Err(ExitCode::from(2));
        }
    }
    for name in &controllers {
        let options = RunOptions {
            controller: Some(name.clone()),
            ..RunOptions::default()
        };
        if let Err(e) = Simulation::new(&scenario, &options) {
            // Controller names come from the command line; plans from the file.
            match e {
                ControllerError::Unknown(_) if args.controller.is_some() => {
                    eprintln!("error: --controller: {e}")
                }
                ControllerError::Unknown(_) if !args.compare.is_empty() => {
                    eprintln!("error: --compare: {e}")
                }
                _ => eprintln!("error: {}: {e}", args.scenario.display()),
            }
            return Err(ExitCode::from(2));
        }
    }
    Ok(Study {
        scenario,
        controllers,
        seeds,
        duration,
        routes,
    })
}

pub fn run(args: &SimArgs) -> Result<ExitCode> {
    let Study {
        scenario,
        controllers,
        seeds,
        duration,
        routes,
    } = match study(args) {
        Ok(study) => study,
        Err(code) => return Ok(code),
    };
    let stamping = match stamping(args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let total_steps = controllers.len() as u64
        * seeds.len() as u64
        * (duration.total_millis() / scenario.step.total_millis().max(1));
    let bar = progress_bar(total_steps, controllers.len() * seeds.len());
    let mut summaries = Vec::new();
    let mut travel_times = Vec::new();
    for name in &controllers {
        let mut runs = Vec::new();
        let mut od = report::od::OdTimes::default();
        for (i, &seed) in seeds.iter().enumerate() {
            bar.set_message(format!("{name}, seed {seed}"));
            let options = RunOptions {
                controller: Some(name.clone()),
                seed: Some(seed),
                duration: Some(duration),
                record: args.out.is_some() && i == 0,
                routes: routes.clone(),
                interval_s: None,
                threads: args.threads.map(usize::from),
                no_priority: args.no_priority,
                estimate_always: false,
            };
            let logs = match (&args.event_log, i) {
                (Some(dir), 0) => Some(run_dir(dir, &controllers, name, summaries.len())),
                _ => None,
            };
            let outcome = simulate(&scenario, &options, &bar, logs.as_deref(), &stamping)?;
            if i == 0
                && let Some(dir) = &args.out
            {
                let dir = run_dir(dir, &controllers, name, summaries.len());
                let mut this_run = report::od::OdTimes::default();
                this_run.add(&scenario.corridor, &outcome.vehicles);
                report::files::write_all(&dir, &outcome, &scenario.corridor)
                    .and_then(|()| {
                        Ok(std::fs::write(
                            dir.join("od.csv"),
                            report::od::csv(&this_run),
                        )?)
                    })
                    .with_context(|| format!("cannot write the results to {}", dir.display()))?;
            }
            od.add(&scenario.corridor, &outcome.vehicles);
            runs.push(outcome.summary);
        }
        summaries.push(Summary::average(&runs));
        travel_times.push((name.clone(), od));
    }
    bar.finish_and_clear();

    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json if summaries.len() == 1 => {
            serde_json::to_writer_pretty(&mut out, &summaries[0]).map_err(std::io::Error::from)?
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &summaries).map_err(std::io::Error::from)?
        }
        Format::Table if summaries.len() == 1 => {
            report::table::write_summary(&mut out, &summaries[0])?
        }
        Format::Table => report::table::write_comparison(&mut out, &summaries)?,
    }
    if matches!(args.format, Format::Table) {
        writeln!(out)?;
        report::od::write_table(&mut out, &travel_times)?;
    }
    writeln!(out)?;
    if let Some(dir) = &args.out {
        eprintln!("wrote CSV files and pictures to {}", dir.display());
    }
    if let Some(dir) = &args.event_log {
        eprintln!("wrote the event logs to {}", dir.display());
    }
    let unsafe_runs = summaries
        .iter()
        .any(|s| s.interlock_trips > 0 || s.red_crossings > 0 || s.hard_stops > 0);
    Ok(if unsafe_runs {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The folder of one controller's run under `dir`: `dir` itself for a single controller, else a
/// folder per controller (numbered when one is named twice).
fn run_dir(dir: &Path, controllers: &[String], name: &str, done: usize) -> PathBuf {
    match controllers.len() {
        1 => dir.to_owned(),
        _ if controllers.iter().filter(|c| *c == name).count() > 1 => {
            dir.join(format!("{}-{name}", done + 1))
        }
        _ => dir.join(name),
    }
}

/// Where simulated time 0 is, and in which zone the event logs are stamped.
struct Stamping {
    start: jiff::Timestamp,
    clock: LocalTime,
}

/// The stamping a command line asks for, or why it cannot be.
fn stamping(args: &SimArgs) -> Result<Stamping, String> {
    let clock = LocalTime::named(&args.time_zone).map_err(|e| format!("--time-zone: {e}"))?;
    let start = clock
        .instant(args.start)
        .map_err(|e| format!("--start {}: {e}", args.start))?;
    Ok(Stamping { start, clock })
}

fn simulate(
    scenario: &Scenario,
    options: &RunOptions,
    bar: &ProgressBar,
    event_log: Option<&Path>,
    stamping: &Stamping,
) -> Result<Outcome> {
    let mut sim = Simulation::new(scenario, options)?;
    let started = WallClock::now();
    let steps = sim.end().total_millis() / scenario.step.total_millis().max(1);
    let base = bar.position();
    let progress = |fraction: f64| bar.set_position(base + (fraction * steps as f64) as u64);
    match event_log {
        None => sim.run(progress),
        Some(dir) => {
            let what = || format!("cannot write the event logs to {}", dir.display());
            let controller = options
                .controller
                .as_deref()
                .unwrap_or(&scenario.controller);
            let mut logs =
                SimLogs::create(dir, scenario, controller, stamping.start, &stamping.clock)
                    .with_context(what)?;
            eventlog::sim::run(&mut sim, &mut logs, progress).with_context(what)?;
            logs.finish().with_context(what)?;
        }
    }
    let outcome = sim.outcome(started.elapsed().as_secs_f64());
    for trip in &outcome.interlock_trips {
        eprintln!("warning: interlock tripped: {trip}");
    }
    Ok(outcome)
}

/// A progress bar on stderr for runs longer than a moment (hidden when stderr is not a terminal).
fn progress_bar(total_steps: u64, runs: usize) -> ProgressBar {
    if total_steps < 20_000 && runs <= 1 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total_steps);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {percent:>3}% {msg} (eta {eta})")
            .expect("a valid template"),
    );
    bar
}
