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

/// An approach to a junction: the link its traffic arrives on, named by the direction that
/// traffic travels (HCM usage: `eb` is the approach from the west).
///
/// A junction whose legs fit the four compass points names them `nb`, `eb`, `sb` and `wb`; one
/// whose legs do not (a five-leg junction, a Y) uses the eight points, adding `neb`, `seb`,
/// `swb` and `nwb`; a link may also carry a name of its own (`approach = "harbour"` in the
/// corridor file). Names are lowercase, 1 to 15 letters, digits, `-` or `_`. Compass names
/// order clockwise from north, before the others in alphabetical order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Approach {
    len: u8,
    name: [u8; Approach::MAX_LEN],
}

impl Approach {
    /// The longest name.
    pub const MAX_LEN: usize = 15;
    /// Northbound: arrives from the south.
    pub const NB: Approach = Approach::ascii(b"nb");
    /// North-eastbound: arrives from the south-west.
    pub const NEB: Approach = Approach::ascii(b"neb");
    /// Eastbound: arrives from the west.
    pub const EB: Approach = Approach::ascii(b"eb");
    /// South-eastbound: arrives from the north-west.
    pub const SEB: Approach = Approach::ascii(b"seb");
    /// Southbound: arrives from the north.
    pub const SB: Approach = Approach::ascii(b"sb");
    /// South-westbound: arrives from the north-east.
    pub const SWB: Approach = Approach::ascii(b"swb");
    /// Westbound: arrives from the east.
    pub const WB: Approach = Approach::ascii(b"wb");
    /// North-westbound: arrives from the south-east.
    pub const NWB: Approach = Approach::ascii(b"nwb");

    /// The four compass points, clockwise from north.
    pub const FOUR: [Approach; 4] = [Approach::NB, Approach::EB, Approach::SB, Approach::WB];

    /// The eight compass points, clockwise from north.
    pub const EIGHT: [Approach; 8] = [
        Approach::NB,
        Approach::NEB,
        Approach::EB,
        Approach::SEB,
        Approach::SB,
        Approach::SWB,
        Approach::WB,
        Approach::NWB,
    ];

    const fn ascii(s: &[u8]) -> Approach {
        let mut name = [0u8; Approach::MAX_LEN];
        let mut i = 0;
        while i < s.len() {
            name[i] = s[i];
            i += 1;
        }
        Approach {
            len: s.len() as u8,
            name,
        }
    }

    /// The approach named `name` (any case), or why it cannot be one.
    pub fn new(name: &str) -> Result<Approach, String> {
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() || name.len() > Approach::MAX_LEN || !name.chars().all(ok) {
            return Err(format!(
                "`{name}` is not an approach name (1 to {} letters, digits, `-` or `_`)",
                Approach::MAX_LEN
            ));
        }
        Ok(Approach::ascii(name.to_ascii_lowercase().as_bytes()))
    }

    /// Its name.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.name[..usize::from(self.len)]).expect("ASCII by construction")
    }

    /// Its place among the eight compass points clockwise from north, if it is one.
    pub fn compass_rank(self) -> Option<usize> {
        Approach::EIGHT.iter().position(|&a| a == self)
    }

    /// The compass approach travelling the other way, for a compass approach.
    pub fn opposite(self) -> Option<Approach> {
        self.compass_rank().map(|r| Approach::EIGHT[(r + 4) % 8])
    }

    /// The direction of travel of a compass approach, degrees counter-clockwise from east.
    pub fn heading_deg(self) -> Option<f64> {
        self.compass_rank().map(|r| 90.0 - 45.0 * r as f64)
    }

    /// The four-point direction of travel closest to a heading given in degrees
    /// counter-clockwise from east (the mathematical convention of the corridor's x/y
    /// coordinates).
    pub fn from_heading_deg(deg: f64) -> Approach {
        let d = deg.rem_euclid(360.0);
        if !(45.0..315.0).contains(&d) {
            Approach::EB
        } else if d < 135.0 {
            Approach::NB
        } else if d < 225.0 {
            Approach::WB
        } else {
            Approach::SB
        }
    }

    /// The eight-point direction of travel closest to a heading (as in
    /// [`Approach::from_heading_deg`]).
    pub fn from_heading_deg8(deg: f64) -> Approach {
        // Sectors of 45 degrees centred on east (0), north-east (45), ... counter-clockwise.
        let sector = ((deg.rem_euclid(360.0) + 22.5) / 45.0).floor() as usize % 8;
        // EIGHT runs clockwise from north (90 degrees).
        Approach::EIGHT[(10 - sector) % 8]
    }
}

impl Approach {
    /// Names the legs of one junction from their directions of travel (degrees
    /// counter-clockwise from east), given the names other legs already hold: the four compass
    /// points where they tell all the legs apart, else the eight. Two legs may still share a
    /// name (they travel within one eighth of each other); the caller says so.
    pub fn name_legs(headings: &[f64], taken: &[Approach]) -> Vec<Approach> {
        let distinct = |names: &[Approach]| {
            let all: std::collections::BTreeSet<Approach> =
                names.iter().chain(taken).copied().collect();
            all.len() == names.len() + taken.len()
        };
        let four: Vec<Approach> = headings
            .iter()
            .map(|&h| Approach::from_heading_deg(h))
            .collect();
        if distinct(&four) {
            four
        } else {
            headings
                .iter()
                .map(|&h| Approach::from_heading_deg8(h))
                .collect()
        }
    }
}

impl Ord for Approach {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |a: &Approach| a.compass_rank().unwrap_or(Approach::EIGHT.len());
        rank(self)
            .cmp(&rank(other))
            .then_with(|| self.as_str().cmp(other.as_str()))
    }
}

impl PartialOrd for Approach {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Approach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Approach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Approach({:?})", self.as_str())
    }
}

impl std::str::FromStr for Approach {
    type Err = String;

    fn from_str(s: &str) -> Result<Approach, String> {
        Approach::new(s)
    }
}

impl Serialize for Approach {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Approach {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Approach, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Approach::new(&name).map_err(serde::de::Error::custom)
    }
}

/// Where traffic goes from an approach (right-hand traffic), classified by the angle between
/// the approach and the exit: through within 45 degrees of straight on, left and right from 45
/// to 135 degrees, sharp beyond. Where two exits of one approach fall in the same class, the
/// finer bands tell them apart: through within 15 degrees, slight from 15 to 60, left or right
/// from 60 to 120, sharp beyond ([`Turn::classify`]); a U-turn goes back along the leg it
/// came from (within half a degree of straight back).
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
    /// Back along the leg it came from, turning left (right-hand traffic).
    UTurn,
    /// Pedestrians crossing the leg of this approach.
    Crossing,
}

/// How many vehicle turns there are: the length of per-turn arrays.
pub const VEHICLE_TURNS: usize = 8;

/// One value per vehicle turn, indexed by [`Turn::index`].
pub type PerTurn<T> = [T; VEHICLE_TURNS];

impl Turn {
    /// The vehicle turns, from sharp left to sharp right, then the U-turn, in the order of
    /// [`Turn::index`].
    pub const VEHICLE: PerTurn<Turn> = [
        Turn::SharpLeft,
        Turn::Left,
        Turn::SlightLeft,
        Turn::Through,
        Turn::SlightRight,
        Turn::Right,
        Turn::SharpRight,
        Turn::UTurn,
    ];

    /// Position of a vehicle turn in per-turn arrays (sharp left 0 to sharp right 6, the
    /// U-turn 7); `None` for a pedestrian crossing.
    pub const fn index(self) -> Option<usize> {
        match self {
            Turn::SharpLeft => Some(0),
            Turn::Left => Some(1),
            Turn::SlightLeft => Some(2),
            Turn::Through => Some(3),
            Turn::SlightRight => Some(4),
            Turn::Right => Some(5),
            Turn::SharpRight => Some(6),
            Turn::UTurn => Some(7),
            Turn::Crossing => None,
        }
    }

    /// The side of the road a turn goes to: left, through or right (the classes of a
    /// four-leg junction, in which movement summaries are reported).
    pub const fn side(self) -> Turn {
        match self {
            Turn::SharpLeft | Turn::Left | Turn::SlightLeft | Turn::UTurn => Turn::Left,
            Turn::SlightRight | Turn::Right | Turn::SharpRight => Turn::Right,
            other => other,
        }
    }

    /// The coarse class of a change of heading (degrees counter-clockwise, any range):
    /// through, left, right, sharp beyond 135 degrees, or a U-turn (exactly back).
    pub fn from_heading_change_deg(delta: f64) -> Turn {
        let d = wrap_deg(delta);
        if d.abs() >= 179.5 {
            Turn::UTurn
        } else if d.abs() <= 45.0 {
            Turn::Through
        } else if d.abs() <= 135.0 {
            pick(d > 0.0, Turn::Left, Turn::Right)
        } else {
            pick(d > 0.0, Turn::SharpLeft, Turn::SharpRight)
        }
    }

    /// The fine class of a change of heading: through within 15 degrees, slight to 60, left or
    /// right to 120, sharp beyond; a U-turn exactly back.
    pub fn fine_from_heading_change_deg(delta: f64) -> Turn {
        let d = wrap_deg(delta);
        let left = d > 0.0;
        match d.abs() {
            a if a >= 179.5 => Turn::UTurn,
            a if a <= 15.0 => Turn::Through,
            a if a <= 60.0 => pick(left, Turn::SlightLeft, Turn::SlightRight),
            a if a <= 120.0 => pick(left, Turn::Left, Turn::Right),
            _ => pick(left, Turn::SharpLeft, Turn::SharpRight),
        }
    }

    /// Classifies the exits of one approach by their changes of heading: each takes its coarse
    /// class where no other exit shares it, else its fine class. Returns, per exit, its turn,
    /// or the two exits (by position) that still fall in one class.
    pub fn classify(deltas: &[f64]) -> Result<Vec<Turn>, (usize, usize)> {
        let coarse: Vec<Turn> = deltas
            .iter()
            .map(|&d| Turn::from_heading_change_deg(d))
            .collect();
        let turns: Vec<Turn> = deltas
            .iter()
            .zip(&coarse)
            .map(|(&d, &c)| {
                if coarse.iter().filter(|&&o| o == c).count() > 1 {
                    Turn::fine_from_heading_change_deg(d)
                } else {
                    c
                }
            })
            .collect();
        for (i, a) in turns.iter().enumerate() {
            if let Some(j) = turns[i + 1..].iter().position(|b| b == a) {
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
            Turn::UTurn => "u_turn",
            Turn::Crossing => "crossing",
        }
    }

    /// Its short code in lane-use strings: `L`, `T`, `R`, `HL`, `SL`, `SR`, `HR` for the
    /// sharp (hard) and slight turns, `U` for the U-turn.
    pub const fn code(self) -> &'static str {
        match self {
            Turn::SharpLeft => "HL",
            Turn::Left => "L",
            Turn::SlightLeft => "SL",
            Turn::Through => "T",
            Turn::SlightRight => "SR",
            Turn::Right => "R",
            Turn::SharpRight => "HR",
            Turn::UTurn => "U",
            Turn::Crossing => "X",
        }
    }
}

/// A per-turn array holding `left`, `through` and `right` (the turns of a four-leg junction)
/// and `others` for the sharp and slight turns and the U-turn.
pub const fn left_through_right<T: Copy>(others: T, [left, through, right]: [T; 3]) -> PerTurn<T> {
    [others, left, others, through, others, right, others, others]
}

fn pick(left: bool, l: Turn, r: Turn) -> Turn {
    if left { l } else { r }
}

/// An angle in degrees wrapped to -180..180.
pub(crate) fn wrap_deg(d: f64) -> f64 {
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
            Turn::UTurn => "U-turn",
            Turn::Crossing => "crossing",
        })
    }
}

/// Traffic from one approach making one turn.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Movement {
    /// The approach.
    pub approach: Approach,
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

/// The approaches the vehicle movements of `groups` come from, in order, each once.
pub fn approaches_of(groups: &[SignalGroup]) -> Vec<Approach> {
    let set: std::collections::BTreeSet<Approach> = groups
        .iter()
        .flat_map(|g| &g.movements)
        .filter(|m| m.turn != Turn::Crossing)
        .map(|m| m.approach)
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_name_directions_and_turns() {
        assert_eq!(Approach::from_heading_deg(0.0), Approach::EB);
        assert_eq!(Approach::from_heading_deg(90.0), Approach::NB);
        assert_eq!(Approach::from_heading_deg(-90.0), Approach::SB);
        assert_eq!(Approach::from_heading_deg(180.0), Approach::WB);
        for (i, a) in Approach::EIGHT.into_iter().enumerate() {
            let h = a.heading_deg().unwrap();
            assert_eq!(Approach::from_heading_deg8(h + 20.0), a, "{h}");
            assert_eq!(Approach::from_heading_deg8(h - 20.0), a, "{h}");
            assert_eq!(a.compass_rank(), Some(i));
        }
        assert_eq!(Turn::from_heading_change_deg(90.0), Turn::Left);
        assert_eq!(Turn::from_heading_change_deg(-90.0), Turn::Right);
        assert_eq!(Turn::from_heading_change_deg(270.0), Turn::Right);
        assert_eq!(Turn::from_heading_change_deg(5.0), Turn::Through);
        assert_eq!(Turn::from_heading_change_deg(180.0), Turn::UTurn);
        assert_eq!(Turn::from_heading_change_deg(150.0), Turn::SharpLeft);
    }

    #[test]
    fn approaches_are_named_checked_and_ordered_compass_first() {
        assert_eq!(Approach::new("NB").unwrap(), Approach::NB);
        let harbour = Approach::new("harbour-rd").unwrap();
        assert_eq!(harbour.to_string(), "harbour-rd");
        assert!(Approach::new("").is_err());
        assert!(Approach::new("a name").unwrap_err().contains("`a name`"));
        assert!(Approach::new("sixteen-letters!").is_err());
        let mut all = vec![harbour, Approach::WB, Approach::NEB, Approach::NB];
        all.sort();
        assert_eq!(all, [Approach::NB, Approach::NEB, Approach::WB, harbour]);
        #[derive(Serialize, Deserialize)]
        struct Doc {
            approach: Approach,
        }
        let text = toml::to_string(&Doc {
            approach: Approach::SWB,
        })
        .unwrap();
        assert_eq!(text.trim(), "approach = \"swb\"");
        assert_eq!(
            toml::from_str::<Doc>(&text).unwrap().approach,
            Approach::SWB
        );
        let bad = toml::from_str::<Doc>("approach = \"no way\"")
            .err()
            .unwrap();
        assert!(bad.to_string().contains("`no way`"), "{bad}");
    }

    #[test]
    fn exits_in_one_class_are_told_apart_by_the_finer_bands() {
        // A four-leg junction keeps its classes, skewed or not.
        let four = Turn::classify(&[80.0, 30.0, -100.0]).unwrap();
        assert_eq!(four, [Turn::Left, Turn::Through, Turn::Right]);
        // The stem of a Y: both exits are slight.
        let y = Turn::classify(&[30.0, -30.0]).unwrap();
        assert_eq!(y, [Turn::SlightLeft, Turn::SlightRight]);
        // A five-leg junction: 36 and 108 degrees either way.
        let five = Turn::classify(&[108.0, 36.0, -36.0, -108.0]).unwrap();
        assert_eq!(
            five,
            [Turn::Left, Turn::SlightLeft, Turn::SlightRight, Turn::Right]
        );
        // Two lefts, one sharp; straight back is a U-turn.
        let sharp = Turn::classify(&[90.0, 130.0, 180.0]).unwrap();
        assert_eq!(sharp, [Turn::Left, Turn::SharpLeft, Turn::UTurn]);
        // Two exits in one fine band cannot be told apart.
        assert_eq!(Turn::classify(&[0.0, 80.0, 100.0]), Err((1, 2)));
    }
}
