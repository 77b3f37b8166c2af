//! Controllers: which stage to run next and for how long, within the active plan's bounds.
//!
//! Every controller sits behind [`Controller`]: at each tick it sees the detector samples and
//! the sequencer, and may ask for a stage. Only the sequencer turns that into aspects, and the
//! interlock checks every state.

mod actuated;
mod adaptive;
mod coordinated;
mod departures;
mod fixed;
mod max_pressure;
mod outflow;
#[cfg(test)]
mod rig;
mod rings;
pub mod select;
pub mod webster;

pub use actuated::{Actuated, ActuatedParams, PASSAGE_RANGE_S, Recall};
pub use adaptive::{Adaptive, AdaptiveParams, MAX_WAIT_RANGE_S, WAIT_WEIGHT_RANGE};
pub use coordinated::{Coordinated, CoordinatedParams, ForceOff};
pub use fixed::FixedTime;
pub use max_pressure::MaxPressure;
pub use outflow::Outflow;
pub use select::{
    CONTROLLERS, ControllerError, ControllerParams, ControllerSpec, build_controller,
    keeps_the_plan_cycle,
};

use std::collections::BTreeMap;

use crate::detector::DetectorSample;
use crate::estimate::{Estimate, LinkReport};
use crate::model::StageIndex;
use crate::sequencer::Sequencer;
use crate::time::Instant;

/// What a controller sees at one tick.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// The latest sample of every detector channel of the cabinet, by channel.
    pub detectors: &'a [DetectorSample],
    /// The estimator's view of demand and detector health.
    pub estimate: &'a Estimate,
    /// What the neighbouring intersections report.
    pub neighbours: &'a Neighbours,
    /// Buses asking for priority (`priority`), for a controller that weighs delay by people.
    pub buses: &'a [BusCall],
}

/// A bus on its way to the stop line, as transit priority knows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BusCall {
    /// The group that serves it.
    pub group: crate::model::GroupIndex,
    /// When it is due at the stop line, s from now.
    pub eta_s: f64,
    /// People on board.
    pub people: f64,
}

/// What neighbouring intersections tell this one (over MQTT in the daemon, handed over
/// directly in the simulator); a neighbour that has gone silent is simply absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Neighbours {
    /// What the neighbours report of their approaches (queues, counted arrivals), by approach
    /// link id.
    pub links: BTreeMap<String, LinkReport>,
    /// Forecast arrivals at this site's approaches from its upstream neighbours, vehicles per
    /// one-second bin from now, by approach link id (already dispersed along the link).
    pub arrivals: BTreeMap<String, Vec<f64>>,
}

/// Why a controller ends a green: the phase terminations of NTCIP 1202 (logged as the Indiana
/// hi-res events 4, 5 and 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Termination {
    /// No vehicle came within the passage time.
    GapOut,
    /// The maximum green ran out.
    MaxOut,
    /// The plan ended it at its split (a coordinator's force off).
    ForceOff,
}

/// A signal controller for one intersection.
pub trait Controller: Send {
    /// A short name (`fixed`, `actuated`, ...).
    fn name(&self) -> &'static str;

    /// Decides at `now`: the stage that should run next (or keep running), if any.
    fn decide(
        &mut self,
        now: Instant,
        inputs: &Inputs<'_>,
        sequencer: &Sequencer,
    ) -> Option<StageIndex>;

    /// The next instant at which it wants a tick even if nothing else changes.
    fn poll_at(&self, now: Instant) -> Option<Instant>;

    /// Whether `decide` reads the demand estimate or the neighbours' reports
    /// ([`Inputs::estimate`], [`Inputs::neighbours`]): a simulation of a network where no
    /// controller does runs no estimators.
    fn reads_estimate(&self) -> bool {
        true
    }

    /// Its forecast of departures onto each outgoing link, if it makes one.
    fn outflow(&self) -> Option<&Outflow> {
        None
    }

    /// Why the greens it is ending end: set when it decides to leave a stage, kept through the
    /// change to the next; `None` when it does not say.
    fn termination(&self) -> Option<Termination> {
        None
    }

    /// Whether the stage it asks for is asked for on its wait bound (a group with a queue or
    /// a pedestrian call has waited as long as it may), kept until that stage runs: transit
    /// priority then neither holds the running green nor brings another forward.
    fn on_wait_bound(&self) -> bool {
        false
    }

    /// Whether it brings a bus's stage forward itself where that pays (transit priority then
    /// grants no early green of its own, only green extension).
    fn brings_buses_forward(&self) -> bool {
        false
    }

    /// Whether the stage it asks for is a bus's brought forward (kept until that stage runs).
    fn bringing_bus_forward(&self) -> bool {
        false
    }

    /// The latest instant the running stage may end for its wait bound, when a group waits:
    /// a walk recycled in it must be over by then ([`Sequencer::end_walks_by`]).
    fn walks_by(&self) -> Option<Instant> {
        None
    }

    /// While a change to a stage runs: the latest instant that stage may end for the wait
    /// bound, so that a walk called during the change joins its green only if it is over by
    /// then ([`Sequencer::end_entering_walks_by`]); `None`: it joins.
    fn entering_walks_by(&self) -> Option<Instant> {
        None
    }

    /// Whether transit priority may keep `stage` green until `until`, bringing it forward when
    /// it is not running, and still let every group waiting outside it have its green within
    /// the controller's wait bound; `None` for a controller without a wait bound of its own
    /// (priority then applies `[priority] max_wait_s`).
    fn priority_fits(
        &self,
        _now: Instant,
        _sequencer: &Sequencer,
        _stage: StageIndex,
        _until: Instant,
    ) -> Option<bool> {
        None
    }
}
