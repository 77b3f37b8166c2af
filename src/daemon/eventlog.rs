//! The high-resolution controller event log in the Indiana (Purdue) format, as ATSPM tools read
//! it: CSV lines `timestamp,event code,parameter`, timestamps to a tenth of a second.
//!
//! Enumerations after Sturdevant et al., "Indiana Traffic Signal Hi Resolution Data Logger
//! Enumerations" (2012). The parameter of a phase event is the signal group's number (1-based,
//! in the intersection file's order); of a detector event, the channel number (1-based).

use std::io::{self, Write};
use std::time::SystemTime;

use greenwave_controllers::detector::FaultCode;
use greenwave_controllers::model::{Aspect, GroupKind, Intersection, SignalState};

use crate::fieldio::reading::RawDetector;

/// Event codes used.
pub mod code {
    /// Phase Begin Green.
    pub const PHASE_BEGIN_GREEN: u16 = 1;
    /// Phase Green Termination.
    pub const PHASE_GREEN_TERMINATION: u16 = 7;
    /// Phase Begin Yellow Clearance.
    pub const PHASE_BEGIN_YELLOW: u16 = 8;
    /// Phase End Yellow Clearance.
    pub const PHASE_END_YELLOW: u16 = 9;
    /// Phase Begin Red Clearance.
    pub const PHASE_BEGIN_RED_CLEARANCE: u16 = 10;
    /// Pedestrian Begin Walk.
    pub const PED_BEGIN_WALK: u16 = 21;
    /// Pedestrian Begin Clearance.
    pub const PED_BEGIN_CLEARANCE: u16 = 22;
    /// Pedestrian Begin Solid Don't Walk.
    pub const PED_BEGIN_DONT_WALK: u16 = 23;
    /// Detector Off.
    pub const DETECTOR_OFF: u16 = 81;
    /// Detector On.
    pub const DETECTOR_ON: u16 = 82;
    /// Detector Restored.
    pub const DETECTOR_RESTORED: u16 = 83;
    /// Detector Fault - Other.
    pub const DETECTOR_FAULT_OTHER: u16 = 84;
    /// Detector Fault - Open Loop.
    pub const DETECTOR_FAULT_OPEN: u16 = 86;
    /// Detector Fault - Shorted Loop.
    pub const DETECTOR_FAULT_SHORTED: u16 = 87;
    /// Detector Fault - Excessive Change.
    pub const DETECTOR_FAULT_EXCESSIVE_CHANGE: u16 = 88;
}

/// Writes the events of the shown aspects and the detectors as they change.
pub struct EventLog<W: Write> {
    out: W,
    kinds: Vec<GroupKind>,
    shown: Option<SignalState>,
    detectors: Vec<RawDetector>,
}

impl<W: Write> EventLog<W> {
    /// A log of `intersection`'s events into `out`.
    pub fn new(out: W, intersection: &Intersection) -> Self {
        EventLog {
            out,
            kinds: intersection.groups().iter().map(|g| g.kind).collect(),
            shown: None,
            detectors: Vec::new(),
        }
    }

    /// Records what changed since the last call, stamped `at`.
    pub fn observe(
        &mut self,
        at: SystemTime,
        shown: &SignalState,
        detectors: &[RawDetector],
    ) -> io::Result<()> {
        let stamp = timestamp(at);
        if let Some(before) = self.shown.as_ref() {
            for ((g, now), was) in shown.iter().zip(before.aspects()) {
                if now == *was {
                    continue;
                }
                let kind = self.kinds.get(g.get()).copied();
                for event in phase_events(kind, *was, now) {
                    writeln!(self.out, "{stamp},{event},{}", g.get() + 1)?;
                }
            }
        }
        self.shown = Some(shown.clone());
        for (c, d) in detectors.iter().enumerate() {
            let before = self.detectors.get(c).copied().unwrap_or_default();
            if d.presence != before.presence {
                let event = if d.presence == 1 {
                    code::DETECTOR_ON
                } else {
                    code::DETECTOR_OFF
                };
                writeln!(self.out, "{stamp},{event},{}", c + 1)?;
            }
            if d.fault != before.fault {
                writeln!(self.out, "{stamp},{},{}", fault_event(d.fault), c + 1)?;
            }
        }
        self.detectors.clear();
        self.detectors.extend_from_slice(detectors);
        Ok(())
    }

    /// Flushes what was written.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `YYYY-MM-DD HH:MM:SS.t` in UTC.
pub fn timestamp(at: SystemTime) -> String {
    let text = humantime::format_rfc3339_millis(at).to_string();
    // 2026-11-25T18:36:43.123Z -> 2026-11-25 18:36:43.1
    format!("{} {}", &text[..10], &text[11..21])
}

fn phase_events(kind: Option<GroupKind>, was: Aspect, now: Aspect) -> Vec<u16> {
    use code::*;
    if kind == Some(GroupKind::Pedestrian) {
        return match now {
            Aspect::Green => vec![PED_BEGIN_WALK],
            Aspect::FlashingGreen => vec![PED_BEGIN_CLEARANCE],
            Aspect::Red => vec![PED_BEGIN_DONT_WALK],
            _ => vec![],
        };
    }
    let mut events = Vec::new();
    if was == Aspect::Green {
        events.push(PHASE_GREEN_TERMINATION);
    }
    if was == Aspect::Amber {
        events.push(PHASE_END_YELLOW);
    }
    match now {
        Aspect::Green => events.push(PHASE_BEGIN_GREEN),
        Aspect::Amber => events.push(PHASE_BEGIN_YELLOW),
        Aspect::Red => events.push(PHASE_BEGIN_RED_CLEARANCE),
        _ => {}
    }
    events
}

fn fault_event(fault: u16) -> u16 {
    use code::*;
    match FaultCode::from_code(fault) {
        Some(FaultCode::Ok) => DETECTOR_RESTORED,
        Some(FaultCode::OpenLoop) => DETECTOR_FAULT_OPEN,
        Some(FaultCode::ShortedLoop) => DETECTOR_FAULT_SHORTED,
        Some(FaultCode::ExcessiveChange) => DETECTOR_FAULT_EXCESSIVE_CHANGE,
        _ => DETECTOR_FAULT_OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_to_a_tenth() {
        let at = UNIX_EPOCH + Duration::from_millis(1_795_000_000_123);
        assert_eq!(timestamp(at), "2026-11-18 11:06:40.1");
    }

    #[test]
    fn vehicle_phase_and_detector_events() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("config/intersections/nema-4leg.toml");
        let ix = greenwave_controllers::load::intersection(&path).expect("loads");
        let n = ix.groups().len();
        let mut log = EventLog::new(Vec::new(), &ix);
        let at = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let mut state = SignalState::uniform(n, Aspect::Red);
        let mut det = vec![RawDetector::default(); 2];
        log.observe(at, &state, &det).unwrap();
        state = SignalState::from_aspects(
            std::iter::once(Aspect::Green)
                .chain(std::iter::repeat_n(Aspect::Red, n - 1))
                .collect(),
        );
        det[1].presence = 1;
        det[0].fault = 1;
        log.observe(at, &state, &det).unwrap();
        state = SignalState::from_aspects(
            std::iter::once(Aspect::Amber)
                .chain(std::iter::repeat_n(Aspect::Red, n - 1))
                .collect(),
        );
        log.observe(at + Duration::from_millis(100), &state, &det)
            .unwrap();
        let text = String::from_utf8(log.out).unwrap();
        assert_eq!(
            text,
            "2026-11-18 11:06:40.0,1,1\n\
             2026-11-18 11:06:40.0,86,1\n\
             2026-11-18 11:06:40.0,82,2\n\
             2026-11-18 11:06:40.1,7,1\n\
             2026-11-18 11:06:40.1,8,1\n"
        );
    }
}
