//! Departures counted at the stop line, for the recent past of the outflow: each stop-bar
//! loop's count since the last decision, shared among the movements of its lane by the
//! estimated turning ratios, onto the links they feed. What really left is a better start for
//! the downstream neighbour's arrival forecast than what was forecast to leave: the queue
//! model's departures fall short wherever a queue is underestimated. A link fed by a lane
//! without a healthy stop-bar loop (none fitted, or a faulty one) keeps the forecast
//! departures for its past (`departures`).

use std::collections::BTreeSet;

use super::Adaptive;
use crate::control::Inputs;
use crate::corridor::DetectorKind;
use crate::detector::counted_since;
use crate::site::Site;
use crate::time::Instant;

/// One stop-bar loop and where the vehicles it counts go.
#[derive(Clone, Debug)]
pub(super) struct StopBarFeed {
    approach: usize,
    channel: usize,
    /// The movements of its lane: turn index (left, through, right) and outgoing link.
    movements: Vec<(usize, String)>,
}

/// The stop-bar loops of `site`, and the outgoing links fed by a lane that has none.
pub(super) fn stop_bar_feeds(site: &Site) -> (Vec<StopBarFeed>, BTreeSet<String>) {
    let mut feeds = Vec::new();
    let mut uncountable = BTreeSet::new();
    for (a, approach) in site.approaches.iter().enumerate() {
        for m in &approach.movements {
            if m.turn.index().is_some()
                && m.lanes
                    .iter()
                    .any(|&l| approach.detector(l, DetectorKind::StopBar).is_none())
            {
                uncountable.insert(m.onto.clone());
            }
        }
        for d in &approach.detectors {
            if d.kind != DetectorKind::StopBar {
                continue;
            }
            let movements = approach
                .movements
                .iter()
                .filter(|m| m.lanes.contains(&d.lane))
                .filter_map(|m| m.turn.index().map(|t| (t, m.onto.clone())))
                .collect();
            feeds.push(StopBarFeed {
                approach: a,
                channel: usize::from(d.channel),
                movements,
            });
        }
    }
    (feeds, uncountable)
}

impl Adaptive {
    /// Counts the departures since the last decision into the outflow's history; links that
    /// cannot be counted now go back to the forecasts. Reads the counts of `last_counts`, which
    /// the caller brings up to date afterwards.
    pub(super) fn count_departures(&mut self, now: Instant, inputs: &Inputs<'_>) {
        let mut broken = self.uncountable.clone();
        for feed in &self.stop_bars {
            let healthy = inputs
                .estimate
                .detectors
                .iter()
                .find(|h| usize::from(h.channel) == feed.channel)
                .is_none_or(|h| h.fault.is_none());
            let (Some(sample), Some(est)) = (
                inputs.detectors.get(feed.channel),
                inputs.estimate.approaches.get(feed.approach),
            ) else {
                broken.extend(feed.movements.iter().map(|(_, link)| link.clone()));
                continue;
            };
            if !healthy {
                broken.extend(feed.movements.iter().map(|(_, link)| link.clone()));
                continue;
            }
            let Some(before) = self.last_counts.get(feed.channel).copied().flatten() else {
                continue;
            };
            let n = f64::from(counted_since(sample.count, before));
            // Shared among the lane's movements by the approach's turning ratios.
            let total: f64 = feed.movements.iter().map(|&(t, _)| est.turning[t]).sum();
            for (t, link) in &feed.movements {
                let share = if total > 0.0 {
                    est.turning[*t] / total
                } else {
                    1.0 / feed.movements.len() as f64
                };
                self.history.count(now, link, n * share);
            }
        }
        for link in &broken {
            self.history.uncount(link);
        }
    }
}
