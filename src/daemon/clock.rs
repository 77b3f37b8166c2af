//! Watching a cabinet clock the daemon follows (`clock = "cabinet"`): it must not go back, leap
//! or stop, judged against the daemon's own monotonic clock. Any of these is a field fault.

use greenwave_controllers::{Duration, Instant};

/// Watches a cabinet clock the daemon follows: it must neither go back, nor leap, nor stop.
pub struct CabinetClock {
    last: Option<(Instant, Instant)>,
    changed: Instant,
    stopped_after: Duration,
}

/// The largest step of the cabinet clock between two readings, beyond what the daemon's own
/// clock saw pass times the fastest a simulated cabinet runs (1000 times real time).
const MAX_CLOCK_STEP: Duration = Duration::from_secs(10);
const MAX_CLOCK_SPEED: u64 = 1000;

impl CabinetClock {
    /// A watch that calls a clock stopped after `stopped_after`.
    pub fn new(stopped_after: Duration) -> Self {
        CabinetClock {
            last: None,
            changed: Instant::ZERO,
            stopped_after,
        }
    }

    /// `cabinet` read at `field_now` (the daemon's own clock).
    pub fn check(&mut self, cabinet: Instant, field_now: Instant) -> Result<(), String> {
        let Some((before, seen)) = self.last.replace((cabinet, field_now)) else {
            self.changed = field_now;
            return Ok(());
        };
        if cabinet < before {
            return Err(format!(
                "the cabinet clock went back from {before} to {cabinet}"
            ));
        }
        let allowed = MAX_CLOCK_STEP
            + Duration::from_millis((field_now - seen).total_millis() * MAX_CLOCK_SPEED);
        if cabinet - before > allowed {
            return Err(format!(
                "the cabinet clock leapt from {before} to {cabinet} between two readings"
            ));
        }
        if cabinet > before {
            self.changed = field_now;
        } else if field_now - self.changed > self.stopped_after {
            return Err(format!(
                "the cabinet clock stopped at {cabinet} for {}",
                field_now - self.changed
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn a_clock_that_runs_passes_and_one_that_goes_back_leaps_or_stops_does_not() {
        let mut clock = CabinetClock::new(Duration::from_secs(3));
        assert!(clock.check(at(10_000), at(0)).is_ok());
        // Thirty times real time, and a 10 s outage: fine.
        assert!(clock.check(at(13_000), at(100)).is_ok());
        assert!(clock.check(at(23_000), at(400)).is_ok());
        let back = clock.check(at(22_900), at(500)).unwrap_err();
        assert!(back.contains("went back"), "{back}");

        let mut clock = CabinetClock::new(Duration::from_secs(3));
        clock.check(at(10_000), at(0)).unwrap();
        let leap = clock.check(at(3_600_000), at(100)).unwrap_err();
        assert!(leap.contains("leapt"), "{leap}");

        let mut clock = CabinetClock::new(Duration::from_secs(3));
        clock.check(at(10_000), at(0)).unwrap();
        assert!(clock.check(at(10_000), at(2_000)).is_ok());
        let stopped = clock.check(at(10_000), at(3_100)).unwrap_err();
        assert!(stopped.contains("stopped"), "{stopped}");
    }
}
