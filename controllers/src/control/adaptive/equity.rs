//! Equity in the adaptive controller's objective. Plain total delay lets a heavy movement keep
//! its green while a light one's few vehicles wait another whole cycle: theirs is the cheapest
//! delay to add. So each second of predicted delay counts more the longer its group has waited,
//! `1 + wait_weight × (wait / max_wait)²` times: the controller minimises delay with a growing
//! price on long waits, between total delay (weight 0) and the longest wait alone (a large
//! weight). The same idea as the wait bound (`waits`), but continuous: the bound is the hard
//! limit, the weight shapes every decision before it is reached.
//!
//! In the prediction each flow's clock starts from its group's wait so far (the controller's
//! own, set back for a queue a green left behind), stops while its group is served, and starts
//! again when the group is left with a queue.

use super::Adaptive;
use crate::time::Instant;

/// Allowed range of the wait weight.
pub const WAIT_WEIGHT_RANGE: (f64, f64) = (0.0, 100.0);

/// The flows' wait clocks over one prediction, in seconds from the decision.
pub(super) struct Clocks<'a> {
    /// When each flow's group began to wait (negative: before the decision); `None`: not waiting.
    since: Vec<Option<f64>>,
    adaptive: &'a Adaptive,
}

impl<'a> Clocks<'a> {
    pub fn new(adaptive: &'a Adaptive) -> Self {
        Clocks {
            since: adaptive.flow_waits.iter().map(|w| w.map(|w| -w)).collect(),
            adaptive,
        }
    }

    /// The weight of flow `i`'s delay at `now` (s from the decision), given whether it is
    /// served and what it has queued.
    pub fn weight(&mut self, i: usize, now: f64, served: bool, queued: f64) -> f64 {
        let since = &mut self.since[i];
        if served {
            *since = None;
        } else if since.is_none() && queued >= 0.5 {
            *since = Some(now);
        }
        let params = &self.adaptive.params;
        // The wait the decision sees: how long the group had waited when it was taken (a
        // clock started within the horizon counts from its start, not on into the future).
        since.map_or(1.0, |t| {
            let x = (-t).max(0.0) / params.max_wait_s;
            1.0 + params.wait_weight * x * x
        })
    }
}

impl Adaptive {
    /// Sets each flow's wait so far from its group's clock (`waits`).
    pub(super) fn read_flow_waits(&mut self, now: Instant) {
        for (w, f) in self.flow_waits.iter_mut().zip(&self.flows) {
            *w = self.waiting_since[f.group.get()].map(|t| (now - t).as_secs_f64());
        }
    }
}
