//! Signal groups and the movements they serve.
//!
//! A signal group is the set of signal heads that always show the same aspect (EN 12675
//! "signal group"; a NEMA "phase"). It serves movements: traffic from one approach making one
//! turn, on some of that approach's lanes, or a pedestrian crossing of one leg.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::aspect::{AspectSequence, GroupKind};
use super::pedestrian::PedestrianTiming;
use crate::time::Duration;

/// An approach, named by the direction its traffic travels (HCM usage): `eb` is the approach
/// from the west.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Northbound: arrives from the south.
    Nb,
    /// Eastbound: arrives from the west.
    Eb,
    /// Southbound: arrives from the north.
    Sb,
    /// Westbound: arrives from the east.
    Wb,
}

impl Direction {
    /// All four, clockwise from north.
    pub const ALL: [Direction; 4] = [Direction::Nb, Direction::Eb, Direction::Sb, Direction::Wb];

    /// The direction of travel closest to a heading given in degrees counter-clockwise from east
    /// (the mathematical convention of the corridor's x/y coordinates).
    pub fn from_heading_deg(deg: f64) -> Direction {
        let d = deg.rem_euclid(360.0);
        if !(45.0..315.0).contains(&d) {
            Direction::Eb
        } else if d < 135.0 {
            Direction::Nb
        } else if d < 225.0 {
            Direction::Wb
        } else {
            Direction::Sb
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Nb => "nb",
            Direction::Eb => "eb",
            Direction::Sb => "sb",
            Direction::Wb => "wb",
        })
    }
}

/// Where traffic goes from an approach (right-hand traffic), classified by the angle between
/// the approach and the exit: through within 45 degrees of straight on, left and right from 45
/// to 135 degrees, sharp beyond. Where two exits of one approach fall in the same class, the
/// finer bands tell them apart: through within 15 degrees, slight from 15 to 60, left or right
/// from 60 to 120, sharp beyond ([`Turn::classify`]). U-turns are not modelled.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Turn {
    /// A left turn of more than 135 degrees (more than 120 where it is told from a left).
    SharpLeft,
    /// Left turn, across opposing traffic.
    Left,
    /// A left turn of 15 to 60 degrees, where it is told from a through or a left.
    SlightLeft,
    /// Straight on.
    Through,
    /// A right turn of 15 to 60 degrees, where it is told from a through or a right.
    SlightRight,
    /// Right turn.
    Right,
    /// A right turn of more than 135 degrees (more than 120 where it is told from a right).
    SharpRight,
    /// Pedestrians crossing the leg of this approach.
    Crossing,
}

/// How many vehicle turns there are: the length of per-turn arrays.
pub const VEHICLE_TURNS: usize = 7;

/// One value per vehicle turn, indexed by [`Turn::index`].
pub type PerTurn<T> = [T; VEHICLE_TURNS];

impl Turn {
    /// The vehicle turns, from sharp left to sharp right, in the order of [`Turn::index`].
    pub const VEHICLE: PerTurn<Turn> = [
        Turn::SharpLeft,
        Turn::Left,
        Turn::SlightLeft,
        Turn::Through,
        Turn::SlightRight,
        Turn::Right,
        Turn::SharpRight,
    ];

    /// Position of a vehicle turn in per-turn arrays (sharp left 0 to sharp right 6); `None`
    /// for a pedestrian crossing.
    pub const fn index(self) -> Option<usize> {
        match self {
            Turn::SharpLeft => Some(0),
            Turn::Left => Some(1),
            Turn::SlightLeft => Some(2),
            Turn::Through => Some(3),
            Turn::SlightRight => Some(4),
            Turn::Right => Some(5),
            Turn::SharpRight => Some(6),
            Turn::Crossing => None,
        }
    }

    /// The side of the road a turn goes to: left, through or right (the classes of a
    /// four-leg junction, in which movement summaries are reported).
    pub const fn side(self) -> Turn {
        match self {
            Turn::SharpLeft | Turn::Left | Turn::SlightLeft => Turn::Left,
            Turn::SlightRight | Turn::Right | Turn::SharpRight => Turn::Right,
            other => other,
        }
    }

    /// The coarse class of a change of heading (degrees counter-clockwise, any range):
    /// through, left, right, or sharp beyond 135 degrees; `None` for a U-turn (exactly back).
    pub fn from_heading_change_deg(delta: f64) -> Option<Turn> {
        let d = wrap_deg(delta);
        if d.abs() >= 179.5 {
            None
        } else if d.abs() <= 45.0 {
            Some(Turn::Through)
        } else if d.abs() <= 135.0 {
            Some(if d > 0.0 { Turn::Left } else { Turn::Right })
        } else {
            Some(if d > 0.0 {
                Turn::SharpLeft
            } else {
                Turn::SharpRight
            })
        }
    }

    /// The fine class of a change of heading: through within 15 degrees, slight to 60, left or
    /// right to 120, sharp beyond.
    pub fn fine_from_heading_change_deg(delta: f64) -> Option<Turn> {
        let d = wrap_deg(delta);
        let left = d > 0.0;
        Some(match d.abs() {
            a if a >= 179.5 => return None,
            a if a <= 15.0 => Turn::Through,
            a if a <= 60.0 => pick(left, Turn::SlightLeft, Turn::SlightRight),
            a if a <= 120.0 => pick(left, Turn::Left, Turn::Right),
            _ => pick(left, Turn::SharpLeft, Turn::SharpRight),
        })
    }

    /// Classifies the exits of one approach by their changes of heading: each takes its coarse
    /// class where no other exit shares it, else its fine class. Returns, per exit, its turn
    /// (`None` for a U-turn), or the two exits (by position) that still fall in one class.
    pub fn classify(deltas: &[f64]) -> Result<Vec<Option<Turn>>, (usize, usize)> {
        let coarse: Vec<Option<Turn>> = deltas
            .iter()
            .map(|&d| Turn::from_heading_change_deg(d))
            .collect();
        let turns: Vec<Option<Turn>> = deltas
            .iter()
            .zip(&coarse)
            .map(|(&d, &c)| {
                let shared = c.is_some() && coarse.iter().filter(|&&o| o == c).count() > 1;
                if shared {
                    Turn::fine_from_heading_change_deg(d)
                } else {
                    c
                }
            })
            .collect();
        for (i, a) in turns.iter().enumerate() {
            if let Some(j) = turns[i + 1..].iter().position(|b| a.is_some() && b == a) {
                return Err((i, i + 1 + j));
            }
        }
        Ok(turns)
    }

    /// Its name in files and reports, as serialised: `sharp_left`, `left`, ..., `crossing`.
    pub const fn key(self) -> &'static str {
        match self {
            Turn::SharpLeft => "sharp_left",
            Turn::Left => "left",
            Turn::SlightLeft => "slight_left",
            Turn::Through => "through",
            Turn::SlightRight => "slight_right",
            Turn::Right => "right",
            Turn::SharpRight => "sharp_right",
            Turn::Crossing => "crossing",
        }
    }

    /// Its short code in lane-use strings: `L`, `T`, `R`, and `HL`, `SL`, `SR`, `HR` for the
    /// sharp (hard) and slight turns.
    pub const fn code(self) -> &'static str {
        match self {
            Turn::SharpLeft => "HL",
            Turn::Left => "L",
            Turn::SlightLeft => "SL",
            Turn::Through => "T",
            Turn::SlightRight => "SR",
            Turn::Right => "R",
            Turn::SharpRight => "HR",
            Turn::Crossing => "X",
        }
    }
}

/// A per-turn array holding `left`, `through` and `right` (the turns of a four-leg junction)
/// and `others` for the sharp and slight turns.
pub const fn left_through_right<T: Copy>(others: T, [left, through, right]: [T; 3]) -> PerTurn<T> {
    [others, left, others, through, others, right, others]
}

fn pick(left: bool, l: Turn, r: Turn) -> Turn {
    if left { l } else { r }
}

/// An angle in degrees wrapped to -180..180.
fn wrap_deg(d: f64) -> f64 {
    (d + 180.0).rem_euclid(360.0) - 180.0
}

impl fmt::Display for Turn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Turn::SharpLeft => "sharp left",
            Turn::Left => "left",
            Turn::SlightLeft => "slight left",
            Turn::Through => "through",
            Turn::SlightRight => "slight right",
            Turn::Right => "right",
            Turn::SharpRight => "sharp right",
            Turn::Crossing => "crossing",
        })
    }
}

/// Traffic from one approach making one turn.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Movement {
    /// The approach.
    pub approach: Direction,
    /// The turn.
    pub turn: Turn,
    /// Lanes of the approach used by this movement, numbered from 0 at the left (next to the
    /// centre line). Empty means every lane of the approach that allows the turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lanes: Vec<u8>,
}

impl fmt::Display for Movement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.approach, self.turn)
    }
}

/// Index of a signal group within its intersection.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct GroupIndex(pub u8);

impl GroupIndex {
    /// As a `usize`, for indexing.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

/// A signal group of a validated intersection.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignalGroup {
    /// The group's id in the intersection file (e.g. `"2"` for a NEMA phase, `"K1"`).
    pub id: String,
    /// Vehicle or pedestrian heads.
    pub kind: GroupKind,
    /// Movements this group serves.
    pub movements: Vec<Movement>,
    /// Minimum green: no green (with flashing green) may be shorter.
    pub min_green: Duration,
    /// Maximum green a controller may give it (the sequencer does not enforce it).
    pub max_green: Duration,
    /// The aspects around its green.
    pub sequence: AspectSequence,
    /// How it walks and clears, for a pedestrian group.
    pub pedestrian: Option<PedestrianTiming>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_name_directions_and_turns() {
        assert_eq!(Direction::from_heading_deg(0.0), Direction::Eb);
        assert_eq!(Direction::from_heading_deg(90.0), Direction::Nb);
        assert_eq!(Direction::from_heading_deg(-90.0), Direction::Sb);
        assert_eq!(Direction::from_heading_deg(180.0), Direction::Wb);
        assert_eq!(Turn::from_heading_change_deg(90.0), Some(Turn::Left));
        assert_eq!(Turn::from_heading_change_deg(-90.0), Some(Turn::Right));
        assert_eq!(Turn::from_heading_change_deg(270.0), Some(Turn::Right));
        assert_eq!(Turn::from_heading_change_deg(5.0), Some(Turn::Through));
        assert_eq!(Turn::from_heading_change_deg(180.0), None);
        assert_eq!(Turn::from_heading_change_deg(150.0), Some(Turn::SharpLeft));
    }

    #[test]
    fn exits_in_one_class_are_told_apart_by_the_finer_bands() {
        // A four-leg junction keeps its classes, skewed or not.
        let four = Turn::classify(&[80.0, 30.0, -100.0]).unwrap();
        assert_eq!(
            four,
            [Some(Turn::Left), Some(Turn::Through), Some(Turn::Right)]
        );
        // The stem of a Y: both exits are slight.
        let y = Turn::classify(&[30.0, -30.0]).unwrap();
        assert_eq!(y, [Some(Turn::SlightLeft), Some(Turn::SlightRight)]);
        // A five-leg junction: 36 and 108 degrees either way.
        let five = Turn::classify(&[108.0, 36.0, -36.0, -108.0]).unwrap();
        assert_eq!(
            five,
            [Turn::Left, Turn::SlightLeft, Turn::SlightRight, Turn::Right].map(Some)
        );
        // Two lefts, one sharp; a U-turn stays unclassified.
        let sharp = Turn::classify(&[90.0, 130.0, 180.0]).unwrap();
        assert_eq!(sharp, [Some(Turn::Left), Some(Turn::SharpLeft), None]);
        // Two exits in one fine band cannot be told apart.
        assert_eq!(Turn::classify(&[0.0, 80.0, 100.0]), Err((1, 2)));
    }
}
