//! Queue management near saturation: the demand-aware switch between progression and clearing
//! queues. Each group's advance loops tell whether its queue was still moving over them when its
//! green ended (a vehicle within the passage time, and a queue still estimated): then one green
//! did not clear it, and part of it waits another cycle. A smoothed share of such greens is the
//! group's saturation, 0 to 1. A group found saturated is managed for its queue instead of for
//! progression: its green holds while its queue still moves over its advance loops (as actuated
//! control does, up to the maximum green and within the maximum cycle), the vehicles it left
//! behind keep their wait towards the wait bound (so the group comes round again sooner), and
//! the predicted cost counts the queue it would carry past the horizon.

use super::Adaptive;
use crate::corridor::DetectorKind;
use crate::detector::wrapping_delta;
use crate::model::GroupIndex;
use crate::sequencer::Sequencer;
use crate::site::Site;
use crate::time::{Duration, Instant};

/// A vehicle over a group's advance loop within this long means its queue is still moving, s.
pub(super) const PASSAGE_S: f64 = 2.5;
/// Weight of the latest green in the smoothed saturation.
const SMOOTHING: f64 = 0.5;
/// Saturation from which a group's queue is managed rather than its progression.
pub(super) const SATURATED: f64 = 0.5;
/// Estimated queue (vehicles) from which a green that ends leaves a queue behind.
const LEFT_BEHIND_VEH: f64 = 3.0;

/// What the advance loops say about each group's queue.
#[derive(Clone, Debug, Default)]
pub(super) struct Saturation {
    /// The loops whose vehicles reach each group's stop line next: its advance loops where it
    /// has any, else all its loops.
    extenders: Vec<Vec<usize>>,
    last_actuation: Vec<Option<Instant>>,
    was_go: Vec<bool>,
    /// Smoothed share of greens that ended with the queue still moving, 0 to 1.
    pub level: Vec<f64>,
}

impl Saturation {
    pub fn new(site: &Site) -> Self {
        let extenders: Vec<Vec<usize>> = site
            .group_detectors()
            .iter()
            .map(|ds| {
                let of = |advance: bool| -> Vec<usize> {
                    ds.iter()
                        .filter(|d| d.kind != DetectorKind::PedestrianButton)
                        .filter(|d| !advance || d.kind == DetectorKind::Advance)
                        .map(|d| usize::from(d.channel))
                        .collect()
                };
                let adv = of(true);
                if adv.is_empty() { of(false) } else { adv }
            })
            .collect();
        let n = extenders.len();
        Saturation {
            extenders,
            last_actuation: vec![None; n],
            was_go: vec![false; n],
            level: vec![0.0; n],
        }
    }

    /// Whether `g`'s queue is still moving over its advance loops at `now`.
    pub fn moving(&self, g: GroupIndex, now: Instant) -> bool {
        self.last_actuation[g.get()]
            .is_some_and(|t| now - t < Duration::from_secs_f64(PASSAGE_S))
    }

    /// Whether `g` is managed for its queue.
    pub fn saturated(&self, g: GroupIndex) -> bool {
        self.level[g.get()] >= SATURATED
    }
}

impl Adaptive {
    /// Reads the loops (before `last_counts` moves on): actuations, and for each green that
    /// ends whether it left a moving queue behind. Returns the groups whose green just ended
    /// that way.
    pub(super) fn observe_saturation(
        &mut self,
        now: Instant,
        samples: &[crate::detector::DetectorSample],
        group_queue: &[f64],
        seq: &Sequencer,
    ) -> Vec<GroupIndex> {
        let mut left_behind = Vec::new();
        let sat = &mut self.saturation;
        for g in self.site.intersection.group_indices() {
            let i = g.get();
            let actuated = sat.extenders[i].iter().any(|&ch| {
                samples.get(ch).is_some_and(|s| {
                    s.presence
                        || self
                            .last_counts
                            .get(ch)
                            .copied()
                            .flatten()
                            .is_some_and(|c| wrapping_delta(s.count, c) > 0)
                })
            });
            if actuated {
                sat.last_actuation[i] = Some(now);
            }
            let go = seq.state().get(g).is_go();
            if sat.was_go[i] && !go {
                let moving = sat.moving(g, now) && group_queue[i] >= LEFT_BEHIND_VEH;
                let x = if moving { 1.0 } else { 0.0 };
                sat.level[i] = (1.0 - SMOOTHING) * sat.level[i] + SMOOTHING * x;
                if moving {
                    left_behind.push(g);
                }
            }
            sat.was_go[i] = go;
        }
        left_behind
    }
}
