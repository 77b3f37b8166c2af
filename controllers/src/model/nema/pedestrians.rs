//! Pedestrian phases of the NEMA preset (NEMA TS 2 pedestrian timing, MUTCD 4I).
//!
//! Pedestrian phase `P2` walks beside vehicle phase 2 across the leg on the right of phase 2's
//! traffic (right-hand traffic: the eastbound through traffic's pedestrians cross the south
//! leg), and likewise `P4`, `P6` and `P8`. It conflicts with every vehicle phase on the other
//! side of the barrier and with the protected left of its own ring that turns into its leg
//! (`P2` with phase 1, `P4` with 3, `P6` with 5, `P8` with 7). Vehicle phases clear before it
//! in their amber and red clearance; its own clearance towards them (the flashing don't walk and
//! the buffer) is derived by the intersection from its crossing length.

use std::collections::BTreeMap;

use super::{main_side, phase_movements};
use crate::error::{Collector, Problems};
use crate::model::aspect::GroupKind;
use crate::model::group::{Approach, Movement, Turn};
use crate::model::spec::{GroupSpec, MainStreet, NemaPedestrians};

/// What the pedestrian phases add to the preset.
#[derive(Default)]
pub(super) struct Compiled {
    /// The pedestrian groups.
    pub groups: Vec<GroupSpec>,
    /// Intergreens from the vehicle phases to the pedestrian groups.
    pub intergreens_s: BTreeMap<String, BTreeMap<String, f64>>,
    /// For each pedestrian phase, the vehicle phase it walks beside and the phases it conflicts
    /// with.
    pub beside: Vec<(u8, Vec<u8>)>,
}

/// The group id of the pedestrian phase beside vehicle phase `phase`.
pub(super) fn id(phase: u8) -> String {
    format!("P{phase}")
}

/// The approach whose leg the pedestrians beside traffic travelling `travel` cross: the leg on
/// that traffic's right.
fn crossed_leg(travel: Approach) -> Approach {
    // The preset's approaches are the four compass points.
    travel
        .heading_deg()
        .map_or(travel, |h| Approach::from_heading_deg(h + 90.0))
}

/// The vehicle phases pedestrian phase `phase` conflicts with: the left of its ring that turns
/// into its leg, and every phase across the barrier.
fn conflicts(phase: u8) -> Vec<u8> {
    (1..=8u8)
        .filter(|&v| v == phase - 1 || main_side(v) != main_side(phase))
        .collect()
}

pub(super) fn compile(
    main: MainStreet,
    peds: &NemaPedestrians,
    vehicle_clearance_s: f64,
) -> Result<Compiled, Problems> {
    let mut out = Collector::default();
    let mut compiled = Compiled::default();
    for (i, &phase) in peds.phases.iter().enumerate() {
        let field = format!("nema.pedestrians.phases[{i}]");
        if !matches!(phase, 2 | 4 | 6 | 8) {
            out.push(
                field,
                format!("pedestrian phases go beside phases 2, 4, 6 and 8, not {phase}"),
            );
            continue;
        }
        if peds.phases[..i].contains(&phase) {
            out.push(field, format!("phase {phase} is listed twice"));
            continue;
        }
        let Some(&crossing_m) = peds.crossing_m.get(&phase.to_string()) else {
            out.push(
                "nema.pedestrians.crossing_m",
                format!("no crossing length given for pedestrian phase {phase}"),
            );
            continue;
        };
        let travel = phase_movements(main, phase)[0].approach;
        let ped = id(phase);
        let conflicting = conflicts(phase);
        for v in &conflicting {
            compiled
                .intergreens_s
                .entry(v.to_string())
                .or_default()
                .insert(ped.clone(), vehicle_clearance_s);
        }
        compiled.groups.push(GroupSpec {
            id: ped,
            kind: GroupKind::Pedestrian,
            movements: vec![Movement {
                approach: crossed_leg(travel),
                turn: Turn::Crossing,
                lanes: vec![],
            }],
            min_green_s: peds.walk_s.unwrap_or(7.0),
            max_green_s: 120.0,
            walk_s: peds.walk_s,
            crossing_m: Some(crossing_m),
            clearance_s: None,
            recall: peds.recall,
            rest_in_walk: peds.rest_in_walk,
        });
        compiled.beside.push((phase, conflicting));
    }
    for phase in peds.crossing_m.keys() {
        if !phase.parse::<u8>().is_ok_and(|p| peds.phases.contains(&p)) {
            out.push(
                format!("nema.pedestrians.crossing_m.{phase}"),
                format!("`{phase}` is not one of the pedestrian phases listed in `phases`"),
            );
        }
    }
    out.finish(|| compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pedestrian_phase_conflicts_with_the_far_side_and_the_left_into_its_leg() {
        assert_eq!(conflicts(2), [1, 3, 4, 7, 8]);
        assert_eq!(conflicts(6), [3, 4, 5, 7, 8]);
        assert_eq!(conflicts(4), [1, 2, 3, 5, 6]);
        assert_eq!(conflicts(8), [1, 2, 5, 6, 7]);
        // Eastbound pedestrians cross the south leg (where northbound traffic arrives).
        assert_eq!(crossed_leg(Approach::EB), Approach::NB);
    }
}
