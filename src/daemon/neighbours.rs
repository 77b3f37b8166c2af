//! What the neighbouring daemons tell this one, turned into the controller's [`Neighbours`]:
//! each upstream neighbour's forecast departures onto a link into this site, shifted by the
//! link's travel time and dispersed (Robertson), from now on; and the neighbours' reports on
//! their approach links (queues, counted arrivals). A neighbour heard from longer ago than
//! `silent_after` is silent: its links fall back to local estimation, and an event says so (and
//! again when it is back).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::SystemTime;

use greenwave_controllers::control::Neighbours;
use greenwave_controllers::estimate::dispersion;
use greenwave_controllers::site::Site;
use greenwave_controllers::{Duration, Instant};

use crate::mqtt::payload::OutflowMsg;

/// The neighbours of one site.
pub struct NeighbourForecasts {
    site: Arc<Site>,
    silent_after: Duration,
    /// Whether this daemon follows a cabinet clock shared with its neighbours.
    cabinet_clock: bool,
    latest: BTreeMap<String, (OutflowMsg, Instant)>,
    silent: BTreeSet<String>,
    neighbours: Neighbours,
}

impl NeighbourForecasts {
    /// For `site`; `cabinet_clock` when the daemon follows its cabinet's clock.
    pub fn new(site: Arc<Site>, silent_after: Duration, cabinet_clock: bool) -> Self {
        NeighbourForecasts {
            site,
            silent_after,
            cabinet_clock,
            latest: BTreeMap::new(),
            silent: BTreeSet::new(),
            neighbours: Neighbours::default(),
        }
    }

    /// The sites this one exchanges forecasts with: upstream and downstream neighbours.
    pub fn sites(site: &Site) -> BTreeSet<String> {
        let up = site
            .approaches
            .iter()
            .filter_map(|a| a.upstream_site.clone());
        let down = site
            .approaches
            .iter()
            .flat_map(|a| &a.movements)
            .filter_map(|m| m.downstream_site.clone());
        up.chain(down).filter(|s| *s != site.id).collect()
    }

    /// Takes a neighbour's `outflow`, received at `now`.
    pub fn accept(&mut self, message: OutflowMsg, now: Instant) {
        self.latest.insert(message.site.clone(), (message, now));
    }

    /// The controller's view of the neighbours at `now`, and messages for neighbours that went
    /// silent or came back.
    pub fn update(&mut self, now: Instant, wall: SystemTime) -> (&Neighbours, Vec<String>) {
        let mut notes = Vec::new();
        self.neighbours.arrivals.clear();
        self.neighbours.links.clear();
        for upstream in Self::sites(&self.site) {
            let fresh = self
                .latest
                .get(&upstream)
                .filter(|(_, at)| now - *at <= self.silent_after);
            match fresh {
                None => {
                    if self.silent.insert(upstream.clone()) {
                        notes.push(format!(
                            "neighbour {upstream} silent: local-only estimation on its links"
                        ));
                    }
                }
                Some((message, _)) => {
                    if self.silent.remove(&upstream) {
                        notes.push(format!("neighbour {upstream} heard again"));
                    }
                    let age_s = self.age_s(message, now, wall);
                    for a in &self.site.approaches {
                        if a.upstream_site.as_deref() != Some(upstream.as_str()) {
                            continue;
                        }
                        let Some(departures) = message.by_link.get(&a.link) else {
                            continue;
                        };
                        let travel_s = a.length_m / a.speed_mps.max(0.1);
                        self.neighbours.arrivals.insert(
                            a.link.clone(),
                            dispersion::arrivals_from_now(departures, travel_s, age_s),
                        );
                    }
                    for (link, report) in &message.links {
                        self.neighbours.links.insert(link.clone(), *report);
                    }
                }
            }
        }
        (&self.neighbours, notes)
    }

    /// The neighbours heard from recently, as of the last update.
    pub fn heard(&self) -> Vec<String> {
        Self::sites(&self.site)
            .into_iter()
            .filter(|s| self.latest.contains_key(s) && !self.silent.contains(s))
            .collect()
    }

    /// Whole seconds since the forecast's bin 0.
    fn age_s(&self, message: &OutflowMsg, now: Instant, wall: SystemTime) -> usize {
        let seconds = if self.cabinet_clock && message.clock == "cabinet" {
            now.total_millis().saturating_sub(message.clock_ms) as f64 / 1000.0
        } else {
            humantime::parse_rfc3339(&message.ts)
                .ok()
                .and_then(|sent| wall.duration_since(sent).ok())
                .map_or(0.0, |d| d.as_secs_f64())
        };
        seconds.round() as usize
    }
}
