//! What a signal cabinet does on its own around a simulated junction, after the reference
//! register map (`docs/spec/cabinet-modbus.md`): it follows an external controller while that
//! controller keeps its watchdog alive, and otherwise runs its own local fixed-time plan.
//!
//! - Local: the junction's own chain (the local plan, sequencer, monitor) drives the signals.
//! - Handing over: asked for external control, the cabinet winds its local plan down to all red
//!   and only then shows the commanded aspects, so the external controller starts from red.
//! - External: the commanded aspects are shown, each state checked by the cabinet's conflict
//!   monitor (an [`Interlock`]); a watchdog that stops changing for the timeout, or a request for
//!   local control, winds the shown state down and goes back to the local plan.
//! - Flash: on request (`control_request` = 2) the cabinet flashes once every group has cleared
//!   to steady red (MUTCD 2009 4D.31, 11th ed. 4G.02): its own local plan it winds down first;
//!   an external controller must have done so already, since the conflict monitor judges the
//!   change to flash like any other (a commanded flash out of a green or before the end of a red
//!   clearance trips it). `control_request` = 3 (a fault the controller latched) and the
//!   monitor's own trip flash at once. Flash is left through the start-up all red.

use std::sync::Arc;

use greenwave_controllers::interlock::{Interlock, SafeState};
use greenwave_controllers::model::{Aspect, Intersection, SignalState};
use greenwave_controllers::sequencer::Sequencer;
use greenwave_controllers::{Duration, Instant};

/// `control_request` values of the reference map.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum ControlRequest {
    /// 0: the cabinet's local fallback.
    #[default]
    Local,
    /// 1: the external controller drives the signal groups.
    External,
    /// 2: flashing amber, entered at the end of the red clearance.
    Flash,
    /// 3: flashing amber at once: the external controller latched a fault.
    FlashNow,
}

impl ControlRequest {
    /// The request for a register value, if it is one (0, 1 or 2).
    pub fn from_register(value: u16) -> Option<ControlRequest> {
        match value {
            0 => Some(ControlRequest::Local),
            1 => Some(ControlRequest::External),
            2 => Some(ControlRequest::Flash),
            3 => Some(ControlRequest::FlashNow),
            _ => None,
        }
    }
}

/// What an external controller last wrote to the cabinet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CabinetCommand {
    /// The watchdog register.
    pub watchdog: u16,
    /// The control request.
    pub request: ControlRequest,
    /// The commanded aspect of every signal group.
    pub aspects: SignalState,
}

/// The cabinet's status bits (`cabinet_status`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CabinetStatus {
    /// Bit 0: the local fallback is in charge (also while handing over).
    pub local: bool,
    /// Bit 1: flashing.
    pub flashing: bool,
    /// Bit 2: the hardware conflict monitor tripped (latched).
    pub conflict: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Local,
    HandingOver,
    External,
    /// Winding the local plan down to red, to flash.
    EnteringFlash,
    /// Flashing: `commanded` when entered from red, so the monitor still judges it.
    Flash {
        commanded: bool,
    },
}

/// The cabinet logic of one junction.
#[derive(Clone, Debug)]
pub(crate) struct Cabinet {
    ix: Arc<Intersection>,
    timeout: Duration,
    command: CabinetCommand,
    watchdog_changed: Instant,
    mode: Mode,
    conflict: bool,
    /// Every group flashing amber.
    flashing: SignalState,
}

/// What the junction should do this tick.
pub(crate) enum Drive<'a> {
    /// Run the local chain (controller, sequencer) and show what the monitor passes.
    Local,
    /// Run the local sequencer only (winding down for a hand-over: no new stage).
    WindingDown,
    /// Show these aspects, through the monitor.
    Show(&'a SignalState),
    /// Show flashing amber, without the monitor.
    Flash,
}

impl Cabinet {
    /// A cabinet in local control at `now`, with a watchdog `timeout`.
    pub(crate) fn new(ix: Arc<Intersection>, timeout: Duration, now: Instant) -> Self {
        let n = ix.groups().len();
        Cabinet {
            ix,
            timeout,
            command: CabinetCommand {
                watchdog: 0,
                request: ControlRequest::Local,
                aspects: SignalState::uniform(n, Aspect::Red),
            },
            watchdog_changed: now,
            mode: Mode::Local,
            conflict: false,
            flashing: SignalState::uniform(n, Aspect::FlashingAmber),
        }
    }

    /// Takes what the external controller wrote, as of `now`.
    pub(crate) fn command(&mut self, now: Instant, command: &CabinetCommand) {
        if command.watchdog != self.command.watchdog {
            self.watchdog_changed = now;
        }
        self.command.clone_from(command);
    }

    /// The conflict monitor tripped: flash, latched.
    pub(crate) fn trip(&mut self) {
        self.conflict = true;
        self.mode = Mode::Flash { commanded: false };
    }

    pub(crate) fn status(&self) -> CabinetStatus {
        CabinetStatus {
            local: matches!(
                self.mode,
                Mode::Local | Mode::HandingOver | Mode::EnteringFlash
            ),
            flashing: matches!(self.mode, Mode::Flash { .. }),
            conflict: self.conflict,
        }
    }

    /// Decides this tick's mode. `sequencer` is the local chain's, `shown` what the heads show,
    /// `go_start` since when each group shows go. It may wind the local sequencer down, or
    /// replace it (taking over the shown state) when the external controller lets go.
    pub(crate) fn drive(
        &mut self,
        now: Instant,
        sequencer: &mut Sequencer,
        monitor: &mut Interlock,
        shown: &SignalState,
        go_start: &[Option<Instant>],
    ) -> Drive<'_> {
        let alive = now - self.watchdog_changed < self.timeout;
        let wanted = if alive {
            self.command.request
        } else {
            ControlRequest::Local
        };
        if self.conflict || monitor.latched().is_some() {
            self.conflict = true;
            self.mode = Mode::Flash { commanded: false };
            return Drive::Flash;
        }
        self.mode = match (self.mode, wanted) {
            (_, ControlRequest::FlashNow) => Mode::Flash { commanded: false },
            (Mode::Flash { commanded }, ControlRequest::Flash) => Mode::Flash { commanded },
            // An external controller asks for flash once it has cleared to red: the monitor
            // judges the change.
            (Mode::External, ControlRequest::Flash) => Mode::Flash { commanded: true },
            (Mode::Local | Mode::HandingOver, ControlRequest::Flash) => {
                sequencer.clear(now);
                Mode::EnteringFlash
            }
            (Mode::EnteringFlash, ControlRequest::Flash)
                if sequencer.all_red() && all_red(shown) && monitor.flash_ready(now).is_ok() =>
            {
                Mode::Flash { commanded: true }
            }
            (Mode::Flash { .. }, _) => {
                // Out of flash through all red, as after a start-up.
                *sequencer = Sequencer::new(self.ix.clone(), now);
                *monitor = Interlock::new(self.ix.clone(), SafeState::FlashingAmber, now);
                Mode::Local
            }
            (Mode::EnteringFlash, ControlRequest::Local | ControlRequest::External) => Mode::Local,
            (Mode::Local, ControlRequest::External) => {
                sequencer.clear(now);
                Mode::HandingOver
            }
            (Mode::HandingOver, ControlRequest::External)
                if sequencer.all_red() && all_red(shown) =>
            {
                Mode::External
            }
            (Mode::HandingOver, ControlRequest::Local) => Mode::Local,
            (Mode::External, ControlRequest::Local) => {
                *sequencer = Sequencer::take_over(self.ix.clone(), now, shown, go_start);
                Mode::Local
            }
            (mode, _) => mode,
        };
        match self.mode {
            Mode::Local => Drive::Local,
            Mode::HandingOver | Mode::EnteringFlash => Drive::WindingDown,
            Mode::External => Drive::Show(&self.command.aspects),
            // A commanded flash is shown through the monitor, which knows how it may begin.
            Mode::Flash { commanded: true } => Drive::Show(&self.flashing),
            Mode::Flash { commanded: false } => Drive::Flash,
        }
    }
}

fn all_red(state: &SignalState) -> bool {
    state.aspects().iter().all(|&a| a == Aspect::Red)
}
