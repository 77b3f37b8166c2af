//! Detector health: faults the card reports (NTCIP 1202 diagnostics) and the ones it does not
//! (a count that stops changing while the neighbours count, a presence stuck on), and the
//! fallback used for a faulty detector.

use serde::Serialize;
use std::fmt;

use crate::detector::FaultCode;

/// Why a detector is not trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fault {
    /// The card reports a fault.
    Reported {
        /// Its code.
        code: FaultCode,
    },
    /// Its count has not changed while its neighbours counted.
    CountFrozen,
    /// Its presence has been on for too long.
    PresenceStuck,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Reported { code } => write!(f, "card reports {code}"),
            Fault::CountFrozen => f.write_str("count frozen while neighbours count"),
            Fault::PresenceStuck => f.write_str("presence stuck on"),
        }
    }
}

/// What stands in for a faulty detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fallback {
    /// The detector is healthy: no fallback.
    None,
    /// The same kind of detector on a neighbouring lane of the approach.
    Neighbour {
        /// Its cabinet channel.
        channel: u8,
    },
    /// The lane's recent flow, from before the fault.
    Historical,
    /// A constant call: the lane counts as always having a vehicle waiting (actuated control
    /// also calls its groups), so the movement is always demanded.
    ConstantCall,
}

/// The health of one detector channel, as the daemon publishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DetectorHealth {
    /// Cabinet channel.
    pub channel: u8,
    /// The fault, if any.
    pub fault: Option<Fault>,
    /// What stands in for it.
    pub fallback: Fallback,
}
