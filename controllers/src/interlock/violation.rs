//! What the interlock found wrong, in words an engineer can act on.

use std::fmt;

use crate::model::Aspect;
use crate::time::{Duration, Instant};

/// A violation: the state that was refused and why. It latches the safe state.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Violation {
    /// When the refused state was proposed.
    pub at: Instant,
    /// What was wrong.
    pub kind: ViolationKind,
}

/// The kinds of violation.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ViolationKind {
    /// Two conflicting groups both show green or flashing green.
    ConflictingGreens {
        /// One group's id.
        a: String,
        /// The other's.
        b: String,
    },
    /// A group started green before the intergreen after a conflicting group's green ran out.
    IntergreenCut {
        /// The group whose green ended.
        clearing: String,
        /// The group that started green.
        entering: String,
        /// The intergreen required.
        required: Duration,
        /// The time that actually passed.
        actual: Duration,
    },
    /// A change of aspect the region does not allow.
    IllegalTransition {
        /// The group.
        group: String,
        /// Its aspect before.
        from: Aspect,
        /// The aspect proposed.
        to: Aspect,
    },
    /// A transitional aspect (amber, red+amber, flashing green) cut short.
    AspectCutShort {
        /// The group.
        group: String,
        /// The aspect.
        aspect: Aspect,
        /// Its configured duration.
        required: Duration,
        /// How long it was shown.
        actual: Duration,
    },
    /// A green ended before its minimum.
    MinGreenCut {
        /// The group.
        group: String,
        /// The minimum green.
        required: Duration,
        /// How long the green lasted.
        actual: Duration,
    },
    /// A commanded flash began before a group's red clearance had ended.
    FlashBeforeClearance {
        /// The group still clearing.
        group: String,
        /// Its clearance (amber and red clearance: its longest intergreen).
        required: Duration,
        /// The time since its green ended.
        actual: Duration,
    },
    /// A state with the wrong number of groups, or an aspect only the safe state may show.
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// `now` earlier than the previous check.
    TimeWentBackwards {
        /// The previous check.
        last: Instant,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.at, self.kind)
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViolationKind::ConflictingGreens { a, b } => {
                write!(f, "conflicting groups `{a}` and `{b}` both show green")
            }
            ViolationKind::IntergreenCut {
                clearing,
                entering,
                required,
                actual,
            } => write!(
                f,
                "intergreen `{clearing} -> {entering}` cut to {actual} (at least {required})"
            ),
            ViolationKind::IllegalTransition { group, from, to } => {
                write!(f, "group `{group}` may not change from {from} to {to}")
            }
            ViolationKind::AspectCutShort {
                group,
                aspect,
                required,
                actual,
            } => write!(
                f,
                "group `{group}` showed {aspect} for {actual} (at least {required})"
            ),
            ViolationKind::MinGreenCut {
                group,
                required,
                actual,
            } => write!(
                f,
                "group `{group}` green lasted {actual}, below its minimum green of {required}"
            ),
            ViolationKind::FlashBeforeClearance {
                group,
                required,
                actual,
            } => write!(
                f,
                "flash entered {actual} after group `{group}` ended its green, before the end of \
                 its clearance ({required})"
            ),
            ViolationKind::Malformed { reason } => write!(f, "malformed state: {reason}"),
            ViolationKind::TimeWentBackwards { last } => {
                write!(f, "time went backwards (last check {last})")
            }
        }
    }
}

impl std::error::Error for Violation {}
