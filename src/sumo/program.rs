//! The fixed timing plans as SUMO traffic-light programs (`.tll.xml`).
//!
//! The program is not recomputed from the plan: greenwave's own fixed-time controller, sequencer
//! and interlock run each plan (as `greenwave sim` does, with no traffic), and one steady cycle
//! of what the signal heads show is written down. So the intergreens, amber and red+amber
//! times and the stage order in SUMO are exactly those greenwave shows. The program starts at
//! the first stage's green and its SUMO `offset` is when that green starts in greenwave's
//! cycle, so the programs keep their offsets to each other.
//!
//! Each signal group is one character of SUMO's state string, in the intersection's group
//! order: the connections a group controls share its link index. Two parameters of each program
//! keep what SUMO has no place for, for `greenwave import sumo`: the group ids
//! (`greenwave.groups`) and every stage the intersection allows (`greenwave.stages`,
//! `STAGE=GROUP,GROUP ...`), also those the plan does not run.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use petgraph::graph::NodeIndex;

use greenwave_controllers::model::{Approach, Aspect, Intersection, Turn, approaches_of};
use greenwave_sim::{RunOptions, Scenario, Simulation};

use super::network::{Connection, edge_id};
use super::xml::{Doc, attr, num};

/// One phase of a program.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    /// One SUMO signal character per group.
    pub state: String,
    /// Duration, s.
    pub duration_s: f64,
    /// The stage it shows, where its greens are exactly a stage's groups.
    pub stage: Option<String>,
}

/// The program of one intersection.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// The plan it runs.
    pub plan_id: String,
    /// Its cycle, s.
    pub cycle_s: f64,
    /// When in the cycle the first phase starts (SUMO's `offset`), s.
    pub offset_s: f64,
    /// The phases, first stage's green first.
    pub phases: Vec<Phase>,
}

/// SUMO's signal character for an aspect (`G` priority green (`g`, a green that yields, for
/// permissive lefts: see [`permissive`]), `y` amber, `u` red+amber, `r`
/// red, `o` blinking (flashing amber), `O` off). SUMO has no flashing green: it is shown green.
pub fn signal_char(aspect: Aspect) -> char {
    match aspect {
        Aspect::Green | Aspect::FlashingGreen => 'G',
        Aspect::Amber => 'y',
        Aspect::RedAmber => 'u',
        // A flashing don't walk lets nobody start.
        Aspect::Red | Aspect::FlashingDontWalk => 'r',
        Aspect::FlashingAmber => 'o',
        Aspect::Dark => 'O',
    }
}

/// Groups whose left turns run on the same green as the oncoming through traffic (permissive
/// lefts): SUMO shows them `g`, a green that yields, so that SUMO's junction model makes the
/// left turns give way as greenwave's do (and does not warn of two priority greens onto one
/// lane).
fn permissive(ix: &Intersection) -> Vec<bool> {
    let serves = |g: usize, approach: Approach, turn: Turn| {
        ix.groups()[g]
            .movements
            .iter()
            .any(|m| m.approach == approach && m.turn == turn)
    };
    (0..ix.groups().len())
        .map(|g| {
            ix.stages().iter().any(|st| {
                st.groups.iter().any(|x| x.get() == g)
                    && approaches_of(ix.groups()).into_iter().any(|d| {
                        serves(g, d, Turn::Left)
                            && d.opposite().is_some_and(|o| {
                                st.groups.iter().any(|x| serves(x.get(), o, Turn::Through))
                            })
                    })
            })
        })
        .collect()
}

/// The stage whose groups are exactly the ones going in `state`.
fn stage_of(ix: &Intersection, state: &str) -> Option<String> {
    let going: Vec<bool> = state.chars().map(|c| c == 'G' || c == 'g').collect();
    ix.stages()
        .iter()
        .find(|s| (0..going.len()).all(|g| going[g] == s.groups.iter().any(|x| x.get() == g)))
        .map(|s| s.id.clone())
}

/// Runs every intersection's plan under the fixed-time controller and writes down one steady
/// cycle of each.
pub fn programs(scenario: &Scenario) -> Result<BTreeMap<NodeIndex, Program>> {
    let corridor = &scenario.corridor;
    let g = corridor.graph();
    for (node, n) in corridor.intersections() {
        if !scenario.plans.contains_key(&node) {
            bail!(
                "intersection `{}` has no timing plan in the scenario: SUMO runs fixed plans, so \
                 every intersection needs one (`controller.plan` or `controller.plans.{}`)",
                n.id,
                n.id
            );
        }
    }
    let longest = scenario
        .plans
        .values()
        .map(|p| p.cycle.as_secs_f64())
        .fold(0.0, f64::max);
    // Past the start-up all red and the first, aligning cycle; then two cycles to pick from.
    let warmup_s = 2.0 * longest + 30.0;
    let mut quiet = scenario.clone();
    quiet.demand.clear();
    quiet.pedestrians.clear();
    quiet.faults.clear();
    let options = RunOptions {
        controller: Some("fixed".to_owned()),
        duration: Some(greenwave_controllers::Duration::from_secs_f64(
            warmup_s + 2.0 * longest + 1.0,
        )),
        ..RunOptions::default()
    };
    let mut sim = Simulation::new(&quiet, &options).context("the fixed-time controller")?;
    let dt = scenario.step.as_secs_f64();
    let mut shown: BTreeMap<NodeIndex, Vec<String>> = BTreeMap::new();
    let yielding: BTreeMap<NodeIndex, Vec<bool>> = corridor
        .intersections()
        .map(|(node, n)| (node, permissive(n.intersection().expect("an intersection"))))
        .collect();
    while !sim.finished() {
        sim.step();
        for (node, n) in corridor.intersections() {
            let state = sim.signals(&n.id).expect("a simulated intersection");
            shown.entry(node).or_default().push(
                state
                    .iter()
                    .map(|(gr, a)| match signal_char(a) {
                        'G' if yielding[&node][gr.get()] => 'g',
                        c => c,
                    })
                    .collect(),
            );
        }
    }
    let mut out = BTreeMap::new();
    for (node, states) in shown {
        let plan = &scenario.plans[&node];
        let ix = g[node].intersection().expect("an intersection");
        let first = ix.stage(plan.stages[0].stage).groups;
        let all_go = |s: &str| {
            first
                .iter()
                .all(|gr| matches!(s.as_bytes()[gr.get()], b'G' | b'g'))
        };
        let from = ((warmup_s / dt) as usize..states.len())
            .find(|&k| all_go(&states[k]) && !all_go(&states[k - 1]))
            .with_context(|| format!("`{}`: the first stage never started", g[node].id))?;
        let steps = (plan.cycle.as_secs_f64() / dt).round() as usize;
        let cycle = &states[from..from + steps];
        if states[from + steps] != states[from] || !all_go(&states[from + steps]) {
            bail!(
                "`{}`: the signals do not repeat after a cycle of {} s",
                g[node].id,
                plan.cycle.as_secs_f64()
            );
        }
        let mut phases: Vec<Phase> = Vec::new();
        for state in cycle {
            match phases.last_mut() {
                Some(p) if p.state == *state => p.duration_s += dt,
                _ => phases.push(Phase {
                    state: state.clone(),
                    duration_s: dt,
                    stage: stage_of(ix, state),
                }),
            }
        }
        for p in &mut phases {
            p.duration_s = (p.duration_s * 1000.0).round() / 1000.0;
        }
        let cycle_s = plan.cycle.as_secs_f64();
        out.insert(
            node,
            Program {
                plan_id: plan.plan_id.clone(),
                cycle_s,
                offset_s: ((from as f64 * dt).rem_euclid(cycle_s) * 1000.0).round() / 1000.0,
                phases,
            },
        );
    }
    Ok(out)
}

/// The traffic-light file: a static program per intersection, and the link index (its signal
/// group) of every connection.
pub fn tll(
    scenario: &Scenario,
    programs: &BTreeMap<NodeIndex, Program>,
    conns: &[Connection],
) -> String {
    let corridor = &scenario.corridor;
    let g = corridor.graph();
    let mut doc = Doc::new(
        &format!(
            "greenwave scenario `{}`: the fixed timing plans as SUMO programs, one state\n\
             character per signal group in the intersection's group order",
            scenario.name
        ),
        "tlLogics",
        &[],
    );
    for (&node, program) in programs {
        let ix = g[node].intersection().expect("an intersection");
        doc.open(
            "tlLogic",
            &[
                attr("id", &g[node].id),
                attr("type", "static"),
                attr("programID", &program.plan_id),
                attr("offset", num(program.offset_s)),
            ],
        );
        let groups: Vec<&str> = ix.groups().iter().map(|gr| gr.id.as_str()).collect();
        doc.leaf(
            "param",
            &[
                attr("key", "greenwave.groups"),
                attr("value", groups.join(" ")),
            ],
        );
        // Every stage the intersection allows, also those the plan does not run.
        let stages: Vec<String> = ix
            .stages()
            .iter()
            .map(|st| {
                let members: Vec<&str> = st.groups.iter().map(|gr| groups[gr.get()]).collect();
                format!("{}={}", st.id, members.join(","))
            })
            .collect();
        doc.leaf(
            "param",
            &[
                attr("key", "greenwave.stages"),
                attr("value", stages.join(" ")),
            ],
        );
        for p in &program.phases {
            let mut attrs = vec![attr("duration", num(p.duration_s)), attr("state", &p.state)];
            if let Some(stage) = &p.stage {
                attrs.push(attr("name", stage));
            }
            doc.leaf("phase", &attrs);
        }
        doc.close("tlLogic");
    }
    for c in conns {
        let Some(group) = c.group else { continue };
        doc.leaf(
            "connection",
            &[
                attr("from", edge_id(corridor, c.from)),
                attr("to", edge_id(corridor, c.to)),
                attr("fromLane", c.from_lane),
                attr("toLane", c.to_lane),
                attr("tl", &g[c.node].id),
                attr("linkIndex", group),
            ],
        );
    }
    doc.finish("tlLogics")
}
