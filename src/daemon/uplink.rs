//! The daemon's side of MQTT (`docs/spec/mqtt.md`): its retained `status` (with a last will that
//! marks it offline), `events`, and `outflow` forecasts once per forecast bin and on every
//! change of the heads; the neighbours' `outflow` in, for the controller. Publishing never
//! blocks: see [`crate::mqtt::link`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use rumqttc::QoS;

use greenwave_controllers::Instant;
use greenwave_controllers::control::{Neighbours, Outflow};
use greenwave_controllers::model::SignalState;
use greenwave_controllers::site::Site;

use super::config::{ClockSource, DaemonConfig};
use super::control::{ControlLoop, Mode};
use super::neighbours::NeighbourForecasts;
use crate::mqtt::link::{self, Incoming, MqttHandle, MqttSettings, Outgoing};
use crate::mqtt::payload::{
    self, EventKind, EventMsg, ModeSet, OperatorMode, OutflowMsg, PlanAck, PlanResult, PreemptMsg,
    PriorityMsg, Status,
};
use greenwave_controllers::plan::{PlanSpec, TimingPlan};

use super::orders::{OrderBook, OrderKind};
pub use super::plan_gate::{MAX_PLAN_BYTES, PlanGate, Rejection, Schedule, Taken};
use crate::mqtt::signing;

/// The largest `mode/set` payload taken, bytes.
pub const MAX_MODE_BYTES: usize = 4 * 1024;

pub use crate::untrusted::escape;

/// What central operations ordered.
#[derive(Clone, Debug)]
pub enum Order {
    /// Run this plan (validated), from the next cycle boundary; its spec to persist.
    Plan(Box<TimingPlan>, Box<PlanSpec>),
    /// Run the plans of this schedule, each at its time of day.
    Schedule(Box<Schedule>),
    /// Run in this mode.
    Mode(OperatorMode),
    /// A bus's transit priority request (or its cancellation), from AVL.
    Priority(PriorityMsg),
    /// An emergency vehicle's preemption call (or its end), from dispatch.
    Preempt(PreemptMsg),
}

/// How long a neighbour may stay quiet before its links fall back to local estimation.
const SILENT_AFTER_S: u64 = 5;

/// What the status says of the daemon besides its mode.
struct Identity {
    site: String,
    controller: String,
    plan: (String, u32),
    since: String,
    operator: OperatorMode,
    mode_order: Option<String>,
}

impl Identity {
    fn will(&self) -> Outgoing {
        let mut will = self.status(false, "offline", &[]);
        if let Ok(mut status) = serde_json::from_slice::<Status>(&will.payload) {
            status.plan_id = None;
            status.plan_version = None;
            will.payload = serde_json::to_vec(&status).unwrap_or_default();
        }
        will
    }

    fn status(&self, online: bool, mode: &str, faults: &[String]) -> Outgoing {
        let status = Status {
            site: self.site.clone(),
            ts: payload::now_ts(),
            online,
            mode: mode.to_owned(),
            operator_mode: self.operator,
            mode_order: self.mode_order.clone(),
            controller: self.controller.clone(),
            plan_id: Some(self.plan.0.clone()),
            plan_version: Some(self.plan.1),
            faults: faults.to_vec(),
            software: env!("CARGO_PKG_VERSION").to_owned(),
            since: self.since.clone(),
        };
        Outgoing {
            topic: payload::topic(&self.site, "status"),
            payload: serde_json::to_vec(&status).unwrap_or_default(),
            qos: QoS::AtLeastOnce,
            retain: true,
        }
    }
}

/// The MQTT uplink of one daemon.
pub struct Uplink {
    site: Arc<Site>,
    identity: Identity,
    handle: MqttHandle,
    forecasts: NeighbourForecasts,
    clock: ClockSource,
    rejected: u64,
    /// The last status published: loop mode and faults.
    last_status: (Mode, Vec<String>),
    telemetry: super::telemetry::Aggregator,
    trusted_keys: Vec<signing::TrustedKey>,
    revoked_keys: Vec<String>,
    /// Incoming drops already reported in an event.
    reported_incoming_drops: u64,
    /// When a neighbour's clamped outflow was last reported.
    clamp_noted: std::collections::BTreeMap<String, Instant>,
    /// When the last outflow went out, and the heads then.
    last_outflow: Option<(Instant, SignalState)>,
}

/// The forecasts' bin, s: a new forecast goes out at least this often.
const OUTFLOW_BIN_S: f64 = 1.0;

/// Whether a new outflow is due at `now` with `shown` on the heads, after the `last` one (when
/// and with which heads it went out): a bin later, or as soon as the heads change.
fn outflow_due(last: Option<&(Instant, SignalState)>, now: Instant, shown: &SignalState) -> bool {
    last.is_none_or(|(at, then)| (now - *at).as_secs_f64() >= OUTFLOW_BIN_S || then != shown)
}

impl Uplink {
    /// Connects as configured; `None` when the config has no broker.
    pub fn start(config: &DaemonConfig) -> Result<Option<Uplink>, String> {
        let Some(url) = &config.mqtt.broker else {
            return Ok(None);
        };
        let site = config.site.clone();
        let client_id = config
            .mqtt
            .client_id
            .clone()
            // The site id: the identity its certificate and the broker's ACL name it by (with
            // `use_username_as_clientid`, the broker sets it so whatever a client asks).
            .unwrap_or_else(|| site.id.clone());
        let mut settings = MqttSettings::from_url(url, &client_id)?;
        settings.tls = config.mqtt_tls.clone();
        if let (Some(user), Some(password)) = (&config.mqtt.username, &config.mqtt.password) {
            settings.credentials = Some((user.clone(), password.clone()));
        }
        let mut subscriptions: Vec<String> = NeighbourForecasts::sites(&site)
            .iter()
            .map(|s| payload::topic(s, "outflow"))
            .collect();
        subscriptions.push(payload::topic(&site.id, "plan/set"));
        subscriptions.push(payload::topic(&site.id, "mode/set"));
        subscriptions.push(payload::topic(&site.id, "priority/request"));
        subscriptions.push(payload::topic(&site.id, "preempt/request"));
        let identity = Identity {
            site: site.id.clone(),
            controller: config.controller.clone(),
            plan: (config.plan.plan_id.clone(), config.plan.version),
            since: payload::now_ts(),
            operator: OperatorMode::Adaptive,
            mode_order: None,
        };
        // The last will names no plan: by the time it is published, it could be stale.
        let will = identity.will();
        let mut uplink = Uplink {
            forecasts: NeighbourForecasts::new(
                site.clone(),
                greenwave_controllers::Duration::from_secs(SILENT_AFTER_S),
                config.clock == ClockSource::Cabinet,
            ),
            handle: link::start(settings, subscriptions, will),
            identity,
            clock: config.clock,
            rejected: 0,
            last_status: (
                Mode::Following {
                    handing_back: false,
                },
                Vec::new(),
            ),
            telemetry: super::telemetry::Aggregator::new(
                greenwave_controllers::Duration::from_secs_f64(
                    config.mqtt.telemetry_interval_s.unwrap_or(60.0),
                ),
            ),
            trusted_keys: config.trusted_keys.clone(),
            revoked_keys: config.mqtt.revoked_keys.clone(),
            reported_incoming_drops: 0,
            clamp_noted: std::collections::BTreeMap::new(),
            last_outflow: None,
            site,
        };
        uplink.set_status(
            Mode::Following {
                handing_back: false,
            },
            &[],
        );
        Ok(Some(uplink))
    }

    /// Publishes the status for `mode` (retained, republished on every reconnect).
    pub fn set_status(&mut self, mode: Mode, faults: &[String]) {
        self.last_status = (mode, faults.to_vec());
        let name = mode.name();
        self.handle
            .set_status(self.identity.status(true, name, faults));
    }

    /// The plan now in force, for the status.
    pub fn set_plan(&mut self, plan: &TimingPlan) {
        self.identity.plan = (plan.plan_id.clone(), plan.version);
        let (mode, faults) = self.last_status.clone();
        self.set_status(mode, &faults);
    }

    /// The mode central operations asked for, and the `ts` of the order, for the status.
    pub fn set_operator_mode(&mut self, mode: OperatorMode, order: Option<&str>) {
        self.identity.operator = mode;
        self.identity.mode_order = order.map(str::to_owned);
        let (m, faults) = self.last_status.clone();
        self.set_status(m, &faults);
    }

    /// Publishes an event.
    pub fn event(&self, kind: EventKind, message: &str) {
        let event = EventMsg {
            site: self.site.id.clone(),
            ts: payload::now_ts(),
            kind,
            message: message.to_owned(),
        };
        self.handle.publish_important(Outgoing {
            topic: payload::topic(&self.site.id, "events"),
            payload: serde_json::to_vec(&event).unwrap_or_default(),
            qos: QoS::AtLeastOnce,
            retain: false,
        });
    }

    /// The messages that arrive on the subscriptions, for the daemon to wait on; each goes back
    /// through [`Uplink::take`]. (Called once: later calls get a receiver that never yields.)
    pub fn take_incoming(&mut self) -> tokio::sync::mpsc::Receiver<Incoming> {
        let (_, closed) = tokio::sync::mpsc::channel(1);
        std::mem::replace(&mut self.handle.incoming, closed)
    }

    /// Takes one message that arrived: a neighbour's forecast is kept; a plan or a mode for this
    /// site is checked (a plan against the intersection, the `active` plan's version and the
    /// newest versions in `book`), kept durably in `book`, only then acknowledged, and returned
    /// as an order. A bad message is rejected with the reason on `plan/ack` (plans) and `events`,
    /// and changes nothing. A retained `mode/set` is an old order replayed by the broker:
    /// ignored.
    pub fn take(
        &mut self,
        message: Incoming,
        now: Instant,
        book: &mut OrderBook,
        active: &TimingPlan,
        active_schedule: Option<(&str, u32)>,
    ) -> Option<Order> {
        let (from, kind) = payload::parse_topic(&message.topic)?;
        match kind {
            "outflow" => {
                self.take_outflow(from, &message.payload, now);
                None
            }
            "plan/set" if from == self.site.id => {
                self.take_plan(&message.payload, book, active, active_schedule)
            }
            "mode/set" if from == self.site.id && message.retain => {
                self.reject_event(
                    EventKind::Mode,
                    "a retained mode/set was ignored: orders are not taken from the broker's memory",
                );
                None
            }
            "mode/set" if from == self.site.id => self.take_mode(&message.payload, book),
            "priority/request" | "preempt/request" if from == self.site.id => {
                let event = if kind == "priority/request" {
                    EventKind::Priority
                } else {
                    EventKind::Preemption
                };
                match self.check_request(kind, message.retain, &message.payload) {
                    Ok(order) => Some(order),
                    Err(why) => {
                        self.reject_event(event, &format!("{kind} rejected: {}", escape(&why)));
                        None
                    }
                }
            }
            _ => None,
        }
    }

    /// The checks of a `priority/request` or `preempt/request`: not retained (an old request
    /// the broker replays), size, shape, a time in `ts`, the site. What the request asks is
    /// judged by the control loop.
    fn check_request(&self, kind: &str, retained: bool, bytes: &[u8]) -> Result<Order, String> {
        if retained {
            return Err("a retained request is stale".into());
        }
        if bytes.len() > MAX_MODE_BYTES {
            return Err(format!(
                "payload of {} bytes exceeds {MAX_MODE_BYTES}",
                bytes.len()
            ));
        }
        let (site, ts, order) = if kind == "priority/request" {
            let m = serde_json::from_slice::<PriorityMsg>(bytes).map_err(|e| e.to_string())?;
            (m.site.clone(), m.ts.clone(), Order::Priority(m))
        } else {
            let m = serde_json::from_slice::<PreemptMsg>(bytes).map_err(|e| e.to_string())?;
            (m.site.clone(), m.ts.clone(), Order::Preempt(m))
        };
        if humantime::parse_rfc3339(&ts).is_err() {
            return Err(format!("ts `{ts}` is not an RFC 3339 time"));
        }
        if site != self.site.id {
            return Err(format!("it names site {site}, not {}", self.site.id));
        }
        Ok(order)
    }

    fn take_mode(&mut self, bytes: &[u8], book: &mut OrderBook) -> Option<Order> {
        match self.check_mode(bytes, book) {
            Ok((set, signed)) => {
                match book.accept_mode(set.mode, &set.ts, signed.as_ref()) {
                    Ok(entry) => self.audit_event(entry),
                    Err(e) => {
                        let why =
                            format!("mode/set rejected: it could not be kept in state_dir: {e}");
                        self.reject_event(EventKind::Mode, &why);
                        return None;
                    }
                }
                let what = format!("central operations set mode {:?}", set.mode);
                tracing::info!(site = %self.site.id, "{what}");
                self.event(EventKind::Mode, &what);
                Some(Order::Mode(set.mode))
            }
            Err(why) => {
                self.reject_event(
                    EventKind::Mode,
                    &format!("mode/set rejected: {}", escape(&why)),
                );
                None
            }
        }
    }

    /// The checks of a `mode/set`: size, shape, a time in `ts`, the site, and where the site
    /// has trusted keys the signature, its expiry and its issue time against the newest mode
    /// order accepted.
    fn check_mode(
        &self,
        bytes: &[u8],
        book: &OrderBook,
    ) -> Result<(ModeSet, Option<signing::Verified>), String> {
        if bytes.len() > MAX_MODE_BYTES {
            return Err(format!(
                "payload of {} bytes exceeds {MAX_MODE_BYTES}",
                bytes.len()
            ));
        }
        let set = serde_json::from_slice::<ModeSet>(bytes).map_err(|e| e.to_string())?;
        if humantime::parse_rfc3339(&set.ts).is_err() {
            return Err(format!("ts `{}` is not an RFC 3339 time", set.ts));
        }
        if set.site != self.site.id {
            return Err(format!("it names site {}, not {}", set.site, self.site.id));
        }
        if self.trusted_keys.is_empty() {
            return Ok((set, None));
        }
        let verified = signing::verify(
            &self.trusted_keys,
            &self.revoked_keys,
            &self.site.id,
            &set.mode,
            set.signature.as_ref(),
            SystemTime::now(),
        )
        .map_err(|e| e.to_string())?;
        if let Some(newest) = book.newest_issued(OrderKind::Mode)
            && verified.issued <= newest
        {
            return Err(format!(
                "issued at {}, not after the newest mode order accepted ({}): a replay",
                humantime::format_rfc3339_millis(verified.issued),
                humantime::format_rfc3339_millis(newest)
            ));
        }
        Ok((set, Some(verified)))
    }

    fn take_outflow(&mut self, from: &str, bytes: &[u8], now: Instant) {
        let from = escape(from);
        match serde_json::from_slice::<OutflowMsg>(bytes) {
            Ok(mut outflow) if outflow.site == from => {
                let notes = outflow.sanitise();
                // Said once a minute per neighbour, not with every message.
                let due = self
                    .clamp_noted
                    .get(&from)
                    .is_none_or(|at| (now - *at).as_secs_f64() >= 60.0);
                if !notes.is_empty() && due {
                    self.clamp_noted.insert(from.clone(), now);
                    let what =
                        format!("outflow from {from} clamped: {}", escape(&notes.join("; ")));
                    tracing::warn!(site = %self.site.id, "{what}");
                    self.event(EventKind::Neighbour, &what);
                }
                self.forecasts.accept(outflow, now)
            }
            Ok(outflow) => {
                self.rejected += 1;
                let named = escape(&outflow.site);
                tracing::warn!("outflow on {from}'s topic names site `{named}`");
            }
            Err(e) => {
                self.rejected += 1;
                tracing::warn!("outflow from {from} rejected: {}", escape(&e.to_string()));
            }
        }
    }

    fn take_plan(
        &mut self,
        bytes: &[u8],
        book: &mut OrderBook,
        active: &TimingPlan,
        active_schedule: Option<(&str, u32)>,
    ) -> Option<Order> {
        let gate = PlanGate {
            site: &self.site,
            active,
            active_schedule,
            trusted_keys: &self.trusted_keys,
            revoked: &self.revoked_keys,
            newest: book.newest(),
            newest_issued: book.newest_issued(OrderKind::Plan),
        };
        let now = SystemTime::now();
        let checked = gate.check_signed(bytes, now).and_then(|(taken, signed)| {
            let (id, version) = taken.id();
            let kind = match taken {
                Taken::Plan(..) => "plan",
                Taken::Schedule(_) => "schedule",
            };
            // Kept on disk before it is acknowledged: what a site accepted survives a crash.
            match book.accept_plan(bytes, (kind, &id, version), now, signed.as_ref()) {
                Ok(entry) => {
                    self.audit_event(entry);
                    Ok(taken)
                }
                Err(e) => Err(Rejection {
                    plan_id: id,
                    version,
                    reason: format!("it could not be kept in state_dir: {e}"),
                }),
            }
        });
        match checked {
            Ok(taken) => {
                let (id, version) = taken.id();
                self.ack(&id, version, PlanResult::Accepted, None);
                let what = format!("{} v{version} accepted", escape(&id));
                tracing::info!(site = %self.site.id, "{what}");
                self.event(EventKind::Plan, &what);
                Some(match taken {
                    Taken::Plan(plan, spec) => Order::Plan(Box::new(plan), Box::new(spec)),
                    Taken::Schedule(schedule) => Order::Schedule(Box::new(schedule)),
                })
            }
            Err(r) => {
                self.ack(
                    &r.plan_id,
                    r.version,
                    PlanResult::Rejected,
                    Some(r.reason.clone()),
                );
                let what = if r.plan_id.is_empty() {
                    "plan/set".to_owned()
                } else {
                    format!("{} v{}", escape(&r.plan_id), r.version)
                };
                self.reject_event(
                    EventKind::Plan,
                    &format!("{what} rejected: {}", escape(&r.reason)),
                );
                None
            }
        }
    }

    /// Publishes an audit trail entry on `events`.
    fn audit_event(&self, entry: Option<super::audit::Entry>) {
        if let Some(e) = entry {
            let what = format!(
                "#{} {} {} signed by {} (hash {})",
                e.seq,
                e.kind,
                escape(&e.order),
                e.signer,
                e.hash
            );
            self.event(EventKind::Audit, &what);
        }
    }

    /// Reports a request refused by the control loop on `events`, as a rejection.
    pub fn reject(&mut self, kind: EventKind, message: &str) {
        self.reject_event(kind, message);
    }

    fn reject_event(&mut self, kind: EventKind, message: &str) {
        self.rejected += 1;
        tracing::warn!(site = %self.site.id, "{message}");
        self.event(kind, message);
    }

    /// Publishes a `plan/ack`.
    pub fn ack(&self, plan_id: &str, version: u32, result: PlanResult, reason: Option<String>) {
        let ack = PlanAck {
            site: self.site.id.clone(),
            ts: payload::now_ts(),
            plan_id: plan_id.to_owned(),
            version,
            result,
            reason,
        };
        self.handle.publish_important(Outgoing {
            topic: payload::topic(&self.site.id, "plan/ack"),
            payload: serde_json::to_vec(&ack).unwrap_or_default(),
            qos: QoS::AtLeastOnce,
            retain: false,
        });
    }

    /// The neighbours' view at `now`.
    pub fn neighbours(&mut self, now: Instant) -> &Neighbours {
        let dropped = self.handle.dropped_incoming.load(Ordering::Relaxed);
        if dropped > self.reported_incoming_drops {
            let what = format!(
                "{} incoming messages dropped (a flood: they came faster than this site takes \
                 them; {dropped} so far)",
                dropped - self.reported_incoming_drops
            );
            self.reported_incoming_drops = dropped;
            tracing::warn!(site = %self.site.id, "{what}");
            self.event(EventKind::Fault, &what);
        }
        let (neighbours, notes) = self.forecasts.update(now, SystemTime::now());
        for note in &notes {
            tracing::info!(site = %self.site.id, "{note}");
            let event = EventMsg {
                site: self.site.id.clone(),
                ts: payload::now_ts(),
                kind: EventKind::Neighbour,
                message: note.clone(),
            };
            self.handle.publish_important(Outgoing {
                topic: payload::topic(&self.site.id, "events"),
                payload: serde_json::to_vec(&event).unwrap_or_default(),
                qos: QoS::AtLeastOnce,
                retain: false,
            });
        }
        neighbours
    }

    /// Publishes the controller's outflow forecast (if it makes one) and the site's report on
    /// each of its approach links, when a bin has passed since the last one or the heads have
    /// changed (a forecast per tick would only load the broker and the neighbours).
    pub fn publish_outflow(&mut self, control: &ControlLoop, now: Instant) {
        if !outflow_due(self.last_outflow.as_ref(), now, control.shown()) {
            return;
        }
        self.last_outflow = Some((now, control.shown().clone()));
        let empty = Outflow::default();
        let outflow = control.controller().outflow().unwrap_or(&empty);
        let links = control
            .estimator()
            .link_reports()
            .map(|(link, report)| (link.to_owned(), report))
            .collect();
        let (from, bin0) = bin0_on_the_wire(
            outflow.from,
            control.control_time(now),
            now,
            SystemTime::now(),
        );
        let message = OutflowMsg {
            site: self.site.id.clone(),
            ts: humantime::format_rfc3339_millis(bin0).to_string(),
            clock: match self.clock {
                ClockSource::System => "system".into(),
                ClockSource::Cabinet => "cabinet".into(),
            },
            clock_ms: from.total_millis(),
            bin_s: OUTFLOW_BIN_S,
            by_link: outflow.by_link.clone(),
            links,
        };
        self.handle.publish_bulk(Outgoing {
            topic: payload::topic(&self.site.id, "outflow"),
            payload: serde_json::to_vec(&message).unwrap_or_default(),
            qos: QoS::AtMostOnce,
            retain: false,
        });
    }

    /// Says the daemon is going offline (retained status), then disconnects cleanly.
    pub async fn close(self) {
        self.handle
            .say_goodbye(self.identity.status(false, "offline", &[]));
        self.handle.close(std::time::Duration::from_secs(2)).await;
    }

    /// Whether the broker link is up and its subscriptions (plans, modes, neighbours) are in
    /// place.
    pub fn broker_up(&self) -> bool {
        *self.handle.connected.borrow()
    }

    /// The neighbours whose forecasts are in use.
    pub fn heard(&self) -> Vec<String> {
        self.forecasts.heard()
    }

    /// Publishes SPaT for what the cabinet shows now.
    pub fn publish_spat(&self, control: &ControlLoop, now: Instant) {
        let spat = super::spat::Spat {
            site: self.site.id.clone(),
            ts: payload::now_ts(),
            groups: super::spat::movement_states(
                control.shown(),
                control.sequencer(),
                control.plan(),
                control.control_time(now),
            ),
            preemption_active: control.preemption_active(),
            priority_active: control.priority_active(),
        };
        self.handle.publish_bulk(Outgoing {
            topic: payload::topic(&self.site.id, "spat"),
            payload: serde_json::to_vec(&spat).unwrap_or_default(),
            qos: QoS::AtMostOnce,
            retain: false,
        });
    }

    /// Adds this tick to the telemetry interval; publishes it when the interval is over.
    pub fn observe_telemetry(&mut self, control: &ControlLoop, now: Instant) {
        let Some((interval_s, detectors, approaches)) =
            self.telemetry
                .observe(now, control.samples(), control.estimator().estimate())
        else {
            return;
        };
        let telemetry = super::telemetry::Telemetry {
            site: self.site.id.clone(),
            ts: payload::now_ts(),
            interval_s,
            detectors,
            approaches,
            dropped_messages: self.handle.dropped.load(Ordering::Relaxed),
            dropped_incoming: self.handle.dropped_incoming.load(Ordering::Relaxed),
            priority: control.priority_counts().clone(),
        };
        self.handle.publish_bulk(Outgoing {
            topic: payload::topic(&self.site.id, "telemetry"),
            payload: serde_json::to_vec(&telemetry).unwrap_or_default(),
            qos: QoS::AtMostOnce,
            retain: false,
        });
    }

    /// Messages dropped so far: outgoing bulk (the broker lagged) and incoming (a flood).
    pub fn dropped(&self) -> (u64, u64) {
        (
            self.handle.dropped.load(Ordering::Relaxed),
            self.handle.dropped_incoming.load(Ordering::Relaxed),
        )
    }

    /// Bulk messages dropped so far, and incoming messages rejected.
    pub fn counters(&self) -> (u64, u64) {
        (self.handle.dropped.load(Ordering::Relaxed), self.rejected)
    }
}

/// When an outflow's bin 0 (`from`, on the controller's clock, which reads `control_now`) is on
/// the daemon's clock (which reads `now`, the cabinet clock the neighbours share) and on the wall
/// clock (which reads `wall`). The controller's clock runs behind the daemon's by the time the
/// loop waited for the cabinet to show its commands (a tick per change of the signals, so it
/// grows); and bin 0 lies in the past, as the outflow starts with the recent departures.
fn bin0_on_the_wire(
    from: Instant,
    control_now: Instant,
    now: Instant,
    wall: SystemTime,
) -> (Instant, SystemTime) {
    let back = std::time::Duration::from_millis((control_now - from).total_millis());
    (
        now - (control_now - from),
        wall.checked_sub(back).unwrap_or(UNIX_EPOCH),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use greenwave_controllers::model::Aspect;

    #[test]
    fn an_outflow_is_stamped_with_its_first_bin_on_the_shared_clock_and_the_wall_clock() {
        let wall = UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let at = Instant::from_millis;
        // The controller's clock 12 s behind the daemon's; bin 0 90 s back on it.
        let (from, bin0) = bin0_on_the_wire(at(400_000), at(490_000), at(502_000), wall);
        assert_eq!(from, at(412_000));
        assert_eq!(bin0, wall - std::time::Duration::from_secs(90));
        // A forecast from now on, or (clock skew) from later: stamped now.
        assert_eq!(
            bin0_on_the_wire(at(490_000), at(490_000), at(502_000), wall),
            (at(502_000), wall)
        );
        assert_eq!(
            bin0_on_the_wire(at(491_000), at(490_000), at(502_000), wall),
            (at(502_000), wall)
        );
    }

    #[test]
    fn an_outflow_goes_out_once_a_bin_and_on_every_change_of_the_heads() {
        let red = SignalState::uniform(2, Aspect::Red);
        let green = SignalState::uniform(2, Aspect::Green);
        let at = Instant::from_millis;
        assert!(outflow_due(None, at(0), &red), "the first one");
        let last = (at(10_000), red.clone());
        assert!(!outflow_due(Some(&last), at(10_100), &red), "a tick later");
        assert!(!outflow_due(Some(&last), at(10_900), &red));
        assert!(outflow_due(Some(&last), at(11_000), &red), "a bin later");
        assert!(
            outflow_due(Some(&last), at(10_100), &green),
            "the heads changed"
        );
    }
}
