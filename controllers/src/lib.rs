//! greenwave's sans-IO core: the intersection and corridor model, timing plans, the sequencer
//! and the safety interlock.
//!
//! Nothing here touches a socket, a runtime or a clock: every call takes `now` (see [`time`]) and
//! components say when they next need attention. The daemon and the simulator drive the same code.

pub mod control;
pub mod corridor;
pub mod detector;
pub mod error;
pub mod estimate;
pub mod interlock;
pub mod load;
pub mod model;
pub mod plan;
pub mod preempt;
pub mod priority;
pub mod sequencer;
pub mod site;
pub mod time;

#[cfg(test)]
mod test_support;

pub use error::{Collector, Invalid, Problems};
pub use time::{Duration, Instant};
