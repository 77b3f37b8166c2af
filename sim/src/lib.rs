//! greenwave-sim: a time-stepped microscopic corridor simulator that runs greenwave's own
//! controllers, sequencer and interlock.
//!
//! Vehicles follow the Intelligent Driver Model on lanes with allowed turns; signals come from
//! each intersection's controller through the sequencer and the interlock of
//! `greenwave-controllers`; induction loops report exactly what a cabinet would; demand is random
//! (Poisson) with a fixed seed, so one scenario, seed and controller always give the same result.

mod arrivals;
pub mod cabinet;
pub mod design;
mod driver;
mod engine;
mod forecast;
pub mod grid;
mod loops;
pub mod memory;
pub mod metrics;
mod net;
pub mod scenario;
mod signals;
mod vehicle;

pub use engine::{
    IntervalRow, Outcome, Path, PathSignal, Recording, Route, RunOptions, Simulation,
    StopLineCrossing, StopLineCrossings, TrajectoryPoint, route,
};
pub use metrics::{ApproachSummary, CrossingSummary, DelayStats, MovementSummary, Summary};
pub use scenario::Scenario;
pub use signals::{ControllerError, Reported, build_controller};
pub use vehicle::VehicleRecord;
