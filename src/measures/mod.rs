//! Signal performance measures from Indiana hi-res event logs, as traffic engineers judge signals
//! (ATSPM): the split monitor, the coordination diagram, arrivals on green and platoon ratio,
//! split failures (5-second method), pedestrian delay, and an equity table of waits per
//! approach. Read forgivingly ([`parse`]): bad lines
//! are skipped with their reason, the rest is measured. `greenwave report` writes them as HTML
//! ([`html`]), CSV and JSON.

pub mod approach;
pub mod chart;
mod compare;
pub mod export;
mod files;
pub mod html;
pub mod layout;
pub mod parse;
pub mod pcd;
pub mod pedestrian;
pub mod phase;
pub mod split_monitor;
#[cfg(test)]
mod tests;
pub mod timeline;

pub use files::{read_logs, site_of, zone_outliers};

use greenwave_controllers::site::Site;

use approach::ApproachMeasures;
use layout::Layout;
use parse::{SiteLog, Skipped};
use phase::PhaseMeasures;
use timeline::Timeline;

/// One intersection's measures.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SiteMeasures {
    /// The intersection.
    pub site: String,
    /// Events used.
    pub events: usize,
    /// Hours of log.
    pub hours: f64,
    /// Per phase, for the phases with cycles or arrivals.
    pub phases: Vec<PhaseMeasures>,
    /// Per approach.
    pub approaches: Vec<ApproachMeasures>,
    /// Per pedestrian phase.
    pub pedestrians: Vec<pedestrian::PedMeasures>,
    /// Lines skipped, and why.
    pub skipped: Vec<Skipped>,
    /// Other things a reader should know (detectors that call no phase, ...).
    pub notes: Vec<String>,
}

/// The measures of `site` from its `log`.
pub fn analyse(site: &Site, log: &SiteLog) -> SiteMeasures {
    let layout = Layout::new(site);
    let timeline = Timeline::new(&log.events);
    let mut phases: Vec<u16> = timeline.cycles.keys().copied().collect();
    phases.extend(layout.advance.keys());
    phases.sort_unstable();
    phases.dedup();
    let phases: Vec<PhaseMeasures> = phases
        .into_iter()
        .map(|p| phase::measure(p, &timeline, &layout))
        .collect();
    let approaches = layout
        .approaches
        .iter()
        .map(|a| approach::measure(a, &timeline, &phases))
        .collect();
    let notes = layout
        .uncalled
        .iter()
        .map(|d| format!("detector {d} calls no phase: its events are left out"))
        .collect();
    SiteMeasures {
        site: site.id.clone(),
        events: log.events.len(),
        hours: timeline.span.map_or(0.0, |(a, b)| (b - a) / 3600.0),
        phases,
        approaches,
        pedestrians: pedestrian::measure(&timeline),
        skipped: log.skipped.clone(),
        notes,
    }
}
