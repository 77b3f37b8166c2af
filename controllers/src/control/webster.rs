//! Webster's fixed-time settings (Webster 1958, Road Research Technical Paper 39): the optimum
//! cycle `C0 = (1.5 L + 5) / (1 - Y)` and greens in proportion to the critical flow ratios,
//! with minimum greens and a cycle bound; and green-wave offsets along a corridor.
//!
//! `L` is the lost time per cycle: the interstage times of the stage order (EN 12675
//! intergreens) plus, per stage, the start-up loss not won back in the amber (HCM 2016 takes
//! 2 s start-up loss and 2 s of amber used; drivers here use less of the amber, so 2 s remain
//! by default). Each stage's displayed green is its effective green plus that loss. `Y` is the
//! sum over stages of the critical flow ratio `y = q / s`, the largest of the groups that stage
//! starts, each over the lanes its movements use.

use std::collections::BTreeMap;

use crate::model::{GroupIndex, StageIndex};
use crate::plan::{PlanSpec, PlanStageSpec};
use crate::sequencer::interstage;
use crate::site::Site;
use crate::time::Duration;

/// Bounds and choices for Webster's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WebsterOptions {
    /// Shortest cycle.
    pub min_cycle_s: f64,
    /// Longest cycle (also used when the flows exceed capacity).
    pub max_cycle_s: f64,
    /// Lost time of each stage beyond its interstage.
    pub stage_lost_s: f64,
    /// Let an intersection whose own cycle fits in half the common one run that half, twice
    /// in each common cycle (double cycling), where its minimum greens fit.
    pub half_cycles: bool,
}

impl Default for WebsterOptions {
    fn default() -> Self {
        WebsterOptions {
            min_cycle_s: 40.0,
            max_cycle_s: 120.0,
            stage_lost_s: 2.0,
            half_cycles: false,
        }
    }
}

/// The outcome for one site: the stage greens and the figures behind them.
#[derive(Clone, Debug, PartialEq)]
pub struct WebsterSettings {
    /// Critical flow ratio of each stage, in order.
    pub y: Vec<f64>,
    /// Lost time per cycle, s.
    pub lost_s: f64,
    /// Webster's optimum cycle before bounds, s (infinite when `Y >= 1`).
    pub optimum_cycle_s: f64,
    /// The cycle used, s.
    pub cycle_s: f64,
    /// Green of each stage, s.
    pub greens_s: Vec<f64>,
}

/// Flow ratio of each signal group at `site`: the largest, over its approaches, of the flow of
/// its movements over the saturation flow of the lanes they use. `flow_veh_h` gives the flow of
/// a movement by approach link and turn index ([`Turn::index`](crate::model::Turn::index)).
pub fn group_flow_ratios(
    site: &Site,
    flow_veh_h: impl Fn(&str, usize) -> f64,
) -> BTreeMap<GroupIndex, f64> {
    let mut ratios: BTreeMap<GroupIndex, f64> = BTreeMap::new();
    for approach in &site.approaches {
        let mut by_group: BTreeMap<GroupIndex, (f64, Vec<u8>)> = BTreeMap::new();
        for m in &approach.movements {
            let Some(group) = m.group else { continue };
            let Some(turn) = m.turn.index() else { continue };
            let entry = by_group.entry(group).or_default();
            entry.0 += flow_veh_h(&approach.link, turn);
            for &l in &m.lanes {
                if !entry.1.contains(&l) {
                    entry.1.push(l);
                }
            }
        }
        for (group, (flow, lanes)) in by_group {
            let capacity = approach.saturation_flow_veh_h_lane * lanes.len().max(1) as f64;
            let y = flow / capacity;
            let r = ratios.entry(group).or_default();
            *r = r.max(y);
        }
    }
    ratios
}

/// Webster's settings for a stage order; with `common_cycle_s` the cycle is that one (for
/// coordination) and only the greens are Webster's.
pub fn settings(
    site: &Site,
    order: &[StageIndex],
    ratios: &BTreeMap<GroupIndex, f64>,
    options: &WebsterOptions,
    common_cycle_s: Option<f64>,
) -> WebsterSettings {
    let ix = &site.intersection;
    let n = order.len();
    let lost: Duration = (0..n)
        .map(|i| interstage(ix, ix.stage(order[i]), ix.stage(order[(i + 1) % n])))
        .sum();
    let lost_s = lost.as_secs_f64() + options.stage_lost_s * n as f64;
    // A stage's critical ratio: the largest of the groups it starts (groups carried over from
    // the previous stage are timed there).
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let here = ix.stage(order[i]).groups;
            let before = ix.stage(order[(i + n - 1) % n]).groups;
            let starting = if n > 1 { here.minus(before) } else { here };
            starting
                .iter()
                .map(|g| ratios.get(&g).copied().unwrap_or(0.0))
                .fold(0.0, f64::max)
        })
        .collect();
    let total_y: f64 = y.iter().sum();
    let optimum = if total_y < 1.0 {
        (1.5 * lost_s + 5.0) / (1.0 - total_y)
    } else {
        f64::INFINITY
    };
    let mut cycle = common_cycle_s.unwrap_or_else(|| {
        // (max before min: never panics, whatever the options)
        optimum
            .max(options.min_cycle_s)
            .min(options.max_cycle_s)
            .round()
    });
    let min_green = |i: usize| ix.stage_green_bounds(order[i]).0.as_secs_f64();
    let between = lost_s - options.stage_lost_s * n as f64;
    let greens = loop {
        match share_greens(
            cycle - between,
            &y,
            options.stage_lost_s,
            &(0..n).map(min_green).collect::<Vec<_>>(),
        ) {
            Some(greens) => break greens,
            // The minimum greens do not fit: lengthen the cycle (past the maximum if need be;
            // the minimum greens come first).
            None => cycle += 1.0,
        }
    };
    let cycle = greens.iter().sum::<f64>() + between;
    WebsterSettings {
        y,
        lost_s,
        optimum_cycle_s: optimum,
        cycle_s: cycle,
        greens_s: greens,
    }
}

/// Shares `available` seconds of green among stages in proportion to `y` (each plus its
/// `stage_lost` start-up loss), holding any stage that would fall below its minimum at the
/// minimum and sharing the rest among the others; whole seconds, the rounding going to the
/// largest stage. `None` when the minimums alone do not fit.
fn share_greens(available: f64, y: &[f64], stage_lost: f64, min: &[f64]) -> Option<Vec<f64>> {
    let n = y.len();
    let mut fixed = vec![false; n];
    loop {
        let fixed_total: f64 = (0..n).filter(|&i| fixed[i]).map(|i| min[i]).sum();
        let free: Vec<usize> = (0..n).filter(|&i| !fixed[i]).collect();
        if fixed_total > available + 1e-9 {
            return None;
        }
        let y_free: f64 = free.iter().map(|&i| y[i]).sum();
        let effective = available - fixed_total - stage_lost * free.len() as f64;
        let mut greens: Vec<f64> = (0..n)
            .map(|i| {
                if fixed[i] {
                    min[i]
                } else {
                    let share = if y_free > 0.0 {
                        y[i] / y_free
                    } else {
                        1.0 / free.len() as f64
                    };
                    effective * share + stage_lost
                }
            })
            .collect();
        let newly: Vec<usize> = free
            .iter()
            .copied()
            .filter(|&i| greens[i] < min[i])
            .collect();
        if newly.is_empty() {
            for g in &mut greens {
                *g = g.round();
            }
            let largest = (0..n).max_by(|&a, &b| greens[a].total_cmp(&greens[b]))?;
            greens[largest] += available.round() - greens.iter().sum::<f64>();
            return (greens[largest] >= min[largest]).then_some(greens);
        }
        for i in newly {
            fixed[i] = true;
        }
    }
}

/// A timing plan file for the settings; `offset_s` is the first stage's green start.
pub fn plan_spec(
    site: &Site,
    plan_id: &str,
    order: &[StageIndex],
    s: &WebsterSettings,
    offset_s: f64,
) -> PlanSpec {
    let ix = &site.intersection;
    let stages: Vec<PlanStageSpec> = order
        .iter()
        .zip(&s.greens_s)
        .map(|(&st, &g)| PlanStageSpec {
            stage: ix.stage(st).id.clone(),
            green_s: g,
            min_green_s: None,
            // The stage's own maximum, or the green if Webster asks for more.
            max_green_s: Some(g.max(ix.stage_green_bounds(st).1.as_secs_f64())),
        })
        .collect();
    // The longest cycle: what every stage at its maximum green adds up to, as actuated control
    // runs it when every stage maxes out, so that adaptive control near saturation has the
    // same room (`max_cycle_s` caps only Webster's cycle).
    let interstages: f64 = (0..order.len())
        .map(|i| {
            let next = order[(i + 1) % order.len()];
            interstage(ix, ix.stage(order[i]), ix.stage(next)).as_secs_f64()
        })
        .sum();
    let max_greens: f64 = stages.iter().filter_map(|st| st.max_green_s).sum();
    PlanSpec {
        plan_id: plan_id.to_owned(),
        version: 1,
        pattern: None,
        intersection: None,
        cycle_s: s.cycle_s,
        offset_s: offset_s.rem_euclid(s.cycle_s),
        max_cycle_s: Some((max_greens + interstages).max(s.cycle_s).round()),
        stages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load;
    use crate::model::Turn;
    use std::path::Path;

    fn isolated() -> Site {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors/isolated.toml");
        let corridor = load::corridor(&path).unwrap();
        Site::new(&corridor, corridor.node_by_id("J1").unwrap()).unwrap()
    }

    #[test]
    fn optimum_cycle_and_greens_follow_webster() {
        let site = isolated();
        let ix = &site.intersection;
        let order: Vec<StageIndex> = ["1+5", "2+6", "3+7", "4+8"]
            .iter()
            .map(|s| ix.stage_by_id(s).unwrap())
            .collect();
        // Main street 700 veh/h through+right on two lanes, 108 left; side 250 and 36.
        let flow = |link: &str, turn: usize| {
            let main = link == "W->J1" || link == "E->J1";
            match (main, Turn::VEHICLE[turn]) {
                (true, Turn::Left) => 108.0,
                (true, Turn::Through) => 600.0,
                (true, _) => 100.0,
                (false, Turn::Left) => 36.0,
                (false, Turn::Through) => 200.0,
                (false, _) => 50.0,
            }
        };
        let ratios = group_flow_ratios(&site, flow);
        let phase = |id: &str| ratios[&ix.group_by_id(id).unwrap()];
        assert!(
            (phase("2") - 700.0 / 3600.0).abs() < 1e-9,
            "two lanes at 1800 veh/h each"
        );
        assert!((phase("5") - 0.06).abs() < 1e-9);
        assert!((phase("4") - 250.0 / 1800.0).abs() < 1e-9);
        let s = settings(&site, &order, &ratios, &WebsterOptions::default(), None);
        let y: f64 = s.y.iter().sum();
        assert!(
            (y - (0.06 + 700.0 / 3600.0 + 0.02 + 250.0 / 1800.0)).abs() < 1e-9,
            "{:?}",
            s.y
        );
        // L = 4 interstages of 6 s + 4 x 2 s start-up loss.
        assert_eq!(s.lost_s, 32.0);
        let c0 = (1.5 * 32.0 + 5.0) / (1.0 - y);
        assert!((s.optimum_cycle_s - c0).abs() < 1e-9);
        assert!(
            (s.cycle_s - c0).abs() <= 2.0,
            "cycle {} vs C0 {c0}",
            s.cycle_s
        );
        // Stages held at their 7 s minimum; the others share the rest in proportion to y (each
        // plus its 2 s start-up loss), to the rounding second.
        assert!(s.greens_s.iter().all(|&g| g >= 7.0), "{:?}", s.greens_s);
        let (main, side) = (s.greens_s[1] - 2.0, s.greens_s[3] - 2.0);
        assert!(
            (main / side - s.y[1] / s.y[3]).abs() * side <= 1.0,
            "{:?} for y {:?}",
            s.greens_s,
            s.y
        );
        let total: f64 = s.greens_s.iter().sum::<f64>() + 24.0;
        assert_eq!(total, s.cycle_s);

        // The plan's longest cycle: every stage at its maximum green, with the interstages.
        let spec = plan_spec(&site, "p", &order, &s, 0.0);
        let max_greens: f64 = spec.stages.iter().map(|st| st.max_green_s.unwrap()).sum();
        assert!(
            spec.stages
                .iter()
                .all(|st| st.max_green_s.unwrap() >= st.green_s)
        );
        assert_eq!(spec.max_cycle_s, Some(max_greens + 24.0));
        assert!(max_greens + 24.0 > s.cycle_s);
    }

    #[test]
    fn a_common_cycle_is_kept_and_minimum_greens_hold() {
        let site = isolated();
        let ix = &site.intersection;
        let order: Vec<StageIndex> = ["2+6", "4+8"]
            .iter()
            .map(|s| ix.stage_by_id(s).unwrap())
            .collect();
        let ratios = group_flow_ratios(&site, |_, _| 10.0);
        let s = settings(
            &site,
            &order,
            &ratios,
            &WebsterOptions::default(),
            Some(90.0),
        );
        assert_eq!(s.cycle_s, 90.0);
        assert!(s.greens_s.iter().all(|&g| g >= 7.0));
    }
}
