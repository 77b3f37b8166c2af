//! `greenwave plan ...`: timing plans computed from a scenario.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use greenwave_controllers::control::webster::WebsterOptions;
use greenwave_controllers::corridor::CorridorSpec;
use greenwave_controllers::load;
use greenwave_controllers::model::Approach;
use greenwave_sim::Scenario;
use greenwave_sim::design::{CorridorPlans, network_plans, webster_plans};
use greenwave_sim::scenario::ScenarioSpec;

use crate::cli::{NetworkArgs, WaveDirection, WebsterArgs};

/// `greenwave plan webster`.
pub fn webster(args: &WebsterArgs) -> Result<ExitCode> {
    let Some((scenario, options)) = inputs(&args.scenario, args.max_cycle, args.half_cycles) else {
        return Ok(ExitCode::from(2));
    };
    if let Some(v) = args.speed_kmh
        && !(v.is_finite() && v > 5.0 && v <= 130.0)
    {
        eprintln!("error: --speed-kmh {v} is out of range (above 5, at most 130)");
        return Ok(ExitCode::from(2));
    }
    let direction = match args.direction {
        WaveDirection::Eb => Approach::EB,
        WaveDirection::Wb => Approach::WB,
        WaveDirection::Nb => Approach::NB,
        WaveDirection::Sb => Approach::SB,
    };
    let plans = webster_plans(
        &scenario,
        direction,
        args.speed_kmh.map(|v| v / 3.6),
        &options,
    );
    let wave = format!(
        "a green wave {} at {:.0} km/h",
        direction,
        plans.speed_mps * 3.6
    );
    let to = Written {
        dir: args.out.as_deref(),
        scenario: &args.scenario,
        command: "webster",
    };
    report(&to, &scenario, &plans, &wave)?;
    Ok(ExitCode::SUCCESS)
}

/// Where `report` writes the plans, and what it says wrote them.
struct Written<'a> {
    dir: Option<&'a Path>,
    scenario: &'a Path,
    command: &'a str,
}

/// `greenwave plan network`.
pub fn network(args: &NetworkArgs) -> Result<ExitCode> {
    let Some((scenario, options)) = inputs(&args.scenario, args.max_cycle, args.half_cycles) else {
        return Ok(ExitCode::from(2));
    };
    let (plans, before, after) = match network_plans(&scenario, Approach::EB, &options) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {}: {e}", args.scenario.display());
            return Ok(ExitCode::from(2));
        }
    };
    let wave = "offsets coordinating every street both ways".to_owned();
    let to = Written {
        dir: args.out.as_deref(),
        scenario: &args.scenario,
        command: "network",
    };
    report(&to, &scenario, &plans, &wave)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "expected delay of the platoons between signals ({} links): {:.1} s per vehicle with \
         one green wave eastbound, {:.1} s with these offsets",
        after.links.len(),
        before.mean_s,
        after.mean_s
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The scenario at `path` and the Webster options for `max_cycle` (and half cycles or not), or
/// `None` (said why) when either is wrong.
fn inputs(path: &Path, max_cycle: f64, half_cycles: bool) -> Option<(Scenario, WebsterOptions)> {
    let scenario = match Scenario::load(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return None;
        }
    };
    let options = WebsterOptions {
        half_cycles,
        ..options(max_cycle)?
    };
    Some((scenario, options))
}

/// The Webster options for a maximum cycle, or `None` (said why) when it is out of range.
fn options(max_cycle: f64) -> Option<WebsterOptions> {
    if !(max_cycle.is_finite() && (30.0..=300.0).contains(&max_cycle)) {
        eprintln!("error: --max-cycle {max_cycle} s is out of range (30 to 300 s)");
        return None;
    }
    let defaults = WebsterOptions::default();
    Some(WebsterOptions {
        max_cycle_s: max_cycle,
        min_cycle_s: defaults.min_cycle_s.min(max_cycle),
        ..defaults
    })
}

/// Prints the plans (and a warning for every stage over 0.9 degree of saturation), and writes
/// them into `dir` when given.
fn report(to: &Written<'_>, scenario: &Scenario, plans: &CorridorPlans, wave: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Webster plans for {}: common cycle {:.0} s, {wave}",
        scenario.name, plans.cycle_s
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
        if spec.cycle_s < plans.cycle_s {
            writeln!(
                out,
                "{:<6} runs a half cycle of {:.0} s, twice in each common cycle",
                "", spec.cycle_s
            )?;
        }
    }
    for (site, spec, s) in &plans.sites {
        for (st, y) in spec.stages.iter().zip(&s.y) {
            let x = y * spec.cycle_s / st.green_s.max(1.0);
            if x > OVERLOADED {
                eprintln!(
                    "warning: {site} stage {}: degree of saturation {x:.2} (over {OVERLOADED}) with \
                     {:.0} s of green in {:.0} s; a longer cycle or green, or less demand",
                    st.stage, st.green_s, spec.cycle_s
                );
            }
        }
    }
    let Some(dir) = to.dir else {
        return Ok(());
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let intersections = intersection_files(to.scenario)?;
    for (site, spec, s) in &plans.sites {
        let path = dir.join(format!("{site}.toml"));
        let mut spec = spec.clone();
        spec.intersection = intersections.get(site).and_then(|file| relative(dir, file));
        let header = format!(
            "# Webster plan for {site} from scenario `{}`: optimum cycle {:.0} s, lost time {:.0} s,\n# Y = {:.2}; common cycle {:.0} s{} with {wave}.\n# Written by `greenwave plan {}`.\n",
            scenario.name,
            s.optimum_cycle_s,
            s.lost_s,
            s.y.iter().sum::<f64>(),
            plans.cycle_s,
            if spec.cycle_s < plans.cycle_s {
                " (this intersection runs half of it, twice)"
            } else {
                ""
            },
            to.command,
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
    Ok(())
}

/// A stage's degree of saturation above which it is reported as overloaded.
const OVERLOADED: f64 = 0.9;

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
