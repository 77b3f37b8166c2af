//! Which Indiana events happened between two looks at an intersection: the aspects its signal
//! groups show and what its detector channels report. Pure: no clock, no I/O; the caller stamps
//! and writes the events ([`super::EventLog`]).
//!
//! Phases are the signal groups, numbered from 1 in the intersection file's order (the NEMA
//! preset's groups "1" to "8" are phases 1 to 8); detector channels are numbered from 1.
//! Semantics, after the enumeration's definitions:
//! - a vehicle group's green begins (0, 1) and ends (7; before it 4, 5 or 6 when the controller
//!   says it gapped out, maxed out or forced it off), its amber (8, 9), its red clearance
//!   begins with its red (10) and ends, with the phase going inactive (11, 12), when the next
//!   green at the intersection begins (the end of the intergreen);
//! - a pedestrian group's walk (21), its clearance from the end of walk (22) and its solid don't
//!   walk once the clearance is over (23): at the end of its flashing don't walk (`us`), else
//!   with the same end rule;
//! - a vehicle call (43) registers on a detection of one of the group's loops while the group is
//!   not green, or a loop occupied as its green ends; it drops (44) when the group is served;
//!   a push on a crossing's button while it does not show walk registers a pedestrian call (45);
//! - detector on and off (81, 82; 89, 90 for push buttons) follow presence, and every count the
//!   card adds is one actuation: a vehicle whose on and off both fell between two looks is
//!   written as an on/off pair, so actuations equal the card's count;
//! - detector faults (83 to 88; 91, 92 for push buttons) follow the card's fault code;
//! - a plan taking effect: [`super::PlanChange`] (131; 132, 133 and 156).

use greenwave_controllers::control::Termination;
use greenwave_controllers::corridor::DetectorKind;
use greenwave_controllers::detector::{DetectorSample, FaultCode, counted_since};
use greenwave_controllers::model::{Aspect, GroupKind, SignalState};
use greenwave_controllers::site::Site;

use super::code::*;
use crate::fieldio::reading::RawDetector;

/// One event: its code and parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The enumeration's event code.
    pub code: u16,
    /// Its parameter (phase or channel number).
    pub param: u16,
}

/// What one detector channel reports at one look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelState {
    /// The card's cumulative count (wraps at 2^16).
    pub count: u16,
    /// Something is present.
    pub presence: bool,
    /// The card's fault code (0 none; `docs/spec/cabinet-modbus.md`).
    pub fault: u16,
}

impl From<&RawDetector> for ChannelState {
    fn from(d: &RawDetector) -> Self {
        ChannelState {
            count: d.count,
            presence: d.presence != 0,
            fault: d.fault,
        }
    }
}

impl From<&DetectorSample> for ChannelState {
    fn from(d: &DetectorSample) -> Self {
        ChannelState {
            count: d.count,
            presence: d.presence,
            fault: d.fault.code(),
        }
    }
}

/// One signal group as the log follows it.
#[derive(Clone, Debug)]
struct GroupTrack {
    pedestrian: bool,
    shown: Aspect,
    /// Its red clearance (or pedestrian clearance) is running.
    clearing: bool,
    /// A call waits for it.
    called: bool,
}

/// One detector channel as the log follows it.
#[derive(Clone, Debug)]
struct ChannelTrack {
    pedestrian: bool,
    /// The groups it calls.
    calls: Vec<usize>,
    last: Option<ChannelState>,
}

/// Follows one intersection and says which events each look brings.
#[derive(Clone, Debug)]
pub struct Recorder {
    groups: Vec<GroupTrack>,
    channels: Vec<ChannelTrack>,
    /// Whether the signals were seen once (the first look sets the baseline).
    seen: bool,
    /// Why greens ending now end, as the controller says.
    ending: Option<Termination>,
}

impl Recorder {
    /// A recorder for `site`'s signal groups and detector channels.
    pub fn new(site: &Site) -> Self {
        let ix = &site.intersection;
        let groups = ix
            .groups()
            .iter()
            .map(|g| GroupTrack {
                pedestrian: g.kind == GroupKind::Pedestrian,
                shown: Aspect::Red,
                clearing: false,
                called: false,
            })
            .collect();
        let mut channels = vec![
            ChannelTrack {
                pedestrian: false,
                calls: Vec::new(),
                last: None,
            };
            site.channels()
        ];
        for approach in &site.approaches {
            for d in &approach.detectors {
                channels[usize::from(d.channel)].pedestrian =
                    d.kind == DetectorKind::PedestrianButton;
            }
        }
        for (g, detectors) in site.group_detectors().into_iter().enumerate() {
            for d in detectors {
                channels[usize::from(d.channel)].calls.push(g);
            }
        }
        Recorder {
            groups,
            channels,
            seen: false,
            ending: None,
        }
    }

    /// Why the greens that end at the next looks end (the controller's account; `None`: it does
    /// not say). Written before their green termination (7).
    pub fn set_termination(&mut self, ending: Option<Termination>) {
        self.ending = ending;
    }

    /// The events of the signal heads now showing `shown`, appended to `out`.
    pub fn signals(&mut self, shown: &SignalState, out: &mut Vec<Event>) {
        if !self.seen {
            self.seen = true;
            for (track, (_, now)) in self.groups.iter_mut().zip(shown.iter()) {
                track.shown = now;
            }
            return;
        }
        let mut begins = Vec::new();
        for (g, now) in shown.iter() {
            let Some(track) = self.groups.get_mut(g.get()) else {
                continue;
            };
            let was = std::mem::replace(&mut track.shown, now);
            if was == now {
                continue;
            }
            let phase = phase_number(g.get());
            if now.is_go() && !was.is_go() {
                begins.push(g.get());
            } else if track.pedestrian {
                ped_change(track, was, now, phase, out);
            } else {
                if was.is_go() && !now.is_go() {
                    if let Some(code) = self.ending.map(termination_event) {
                        out.push(Event::new(code, phase));
                    }
                }
                vehicle_change(track, was, now, phase, out);
            }
            if was.is_go() && !now.is_go() && !track.pedestrian {
                self.call_if_occupied(g.get(), out);
            }
        }
        if begins.is_empty() {
            return;
        }
        // The next green begins: every clearance running ends (the intergreen is over).
        for (g, track) in self.groups.iter_mut().enumerate() {
            if std::mem::take(&mut track.clearing) {
                let phase = phase_number(g);
                if track.pedestrian {
                    out.push(Event::new(PED_BEGIN_DONT_WALK, phase));
                } else {
                    out.push(Event::new(PHASE_END_RED_CLEARANCE, phase));
                    out.push(Event::new(PHASE_INACTIVE, phase));
                }
            }
        }
        for g in begins {
            let track = &mut self.groups[g];
            let phase = phase_number(g);
            if std::mem::take(&mut track.called) && !track.pedestrian {
                out.push(Event::new(PHASE_CALL_DROPPED, phase));
            }
            if track.pedestrian {
                out.push(Event::new(PED_BEGIN_WALK, phase));
            } else {
                out.push(Event::new(PHASE_ON, phase));
                out.push(Event::new(PHASE_BEGIN_GREEN, phase));
            }
        }
    }

    /// The events of the detector channels now reporting `channels`, appended to `out`.
    pub fn detectors(&mut self, channels: &[ChannelState], out: &mut Vec<Event>) {
        for (c, now) in channels.iter().enumerate() {
            let Some(track) = self.channels.get_mut(c) else {
                continue;
            };
            let before = track.last.replace(*now);
            let param = channel_number(c);
            let (on, off) = if track.pedestrian {
                (PED_DETECTOR_ON, PED_DETECTOR_OFF)
            } else {
                (DETECTOR_ON, DETECTOR_OFF)
            };
            let was = before.unwrap_or_default();
            if now.fault != was.fault {
                out.push(Event::new(fault_event(track.pedestrian, now.fault), param));
            }
            let counted = before.map_or(0, |b| counted_since(now.count, b.count));
            let rising = edges(was.presence, now.presence, counted, on, off, param, out);
            if rising > 0 {
                let pedestrian = track.pedestrian;
                let calls = std::mem::take(&mut track.calls);
                for &g in &calls {
                    self.call(g, pedestrian, out);
                }
                self.channels[c].calls = calls;
            }
        }
    }

    /// A detection for group `g` (by a push button if `pedestrian`).
    fn call(&mut self, g: usize, pedestrian: bool, out: &mut Vec<Event>) {
        let track = &mut self.groups[g];
        if track.shown.is_go() || track.called {
            return;
        }
        track.called = true;
        let code = if pedestrian {
            PED_CALL_REGISTERED
        } else {
            PHASE_CALL_REGISTERED
        };
        out.push(Event::new(code, phase_number(g)));
    }

    /// Group `g`'s green ended: a vehicle still over one of its loops calls it back.
    fn call_if_occupied(&mut self, g: usize, out: &mut Vec<Event>) {
        let occupied = self
            .channels
            .iter()
            .any(|c| !c.pedestrian && c.calls.contains(&g) && c.last.is_some_and(|s| s.presence));
        if occupied {
            self.call(g, false, out);
        }
    }
}

impl Event {
    pub(super) const fn new(code: u16, param: u16) -> Self {
        Event { code, param }
    }
}

/// A vehicle group's change from `was` to `now` (not the start of a green).
fn vehicle_change(
    track: &mut GroupTrack,
    was: Aspect,
    now: Aspect,
    phase: u16,
    out: &mut Vec<Event>,
) {
    if was.is_go() && !now.is_go() {
        out.push(Event::new(PHASE_GREEN_TERMINATION, phase));
    }
    if was == Aspect::Amber {
        out.push(Event::new(PHASE_END_YELLOW, phase));
    }
    match now {
        Aspect::Amber => out.push(Event::new(PHASE_BEGIN_YELLOW, phase)),
        Aspect::Red if was == Aspect::Amber || was.is_go() => {
            out.push(Event::new(PHASE_BEGIN_RED_CLEARANCE, phase));
            track.clearing = true;
        }
        _ => {}
    }
}

/// A pedestrian group's change from `was` (not the start of a walk): the clearance begins when
/// the walk ends, shown as flashing green or as red.
fn ped_change(track: &mut GroupTrack, was: Aspect, now: Aspect, phase: u16, out: &mut Vec<Event>) {
    if was == Aspect::Green && !track.clearing {
        out.push(Event::new(PED_BEGIN_CLEARANCE, phase));
        track.clearing = true;
    }
    // A flashing don't walk ends in solid don't walk: the clearance is over.
    if was == Aspect::FlashingDontWalk && now == Aspect::Red && track.clearing {
        out.push(Event::new(PED_BEGIN_DONT_WALK, phase));
        track.clearing = false;
    }
}

/// The on/off events of one channel from presence `was` to `now` with `counted` vehicles
/// counted meanwhile; returns the number of rising edges written.
fn edges(
    was: bool,
    now: bool,
    counted: u16,
    on: u16,
    off: u16,
    param: u16,
    out: &mut Vec<Event>,
) -> u16 {
    let seen = u16::from(!was && now);
    let rising = counted.max(seen);
    if rising == 0 {
        if was && !now {
            out.push(Event::new(off, param));
        }
        return 0;
    }
    if was {
        out.push(Event::new(off, param));
    }
    for i in 0..rising {
        out.push(Event::new(on, param));
        if i + 1 < rising || !now {
            out.push(Event::new(off, param));
        }
    }
    rising
}

/// The event of a termination.
fn termination_event(ending: Termination) -> u16 {
    match ending {
        Termination::GapOut => PHASE_GAP_OUT,
        Termination::MaxOut => PHASE_MAX_OUT,
        Termination::ForceOff => PHASE_FORCE_OFF,
    }
}

/// The event of fault code `fault` on a vehicle or pedestrian channel.
fn fault_event(pedestrian: bool, fault: u16) -> u16 {
    match (pedestrian, FaultCode::from_code(fault)) {
        (true, Some(FaultCode::Ok)) => PED_DETECTOR_RESTORED,
        (true, _) => PED_DETECTOR_FAILED,
        (false, Some(FaultCode::Ok)) => DETECTOR_RESTORED,
        (false, Some(FaultCode::OpenLoop)) => DETECTOR_FAULT_OPEN,
        (false, Some(FaultCode::ShortedLoop)) => DETECTOR_FAULT_SHORTED,
        (false, Some(FaultCode::ExcessiveChange)) => DETECTOR_FAULT_EXCESSIVE_CHANGE,
        (false, _) => DETECTOR_FAULT_OTHER,
    }
}

/// The phase number of group index `g`.
pub fn phase_number(g: usize) -> u16 {
    g as u16 + 1
}

/// The detector channel number of channel index `c`.
pub fn channel_number(c: usize) -> u16 {
    c as u16 + 1
}
