//! Queue management near saturation, within the plan's bounds: what the adaptive controller
//! does for a group its loops find saturated (`saturation`) instead of chasing progression.
//!
//! - **Longer**: its green holds while a lane still discharges the queue the green found, as
//!   actuated control extends on its advance loops, up to the stage's maximum green and within
//!   the maximum cycle. So does a green that found a group waiting long (`found_queue`). Every
//!   other green holds so up to its plan green: the prediction, which underestimates a queue
//!   backed up past the advance loops, does not end a green whose queue still moves before the
//!   split the plan gave it (at 1.2 a surging side street's green had been ended after 7 s
//!   with eight vehicles still queued). Nor does the wait bound, unless a group has really
//!   waited that long.
//! - **Its time in the cycle**: while another stage runs, the maximum cycle keeps room for each
//!   later stage of the cycle that serves a saturated group: its maximum green, where others get
//!   their minimum. The running stage may still run to its plan green (the split the plan was
//!   made with), so that a cycle in which every stage is saturated falls back on the plan's
//!   splits instead of cutting the running stage to its minimum; the minimum greens of the
//!   stages to come always fit within the maximum cycle.
//! - **Sooner**: the vehicles a green left behind keep their wait (`waits`), so the wait bound
//!   brings the group round again before they have waited longer than it. And a saturated
//!   stage keeps at least the plan's share of time: it starts again at most its maximum green
//!   over its plan share of the cycle after it last started (the plan's cycle, where its
//!   maximum green is its plan green). The stages between run to what is left, or to their
//!   plan green where that is more; a stage serving a saturated group itself is not held
//!   back. Without it a saturated group that cannot be served longer only waits longer for the
//!   same green (the J3 northbound surge of the arterial peak at 1.2: 44 s of green every
//!   133 s instead of every 120 s).

use super::Adaptive;
use crate::model::StageIndex;
use crate::time::{Duration, Instant};

impl Adaptive {
    /// Whether the green of plan position `k` (running `stage`, green for `green`) holds at
    /// `now` for the queue it found: while a lane still discharges it, up to the plan green for
    /// any group, and beyond it for a saturated group or one that found a group waiting long.
    pub(super) fn holds_for_queue(
        &self,
        (k, stage): (usize, StageIndex),
        green: Duration,
        now: Instant,
    ) -> bool {
        let within_split = green < self.plan.stages[k].green;
        self.site.intersection.stage(stage).groups.iter().any(|g| {
            (within_split || self.saturation.saturated(g) || self.found_long)
                && self.saturation.discharging(g, now)
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

    /// Whether `stage` serves a saturated group.
    fn stage_saturated(&self, stage: StageIndex) -> bool {
        self.site
            .intersection
            .stage(stage)
            .groups
            .iter()
            .any(|g| self.saturation.saturated(g))
    }

    /// How much longer (s) the running plan position `k` (`running` standing for it) may run
    /// so that each other saturated stage, one that cannot be served longer than its plan
    /// green, starts again within its share cycle of its last start: its maximum green over its
    /// plan share of the cycle (infinite when there is none, or when the running stage serves
    /// a saturated group itself, as a dual-ring stand-in may for a later position).
    fn share_room(&self, (k, running): (usize, StageIndex), now: Instant) -> f64 {
        if self.stage_saturated(running) {
            return f64::INFINITY;
        }
        let n = self.plan.stages.len();
        let cycle = self.plan.cycle.as_secs_f64();
        (0..n)
            .filter(|&p| p != k && self.stage_saturated(self.plan.stages[p].stage))
            .filter_map(|p| {
                let stage = &self.plan.stages[p];
                let since = self.started.get(p).copied().flatten()?;
                let share = stage.max_green.as_secs_f64() / stage.green.as_secs_f64().max(1.0);
                // From `k` on to `p`: the interstages, and the greens kept for those between.
                let mut to_p = 0.0;
                let mut j = k;
                while j != p {
                    let next = (j + 1) % n;
                    to_p += self.between[j][next];
                    if next != p {
                        to_p += self.reserve(next).as_secs_f64();
                    }
                    j = next;
                }
                Some(share * cycle - (now - since).as_secs_f64() - to_p)
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// How much longer (s) plan position `k`, `running` standing for it and green for
    /// `green`, may run within the maximum cycle (negative: none).
    pub(super) fn cycle_room(
        &self,
        (k, running): (usize, StageIndex),
        now: Instant,
        green: Duration,
    ) -> f64 {
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
        let kept = (left - rest(&|p| self.reserve(p))).min(self.share_room((k, running), now));
        let split = (self.plan.stages[k].green.as_secs_f64() - green.as_secs_f64()).max(0.0);
        hard.min(kept.max(split))
    }
}
