//! `greenwave check`: validates model files and prints a verdict for each.
//!
//! The kind of a file is told from its top-level keys: `corridor` with `demand` or `controller`
//! makes a scenario, `nodes` and `links` a corridor, `plan_id` a timing plan, `region` an
//! intersection.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use greenwave_controllers::load::{self, LoadError, LoadedPlan};
use greenwave_sim::Scenario;

use crate::cli::CheckArgs;

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
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for file in &files {
        match check_file(file) {
            Ok(summary) => writeln!(out, "ok    {}  {summary}", file.display())?,
            Err(why) => {
                failed += 1;
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
        files.len(),
        files.len() - failed
    )?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
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

fn check_file(path: &Path) -> Verdict {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let table: toml::Table = load::parse_toml(path, &text).map_err(|e| strip_path(&e, path))?;
    let has = |key: &str| table.contains_key(key);
    if has("corridor") && (has("demand") || has("controller")) {
        let scenario = Scenario::load(path).map_err(|e| strip_path(&e, path))?;
        Ok(format!(
            "scenario `{}`: corridor `{}`, {} s, seed {}, controller {}, {} demand entries",
            scenario.name,
            scenario.corridor.id(),
            scenario.duration.as_secs_f64(),
            scenario.seed,
            scenario.controller,
            scenario.demand.len()
        ))
    } else if has("nodes") || has("links") {
        let corridor = load::corridor(path).map_err(|e| strip_path(&e, path))?;
        let g = corridor.graph();
        Ok(format!(
            "corridor `{}`: {} intersections, {} nodes, {} links, {} detectors",
            corridor.id(),
            corridor.intersections().count(),
            g.node_count(),
            g.edge_count(),
            g.edge_weights().map(|l| l.detectors.len()).sum::<usize>()
        ))
    } else if has("plan_id") {
        match load::plan(path).map_err(|e| strip_path(&e, path))? {
            LoadedPlan::Checked { plan, intersection } => Ok(format!(
                "timing plan `{}` v{}: cycle {}, {} stages, checked against {}",
                plan.plan_id,
                plan.version,
                plan.cycle,
                plan.stages.len(),
                intersection.display()
            )),
            LoadedPlan::FieldsOnly(spec) => Ok(format!(
                "timing plan `{}` v{}: fields valid; not checked against an intersection (no `intersection` field)",
                spec.plan_id, spec.version
            )),
        }
    } else if has("region") || has("groups") || has("nema") {
        let ix = load::intersection(path).map_err(|e| strip_path(&e, path))?;
        Ok(format!(
            "intersection{}: {} signal groups, {} stages, region {}",
            ix.name().map(|n| format!(" \"{n}\"")).unwrap_or_default(),
            ix.groups().len(),
            ix.stages().len(),
            ix.region()
        ))
    } else {
        Err(
            "cannot tell what kind of file this is: expected an intersection (`region`), \
             a corridor (`nodes`, `links`) or a timing plan (`plan_id`)"
                .into(),
        )
    }
}

/// The error without its leading `PATH: ` (the verdict line already names the file).
fn strip_path(err: &LoadError, path: &Path) -> String {
    let text = err.to_string();
    let prefix = format!("{}: ", path.display());
    text.strip_prefix(&prefix)
        .map(str::to_owned)
        .unwrap_or(text)
}
