//! What the measures need to know of an intersection's detectors, from its corridor: which
//! advance loops count arrivals for which phase and how far upstream they are, which stop-bar
//! loops show a phase's occupancy, and which approach each belongs to. Phases and channels are
//! numbered as in the event log.

use std::collections::BTreeMap;

use greenwave_controllers::site::Site;

use crate::eventlog::detectors;

/// An advance loop: its channel, and the free-flow travel time from it to the stop line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Advance {
    /// Detector channel.
    pub channel: u16,
    /// Travel time to the stop line at the approach's free speed, s.
    pub travel_s: f64,
}

/// One approach: its link, direction, whether it is on the arterial, its loops.
#[derive(Clone, Debug, PartialEq)]
pub struct ApproachLayout {
    /// The approach link.
    pub link: String,
    /// Its direction (`eb`, ...).
    pub direction: String,
    /// True when it carries traffic between two signalised intersections (either end).
    pub arterial: bool,
    /// Its advance loops, by the phase they call.
    pub advance: Vec<(u16, Advance)>,
    /// The phases its stop-bar loops call.
    pub phases: Vec<u16>,
}

/// An intersection's detector layout.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    /// Advance loops by phase.
    pub advance: BTreeMap<u16, Vec<Advance>>,
    /// Stop-bar loops by phase.
    pub presence: BTreeMap<u16, Vec<u16>>,
    /// Approaches in corridor order.
    pub approaches: Vec<ApproachLayout>,
    /// Detectors that call no phase (left out of every measure).
    pub uncalled: Vec<String>,
}

impl Layout {
    /// The layout of `site`.
    pub fn new(site: &Site) -> Layout {
        let (rows, uncalled) = detectors::rows(std::slice::from_ref(site));
        let mut layout = Layout {
            uncalled,
            ..Layout::default()
        };
        for a in &site.approaches {
            let arterial = a.upstream_site.is_some()
                || a.movements.iter().any(|m| {
                    m.downstream_site.is_some()
                        && m.turn == greenwave_controllers::model::Turn::Through
                });
            let mut approach = ApproachLayout {
                link: a.link.clone(),
                direction: a.direction.to_string(),
                arterial,
                advance: Vec::new(),
                phases: Vec::new(),
            };
            for r in rows.iter().filter(|r| r.approach == a.link) {
                match r.function {
                    "Advance" => {
                        let adv = Advance {
                            channel: r.channel,
                            travel_s: r.distance_m / a.speed_mps.max(0.1),
                        };
                        layout.advance.entry(r.phase).or_default().push(adv);
                        approach.advance.push((r.phase, adv));
                    }
                    "Presence" => {
                        layout.presence.entry(r.phase).or_default().push(r.channel);
                        if !approach.phases.contains(&r.phase) {
                            approach.phases.push(r.phase);
                        }
                    }
                    _ => {}
                }
            }
            layout.approaches.push(approach);
        }
        layout
    }
}
