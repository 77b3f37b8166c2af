//! Transit signal priority rules of an intersection: how far a green may be held or brought
//! forward for a bus, which buses qualify (conditional priority), what a bus carries when its
//! request does not say, and how long the other approaches may take to recover.

use crate::error::Collector;
use crate::time::Duration;

use super::spec::PrioritySpec;

/// People in a car, for person delay when nothing else is known (a common urban figure).
pub const CAR_OCCUPANCY: f64 = 1.3;

/// Validated priority rules.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PriorityRules {
    /// Whether priority runs at all.
    pub enabled: bool,
    /// How long a green may be held past the controller's end of it for a bus.
    pub max_extension: Duration,
    /// A bus due within this long brings its green forward.
    pub early_window: Duration,
    /// Only buses at least this late qualify, whole s.
    pub min_lateness_s: Option<i32>,
    /// Only buses carrying at least this many people qualify.
    pub min_occupancy: Option<u16>,
    /// People on a bus whose request does not say.
    pub bus_occupancy: u16,
    /// The longest recovery after a priority.
    pub recovery_max: Duration,
    /// Under a controller without a wait bound of its own nor a plan cycle, no priority is granted or kept
    /// that would keep a waiting group (a vehicle on its loop at red, a pedestrian call) from
    /// its green longer than this.
    pub max_wait: Duration,
}

impl Default for PriorityRules {
    fn default() -> Self {
        PriorityRules {
            enabled: true,
            max_extension: Duration::from_secs(12),
            early_window: Duration::from_secs(25),
            min_lateness_s: None,
            min_occupancy: None,
            bus_occupancy: 40,
            recovery_max: Duration::from_secs(120),
            max_wait: Duration::from_secs(120),
        }
    }
}

impl PriorityRules {
    /// Why a bus `lateness_s` late (`None`: unknown) with `occupancy` people does not qualify,
    /// or `None` when it does.
    pub fn refusal(&self, lateness_s: Option<f64>, occupancy: f64) -> Option<String> {
        if !self.enabled {
            return Some("priority is off at this intersection".into());
        }
        if let (Some(min), Some(late)) = (self.min_lateness_s, lateness_s)
            && late < f64::from(min)
        {
            return Some(format!(
                "the bus is {late:.0} s late, priority needs {min:.0} s"
            ));
        }
        if let Some(min) = self.min_occupancy
            && occupancy < f64::from(min)
        {
            return Some(format!(
                "the bus carries {occupancy:.0} people, priority needs {min:.0}"
            ));
        }
        None
    }
}

/// Validates `spec`.
pub(crate) fn rules(spec: &PrioritySpec, out: &mut Collector) -> PriorityRules {
    let d = PriorityRules::default();
    let secs = |out: &mut Collector, field: &str, v: Option<f64>, min, max, default: Duration| {
        v.and_then(|s| out.seconds(format!("priority.{field}"), s, min, max))
            .map_or(default, Duration::from_secs_f64)
    };
    let max_extension = secs(
        out,
        "max_extension_s",
        spec.max_extension_s,
        0.0,
        60.0,
        d.max_extension,
    );
    let early_window = secs(
        out,
        "early_window_s",
        spec.early_window_s,
        0.0,
        120.0,
        d.early_window,
    );
    let recovery_max = secs(
        out,
        "recovery_max_s",
        spec.recovery_max_s,
        0.0,
        600.0,
        d.recovery_max,
    );
    let max_wait = secs(out, "max_wait_s", spec.max_wait_s, 30.0, 600.0, d.max_wait);
    let mut people = |field: &str, v: Option<f64>| {
        v.filter(|&n| {
            let ok = n.is_finite() && (0.0..=300.0).contains(&n);
            if !ok {
                out.push(
                    format!("priority.{field}"),
                    format!("{n} people is out of range (0 to 300)"),
                );
            }
            ok
        })
    };
    let min_occupancy = people("min_occupancy", spec.min_occupancy).map(|n| n.round() as u16);
    let bus_occupancy =
        people("bus_occupancy", spec.bus_occupancy).map_or(d.bus_occupancy, |n| n.round() as u16);
    let min_lateness_s = spec
        .min_lateness_s
        .and_then(|s| out.seconds("priority.min_lateness_s", s, -3600.0, 3600.0))
        .map(|s| s.round() as i32);
    PriorityRules {
        enabled: spec.enabled.unwrap_or(true),
        max_extension,
        early_window,
        min_lateness_s,
        min_occupancy,
        bus_occupancy,
        recovery_max,
        max_wait,
    }
}
