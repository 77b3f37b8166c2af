//! Arrivals the loops have not seen yet cannot reach the stop line at once.
//!
//! A movement's queue estimate counts every vehicle past its approach's advance loop as
//! already at the stop line (`estimate`: input-output between the advance and the stop-bar
//! loop). Arrivals drawn from the local estimate, a rate with no timing of its own, are
//! vehicles still beyond the advance loop: the first of them needs the travel time from the
//! loop to reach the line. Counting them from the first second counted the vehicles of the
//! next few seconds twice (as queued and as arriving), and made holding a green for arrivals
//! that no loop had seen look better than it is; gap-out, which holds only for a vehicle on its
//! loop, knows better. The local arrivals start `unseen_share` of that travel time late
//! (`AdaptiveParams::unseen_share`). An upstream neighbour's forecast is left as it is: it
//! times its vehicles itself.

use crate::corridor::DetectorKind;
use crate::site::SiteApproach;

/// Seconds from `approach`'s nearest advance loop to its stop line at the approach speed; 0
/// without an advance loop (the queue estimate then sees nobody early).
pub(super) fn loop_to_line_s(approach: &SiteApproach) -> f64 {
    let nearest = approach
        .detectors
        .iter()
        .filter(|d| d.kind == DetectorKind::Advance)
        .map(|d| d.distance_m)
        .fold(f64::INFINITY, f64::min);
    if nearest.is_finite() && approach.speed_mps > 0.0 {
        nearest / approach.speed_mps
    } else {
        0.0
    }
}

/// No arrivals in the first `late_s` seconds of `rate` (per one-second bin), part of the bin
/// the time ends in.
pub(super) fn start_late(rate: &mut [f64], late_s: f64) {
    for (s, x) in rate.iter_mut().enumerate() {
        let open = (s as f64 + 1.0 - late_s).clamp(0.0, 1.0);
        if open >= 1.0 {
            break;
        }
        *x *= open;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_start_after_the_time_from_the_loop_and_the_bin_it_ends_in_is_cut_in_part() {
        let mut rate = vec![0.2; 6];
        start_late(&mut rate, 2.5);
        let expected = [0.0, 0.0, 0.1, 0.2, 0.2, 0.2];
        for (got, want) in rate.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{rate:?}");
        }
        let mut rate = vec![0.2; 3];
        start_late(&mut rate, 0.0);
        assert_eq!(rate, vec![0.2; 3]);
    }
}
