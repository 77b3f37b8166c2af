//! The daemon's control loop, one tick at a time and without I/O: a cabinet reading in, a
//! command out. samples -> estimator -> controller -> sequencer -> interlock -> command.
//!
//! Hand-over follows the reference cabinet (`docs/spec/cabinet-modbus.md`): while the cabinet runs
//! its local fallback the loop *follows* it, asking for external control with every group
//! commanded red; the cabinet winds its own plan down to all red and lets go; the loop then
//! starts its sequencer and interlock from all red and *drives*. While the link is down the
//! loop holds its state (a hold only lengthens what is shown); if the cabinet still shows what
//! was commanded when the link returns, driving goes on, otherwise the loop hands the cabinet
//! back to local control and takes over again from red.
//!
//! The control clock (controller, sequencer, interlock) stands still while the cabinet has not
//! yet shown the last command: a command applied late, or confirmed one poll later, lengthens
//! what is shown but never shortens an amber, an intergreen or a minimum green. (So the
//! control clock falls slightly behind real time, by about one poll per signal change.)
//!
//! Faults of the field (a frozen I/O heartbeat, a shown aspect that is not what was commanded,
//! an aspect code out of range, a cabinet of another size than configured) and interlock trips
//! latch the safe state: the cabinet is asked to flash at once (`control_request` 3).
//!
//! A flash that central operations order is entered the way MUTCD 2009 4D.31 (11th ed. 4G.02)
//! and NEMA TS 2 3.9.1.2 require: while driving, the sequencer winds every group down (minimum
//! greens, ambers), the loop waits for the end of the red clearance, which the interlock
//! judges, and only then asks the cabinet to flash (`control_request` 2). A cabinet in its
//! local plan is asked to flash directly and winds its own plan down; one still showing another
//! controller's state is first handed back to local control. Flash is left through the start-up
//! all red (MUTCD 4D.32, 4G.03). Detector faults (the card's codes, or a
//! count that goes backwards) go to the estimator's fallback chain, per channel.

use std::sync::Arc;

use greenwave_controllers::control::{Controller, Inputs, Neighbours, keeps_the_plan_cycle};
use greenwave_controllers::detector::{DetectorSample, FaultCode};
use greenwave_controllers::estimate::{Estimator, EstimatorParams};
use greenwave_controllers::interlock::{Check, Interlock, SafeState};
use greenwave_controllers::model::{Approach, Aspect, GroupIndex, SignalState};
use greenwave_controllers::preempt::{PreemptEvent, Preemptor};
use greenwave_controllers::priority::{Prioritiser, PriorityEvent, PriorityRequest};
use greenwave_controllers::sequencer::Sequencer;
use greenwave_controllers::site::{Site, press_buttons};
use greenwave_controllers::{Duration, Instant};

use crate::daemon::telemetry::PriorityTelemetry;
use crate::fieldio::poller::request;
use crate::fieldio::reading::Reading;
use crate::mqtt::payload::OperatorMode;
use greenwave_controllers::plan::TimingPlan;
use greenwave_controllers::sequencer::Phase;

/// Limits of the field checks.
#[derive(Clone, Copy, Debug)]
pub struct LoopSettings {
    /// A heartbeat unchanged this long means the I/O module is frozen.
    pub heartbeat_timeout: Duration,
    /// Shown aspects may lag the command this long before it is a mismatch.
    pub mismatch_grace: Duration,
    /// More vehicles than this on one channel between two readings means the count went
    /// backwards (or jumped): the sample counts as erratic.
    pub max_count_step: u16,
}

impl Default for LoopSettings {
    fn default() -> Self {
        LoopSettings {
            heartbeat_timeout: Duration::from_secs(3),
            mismatch_grace: Duration::from_secs(1),
            max_count_step: 50,
        }
    }
}

/// What the loop is doing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// The cabinet's local plan runs; the loop asks for control (or, `handing_back`, first for
    /// local control, to take over again from red).
    Following {
        /// Asking for local control first.
        handing_back: bool,
    },
    /// The loop drives the signal groups.
    Driving,
    /// A field fault or interlock trip: the cabinet is asked to flash until restart.
    Safe,
}

impl Mode {
    /// As the status and the live view say it: `following`, `driving` or `safe`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Following { .. } => "following",
            Mode::Driving => "driving",
            Mode::Safe => "safe",
        }
    }
}

/// Something worth a log line (and an `events` message).
#[derive(Clone, PartialEq, Debug)]
pub enum Event {
    /// The loop changed mode, and why.
    Mode(Mode, String),
    /// The safe state was latched, and why.
    Fault(String),
    /// A detector channel's reading was judged faulty, and why (raised once per fault).
    Detector {
        /// Cabinet channel.
        channel: usize,
        /// What is wrong.
        why: String,
    },
    /// Emergency preemption began, served its approach, ended, or dropped a stuck call.
    Preemption(PreemptEvent),
    /// Transit priority: a bus checked in or out, a green was brought forward or held, a
    /// request was refused.
    Priority(PriorityEvent),
}

/// One intersection's control loop.
pub struct ControlLoop {
    site: Arc<Site>,
    settings: LoopSettings,
    estimator: Estimator,
    controller: Box<dyn Controller>,
    sequencer: Sequencer,
    interlock: Interlock,
    mode: Mode,
    samples: Vec<DetectorSample>,
    /// The push buttons of its pedestrian groups: (group, channel).
    buttons: Vec<(GroupIndex, u8)>,
    /// Its emergency preemption.
    preemptor: Preemptor,
    /// Its transit priority.
    prioritiser: Prioritiser,
    /// What preemption and priority did so far.
    priority_counts: PriorityTelemetry,
    counts: Option<Vec<u16>>,
    detector_faults: Vec<Option<String>>,
    heartbeat: Option<(u16, Instant)>,
    /// The aspects commanded.
    command: SignalState,
    mismatch_since: Option<Instant>,
    link_was_down: bool,
    /// How far the control clock (controller, sequencer, interlock) runs behind: it stands
    /// still while a command has not been shown yet.
    lag: Duration,
    last_tick: Instant,
    /// A command not yet seen shown.
    awaiting: bool,
    shown: SignalState,
    events: Vec<Event>,
    /// What central operations asked for.
    operator: OperatorMode,
    /// The plan in force, and a new one waiting for a cycle boundary with its controller.
    plan: TimingPlan,
    pending: Option<(TimingPlan, Box<dyn Controller>)>,
    /// A plan that took effect since the last call to [`ControlLoop::take_activated`].
    activated: Option<TimingPlan>,
    /// Winding down to red for an ordered flash.
    clearing_for_flash: bool,
}

impl ControlLoop {
    /// A loop for `site` running `controller` within `plan`, starting at `now` by following
    /// the cabinet.
    pub fn new(
        site: Arc<Site>,
        controller: Box<dyn Controller>,
        plan: TimingPlan,
        settings: LoopSettings,
        now: Instant,
    ) -> Self {
        let ix = site.intersection.clone();
        let n = ix.groups().len();
        let channels = site.channels();
        ControlLoop {
            estimator: Estimator::new(site.clone(), EstimatorParams::default(), now),
            controller,
            sequencer: Sequencer::new(ix.clone(), now),
            interlock: Interlock::new(ix, SafeState::AllRed, now),
            mode: Mode::Following {
                handing_back: false,
            },
            samples: vec![DetectorSample::default(); channels],
            buttons: site.pedestrian_buttons(),
            preemptor: Preemptor::new(&site),
            prioritiser: Prioritiser::new(&site),
            priority_counts: PriorityTelemetry::default(),
            counts: None,
            detector_faults: vec![None; channels],
            heartbeat: None,
            command: SignalState::uniform(n, Aspect::Red),
            mismatch_since: None,
            link_was_down: false,
            lag: Duration::ZERO,
            last_tick: now,
            awaiting: false,
            shown: SignalState::uniform(n, Aspect::Red),
            events: Vec::new(),
            operator: OperatorMode::Adaptive,
            plan,
            pending: None,
            activated: None,
            clearing_for_flash: false,
            settings,
            site,
        }
    }

    /// Whether an emergency preemption holds the signals.
    pub fn preemption_active(&self) -> bool {
        self.preemptor.active()
    }

    /// Whether a bus is being given priority (its green brought forward or held).
    pub fn priority_active(&self) -> bool {
        self.prioritiser.acting()
    }

    /// What preemption and priority did so far.
    pub fn priority_counts(&self) -> &PriorityTelemetry {
        &self.priority_counts
    }

    /// Counts what the preemptor and priority report, and passes the reports on as events.
    fn report(&mut self, preempt: Vec<PreemptEvent>, priority: Vec<PriorityEvent>) {
        let c = &mut self.priority_counts;
        for e in &preempt {
            match e {
                PreemptEvent::Began { .. } => c.preemptions += 1,
                PreemptEvent::Stuck { .. } => c.preemptions_stuck += 1,
                _ => {}
            }
        }
        for e in &priority {
            match e {
                PriorityEvent::CheckIn { .. } => c.check_ins += 1,
                PriorityEvent::EarlyGreen { .. } => c.early_greens += 1,
                PriorityEvent::ExtendGreen { .. } => c.extensions += 1,
                PriorityEvent::Refused { .. } => c.refused += 1,
                PriorityEvent::CheckOut { .. } => {}
            }
        }
        self.events
            .extend(preempt.into_iter().map(Event::Preemption));
        self.events
            .extend(priority.into_iter().map(Event::Priority));
    }

    /// A bus's transit priority request at time `now`; the reason when it is refused (also
    /// raised as an event).
    pub fn request_priority(
        &mut self,
        now: Instant,
        request: PriorityRequest,
    ) -> Result<(), String> {
        let at = self.control_time(now);
        let taken = self.prioritiser.request(at, &self.sequencer, request);
        let reports = self.prioritiser.take_events();
        self.report(Vec::new(), reports);
        taken
    }

    /// A bus's cancellation of its request.
    pub fn cancel_priority(&mut self, vehicle: &str) {
        self.prioritiser.cancel(vehicle);
        let reports = self.prioritiser.take_events();
        self.report(Vec::new(), reports);
    }

    /// A dispatcher's preemption call for a vehicle from `approach` (`on`), or its end; the
    /// reason when refused.
    pub fn remote_preemption(&mut self, approach: Approach, on: bool) -> Result<(), String> {
        if on {
            self.preemptor.call(approach, &self.site.intersection)
        } else {
            self.preemptor.clear(approach);
            Ok(())
        }
    }

    /// The control clock (sequencer, controller) at time `now`: it runs behind by the time the
    /// loop waited for the cabinet to show its commands.
    pub fn control_time(&self, now: Instant) -> Instant {
        now - self.lag
    }

    /// The latest detector samples, by cabinet channel (faults judged).
    pub fn samples(&self) -> &[DetectorSample] {
        &self.samples
    }

    /// The plan in force.
    pub fn plan(&self) -> &TimingPlan {
        &self.plan
    }

    /// What central operations asked for.
    pub fn operator_mode(&self) -> OperatorMode {
        self.operator
    }

    /// Central operations ask for `mode`. `local` hands the signals back to the cabinet and
    /// `flash` asks it to flash; `adaptive` and `plan` take over again from red.
    pub fn set_operator_mode(&mut self, mode: OperatorMode) {
        self.operator = mode;
    }

    /// Runs `controller` within `plan` from the next cycle boundary: when the running plan's
    /// first stage is next entered, or at once while the loop is not driving.
    pub fn set_plan(&mut self, plan: TimingPlan, controller: Box<dyn Controller>) {
        self.pending = Some((plan, controller));
    }

    /// The plan waiting for the next cycle boundary, if any.
    pub fn pending_plan(&self) -> Option<&TimingPlan> {
        self.pending.as_ref().map(|(plan, _)| plan)
    }

    /// The plan that took effect since the last call, if one did.
    pub fn take_activated(&mut self) -> Option<TimingPlan> {
        self.activated.take()
    }

    /// Switches to the pending plan when the cycle starts again (or when not driving).
    fn activate_pending(&mut self) {
        let Some(first) = self.plan.stages.first().map(|s| s.stage) else {
            return;
        };
        let boundary = match self.sequencer.phase() {
            Phase::Transition { to, .. } => to == first,
            _ => false,
        };
        if (boundary || self.mode != Mode::Driving)
            && let Some((plan, controller)) = self.pending.take()
        {
            self.controller = controller;
            self.plan = plan.clone();
            self.activated = Some(plan);
        }
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The estimator's view.
    pub fn estimator(&self) -> &Estimator {
        &self.estimator
    }

    /// The sequencer (stage, time in stage, upcoming changes).
    pub fn sequencer(&self) -> &Sequencer {
        &self.sequencer
    }

    /// The controller.
    pub fn controller(&self) -> &dyn Controller {
        self.controller.as_ref()
    }

    /// What the cabinet last said it shows.
    pub fn shown(&self) -> &SignalState {
        &self.shown
    }

    /// Events since the last call.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, Event> {
        self.events.drain(..)
    }

    /// The link to the cabinet is down: hold everything until it is back.
    pub fn link_down(&mut self) {
        self.link_was_down = true;
    }

    /// Latches the safe state for a fault found outside the loop (a cabinet clock that jumps).
    pub fn fault(&mut self, why: String) {
        if self.mode != Mode::Safe {
            self.latch(why);
        }
    }

    /// One tick at control time `now` on a fresh `reading`, with what the neighbours report.
    /// `field_now` is the daemon's own monotonic clock, which times the field checks (heartbeat,
    /// shown aspects) even when the control time follows the cabinet's clock. Returns the
    /// control request and the aspects to command.
    pub fn tick(
        &mut self,
        now: Instant,
        field_now: Instant,
        reading: &Reading,
        neighbours: &Neighbours,
    ) -> (u16, &SignalState) {
        if reading.channels == 0 && reading.groups == 0 && self.mode != Mode::Safe {
            // A cabinet still starting up reports no size yet: wait for it.
            return (request::EXTERNAL, &self.command);
        }
        if self.mode != Mode::Safe
            && let Err(why) = self.check_field(field_now, reading)
        {
            self.latch(why);
        }
        self.read_detectors(reading);
        self.estimator.observe_downstream(&neighbours.links);
        self.estimator.update(now, &self.samples, &self.shown);
        let resumed = std::mem::take(&mut self.link_was_down);
        self.activate_pending();

        let go_on = match self.mode {
            Mode::Safe => Err(request::FLASH_NOW),
            _ if self.handed_over_by_operator() => Err(self.hand_over(reading)),
            Mode::Following { handing_back } => self.follow(now, reading, handing_back),
            Mode::Driving => self.keep_driving(now, field_now, reading, resumed),
        };
        if let Err(request) = go_on {
            return (request, &self.command);
        }
        self.last_tick = now;
        self.drive(now - self.lag, neighbours)
    }

    /// Whether central operations hand the signals to the cabinet: `local`, or `flash` while
    /// not driving (driving, the loop clears to red itself first, in [`ControlLoop::drive`]).
    fn handed_over_by_operator(&self) -> bool {
        match self.operator {
            OperatorMode::Local => true,
            OperatorMode::Flash => self.mode != Mode::Driving,
            OperatorMode::Adaptive | OperatorMode::Plan => false,
        }
    }

    /// Hands the signals to the cabinet (local control, or flash): nothing is commanded
    /// meanwhile; taking over again starts from red. Returns the control request.
    fn hand_over(&mut self, reading: &Reading) -> u16 {
        if self.mode == Mode::Driving {
            let why = match self.operator {
                OperatorMode::Flash => "central operations ordered flash",
                _ => "central operations ordered local control: the cabinet's own plan runs",
            };
            self.set_mode(
                Mode::Following {
                    handing_back: false,
                },
                why,
            );
        }
        self.clearing_for_flash = false;
        self.echo_shown();
        let cabinet_local = reading.local() || reading.flashing() || reading.conflict();
        // A cabinet still showing another controller's state goes back to its local plan
        // first, which it winds down to red before it flashes.
        match self.operator {
            OperatorMode::Flash if cabinet_local => request::FLASH,
            _ => request::LOCAL,
        }
    }

    /// Following the cabinet's local plan: asks for control; once the cabinet has let go at
    /// all red, starts driving from red (`Ok`). Otherwise the request to write (`Err`).
    fn follow(&mut self, now: Instant, reading: &Reading, handing_back: bool) -> Result<(), u16> {
        let cabinet_local = reading.local() || reading.flashing() || reading.conflict();
        if handing_back {
            if cabinet_local {
                self.follow_cabinet("the cabinet is back on its own plan: asking for control");
                return Err(request::EXTERNAL);
            }
            // Echo what is shown, so nothing changes until the cabinet has let go.
            self.echo_shown();
            return Err(request::LOCAL);
        }
        if cabinet_local {
            // Asking for control with every group red, whatever was commanded before.
            self.command_all_red();
            return Err(request::EXTERNAL);
        }
        if !all_red(&self.shown) {
            // Still showing an earlier controller's state: hand back, then take over.
            self.set_mode(
                Mode::Following { handing_back: true },
                "the cabinet shows another controller's signals: handing them back to take \
                 over from red",
            );
            self.echo_shown();
            return Err(request::LOCAL);
        }
        // The cabinet has let go at all red: start from red, as after a power-up.
        self.lag = Duration::ZERO;
        self.awaiting = false;
        self.sequencer = Sequencer::new(self.site.intersection.clone(), now);
        self.interlock = Interlock::new(self.site.intersection.clone(), SafeState::AllRed, now);
        self.mismatch_since = None;
        self.set_mode(
            Mode::Driving,
            "the cabinet let go at all red: driving from red",
        );
        Ok(())
    }

    /// Driving: the cabinet must still be in external control showing what was commanded. `Ok`
    /// to run the controller this tick; otherwise the request to write (`Err`).
    fn keep_driving(
        &mut self,
        now: Instant,
        field_now: Instant,
        reading: &Reading,
        resumed: bool,
    ) -> Result<(), u16> {
        let cabinet_local = reading.local() || reading.flashing() || reading.conflict();
        if cabinet_local {
            let why = if reading.conflict() {
                self.events.push(Event::Fault(
                    "the cabinet's conflict monitor tripped".into(),
                ));
                "the cabinet's conflict monitor tripped: the cabinet flashes"
            } else if reading.flashing() {
                "the cabinet went to flash on its own"
            } else {
                "the cabinet took back control: its own plan runs"
            };
            self.follow_cabinet(why);
            return Err(request::EXTERNAL);
        }
        if resumed && self.shown != self.command {
            // The cabinet kept external control but missed changes: take over anew.
            self.set_mode(
                Mode::Following { handing_back: true },
                "the link came back with the cabinet showing other signals than commanded: \
                 taking over anew from red",
            );
            self.echo_shown();
            return Err(request::LOCAL);
        }
        if let Err(why) = self.check_shown(field_now) {
            self.latch(why);
            return Err(request::FLASH_NOW);
        }
        if self.awaiting {
            // Not shown until this reading: the control clock stood still meanwhile, so every
            // aspect counts from the first reading that shows it and is shown for at least its
            // planned time however late the cabinet applies it.
            self.lag += now - self.last_tick.min(now);
            self.last_tick = now;
            if self.shown != self.command {
                return Err(request::EXTERNAL);
            }
            self.awaiting = false;
        }
        Ok(())
    }

    /// One step of control at control time `now`: the controller's choice (or, for an ordered
    /// flash, the wind-down to red), the sequencer, the interlock, the command.
    fn drive(&mut self, now: Instant, neighbours: &Neighbours) -> (u16, &SignalState) {
        let buses = self
            .prioritiser
            .bus_calls(now, self.site.intersection.priority());
        let inputs = Inputs {
            detectors: &self.samples,
            estimate: self.estimator.estimate(),
            neighbours,
            buses: &buses,
        };
        let to_flash = self.operator == OperatorMode::Flash;
        if to_flash && !self.clearing_for_flash {
            self.sequencer.clear(now);
        }
        self.clearing_for_flash = to_flash;
        press_buttons(&self.buttons, &self.samples, &mut self.sequencer);
        let preempting = !to_flash
            && self
                .preemptor
                .update(now, &self.samples, &mut self.sequencer);
        let preempt_reports = self.preemptor.take_events();
        if !to_flash && !preempting {
            let decided = self.controller.decide(now, &inputs, &self.sequencer);
            self.sequencer.end_walks_by(self.controller.walks_by());
            self.sequencer
                .end_entering_walks_by(self.controller.entering_walks_by());
            self.prioritiser
                .set_keeps_cycle(keeps_the_plan_cycle(self.controller.name()));
            let decided = self.prioritiser.adjust(
                now,
                &self.samples,
                &self.sequencer,
                decided,
                &*self.controller,
            );
            if let Some(stage) = decided {
                // A controller only names stages of its own intersection.
                let _ = self.sequencer.request(stage);
            }
        }
        let reports = self.prioritiser.take_events();
        self.report(preempt_reports, reports);
        let proposed = self.sequencer.poll(now);
        if let Check::Tripped(v) = self.interlock.check(now, proposed) {
            self.latch(format!("interlock: {v}"));
            return (request::FLASH_NOW, &self.command);
        }
        // Flash only once the cabinet shows the red this loop commanded: the red clearance may
        // already have run out in the very tick that proposes the red (the control time can
        // jump between ticks), and the cabinet still shows the amber then.
        let red_shown = *self.interlock.output() == self.command && self.shown == self.command;
        if to_flash
            && red_shown
            && self.sequencer.all_red()
            && self.interlock.flash_ready(now).is_ok()
        {
            return self.enter_flash(now);
        }
        let out = self.interlock.output();
        if *out != self.command {
            self.command.clone_from(out);
            self.awaiting = true;
        }
        (request::EXTERNAL, &self.command)
    }

    /// Every group has cleared to red and its red clearance has run: the cabinet may flash.
    /// The interlock passes the flash too, so that leaving it is judged from flashing amber.
    fn enter_flash(&mut self, now: Instant) -> (u16, &SignalState) {
        let flash = SignalState::uniform(self.command.len(), Aspect::FlashingAmber);
        if let Check::Tripped(v) = self.interlock.check(now, &flash) {
            self.latch(format!("interlock: {v}"));
            return (request::FLASH_NOW, &self.command);
        }
        self.clearing_for_flash = false;
        self.set_mode(
            Mode::Following {
                handing_back: false,
            },
            "cleared to red for the flash ordered: the cabinet flashes",
        );
        (request::FLASH, &self.command)
    }

    /// Changes to `mode`, saying `why` on the events.
    fn set_mode(&mut self, mode: Mode, why: &str) {
        if self.mode != mode {
            self.mode = mode;
            self.events.push(Event::Mode(mode, why.to_owned()));
        }
    }

    fn follow_cabinet(&mut self, why: &str) {
        self.set_mode(
            Mode::Following {
                handing_back: false,
            },
            why,
        );
        self.command_all_red();
    }

    fn command_all_red(&mut self) {
        let n = self.command.len();
        self.command = SignalState::uniform(n, Aspect::Red);
    }

    fn echo_shown(&mut self) {
        self.command.clone_from(&self.shown);
    }

    fn latch(&mut self, why: String) {
        let said = format!("{why}: flashing until restart");
        self.events.push(Event::Fault(why));
        self.set_mode(Mode::Safe, &said);
    }

    /// The cabinet's own state: size, heartbeat, shown aspects.
    fn check_field(&mut self, now: Instant, reading: &Reading) -> Result<(), String> {
        let (channels, groups) = (self.samples.len(), self.command.len());
        if usize::from(reading.channels) < channels || usize::from(reading.groups) != groups {
            return Err(format!(
                "the cabinet has {} detector channels and {} signal groups; the config needs \
                 {channels} channels and {groups} groups",
                reading.channels, reading.groups
            ));
        }
        match self.heartbeat {
            Some((beat, _)) if beat != reading.heartbeat => {
                self.heartbeat = Some((reading.heartbeat, now))
            }
            Some((beat, since)) if now - since > self.settings.heartbeat_timeout => {
                return Err(format!(
                    "the I/O module is frozen: heartbeat stuck at {beat} for {}",
                    now - since
                ));
            }
            Some(_) => {}
            None => self.heartbeat = Some((reading.heartbeat, now)),
        }
        for (g, &code) in reading.shown.iter().enumerate() {
            match Aspect::from_code(code) {
                Some(aspect) => self
                    .shown
                    .set(greenwave_controllers::model::GroupIndex(g as u8), aspect),
                None => {
                    return Err(format!(
                        "group {} shows aspect code {code}, which is not an aspect (0 to 6)",
                        self.site.intersection.groups()[g].id
                    ));
                }
            }
        }
        Ok(())
    }

    /// The shown aspects against the command: they may differ for a grace period (the cabinet
    /// shows a command one poll later).
    fn check_shown(&mut self, now: Instant) -> Result<(), String> {
        if self.shown == self.command {
            self.mismatch_since = None;
            return Ok(());
        }
        let since = *self.mismatch_since.get_or_insert(now);
        if now - since >= self.settings.mismatch_grace {
            return Err(format!(
                "the cabinet shows {} but was commanded {} (for {})",
                self.shown,
                self.command,
                now - since
            ));
        }
        Ok(())
    }

    /// Raw detector registers into samples; implausible ones are marked erratic.
    fn read_detectors(&mut self, reading: &Reading) {
        let counts: Vec<u16> = reading.detectors.iter().map(|d| d.count).collect();
        for (c, raw) in reading
            .detectors
            .iter()
            .enumerate()
            .take(self.samples.len())
        {
            let mut why = None;
            let mut fault = FaultCode::from_code(raw.fault).unwrap_or_else(|| {
                why = Some(format!("fault code {} is not one of 0 to 6", raw.fault));
                FaultCode::ErraticCounts
            });
            if let Some(before) = self.counts.as_ref().and_then(|b| b.get(c)) {
                let step = raw.count.wrapping_sub(*before);
                if step > self.settings.max_count_step {
                    why = Some(format!(
                        "count went from {before} to {} (backwards, or a jump of {step})",
                        raw.count
                    ));
                    fault = FaultCode::ErraticCounts;
                }
            }
            if raw.presence > 1 {
                why = Some(format!("presence {} is not 0 or 1", raw.presence));
                fault = FaultCode::ErraticCounts;
            }
            if why.is_some() && self.detector_faults[c] != why {
                self.events.push(Event::Detector {
                    channel: c,
                    why: why.clone().unwrap_or_default(),
                });
            }
            self.detector_faults[c] = why;
            self.samples[c] = DetectorSample {
                count: raw.count,
                on_time_cs: raw.on_time_cs,
                presence: raw.presence == 1,
                fault,
            };
        }
        self.counts = Some(counts);
    }
}

fn all_red(state: &SignalState) -> bool {
    state.aspects().iter().all(|&a| a == Aspect::Red)
}

// Against the simulator's cabinet, which the full build has.
#[cfg(all(test, feature = "sim"))]
mod tests;
