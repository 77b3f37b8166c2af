//! `greenwave import sumo`: a SUMO network (and its routes and loops) as greenwave files.
//!
//! - [`net`]: reading the XML, with errors that name the line and element.
//! - [`corridor`]: the junctions and links greenwave can model, lanes and their turns, loops.
//! - [`loops`]: E1 loops as detectors, or the standard pair where a network has none.
//! - [`signals`]: traffic-light programs as intersections and timing plans.
//! - [`crossing`]: the pedestrians a signalised crossing stops for, where the network has none.
//! - [`demand`]: routes and flows as entry flows and turning ratios.
//!
//! Writes `corridor.toml`, `intersections/SITE.toml`, `plans/SITE.toml`, `scenario.toml` and
//! `import-report.txt` (what was dropped, and why), then loads the scenario back to check it.

pub mod corridor;
pub mod crossing;
pub mod demand;
pub mod loops;
pub mod net;
pub mod signals;

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use greenwave_controllers::load;
use greenwave_sim::Scenario;
use greenwave_sim::scenario::{ScenarioSpec, TurningSpec};

/// Files written.
pub const CORRIDOR: &str = "corridor.toml";
pub const SCENARIO: &str = "scenario.toml";
pub const REPORT: &str = "import-report.txt";

/// What an import asks for.
pub struct Request<'a> {
    pub net: &'a Path,
    pub routes: Option<&'a Path>,
    pub additional: Option<&'a Path>,
    pub out: &'a Path,
    /// Puts a stop-bar and an advance loop on every approach lane that has no E1 loop.
    pub standard_loops: bool,
    /// Lines for the header comment of every file written (the data's source, its licence).
    pub notes: &'a [String],
}

/// What an import did.
pub struct Outcome {
    pub intersections: Vec<String>,
    pub links: usize,
    pub dropped: Vec<String>,
    /// Problems `greenwave check` would find in what was written (none when all is well).
    pub problems: Option<String>,
}

/// A file name for a site id (SUMO ids may hold characters a file name should not).
fn file_name(site: &str) -> String {
    site.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write(path: PathBuf, text: String) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

fn toml_of<T: serde::Serialize>(header: &str, value: &T) -> Result<String> {
    Ok(format!(
        "{header}\n{}",
        toml::to_string(value).context("writing TOML")?
    ))
}

/// Runs an import; the error is for input that cannot be read at all.
pub fn import(req: &Request<'_>) -> Result<Outcome> {
    let net = net::net(req.net)?;
    let loops = match req.additional {
        Some(path) => net::loops(path)?,
        None => Vec::new(),
    };
    let stem = req.net.file_name().map_or("sumo".into(), |n| {
        n.to_string_lossy()
            .trim_end_matches(".xml")
            .trim_end_matches(".net")
            .to_owned()
    });
    let loops = loops::Loops {
        e1: &loops,
        standard: req.standard_loops,
    };
    let mut imported = corridor::corridor(&net, &stem, loops);
    let mut dropped = std::mem::take(&mut imported.dropped);
    let mut spec = imported.spec.take().context("no corridor")?;
    let header = header(req);
    let mut plans = BTreeMap::new();
    let mut sites = Vec::new();
    for (site, (tl, signalled)) in &imported.signals {
        let program = net
            .programs
            .iter()
            .find(|p| &p.id == tl)
            .expect("checked in corridor");
        for other in net
            .programs
            .iter()
            .filter(|p| &p.id == tl && p.program != program.program)
        {
            dropped.push(format!(
                "`{site}`: program `{}` (line {}); the first program, `{}`, is imported",
                other.program, other.line, program.program
            ));
        }
        let imported = signals::signals(site, program, signalled).and_then(|mut s| {
            let crossing_m = crossing::length_m(&net, site);
            let note = crossing::add_pedestrian_stage(site, &mut s, crossing_m)?;
            s.notes.extend(note);
            Ok(s)
        });
        match imported {
            Ok(mut s) => {
                dropped.extend(std::mem::take(&mut s.notes));
                let streets = street_names(&net, site);
                if !streets.is_empty() {
                    s.intersection.name = Some(format!(
                        "{} (SUMO traffic light `{tl}`)",
                        streets.join(" / ")
                    ));
                }
                let f = file_name(site);
                write(
                    req.out.join(format!("intersections/{f}.toml")),
                    toml_of(&header, &s.intersection)?,
                )?;
                write(
                    req.out.join(format!("plans/{f}.toml")),
                    toml_of(&header, &s.plan)?,
                )?;
                plans.insert(site.clone(), format!("plans/{f}.toml"));
                sites.push(site.clone());
            }
            Err(why) => dropped.push(format!("{why}; its junction is left as a boundary")),
        }
    }
    for node in &mut spec.nodes {
        match node.intersection {
            Some(_) if plans.contains_key(&node.id) => {
                node.intersection = Some(format!("intersections/{}.toml", file_name(&node.id)))
            }
            _ => node.intersection = None,
        }
    }
    let links = spec.links.len();
    write(req.out.join(CORRIDOR), toml_of(&header, &spec)?)?;
    let mut scenario = scenario_spec(&stem, plans);
    let corridor = load::corridor(&req.out.join(CORRIDOR));
    if let (Some(routes), Ok(corridor)) = (req.routes, &corridor) {
        let d = demand::demand(routes, corridor, &imported.links)?;
        scenario.demand = d.demand;
        scenario.turning_by_link = d.turning;
        scenario.turning_changes = d.turning_changes;
        if d.until_s > 0.0 {
            scenario.duration_s = d.until_s.min(greenwave_sim::scenario::MAX_DURATION_S);
        }
        dropped.extend(d.dropped);
    }
    write(req.out.join(SCENARIO), toml_of(&header, &scenario)?)?;
    let problems = Scenario::load(&req.out.join(SCENARIO))
        .err()
        .map(|e| e.to_string());
    let outcome = Outcome {
        intersections: sites,
        links,
        dropped,
        problems,
    };
    write(req.out.join(REPORT), report(req, &outcome))?;
    Ok(outcome)
}

/// The names of the streets that meet at a junction, sorted, each once.
fn street_names(net: &net::Net, junction: &str) -> Vec<String> {
    let names: std::collections::BTreeSet<&str> = net
        .edges
        .iter()
        .filter(|e| e.from == junction || e.to == junction)
        .filter_map(|e| e.name.as_deref())
        .collect();
    names.into_iter().map(str::to_owned).collect()
}

/// The header comment of every file written: where it came from, and the notes given.
fn header(req: &Request<'_>) -> String {
    let from = req
        .net
        .file_name()
        .map_or(req.net.display().to_string(), |n| {
            n.to_string_lossy().into_owned()
        });
    std::iter::once(format!("Imported by `greenwave import sumo` from {from}."))
        .chain(req.notes.iter().flat_map(|n| n.lines().map(str::to_owned)))
        .map(|l| format!("# {l}").trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn scenario_spec(name: &str, plans: BTreeMap<String, String>) -> ScenarioSpec {
    let controller = toml::from_str("kind = \"fixed\"").expect("a valid controller section");
    ScenarioSpec {
        name: name.to_owned(),
        corridor: CORRIDOR.to_owned(),
        duration_s: 3600.0,
        seed: 1,
        step_s: 0.1,
        controller: greenwave_sim::scenario::ControllerSpec {
            plans,
            ..controller
        },
        // Where no route says otherwise.
        turning: Some(TurningSpec::left_through_right(0.1, 0.8, 0.1)),
        turning_by_link: BTreeMap::new(),
        turning_changes: Vec::new(),
        demand: Vec::new(),
        od: Vec::new(),
        pedestrians: Vec::new(),
        emergency: Vec::new(),
        buses: Vec::new(),
        faults: Vec::new(),
        vehicles: Default::default(),
    }
}

/// The report: what was imported, what was dropped, and any problem left.
pub fn report(req: &Request<'_>, o: &Outcome) -> String {
    let mut lines = vec![
        format!("greenwave import sumo {}", req.net.display()),
        format!(
            "{} intersections ({}), {} links",
            o.intersections.len(),
            o.intersections.join(", "),
            o.links
        ),
        format!("dropped or approximated ({}):", o.dropped.len()),
    ];
    lines.extend(o.dropped.iter().map(|d| format!("- {d}")));
    if let Some(p) = &o.problems {
        lines.push(format!(
            "greenwave check finds problems in what was written:\n{p}"
        ));
    }
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture network with each of its lines left out in turn: every variant imports or
    /// gives an error, and none panics.
    #[test]
    fn a_network_missing_any_one_line_imports_or_says_why() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("tests/fixtures/sumo/mixed.net.xml")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let dir =
            std::env::temp_dir().join(format!("greenwave-import-lines-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (mut imported, mut refused) = (0, 0);
        for skip in 0..lines.len() {
            let variant: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != skip)
                .map(|(_, l)| *l)
                .collect();
            let net = dir.join("variant.net.xml");
            std::fs::write(&net, variant.join("\n")).unwrap();
            let req = Request {
                net: &net,
                routes: None,
                additional: None,
                out: &dir.join("out"),
                standard_loops: false,
                notes: &[],
            };
            match import(&req) {
                Ok(_) => imported += 1,
                Err(e) => {
                    assert!(e.to_string().contains("variant.net.xml"), "{e}");
                    refused += 1;
                }
            }
        }
        assert!(
            imported > 0 && refused > 0,
            "{imported} imported, {refused} refused"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
