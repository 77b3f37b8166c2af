//! Per-phase measures, after the Purdue / ATSPM definitions (Day et al., *Performance Measures
//! for Traffic Signal Systems: An Outcome-Oriented Approach*, Purdue 2014):
//! - **split monitor**: the green of every cycle and how it ended;
//! - **arrivals on green**: advance-loop actuations projected to the stop line at the free
//!   speed, the share that fell in the phase's green; the **platoon ratio** is that share over
//!   the phase's green ratio;
//! - **split failures** (the 5-second method): a cycle whose green occupancy of the phase's
//!   stop-bar loops and occupancy in the first 5 s of its red are both at least 80 %;
//! - **yellow and red actuations**: the phase's stop-bar loops coming on during its yellow, and
//!   during its red clearance (from its red to the next green at the intersection, as the log's
//!   code 11 marks it): vehicles entering late, the red-light running the ATSPM chart of that
//!   name shows.

use std::collections::BTreeMap;

use super::layout::Layout;
use super::timeline::{Cycle, GreenAt, Termination, Timeline};

/// Width of a bin, s (15 minutes).
pub const BIN_S: f64 = 900.0;
/// The red window of the split-failure method, s.
pub const RED_WINDOW_S: f64 = 5.0;
/// The occupancy both windows must reach for a split failure.
pub const FAILURE_OCCUPANCY: f64 = 0.8;

/// One cycle in the split monitor.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Green {
    /// Its start, s from the log's first midnight.
    pub at_s: f64,
    /// Its length, s.
    pub green_s: f64,
    /// How it ended.
    pub termination: Termination,
    /// Whether the cycle was a split failure (`None`: not judged, no stop-bar loop or no red).
    pub split_failure: Option<bool>,
}

/// One 15-minute bin of a phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct PhaseBin {
    /// Bin start, s from the log's first midnight.
    pub from_s: f64,
    /// Arrivals at the stop line (advance actuations).
    pub arrivals: u32,
    /// Of which on green.
    pub on_green: u32,
    /// Cycles that began in the bin.
    pub cycles: u32,
    /// Of which split failures.
    pub split_failures: u32,
}

/// A phase's measures.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PhaseMeasures {
    /// The phase.
    pub phase: u16,
    /// Every cycle's green.
    pub greens: Vec<Green>,
    /// Arrivals, and arrivals on green.
    pub arrivals: u32,
    /// Of which on green.
    pub on_green: u32,
    /// Share of the period the phase was green.
    pub green_ratio: f64,
    /// Cycles judged for split failure, and split failures.
    pub judged: u32,
    /// Split failures.
    pub split_failures: u32,
    /// Stop-bar actuations during the phase's yellow.
    pub yellow_actuations: u32,
    /// Stop-bar actuations during its red clearance.
    pub red_clearance_actuations: u32,
    /// The bins.
    pub bins: Vec<PhaseBin>,
    /// The cycles, for the coordination diagram.
    #[serde(skip)]
    pub cycles: Vec<Cycle>,
    /// Every arrival at the stop line, in time order, for the coordination diagram.
    #[serde(skip)]
    pub arrival_times: Vec<f64>,
}

impl PhaseMeasures {
    /// Arrivals on green, %.
    pub fn aog_pct(&self) -> Option<f64> {
        (self.arrivals > 0).then(|| 100.0 * f64::from(self.on_green) / f64::from(self.arrivals))
    }

    /// Platoon ratio: arrivals on green over the green ratio.
    pub fn platoon_ratio(&self) -> Option<f64> {
        let aog = self.aog_pct()? / 100.0;
        (self.green_ratio > 0.0).then(|| aog / self.green_ratio)
    }

    /// Mean green, s.
    pub fn mean_green_s(&self) -> Option<f64> {
        (!self.greens.is_empty())
            .then(|| self.greens.iter().map(|g| g.green_s).sum::<f64>() / self.greens.len() as f64)
    }

    /// Cycles that ended in `termination`.
    pub fn ended(&self, termination: Termination) -> usize {
        self.greens
            .iter()
            .filter(|g| g.termination == termination)
            .count()
    }
}

/// The measures of `phase` over `timeline`.
pub fn measure(phase: u16, timeline: &Timeline, layout: &Layout) -> PhaseMeasures {
    let (from, to) = timeline.span.unwrap_or((0.0, 0.0));
    // Bins that hold something only (a log may span years between two lines).
    let mut bins: BTreeMap<i64, PhaseBin> = BTreeMap::new();
    let presence = layout
        .presence
        .get(&phase)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut greens = Vec::new();
    let mut green_total = 0.0;
    // Every green start at the intersection, for where a red clearance ends.
    let mut starts: Vec<f64> = timeline
        .cycles
        .values()
        .flatten()
        .map(|c| c.green)
        .collect();
    starts.extend(timeline.open_greens.values());
    starts.sort_by(f64::total_cmp);
    let actuated = |from: f64, to: f64| -> u32 {
        presence
            .iter()
            .map(|&ch| {
                let on = timeline.actuations_of(ch);
                let a = on.partition_point(|&t| t < from);
                let b = on.partition_point(|&t| t < to);
                (b - a) as u32
            })
            .sum()
    };
    let (mut yellow_actuations, mut red_clearance_actuations) = (0, 0);
    for c in timeline
        .cycles
        .get(&phase)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        green_total += c.green_s();
        let split_failure = match (presence.is_empty(), c.red) {
            (false, Some(red)) if c.green_s() > 0.0 => {
                let gor = timeline.occupied_s(presence, c.green, c.yellow) / c.green_s();
                let ror = timeline.occupied_s(presence, red, red + RED_WINDOW_S) / RED_WINDOW_S;
                Some(gor >= FAILURE_OCCUPANCY && ror >= FAILURE_OCCUPANCY)
            }
            _ => None,
        };
        yellow_actuations += actuated(c.yellow, c.red.or(c.end).unwrap_or(f64::INFINITY));
        if let Some(red) = c.red {
            let next = starts[starts.partition_point(|&t| t <= red)..]
                .first()
                .copied()
                .unwrap_or(f64::INFINITY);
            red_clearance_actuations += actuated(red, next);
        }
        let bin = bin_at(&mut bins, c.green);
        bin.cycles += 1;
        bin.split_failures += u32::from(split_failure == Some(true));
        greens.push(Green {
            at_s: c.green,
            green_s: c.green_s(),
            termination: c.termination,
            split_failure,
        });
    }
    let mut arrival_times = Vec::new();
    for adv in layout.advance.get(&phase).map(Vec::as_slice).unwrap_or(&[]) {
        for &t in timeline.actuations_of(adv.channel) {
            let at = t + adv.travel_s;
            arrival_times.push(at);
            let bin = bin_at(&mut bins, at);
            bin.arrivals += 1;
            bin.on_green += u32::from(timeline.green_at(phase, at) == GreenAt::Green);
        }
    }
    // A green still running when the log ends counts to the end.
    green_total += timeline.open_greens.get(&phase).map_or(0.0, |g| to - g);
    let period = (to - from).max(1.0);
    let bins: Vec<PhaseBin> = bins.into_values().collect();
    PhaseMeasures {
        phase,
        arrivals: bins.iter().map(|b| b.arrivals).sum(),
        on_green: bins.iter().map(|b| b.on_green).sum(),
        judged: greens.iter().filter(|g| g.split_failure.is_some()).count() as u32,
        split_failures: bins.iter().map(|b| b.split_failures).sum(),
        yellow_actuations,
        red_clearance_actuations,
        green_ratio: (green_total / period).min(1.0),
        greens,
        bins,
        cycles: timeline.cycles.get(&phase).cloned().unwrap_or_default(),
        arrival_times: {
            arrival_times.sort_by(f64::total_cmp);
            arrival_times
        },
    }
}

/// The bin of `t` in `bins`, made if new.
fn bin_at(bins: &mut BTreeMap<i64, PhaseBin>, t: f64) -> &mut PhaseBin {
    let k = (t / BIN_S).floor() as i64;
    bins.entry(k).or_insert(PhaseBin {
        from_s: k as f64 * BIN_S,
        ..PhaseBin::default()
    })
}
