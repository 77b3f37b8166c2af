//! The wiring sections of a cabinet of commodity I/O modules (`[[modules]]`, `[lamps]`,
//! `[feedback]`, `[detectors]`): resolved against the profiles and the site, and judged against
//! the control loop's timing: the poll fast enough for every loop (the rule of
//! [`crate::fieldio::coils::presence`]) and the keep-alive well inside every module's watchdog.

use std::path::Path;
use std::sync::Arc;

use greenwave_controllers::site::Site;

use super::{ClockSource, DaemonSpec, Found};
use crate::fieldio::coils::presence::max_poll_period_s;
use crate::fieldio::coils::wiring::{CoilCabinet, WiringSpec};

/// Whether the config wires modules (any of the wiring sections).
pub(super) fn wired(spec: &DaemonSpec) -> bool {
    !(spec.modules.is_empty()
        && spec.lamps.is_empty()
        && spec.feedback.is_empty()
        && spec.detectors.is_empty())
}

/// The wiring, or `None` with every problem recorded.
pub(super) fn resolve(
    path: &Path,
    spec: &DaemonSpec,
    site: &Site,
    found: &mut Found,
) -> Option<Arc<CoilCabinet>> {
    if spec.modules.is_empty() {
        found.push(
            "modules: missing; [lamps], [feedback] and [detectors] name terminals of [[modules]]",
        );
        return None;
    }
    if spec.registers != crate::fieldio::regmap::RegisterMapSpec::default() {
        found.push("registers: a cabinet of [[modules]] has no register map");
    }
    if spec.control.clock == ClockSource::Cabinet {
        found.push(
            "control.clock: `cabinet` needs the reference map's clock_ds; I/O modules have none",
        );
    }
    let wiring = WiringSpec {
        modules: &spec.modules,
        lamps: &spec.lamps,
        feedback: &spec.feedback,
        detectors: &spec.detectors,
    };
    match CoilCabinet::resolve(path, site, &wiring) {
        Ok(c) => Some(c),
        Err(problems) => {
            for p in problems {
                found.push(p);
            }
            None
        }
    }
}

/// The poll against every loop, the keep-alive against every watchdog.
pub(super) fn timing(spec: &DaemonSpec, site: &Site, coils: &CoilCabinet, found: &mut Found) {
    let poll_s = 1.0 / spec.control.tick_hz;
    for a in &site.approaches {
        for d in a.detectors.iter().filter(|d| d.kind.is_vehicle_loop()) {
            let wired = coils
                .detectors
                .get(usize::from(d.channel))
                .is_some_and(Option::is_some);
            let max = max_poll_period_s(d.length_m, a.speed_mps);
            if wired && poll_s > max {
                found.push(format!(
                    "control.tick_hz: {} Hz polls every {:.0} ms, too slow for detector {} \
                     (channel {}): a {} m loop at {:.0} km/h needs a poll every {:.0} ms or \
                     faster ({:.1} Hz), so that every vehicle is seen",
                    spec.control.tick_hz,
                    poll_s * 1000.0,
                    d.id,
                    d.channel,
                    d.length_m,
                    a.speed_mps * 3.6,
                    max * 1000.0,
                    1.0 / max
                ));
            }
        }
    }
    let keepalive_ms = spec.cabinet.watchdog_s * 1000.0;
    for (i, m) in coils.modules.iter().enumerate() {
        if let Some(ms) = m.watchdog_ms
            && f64::from(ms) < 2.0 * keepalive_ms.max(poll_s * 1000.0)
        {
            found.push(format!(
                "modules[{i}].watchdog_ms: {ms} ms is less than twice the keep-alive period \
                 (cabinet.watchdog_s, {keepalive_ms:.0} ms) or the poll: module `{}` would cut \
                 its lamps in normal running",
                m.name
            ));
        }
    }
}

/// Worth an engineer's attention, not refused.
pub(super) fn warnings(site: &Site, coils: &CoilCabinet) -> Vec<String> {
    coils
        .split_groups(site)
        .into_iter()
        .map(|g| {
            format!(
                "lamps.{g}: the group's lamps are on more than one module, so its changes are \
                 two requests, not one"
            )
        })
        .collect()
}
