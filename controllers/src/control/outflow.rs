//! What a controller tells its downstream neighbours: the departures it sends onto each
//! outgoing link, counted and forecast, in one-second bins (the `outflow` message's content).

use std::collections::BTreeMap;

use crate::time::Instant;

/// Departures onto each outgoing link, vehicles per one-second bin from `from`: the last 90 s
/// as counted at the stop line (as forecast at the time where no healthy loop counts them),
/// then the forecast from now on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outflow {
    /// When bin 0 starts.
    pub from: Instant,
    /// When the forecast was made: a controller makes at most one at an instant, so an outflow
    /// with the same `from` and `made` is the same outflow.
    pub made: Instant,
    /// By outgoing link id.
    pub by_link: BTreeMap<String, Vec<f64>>,
}
