//! Pedestrians at one signalised crossing: they arrive (Poisson), press the button, wait, step
//! off on the walk (steady walk only: not on a flashing don't walk or flashing green) and cross
//! at their own walking speed, drawn from a normal distribution whose 15th percentile is
//! 1.07 m/s (3.5 ft/s, the MUTCD design speed), mean 1.35 m/s, none slower than 0.76 m/s
//! (2.5 ft/s). A pedestrian walking at least the crossing's design speed (its length over its
//! clearance time) who is still in the crossing when a conflicting green begins is counted as
//! caught: a safety failure, like a vehicle crossing on red. Slower pedestrians caught so are
//! counted apart: the design does not promise them the time.

use rand_distr::{Distribution, Normal};
use std::collections::VecDeque;

use greenwave_controllers::model::{Aspect, GroupIndex, Intersection, SignalState};

use crate::arrivals::Arrivals;
use crate::metrics::{CrossingSummary, DelayStats};

/// Mean walking speed, m/s.
const MEAN_SPEED: f64 = 1.35;
/// Its spread: the 15th percentile (z = -1.036) is 1.07 m/s.
const SD_SPEED: f64 = 0.27;
/// The slowest pedestrians (2.5 ft/s).
const MIN_SPEED: f64 = 0.76;
/// A crossing whose length the intersection does not give: two lanes each way.
pub(super) const DEFAULT_LENGTH_M: f64 = 14.0;

/// Pedestrians at one signalised crossing.
pub(super) struct Crossing {
    pub junction: u32,
    pub group: GroupIndex,
    pub arrivals: Arrivals,
    /// When each waiting pedestrian arrived.
    pub waiting: VecDeque<f64>,
    /// The push button's cabinet channel, if the corridor has one.
    pub button: Option<u8>,
    pub presses: u32,
    /// Curb to far side, m.
    pub length_m: f64,
    /// The groups whose go may not begin while someone crosses.
    pub conflicting: Vec<GroupIndex>,
    /// When each pedestrian now crossing reaches the far side, and whether they walk at least
    /// the design speed.
    pub crossing: Vec<(f64, bool)>,
    /// The design walking speed, m/s (0 when the intersection gives no clearance time).
    pub design_speed: f64,
    /// Whether a conflicting group showed go at the last step.
    pub conflict_go: bool,
    /// Waits of those who stepped off.
    pub waits: Vec<f64>,
    /// Walking speeds.
    speed: Normal<f64>,
    /// Pedestrians at design speed caught in the crossing by a conflicting green.
    pub caught: u64,
    /// Slower pedestrians caught so.
    pub slow_caught: u64,
}

impl Crossing {
    /// A crossing of `group` at junction `junction` (intersection `ix`).
    pub fn new(
        junction: u32,
        ix: &Intersection,
        group: GroupIndex,
        arrivals: Arrivals,
        button: Option<u8>,
    ) -> Crossing {
        let timing = ix.group(group).pedestrian;
        let length_m = timing
            .and_then(|p| p.crossing_m())
            .unwrap_or(DEFAULT_LENGTH_M);
        let clearance = timing.map_or(0.0, |p| p.clearance.as_secs_f64());
        let design_speed = if clearance > 0.0 {
            length_m / clearance
        } else {
            0.0
        };
        let conflicting = ix
            .group_indices()
            .filter(|&c| ix.intergreen(group, c).is_some())
            .collect();
        Crossing {
            junction,
            group,
            arrivals,
            waiting: VecDeque::new(),
            button,
            presses: 0,
            length_m,
            conflicting,
            crossing: Vec::new(),
            design_speed,
            speed: Normal::new(MEAN_SPEED, SD_SPEED).expect("a valid distribution"),
            conflict_go: false,
            waits: Vec::new(),
            caught: 0,
            slow_caught: 0,
        }
    }

    /// One step to `t_end` (from `t`) with `shown` at the crossing's junction.
    pub fn step(&mut self, t: f64, t_end: f64, shown: &SignalState) {
        while let Some(at) = self.arrivals.pop_before(t_end) {
            self.waiting.push_back(at);
            self.presses += 1;
        }
        let conflict_go = self.conflicting.iter().any(|&c| shown.get(c).is_go());
        if conflict_go && !self.conflict_go {
            for &(_, at_design) in self.crossing.iter().filter(|(end, _)| *end > t) {
                if at_design {
                    self.caught += 1;
                } else {
                    self.slow_caught += 1;
                }
            }
        }
        self.conflict_go = conflict_go;
        self.crossing.retain(|&(end, _)| end > t);
        if shown.get(self.group) == Aspect::Green {
            while let Some(at) = self.waiting.pop_front() {
                self.waits.push((t - at).max(0.0));
                let v = self.speed.sample(self.arrivals.rng()).max(MIN_SPEED);
                self.crossing
                    .push((t + self.length_m / v, v >= self.design_speed - 1e-9));
            }
        }
    }

    /// Its pedestrians' waits, those still waiting at `end` included.
    pub fn summary(&self, end: f64, site: &str, ix: &Intersection) -> CrossingSummary {
        let mut waits = self.waits.clone();
        waits.extend(self.waiting.iter().map(|&at| (end - at).max(0.0)));
        CrossingSummary {
            intersection: site.to_owned(),
            group: ix.group(self.group).id.clone(),
            wait: DelayStats::from(waits, 0.0),
        }
    }
}
