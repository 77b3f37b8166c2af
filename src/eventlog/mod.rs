//! The high-resolution controller event log in the Indiana (Purdue) format, as ATSPM tools read
//! it: CSV lines `timestamp,event code,parameter`, local time to a tenth of a second.
//!
//! One writer for the daemon and the simulator: [`Recorder`] turns what the signal heads show
//! and what the detector channels report into events (pure), [`EventLog`] stamps and writes
//! them, [`DailyLog`] is the daemon's appended, daily-rotated file, and `sim` (with the `sim`
//! feature) logs every intersection of a simulation; [`PlanChange`] is a plan taking effect
//! (its pattern, cycle and offset). [`detectors`] exports the detector
//! configuration ATSPM tools take. The codes written and their parameters: [`code`] and
//! `docs/atspm.md`.
//!
//! Enumerations after Sturdevant et al., "Indiana Traffic Signal Hi Resolution Data Logger
//! Enumerations" (INDOT and Purdue University, 2012), as revised by TPF-5(377) (2019).

pub mod code;
mod daily;
pub mod detectors;
mod plan;
pub mod priority;
mod recorder;
#[cfg(feature = "sim")]
pub mod sim;
mod stamp;
#[cfg(test)]
mod tests;
mod writer;

pub use daily::DailyLog;
pub use plan::{PlanChange, PlanCycle};
pub use recorder::{ChannelState, Event, Recorder, channel_number, phase_number};
pub use stamp::{LocalTime, UnknownZone};
pub use writer::EventLog;
