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
}

impl Default for WebsterOptions {
    fn default() -> Self {
        WebsterOptions {
            min_cycle_s: 40.0,
            max_cycle_s: 120.0,
            stage_lost_s: 2.0,
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
/// a movement by approach link and turn index (0 left, 1 through, 2 right).
pub fn group_flow_ratios(
    site: &Site,
    flow_veh_h: impl Fn(&str, usize) -> f64,
) -> BTreeMap<GroupIndex, f64> {
    let mut ratios: BTreeMap<GroupIndex, f64> = BTreeMap::new();
    for approach in &site.approaches {
        let mut by_group: BTreeMap<GroupIndex, (f64, Vec<u8>)> = BTreeMap::new();
        for m in &approach.movements {
            let Some(group) = m.group else { continue };
            let turn = match m.turn {
                crate::model::Turn::Left => 0,
                crate::model::Turn::Through => 1,
                crate::model::Turn::Right => 2,
                crate::model::Turn::Crossing => continue,
            };
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
        optimum
            .clamp(options.min_cycle_s, options.max_cycle_s)
            .round()
    });
    let min_green = |i: usize| {
        ix.stage(order[i])
            .groups
            .iter()
            .map(|g| ix.group(g).min_green.as_secs_f64())
            .fold(0.0, f64::max)
    };
    let mut greens: Vec<f64>;
    loop {
        let effective = cycle - lost_s;
        greens = (0..n)
            .map(|i| {
                let share = if total_y > 0.0 {
                    y[i] / total_y
                } else {
                    1.0 / n as f64
                };
                (effective * share + options.stage_lost_s)
                    .round()
                    .max(min_green(i))
            })
            .collect();
        // Rounding: the last stage takes up the difference, if its minimum allows.
        let between = lost_s - options.stage_lost_s * n as f64;
        let total = greens.iter().sum::<f64>() + between;
        if let Some(last) = greens.last_mut()
            && total != cycle
            && *last + (cycle - total) >= min_green(n - 1)
        {
            *last += cycle - total;
        }
        let total = greens.iter().sum::<f64>() + between;
        if total <= cycle || cycle >= options.max_cycle_s {
            cycle = total;
            break;
        }
        cycle = (cycle + 1.0).min(options.max_cycle_s);
    }
    WebsterSettings {
        y,
        lost_s,
        optimum_cycle_s: optimum,
        cycle_s: cycle,
        greens_s: greens,
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
    PlanSpec {
        plan_id: plan_id.to_owned(),
        version: 1,
        intersection: None,
        cycle_s: s.cycle_s,
        offset_s: offset_s.rem_euclid(s.cycle_s),
        max_cycle_s: Some(s.cycle_s.max(120.0).max(s.cycle_s)),
        stages: order
            .iter()
            .zip(&s.greens_s)
            .map(|(&st, &g)| PlanStageSpec {
                stage: ix.stage(st).id.clone(),
                green_s: g,
                min_green_s: None,
                max_green_s: Some(
                    g.max(
                        ix.stage(st)
                            .groups
                            .iter()
                            .map(|x| ix.group(x).max_green.as_secs_f64())
                            .fold(f64::INFINITY, f64::min),
                    ),
                ),
            })
            .collect(),
    }
}
