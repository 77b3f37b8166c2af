//! Timing plans: a cycle, a stage order with greens, an offset and green bounds, validated
//! against an intersection.
//!
//! The plan (what central operations publish) is kept apart from the state that runs it.
//! Validation checks that every stage exists, that every group gets at least its minimum green
//! (a group green over several consecutive stages counts all of them), that the bounds hold
//! (minimum <= green <= maximum), and that the greens plus the interstage times (EN 12675) add
//! up to the cycle.

pub mod spec;

pub use spec::{PlanSpec, PlanStageSpec};

use crate::error::{Collector, Problems};
use crate::model::{GroupSet, Intersection, StageIndex};
use crate::sequencer::interstage;
use crate::time::Duration;

/// Longest cycle accepted.
pub const MAX_CYCLE_S: f64 = 300.0;
/// Highest coordination pattern number a plan may have.
pub const MAX_PATTERN: u8 = 253;

/// One stage of a validated plan.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PlanStage {
    /// The stage.
    pub stage: StageIndex,
    /// Its green in the fixed plan.
    pub green: Duration,
    /// The shortest green an adaptive controller may give.
    pub min_green: Duration,
    /// The longest.
    pub max_green: Duration,
}

/// A validated timing plan for one intersection.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TimingPlan {
    /// The plan's id.
    pub plan_id: String,
    /// Its version.
    pub version: u32,
    /// Its coordination pattern number, if the plan or its schedule gave it one
    /// ([`TimingPlan::pattern_number`]).
    pub pattern: Option<u8>,
    /// Cycle length.
    pub cycle: Duration,
    /// Offset of the first stage's green start in the cycle.
    pub offset: Duration,
    /// Longest cycle an adaptive controller may run.
    pub max_cycle: Duration,
    /// Stages in running order.
    pub stages: Vec<PlanStage>,
    /// `interstages[i]`: from stage `i` to stage `i + 1` (wrapping).
    pub interstages: Vec<Duration>,
}

/// Checks the fields that need no intersection; returns the problems found.
pub fn check_fields(spec: &PlanSpec) -> Result<(), Problems> {
    let mut out = Collector::default();
    fields(spec, &mut out);
    out.finish(|| ())
}

fn fields(spec: &PlanSpec, out: &mut Collector) {
    if spec.plan_id.trim().is_empty() {
        out.push("plan_id", "a plan id may not be empty");
    }
    if spec.version == 0 {
        out.push("version", "versions start at 1");
    }
    if let Some(p) = spec.pattern
        && !(1..=MAX_PATTERN).contains(&p)
    {
        out.push(
            "pattern",
            format!(
                "{p} is out of range (1 to {MAX_PATTERN}; NTCIP 1202 keeps 0 for none, 254 for \
                 free operation and 255 for flash)"
            ),
        );
    }
    let cycle_ok = spec.cycle_s.is_finite() && spec.cycle_s > 0.0 && spec.cycle_s <= MAX_CYCLE_S;
    if !cycle_ok {
        out.push(
            "cycle_s",
            format!(
                "{} s is out of range (above 0, at most {MAX_CYCLE_S} s)",
                spec.cycle_s
            ),
        );
    }
    // Measured against the cycle only where the cycle itself is valid (else said once, above).
    let offset_ok = spec.offset_s.is_finite()
        && spec.offset_s >= 0.0
        && (!cycle_ok || spec.offset_s < spec.cycle_s);
    if !offset_ok {
        out.push(
            "offset_s",
            format!(
                "{} s is out of range (0 to below the cycle of {} s)",
                spec.offset_s, spec.cycle_s
            ),
        );
    }
    if let Some(max) = spec.max_cycle_s
        && !(max.is_finite() && (!cycle_ok || max >= spec.cycle_s) && max <= MAX_CYCLE_S)
    {
        out.push(
            "max_cycle_s",
            format!(
                "{max} s is out of range (the cycle of {} s to {MAX_CYCLE_S} s)",
                spec.cycle_s
            ),
        );
    }
    if spec.stages.is_empty() {
        out.push("stages", "a plan needs at least one stage");
    }
    for (i, s) in spec.stages.iter().enumerate() {
        out.seconds(format!("stages[{i}].green_s"), s.green_s, 0.0, MAX_CYCLE_S);
    }
}

impl TimingPlan {
    /// Its coordination pattern number: the one it was given, else 1.
    pub fn pattern_number(&self) -> u8 {
        self.pattern.unwrap_or(1)
    }

    /// Validates a plan against the intersection it is for.
    pub fn from_spec(spec: &PlanSpec, ix: &Intersection) -> Result<TimingPlan, Problems> {
        let mut out = Collector::default();
        fields(spec, &mut out);
        let mut stages = Vec::with_capacity(spec.stages.len());
        for (i, s) in spec.stages.iter().enumerate() {
            let field = format!("stages[{i}]");
            let Some(index) = ix.stage_by_id(&s.stage) else {
                out.push(
                    format!("{field}.stage"),
                    format!("unknown stage `{}`", s.stage),
                );
                continue;
            };
            let previous = match i {
                0 if spec.stages.len() > 1 => spec.stages.last(),
                0 => None,
                _ => spec.stages.get(i - 1),
            };
            if spec.stages[..i].iter().any(|p| p.stage == s.stage)
                && previous.is_none_or(|p| p.stage != s.stage)
            {
                out.push(
                    format!("{field}.stage"),
                    format!("stage `{}` appears twice in the order (controllers run each stage once a cycle)", s.stage),
                );
            }
            if previous.is_some_and(|p| p.stage == s.stage) {
                out.push(
                    format!("{field}.stage"),
                    format!("stage `{}` follows itself", s.stage),
                );
            }
            let (default_min, default_max) = ix.stage_green_bounds(index);
            let min_green = s.min_green_s.map_or(default_min, Duration::from_secs_f64);
            let max_green = s.max_green_s.map_or(default_max, Duration::from_secs_f64);
            let green = Duration::from_secs_f64(s.green_s);
            if let Some(m) = s.min_green_s {
                out.seconds(format!("{field}.min_green_s"), m, 0.0, MAX_CYCLE_S);
            }
            if let Some(m) = s.max_green_s {
                out.seconds(format!("{field}.max_green_s"), m, 0.0, MAX_CYCLE_S);
            }
            if !(s.green_s.is_finite() && (0.0..=MAX_CYCLE_S).contains(&s.green_s)) {
                // Already reported with its field.
            } else if max_green < min_green {
                out.push(format!("{field}.max_green_s"), format!("stage `{}`: maximum green {max_green} is below its minimum green {min_green}", s.stage));
            } else if green < min_green || green > max_green {
                out.push(format!("{field}.green_s"), format!("stage `{}` green {green} is outside its bounds ({min_green} to {max_green})", s.stage));
            }
            stages.push(PlanStage {
                stage: index,
                green,
                min_green,
                max_green,
            });
        }
        // Every signal group must get a green somewhere in the cycle.
        let served = stages.iter().fold(GroupSet::EMPTY, |set, s| {
            ix.stage(s.stage).groups.iter().fold(set, GroupSet::with)
        });
        let unserved: Vec<&str> = ix
            .group_indices()
            .filter(|&g| !served.contains(g))
            .map(|g| ix.group(g).id.as_str())
            .collect();
        if !unserved.is_empty() && out.is_clean() {
            let plural = if unserved.len() == 1 { "" } else { "s" };
            out.push(
                "stages",
                format!(
                    "the plan never gives green to group{plural} `{}`",
                    unserved.join("`, `")
                ),
            );
        }
        if !out.is_clean() {
            return Err(out.into_problems());
        }

        let n = stages.len();
        let interstages: Vec<Duration> = (0..n)
            .map(|i| {
                interstage(
                    ix,
                    ix.stage(stages[i].stage),
                    ix.stage(stages[(i + 1) % n].stage),
                )
            })
            .collect();
        check_min_greens(spec, ix, &stages, &interstages, &mut out);

        let greens: Duration = stages.iter().map(|s| s.green).sum();
        let between: Duration = interstages.iter().copied().sum();
        let cycle = Duration::from_secs_f64(spec.cycle_s);
        if greens + between != cycle {
            out.push(
                "cycle_s",
                format!(
                    "greens {greens} + interstage times {between} = {}, not the cycle of {cycle}",
                    greens + between
                ),
            );
        }
        out.finish(|| TimingPlan {
            plan_id: spec.plan_id.clone(),
            version: spec.version,
            pattern: spec.pattern,
            cycle,
            offset: Duration::from_secs_f64(spec.offset_s),
            max_cycle: spec.max_cycle_s.map_or(cycle, Duration::from_secs_f64),
            stages,
            interstages,
        })
    }
}

/// Every group that ends at the end of stage `i` must have had its minimum green, counting the
/// consecutive stages before `i` that it was green in, and the interstages between them.
fn check_min_greens(
    spec: &PlanSpec,
    ix: &Intersection,
    stages: &[PlanStage],
    interstages: &[Duration],
    out: &mut Collector,
) {
    let n = stages.len();
    for i in 0..n {
        let here = ix.stage(stages[i].stage).groups;
        let next = ix.stage(stages[(i + 1) % n].stage).groups;
        for g in here.minus(next).iter() {
            let mut green = stages[i].green;
            let mut k = i;
            // Walk back through the stages g was already green in (at most once round the cycle).
            for _ in 1..n {
                let prev = (k + n - 1) % n;
                if !ix.stage(stages[prev].stage).groups.contains(g) {
                    break;
                }
                green += stages[prev].green + interstages[prev];
                k = prev;
            }
            let min = ix.group(g).min_green;
            if green < min {
                out.push(
                    format!("stages[{i}].green_s"),
                    format!("stage `{}` gives group `{}` {green} of green, below its minimum green of {min}", spec.stages[i].stage, ix.group(g).id),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
