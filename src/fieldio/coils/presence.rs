//! Detector channels from a card's presence relay polled at the tick rate: the count from the
//! rising edges, the occupied time from the polls that saw the loop occupied, as the cumulative
//! 16-bit counters of the reference map (`docs/spec/cabinet-modbus.md`), so the control loop
//! reads them the same way. A module's hardware counter, where the input has one, gives the
//! count instead.
//!
//! A poll sees a vehicle only if the presence lasts at least one poll period, and two vehicles
//! apart only if the gap between them does too. The shortest presence is a short car (4 m)
//! crossing the loop at the link's speed: (loop length + 4 m) / speed. The rule: the poll period
//! is at most half of that, so each presence spans two polls at least ([`max_poll_period_s`]).

use std::time::Instant;

/// The shortest vehicle counted, m (a small car; motorcycles are not counted reliably by loops
/// polled this way either).
pub const SHORTEST_VEHICLE_M: f64 = 4.0;

/// The longest poll period that sees every vehicle on a loop of `loop_m` on a link of `speed_mps`.
pub fn max_poll_period_s(loop_m: f64, speed_mps: f64) -> f64 {
    (loop_m + SHORTEST_VEHICLE_M) / speed_mps / 2.0
}

/// One channel's counters, from its presence input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PresenceCounter {
    count: u16,
    on_ms: u64,
    last: Option<(bool, Instant)>,
}

impl PresenceCounter {
    /// The input read `present` at `at`: a rising edge counts a vehicle; the time since the
    /// last poll counts as occupied if the loop was occupied then.
    pub fn observe(&mut self, present: bool, at: Instant) {
        if let Some((was, when)) = self.last {
            if was {
                self.on_ms += at.saturating_duration_since(when).as_millis() as u64;
            }
            if present && !was {
                self.count = self.count.wrapping_add(1);
            }
        }
        self.last = Some((present, at));
    }

    /// Cumulative count (wraps at 2^16).
    pub fn count(&self) -> u16 {
        self.count
    }

    /// Cumulative occupied time, cs (wraps at 2^16).
    pub fn on_time_cs(&self) -> u16 {
        (self.on_ms / 10) as u16
    }

    /// Presence at the last poll.
    pub fn present(&self) -> bool {
        self.last.is_some_and(|(p, _)| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn counts_rising_edges_and_occupied_time() {
        let t0 = Instant::now();
        let mut c = PresenceCounter::default();
        let polls = [false, true, true, true, false, false, true, false];
        for (i, &p) in polls.iter().enumerate() {
            c.observe(p, t0 + Duration::from_millis(100 * i as u64));
        }
        assert_eq!(c.count(), 2);
        // Occupied from poll 1 to 4 (300 ms) and 6 to 7 (100 ms).
        assert_eq!(c.on_time_cs(), 40);
        assert!(!c.present());
    }

    #[test]
    fn a_vehicle_present_at_the_first_poll_is_not_counted() {
        let t0 = Instant::now();
        let mut c = PresenceCounter::default();
        c.observe(true, t0);
        c.observe(true, t0 + Duration::from_millis(100));
        assert_eq!(c.count(), 0);
        assert_eq!(c.on_time_cs(), 10);
    }

    #[test]
    fn the_poll_rule_for_a_2_m_loop_at_50_km_h() {
        let p = max_poll_period_s(2.0, 50.0 / 3.6);
        assert!((p - 0.216).abs() < 0.001, "{p}");
    }
}
