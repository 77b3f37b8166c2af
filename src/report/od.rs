//! Travel times by origin and destination: every vehicle that reached its exit, by the boundary
//! node it came from (its entry link's start) and the one it left by (its exit link's end).
//!
//! A vehicle's travel time runs from when it entered to when it left (`travel_time_s` of
//! `vehicles.csv`; a wait to enter counts in its delay, not here). Vehicles still in the
//! network at the end, or never let in, have no travel time and are not counted.

use std::collections::BTreeMap;
use std::io::{self, Write};

use greenwave_controllers::corridor::Corridor;
use greenwave_sim::VehicleRecord;

/// How many pairs the tables show (the busiest); `--out` writes them all to `od.csv`.
pub const SHOWN: usize = 15;

/// Travel times of one run (or several seeds of it), by (origin, destination).
#[derive(Clone, Debug, Default)]
pub struct OdTimes {
    pub pairs: BTreeMap<(String, String), Vec<f64>>,
}

/// One pair's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct OdStats {
    pub vehicles: usize,
    pub mean_s: f64,
    pub p95_s: f64,
}

impl OdTimes {
    /// Adds a run's vehicles.
    pub fn add(&mut self, corridor: &Corridor, vehicles: &[VehicleRecord]) {
        let g = corridor.graph();
        let node_of = |link: &str, end: bool| {
            corridor.link_by_id(link).and_then(|e| {
                g.edge_endpoints(e)
                    .map(|(a, b)| g[if end { b } else { a }].id.clone())
            })
        };
        for v in vehicles.iter().filter(|v| v.arrived_s.is_finite()) {
            if let (Some(origin), Some(destination)) =
                (node_of(&v.entry, false), node_of(&v.exit, true))
            {
                self.pairs
                    .entry((origin, destination))
                    .or_default()
                    .push(v.arrived_s - v.inserted_s);
            }
        }
    }

    /// The figures of a pair, if any vehicle made that trip.
    pub fn stats(&self, pair: &(String, String)) -> Option<OdStats> {
        let times = self.pairs.get(pair).filter(|t| !t.is_empty())?;
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = ((0.95 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        Some(OdStats {
            vehicles: sorted.len(),
            mean_s: sorted.iter().sum::<f64>() / sorted.len() as f64,
            p95_s: sorted[rank - 1],
        })
    }

    /// The pairs, busiest first (ties by name).
    pub fn busiest(&self) -> Vec<&(String, String)> {
        let mut pairs: Vec<_> = self.pairs.keys().collect();
        pairs.sort_by_key(|p| std::cmp::Reverse(self.pairs[*p].len()));
        pairs
    }
}

/// The busiest pairs of each controller's runs side by side: mean travel time and vehicles.
/// `runs` are (controller, times over its seeds); the pairs are the first run's busiest.
pub fn write_table(out: &mut impl Write, runs: &[(String, OdTimes)]) -> io::Result<()> {
    let Some((_, first)) = runs.first() else {
        return Ok(());
    };
    let pairs = first.busiest();
    if pairs.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "travel time by origin and destination (s, mean over the vehicles that arrived; vehicles)"
    )?;
    let label = |p: &(String, String)| format!("{} -> {}", p.0, p.1);
    let width = pairs
        .iter()
        .take(SHOWN)
        .map(|p| label(p).chars().count())
        .max()
        .unwrap_or(0)
        .max(20);
    write!(out, "{:<width$}", "")?;
    for (name, _) in runs {
        write!(out, " {name:>18}")?;
    }
    writeln!(out)?;
    for pair in pairs.iter().take(SHOWN) {
        write!(out, "{:<width$}", label(pair))?;
        for (_, times) in runs {
            match times.stats(pair) {
                Some(s) => write!(out, " {:>10.1} ({:>5})", s.mean_s, s.vehicles)?,
                None => write!(out, " {:>18}", "-")?,
            }
        }
        writeln!(out)?;
    }
    if pairs.len() > SHOWN {
        writeln!(
            out,
            "... {} more pairs ({} in all; every pair in od.csv with --out)",
            pairs.len() - SHOWN,
            pairs.len()
        )?;
    }
    Ok(())
}

/// Every pair of one run as CSV: origin, destination, vehicles, mean and p95 travel time.
pub fn csv(times: &OdTimes) -> String {
    let mut text =
        String::from("origin,destination,vehicles,mean_travel_time_s,p95_travel_time_s\n");
    for pair in times.pairs.keys() {
        if let Some(s) = times.stats(pair) {
            text.push_str(&format!(
                "{},{},{},{:.2},{:.2}\n",
                pair.0, pair.1, s.vehicles, s.mean_s, s.p95_s
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_of_a_pair_and_the_busiest_first() {
        let mut t = OdTimes::default();
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        t.pairs
            .insert(pair("W", "E"), (1..=20).map(f64::from).collect());
        t.pairs.insert(pair("N", "S"), vec![30.0]);
        assert_eq!(
            t.stats(&pair("W", "E")),
            Some(OdStats {
                vehicles: 20,
                mean_s: 10.5,
                p95_s: 19.0
            })
        );
        assert_eq!(t.stats(&pair("S", "N")), None);
        assert_eq!(t.busiest(), vec![&pair("W", "E"), &pair("N", "S")]);
        assert_eq!(
            csv(&t),
            "origin,destination,vehicles,mean_travel_time_s,p95_travel_time_s\n\
             N,S,1,30.00,30.00\nW,E,20,10.50,19.00\n"
        );
    }
}
