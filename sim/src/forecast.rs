//! What one junction's outflow forecast becomes at the next stop lines: its departures onto
//! each outgoing link, dispersed along the link (Robertson's platoon dispersion), kept from one
//! step to the next. A forecast changes only when its controller decides anew (it says when it
//! made it); between two decisions only its age grows, a whole second at a time, so the
//! dispersion is redone only for a new forecast.

use std::collections::BTreeMap;

use greenwave_controllers::Instant;
use greenwave_controllers::control::Outflow;
use greenwave_controllers::estimate::dispersion;

use crate::net::SimLink;

/// The dispersed forecast of one junction.
#[derive(Default)]
pub(crate) struct Forecast {
    /// When the outflow it was made from starts, and when that was made.
    source: Option<(Instant, Instant)>,
    /// Arrivals per one-second bin from the outflow's start, by link index.
    pub dispersed: Vec<(usize, Vec<f64>)>,
}

impl Forecast {
    /// Brings the dispersed forecast up to date with `outflow`; links that are exits or not in
    /// the network get none.
    pub fn refresh(
        &mut self,
        outflow: Option<&Outflow>,
        links: &[SimLink],
        link_index: &BTreeMap<String, usize>,
    ) {
        let source = outflow.map(|o| (o.from, o.made));
        if source == self.source {
            return;
        }
        self.source = source;
        self.dispersed.clear();
        let Some(outflow) = outflow else {
            return;
        };
        for (link_id, departures) in &outflow.by_link {
            let Some(&l) = link_index.get(link_id) else {
                continue;
            };
            let link = &links[l];
            if link.is_exit() {
                continue;
            }
            let travel_s = f64::from(link.length / link.speed);
            self.dispersed
                .push((l, dispersion::disperse(departures, travel_s)));
        }
    }

    /// What the forecast from `now` on depends on: its source and its age (equal stamps,
    /// equal forecasts).
    pub fn stamp(&self, now: Instant) -> Option<(Instant, Instant, usize)> {
        let (from, made) = self.source?;
        Some((from, made, self.age(now)?))
    }

    /// Whole seconds since the forecast's first bin at `now`, if there is one.
    pub fn age(&self, now: Instant) -> Option<usize> {
        let (from, _) = self.source?;
        Some((now - from).as_secs_f64().round() as usize)
    }
}
