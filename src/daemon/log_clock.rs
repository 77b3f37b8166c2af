//! The event log's clock in the daemon: the system clock, or with `clock = "cabinet"` the
//! cabinet's. The cabinet's clock (`clock_ds`, deciseconds, `docs/spec/cabinet-modbus.md`) has no
//! date, so it is anchored to the system clock when first read and events are stamped as far
//! from that anchor as the cabinet's clock has run; a cabinet clock that went back (a restarted
//! cabinet) is anchored afresh.

use jiff::{SignedDuration, Timestamp};

use crate::daemon::config::ClockSource;

/// Stamps the event log's events.
#[derive(Clone, Debug, Default)]
pub struct LogClock {
    anchor: Option<(u32, Timestamp)>,
}

impl LogClock {
    /// The stamp of a reading taken at `wall` (system clock) with the cabinet's clock at
    /// `clock_ds`, under `source`.
    pub fn stamp(&mut self, source: ClockSource, clock_ds: u32, wall: Timestamp) -> Timestamp {
        if source == ClockSource::System {
            return wall;
        }
        let (ds0, t0) = match self.anchor {
            Some((ds0, t0)) if clock_ds >= ds0 => (ds0, t0),
            _ => *self.anchor.insert((clock_ds, wall)),
        };
        let run = SignedDuration::from_millis(i64::from(clock_ds - ds0) * 100);
        t0.checked_add(run).unwrap_or(t0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn the_system_clock_stamps_as_it_is() {
        let mut clock = LogClock::default();
        let wall = at("2026-06-02T16:00:00.3Z");
        assert_eq!(clock.stamp(ClockSource::System, 12_345, wall), wall);
    }

    #[test]
    fn the_cabinet_clock_runs_from_its_first_reading_and_restarts_with_the_cabinet() {
        let mut clock = LogClock::default();
        let first = at("2026-06-02T16:00:00Z");
        assert_eq!(clock.stamp(ClockSource::Cabinet, 1_000, first), first);
        // The cabinet says 2.5 s passed, whatever the system clock says.
        let later = clock.stamp(ClockSource::Cabinet, 1_025, at("2026-06-02T16:00:09Z"));
        assert_eq!(later, at("2026-06-02T16:00:02.5Z"));
        // Its clock went back: anchored afresh at the system clock.
        let restart = at("2026-06-02T16:01:00Z");
        assert_eq!(clock.stamp(ClockSource::Cabinet, 10, restart), restart);
        assert_eq!(
            clock.stamp(ClockSource::Cabinet, 20, restart),
            at("2026-06-02T16:01:01Z")
        );
    }
}
