//! The daemon's state between events, and the work of a cabinet reading: the clock, the
//! schedule, one control tick, the command to the cabinet, and what goes out afterwards (acks of
//! plans that took effect, SPaT, outflow, telemetry, events, the event log, the live view).

use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, SystemTime};

use anyhow::{Context, Result};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant as TokioInstant;

use crate::untrusted::escape;
use greenwave_controllers::Instant;
use greenwave_controllers::control::Neighbours;
use greenwave_controllers::model::{Aspect, Intersection, SignalState};
use greenwave_controllers::plan::PlanSpec;
use greenwave_controllers::preempt::PreemptEvent;
use greenwave_controllers::priority::PriorityEvent;
use greenwave_controllers::site::Site;

use super::orders::{controller_for, restore_plan_order};
use super::{AbortOnDrop, RunReport, SiteView, core_duration};
use crate::daemon::clock::CabinetClock;
use crate::daemon::config::{ClockSource, DaemonConfig};
use crate::daemon::control::{ControlLoop, Event, LoopSettings, Mode};
use crate::daemon::log_clock::LogClock;
use crate::daemon::metrics::{Metrics, Snapshot};
use crate::daemon::notify::Notifier;
use crate::daemon::orders::OrderBook;
use crate::daemon::plan_gate::{Schedule, Taken};
use crate::daemon::uplink::Uplink;
use crate::eventlog::{DailyLog, PlanChange};
use crate::fieldio::coils::{self, poller::CoilSettings};
use crate::fieldio::link::Link;
use crate::fieldio::poller::{self, Command, Field, FieldStats, PollerIo, PollerSettings};
use crate::fieldio::reading::Reading;
use crate::mqtt::link::Incoming;
use crate::mqtt::payload::EventKind;
use crate::mqtt::payload::{OperatorMode, PlanResult};

/// One site's daemon: its control loop, its orders, its links.
pub(super) struct Daemon {
    pub(super) config: DaemonConfig,
    pub(super) site: Arc<Site>,
    pub(super) control: ControlLoop,
    pub(super) book: OrderBook,
    pub(super) uplink: Option<Uplink>,
    /// The schedule in force, and whether its activation was acknowledged.
    pub(super) schedule: Option<Schedule>,
    pub(super) schedule_announced: bool,
    /// The plan waiting for a cycle boundary.
    pub(super) pending_spec: Option<PlanSpec>,
    /// The control time of the last tick.
    pub(super) last_now: Instant,
    events: Option<DailyLog>,
    log_clock: LogClock,
    flushed: TokioInstant,
    /// The stamp of the last reading logged, for the events reported after it.
    last_stamp: Option<jiff::Timestamp>,
    view: Option<watch::Sender<SiteView>>,
    command_tx: watch::Sender<Command>,
    last_spat: Option<(SignalState, TokioInstant)>,
    cabinet_clock: CabinetClock,
    started: TokioInstant,
    ticks: u64,
    last_polls: u64,
    local_only: Neighbours,
    stats: Arc<Mutex<FieldStats>>,
    poller: AbortOnDrop,
    poller_stop: watch::Sender<bool>,
    /// Prometheus metrics, and the task serving them.
    metrics: Option<(Metrics, AbortOnDrop)>,
    /// Field counters already turned into metrics: timeouts, connects.
    counted: (u64, u64),
    /// systemd's notify protocol, and what its status line last said.
    notifier: Notifier,
    status_key: Option<((Mode, OperatorMode, u32), String)>,
}

/// What [`Daemon::start`] hands the run loop to wait on: cabinet readings, broker messages.
type Waits = (
    Daemon,
    watch::Receiver<Field>,
    Option<mpsc::Receiver<Incoming>>,
);

impl Daemon {
    /// Resumes the orders kept in `state_dir`, starts the field I/O task and the MQTT link.
    pub(super) fn start(
        config: DaemonConfig,
        view: Option<watch::Sender<SiteView>>,
    ) -> Result<Waits> {
        let site = config.site.clone();
        let mut book = OrderBook::open(config.state_dir.as_deref(), &site.id);
        let (schedule, kept_plan) = match restore_plan_order(&mut book, &config) {
            Some(Taken::Schedule(s)) => (Some(s), None),
            Some(Taken::Plan(plan, _)) => (None, Some(plan)),
            None => (None, None),
        };
        let plan = schedule
            .as_ref()
            .map(|s| s.current(SystemTime::now()).1.clone())
            .or(kept_plan)
            .unwrap_or_else(|| config.plan.clone());
        let operator = book.kept().mode;
        if operator != OperatorMode::Adaptive {
            tracing::info!(mode = ?operator, "resuming the last operator mode ordered");
        }
        let controller = controller_for(&config, operator, &plan, &plan)
            .with_context(|| format!("{}: controller", config.path.display()))?;
        let settings = LoopSettings {
            heartbeat_timeout: core_duration(config.heartbeat_timeout),
            mismatch_grace: core_duration(config.mismatch_grace),
            ..LoopSettings::default()
        };
        let mut control = ControlLoop::new(site.clone(), controller, plan, settings, Instant::ZERO);
        control.set_operator_mode(operator);
        let events = open_event_log(&config)?;
        let metrics = start_metrics(&config)?;
        let (field_rx, command_tx, poller, poller_stop, stats) = start_poller(&config);
        tracing::info!(
            site = %site.id,
            controller = %config.controller,
            cabinet = %config.link.target,
            "daemon started"
        );
        for warning in &config.warnings {
            tracing::warn!("{warning}");
        }
        let mut uplink = Uplink::start(&config)
            .map_err(|e| anyhow::anyhow!("{}: {e}", config.path.display()))?;
        let incoming = uplink.as_mut().map(Uplink::take_incoming);
        if let Some(up) = &mut uplink {
            up.set_plan(control.plan());
            up.set_operator_mode(operator, book.kept().mode_order.as_deref());
        }
        if let Some(broken) = &book.audit_broken {
            let what = format!("the audit trail's chain is broken (tampered with?): {broken}");
            tracing::error!(site = %site.id, "{what}");
            if let Some(up) = &uplink {
                up.event(EventKind::Fault, &what);
            }
        }
        let mut daemon = Daemon {
            schedule_announced: schedule.is_some(),
            schedule,
            cabinet_clock: CabinetClock::new(core_duration(config.heartbeat_timeout)),
            config,
            site,
            control,
            book,
            uplink,
            pending_spec: None,
            last_now: Instant::ZERO,
            events,
            log_clock: LogClock::default(),
            flushed: TokioInstant::now(),
            last_stamp: None,
            view,
            command_tx,
            last_spat: None,
            started: TokioInstant::now(),
            ticks: 0,
            last_polls: 0,
            local_only: Neighbours::default(),
            stats,
            poller,
            poller_stop,
            metrics,
            counted: (0, 0),
            notifier: Notifier::from_env(),
            status_key: None,
        };
        daemon.log_plan();
        Ok((daemon, field_rx, incoming))
    }

    /// A new state of the field link: on a fresh reading, one control tick and what follows.
    pub(super) fn on_field(&mut self, field: Field) {
        let Some((reading, read_at)) = field.reading.filter(|_| field.up) else {
            self.control.link_down();
            return;
        };
        if field.polls == self.last_polls {
            return;
        }
        self.last_polls = field.polls;
        // The field checks (heartbeat, shown aspects) time a reading by when it was taken, not
        // by when this loop got to it: a reading that waited (the process paused, say) must not
        // look like a heartbeat that stood still.
        let taken = field
            .poll_started
            .unwrap_or(read_at)
            .saturating_duration_since(self.started.into_std());
        let field_now = Instant::from_millis(taken.as_millis() as u64);
        let now = self.clock(&reading, field_now);
        self.follow_schedule();
        let neighbours = match &mut self.uplink {
            Some(uplink) => uplink.neighbours(now),
            None => &self.local_only,
        };
        let started = std::time::Instant::now();
        let (request, aspects) = self.control.tick(now, field_now, &reading, neighbours);
        let tick_s = started.elapsed().as_secs_f64();
        let command = Command {
            request,
            aspects: aspects.aspects().iter().map(|a| a.code()).collect(),
            answers: Some(read_at),
        };
        // Sent every tick, changed or not: the poller writes only what changed, and feeds the
        // cabinet's watchdog only while this loop answers.
        if self.command_tx.borrow().aspects != command.aspects {
            tracing::debug!(request = command.request, aspects = ?command.aspects, "command");
        }
        self.command_tx.send_replace(command);
        self.ticks += 1;
        self.notifier.ready();
        self.notifier.alive(std::time::Instant::now());
        self.tell_systemd();
        self.on_activated();
        self.publish(now);
        self.log(&reading);
        self.update_view(now);
        self.update_metrics(now, tick_s);
    }

    /// The metrics after a tick that took `tick_s`.
    fn update_metrics(&mut self, now: Instant, tick_s: f64) {
        let Some((metrics, _)) = &self.metrics else {
            return;
        };
        metrics.tick(tick_s);
        let (requests, timeouts, connects) = {
            let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
            (
                std::mem::take(&mut stats.request_us),
                stats.timeouts,
                stats.connects,
            )
        };
        let (t0, c0) = self.counted;
        metrics.field(&requests, timeouts - t0, connects - c0);
        self.counted = (timeouts, connects);
        let seq = self.control.sequencer();
        let stage = match seq.phase() {
            greenwave_controllers::sequencer::Phase::Dwell { stage, since } => Some((
                seq.intersection().stage(stage).id.as_str(),
                (self.control.control_time(now) - since).as_secs_f64(),
            )),
            _ => None,
        };
        let faults = self
            .control
            .estimator()
            .estimate()
            .detectors
            .iter()
            .map(|d| (usize::from(d.channel), d.fault.is_some()))
            .collect();
        let plan = self.control.plan();
        metrics.set(&Snapshot {
            mode: self.control.mode().name(),
            operator_mode: self.control.operator_mode().name(),
            stage,
            detector_faults: faults,
            mqtt_connected: self.uplink.as_ref().map(Uplink::broker_up),
            mqtt_dropped: self.uplink.as_ref().map_or((0, 0), Uplink::dropped),
            plan: (&plan.plan_id, plan.version),
        });
    }

    /// The unit's status line, formatted only when the mode, the operator mode or the plan
    /// changed (not on every tick).
    fn tell_systemd(&mut self) {
        let plan = self.control.plan();
        let key = (
            self.control.mode(),
            self.control.operator_mode(),
            plan.version,
        );
        if self
            .status_key
            .as_ref()
            .is_some_and(|(k, id)| *k == key && *id == plan.plan_id)
        {
            return;
        }
        let status = format!(
            "{} ({:?} mode, {}, plan {} v{})",
            key.0.name(),
            key.1,
            self.config.controller,
            plan.plan_id,
            plan.version
        )
        .to_lowercase();
        self.status_key = Some((key, plan.plan_id.clone()));
        self.notifier.status(&status);
    }

    /// The link watchdog: a link found down holds the loop's state. The loop runs, so systemd
    /// hears so, even while the cabinet does not answer (a restart would not bring it back).
    pub(super) fn on_watchdog(&mut self, link_up: bool) {
        self.notifier.alive(std::time::Instant::now());
        if !link_up {
            self.control.link_down();
            if let Some(view) = &self.view {
                view.send_modify(|v| v.link_up = false);
            }
        }
    }

    /// Hands the cabinet back, flushes the event log, says goodbye to the broker.
    pub(super) async fn stop(mut self) -> RunReport {
        tracing::info!(site = %self.site.id, "daemon stopping");
        self.notifier.stopping();
        let _ = self.poller_stop.send(true);
        let _ = tokio::time::timeout(StdDuration::from_secs(2), &mut self.poller.0).await;
        if let Some(log) = &mut self.events {
            let _ = log.flush();
        }
        if let Some(uplink) = self.uplink.take() {
            uplink.close().await;
        }
        let stats = self.stats.lock().map(|s| s.clone()).unwrap_or_default();
        RunReport {
            stats,
            ticks: self.ticks,
        }
    }

    /// The control time of `reading`: the daemon's own clock, or the cabinet's (checked), never
    /// earlier than the last.
    fn clock(&mut self, reading: &Reading, field_now: Instant) -> Instant {
        let now = match self.config.clock {
            ClockSource::System => field_now,
            ClockSource::Cabinet => {
                let cabinet = Instant::from_millis(u64::from(reading.clock_ds) * 100);
                if let Err(why) = self.cabinet_clock.check(cabinet, field_now) {
                    self.control.fault(why);
                }
                cabinet
            }
        }
        .max(self.last_now);
        self.last_now = now;
        now
    }

    /// A plan that took effect at this tick: acknowledged as active.
    fn on_activated(&mut self) {
        let Some(plan) = self.control.take_activated() else {
            return;
        };
        self.log_plan();
        let was_pending = self
            .pending_spec
            .take_if(|s| s.plan_id == plan.plan_id && s.version == plan.version)
            .is_some();
        if !was_pending {
            return;
        }
        tracing::info!(site = %self.site.id, plan = %plan.plan_id, version = plan.version, "plan active");
        if let Some(s) = &self.schedule
            && !self.schedule_announced
        {
            self.schedule_announced = true;
            if let Some(up) = &self.uplink {
                let spec = &s.spec;
                up.ack(&spec.schedule_id, spec.version, PlanResult::Active, None);
            }
        }
        let Some(up) = &mut self.uplink else {
            return;
        };
        match &self.schedule {
            Some(s) => up.event(
                EventKind::Plan,
                &format!(
                    "plan {} v{} active (schedule {} v{})",
                    plan.plan_id, plan.version, s.spec.schedule_id, s.spec.version
                ),
            ),
            None => {
                up.ack(&plan.plan_id, plan.version, PlanResult::Active, None);
                let what = format!("plan {} v{} active", plan.plan_id, plan.version);
                up.event(EventKind::Plan, &what);
            }
        }
        up.set_plan(&plan);
    }

    /// Telemetry, outflow, and SPaT on every change of the heads and at least once a second.
    fn publish(&mut self, now: Instant) {
        let control = &self.control;
        if let Some(uplink) = &mut self.uplink {
            uplink.observe_telemetry(control, now);
            uplink.publish_outflow(control, now);
            let changed = self.last_spat.as_ref().is_none_or(|(shown, at)| {
                shown != control.shown() || at.elapsed() >= StdDuration::from_secs(1)
            });
            if changed {
                uplink.publish_spat(control, now);
                self.last_spat = Some((control.shown().clone(), TokioInstant::now()));
            }
        }
        let metrics = self.metrics.as_ref().map(|(m, _)| m);
        log_events(
            &self.site.id,
            &mut self.control,
            (
                self.uplink.as_mut(),
                self.events.as_mut(),
                self.last_stamp.unwrap_or_else(jiff::Timestamp::now),
            ),
            metrics,
        );
    }

    /// A plan in force from now, in the event log: its pattern, and its cycle and offset under
    /// a controller that keeps them (fixed time, coordinated).
    fn log_plan(&mut self) {
        let Some(log) = &mut self.events else {
            return;
        };
        let change = PlanChange::new(self.control.plan(), self.control.controller().name());
        if let Err(e) = log.plan(jiff::Timestamp::now(), &change) {
            tracing::warn!(error = %e, "event log write failed");
        }
    }

    /// The Indiana event log, flushed once a second.
    fn log(&mut self, reading: &Reading) {
        let Some(log) = &mut self.events else {
            return;
        };
        // Only while the loop drives the signals is the controller's account of them true.
        let ending = match self.control.mode() {
            Mode::Driving => self.control.controller().termination(),
            _ => None,
        };
        log.termination(ending);
        let wall =
            jiff::Timestamp::try_from(SystemTime::now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let at = self
            .log_clock
            .stamp(self.config.clock, reading.clock_ds, wall);
        self.last_stamp = Some(at);
        if let Err(e) = log.observe(at, self.control.shown(), &reading.detectors) {
            tracing::warn!(error = %e, "event log write failed");
        }
        if self.flushed.elapsed() > StdDuration::from_secs(1) {
            let _ = log.flush();
            self.flushed = TokioInstant::now();
        }
    }

    fn update_view(&self, now: Instant) {
        if let Some(view) = &self.view {
            let mut v = site_view(&self.site.id, &self.control, now, true);
            v.heard = self.uplink.as_ref().map(Uplink::heard).unwrap_or_default();
            v.broker_up = self.uplink.as_ref().is_some_and(Uplink::broker_up);
            view.send_replace(v);
        }
    }
}

/// The Indiana event log, appended to (never truncated: a restart keeps the day's log), a file
/// a local day.
fn open_event_log(config: &DaemonConfig) -> Result<Option<DailyLog>> {
    let Some(path) = &config.log.event_log else {
        return Ok(None);
    };
    let now = jiff::Timestamp::now();
    let log =
        DailyLog::open(path, &config.site, config.local_time.clone(), now).with_context(|| {
            format!(
                "event log {}",
                DailyLog::day_path(path, config.local_time.date(now)).display()
            )
        })?;
    Ok(Some(log))
}

/// The metrics and the task serving them, if `[metrics] bind` is set. Bound here, so that an
/// address in use is an error at start, not a silent absence.
fn start_metrics(config: &DaemonConfig) -> Result<Option<(Metrics, AbortOnDrop)>> {
    let Some(bind) = config.metrics_bind else {
        return Ok(None);
    };
    let listener = std::net::TcpListener::bind(bind)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .and_then(tokio::net::TcpListener::from_std)
        .with_context(|| format!("metrics.bind {bind}: cannot serve metrics there"))?;
    let site = &config.site;
    let stages: Vec<String> = site
        .intersection
        .stages()
        .iter()
        .map(|st| st.id.clone())
        .collect();
    let metrics = Metrics::new(&site.id, &stages);
    let task = crate::daemon::metrics::serve(listener, metrics.clone());
    tracing::info!(%bind, "serving metrics on /metrics");
    Ok(Some((metrics, AbortOnDrop(task))))
}

/// What the field I/O task hands the daemon: readings in, commands out, the task, its stop
/// switch and its counters.
type Poller = (
    watch::Receiver<Field>,
    watch::Sender<Command>,
    AbortOnDrop,
    watch::Sender<bool>,
    Arc<Mutex<FieldStats>>,
);

/// Starts the field I/O task (the cabinet over Modbus).
fn start_poller(config: &DaemonConfig) -> Poller {
    let site = &config.site;
    let (field_tx, field_rx) = watch::channel(Field::default());
    let groups = site.intersection.groups().len();
    // Nothing is written before the loop has answered a reading of the current connection.
    let (command_tx, command_rx) = watch::channel(Command {
        request: poller::request::EXTERNAL,
        aspects: vec![Aspect::Red.code(); groups],
        answers: None,
    });
    let (poller_stop, poller_stop_rx) = watch::channel(false);
    let stats = Arc::new(Mutex::new(FieldStats::default()));
    let io = PollerIo {
        field: field_tx,
        commands: command_rx,
        shutdown: poller_stop_rx,
        stats: stats.clone(),
    };
    let task = match &config.coils {
        // A cabinet of I/O modules: lamps on coils, detectors on inputs.
        Some(cabinet) => tokio::spawn(coils::poller::run(
            cabinet.clone(),
            CoilSettings {
                poll_period: config.tick,
                keepalive_period: config.watchdog_period,
                link: config.link.clone(),
            },
            io,
        )),
        None => tokio::spawn(poller::run(
            Link::new(config.link.clone()),
            PollerSettings {
                map: config.registers,
                channels: site.channels() as u16,
                groups: groups as u16,
                poll_period: config.tick,
                watchdog_period: config.watchdog_period,
            },
            io,
        )),
    };
    let poller = AbortOnDrop(task);
    (field_rx, command_tx, poller, poller_stop, stats)
}

/// Logs the control loop's events, and publishes them (with the status on a mode change).
fn log_events(
    site: &str,
    control: &mut ControlLoop,
    (uplink, mut indiana, stamp): (Option<&mut Uplink>, Option<&mut DailyLog>, jiff::Timestamp),
    metrics: Option<&Metrics>,
) {
    let mut faults = Vec::new();
    let mut mode = None;
    let ix = control.sequencer().intersection().clone();
    for event in control.drain_events() {
        let coded = match &event {
            Event::Preemption(e) => crate::eventlog::priority::preemption(e),
            Event::Priority(e) => crate::eventlog::priority::priority(e).into_iter().collect(),
            _ => Vec::new(),
        };
        if let Some(log) = indiana.as_deref_mut()
            && !coded.is_empty()
            && let Err(e) = log.events(stamp, &coded)
        {
            tracing::warn!(error = %e, "event log write failed");
        }
        match &event {
            Event::Mode(m, why) => {
                tracing::info!(site, mode = m.name(), "{why}");
                mode = Some(*m);
            }
            Event::Fault(why) => {
                tracing::error!(site, "{why}");
                if why.starts_with("interlock")
                    && let Some(m) = metrics
                {
                    m.interlock_trip();
                }
                faults.push(why.clone());
            }
            Event::Detector { channel, why } => {
                tracing::warn!(site, channel, "detector: {why}")
            }
            Event::Preemption(e) => {
                let text = preemption_text(e, &ix);
                if matches!(e, PreemptEvent::Stuck { .. }) {
                    tracing::error!(site, "{text}");
                    faults.push(text);
                } else {
                    tracing::warn!(site, "{text}");
                }
            }
            Event::Priority(e) => tracing::info!(site, "{}", priority_text(e)),
        }
        if let Some(uplink) = uplink.as_deref() {
            let (kind, message) = match &event {
                Event::Mode(m, why) => (EventKind::Mode, format!("{}: {why}", m.name())),
                Event::Fault(why) if why.starts_with("interlock") => {
                    (EventKind::Interlock, why.clone())
                }
                Event::Fault(why) => (EventKind::Fault, why.clone()),
                Event::Detector { channel, why } => {
                    (EventKind::Detector, format!("channel {channel}: {why}"))
                }
                Event::Preemption(e) => (EventKind::Preemption, preemption_text(e, &ix)),
                Event::Priority(e) => (EventKind::Priority, priority_text(e)),
            };
            uplink.event(kind, &message);
        }
    }
    if let (Some(uplink), Some(mode)) = (uplink, mode) {
        uplink.set_status(mode, &faults);
    }
}

/// A transit priority event as a log line and an `events` message.
fn priority_text(event: &PriorityEvent) -> String {
    match event {
        PriorityEvent::CheckIn {
            approach, vehicle, ..
        } => format!("priority: {} checked in from {approach}", escape(vehicle)),
        PriorityEvent::EarlyGreen { approach, .. } => {
            format!("priority: early green for a bus from {approach}")
        }
        PriorityEvent::ExtendGreen { approach, .. } => {
            format!("priority: green held for a bus from {approach}")
        }
        PriorityEvent::CheckOut {
            approach, vehicle, ..
        } => format!("priority: {} checked out from {approach}", escape(vehicle)),
        PriorityEvent::Refused { vehicle, reason } => {
            format!("priority for {} refused: {reason}", escape(vehicle))
        }
    }
}

/// A preemption event as a log line and an `events` message.
fn preemption_text(event: &PreemptEvent, ix: &Intersection) -> String {
    match event {
        PreemptEvent::Began { approach, stage } => {
            let id = ix.stages().get(stage.get()).map_or("?", |s| s.id.as_str());
            format!("preemption for an emergency vehicle from {approach}: stage {id}")
        }
        PreemptEvent::Served { approach, after } => format!(
            "preemption: {approach} green {:.1} s after the call",
            after.as_secs_f64()
        ),
        PreemptEvent::Ended { approach } => format!("preemption from {approach} ended"),
        PreemptEvent::Stuck { approach } => {
            format!("preemption call from {approach} stuck: dropped until its input clears")
        }
    }
}

fn site_view(site: &str, control: &ControlLoop, now: Instant, link_up: bool) -> SiteView {
    let seq = control.sequencer();
    let ix = seq.intersection();
    let (stage, in_stage_s) = match seq.phase() {
        greenwave_controllers::sequencer::Phase::Dwell { stage, since } => (
            Some(ix.stage(stage).id.clone()),
            (now - since).as_secs_f64(),
        ),
        _ => (None, 0.0),
    };
    let estimate = control.estimator().estimate();
    SiteView {
        site: site.to_owned(),
        mode: control.mode().name().to_owned(),
        stage,
        in_stage_s,
        queues: estimate
            .approaches
            .iter()
            .map(|a| (a.link.clone(), a.queue_veh))
            .collect(),
        faults: estimate
            .detectors
            .iter()
            .filter_map(|d| d.fault.map(|f| format!("ch{} {f}", d.channel)))
            .collect(),
        link_up,
        heard: Vec::new(),
        broker_up: false,
    }
}
