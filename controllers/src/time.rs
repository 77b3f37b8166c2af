//! The core's own time: an [`Instant`] on the corridor's time line and a [`Duration`] between two.
//!
//! Nothing in this crate reads a clock. The caller passes `now` into every call and asks each
//! component when it next needs attention (its `poll_at`), as smoltcp does with its own
//! `Instant`. The daemon converts from tokio or system time at its edge; the simulator counts
//! steps. Resolution is one millisecond, ample for signal timing (EN 12675 specifies intergreens
//! in whole or tenth seconds).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point on the corridor's time line, in milliseconds since its reference time (for the
/// daemon, the reference time of the timing plans' offsets; for the simulator, the start of the
/// run).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    millis: u64,
}

/// A span of time in milliseconds. Never negative: subtracting a later instant saturates at zero.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    millis: u64,
}

impl Instant {
    /// The corridor's reference time.
    pub const ZERO: Instant = Instant { millis: 0 };

    /// The instant `millis` milliseconds after the reference time.
    pub const fn from_millis(millis: u64) -> Self {
        Instant { millis }
    }

    /// The instant `secs` seconds after the reference time, rounded to the millisecond.
    /// Negative or non-finite inputs give the reference time.
    pub fn from_secs_f64(secs: f64) -> Self {
        Instant {
            millis: secs_to_millis(secs),
        }
    }

    /// Milliseconds since the reference time.
    pub const fn total_millis(self) -> u64 {
        self.millis
    }

    /// Seconds since the reference time.
    pub fn as_secs_f64(self) -> f64 {
        self.millis as f64 / 1000.0
    }

    /// The time from `earlier` to `self`, or zero when `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration {
            millis: self.millis.saturating_sub(earlier.millis),
        }
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { millis: 0 };

    /// A span of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Duration { millis }
    }

    /// A span of whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration {
            millis: secs * 1000,
        }
    }

    /// A span of `secs` seconds, rounded to the millisecond; negative or non-finite inputs give
    /// zero (validate file values before converting them).
    pub fn from_secs_f64(secs: f64) -> Self {
        Duration {
            millis: secs_to_millis(secs),
        }
    }

    /// The span in milliseconds.
    pub const fn total_millis(self) -> u64 {
        self.millis
    }

    /// The span in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.millis as f64 / 1000.0
    }
}

fn secs_to_millis(secs: f64) -> u64 {
    if secs.is_finite() && secs > 0.0 {
        (secs * 1000.0).round() as u64
    } else {
        0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant {
            millis: self.millis + rhs.millis,
        }
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        self.millis += rhs.millis;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    /// Saturates at the reference time.
    fn sub(self, rhs: Duration) -> Instant {
        Instant {
            millis: self.millis.saturating_sub(rhs.millis),
        }
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero when `rhs` is later.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration {
            millis: self.millis + rhs.millis,
        }
    }
}

impl AddAssign for Duration {
    fn add_assign(&mut self, rhs: Duration) {
        self.millis += rhs.millis;
    }
}

impl Sub for Duration {
    type Output = Duration;
    /// Saturates at zero.
    fn sub(self, rhs: Duration) -> Duration {
        Duration {
            millis: self.millis.saturating_sub(rhs.millis),
        }
    }
}

impl std::iter::Sum for Duration {
    fn sum<I: Iterator<Item = Duration>>(iter: I) -> Duration {
        iter.fold(Duration::ZERO, Add::add)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", Duration::from_millis(self.millis))
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (secs, millis) = (self.millis / 1000, self.millis % 1000);
        if millis == 0 {
            write!(f, "{secs} s")
        } else {
            let frac = format!("{millis:03}");
            write!(f, "{secs}.{} s", frac.trim_end_matches('0'))
        }
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_going_negative() {
        let t = Instant::from_millis(1500);
        assert_eq!(t - Duration::from_secs(2), Instant::ZERO);
        assert_eq!(Instant::ZERO - t, Duration::ZERO);
        assert_eq!(t - Instant::from_millis(500), Duration::from_secs(1));
        assert_eq!(
            Duration::from_secs(1) - Duration::from_secs(3),
            Duration::ZERO
        );
    }

    #[test]
    fn seconds_round_to_the_millisecond_and_reject_nonsense() {
        assert_eq!(Duration::from_secs_f64(2.0004).total_millis(), 2000);
        assert_eq!(Duration::from_secs_f64(2.0006).total_millis(), 2001);
        assert_eq!(Duration::from_secs_f64(-1.0), Duration::ZERO);
        assert_eq!(Duration::from_secs_f64(f64::NAN), Duration::ZERO);
        assert_eq!(Instant::from_secs_f64(0.5).total_millis(), 500);
    }

    #[test]
    fn display_reads_as_seconds() {
        assert_eq!(Duration::from_millis(4000).to_string(), "4 s");
        assert_eq!(Duration::from_millis(2500).to_string(), "2.5 s");
        assert_eq!(Duration::from_millis(1050).to_string(), "1.05 s");
        assert_eq!(Instant::from_millis(61_200).to_string(), "t=61.2 s");
    }
}
