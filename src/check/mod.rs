//! `greenwave check`: validates model files and prints a verdict for each.
//!
//! The kind of a file is told from its top-level keys: `demand`, `controller`, `duration_s` or
//! `seed` make a scenario, `nodes` and `links` a corridor, `plan_id` a timing plan, `region` an
//! intersection.
//!
//! A valid scenario can still mislead a study: [`warnings`] says where, under the verdict,
//! without failing the check.

use anyhow::{Context, Result};
use greenwave::daemon::config::DaemonConfig;
use greenwave::daemon::plan_gate::schedule_times;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use greenwave_controllers::load::{self, LoadError, LoadedPlan};

use crate::cli::CheckArgs;

mod intergreens;
#[cfg(feature = "sim")]
mod warnings;

/// What a file turned out to be, with a one-line summary.
type Verdict = Result<String, String>;

pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    let mut files = Vec::new();
    for path in &args.files {
        collect(path, &mut files)?;
    }
    if files.is_empty() {
        anyhow::bail!("no .toml files found in {}", display_list(&args.files));
    }
    let verdicts: Vec<(&PathBuf, Verdict)> = files
        .iter()
        .map(|f| (f, check_file(f, args.intergreens)))
        .collect();
    let failed = verdicts.iter().filter(|(_, v)| v.is_err()).count();
    // The verdict decides the exit code, even when the reader stops listening early.
    if let Err(e) = print_verdicts(&verdicts, failed)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn print_verdicts(verdicts: &[(&PathBuf, Verdict)], failed: usize) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for (file, verdict) in verdicts {
        match verdict {
            Ok(summary) => writeln!(out, "ok    {}  {summary}", file.display())?,
            Err(why) => {
                writeln!(out, "FAIL  {}", file.display())?;
                for line in why.lines() {
                    writeln!(out, "      {line}")?;
                }
            }
        }
    }
    writeln!(
        out,
        "{} checked: {} valid, {failed} invalid",
        verdicts.len(),
        verdicts.len() - failed
    )
}

/// `1 stage`, `2 stages`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn display_list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A file as given, or every `.toml` file below a folder, sorted.
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    if !path.is_dir() {
        files.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list {}", path.display()))?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() || entry.extension().is_some_and(|e| e == "toml") {
            collect(&entry, files)?;
        }
    }
    Ok(())
}

/// A cabinet daemon's configuration has `site` and `cabinet` at the top.
fn is_cabinet_table(table: &toml::Table) -> bool {
    table.contains_key("site") && table.contains_key("cabinet")
}

/// The kinds of file `check` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Cabinet,
    Profile,
    Scenario,
    Corridor,
    Schedule,
    Plan,
    Intersection,
}

impl Kind {
    /// The kind of the file whose top-level table is `table`, told from its keys.
    pub fn of(table: &toml::Table) -> Option<Kind> {
        let has = |key: &str| table.contains_key(key);
        Some(if is_cabinet_table(table) {
            Kind::Cabinet
        } else if has("outputs") || has("inputs") || has("watchdog") {
            Kind::Profile
        } else if has("demand") || has("controller") || has("duration_s") || has("seed") {
            Kind::Scenario
        } else if has("nodes") || has("links") {
            Kind::Corridor
        } else if has("schedule_id") {
            Kind::Schedule
        } else if has("plan_id") {
            Kind::Plan
        } else if has("region") || has("groups") || has("nema") {
            Kind::Intersection
        } else {
            return None;
        })
    }

    /// The kind of the file at `path`, if it reads as one.
    #[cfg(feature = "sim")]
    pub fn of_file(path: &Path) -> Option<Kind> {
        let text = std::fs::read_to_string(path).ok()?;
        Kind::of(&text.parse::<toml::Table>().ok()?)
    }

    /// What a reader calls it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Cabinet => "a cabinet daemon's configuration",
            Kind::Profile => "a device profile",
            Kind::Scenario => "a scenario",
            Kind::Corridor => "a corridor",
            Kind::Schedule => "a plan schedule",
            Kind::Plan => "a timing plan",
            Kind::Intersection => "an intersection",
        }
    }
}

/// Checks one file; `intergreens` lists the intergreens its junctions' geometry asks for.
fn check_file(path: &Path, intergreens: bool) -> Verdict {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let table: toml::Table = load::parse_toml(path, &text).map_err(|e| strip_path(&e, path))?;
    match Kind::of(&table) {
        Some(Kind::Cabinet) => {
            // As `greenwave run` would load it: with the environment's GREENWAVE__ overrides.
            let config = DaemonConfig::load(path).map_err(|e| e.message)?;
            let mut summary = format!(
                "cabinet config `{}`: controller {}, plan `{}`, cabinet {}, {} channels, {} groups",
                config.site.id,
                config.controller,
                config.plan.plan_id,
                match &config.coils {
                    Some(c) => format!("of {} I/O modules", c.modules.len()),
                    None => config.link.target.to_string(),
                },
                config.site.channels(),
                config.site.intersection.groups().len()
            );
            if let Some(coils) = &config.coils {
                summary.push_str(&coils.table(&config.site));
            }
            // Valid, but worth an engineer's attention: said under the verdict.
            for warning in &config.warnings {
                summary.push_str(&format!("\n      warning: {warning}"));
            }
            Ok(summary)
        }
        Some(Kind::Profile) => {
            let profile = greenwave::fieldio::coils::profile::Profile::load(path)?;
            let (mut outputs, mut inputs) = (0, 0);
            for t in profile.terminals.values() {
                match t {
                    greenwave::fieldio::coils::profile::Terminal::Output(_) => outputs += 1,
                    greenwave::fieldio::coils::profile::Terminal::Input(..) => inputs += 1,
                }
            }
            Ok(format!(
                "device profile \"{}\": {}, {}, {}",
                profile.name,
                count(outputs, "output"),
                count(inputs, "input"),
                if profile.watchdog.is_some() {
                    "watchdog"
                } else {
                    "no watchdog"
                }
            ))
        }
        Some(Kind::Scenario) => check_scenario(path, intergreens),
        Some(Kind::Corridor) => check_corridor(path, intergreens),
        Some(Kind::Schedule) => {
            // As `greenwave plan publish` would send it: every plan file read and checked.
            let set = crate::ops::plan_set("", path).map_err(|e| format!("{e:#}"))?;
            let spec = set.schedule.ok_or("not a schedule")?;
            schedule_times(&spec)?;
            let plans: Vec<String> = spec
                .entries
                .iter()
                .map(|e| format!("{} `{}`", e.from, e.plan.plan_id))
                .collect();
            Ok(format!(
                "schedule `{}` v{}: {} ({}); plans checked against the intersection when a daemon takes it",
                spec.schedule_id,
                spec.version,
                match spec.entries.len() {
                    1 => "1 entry".to_owned(),
                    n => format!("{n} entries"),
                },
                plans.join(", ")
            ))
        }
        Some(Kind::Plan) => match load::plan(path).map_err(|e| strip_path(&e, path))? {
            LoadedPlan::Checked { plan, intersection } => Ok(format!(
                "timing plan `{}` v{}: cycle {}, {}, checked against {}",
                plan.plan_id,
                plan.version,
                plan.cycle,
                count(plan.stages.len(), "stage"),
                intersection.display()
            )),
            LoadedPlan::NeedsCorridor { spec, intersection } => Ok(format!(
                "timing plan `{}` v{}: fields and stages valid against {}; its cycle is checked \
                 with a corridor (the intersection takes its intergreens from the geometry)",
                spec.plan_id,
                spec.version,
                intersection.display()
            )),
            LoadedPlan::FieldsOnly(spec) => Ok(format!(
                "timing plan `{}` v{}: fields valid; not checked against an intersection (no `intersection` field)",
                spec.plan_id, spec.version
            )),
        },
        Some(Kind::Intersection) => {
            let ix = load::intersection(path).map_err(|e| strip_path(&e, path))?;
            Ok(format!(
                "intersection{}: {}, {}, region {}{}",
                ix.name().map(|n| format!(" \"{n}\"")).unwrap_or_default(),
                count(ix.groups().len(), "signal group"),
                count(ix.stages().len(), "stage"),
                ix.region(),
                if ix.derives_intergreens() {
                    "; intergreens from the geometry of each corridor node it stands at"
                } else {
                    ""
                }
            ))
        }
        None => Err(
            "cannot tell what kind of file this is: expected an intersection (`region`), \
             a corridor (`nodes`, `links`), a timing plan (`plan_id`), a schedule \
             (`schedule_id`), a scenario (`corridor`, `demand`, `controller`), a cabinet \
             config (`site`, `cabinet`) or a device profile (`outputs`, `inputs`, `watchdog`)"
                .into(),
        ),
    }
}

/// A corridor: its size, and its intergreens against the geometry.
fn check_corridor(path: &Path, intergreens: bool) -> Verdict {
    let corridor = load::corridor(path).map_err(|e| strip_path(&e, path))?;
    let g = corridor.graph();
    let mut notes = String::new();
    for warning in intergreens::short_intergreens(&corridor) {
        notes.push_str(&format!("\n      warning: {warning}"));
    }
    if intergreens {
        for line in intergreens::intergreen_table(&corridor) {
            notes.push_str(&format!("\n      {line}"));
        }
    }
    Ok(format!(
        "corridor `{}`: {}, {}, {}, {}{notes}",
        corridor.id(),
        count(corridor.intersections().count(), "intersection"),
        count(g.node_count(), "node"),
        count(g.edge_count(), "link"),
        count(
            g.edge_weights().map(|l| l.detectors.len()).sum::<usize>(),
            "detector"
        )
    ))
}

/// The error without its leading `PATH: ` (the verdict line already names the file).
fn strip_path(err: &LoadError, path: &Path) -> String {
    let text = err.to_string();
    let prefix = format!("{}: ", path.display());
    text.strip_prefix(&prefix)
        .map(str::to_owned)
        .unwrap_or(text)
}

/// A scenario, checked as `greenwave sim` would load it.
#[cfg(feature = "sim")]
fn check_scenario(path: &Path, intergreens: bool) -> Verdict {
    let scenario = greenwave_sim::Scenario::load(path).map_err(|e| strip_path(&e, path))?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let spec: greenwave_sim::scenario::ScenarioSpec =
        load::parse_toml(path, &text).map_err(|e| strip_path(&e, path))?;
    let mut summary = format!(
        "scenario `{}`: corridor `{}`, {} s, seed {}, controller {}, {}",
        scenario.name,
        scenario.corridor.id(),
        scenario.duration.as_secs_f64(),
        scenario.seed,
        scenario.controller,
        count(scenario.demand.len(), "demand profile")
    );
    // Valid, but likely to mislead a study: said under the verdict.
    for warning in warnings::scenario(&spec, &scenario) {
        summary.push_str(&format!("\n      warning: {warning}"));
    }
    if intergreens {
        for line in intergreens::intergreen_table(&scenario.corridor) {
            summary.push_str(&format!("\n      {line}"));
        }
    }
    Ok(summary)
}

/// A scenario, in a build without the simulator: said, not judged.
#[cfg(not(feature = "sim"))]
fn check_scenario(_path: &Path, _intergreens: bool) -> Verdict {
    Err(
        "a scenario: this build has no simulator to check it with (build with the `sim` \
         feature, the default)"
            .into(),
    )
}
