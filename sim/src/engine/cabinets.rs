//! The simulation seen as a row of signal cabinets: each intersection behind a cabinet that an
//! external controller (the daemon, over Modbus) commands, with the cabinet's own watchdog,
//! local fallback plan and conflict monitor ([`crate::cabinet`]).

use greenwave_controllers::Duration;
use greenwave_controllers::detector::DetectorSample;
use greenwave_controllers::model::SignalState;

use super::Simulation;
use crate::cabinet::{Cabinet, CabinetCommand, CabinetStatus};

impl Simulation {
    /// The intersections' site ids, in corridor order (the index is the `site` of the other
    /// cabinet methods).
    pub fn sites(&self) -> Vec<&str> {
        self.junctions.iter().map(|j| j.site.as_str()).collect()
    }

    /// Puts every intersection behind a cabinet: from now on it runs its own controller (the
    /// local fallback plan) until an external controller takes over through
    /// [`Simulation::command_cabinet`], and falls back when that controller's watchdog stops
    /// changing for `watchdog_timeout`.
    pub fn install_cabinets(&mut self, watchdog_timeout: Duration) {
        let now = self.now;
        for j in &mut self.junctions {
            j.cabinet = Some(Cabinet::new(j.ix.clone(), watchdog_timeout, now));
        }
    }

    /// Hands intersection `site` what its external controller last wrote; it takes effect at
    /// the next step. Ignored for a site out of range or without a cabinet.
    pub fn command_cabinet(&mut self, site: usize, command: &CabinetCommand) {
        let now = self.now;
        if let Some(cabinet) = self
            .junctions
            .get_mut(site)
            .and_then(|j| j.cabinet.as_mut())
        {
            cabinet.command(now, command);
        }
    }

    /// The cabinet status of intersection `site`, if it has a cabinet.
    pub fn cabinet_status(&self, site: usize) -> Option<CabinetStatus> {
        self.junctions
            .get(site)
            .and_then(|j| j.cabinet.as_ref())
            .map(Cabinet::status)
    }

    /// What intersection `site`'s heads show.
    pub fn shown_at(&self, site: usize) -> Option<&SignalState> {
        self.junctions.get(site).map(|j| &j.shown)
    }

    /// Intersection `site`'s latest detector samples, by cabinet channel.
    pub fn samples_at(&self, site: usize) -> Option<&[DetectorSample]> {
        self.junctions.get(site).map(|j| j.samples.as_slice())
    }

    /// Interlock (conflict monitor) trips so far, over every intersection.
    pub fn monitor_trips(&self) -> u32 {
        self.junctions.iter().map(|j| j.trips).sum()
    }

    /// The first trip of each junction whose monitor tripped, described.
    pub fn monitor_trip_descriptions(&self) -> Vec<String> {
        self.junctions
            .iter()
            .filter_map(|j| j.first_trip.clone())
            .collect()
    }
}
