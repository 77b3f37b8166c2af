//! What a detector card reports for one channel: the register block of
//! `docs/spec/cabinet-modbus.md` (count, on-time, presence, fault), as a value.
//!
//! Counts and on-time are cumulative 16-bit counters that wrap; consumers take differences modulo
//! 2^16 ([`wrapping_delta`]). Fault codes follow NTCIP 1202 detector diagnostics.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A detector fault as the cabinet reports it (register `103 + 4i`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum FaultCode {
    /// No fault.
    #[default]
    Ok = 0,
    /// Open loop.
    OpenLoop = 1,
    /// Shorted loop.
    ShortedLoop = 2,
    /// Excessive inductance change.
    ExcessiveChange = 3,
    /// No activity for longer than the card's limit.
    NoActivity = 4,
    /// Presence held longer than the card's limit (stuck on).
    MaxPresence = 5,
    /// Erratic counts (chattering).
    ErraticCounts = 6,
}

impl FaultCode {
    /// The register value.
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// The fault of a register value, or `None` for a value above 6.
    pub fn from_code(code: u16) -> Option<FaultCode> {
        use FaultCode::*;
        [
            OpenLoop,
            ShortedLoop,
            ExcessiveChange,
            NoActivity,
            MaxPresence,
            ErraticCounts,
        ]
        .into_iter()
        .chain([Ok])
        .find(|f| f.code() == code)
    }

    /// True for any fault.
    pub const fn is_fault(self) -> bool {
        !matches!(self, FaultCode::Ok)
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultCode::Ok => "ok",
            FaultCode::OpenLoop => "open loop",
            FaultCode::ShortedLoop => "shorted loop",
            FaultCode::ExcessiveChange => "excessive inductance change",
            FaultCode::NoActivity => "no activity",
            FaultCode::MaxPresence => "maximum presence",
            FaultCode::ErraticCounts => "erratic counts",
        })
    }
}

/// One channel's registers at one moment.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct DetectorSample {
    /// Cumulative vehicle (or button press) count, wrapping at 2^16.
    pub count: u16,
    /// Cumulative occupied time in centiseconds, wrapping at 2^16.
    pub on_time_cs: u16,
    /// A vehicle (or a pedestrian call) is present.
    pub presence: bool,
    /// The card's fault diagnosis.
    pub fault: FaultCode,
}

/// `now - before` for a wrapping 16-bit counter.
pub const fn wrapping_delta(now: u16, before: u16) -> u16 {
    now.wrapping_sub(before)
}

/// Vehicles counted between two readings of a count: `now - before`, wrapping, except that a
/// count gone backwards by more than a wrap could explain (a card that restarted) counts none.
pub const fn counted_since(now: u16, before: u16) -> u16 {
    match wrapping_delta(now, before) {
        d if d > 1_000 => 0,
        d => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_that_wraps_counts_on_and_one_that_restarts_counts_none() {
        assert_eq!(counted_since(3, 65_534), 5);
        assert_eq!(counted_since(12, 10), 2);
        assert_eq!(counted_since(0, 4_000), 0);
    }

    #[test]
    fn fault_codes_round_trip() {
        for code in 0..=6 {
            assert_eq!(FaultCode::from_code(code).unwrap().code(), code);
        }
        assert_eq!(FaultCode::from_code(7), None);
    }

    #[test]
    fn counter_differences_survive_a_wrap() {
        assert_eq!(wrapping_delta(3, 65_530), 9);
        assert_eq!(wrapping_delta(100, 90), 10);
    }
}
