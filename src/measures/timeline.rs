//! An intersection's log as intervals: each phase's cycles (green, yellow, red clearance, and
//! how the green ended, when the log says), each detector channel's occupied intervals, and
//! pedestrian calls and walks.

use std::collections::BTreeMap;

use super::parse::LogEvent;
use crate::eventlog::code;

/// How a green ended, as the log says (codes 4, 5, 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Termination {
    /// Gap out (4).
    GapOut,
    /// Max out (5).
    MaxOut,
    /// Force off (6).
    ForceOff,
    /// The log does not say.
    Unknown,
}

/// One cycle of a phase: from the start of its green to the start of its next green.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cycle {
    /// Begin green (1).
    pub green: f64,
    /// Begin yellow (8).
    pub yellow: f64,
    /// Begin red clearance (10), if logged.
    pub red: Option<f64>,
    /// The next begin green, if the log goes on that long.
    pub end: Option<f64>,
    /// How the green ended.
    pub termination: Termination,
}

impl Cycle {
    /// Green time, s.
    pub fn green_s(&self) -> f64 {
        self.yellow - self.green
    }
}

/// The log of one intersection as intervals.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// Complete cycles (green and yellow seen) by phase.
    pub cycles: BTreeMap<u16, Vec<Cycle>>,
    /// Occupied intervals by detector channel (vehicle loops, 81/82).
    pub occupied: BTreeMap<u16, Vec<(f64, f64)>>,
    /// Detector-on times by channel.
    pub actuations: BTreeMap<u16, Vec<f64>>,
    /// Pedestrian calls (45) by pedestrian phase.
    pub ped_calls: BTreeMap<u16, Vec<f64>>,
    /// Walks (21) by pedestrian phase.
    pub walks: BTreeMap<u16, Vec<f64>>,
    /// Greens still running when the log ends, by phase: their start.
    pub open_greens: BTreeMap<u16, f64>,
    /// First and last event time.
    pub span: Option<(f64, f64)>,
}

impl Timeline {
    /// The detector-on times of `channel` (none if it never came on).
    pub fn actuations_of(&self, channel: u16) -> &[f64] {
        self.actuations.get(&channel).map_or(&[], Vec::as_slice)
    }

    /// The timeline of `events` (in time order).
    pub fn new(events: &[LogEvent]) -> Timeline {
        let mut t = Timeline {
            span: events.first().zip(events.last()).map(|(a, b)| (a.t, b.t)),
            ..Timeline::default()
        };
        // A phase's open cycle: green start, yellow, red, termination.
        let mut open: BTreeMap<u16, (f64, Option<f64>, Option<f64>, Termination)> = BTreeMap::new();
        let mut on_since: BTreeMap<u16, f64> = BTreeMap::new();
        for e in events {
            match e.code {
                code::PHASE_BEGIN_GREEN => {
                    if let Some((g, Some(y), r, term)) = open.remove(&e.param) {
                        t.push(e.param, g, y, r, Some(e.t), term);
                    }
                    open.insert(e.param, (e.t, None, None, Termination::Unknown));
                }
                4..=6 => {
                    if let Some(c) = open.get_mut(&e.param) {
                        c.3 = match e.code {
                            4 => Termination::GapOut,
                            5 => Termination::MaxOut,
                            _ => Termination::ForceOff,
                        };
                    }
                }
                code::PHASE_BEGIN_YELLOW => {
                    if let Some(c) = open.get_mut(&e.param) {
                        c.1.get_or_insert(e.t);
                    }
                }
                code::PHASE_BEGIN_RED_CLEARANCE => {
                    if let Some(c) = open.get_mut(&e.param) {
                        c.2.get_or_insert(e.t);
                    }
                }
                code::PED_CALL_REGISTERED => t.ped_calls.entry(e.param).or_default().push(e.t),
                code::PED_BEGIN_WALK => t.walks.entry(e.param).or_default().push(e.t),
                code::DETECTOR_ON => {
                    t.actuations.entry(e.param).or_default().push(e.t);
                    on_since.entry(e.param).or_insert(e.t);
                }
                code::DETECTOR_OFF => {
                    if let Some(since) = on_since.remove(&e.param) {
                        t.occupied.entry(e.param).or_default().push((since, e.t));
                    }
                }
                _ => {}
            }
        }
        // Cycles still open at the end: kept if their green ended, else a green still running.
        for (phase, (g, y, r, term)) in open {
            match y {
                Some(y) => t.push(phase, g, y, r, None, term),
                None => {
                    t.open_greens.insert(phase, g);
                }
            }
        }
        if let Some((_, last)) = t.span {
            for (channel, since) in on_since {
                t.occupied.entry(channel).or_default().push((since, last));
            }
        }
        t
    }

    fn push(
        &mut self,
        phase: u16,
        green: f64,
        yellow: f64,
        red: Option<f64>,
        end: Option<f64>,
        termination: Termination,
    ) {
        self.cycles.entry(phase).or_default().push(Cycle {
            green,
            yellow,
            red,
            end,
            termination,
        });
    }

    /// Seconds any of `channels` was occupied within `[from, to)`.
    pub fn occupied_s(&self, channels: &[u16], from: f64, to: f64) -> f64 {
        // The union of the channels' intervals, clipped to the window.
        let mut spans: Vec<(f64, f64)> = channels
            .iter()
            .filter_map(|c| self.occupied.get(c))
            .flatten()
            .map(|&(a, b)| (a.max(from), b.min(to)))
            .filter(|(a, b)| b > a)
            .collect();
        spans.sort_by(|x, y| x.0.total_cmp(&y.0));
        let mut total = 0.0;
        let mut reach = f64::NEG_INFINITY;
        for (a, b) in spans {
            let a = a.max(reach);
            if b > a {
                total += b - a;
                reach = b;
            }
        }
        total
    }

    /// Whether `phase` is green at `t`, or when its next green begins.
    pub fn green_at(&self, phase: u16, t: f64) -> GreenAt {
        let cycles = self.cycles.get(&phase).map(Vec::as_slice).unwrap_or(&[]);
        let open = self.open_greens.get(&phase).copied();
        if open.is_some_and(|g| t >= g) {
            return GreenAt::Green;
        }
        let i = cycles.partition_point(|c| c.green <= t);
        if i > 0 && t < cycles[i - 1].yellow {
            return GreenAt::Green;
        }
        match cycles.get(i).map(|c| c.green).or(open) {
            Some(next) => GreenAt::NotGreen { next },
            None => GreenAt::Never,
        }
    }
}

/// Where a moment falls in a phase's greens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GreenAt {
    /// In a green.
    Green,
    /// Not green; the next green begins at `next`.
    NotGreen {
        /// The next begin green.
        next: f64,
    },
    /// Not green, and no green follows in the log.
    Never,
}
