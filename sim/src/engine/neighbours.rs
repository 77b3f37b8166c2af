//! What every intersection tells its neighbours at the start of a step: its report on each
//! approach link (queues, counted arrivals), and its outflow forecast as arrivals at the next
//! stop lines from now (dispersed when the forecast was made, `crate::forecast`). The maps keep
//! their keys from one step to the next and are updated in place.

use greenwave_controllers::Instant;

use super::Simulation;
use crate::signals::Junction;

impl Simulation {
    /// Fills `neighbours` with what the junctions said in the last step.
    pub(super) fn gather_neighbours(&mut self) {
        let now = self.now;
        let reports = &mut self.neighbours.links;
        for j in &self.junctions {
            for (link, report) in j.estimator.link_reports() {
                match reports.get_mut(link) {
                    Some(r) => *r = report,
                    None => {
                        reports.insert(link.to_owned(), report);
                    }
                }
            }
        }
        // Every forecast link updated in place (a link has one upstream junction, so it is in one
        // forecast at most); when the set of links changed, filled anew.
        let arrivals = &mut self.neighbours.arrivals;
        let mut updated = 0;
        let mut complete = true;
        for (l, from_now) in forecasts_from_now(&self.junctions, now) {
            match arrivals.get_mut(self.links[l].id.as_str()) {
                Some(a) => {
                    a.clear();
                    a.extend_from_slice(from_now);
                    updated += 1;
                }
                None => complete = false,
            }
        }
        if complete && updated == arrivals.len() {
            return;
        }
        *arrivals = forecasts_from_now(&self.junctions, now)
            .map(|(l, from_now)| (self.links[l].id.clone(), from_now.to_vec()))
            .collect();
    }
}

/// Each junction's dispersed forecast from `now` on, by link index, in junction order.
fn forecasts_from_now(
    junctions: &[Junction],
    now: Instant,
) -> impl Iterator<Item = (usize, &[f64])> + '_ {
    junctions.iter().flat_map(move |j| {
        let age = j.forecast.age(now);
        j.forecast.dispersed.iter().filter_map(move |(l, d)| {
            let age = age?;
            Some((*l, &d[age.min(d.len())..]))
        })
    })
}
