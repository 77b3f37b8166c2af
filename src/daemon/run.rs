//! The edge daemon's tasks: the field I/O task (the cabinet over Modbus) and the control loop,
//! joined by `watch` channels so the control loop never waits on the network. A tick runs on
//! every fresh reading; a timer notices a dead link. On shutdown the cabinet is handed back to
//! its local control.

use std::fs::File;
use std::io::BufWriter;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, SystemTime};

use anyhow::{Context, Result};
use tokio::sync::watch;
use tokio::time::{Instant as TokioInstant, MissedTickBehavior, interval};

use greenwave_controllers::Instant;
use greenwave_controllers::control::Neighbours;
use greenwave_controllers::model::Aspect;
use greenwave_sim::build_controller;

use super::clock::CabinetClock;
use super::config::{ClockSource, DaemonConfig};
use super::control::{ControlLoop, Event, LoopSettings};
use super::eventlog::EventLog;
use super::orders::OrderBook;
use super::plan_gate::{PlanGate, Schedule, Taken};
use super::uplink::{Order, Uplink};
use crate::fieldio::link::Link;
use crate::fieldio::poller::{self, Command, Field, FieldStats, PollerIo, PollerSettings};
use crate::mqtt::payload::{OperatorMode, PlanResult};
use greenwave_controllers::control::{Controller, FixedTime};
use greenwave_controllers::plan::{PlanSpec, TimingPlan};

/// What the daemon shows of itself while running (for a live view).
#[derive(Clone, Debug, Default)]
pub struct SiteView {
    /// The site.
    pub site: String,
    /// Following, driving or safe.
    pub mode: String,
    /// The stage running (its id), if any.
    pub stage: Option<String>,
    /// Seconds in that stage.
    pub in_stage_s: f64,
    /// Estimated queue per approach link, vehicles.
    pub queues: Vec<(String, f64)>,
    /// Detector channels on a fallback, and faults raised.
    pub faults: Vec<String>,
    /// Whether the cabinet link is up.
    pub link_up: bool,
    /// Neighbours whose forecasts are in use.
    pub heard: Vec<String>,
    /// Whether the broker link is up with the plan, mode and neighbour subscriptions in place.
    pub broker_up: bool,
}

/// What a run leaves behind.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// Field link counters, latencies included.
    pub stats: FieldStats,
    /// Control ticks run.
    pub ticks: u64,
}

/// Runs the daemon of `config` until `shutdown` becomes true; `view`, if given, is kept up to
/// date for a live display.
pub async fn run(
    config: DaemonConfig,
    mut shutdown: watch::Receiver<bool>,
    view: Option<watch::Sender<SiteView>>,
) -> Result<RunReport> {
    let site = config.site.clone();
    let mut book = OrderBook::open(config.state_dir.as_deref(), &site.id);
    let restored = restore_plan_order(&mut book, &config);
    let (mut schedule, kept_plan) = match restored {
        Some(Taken::Schedule(s)) => (Some(s), None),
        Some(Taken::Plan(plan, _)) => (None, Some(plan)),
        None => (None, None),
    };
    let mut schedule_announced = schedule.is_some();
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
    let started = TokioInstant::now();
    let mut control = ControlLoop::new(site.clone(), controller, plan, settings, Instant::ZERO);
    control.set_operator_mode(operator);
    let mut events = match &config.log.event_log {
        Some(path) => Some(EventLog::new(
            BufWriter::new(
                File::create(path).with_context(|| format!("event log {}", path.display()))?,
            ),
            &site.intersection,
        )),
        None => None,
    };

    let (field_tx, mut field_rx) = watch::channel(Field::default());
    let groups = site.intersection.groups().len();
    // Nothing is written before the loop has answered a reading of the current connection.
    let (command_tx, command_rx) = watch::channel(Command {
        request: poller::request::EXTERNAL,
        aspects: vec![Aspect::Red.code(); groups],
        answers: None,
    });
    let (poller_stop_tx, poller_stop_rx) = watch::channel(false);
    let stats = Arc::new(Mutex::new(FieldStats::default()));
    let mut poller = AbortOnDrop(tokio::spawn(poller::run(
        Link::new(config.link.clone()),
        PollerSettings {
            map: config.registers,
            channels: site.channels() as u16,
            groups: groups as u16,
            poll_period: config.tick,
            watchdog_period: config.watchdog_period,
        },
        PollerIo {
            field: field_tx,
            commands: command_rx,
            shutdown: poller_stop_rx,
            stats: stats.clone(),
        },
    )));
    tracing::info!(
        site = %site.id,
        controller = %config.controller,
        cabinet = %config.link.target,
        "daemon started"
    );
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }

    let mut uplink =
        Uplink::start(&config).map_err(|e| anyhow::anyhow!("{}: {e}", config.path.display()))?;
    if let Some(up) = &mut uplink {
        up.set_plan(control.plan());
        up.set_operator_mode(operator, book.kept().mode_order.as_deref());
    }
    let local_only = Neighbours::default();
    let mut watchdog = interval(config.tick * 5);
    watchdog.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_now = Instant::ZERO;
    let mut pending_spec: Option<PlanSpec> = None;
    let mut last_spat: Option<(greenwave_controllers::model::SignalState, TokioInstant)> = None;
    let mut cabinet_clock = CabinetClock::new(core_duration(config.heartbeat_timeout));
    let mut ticks = 0u64;
    let mut last_polls = 0;
    let mut flushed = TokioInstant::now();
    loop {
        tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            changed = field_rx.changed() => {
                if changed.is_err() {
                    break;
                }
                let field = field_rx.borrow_and_update().clone();
                let Some((reading, read_at)) = field.reading.filter(|_| field.up) else {
                    control.link_down();
                    continue;
                };
                if field.polls == last_polls {
                    continue;
                }
                last_polls = field.polls;
                let field_now = Instant::from_millis(started.elapsed().as_millis() as u64);
                let now = match config.clock {
                    ClockSource::System => field_now,
                    ClockSource::Cabinet => {
                        let cabinet = Instant::from_millis(u64::from(reading.clock_ds) * 100);
                        if let Err(why) = cabinet_clock.check(cabinet, field_now) {
                            control.fault(why);
                        }
                        cabinet
                    }
                }
                .max(last_now);
                last_now = now;
                if let Some(up) = &mut uplink {
                    let active_schedule = schedule
                        .as_ref()
                        .map(|s| (s.spec.schedule_id.clone(), s.spec.version));
                    let active_schedule = active_schedule.as_ref().map(|(i, v)| (i.as_str(), *v));
                    for order in up.receive(now, &mut book, control.plan(), active_schedule) {
                        match order {
                            Order::Schedule(s) => {
                                schedule = Some(*s);
                                schedule_announced = false;
                            }
                            Order::Plan(plan, spec) => {
                                schedule = None;
                                match controller_for(&config, control.operator_mode(), &plan, control.plan()) {
                                    Ok(c) => {
                                        control.set_plan(*plan, c);
                                        pending_spec = Some(*spec);
                                    }
                                    Err(e) => up.ack(
                                        &spec.plan_id,
                                        spec.version,
                                        PlanResult::Rejected,
                                        Some(e.to_string()),
                                    ),
                                }
                            }
                            Order::Mode(mode) => {
                                control.set_operator_mode(mode);
                                if matches!(mode, OperatorMode::Adaptive | OperatorMode::Plan) {
                                    let plan = control.plan().clone();
                                    if let Ok(c) = controller_for(&config, mode, &plan, &plan) {
                                        control.set_plan(plan, c);
                                    }
                                }
                                up.set_operator_mode(mode, book.kept().mode_order.as_deref());
                            }
                        }
                    }
                }
                // A schedule's plan for this time of day.
                if let Some(s) = &schedule {
                    let (_, plan, spec) = s.current(SystemTime::now());
                    let running = control.plan();
                    let is_running = running.plan_id == plan.plan_id && running.version == plan.version;
                    let is_pending = pending_spec
                        .as_ref()
                        .is_some_and(|p| p.plan_id == spec.plan_id && p.version == spec.version);
                    if !is_running && !is_pending {
                        if let Ok(c) = controller_for(&config, control.operator_mode(), plan, running) {
                            control.set_plan(plan.clone(), c);
                            pending_spec = Some(spec.clone());
                        }
                    } else if is_running && !schedule_announced {
                        schedule_announced = true;
                        announce_schedule(s, uplink.as_mut());
                    }
                }
                let neighbours = match &mut uplink {
                    Some(uplink) => uplink.neighbours(now),
                    None => &local_only,
                };
                let (request, aspects) = control.tick(now, field_now, &reading, neighbours);
                let command = Command {
                    request,
                    aspects: aspects.aspects().iter().map(|a| a.code()).collect(),
                    answers: Some(read_at),
                };
                // Sent every tick, changed or not: the poller writes only what changed, and
                // feeds the cabinet's watchdog only while this loop answers.
                if command_tx.borrow().aspects != command.aspects {
                    tracing::debug!(request = command.request, aspects = ?command.aspects, "command");
                }
                command_tx.send_replace(command);
                ticks += 1;
                if let Some(plan) = control.take_activated()
                    && pending_spec.take_if(|s| s.plan_id == plan.plan_id && s.version == plan.version).is_some()
                {
                    tracing::info!(site = %site.id, plan = %plan.plan_id, version = plan.version, "plan active");
                    match &schedule {
                        Some(s) => {
                            if !schedule_announced {
                                schedule_announced = true;
                                announce_schedule(s, uplink.as_mut());
                            }
                            if let Some(up) = &mut uplink {
                                up.event("plan", &format!(
                                    "plan {} v{} active (schedule {} v{})",
                                    plan.plan_id, plan.version, s.spec.schedule_id, s.spec.version
                                ));
                                up.set_plan(&plan);
                            }
                        }
                        None => {
                            if let Some(up) = &mut uplink {
                                up.ack(&plan.plan_id, plan.version, PlanResult::Active, None);
                                up.event("plan", &format!("plan {} v{} active", plan.plan_id, plan.version));
                                up.set_plan(&plan);
                            }
                        }
                    }
                }
                if let Some(uplink) = &mut uplink {
                    uplink.observe_telemetry(&control, now);
                    uplink.publish_outflow(&control, now);
                    // SPaT on every change of the heads, and at least once a second.
                    let changed = last_spat.as_ref().is_none_or(|(shown, at): &(_, TokioInstant)| {
                        shown != control.shown() || at.elapsed() >= StdDuration::from_secs(1)
                    });
                    if changed {
                        uplink.publish_spat(&control, now);
                        last_spat = Some((control.shown().clone(), TokioInstant::now()));
                    }
                }
                log_events(&site.id, &mut control, uplink.as_mut());
                if let Some(log) = &mut events {
                    if let Err(e) = log.observe(SystemTime::now(), control.shown(), &reading.detectors) {
                        tracing::warn!(error = %e, "event log write failed");
                    }
                    if flushed.elapsed() > StdDuration::from_secs(1) {
                        let _ = log.flush();
                        flushed = TokioInstant::now();
                    }
                }
                if let Some(view) = &view {
                    let mut v = site_view(&site.id, &control, now, true);
                    v.heard = uplink.as_ref().map(Uplink::heard).unwrap_or_default();
                    v.broker_up = uplink.as_ref().is_some_and(Uplink::broker_up);
                    view.send_replace(v);
                }
            }
            _ = watchdog.tick() => {
                let field = field_rx.borrow();
                if !field.up {
                    control.link_down();
                    if let Some(view) = &view {
                        view.send_modify(|v| v.link_up = false);
                    }
                }
            }
        }
    }
    tracing::info!(site = %site.id, "daemon stopping");
    let _ = poller_stop_tx.send(true);
    let _ = tokio::time::timeout(StdDuration::from_secs(2), &mut poller.0).await;
    if let Some(log) = &mut events {
        let _ = log.flush();
    }
    if let Some(uplink) = uplink {
        uplink.close().await;
    }
    let stats = stats.lock().map(|s| s.clone()).unwrap_or_default();
    Ok(RunReport { stats, ticks })
}

/// The controller for operator `mode` within `plan`: the configured one, or fixed time. Fixed
/// time taking over from `previous` reaches the new offset over three cycles.
fn controller_for(
    config: &DaemonConfig,
    mode: OperatorMode,
    plan: &TimingPlan,
    previous: &TimingPlan,
) -> Result<Box<dyn Controller>, greenwave_sim::ControllerError> {
    let name = match mode {
        OperatorMode::Plan => "fixed",
        _ => config.controller.as_str(),
    };
    if name == "fixed" {
        return Ok(Box::new(FixedTime::moving_from(
            plan.clone(),
            previous.offset,
        )));
    }
    build_controller(name, &config.site, Some(plan), &config.controller_params)
}

/// A schedule's first plan is running: acknowledge the schedule as active (it was kept when it
/// was accepted).
fn announce_schedule(s: &Schedule, uplink: Option<&mut Uplink>) {
    if let Some(up) = uplink {
        up.ack(
            &s.spec.schedule_id,
            s.spec.version,
            PlanResult::Active,
            None,
        );
    }
}

/// The plan or schedule kept in `book` from an earlier run, checked again as when it arrived
/// (its signature, when the site has trusted keys, at the time it was accepted), and newer than
/// the configured plan. A kept message that no longer passes is forgotten, with a warning.
fn restore_plan_order(book: &mut OrderBook, config: &DaemonConfig) -> Option<Taken> {
    let message = book.kept().plan_message.clone()?;
    let accepted_at = book
        .kept()
        .plan_accepted_at
        .as_deref()
        .and_then(|t| humantime::parse_rfc3339(t).ok())
        .unwrap_or_else(SystemTime::now);
    let newest = std::collections::BTreeMap::new();
    let gate = PlanGate {
        site: &config.site,
        active: &config.plan,
        active_schedule: None,
        trusted_keys: &config.trusted_keys,
        newest: &newest,
    };
    match gate.check(message.as_bytes(), accepted_at) {
        Ok(taken) => {
            let (id, version) = taken.id();
            tracing::info!(plan = %id, version, "resuming the last plan order accepted");
            Some(taken)
        }
        Err(r) => {
            tracing::warn!(
                site = %config.site.id,
                "the kept plan order is not resumed: {}",
                super::uplink::escape(&r.reason)
            );
            if let Err(e) = book.forget_plan() {
                tracing::warn!(error = %e, "could not update state_dir");
            }
            None
        }
    }
}

/// A task that ends with its owner: dropping (or aborting) the daemon ends its field I/O.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn core_duration(d: StdDuration) -> greenwave_controllers::Duration {
    greenwave_controllers::Duration::from_millis(d.as_millis() as u64)
}

/// Logs the control loop's events, and publishes them (with the status on a mode change).
fn log_events(site: &str, control: &mut ControlLoop, uplink: Option<&mut Uplink>) {
    let mut faults = Vec::new();
    let mut mode = None;
    for event in control.drain_events() {
        match &event {
            Event::Mode(m) => {
                tracing::info!(site, mode = ?m, "mode");
                mode = Some(*m);
            }
            Event::Fault(why) => {
                tracing::error!(site, "{why}");
                faults.push(why.clone());
            }
            Event::Detector { channel, why } => {
                tracing::warn!(site, channel, "detector: {why}")
            }
        }
        if let Some(uplink) = uplink.as_deref() {
            let (kind, message) = match &event {
                Event::Mode(m) => ("mode", format!("{m:?}")),
                Event::Fault(why) if why.starts_with("interlock") => ("interlock", why.clone()),
                Event::Fault(why) => ("fault", why.clone()),
                Event::Detector { channel, why } => {
                    ("detector", format!("channel {channel}: {why}"))
                }
            };
            uplink.event(kind, &message);
        }
    }
    if let (Some(uplink), Some(mode)) = (uplink, mode) {
        uplink.set_status(mode, &faults);
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
