//! Queue management near saturation, within the plan's bounds: what the adaptive controller
//! does for a group its loops find saturated (`saturation`) instead of chasing progression.
//!
//! - **Longer**: its green holds while a lane still discharges the queue the green found, as
//!   actuated control extends on its advance loops, up to the stage's maximum green and within
//!   the maximum cycle. So does a green that found a group waiting long (`found_queue`).
//! - **Its time in the cycle**: while another stage runs, the maximum cycle keeps room for each
//!   later stage of the cycle that serves a saturated group: its maximum green, where others get
//!   their minimum. The running stage may still run to its plan green (the split the plan was
//!   made with), so that a cycle in which every stage is saturated falls back on the plan's
//!   splits instead of cutting the running stage to its minimum; the minimum greens of the
//!   stages to come always fit within the maximum cycle.
//! - **Sooner**: the vehicles a green left behind keep their wait (`waits`), so the wait bound
//!   brings the group round again before they have waited longer than it.

use super::Adaptive;
use crate::model::StageIndex;
use crate::time::{Duration, Instant};

impl Adaptive {
    /// Whether the green of `stage` holds at `now` for the queue it found.
    pub(super) fn holds_for_queue(&self, stage: StageIndex, now: Instant) -> bool {
        self.site.intersection.stage(stage).groups.iter().any(|g| {
            (self.saturation.saturated(g) || self.found_long) && self.saturation.discharging(g, now)
        })
    }

    /// The green to keep for plan position `p` later in the cycle: its maximum when it serves
    /// a saturated group, else its minimum.
    fn reserve(&self, p: usize) -> Duration {
        let stage = &self.plan.stages[p];
        let saturated = self
            .site
            .intersection
            .stage(stage.stage)
            .groups
            .iter()
            .any(|g| self.saturation.saturated(g));
        if saturated {
            stage.max_green
        } else {
            stage.min_green
        }
    }

    /// How much longer (s) plan position `k`, green for `green`, may run within the maximum
    /// cycle (negative: none).
    pub(super) fn cycle_room(&self, k: usize, now: Instant, green: Duration) -> f64 {
        let Some(start) = self.cycle_start else {
            return f64::INFINITY;
        };
        let n = self.plan.stages.len();
        // Interstages and the greens kept for the rest of the cycle's stages.
        let rest = |keep: &dyn Fn(usize) -> Duration| -> f64 {
            (k..n)
                .map(|j| {
                    let next = (j + 1) % n;
                    self.between[j][next]
                        + if next == 0 {
                            0.0
                        } else {
                            keep(next).as_secs_f64()
                        }
                })
                .sum()
        };
        let left = self.plan.max_cycle.as_secs_f64() - (now - start).as_secs_f64();
        let hard = left - rest(&|p| self.plan.stages[p].min_green);
        let kept = left - rest(&|p| self.reserve(p));
        let split = (self.plan.stages[k].green.as_secs_f64() - green.as_secs_f64()).max(0.0);
        hard.min(kept.max(split))
    }
}
