//! Signal aspects, regions and the aspect sequence each region shows.
//!
//! The codes of [`Aspect`] are those of the reference cabinet register map
//! (`docs/spec/cabinet-modbus.md`). A [`Region`] fixes the order of aspects around a green; the
//! [`SequenceTimings`] fix their durations. The sequencer reads the steps from here; the interlock
//! keeps its own table of legal transitions and shares none of this code.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::time::Duration;

/// What one signal group shows. The discriminants are the cabinet's aspect codes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Aspect {
    /// Lamps off.
    Dark = 0,
    /// Stop.
    Red = 1,
    /// Red and amber together: prepare to go (EU and post-Soviet practice).
    RedAmber = 2,
    /// Go.
    Green = 3,
    /// Go, green about to end (post-Soviet practice; GOST R 52289).
    FlashingGreen = 4,
    /// Stop unless too close to stop safely.
    Amber = 5,
    /// Proceed with caution, signals not in control (a safe state).
    FlashingAmber = 6,
    /// Pedestrian change interval: do not start to cross, finish crossing (US practice, MUTCD
    /// 4I "flashing UPRAISED HAND"). Pedestrian groups of region `us` only; added in version 2
    /// of the cabinet register map.
    FlashingDontWalk = 7,
}

impl Aspect {
    /// Every aspect, in code order.
    pub const ALL: [Aspect; 8] = [
        Aspect::Dark,
        Aspect::Red,
        Aspect::RedAmber,
        Aspect::Green,
        Aspect::FlashingGreen,
        Aspect::Amber,
        Aspect::FlashingAmber,
        Aspect::FlashingDontWalk,
    ];

    /// The cabinet's aspect code.
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// The aspect of a cabinet aspect code, or `None` for a code above 7.
    pub fn from_code(code: u16) -> Option<Aspect> {
        Aspect::ALL.get(usize::from(code)).copied()
    }

    /// True for the aspects that let traffic enter the junction: green and flashing green.
    /// Conflicts and intergreens are judged on these.
    pub const fn is_go(self) -> bool {
        matches!(self, Aspect::Green | Aspect::FlashingGreen)
    }
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Aspect::Dark => "dark",
            Aspect::Red => "red",
            Aspect::RedAmber => "red+amber",
            Aspect::Green => "green",
            Aspect::FlashingGreen => "flashing green",
            Aspect::Amber => "amber",
            Aspect::FlashingAmber => "flashing amber",
            Aspect::FlashingDontWalk => "flashing don't walk",
        })
    }
}

/// The regional practice that fixes the aspect sequence around a green.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// North America (MUTCD): red -> green; green -> amber -> red.
    Us,
    /// Europe (e.g. RiLSA, UK TSM): red -> red+amber -> green; green -> amber -> red.
    Eu,
    /// Post-Soviet practice (GOST R 52289): red -> red+amber -> green;
    /// green -> flashing green -> amber -> red.
    PostSoviet,
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Region::Us => "us",
            Region::Eu => "eu",
            Region::PostSoviet => "post_soviet",
        })
    }
}

/// What a signal group controls.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// Vehicle signal heads.
    #[default]
    Vehicle,
    /// Pedestrian signal heads (two aspects; flashing green before red in post-Soviet practice).
    Pedestrian,
}

/// Durations of the transitional aspects, for one intersection.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SequenceTimings {
    /// Amber after green (vehicle groups).
    pub amber: Duration,
    /// Red+amber before green (vehicle groups, `eu` and `post_soviet`).
    pub red_amber: Duration,
    /// Flashing green at the end of green (`post_soviet`, vehicle and pedestrian groups).
    pub flashing_green: Duration,
}

/// One timed aspect in a sequence.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Step {
    /// The aspect shown.
    pub aspect: Aspect,
    /// For how long.
    pub duration: Duration,
}

/// The aspects a group shows between red and green, both ways.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct AspectSequence {
    /// Shown after red, before green (e.g. red+amber).
    pub before_green: Vec<Step>,
    /// Shown after steady green, before red (e.g. flashing green, then amber).
    pub after_green: Vec<Step>,
}

impl AspectSequence {
    /// The sequence a group of `kind` shows in `region`.
    pub fn for_group(region: Region, kind: GroupKind, timings: &SequenceTimings) -> Self {
        let red_amber = Step {
            aspect: Aspect::RedAmber,
            duration: timings.red_amber,
        };
        let amber = Step {
            aspect: Aspect::Amber,
            duration: timings.amber,
        };
        let flashing_green = Step {
            aspect: Aspect::FlashingGreen,
            duration: timings.flashing_green,
        };
        let (before_green, after_green) = match (region, kind) {
            (Region::Us, GroupKind::Vehicle) => (vec![], vec![amber]),
            (Region::Eu, GroupKind::Vehicle) => (vec![red_amber], vec![amber]),
            (Region::PostSoviet, GroupKind::Vehicle) => {
                (vec![red_amber], vec![flashing_green, amber])
            }
            (Region::Us | Region::Eu, GroupKind::Pedestrian) => (vec![], vec![]),
            (Region::PostSoviet, GroupKind::Pedestrian) => (vec![], vec![flashing_green]),
        };
        AspectSequence {
            before_green,
            after_green,
        }
    }

    /// Time from the end of steady green to the end of the last go aspect (flashing green).
    pub fn go_after_green(&self) -> Duration {
        self.after_green
            .iter()
            .filter(|s| s.aspect.is_go())
            .map(|s| s.duration)
            .sum()
    }

    /// Time from the end of the last go aspect to red (the amber).
    pub fn clearance(&self) -> Duration {
        self.after_green
            .iter()
            .filter(|s| !s.aspect.is_go())
            .map(|s| s.duration)
            .sum()
    }

    /// Time shown before green (the red+amber).
    pub fn lead_in(&self) -> Duration {
        self.before_green.iter().map(|s| s.duration).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_reject_out_of_range() {
        for aspect in Aspect::ALL {
            assert_eq!(Aspect::from_code(aspect.code()), Some(aspect));
        }
        assert_eq!(Aspect::from_code(8), None);
        assert_eq!(Aspect::FlashingDontWalk.code(), 7);
        assert_eq!(Aspect::Amber.code(), 5);
    }

    #[test]
    fn post_soviet_vehicle_sequence_is_flashing_green_then_amber() {
        let timings = SequenceTimings {
            amber: Duration::from_secs(3),
            red_amber: Duration::from_secs(2),
            flashing_green: Duration::from_secs(3),
        };
        let seq = AspectSequence::for_group(Region::PostSoviet, GroupKind::Vehicle, &timings);
        let after: Vec<_> = seq.after_green.iter().map(|s| s.aspect).collect();
        assert_eq!(after, [Aspect::FlashingGreen, Aspect::Amber]);
        assert_eq!(seq.go_after_green(), Duration::from_secs(3));
        assert_eq!(seq.clearance(), Duration::from_secs(3));
        assert_eq!(seq.lead_in(), Duration::from_secs(2));
        let us = AspectSequence::for_group(Region::Us, GroupKind::Vehicle, &timings);
        assert_eq!(us.lead_in(), Duration::ZERO);
    }
}
