//! The detector configuration ATSPM tools take beside the event log: one row per detector
//! channel and phase it calls, `DeviceId,Phase,Parameter,Function,...` (the columns of the
//! `atspm` package's `detector_config`, then where the detector is). Functions: `Advance`
//! (the loops arrivals on green are counted on: an approach's advance count loops, else its
//! advance loops), `AdvancePresence` (advance loops beside count loops), `Presence` (stop-bar
//! loops, used for split failures), `Pedestrian` (push buttons). Phases and channels are numbered as in the event
//! log ([`super::phase_number`], [`super::channel_number`]).

use std::io::{self, Write};

use greenwave_controllers::corridor::DetectorKind;
use greenwave_controllers::site::Site;

use super::recorder::{channel_number, phase_number};

/// One row of the configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorRow {
    /// The intersection (the event log's device).
    pub device: String,
    /// The phase the detector calls.
    pub phase: u16,
    /// The detector channel, as in the log's detector events.
    pub channel: u16,
    /// `Advance`, `AdvancePresence`, `Presence` or `Pedestrian` ([`function`]).
    pub function: &'static str,
    /// Distance of the loop's downstream edge from the stop line, m.
    pub distance_m: f64,
    /// The approach link.
    pub approach: String,
    /// Lane, from 0 at the left.
    pub lane: u8,
    /// The detector's id in the corridor.
    pub id: String,
}

/// The rows of `sites`, and the ids of detectors that call no phase (left out).
pub fn rows(sites: &[Site]) -> (Vec<DetectorRow>, Vec<String>) {
    let mut rows = Vec::new();
    let mut uncalled = Vec::new();
    for site in sites {
        let by_group = site.group_detectors();
        for approach in &site.approaches {
            let counted = (approach.detectors.iter()).any(|d| d.kind == DetectorKind::AdvanceCount);
            for d in &approach.detectors {
                let phases: Vec<u16> = if d.kind == DetectorKind::AdvanceCount {
                    (approach.lane_groups(d.lane).iter())
                        .map(|g| phase_number(g.get()))
                        .collect()
                } else {
                    (by_group.iter().enumerate())
                        .filter(|(_, ds)| ds.iter().any(|x| x.id == d.id))
                        .map(|(g, _)| phase_number(g))
                        .collect()
                };
                if phases.is_empty() {
                    uncalled.push(format!("{}: {}", site.id, d.id));
                }
                for phase in phases {
                    rows.push(DetectorRow {
                        device: site.id.clone(),
                        phase,
                        channel: channel_number(usize::from(d.channel)),
                        function: function(d.kind, counted),
                        distance_m: d.distance_m,
                        approach: approach.link.clone(),
                        lane: d.lane,
                        id: d.id.clone(),
                    });
                }
            }
        }
    }
    (rows, uncalled)
}

/// The ATSPM function of a detector kind, on an approach with advance count loops (`counted`)
/// or without. Arrivals are counted on one set of loops per approach: its advance count loops
/// where it has them (then its other advance loops, the controllers', are `AdvancePresence`,
/// UDOT ATSPM's "advanced presence"), else its advance loops.
pub fn function(kind: DetectorKind, counted: bool) -> &'static str {
    match kind {
        DetectorKind::AdvanceCount => "Advance",
        DetectorKind::Advance if counted => "AdvancePresence",
        DetectorKind::Advance => "Advance",
        DetectorKind::StopBar => "Presence",
        DetectorKind::PedestrianButton => "Pedestrian",
        DetectorKind::Preemption => "Preemption",
        DetectorKind::BusCheckIn => "TSP Check In",
        DetectorKind::BusCheckOut => "TSP Check Out",
    }
}

/// Writes `rows` as CSV with a header.
pub fn write_csv(mut out: impl Write, rows: &[DetectorRow]) -> io::Result<()> {
    writeln!(
        out,
        "DeviceId,Phase,Parameter,Function,DistanceFromStopBar_m,Approach,Lane,Detector"
    )?;
    for r in rows {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            csv_field(&r.device),
            r.phase,
            r.channel,
            r.function,
            r.distance_m,
            csv_field(&r.approach),
            r.lane,
            csv_field(&r.id)
        )?;
    }
    Ok(())
}

/// A text field quoted when it must be (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
