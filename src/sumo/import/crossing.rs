//! A signalised pedestrian crossing as greenwave models it: SUMO's network carries the traffic
//! light (its car movements all go green together, then red for a while each cycle) but, as
//! netconvert builds it from OpenStreetMap without sidewalks, no crossing for the people it
//! stops for. The import adds them: a pedestrian group across the road, as long as the road is
//! wide at the junction (every lane, car or not), with a stage of its own in the program's red.
//!
//! The pedestrian group follows the junction's region, as the intersection model times it: in
//! `us` a WALK of 7 s, then a flashing DON'T WALK at 1.07 m/s and a 3 s buffer (MUTCD 4I.06);
//! in `eu` a pedestrian green of 5 s and an intergreen that covers the crossing at 1.2 m/s
//! (EN 12675). The car
//! green gives up what the pedestrian stage needs, so the plan keeps the program's cycle.

use std::collections::BTreeMap;

use greenwave_controllers::model::spec::{GroupSpec, IntersectionSpec, StageSpec};
use greenwave_controllers::model::{GroupKind, Intersection, Movement, Region, Turn};
use greenwave_controllers::plan::PlanStageSpec;
use greenwave_controllers::sequencer::interstage;

use super::net::Net;
use super::signals::Signals;

/// The id the pedestrian group and its stage take.
const PEDESTRIANS: &str = "P1";
/// The longest intergreen an intersection file may give, s.
const LONGEST_INTERGREEN_S: f64 = 60.0;

/// The width of the road at `node`: for each leg, every lane of the edges between the node and
/// that leg's other end, summed; the widest leg, m.
pub fn length_m(net: &Net, node: &str) -> f64 {
    let mut legs: BTreeMap<&str, f64> = BTreeMap::new();
    for e in &net.edges {
        let other = if e.to == node {
            &e.from
        } else if e.from == node {
            &e.to
        } else {
            continue;
        };
        *legs.entry(other).or_default() += e.lanes.iter().map(|l| l.width).sum::<f64>();
    }
    let widest = legs.values().copied().fold(0.0, f64::max);
    (widest * 10.0).round() / 10.0
}

/// Adds the pedestrian group and stage to `s` where its program is a pedestrian crossing's (one
/// stage, holding every group, and red time beyond the amber); returns the note that says so,
/// or `None` for any other program. An error where the car green cannot give up enough time.
pub fn add_pedestrian_stage(
    site: &str,
    s: &mut Signals,
    crossing_m: f64,
) -> Result<Option<String>, String> {
    let ix = &mut s.intersection;
    let [stage] = ix.stages.as_slice() else {
        return Ok(None);
    };
    let amber_s = ix.timings.amber_s.unwrap_or(3.0);
    let green_s: f64 = s.plan.stages.iter().map(|p| p.green_s).sum();
    if stage.groups.len() != ix.groups.len() || s.plan.cycle_s - green_s <= amber_s + 0.5 {
        return Ok(None);
    }
    let Some(approach) = ix.groups.iter().flat_map(|g| &g.movements).next() else {
        return Ok(None);
    };
    let approach = approach.approach;
    let cars = stage.id.clone();
    let mut walk_s = match ix.region {
        Region::Us => 7.0,
        Region::Eu | Region::PostSoviet => 5.0,
    };
    for g in &ix.groups {
        ix.intergreens_s
            .entry(g.id.clone())
            .or_default()
            .insert(PEDESTRIANS.to_owned(), amber_s);
    }
    let min_car_green = ix.groups.iter().map(|g| g.min_green_s).fold(0.0, f64::max);
    ix.groups.push(GroupSpec {
        id: PEDESTRIANS.to_owned(),
        kind: GroupKind::Pedestrian,
        movements: vec![Movement {
            approach,
            turn: Turn::Crossing,
            lanes: vec![],
        }],
        min_green_s: walk_s,
        max_green_s: 30.0,
        walk_s: None,
        crossing_m: Some(crossing_m),
        clearance_s: None,
        recall: false,
        rest_in_walk: false,
    });
    ix.stages.push(StageSpec {
        id: PEDESTRIANS.to_owned(),
        groups: vec![PEDESTRIANS.to_owned()],
    });
    // The model's pedestrian timing for the crossing (region rules: MUTCD 4I.06, EN 12675):
    // the intergreen to the cars covers its clearance and buffer, and a walk that holds its
    // stage (`us`) makes the stage as long as the walk and its flashing don't walk. Until it
    // is known, the intergreens to the cars are the longest a file may give.
    let to_cars = |ix: &IntersectionSpec, s: f64| -> BTreeMap<String, f64> {
        ix.groups
            .iter()
            .filter(|g| g.kind == GroupKind::Vehicle)
            .map(|g| (g.id.clone(), s))
            .collect()
    };
    ix.intergreens_s
        .insert(PEDESTRIANS.to_owned(), to_cars(ix, LONGEST_INTERGREEN_S));
    let timing = Intersection::from_spec(ix)
        .map_err(|p| format!("`{site}`: {p}"))?
        .groups()
        .last()
        .and_then(|g| g.pedestrian)
        .expect("the pedestrian group added above");
    let clear_s = timing.least_intergreen().as_secs_f64().ceil();
    ix.intergreens_s
        .insert(PEDESTRIANS.to_owned(), to_cars(ix, clear_s));
    if timing.hold_parallel {
        walk_s += timing.clearance.as_secs_f64();
    }
    let walkers = ix.groups.last_mut().expect("added above");
    walkers.max_green_s = walkers.max_green_s.max(walk_s);
    let built = Intersection::from_spec(ix).map_err(|p| format!("`{site}`: {p}"))?;
    let stage_of = |id: &str| built.stage(built.stage_by_id(id).expect("added above"));
    let between = interstage(&built, stage_of(&cars), stage_of(PEDESTRIANS))
        + interstage(&built, stage_of(PEDESTRIANS), stage_of(&cars));
    let car_green = s.plan.cycle_s - walk_s - between.as_secs_f64();
    if car_green < min_car_green {
        return Err(format!(
            "`{site}`: a signalised pedestrian crossing whose {} s cycle cannot hold a {walk_s} s \
             pedestrian stage, its intergreens and a {min_car_green} s car green",
            s.plan.cycle_s
        ));
    }
    let car_green = (car_green * 1000.0).round() / 1000.0;
    s.plan.stages = vec![
        PlanStageSpec {
            stage: cars,
            green_s: car_green,
            min_green_s: None,
            max_green_s: None,
        },
        PlanStageSpec {
            stage: PEDESTRIANS.to_owned(),
            green_s: walk_s,
            min_green_s: None,
            max_green_s: None,
        },
    ];
    Ok(Some(format!(
        "`{site}`: a signalised pedestrian crossing (all its car movements go green together; the \
         network has no crossing): pedestrian group `{PEDESTRIANS}` across `{approach}` \
         ({crossing_m} m, on push-button calls) added with a stage of its own; the car green is \
         {car_green} s of the {} s cycle, was {green_s} s",
        s.plan.cycle_s
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sumo::import::corridor::Signalled;
    use crate::sumo::import::net::{Phase, TlLogic};
    use crate::sumo::import::signals::signals;
    use greenwave_controllers::model::Approach;
    use greenwave_controllers::plan::TimingPlan;

    fn crossing_program(region_red_amber: bool) -> TlLogic {
        let phase = |duration: f64, state: &str| Phase {
            duration,
            state: state.to_owned(),
            name: None,
        };
        let mut phases = vec![phase(82.0, "GG"), phase(3.0, "yy"), phase(5.0, "rr")];
        if region_red_amber {
            phases[2].duration = 4.0;
            phases.push(phase(1.0, "uu"));
        }
        TlLogic {
            id: "X".into(),
            kind: "static".into(),
            program: "0".into(),
            offset: 0.0,
            phases,
            groups: None,
            stages: None,
            line: 1,
        }
    }

    fn through(link_index: usize, approach: Approach) -> Signalled {
        Signalled {
            link_index,
            approach,
            turn: Turn::Through,
            lane: 0,
        }
    }

    /// The stages' greens and the plan, checked by the intersection model.
    fn imported(red_amber: bool, crossing_m: f64) -> (Signals, Option<String>) {
        let signalled = [through(0, Approach::EB), through(1, Approach::WB)];
        let mut s = signals("X", &crossing_program(red_amber), &signalled).unwrap();
        let note = add_pedestrian_stage("X", &mut s, crossing_m).unwrap();
        let built = Intersection::from_spec(&s.intersection).unwrap();
        TimingPlan::from_spec(&s.plan, &built).expect("the plan keeps its cycle");
        (s, note)
    }

    #[test]
    fn a_us_crossing_gets_a_walk_its_flashing_dont_walk_and_buffer_inside_the_cycle() {
        let (s, note) = imported(false, 9.6);
        let note = note.expect("a note");
        assert!(note.contains("`P1` across `eb` (9.6 m"), "{note}");
        let ix = &s.intersection;
        assert_eq!(ix.region, Region::Us);
        let p1 = ix.groups.iter().find(|g| g.id == "P1").unwrap();
        assert_eq!(p1.kind, GroupKind::Pedestrian);
        assert_eq!(p1.crossing_m, Some(9.6));
        // Flashing don't walk ceil(9.6 / 1.07) = 9 s, then a 3 s buffer.
        assert_eq!(ix.intergreens_s["P1"]["K1"], 12.0);
        assert_eq!(ix.intergreens_s["K1"]["P1"], 3.0);
        let greens: Vec<(&str, f64)> = s
            .plan
            .stages
            .iter()
            .map(|p| (p.stage.as_str(), p.green_s))
            .collect();
        // Walk 7 s and flashing don't walk 9 s in the stage; 3 s amber and 3 s buffer
        // between: 90 - 16 - 6 = 68 s of car green.
        assert_eq!(greens, [("K1", 68.0), ("P1", 16.0)]);
    }

    #[test]
    fn a_european_crossing_clears_in_the_intergreen() {
        let (s, _) = imported(true, 7.0);
        let ix = &s.intersection;
        assert_eq!(ix.region, Region::Eu);
        // ceil(7 / 1.2) = 6 s.
        assert_eq!(ix.intergreens_s["P1"]["K1"], 6.0);
        let p1 = s.plan.stages.iter().find(|p| p.stage == "P1").unwrap();
        assert_eq!(p1.green_s, 5.0);
    }

    #[test]
    fn a_junction_of_several_stages_is_left_as_it_is() {
        let mut tl = crossing_program(false);
        tl.phases = vec![
            Phase {
                duration: 40.0,
                state: "Gr".into(),
                name: None,
            },
            Phase {
                duration: 3.0,
                state: "yr".into(),
                name: None,
            },
            Phase {
                duration: 40.0,
                state: "rG".into(),
                name: None,
            },
            Phase {
                duration: 3.0,
                state: "ry".into(),
                name: None,
            },
        ];
        let signalled = [through(0, Approach::EB), through(1, Approach::NB)];
        let mut s = signals("X", &tl, &signalled).unwrap();
        assert_eq!(add_pedestrian_stage("X", &mut s, 7.0).unwrap(), None);
        assert_eq!(s.intersection.groups.len(), 2);
    }

    #[test]
    fn a_wide_us_crossing_gets_a_stage_long_enough_for_its_flashing_dont_walk() {
        // Eight 3.2 m lanes: ceil(25.6 / 1.07) = 24 s of flashing don't walk after the walk.
        let (s, _) = imported(false, 25.6);
        let p1 = s.plan.stages.iter().find(|p| p.stage == "P1").unwrap();
        assert_eq!(p1.green_s, 31.0);
        let group = s.intersection.groups.iter().find(|g| g.id == "P1").unwrap();
        assert!(group.max_green_s >= 31.0, "{}", group.max_green_s);
    }

    #[test]
    fn a_cycle_too_short_for_the_walk_is_refused_with_the_reason() {
        let mut tl = crossing_program(false);
        tl.phases[0].duration = 10.0;
        let signalled = [through(0, Approach::EB), through(1, Approach::WB)];
        let mut s = signals("X", &tl, &signalled).unwrap();
        let err = add_pedestrian_stage("X", &mut s, 9.6).unwrap_err();
        assert!(
            err.contains("cannot hold a 16 s pedestrian stage") && err.contains("a 5 s car green"),
            "{err}"
        );
    }
}
