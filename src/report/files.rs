//! The files `greenwave sim --out DIR` writes: per-vehicle and per-interval CSV, the summary as
//! JSON, and SVG pictures (time-space diagrams along the arterial or the routes asked for,
//! queues over time on one scale grouped along those routes, the map of the network).

use anyhow::Result;
use std::fmt::Write as _;
use std::path::Path;

use greenwave_controllers::corridor::Corridor;
use greenwave_sim::Outcome;

use super::svg;

/// Writes every file for one run into `dir` (created if needed).
pub fn write_all(dir: &Path, outcome: &Outcome, corridor: &Corridor) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("vehicles.csv"), vehicles_csv(outcome))?;
    std::fs::write(dir.join("approaches.csv"), intervals_csv(outcome))?;
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&outcome.summary)?,
    )?;
    if let Some(rec) = &outcome.recording {
        for path in &rec.paths {
            let name = format!("time-space-{}.svg", path.key);
            std::fs::write(
                dir.join(name),
                svg::time_space(path, rec, outcome.summary.sim_seconds),
            )?;
        }
    }
    // The queue panels grouped along the paths drawn.
    let paths: Vec<(String, Vec<String>)> = outcome
        .recording
        .iter()
        .flat_map(|rec| &rec.paths)
        .map(|p| {
            let sites = p.signals.iter().map(|s| s.site.clone()).collect();
            (format!("along {}", p.name), sites)
        })
        .collect();
    std::fs::write(
        dir.join("queues.svg"),
        svg::queues(&outcome.intervals, outcome.summary.sim_seconds, &paths),
    )?;
    std::fs::write(
        dir.join("map.svg"),
        super::map::map(corridor, &outcome.summary),
    )?;
    Ok(())
}

fn number(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x:.2}")
    }
}

fn vehicles_csv(outcome: &Outcome) -> String {
    let mut s = String::from(
        "id,entry,exit,generated_s,inserted_s,arrived_s,travel_time_s,delay_s,stops,waiting_s,co2_g\n",
    );
    for v in &outcome.vehicles {
        let travel = v.arrived_s - v.inserted_s;
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{}",
            v.id,
            v.entry,
            v.exit,
            number(v.generated_s),
            number(v.inserted_s),
            number(v.arrived_s),
            number(travel),
            number(v.delay_s),
            v.stops,
            number(v.waiting_s),
            number(v.co2_g)
        );
    }
    s
}

fn intervals_csv(outcome: &Outcome) -> String {
    let mut s = String::from(
        "intersection,approach,from_s,arrivals,departures,mean_queue_veh,max_queue_veh,mean_delay_s\n",
    );
    for r in &outcome.intervals {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{}",
            r.intersection,
            r.direction,
            number(r.from_s),
            r.arrivals,
            r.departures,
            number(r.mean_queue_veh),
            r.max_queue_veh,
            number(r.mean_delay_s)
        );
    }
    s
}
