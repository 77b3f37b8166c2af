//! Pedestrian timing of a signal group: walk, clearance and buffer, as each region's rules have
//! them.
//!
//! - `us` (MUTCD 4I.06): WALK for the walk interval (at least 4 s, 7 s by default), then the
//!   pedestrian change interval, flashing DON'T WALK, as long as the pedestrian clearance time
//!   (crossing length over 1.07 m/s = 3.5 ft/s by default), then steady DON'T WALK with a buffer
//!   interval (3 s by default) before any conflicting green. The change interval ends at or
//!   before the onset of the parallel vehicle amber (the parallel green is held for it) or runs
//!   on into it, as configured. Walk is shown on a push-button call or on recall, timed once per
//!   stage or held while the stage runs (rest in walk).
//! - `eu` (EN 12675, RiLSA) and `post_soviet` (GOST R 52289): pedestrian green with the stage,
//!   then red (post-Soviet: flashing green first); the clearance runs in the intergreen, which
//!   must cover the crossing length over the clearing speed (1.2 m/s by default).

use crate::error::Collector;
use crate::time::Duration;

use super::aspect::Region;
use super::spec::{ChangeInterval, GroupSpec, PedestrianRulesSpec};

/// How a pedestrian group walks and clears.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PedestrianTiming {
    /// The crossing's length in centimetres, if given ([`PedestrianTiming::crossing_m`]).
    pub crossing_cm: Option<u32>,
    /// Time for a pedestrian who stepped off at the end of the walk to cross (`us`: the flashing
    /// don't walk); zero when neither a length nor a time is given.
    pub clearance: Duration,
    /// Steady don't walk between the end of the clearance and any conflicting green (`us`).
    pub buffer: Duration,
    /// Walk, flashing don't walk and don't walk are timed within the stage (`us`).
    pub timed_walk: bool,
    /// The parallel vehicle green is held until the flashing don't walk has ended (`us`,
    /// `change_interval = "before_amber"`).
    pub hold_parallel: bool,
    /// Walk is shown on a push-button call only (`us` without recall).
    pub on_call: bool,
    /// Walk is held while the stage runs (`us`, rest in walk).
    pub rest_in_walk: bool,
}

/// The walking speed the rules give, m/s.
fn walking_speed(region: Region, rules: &PedestrianRulesSpec, out: &mut Collector) -> f64 {
    let default = match region {
        Region::Us => 1.07,
        Region::Eu | Region::PostSoviet => 1.2,
    };
    let speed = rules.walking_speed_m_s.unwrap_or(default);
    if speed.is_finite() && (0.5..=2.5).contains(&speed) {
        speed
    } else {
        out.push(
            "pedestrians.walking_speed_m_s",
            format!("{speed} m/s is out of range (0.5 to 2.5 m/s)"),
        );
        default
    }
}

/// The walk interval of a pedestrian group (its minimum green), s: `walk_s`, else in `us` the
/// minimum green but at least 7 s.
pub(crate) fn walk_s(region: Region, g: &GroupSpec) -> f64 {
    match (region, g.walk_s) {
        (_, Some(walk)) => walk,
        (Region::Us, None) => g.min_green_s.max(7.0),
        (_, None) => g.min_green_s,
    }
}

/// The timing of pedestrian group `g` (at `field`) under `rules`; problems go to `out`.
pub(crate) fn timing(
    region: Region,
    rules: &PedestrianRulesSpec,
    g: &GroupSpec,
    field: &str,
    out: &mut Collector,
) -> PedestrianTiming {
    let speed = walking_speed(region, rules, out);
    let crossing_m = g.crossing_m.filter(|m| {
        let ok = m.is_finite() && (1.0..=100.0).contains(m);
        if !ok {
            out.push(
                format!("{field}.crossing_m"),
                format!("{m} m is out of range (1 to 100 m)"),
            );
        }
        ok
    });
    let clearance_s = match (g.clearance_s, crossing_m) {
        (Some(s), _) => out.seconds(format!("{field}.clearance_s"), s, 1.0, 90.0),
        (None, Some(m)) => Some((m / speed * 10.0).ceil() / 10.0),
        (None, None) => None,
    };
    let us = region == Region::Us;
    if us && clearance_s.is_none() && g.clearance_s.is_none() {
        out.push(
            field,
            format!(
                "pedestrian group `{}` needs `crossing_m` or `clearance_s`: region `us` shows a \
                 flashing don't walk as long as the pedestrian clearance time",
                g.id
            ),
        );
    }
    if let Some(walk) = g.walk_s {
        out.seconds(format!("{field}.walk_s"), walk, 4.0, 120.0);
    }
    for (flag, set) in [("recall", g.recall), ("rest_in_walk", g.rest_in_walk)] {
        if set && !us {
            out.push(
                format!("{field}.{flag}"),
                format!("`{flag}` applies to region `us`; in `{region}` pedestrians walk with their stage"),
            );
        }
    }
    let buffer_s = match rules.buffer_s {
        Some(s) => out
            .seconds("pedestrians.buffer_s", s, 0.0, 10.0)
            .unwrap_or(3.0),
        None if us => 3.0,
        None => 0.0,
    };
    PedestrianTiming {
        crossing_cm: crossing_m.map(|m| (m * 100.0).round() as u32),
        clearance: Duration::from_secs_f64(clearance_s.unwrap_or(0.0)),
        buffer: Duration::from_secs_f64(buffer_s),
        timed_walk: us,
        hold_parallel: us && rules.change_interval == ChangeInterval::BeforeAmber,
        on_call: us && !g.recall,
        rest_in_walk: us && g.rest_in_walk,
    }
}

impl PedestrianTiming {
    /// The crossing's length, m, if given.
    pub fn crossing_m(&self) -> Option<f64> {
        self.crossing_cm.map(|cm| f64::from(cm) / 100.0)
    }

    /// The least intergreen from this group to a conflicting one: the clearance and the buffer.
    pub fn least_intergreen(&self) -> Duration {
        self.clearance + self.buffer
    }
}
