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

/// Where traffic goes from an approach (right-hand traffic).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Turn {
    /// Left turn, across opposing traffic.
    Left,
    /// Straight on.
    Through,
    /// Right turn.
    Right,
    /// Pedestrians crossing the leg of this approach.
    Crossing,
}

impl Turn {
    /// Position of a vehicle turn in per-turn arrays (left 0, through 1, right 2); `None` for a
    /// pedestrian crossing.
    pub const fn index(self) -> Option<usize> {
        match self {
            Turn::Left => Some(0),
            Turn::Through => Some(1),
            Turn::Right => Some(2),
            Turn::Crossing => None,
        }
    }

    /// The turn that a change of heading (degrees counter-clockwise, in -180..180) makes, or
    /// `None` for a U-turn.
    pub fn from_heading_change_deg(delta: f64) -> Option<Turn> {
        let d = (delta + 180.0).rem_euclid(360.0) - 180.0;
        if d.abs() <= 45.0 {
            Some(Turn::Through)
        } else if (45.0..=135.0).contains(&d) {
            Some(Turn::Left)
        } else if (-135.0..=-45.0).contains(&d) {
            Some(Turn::Right)
        } else {
            None
        }
    }
}

impl fmt::Display for Turn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Turn::Left => "left",
            Turn::Through => "through",
            Turn::Right => "right",
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
    }
}
