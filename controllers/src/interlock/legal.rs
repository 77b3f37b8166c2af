//! The interlock's own table of legal aspect transitions, by region and group kind.
//!
//! Written apart from the sequencer's sequences on purpose: a mistake in one is caught by the
//! other. Sources: MUTCD 4D (us), RiLSA / UK TSM (eu), GOST R 52289 (post_soviet).
//!
//! Flash is entered from steady red only, for every region and kind: a commanded flash begins at
//! the end of the red clearance (MUTCD 2009 4D.31, 11th ed. 4G.02; NEMA TS 2 3.9.1.2 automatic
//! flash: minimum greens and clearances served first). Only a latched fault goes to flash at
//! once, and that is the safe state, not a transition this table judges.

use crate::model::{Aspect, GroupKind, Region};

/// Whether a group of `kind` in `region` may change from `from` to `to` in one step. Staying on
/// the same aspect is always legal.
pub(crate) fn is_legal(region: Region, kind: GroupKind, from: Aspect, to: Aspect) -> bool {
    use Aspect::*;
    if from == to {
        return true;
    }
    // Leaving flash (or a safe state after a reset): through red only.
    if from == FlashingAmber || from == Dark {
        return to == Red;
    }
    // Entering a commanded flash: from red only, never out of a green or an amber.
    if to == FlashingAmber {
        return from == Red;
    }
    if to == Dark {
        return false;
    }
    match (kind, region) {
        (GroupKind::Vehicle, Region::Us) => {
            matches!((from, to), (Red, Green) | (Green, Amber) | (Amber, Red))
        }
        (GroupKind::Vehicle, Region::Eu) => matches!(
            (from, to),
            (Red, RedAmber) | (RedAmber, Green) | (Green, Amber) | (Amber, Red)
        ),
        (GroupKind::Vehicle, Region::PostSoviet) => matches!(
            (from, to),
            (Red, RedAmber)
                | (RedAmber, Green)
                | (Green, FlashingGreen)
                | (FlashingGreen, Amber)
                | (Amber, Red)
        ),
        // WALK, flashing DON'T WALK, steady DON'T WALK (MUTCD 4I.02).
        (GroupKind::Pedestrian, Region::Us) => matches!(
            (from, to),
            (Red, Green) | (Green, FlashingDontWalk) | (FlashingDontWalk, Red)
        ),
        (GroupKind::Pedestrian, Region::Eu) => {
            matches!((from, to), (Red, Green) | (Green, Red))
        }
        (GroupKind::Pedestrian, Region::PostSoviet) => matches!(
            (from, to),
            (Red, Green) | (Green, FlashingGreen) | (FlashingGreen, Red)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Aspect::*;

    #[test]
    fn skipping_the_amber_is_illegal_everywhere() {
        for region in [Region::Us, Region::Eu, Region::PostSoviet] {
            assert!(
                !is_legal(region, GroupKind::Vehicle, Green, Red),
                "{region}"
            );
        }
    }

    #[test]
    fn red_amber_only_where_the_region_shows_it() {
        assert!(!is_legal(Region::Us, GroupKind::Vehicle, Red, RedAmber));
        assert!(is_legal(Region::Eu, GroupKind::Vehicle, Red, RedAmber));
        assert!(!is_legal(Region::Eu, GroupKind::Vehicle, Red, Green));
        assert!(!is_legal(
            Region::PostSoviet,
            GroupKind::Vehicle,
            Green,
            Amber
        ));
        assert!(is_legal(
            Region::PostSoviet,
            GroupKind::Pedestrian,
            FlashingGreen,
            Red
        ));
    }

    #[test]
    fn a_us_walk_ends_through_flashing_dont_walk_only() {
        let ped = GroupKind::Pedestrian;
        assert!(is_legal(Region::Us, ped, Green, FlashingDontWalk));
        assert!(is_legal(Region::Us, ped, FlashingDontWalk, Red));
        assert!(!is_legal(Region::Us, ped, Green, Red));
        assert!(!is_legal(Region::Us, ped, FlashingDontWalk, Green));
        assert!(!is_legal(Region::Eu, ped, Green, FlashingDontWalk));
        for region in [Region::Us, Region::Eu, Region::PostSoviet] {
            assert!(!is_legal(
                region,
                GroupKind::Vehicle,
                Green,
                FlashingDontWalk
            ));
        }
    }

    #[test]
    fn a_safe_state_is_left_through_red() {
        assert!(is_legal(Region::Eu, GroupKind::Vehicle, FlashingAmber, Red));
        assert!(!is_legal(
            Region::Us,
            GroupKind::Vehicle,
            FlashingAmber,
            Green
        ));
    }

    #[test]
    fn flash_is_entered_from_red_only() {
        for region in [Region::Us, Region::Eu, Region::PostSoviet] {
            for kind in [GroupKind::Vehicle, GroupKind::Pedestrian] {
                assert!(is_legal(region, kind, Red, FlashingAmber), "{region}");
                for from in [Green, Amber, RedAmber, FlashingGreen] {
                    assert!(
                        !is_legal(region, kind, from, FlashingAmber),
                        "{region} {from}"
                    );
                }
                assert!(!is_legal(region, kind, Red, Dark), "{region}");
            }
        }
    }
}
