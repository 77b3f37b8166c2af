//! Who waits, and since when, as transit priority sees it under a controller without a wait
//! bound of its own nor a cycle that brings every stage round (actuated control): a vehicle
//! group from the first instant one of its loops is occupied while it shows red, a
//! pedestrian group from its call, each until its next green.
//!
//! A priority is granted, and a hold kept, only where every group waiting outside the bus's
//! stage would still start its green within `[priority] max_wait_s` were its stage to follow
//! the bus's as soon as the intergreens allow. The stages the controller may serve on the way
//! are not added up, so this is the least a priority can take from them; it keeps a bus's
//! green from being held or brought forward past a side street or a pedestrian that has
//! already waited most of the bound (without it, a pedestrian on the arterial peak waited 185 s
//! under actuated control: a bus's early green jumped the stage the push had waited 103 s for).

use crate::detector::{DetectorSample, FaultCode};
use crate::model::StageIndex;
use crate::sequencer::{Sequencer, interstage};
use crate::time::{Duration, Instant};

/// When each group began to wait, by group.
#[derive(Clone, Debug, Default)]
pub(super) struct Waits {
    since: Vec<Option<Instant>>,
}

impl Waits {
    /// Reads at `now` who waits: `group_loops` holds each group's vehicle loop channels in
    /// `samples`.
    pub fn observe(
        &mut self,
        now: Instant,
        seq: &Sequencer,
        samples: &[DetectorSample],
        group_loops: &[Vec<u8>],
    ) {
        let ix = seq.intersection();
        self.since.resize(ix.groups().len(), None);
        let calls = seq.pedestrian_calls();
        for g in ix.group_indices() {
            let since = &mut self.since[g.get()];
            if seq.state().get(g).is_go() {
                *since = None;
                continue;
            }
            if since.is_some() {
                continue;
            }
            let occupied = || {
                group_loops.get(g.get()).is_some_and(|chs| {
                    chs.iter().any(|&ch| {
                        samples
                            .get(usize::from(ch))
                            .is_some_and(|s| s.presence && s.fault == FaultCode::Ok)
                    })
                })
            };
            if calls.contains(g) || occupied() {
                *since = Some(now);
            }
        }
    }

    /// Whether `stage` may be kept green until `until` (brought forward when it is not
    /// running) and every group waiting outside it still start its green within `bound`:
    /// the stage ends at `until`, or after its minimum green once it starts, and each waiting
    /// group's stage follows it as soon as the intergreens allow.
    pub fn fit(
        &self,
        now: Instant,
        seq: &Sequencer,
        (stage, until): (StageIndex, Instant),
        bound: Duration,
    ) -> bool {
        let ix = seq.intersection();
        let (min_green, _) = ix.stage_green_bounds(stage);
        let free = seq.earliest_stage_end().unwrap_or(now).max(now);
        let ends = match seq.current_stage() {
            Some(r) if r == stage => until.max(free),
            Some(r) => until.max(free + interstage(ix, ix.stage(r), ix.stage(stage)) + min_green),
            None => until.max(now + min_green),
        };
        let groups = ix.stage(stage).groups;
        let stages = (0..ix.stages().len() as u8).map(StageIndex);
        ix.group_indices()
            .filter(|&g| !groups.contains(g))
            .filter_map(|g| {
                let since = self.since.get(g.get()).copied().flatten()?;
                let reach = stages
                    .clone()
                    .filter(|&s| ix.stage(s).groups.contains(g))
                    .map(|s| interstage(ix, ix.stage(stage), ix.stage(s)))
                    .min()?;
                Some(ends + reach - since)
            })
            .all(|wait| wait < bound)
    }
}
