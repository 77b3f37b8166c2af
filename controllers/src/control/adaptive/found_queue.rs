//! Fairness for a group that waited long: its green is kept (within the maximum green and
//! cycle) until a share of the queue it found has had time to leave, so that a surging side
//! street is not cut short cycle after cycle by the arterial's forecasts.

use super::Adaptive;
use crate::model::StageIndex;
use crate::time::{Duration, Instant};

impl Adaptive {
    /// How long the green of plan position `k` (running `stage` since `began`) holds for the
    /// queue it found: fixed at the green's first decision from the queues of the groups that
    /// had waited long for it.
    pub(super) fn hold_for_found_queue(
        &mut self,
        k: usize,
        began: Instant,
        stage: StageIndex,
        queues: &[f64],
    ) -> Duration {
        match self.serve {
            Some((p, b, hold)) if p == k && b == began => hold,
            _ => {
                let groups = self.site.intersection.stage(stage).groups;
                // Each pool's queue of those groups leaves at its lanes' rate.
                let mut queued = vec![0.0; self.pools.len()];
                for (f, q) in self.flows.iter().zip(queues) {
                    if groups.contains(f.group)
                        && self.waited[f.group.get()] >= self.params.long_wait_s
                    {
                        queued[f.pool] += q;
                    }
                }
                let discharge = queued
                    .iter()
                    .zip(&self.pools)
                    .map(|(q, p)| q / p.capacity)
                    .fold(0.0, f64::max);
                let hold = if discharge > 0.0 {
                    Duration::from_secs_f64(
                        self.params.startup_lost_s + self.params.served_share * discharge,
                    )
                } else {
                    Duration::ZERO
                };
                self.serve = Some((k, began, hold));
                self.found_long = groups
                    .iter()
                    .any(|g| self.waited[g.get()] >= self.params.long_wait_s);
                // That wait is served: a group green on into the next plan position does not
                // bring it along.
                for g in groups.iter() {
                    self.waited[g.get()] = 0.0;
                }
                hold
            }
        }
    }

    /// The hold for the queue found of plan position `k` (running `stage` since `began`, green
    /// for `green`), within its maximum green and the maximum cycle (`cycle_room` s more).
    pub(super) fn found_hold(
        &mut self,
        k: usize,
        (began, green): (Instant, Duration),
        stage: StageIndex,
        queues: &[f64],
        cycle_room: f64,
    ) -> Duration {
        let found = self.hold_for_found_queue(k, began, stage, queues);
        let in_cycle = green.as_secs_f64() + cycle_room.max(0.0);
        let found = if found.as_secs_f64() > in_cycle {
            Duration::from_secs_f64(in_cycle)
        } else {
            found
        };
        found.min(self.plan.stages[k].max_green)
    }
}
