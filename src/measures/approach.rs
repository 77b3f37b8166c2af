//! Per-approach measures for the equity table: who waits how long. A vehicle's wait is
//! estimated from its advance-loop actuation projected to the stop line: 0 if its phase was
//! green then, else the time to the phase's next green (the ATSPM approach-delay estimate,
//! which leaves out queue discharge). Beside it, the share of the approach's phases' cycles
//! that were split failures, and the approach's volume per 15 minutes.

use std::collections::BTreeMap;

use super::layout::ApproachLayout;
use super::phase::{BIN_S, PhaseMeasures};
use super::timeline::{GreenAt, Timeline};

/// One approach's row of the equity table.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ApproachMeasures {
    /// The approach link.
    pub link: String,
    /// Its direction.
    pub direction: String,
    /// On the arterial, or a side street.
    pub arterial: bool,
    /// Vehicles counted by its advance loops (with a green after them in the log).
    pub vehicles: u32,
    /// Mean wait, s.
    pub mean_wait_s: Option<f64>,
    /// 95th percentile wait, s.
    pub p95_wait_s: Option<f64>,
    /// Cycles of its phases judged for split failure.
    pub cycles: u32,
    /// Of which split failures.
    pub split_failures: u32,
    /// Vehicles counted by its advance loops per 15-minute bin.
    pub volumes: Vec<VolumeBin>,
}

/// An approach's count in one 15-minute bin.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct VolumeBin {
    /// Bin start, s from the log's first midnight.
    pub from_s: f64,
    /// Vehicles.
    pub vehicles: u32,
}

impl ApproachMeasures {
    /// Share of cycles with a split failure, %.
    pub fn split_failure_pct(&self) -> Option<f64> {
        (self.cycles > 0).then(|| 100.0 * f64::from(self.split_failures) / f64::from(self.cycles))
    }
}

/// The measures of `approach` over `timeline`, with its phases' measures.
pub fn measure(
    approach: &ApproachLayout,
    timeline: &Timeline,
    phases: &[PhaseMeasures],
) -> ApproachMeasures {
    let mut waits = Vec::new();
    for (phase, adv) in &approach.advance {
        for &t in timeline.actuations_of(adv.channel) {
            let at = t + adv.travel_s;
            match timeline.green_at(*phase, at) {
                GreenAt::Green => waits.push(0.0),
                GreenAt::NotGreen { next } => waits.push(next - at),
                GreenAt::Never => {}
            }
        }
    }
    waits.sort_by(f64::total_cmp);
    // Each loop counted once, whichever phases it calls.
    let mut channels: Vec<u16> = approach.advance.iter().map(|(_, a)| a.channel).collect();
    channels.sort_unstable();
    channels.dedup();
    let mut volumes: BTreeMap<i64, u32> = BTreeMap::new();
    for c in channels {
        for &t in timeline.actuations_of(c) {
            *volumes.entry((t / BIN_S).floor() as i64).or_default() += 1;
        }
    }
    let (cycles, split_failures) = phases
        .iter()
        .filter(|p| approach.phases.contains(&p.phase))
        .fold((0, 0), |(c, f), p| (c + p.judged, f + p.split_failures));
    ApproachMeasures {
        link: approach.link.clone(),
        direction: approach.direction.clone(),
        arterial: approach.arterial,
        vehicles: waits.len() as u32,
        mean_wait_s: (!waits.is_empty()).then(|| waits.iter().sum::<f64>() / waits.len() as f64),
        p95_wait_s: percentile(&waits, 0.95),
        cycles,
        split_failures,
        volumes: volumes
            .into_iter()
            .map(|(bin, vehicles)| VolumeBin {
                from_s: bin as f64 * BIN_S,
                vehicles,
            })
            .collect(),
    }
}

/// The `q` quantile of sorted `values` (nearest rank).
fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1])
}
