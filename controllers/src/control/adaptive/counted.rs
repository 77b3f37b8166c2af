//! Departures counted at the stop line, for the recent past of the outflow: each stop-bar
//! loop's count since the last decision, shared among the movements of its lane, onto the links
//! they feed. What crossed the stop line is a better start for the downstream neighbour's
//! arrival forecast than what was forecast to leave: the queue model's departures fall short
//! wherever a queue is underestimated.
//!
//! A loop counts a vehicle when it drives onto it, and the first vehicle of a queue stands on
//! it through the red: counts taken while none of the lane's movements has green are held until
//! one has, when that vehicle leaves. Counts over a gap between decisions (a hand-over, flash)
//! are spread over the gap's seconds rather than heaped into one. A lane's count is shared
//! among its movements by their turning ratios, each divided among the lanes that serve it (a
//! right turn of 0.15 has 0.15 of its shared lane; a through movement of 0.7 over two lanes,
//! 0.35). A link fed by a lane without a healthy stop-bar loop (none fitted, or a faulty one)
//! keeps the forecast departures for its past (`departures`).

use std::collections::BTreeSet;

use super::Adaptive;
use crate::control::Inputs;
use crate::corridor::DetectorKind;
use crate::detector::counted_since;
use crate::model::{GroupIndex, PerTurn, SignalState};
use crate::site::Site;
use crate::time::{Duration, Instant};

/// One stop-bar loop and where the vehicles it counts go.
#[derive(Clone, Debug)]
pub(super) struct StopBarFeed {
    approach: usize,
    channel: usize,
    /// The movements of its lane: turn index (left, through, right), how many lanes of the
    /// approach serve that turn, its signal group and its outgoing link.
    movements: Vec<LaneMovement>,
    /// Vehicles counted at red, waiting for the lane's green.
    held: f64,
}

#[derive(Clone, Debug)]
struct LaneMovement {
    turn: usize,
    lanes: usize,
    group: Option<GroupIndex>,
    onto: String,
}

/// The stop-bar loops of `site` (the first of each lane), and the outgoing links fed by a lane
/// that has none.
pub(super) fn stop_bar_feeds(site: &Site) -> (Vec<StopBarFeed>, BTreeSet<String>) {
    let mut feeds: Vec<StopBarFeed> = Vec::new();
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
        let mut lanes_done = BTreeSet::new();
        for d in &approach.detectors {
            if d.kind != DetectorKind::StopBar || !lanes_done.insert(d.lane) {
                continue;
            }
            let movements = approach
                .movements
                .iter()
                .filter(|m| m.lanes.contains(&d.lane))
                .filter_map(|m| {
                    m.turn.index().map(|turn| LaneMovement {
                        turn,
                        lanes: m.lanes.len().max(1),
                        group: m.group,
                        onto: m.onto.clone(),
                    })
                })
                .collect();
            feeds.push(StopBarFeed {
                approach: a,
                channel: usize::from(d.channel),
                movements,
                held: 0.0,
            });
        }
    }
    (feeds, uncountable)
}

/// Each movement's share of its lane's count, from the approach's turning ratios (per turn,
/// through, right), each divided among the lanes that serve the turn.
fn lane_shares(movements: &[LaneMovement], turning: &PerTurn<f64>) -> Vec<f64> {
    let weights: Vec<f64> = movements
        .iter()
        .map(|m| turning[m.turn] / m.lanes as f64)
        .collect();
    let total: f64 = weights.iter().sum();
    if total > 0.0 {
        weights.iter().map(|w| w / total).collect()
    } else {
        vec![1.0 / movements.len().max(1) as f64; movements.len()]
    }
}

impl Adaptive {
    /// Counts the departures since the last decision (at `last`, if any) into the outflow's
    /// history, with `shown` on the heads; links that cannot be counted now go back to the
    /// forecasts. Reads the counts of `last_counts`, which the caller brings up to date
    /// afterwards.
    pub(super) fn count_departures(
        &mut self,
        now: Instant,
        last: Option<Instant>,
        inputs: &Inputs<'_>,
        shown: &SignalState,
    ) {
        // A gap between decisions: its counts go evenly over its seconds.
        let gap = last.map_or(0.0, |t| (now - t).as_secs_f64());
        let seconds = if gap > 1.5 { gap.ceil() as u32 } else { 1 };
        let mut broken = Vec::new();
        for (i, feed) in self.stop_bars.iter_mut().enumerate() {
            let healthy = inputs
                .estimate
                .detectors
                .iter()
                .find(|h| usize::from(h.channel) == feed.channel)
                .is_none_or(|h| h.fault.is_none());
            let (Some(sample), Some(est), true) = (
                inputs.detectors.get(feed.channel),
                inputs.estimate.approaches.get(feed.approach),
                healthy,
            ) else {
                feed.held = 0.0;
                broken.push(i);
                continue;
            };
            let Some(before) = self.last_counts.get(feed.channel).copied().flatten() else {
                continue;
            };
            feed.held += f64::from(counted_since(sample.count, before));
            // A movement no signal group governs is never held.
            let green = feed
                .movements
                .iter()
                .any(|m| m.group.is_none_or(|g| shown.get(g).is_go()));
            // Counted at red: held until the green lets the vehicle go.
            let n = if green {
                std::mem::take(&mut feed.held)
            } else {
                0.0
            };
            let shares = lane_shares(&feed.movements, &est.turning);
            for (m, share) in feed.movements.iter().zip(shares) {
                for s in 0..seconds {
                    let at = now - Duration::from_secs(u64::from(s));
                    self.history
                        .count(at, &m.onto, n * share / f64::from(seconds));
                }
            }
        }
        for &i in &broken {
            for m in &self.stop_bars[i].movements {
                self.history.uncount(&m.onto);
            }
        }
        for link in &self.uncountable {
            self.history.uncount(link);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Turn, left_through_right as ltr};

    const THROUGH: usize = Turn::Through.index().unwrap();
    const RIGHT: usize = Turn::Right.index().unwrap();

    fn movement(turn: usize, lanes: usize) -> LaneMovement {
        LaneMovement {
            turn,
            lanes,
            group: None,
            onto: String::new(),
        }
    }

    #[test]
    fn a_shared_lane_is_shared_by_each_turns_flow_per_lane() {
        // Through 0.7 over two lanes, right 0.15 in the shared one: 0.35 against 0.15.
        let shares = lane_shares(
            &[movement(THROUGH, 2), movement(RIGHT, 1)],
            &ltr(0.0, [0.15, 0.7, 0.15]),
        );
        assert!((shares[0] - 0.7).abs() < 1e-9, "{shares:?}");
        assert!((shares[1] - 0.3).abs() < 1e-9, "{shares:?}");
    }

    #[test]
    fn a_lane_of_turns_nobody_takes_shares_its_count_evenly() {
        let shares = lane_shares(
            &[movement(THROUGH, 1), movement(RIGHT, 1)],
            &ltr(0.0, [1.0, 0.0, 0.0]),
        );
        assert_eq!(shares, vec![0.5, 0.5]);
    }
}
