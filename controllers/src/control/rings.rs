//! Dual-ring operation on top of a plan's stage order (NEMA TS 2, NTCIP 1202): a stage whose
//! groups do not all have demand may give way to another stage of the intersection that serves
//! the groups with demand and starts the following plan stage's groups early, and a group whose
//! traffic is gone hands its ring on while the other ring's group is still served (with no
//! eastbound left turners, the westbound left runs beside the westbound through rather than
//! beside an empty left arrow). The stage run "stands in" for the plan position: it keeps that
//! position's green bounds and its place in the order.

use crate::model::{GroupIndex, GroupSet, Intersection, StageIndex};
use crate::plan::TimingPlan;
use crate::time::Instant;

/// A stage run in place of the plan stage at a position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct StandIn {
    stage: StageIndex,
    position: usize,
    /// When the position's green began, if it began under another stage.
    began: Option<Instant>,
}

/// The stand-in in force, if any, and the one before it: a stand-in keeps running after the
/// stage to follow it is chosen, until its groups' minimum greens and walks let it end, and the
/// controller must still know which plan position it serves meanwhile.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Rings {
    stand_in: Option<StandIn>,
    before: Option<StandIn>,
}

impl Rings {
    /// The plan position `stage`, running since `since`, runs for, and when that position's
    /// green began. A stand-in replaced before is forgotten once another stage runs.
    pub(super) fn position(
        &mut self,
        plan: &TimingPlan,
        stage: StageIndex,
        since: Instant,
    ) -> Option<(usize, Instant)> {
        if self.before.is_some_and(|b| b.stage != stage) {
            self.before = None;
        }
        plan.stages
            .iter()
            .position(|s| s.stage == stage)
            .map(|p| (p, since))
            .or_else(|| {
                [self.stand_in, self.before]
                    .into_iter()
                    .flatten()
                    .find(|s| s.stage == stage)
                    .map(|s| (s.position, s.began.unwrap_or(since)))
            })
    }

    /// The stage to run at plan position `p` for the groups `demanded` (nothing changes until
    /// [`Rings::go`]).
    pub(super) fn choose(
        ix: &Intersection,
        plan: &TimingPlan,
        p: usize,
        demanded: &dyn Fn(GroupIndex) -> bool,
    ) -> (StageIndex, usize) {
        let planned = plan.stages[p].stage;
        (
            fit(ix, plan, p, ix.stage(planned).groups, demanded, demanded),
            p,
        )
    }

    /// Moves on to `stage` at plan position `p` (from [`Rings::choose`]).
    pub(super) fn go(&mut self, plan: &TimingPlan, (stage, p): (StageIndex, usize)) -> StageIndex {
        let stand_in = (stage != plan.stages[p].stage).then_some(StandIn {
            stage,
            position: p,
            began: None,
        });
        self.replace(stand_in);
        stage
    }

    /// `stand_in` in force from now on; the one it replaces is kept while it may still run.
    fn replace(&mut self, stand_in: Option<StandIn>) {
        if stand_in != self.stand_in {
            self.before = self.stand_in.or(self.before);
            self.stand_in = stand_in;
        }
    }

    /// While `running` serves plan position `p` (whose green began at `began`): the stage to
    /// run now that only the groups `keep` still need their green, handing the other rings on
    /// to the next plan stage's groups that are `demanded`; `running` itself when nothing is to
    /// be gained.
    pub(super) fn hand_on(
        &mut self,
        ix: &Intersection,
        plan: &TimingPlan,
        (running, p, began): (StageIndex, usize, Instant),
        keep: &dyn Fn(GroupIndex) -> bool,
        demanded: &dyn Fn(GroupIndex) -> bool,
    ) -> StageIndex {
        let stage = fit(ix, plan, p, ix.stage(running).groups, keep, demanded);
        if stage != running {
            self.replace(Some(StandIn {
                stage,
                position: p,
                began: Some(began),
            }));
        }
        stage
    }
}

/// Of the stages made of `current`'s groups and the next plan stage's that keep every group of
/// `current` that `keep` holds, the one serving most `demanded` groups (`current`'s own stage
/// on a tie, or when all or none of its groups are kept).
fn fit(
    ix: &Intersection,
    plan: &TimingPlan,
    p: usize,
    current: GroupSet,
    keep: &dyn Fn(GroupIndex) -> bool,
    demanded: &dyn Fn(GroupIndex) -> bool,
) -> StageIndex {
    let stages = || {
        ix.stages()
            .iter()
            .enumerate()
            .map(|(i, s)| (StageIndex(i as u8), s.groups))
    };
    let own = stages()
        .find(|&(_, groups)| groups == current)
        .map_or(plan.stages[p].stage, |(i, _)| i);
    let kept: Vec<GroupIndex> = current.iter().filter(|&g| keep(g)).collect();
    if kept.is_empty() || kept.len() == current.iter().count() {
        return own;
    }
    let after = ix
        .stage(plan.stages[(p + 1) % plan.stages.len()].stage)
        .groups;
    stages()
        .filter(|(_, groups)| kept.iter().all(|&g| groups.contains(g)))
        .filter(|(_, groups)| {
            groups
                .iter()
                .all(|g| current.contains(g) || after.contains(g))
        })
        .max_by_key(|&(i, groups)| (groups.iter().filter(|&g| demanded(g)).count(), i == own))
        .map_or(own, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::rig::{plan, site};

    #[test]
    fn an_empty_left_gives_way_to_the_through_beside_the_other_left() {
        let site = site();
        let ix = &site.intersection;
        let plan = plan(&site);
        let group = |id: &str| ix.group_by_id(id).unwrap();
        let stage = |id: &str| ix.stage_by_id(id).unwrap();
        // Plan position 0 is 1+5, then 2+6. Only the eastbound left (5) and the eastbound
        // through (2) have calls: 2+5 serves both.
        let demand = [group("5"), group("2")];
        let called = |g: GroupIndex| demand.contains(&g);
        let mut rings = Rings::default();
        let chosen = Rings::choose(ix, &plan, 0, &called);
        assert_eq!(chosen, (stage("2+5"), 0));
        assert_eq!(rings.go(&plan, chosen), stage("2+5"));
        // 2+5 stands in for position 0, with its own green start.
        let t = Instant::from_millis(5_000);
        assert_eq!(rings.position(&plan, stage("2+5"), t), Some((0, t)));
        // With every group of 1+5 called, 1+5 runs.
        let all = |_: GroupIndex| true;
        assert_eq!(Rings::choose(ix, &plan, 0, &all), (stage("1+5"), 0));
    }

    #[test]
    fn a_stand_in_still_ending_keeps_its_plan_position_once_the_next_stage_is_chosen() {
        let site = site();
        let ix = &site.intersection;
        let plan = plan(&site);
        let stage = |id: &str| ix.stage_by_id(id).unwrap();
        let mut rings = Rings::default();
        // 2+5 stands in for position 0 (1+5), then 2+6 (position 1) is chosen to follow it
        // while 2+5 still runs (a walk's clearance, a minimum green holding it).
        rings.go(&plan, (stage("2+5"), 0));
        let t = Instant::from_millis(30_000);
        rings.go(&plan, (stage("2+6"), 1));
        assert_eq!(rings.position(&plan, stage("2+5"), t), Some((0, t)));
        // Asked again, or asked for another stand-in instead, while 2+5 still runs.
        rings.go(&plan, (stage("2+6"), 1));
        rings.go(&plan, (stage("1+6"), 1));
        assert_eq!(rings.position(&plan, stage("2+5"), t), Some((0, t)));
        // Once the next stage runs, 2+5 is forgotten.
        assert_eq!(rings.position(&plan, stage("1+6"), t), Some((1, t)));
        assert_eq!(rings.position(&plan, stage("2+5"), t), None);
    }

    #[test]
    fn a_group_done_early_hands_its_ring_on() {
        let site = site();
        let ix = &site.intersection;
        let plan = plan(&site);
        let group = |id: &str| ix.group_by_id(id).unwrap();
        let stage = |id: &str| ix.stage_by_id(id).unwrap();
        let mut rings = Rings::default();
        let began = Instant::from_millis(10_000);
        // 1+5 running: the westbound left (1) still has its queue, the eastbound left (5) is
        // done, the westbound through (6) is called: 1+6, counted from 1+5's start.
        let keep = |g: GroupIndex| g == group("1");
        let called = |g: GroupIndex| g == group("1") || g == group("6");
        let next = rings.hand_on(ix, &plan, (stage("1+5"), 0, began), &keep, &called);
        assert_eq!(next, stage("1+6"));
        let later = Instant::from_millis(14_000);
        assert_eq!(rings.position(&plan, stage("1+6"), later), Some((0, began)));
        // Both still served: no change.
        let both = |g: GroupIndex| g == group("1") || g == group("5");
        assert_eq!(
            rings.hand_on(ix, &plan, (stage("1+5"), 0, began), &both, &called),
            stage("1+5")
        );
    }
}
