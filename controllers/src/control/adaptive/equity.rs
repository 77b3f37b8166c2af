//! Equity in the adaptive controller's objective. Plain total delay lets a heavy movement keep
//! its green while a light one's few vehicles wait another whole cycle: theirs is the cheapest
//! delay to add. So each second of predicted delay counts more the longer its group has waited,
//! `1 + wait_weight × (wait / max_wait)²` times: the controller minimises delay with a growing
//! price on long waits, between total delay (weight 0) and the longest wait alone (a large
//! weight). The same idea as the wait bound (`waits`), but continuous: the bound is the hard
//! limit, the weight shapes every decision before it is reached.
//!
//! In the prediction each flow's delay counts at its group's weight for the wait so far (the
//! controller's own clock, set back for a queue a green left behind) until the group is served;
//! a clock started within the horizon counts from its start, not on into the future, so from
//! then on the weight is 1.

use super::Adaptive;
use crate::time::Instant;

/// Allowed range of the wait weight.
pub const WAIT_WEIGHT_RANGE: (f64, f64) = (0.0, 100.0);

impl Adaptive {
    /// What a second of delay counts for in a group that has waited `wait` s (none: not
    /// waiting).
    pub(super) fn wait_weight(&self, wait: Option<f64>) -> f64 {
        wait.map_or(1.0, |w| {
            let x = w.max(0.0) / self.params.max_wait_s;
            1.0 + self.params.wait_weight * x * x
        })
    }

    /// Sets each flow's wait so far from its group's clock (`waits`).
    pub(super) fn read_flow_waits(&mut self, now: Instant) {
        for (w, f) in self.flow_waits.iter_mut().zip(&self.flows) {
            *w = self.waiting_since[f.group.get()].map(|t| (now - t).as_secs_f64());
        }
    }
}
