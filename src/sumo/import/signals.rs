//! A SUMO traffic-light program as a greenwave intersection (signal groups, intergreens,
//! stages) and a timing plan.
//!
//! - Signal groups: the link indices whose signal is the same in every phase form one group
//!   (a program written by `greenwave export sumo` names its groups, one per link index). A
//!   group serves the movements (approach, turn, lanes) of its connections.
//! - Stages: the sets of groups green together in the phases where no group shows amber or
//!   red+amber; the plan runs them in the program's order with the phases' durations as
//!   greens, starting at the first green after a transition.
//! - Intergreens (EN 12675, end of green to start of green) between groups never green
//!   together: the shortest seen in the program; for a pair that never follows the other
//!   directly, the longest seen at the junction.
//! - Region: `eu` when the program shows red+amber (`u`), `us` otherwise; amber and red+amber
//!   durations are the longest the program shows.

use std::collections::{BTreeMap, BTreeSet};

use greenwave_controllers::model::spec::{GroupSpec, IntersectionSpec, StageSpec, TimingsSpec};
use greenwave_controllers::model::{GroupKind, Movement, Region};
use greenwave_controllers::plan::{PlanSpec, PlanStageSpec};

use super::corridor::Signalled;
use super::net::TlLogic;

/// What a signal character means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Signal {
    Go,
    Amber,
    RedAmber,
    Stop,
}

fn signal(c: char) -> Signal {
    match c {
        'G' | 'g' | 's' => Signal::Go,
        'y' | 'Y' => Signal::Amber,
        'u' => Signal::RedAmber,
        _ => Signal::Stop,
    }
}

/// An intersection and its plan, with notes on what was approximated.
pub struct Signals {
    pub intersection: IntersectionSpec,
    pub plan: PlanSpec,
    pub notes: Vec<String>,
}

/// Signal groups as `(id, link indices)`.
type Groups = Vec<(String, Vec<usize>)>;

/// The groups: `(id, link indices)`, and each group's signal per phase.
fn groups(tl: &TlLogic, used: &BTreeSet<usize>) -> (Groups, Vec<Vec<Signal>>) {
    let column = |k: usize| -> Vec<Signal> {
        tl.phases
            .iter()
            .map(|p| signal(p.state.chars().nth(k).unwrap_or('r')))
            .collect()
    };
    let width = tl.phases[0].state.chars().count();
    let named = tl.groups.as_ref().filter(|g| g.len() == width);
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    let mut signals: Vec<Vec<Signal>> = Vec::new();
    for &k in used.iter().filter(|&&k| k < width) {
        let col = column(k);
        match named {
            Some(names) => {
                out.push((names[k].clone(), vec![k]));
                signals.push(col);
            }
            None => match signals.iter().position(|s| *s == col) {
                Some(g) => out[g].1.push(k),
                None => {
                    out.push((format!("K{}", out.len() + 1), vec![k]));
                    signals.push(col);
                }
            },
        }
    }
    (out, signals)
}

/// The movements a group serves; lanes listed only where the group has some, not all, of the
/// lanes its approach signals for that turn.
fn movements(links: &[usize], signalled: &[Signalled]) -> Vec<Movement> {
    let mut by_move: BTreeMap<
        (
            greenwave_controllers::model::Approach,
            greenwave_controllers::model::Turn,
        ),
        BTreeSet<u8>,
    > = BTreeMap::new();
    for s in signalled.iter().filter(|s| links.contains(&s.link_index)) {
        by_move
            .entry((s.approach, s.turn))
            .or_default()
            .insert(s.lane);
    }
    by_move
        .into_iter()
        .map(|((approach, turn), lanes)| {
            let all: BTreeSet<u8> = signalled
                .iter()
                .filter(|s| s.approach == approach && s.turn == turn)
                .map(|s| s.lane)
                .collect();
            Movement {
                approach,
                turn,
                lanes: if lanes == all {
                    vec![]
                } else {
                    lanes.into_iter().collect()
                },
            }
        })
        .collect()
}

/// Longest run of `which` in any group's column over the cycle.
fn longest(signals: &[Vec<Signal>], durations: &[f64], which: Signal) -> Option<f64> {
    let n = durations.len();
    let mut best: Option<f64> = None;
    for col in signals {
        for start in (0..n).filter(|&p| col[p] == which && col[(p + n - 1) % n] != which) {
            let mut t = 0.0;
            let mut p = start;
            while col[p] == which && t < durations.iter().sum::<f64>() {
                t += durations[p];
                p = (p + 1) % n;
            }
            best = Some(best.map_or(t, |b: f64| b.max(t)));
        }
    }
    best
}

/// Intergreens between every pair never green together.
fn intergreens(
    ids: &[String],
    signals: &[Vec<Signal>],
    durations: &[f64],
    amber_s: f64,
    together: &dyn Fn(usize, usize) -> bool,
) -> BTreeMap<String, BTreeMap<String, f64>> {
    let n = durations.len();
    let cycle: f64 = durations.iter().sum();
    let starts: Vec<f64> = durations
        .iter()
        .scan(0.0, |t, d| {
            let s = *t;
            *t += d;
            Some(s)
        })
        .collect();
    let go = |g: usize, p: usize| signals[g][p % n] == Signal::Go;
    let mut seen: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for a in 0..ids.len() {
        for b in 0..ids.len() {
            if a == b || together(a, b) || (0..n).any(|p| go(a, p) && go(b, p)) {
                continue;
            }
            // Each end of a's green, and the groups that start green next.
            for p in (0..n).filter(|&p| go(a, p) && !go(a, p + 1)) {
                let end = starts[p] + durations[p];
                let starts_at = |x: usize, q: usize| go(x, q) && !go(x, q - 1);
                let Some(q) = (p + 1..p + 1 + n).find(|&q| (0..ids.len()).any(|x| starts_at(x, q)))
                else {
                    continue;
                };
                if starts_at(b, q) {
                    let at = starts[q % n] + if q >= n { cycle } else { 0.0 };
                    let gap = at - end;
                    seen.entry((a, b))
                        .and_modify(|s| *s = s.min(gap))
                        .or_insert(gap);
                }
            }
        }
    }
    let fallback = seen.values().copied().fold(amber_s, f64::max);
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for a in 0..ids.len() {
        for b in 0..ids.len() {
            if a != b && !together(a, b) && !(0..n).any(|p| go(a, p) && go(b, p)) {
                let v = seen.get(&(a, b)).copied().unwrap_or(fallback);
                out.entry(ids[a].clone())
                    .or_default()
                    .insert(ids[b].clone(), (v * 1000.0).round() / 1000.0);
            }
        }
    }
    out
}

/// The program's stages from phase `first` round the cycle: each distinct set of green groups
/// (`green_at` of a phase) as a stage, named as the exporter declared it, else by the phase's
/// name, else by its groups; consecutive phases of one stage add up their greens.
fn walk_stages(
    tl: &TlLogic,
    ids: &[String],
    declared: &[StageSpec],
    durations: &[f64],
    first: usize,
    green_at: &dyn Fn(usize) -> Option<BTreeSet<usize>>,
) -> (BTreeMap<BTreeSet<usize>, String>, Vec<PlanStageSpec>) {
    let n = durations.len();
    let mut stage_ids: BTreeMap<BTreeSet<usize>, String> = BTreeMap::new();
    let mut plan_stages: Vec<PlanStageSpec> = Vec::new();
    let mut last: Option<BTreeSet<usize>> = None;
    for p in (first..first + n).map(|p| p % n) {
        let Some(set) = green_at(p) else {
            last = None;
            continue;
        };
        let id = stage_ids
            .entry(set.clone())
            .or_insert_with(|| {
                let members: Vec<&String> = set.iter().map(|&g| &ids[g]).collect();
                if let Some(d) = declared.iter().find(|d| {
                    d.groups.len() == members.len() && members.iter().all(|m| d.groups.contains(m))
                }) {
                    return d.id.clone();
                }
                tl.phases[p]
                    .name
                    .clone()
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| {
                        set.iter()
                            .map(|&g| ids[g].as_str())
                            .collect::<Vec<_>>()
                            .join("+")
                    })
            })
            .clone();
        if last.as_ref() == Some(&set) {
            plan_stages.last_mut().expect("a stage before").green_s += durations[p];
        } else {
            plan_stages.push(PlanStageSpec {
                stage: id,
                green_s: durations[p],
                min_green_s: None,
                max_green_s: None,
            });
        }
        last = Some(set);
    }
    (stage_ids, plan_stages)
}

/// The intersection's stages: those the program shows, then those declared but not shown, in
/// the order the plan runs them.
fn stage_list(
    stage_ids: &BTreeMap<BTreeSet<usize>, String>,
    ids: &[String],
    declared: &[StageSpec],
    plan_stages: &[PlanStageSpec],
) -> Vec<StageSpec> {
    let mut stages: Vec<StageSpec> = stage_ids
        .iter()
        .map(|(set, id)| StageSpec {
            id: id.clone(),
            groups: set.iter().map(|&g| ids[g].clone()).collect(),
        })
        .collect();
    let missing: Vec<StageSpec> = declared
        .iter()
        .filter(|d| !stages.iter().any(|s| s.id == d.id))
        .cloned()
        .collect();
    stages.extend(missing);
    stages.sort_by_key(|s| {
        plan_stages
            .iter()
            .position(|p| p.stage == s.id)
            .unwrap_or(usize::MAX)
    });
    stages
}

/// The groups as greenwave groups: their movements, and minimum and maximum greens from the
/// greens the plan gives them.
fn group_specs(
    groups: &[(String, Vec<usize>)],
    signalled: &[Signalled],
    stage_ids: &BTreeMap<BTreeSet<usize>, String>,
    plan_stages: &[PlanStageSpec],
) -> Vec<GroupSpec> {
    let greens_of = |g: usize| -> Vec<f64> {
        plan_stages
            .iter()
            .filter(|s| {
                stage_ids
                    .iter()
                    .any(|(set, id)| *id == s.stage && set.contains(&g))
            })
            .map(|s| s.green_s)
            .collect()
    };
    groups
        .iter()
        .enumerate()
        .map(|(g, (id, links))| GroupSpec {
            id: id.clone(),
            kind: GroupKind::Vehicle,
            movements: movements(links, signalled),
            min_green_s: greens_of(g).into_iter().fold(5.0, f64::min),
            max_green_s: greens_of(g).into_iter().fold(60.0, f64::max),
            walk_s: None,
            crossing_m: None,
            clearance_s: None,
            recall: false,
            rest_in_walk: false,
        })
        .collect()
}

/// The intersection and plan of one traffic light.
pub fn signals(site: &str, tl: &TlLogic, signalled: &[Signalled]) -> Result<Signals, String> {
    let mut notes = Vec::new();
    if tl.kind != "static" {
        notes.push(format!(
            "`{site}`: program `{}` is `{}`; imported as a fixed plan with its phase durations",
            tl.program, tl.kind
        ));
    }
    let used: BTreeSet<usize> = signalled.iter().map(|s| s.link_index).collect();
    let (groups, sig) = groups(tl, &used);
    if groups.is_empty() {
        return Err(format!("`{site}`: no car movement is signalled"));
    }
    let ids: Vec<String> = groups.iter().map(|g| g.0.clone()).collect();
    // Stages the exporter declared, with the groups they hold, where they are all known.
    let declared: Vec<StageSpec> = tl
        .stages
        .iter()
        .flatten()
        .filter(|(_, members)| members.iter().all(|m| ids.contains(m)))
        .map(|(id, members)| StageSpec {
            id: id.clone(),
            groups: members.clone(),
        })
        .collect();
    let together = |a: usize, b: usize| {
        declared
            .iter()
            .any(|s| s.groups.contains(&ids[a]) && s.groups.contains(&ids[b]))
    };
    let durations: Vec<f64> = tl.phases.iter().map(|p| p.duration).collect();
    let n = durations.len();
    let green_at = |p: usize| -> Option<BTreeSet<usize>> {
        let any_transition = sig
            .iter()
            .any(|c| matches!(c[p], Signal::Amber | Signal::RedAmber));
        let set: BTreeSet<usize> = (0..ids.len())
            .filter(|&g| sig[g][p] == Signal::Go)
            .collect();
        (!any_transition && !set.is_empty()).then_some(set)
    };
    // Start at a green that follows a transition (or the first green).
    let first = (0..n)
        .find(|&p| green_at(p).is_some() && green_at((p + n - 1) % n) != green_at(p))
        .ok_or_else(|| {
            format!(
                "`{site}`: program `{}` never shows a stage green",
                tl.program
            )
        })?;
    let (stage_ids, plan_stages) = walk_stages(tl, &ids, &declared, &durations, first, &green_at);
    let amber = longest(&sig, &durations, Signal::Amber);
    let red_amber = longest(&sig, &durations, Signal::RedAmber);
    if amber.is_none() {
        notes.push(format!(
            "`{site}`: the program shows no amber; greenwave's default amber applies"
        ));
    }
    let group_specs = group_specs(&groups, signalled, &stage_ids, &plan_stages);
    let stages = stage_list(&stage_ids, &ids, &declared, &plan_stages);
    let cycle: f64 = durations.iter().sum();
    let before: f64 = durations[..first].iter().sum();
    let round = |x: f64| (x * 1000.0).round() / 1000.0 + 0.0;
    Ok(Signals {
        intersection: IntersectionSpec {
            name: Some(format!(
                "SUMO traffic light `{}`, program `{}`",
                tl.id, tl.program
            )),
            region: if red_amber.is_some() {
                Region::Eu
            } else {
                Region::Us
            },
            timings: TimingsSpec {
                amber_s: amber,
                red_amber_s: red_amber,
                flashing_green_s: None,
                startup_all_red_s: None,
            },
            groups: group_specs,
            intergreens_s: intergreens(&ids, &sig, &durations, amber.unwrap_or(3.0), &together),
            derive_intergreens: false,
            stages,
            nema: None,
            pedestrians: Default::default(),
            preemption: Default::default(),
            priority: Default::default(),
        },
        plan: PlanSpec {
            plan_id: format!("sumo-{site}-{}", tl.program),
            version: 1,
            pattern: None,
            intersection: Some(format!("../intersections/{site}.toml")),
            cycle_s: round(cycle),
            offset_s: round((tl.offset + before).rem_euclid(cycle)),
            max_cycle_s: None,
            stages: plan_stages
                .into_iter()
                .map(|s| PlanStageSpec {
                    green_s: round(s.green_s),
                    ..s
                })
                .collect(),
        },
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sumo::import::net::Phase;
    use greenwave_controllers::model::{Approach, Turn};

    fn phase(duration: f64, state: &str) -> Phase {
        Phase {
            duration,
            state: state.to_owned(),
            name: None,
        }
    }

    #[test]
    fn a_two_stage_european_program_becomes_groups_stages_intergreens_and_a_plan() {
        // Starts in the all red before stage one's red+amber.
        let tl = TlLogic {
            id: "X".into(),
            kind: "static".into(),
            program: "0".into(),
            offset: 10.0,
            phases: vec![
                phase(1.0, "rrrr"),
                phase(1.0, "uurr"),
                phase(30.0, "GGrr"),
                phase(3.0, "yyrr"),
                phase(1.0, "rrrr"),
                phase(1.0, "rruu"),
                phase(20.0, "rrGG"),
                phase(3.0, "rryy"),
            ],
            groups: None,
            stages: None,
            line: 1,
        };
        let through = |link_index, approach| Signalled {
            link_index,
            approach,
            turn: Turn::Through,
            lane: 0,
        };
        let signalled = [
            through(0, Approach::EB),
            through(1, Approach::WB),
            through(2, Approach::NB),
            through(3, Approach::SB),
        ];
        let s = signals("X", &tl, &signalled).unwrap();
        let ix = &s.intersection;
        assert_eq!(ix.region, Region::Eu);
        assert_eq!(
            (ix.timings.amber_s, ix.timings.red_amber_s),
            (Some(3.0), Some(1.0))
        );
        let ids: Vec<&str> = ix.groups.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["K1", "K2"]);
        assert_eq!(ix.groups[0].movements.len(), 2, "eb and wb through");
        assert_eq!(ix.intergreens_s["K1"]["K2"], 5.0);
        assert_eq!(ix.intergreens_s["K2"]["K1"], 5.0);
        let plan: Vec<(&str, f64)> = s
            .plan
            .stages
            .iter()
            .map(|p| (p.stage.as_str(), p.green_s))
            .collect();
        assert_eq!(plan, [("K1", 30.0), ("K2", 20.0)]);
        assert_eq!((s.plan.cycle_s, s.plan.offset_s), (60.0, 12.0));
        // And greenwave takes it.
        let built = greenwave_controllers::model::Intersection::from_spec(ix).unwrap();
        greenwave_controllers::plan::TimingPlan::from_spec(&s.plan, &built).unwrap();
    }
}
