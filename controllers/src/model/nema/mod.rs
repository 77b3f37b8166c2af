//! The NEMA dual-ring, eight-phase preset (NEMA TS 2), compiled into groups, an intergreen
//! matrix and stages.
//!
//! Ring 1 runs phases 1-4, ring 2 phases 5-8; the barrier separates {1, 2, 5, 6} (main street)
//! from {3, 4, 7, 8} (side street). Phases of one ring never run together, phases on opposite
//! sides of the barrier never run together, and any ring-1 phase may run with any ring-2 phase on
//! its side of the barrier. Odd phases are protected left turns opposing the next even phase
//! (phase 1 is the left turn that crosses phase 2's through movement). The intergreen between
//! conflicting phases is the yellow change plus the red clearance.

mod pedestrians;

use std::collections::BTreeMap;

use super::aspect::GroupKind;
use super::aspect::Region;
use super::group::{Approach, Movement, Turn};
use super::spec::{GroupSpec, IntersectionSpec, MainStreet, NemaSpec, StageSpec, TimingsSpec};
use crate::error::{Collector, Problems};

const RING_1: [u8; 4] = [1, 2, 3, 4];
const RING_2: [u8; 4] = [5, 6, 7, 8];

/// The movements of each phase, by main-street orientation.
pub(super) fn phase_movements(main: MainStreet, phase: u8) -> Vec<Movement> {
    // (phase 2's direction, 6's, 4's, 8's)
    let (p2, p6, p4, p8) = match main {
        MainStreet::EastWest => (Approach::EB, Approach::WB, Approach::NB, Approach::SB),
        MainStreet::NorthSouth => (Approach::NB, Approach::SB, Approach::WB, Approach::EB),
    };
    let through_right = |approach| {
        vec![
            Movement {
                approach,
                turn: Turn::Through,
                lanes: vec![],
            },
            Movement {
                approach,
                turn: Turn::Right,
                lanes: vec![],
            },
        ]
    };
    let left = |approach| {
        vec![Movement {
            approach,
            turn: Turn::Left,
            lanes: vec![],
        }]
    };
    match phase {
        1 => left(p6),
        2 => through_right(p2),
        3 => left(p8),
        4 => through_right(p4),
        5 => left(p2),
        6 => through_right(p6),
        7 => left(p4),
        8 => through_right(p8),
        _ => unreachable!("NEMA phases are 1 to 8"),
    }
}

pub(super) fn main_side(phase: u8) -> bool {
    matches!(phase, 1 | 2 | 5 | 6)
}

fn same_ring(a: u8, b: u8) -> bool {
    RING_1.contains(&a) == RING_1.contains(&b)
}

/// Whether two distinct phases conflict: same ring, or opposite sides of the barrier.
fn conflict(a: u8, b: u8) -> bool {
    same_ring(a, b) || main_side(a) != main_side(b)
}

/// Compiles the preset into an explicit intersection file (region `us`).
pub(crate) fn compile(
    nema: &NemaSpec,
    timings: &TimingsSpec,
) -> Result<IntersectionSpec, Problems> {
    let mut out = Collector::default();
    let amber = out.seconds("nema.amber_s", nema.amber_s, 1.0, 10.0);
    let all_red = out.seconds("nema.all_red_s", nema.all_red_s, 0.0, 10.0);
    let min_green = out.seconds("nema.min_green_s", nema.min_green_s, 1.0, 120.0);
    if let (Some(max), Some(min)) = (
        out.seconds("nema.max_green_s", nema.max_green_s, 1.0, 300.0),
        min_green,
    ) && max < min
    {
        out.push(
            "nema.max_green_s",
            format!("maximum green {max} s is below the minimum green {min} s"),
        );
    }
    if timings.amber_s.is_some() {
        out.push(
            "timings.amber_s",
            "give the amber as `nema.amber_s` with a `[nema]` preset",
        );
    }
    for (phase, &secs) in &nema.max_green_by_phase_s {
        let field = format!("nema.max_green_by_phase_s.{phase}");
        if !matches!(phase.parse::<u8>(), Ok(1..=8)) {
            out.push(field, format!("`{phase}` is not a NEMA phase (1 to 8)"));
        } else {
            if let (Some(max), Some(min)) =
                (out.seconds(field.clone(), secs, 1.0, 300.0), min_green)
                && max < min
            {
                out.push(
                    field,
                    format!(
                        "maximum green {max} s of phase {phase} is below the minimum green {min} s"
                    ),
                );
            }
        }
    }
    let (Some(amber), Some(all_red)) = (amber, all_red) else {
        return Err(out.into_problems());
    };
    if !out.is_clean() {
        return Err(out.into_problems());
    }

    let groups = (1..=8u8)
        .map(|p| GroupSpec {
            id: p.to_string(),
            kind: GroupKind::Vehicle,
            movements: phase_movements(nema.main_street, p),
            min_green_s: nema.min_green_s,
            max_green_s: nema
                .max_green_by_phase_s
                .get(&p.to_string())
                .copied()
                .unwrap_or(nema.max_green_s),
            walk_s: None,
            crossing_m: None,
            clearance_s: None,
            recall: false,
            rest_in_walk: false,
        })
        .collect();
    let mut intergreens_s: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for a in 1..=8u8 {
        for b in (1..=8u8).filter(|&b| b != a && conflict(a, b)) {
            intergreens_s
                .entry(a.to_string())
                .or_default()
                .insert(b.to_string(), amber + all_red);
        }
    }
    let peds = match &nema.pedestrians {
        Some(p) => pedestrians::compile(nema.main_street, p, amber + all_red)?,
        None => pedestrians::Compiled::default(),
    };
    let mut groups: Vec<GroupSpec> = groups;
    groups.extend(peds.groups);
    for (from, row) in peds.intergreens_s {
        intergreens_s.entry(from).or_default().extend(row);
    }
    let stages = stages(&peds.beside);
    Ok(IntersectionSpec {
        name: None,
        region: Region::Us,
        timings: TimingsSpec {
            amber_s: Some(amber),
            ..timings.clone()
        },
        groups,
        intergreens_s,
        derive_intergreens: false,
        stages,
        nema: None,
        pedestrians: Default::default(),
        preemption: Default::default(),
        priority: Default::default(),
    })
}

/// The eight stages (every ring-1 phase with every ring-2 phase on its side of the barrier),
/// each with the pedestrian phases beside its phases that conflict with neither.
fn stages(beside: &[(u8, Vec<u8>)]) -> Vec<StageSpec> {
    let mut stages = Vec::new();
    for main in [true, false] {
        for &r1 in RING_1.iter().filter(|&&p| main_side(p) == main) {
            for &r2 in RING_2.iter().filter(|&&p| main_side(p) == main) {
                let mut groups = vec![r1.to_string(), r2.to_string()];
                groups.extend(
                    beside
                        .iter()
                        .filter(|(phase, conflicts)| {
                            [r1, r2].contains(phase)
                                && !conflicts.contains(&r1)
                                && !conflicts.contains(&r2)
                        })
                        .map(|(phase, _)| pedestrians::id(*phase)),
                );
                stages.push(StageSpec {
                    id: format!("{r1}+{r2}"),
                    groups,
                });
            }
        }
    }
    stages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_follow_rings_and_barrier() {
        assert!(conflict(1, 2), "same ring");
        assert!(conflict(5, 6), "same ring");
        assert!(!conflict(1, 5), "opposing lefts run together");
        assert!(!conflict(2, 6), "opposing throughs run together");
        assert!(
            !conflict(1, 6),
            "a left with the through of its own approach"
        );
        assert!(conflict(2, 4), "across the barrier");
        assert!(conflict(6, 7), "across the barrier");
        assert!(!conflict(4, 8));
    }

    #[test]
    fn phase_one_is_the_left_that_crosses_phase_two() {
        let two = phase_movements(MainStreet::EastWest, 2);
        let one = phase_movements(MainStreet::EastWest, 1);
        assert_eq!(two[0].approach, Approach::EB);
        assert_eq!(one[0].approach, Approach::WB);
        assert_eq!(one[0].turn, Turn::Left);
    }
}
