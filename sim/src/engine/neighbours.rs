//! What every intersection tells its neighbours at the start of a step: its report on each
//! approach link (queues, counted arrivals), and its outflow forecast as arrivals at the next
//! stop lines from now (dispersed when the forecast was made, `crate::forecast`). The maps keep
//! their keys from one step to the next and are updated in place: the reports by position, in
//! the order of their links, laid out again only when the set of links reported changes; every
//! junction finds the reports on the links it feeds by that position too.

use std::collections::BTreeMap;

use greenwave_controllers::Instant;
use greenwave_controllers::estimate::LinkReport;

use super::Simulation;
use crate::signals::Junction;

impl Simulation {
    /// Fills `neighbours` with what the junctions said in the last step.
    pub(super) fn gather_neighbours(&mut self) {
        let now = self.now;
        let reported: usize = self.junctions.iter().map(|j| j.reports.len()).sum();
        if reported != self.report_of.len() {
            self.lay_out_reports();
        }
        for (flat, &(j, a)) in self.reports.iter_mut().zip(&self.report_of) {
            *flat = self.junctions[j].reports[a];
        }
        for (r, flat) in self.neighbours.links.values_mut().zip(&self.reports) {
            *r = *flat;
        }
        // Every forecast link updated in place (a link has one upstream junction, so it is in one
        // forecast at most); when the set of links changed, filled anew. A forecast whose
        // stamp is the one last copied is there already (its links too: the map holds the
        // links of the step before).
        let arrivals = &mut self.neighbours.arrivals;
        let mut updated = 0;
        let mut complete = true;
        for (j, junction) in self.junctions.iter().enumerate() {
            let stamp = junction.forecast.stamp(now);
            let copied = std::mem::replace(&mut self.forecast_copied[j], stamp);
            if stamp.is_some() && stamp == copied {
                updated += junction.forecast.dispersed.len();
                continue;
            }
            for (l, from_now) in forecast_from_now(junction, now) {
                match arrivals.get_mut(self.links[l].id.as_str()) {
                    Some(a) => {
                        a.clear();
                        a.extend_from_slice(from_now);
                        updated += 1;
                    }
                    None => complete = false,
                }
            }
        }
        if complete && updated == arrivals.len() {
            return;
        }
        *arrivals = (self.junctions.iter())
            .flat_map(|j| forecast_from_now(j, now))
            .map(|(l, from_now)| (self.links[l].id.clone(), from_now.to_vec()))
            .collect();
    }
}

impl Simulation {
    /// Orders the reports by link id (as in `neighbours.links`) and points every junction at
    /// the reports on the links it feeds.
    fn lay_out_reports(&mut self) {
        let mut by_link = BTreeMap::new();
        for (j, junction) in self.junctions.iter().enumerate() {
            for (a, (link, _)) in junction.estimator.link_reports().enumerate() {
                // A link has one downstream junction; were it reported twice, the last stands.
                by_link.insert(link.to_owned(), (j, a));
            }
        }
        self.report_of = by_link.values().copied().collect();
        self.reports = vec![LinkReport::default(); by_link.len()];
        let links: Vec<String> = by_link.into_keys().collect();
        for junction in &mut self.junctions {
            junction.downstream = junction
                .estimator
                .out_links()
                .iter()
                .map(|l| links.binary_search(l).ok())
                .collect();
        }
        self.neighbours.links = links
            .into_iter()
            .map(|l| (l, LinkReport::default()))
            .collect();
    }
}

/// A junction's dispersed forecast from `now` on, by link index.
fn forecast_from_now(junction: &Junction, now: Instant) -> impl Iterator<Item = (usize, &[f64])> {
    let age = junction.forecast.age(now);
    junction
        .forecast
        .dispersed
        .iter()
        .filter_map(move |(l, d)| {
            let age = age?;
            Some((*l, &d[age.min(d.len())..]))
        })
}
