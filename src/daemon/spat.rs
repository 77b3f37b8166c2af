//! Signal phase and timing (SPaT) for one intersection, shaped after the SAE J2735 SPaT
//! movement states: per signal group the event state, and the earliest, latest and likely end
//! of the current aspect with a confidence.
//!
//! The times are honest: a change the sequencer has already planned (a transition under way) is
//! certain; a stage in green ends no sooner than its groups' minimum greens and no later than
//! the active plan's maximum green for the stage, most likely at the plan's green; a red group
//! waiting for no planned change has no end stated (J2735's "unknown").

use serde::{Deserialize, Serialize};

use greenwave_controllers::Instant;
use greenwave_controllers::model::{Aspect, SignalState};
use greenwave_controllers::plan::TimingPlan;
use greenwave_controllers::sequencer::{Phase, Sequencer};

/// J2735 MovementPhaseState names for an aspect.
pub fn event_state(aspect: Aspect) -> &'static str {
    match aspect {
        Aspect::Dark => "dark",
        Aspect::Red => "stop-And-Remain",
        Aspect::RedAmber => "pre-Movement",
        Aspect::Green | Aspect::FlashingGreen => "protected-Movement-Allowed",
        // A pedestrian head's flashing don't walk is its clearance (J2735 usage).
        Aspect::Amber | Aspect::FlashingDontWalk => "protected-clearance",
        Aspect::FlashingAmber => "caution-Conflicting-Traffic",
    }
}

/// One signal group's movement state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MovementState {
    /// The group's id.
    pub group: String,
    /// J2735 event state.
    pub state: String,
    /// The aspect shown (`red`, `green`, ...).
    pub aspect: String,
    /// Earliest end of this state, s from `ts` (none: unknown).
    pub min_end_s: Option<f64>,
    /// Latest end, s from `ts` (none: unknown).
    pub max_end_s: Option<f64>,
    /// Likely end, s from `ts` (none: unknown).
    pub likely_end_s: Option<f64>,
    /// Confidence in the likely end, percent.
    pub confidence: u8,
}

/// The `spat` payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spat {
    /// The site.
    pub site: String,
    /// When.
    pub ts: String,
    /// Per signal group, in the intersection's order.
    pub groups: Vec<MovementState>,
    /// An emergency preemption holds the signals (J2735 IntersectionStatusObject
    /// `preemptOrPriorityActive`).
    #[serde(default)]
    pub preemption_active: bool,
    /// A bus is being given priority (J2735 `signalPriorityIsActive`).
    #[serde(default)]
    pub priority_active: bool,
}

/// The movement states at `now` of what `shown` shows, from the sequencer and the plan.
pub fn movement_states(
    shown: &SignalState,
    sequencer: &Sequencer,
    plan: &TimingPlan,
    now: Instant,
) -> Vec<MovementState> {
    let ix = sequencer.intersection();
    let secs = |at: Instant| (at.max(now) - now).as_secs_f64();
    // The running stage's green bounds, from the plan.
    let dwell = match sequencer.phase() {
        Phase::Dwell { stage, since } => plan
            .stages
            .iter()
            .find(|s| s.stage == stage)
            .map(|s| (stage, since, s)),
        _ => None,
    };
    shown
        .iter()
        .map(|(g, aspect)| {
            let planned = sequencer
                .upcoming()
                .iter()
                .find(|c| c.group == g && c.aspect != aspect)
                .map(|c| secs(c.at));
            let (min, max, likely, confidence) = match (planned, dwell) {
                (Some(t), _) => (Some(t), Some(t), Some(t), 100),
                (None, Some((stage, since, bounds)))
                    if aspect == Aspect::Green && ix.stage(stage).groups.contains(g) =>
                {
                    let min = sequencer.earliest_stage_end().map_or(0.0, secs);
                    let max = secs(since + bounds.max_green).max(min);
                    let likely = secs(since + bounds.green).clamp(min, max);
                    (Some(min), Some(max), Some(likely), 50)
                }
                _ => (None, None, None, 0),
            };
            MovementState {
                group: ix.group(g).id.clone(),
                state: event_state(aspect).to_owned(),
                aspect: aspect_name(aspect).to_owned(),
                min_end_s: min,
                max_end_s: max,
                likely_end_s: likely,
                confidence,
            }
        })
        .collect()
}

fn aspect_name(aspect: Aspect) -> &'static str {
    match aspect {
        Aspect::Dark => "dark",
        Aspect::Red => "red",
        Aspect::RedAmber => "red_amber",
        Aspect::Green => "green",
        Aspect::FlashingGreen => "flashing_green",
        Aspect::Amber => "amber",
        Aspect::FlashingAmber => "flashing_amber",
        Aspect::FlashingDontWalk => "flashing_dont_walk",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use greenwave_controllers::load;
    use std::path::Path;
    use std::sync::Arc;

    #[test]
    fn a_planned_change_is_certain_and_a_green_is_bounded_by_the_plan() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let ix = Arc::new(
            load::intersection(&root.join("config/intersections/nema-4leg.toml")).expect("loads"),
        );
        let plan = load::plan_for(&root.join("config/plans/nema-4leg-base.toml"), &ix)
            .expect("plan loads");
        let mut seq = Sequencer::new(ix.clone(), Instant::ZERO);
        let first = plan.stages[0].stage;
        seq.request(first).unwrap();
        // Through the start-up all red and into the first stage.
        let mut t = Instant::ZERO;
        while !matches!(seq.phase(), Phase::Dwell { .. }) {
            t = seq.poll_at().expect("a change to come");
            seq.poll(t);
        }
        let shown = seq.state().clone();
        let states = movement_states(&shown, &seq, &plan, t);
        let green: Vec<&MovementState> = states.iter().filter(|m| m.aspect == "green").collect();
        assert!(!green.is_empty());
        let stage = &plan.stages[0];
        for m in &green {
            assert_eq!(m.state, "protected-Movement-Allowed");
            let (min, max, likely) = (
                m.min_end_s.unwrap(),
                m.max_end_s.unwrap(),
                m.likely_end_s.unwrap(),
            );
            assert!(min <= likely && likely <= max, "{m:?}");
            assert!((max - stage.max_green.as_secs_f64()).abs() < 1e-9, "{m:?}");
        }
        // A red group with nothing planned: unknown.
        let red = states
            .iter()
            .find(|m| m.aspect == "red")
            .expect("a red group");
        assert_eq!((red.min_end_s, red.confidence), (None, 0));

        // Ask for the next stage: the green's end is now planned, to the millisecond.
        seq.request(plan.stages[1].stage).unwrap();
        let t2 = seq.poll_at().expect("the transition's start");
        seq.poll(t2);
        let states = movement_states(seq.state(), &seq, &plan, t2);
        let ending = states
            .iter()
            .find(|m| m.confidence == 100 && m.aspect == "amber")
            .expect("an amber with a planned end");
        assert_eq!(ending.min_end_s, ending.max_end_s);
    }
}
