//! Saturation, lane by lane, from the advance loops: the demand-aware switch between
//! progression and queue management. While a group is green, each of its lanes' advance loops
//! tells whether the queue the green found is still discharging over it (a vehicle within the
//! passage time ever since the start-up, as a saturated lane shows) or has cleared (a gap). A
//! green that ends with a lane still discharging did not clear its queue: part of it waits
//! another cycle, as in the split failures of the Purdue performance measures. The smoothed
//! share of such greens is the group's saturation, 0 to 1, and from `SATURATED` on the group is
//! managed for its queue rather than for progression (`queue_management`). Counting on the
//! loops rather than on the estimated queue matters: a queue that backs up past the advance
//! loops is underestimated, by half at the surge of the arterial peak at 1.2.

use super::Adaptive;
use crate::corridor::DetectorKind;
use crate::detector::{DetectorSample, wrapping_delta};
use crate::model::GroupIndex;
use crate::sequencer::Sequencer;
use crate::site::Site;
use crate::time::{Duration, Instant};

/// A vehicle over an advance loop within this long means its lane's queue still discharges, s
/// (a saturation headway is about 2 s).
const PASSAGE_S: f64 = 2.5;
/// The start of a green before its queue moves over the advance loops, s.
const STARTUP_S: f64 = 3.0;
/// Weight of the latest green in the smoothed saturation.
const SMOOTHING: f64 = 0.5;
/// Saturation from which a group is managed for its queue: one green in two that did not
/// clear it, or a single one just now.
const SATURATED: f64 = 0.25;

/// What the advance loops say about each group's queue.
#[derive(Clone, Debug, Default)]
pub(super) struct Saturation {
    /// The loops over which each group's queue discharges: its advance loops where it has
    /// any, else all its vehicle loops.
    loops: Vec<Vec<usize>>,
    /// By channel: the last vehicle over it, and whether its lane's queue has cleared since its
    /// group's green began.
    last_vehicle: Vec<Option<Instant>>,
    cleared: Vec<bool>,
    /// By group: whether it showed go at the last decision, and since when.
    was_go: Vec<bool>,
    green_since: Vec<Option<Instant>>,
    /// By group: the smoothed share of its greens that did not clear its queue, 0 to 1.
    level: Vec<f64>,
}

impl Saturation {
    pub fn new(site: &Site) -> Self {
        let loops: Vec<Vec<usize>> = site
            .group_detectors()
            .iter()
            .map(|ds| {
                let of = |advance: bool| -> Vec<usize> {
                    ds.iter()
                        .filter(|d| d.kind.is_vehicle_loop())
                        .filter(|d| !advance || d.kind == DetectorKind::Advance)
                        .map(|d| usize::from(d.channel))
                        .collect()
                };
                let advance = of(true);
                if advance.is_empty() {
                    of(false)
                } else {
                    advance
                }
            })
            .collect();
        let n = loops.len();
        Saturation {
            loops,
            last_vehicle: Vec::new(),
            cleared: Vec::new(),
            was_go: vec![false; n],
            green_since: vec![None; n],
            level: vec![0.0; n],
        }
    }

    fn moving(&self, ch: usize, now: Instant) -> bool {
        self.last_vehicle
            .get(ch)
            .copied()
            .flatten()
            .is_some_and(|t| now - t < Duration::from_secs_f64(PASSAGE_S))
    }

    /// Whether a lane of `g` still discharges the queue its green found.
    pub fn discharging(&self, g: GroupIndex, now: Instant) -> bool {
        self.loops[g.get()]
            .iter()
            .any(|&ch| !self.cleared.get(ch).copied().unwrap_or(true) && self.moving(ch, now))
    }

    /// Whether `g` is managed for its queue.
    pub fn saturated(&self, g: GroupIndex) -> bool {
        self.level[g.get()] >= SATURATED
    }

    /// Sets `g` saturated, as a run of greens that did not clear its queue would.
    #[cfg(test)]
    pub fn mark_saturated(&mut self, g: GroupIndex) {
        self.level[g.get()] = 1.0;
    }
}

impl Adaptive {
    /// Reads the loops (before `last_counts` moves on) and, for each green that ends, whether
    /// it cleared its queue. Returns the groups whose green just ended without.
    pub(super) fn observe_saturation(
        &mut self,
        now: Instant,
        samples: &[DetectorSample],
        seq: &Sequencer,
    ) -> Vec<GroupIndex> {
        let sat = &mut self.saturation;
        sat.last_vehicle.resize(samples.len(), None);
        sat.cleared.resize(samples.len(), true);
        for (ch, s) in samples.iter().enumerate() {
            let counted = self
                .last_counts
                .get(ch)
                .copied()
                .flatten()
                .is_some_and(|c| wrapping_delta(s.count, c) > 0);
            if s.presence || counted {
                sat.last_vehicle[ch] = Some(now);
            }
        }
        let mut failed = Vec::new();
        for g in self.site.intersection.group_indices() {
            let i = g.get();
            let go = seq.state().get(g).is_go();
            if go && !sat.was_go[i] {
                sat.green_since[i] = Some(now);
                for &ch in &sat.loops[i] {
                    sat.cleared[ch] = false;
                }
            }
            let started =
                sat.green_since[i].is_some_and(|t| now - t >= Duration::from_secs_f64(STARTUP_S));
            if go && started {
                for &ch in &sat.loops[i] {
                    if !sat.moving(ch, now) {
                        sat.cleared[ch] = true;
                    }
                }
            }
            if sat.was_go[i] && !go {
                let failure = sat.discharging(g, now);
                let x = if failure { 1.0 } else { 0.0 };
                sat.level[i] = (1.0 - SMOOTHING) * sat.level[i] + SMOOTHING * x;
                if failure {
                    failed.push(g);
                }
                sat.green_since[i] = None;
            }
            sat.was_go[i] = go;
        }
        failed
    }
}
