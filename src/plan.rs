//! `greenwave plan ...`: timing plans computed from a scenario.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use greenwave_controllers::control::webster::WebsterOptions;
use greenwave_controllers::corridor::CorridorSpec;
use greenwave_controllers::load;
use greenwave_controllers::model::Direction;
use greenwave_sim::Scenario;
use greenwave_sim::design::webster_plans;
use greenwave_sim::scenario::ScenarioSpec;

use crate::cli::{WaveDirection, WebsterArgs};

/// `greenwave plan webster`.
pub fn webster(args: &WebsterArgs) -> Result<ExitCode> {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if !(args.max_cycle.is_finite() && (30.0..=300.0).contains(&args.max_cycle)) {
        eprintln!(
            "error: --max-cycle {} s is out of range (30 to 300 s)",
            args.max_cycle
        );
        return Ok(ExitCode::from(2));
    }
    if let Some(v) = args.speed_kmh
        && !(v.is_finite() && v > 5.0 && v <= 130.0)
    {
        eprintln!("error: --speed-kmh {v} is out of range (above 5, at most 130)");
        return Ok(ExitCode::from(2));
    }
    let direction = match args.direction {
        WaveDirection::Eb => Direction::Eb,
        WaveDirection::Wb => Direction::Wb,
        WaveDirection::Nb => Direction::Nb,
        WaveDirection::Sb => Direction::Sb,
    };
    let defaults = WebsterOptions::default();
    let options = WebsterOptions {
        max_cycle_s: args.max_cycle,
        min_cycle_s: defaults.min_cycle_s.min(args.max_cycle),
        ..defaults
    };
    let plans = webster_plans(
        &scenario,
        direction,
        args.speed_kmh.map(|v| v / 3.6),
        &options,
    );
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Webster plans for {}: common cycle {:.0} s, green wave {} at {:.0} km/h",
        scenario.name,
        plans.cycle_s,
        direction,
        plans.speed_mps * 3.6
    )?;
    writeln!(
        out,
        "{:<6} {:>7} {:>9} {:>7} {:>6}  stages (green s, critical y)",
        "site", "offset", "optimum", "lost", "Y"
    )?;
    for (site, spec, s) in &plans.sites {
        let stages: Vec<String> = spec
            .stages
            .iter()
            .zip(&s.y)
            .map(|(st, y)| format!("{} {:.0} ({:.2})", st.stage, st.green_s, y))
            .collect();
        writeln!(
            out,
            "{:<6} {:>5.0} s {:>7.0} s {:>5.0} s {:>6.2}  {}",
            site,
            spec.offset_s,
            s.optimum_cycle_s,
            s.lost_s,
            s.y.iter().sum::<f64>(),
            stages.join(", ")
        )?;
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let intersections = intersection_files(&args.scenario)?;
        for (site, spec, s) in &plans.sites {
            let path = dir.join(format!("{site}.toml"));
            let mut spec = spec.clone();
            spec.intersection = intersections.get(site).and_then(|file| relative(dir, file));
            let header = format!(
                "# Webster plan for {site} from scenario `{}`: optimum cycle {:.0} s, lost time {:.0} s,\n# Y = {:.2}; common cycle {:.0} s with a green wave {} at {:.0} km/h.\n# Written by `greenwave plan webster`.\n",
                scenario.name,
                s.optimum_cycle_s,
                s.lost_s,
                s.y.iter().sum::<f64>(),
                plans.cycle_s,
                direction,
                plans.speed_mps * 3.6
            );
            let body = toml::to_string(&spec).context("cannot write the plan as TOML")?;
            std::fs::write(&path, header + &body)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        eprintln!(
            "wrote {} plan files to {}",
            plans.sites.len(),
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The intersection file of every site of the scenario's corridor, by site id.
fn intersection_files(scenario: &Path) -> Result<BTreeMap<String, PathBuf>> {
    let text = std::fs::read_to_string(scenario)?;
    let spec: ScenarioSpec = load::parse_toml(scenario, &text)?;
    let corridor_path = load::beside(scenario, &spec.corridor);
    let text = std::fs::read_to_string(&corridor_path)?;
    let corridor: CorridorSpec = load::parse_toml(&corridor_path, &text)?;
    Ok(corridor
        .nodes
        .into_iter()
        .filter_map(|n| Some((n.id, load::beside(&corridor_path, &n.intersection?))))
        .collect())
}

/// `to` as a path relative to the folder `from`, when both exist.
fn relative(from: &Path, to: &Path) -> Option<String> {
    let from = from.canonicalize().ok()?;
    let to = to.canonicalize().ok()?;
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = from.components().count() - common;
    let mut out = PathBuf::new();
    for _ in 0..ups {
        out.push("..");
    }
    for part in to.components().skip(common) {
        out.push(part);
    }
    Some(out.to_string_lossy().into_owned())
}
