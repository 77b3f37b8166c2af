//! What a site tells the upstream end of each of its approach links: the queue a vehicle sent
//! down that link joins (for max-pressure upstream, Varaiya 2013) and the flow counted arriving
//! on it (for the upstream site's turning ratios). Sent over MQTT in the daemon, handed over
//! directly in the simulator.

use serde::{Deserialize, Serialize};

/// One approach link's report, from the site at its downstream end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkReport {
    /// Vehicles queued per lane on the approach.
    pub queue_per_lane: f64,
    /// Vehicles queued per lane of each movement, weighted by the approach's turning ratios:
    /// `sum over turns t of r_t q_t / n_t` (`n_t` lanes serve turn `t`), the downstream term of
    /// a movement's pressure upstream.
    pub weighted_queue_per_lane: f64,
    /// Usual arrival flow counted at the approach's advance loops, veh/h.
    pub arrival_veh_h: f64,
}
