//! The daemon's work on orders from central operations: a message from the broker checked,
//! kept and acknowledged by the uplink and applied to the control loop; a schedule followed by
//! time of day; the plan order kept in `state_dir` resumed at start.

use std::collections::BTreeMap;
use std::time::SystemTime;

use greenwave_controllers::control::{
    Controller, ControllerError, Coordinated, FixedTime, build_controller,
};
use greenwave_controllers::plan::TimingPlan;

use super::daemon::Daemon;
use crate::daemon::config::DaemonConfig;
use crate::daemon::orders::OrderBook;
use crate::daemon::plan_gate::{PlanGate, Taken};
use crate::daemon::uplink::{Order, escape};
use crate::mqtt::link::Incoming;
use crate::mqtt::payload::{EventKind, OperatorMode, PlanResult, PriorityMsg, RequestAction};
use greenwave_controllers::priority::PriorityRequest;

impl Daemon {
    /// A message from the broker: a neighbour's forecast, or an order, applied once it is kept.
    pub(super) fn on_message(&mut self, message: Incoming) {
        let Some(up) = &mut self.uplink else {
            return;
        };
        let active_schedule = self
            .schedule
            .as_ref()
            .map(|s| (s.spec.schedule_id.clone(), s.spec.version));
        let active_schedule = active_schedule.as_ref().map(|(i, v)| (i.as_str(), *v));
        let now = self.last_now;
        let plan = self.control.plan();
        if let Some(order) = up.take(message, now, &mut self.book, plan, active_schedule) {
            self.apply(order);
        }
    }

    fn apply(&mut self, order: Order) {
        match order {
            Order::Schedule(s) => {
                self.schedule = Some(*s);
                self.schedule_announced = false;
                self.follow_schedule();
            }
            Order::Plan(plan, spec) => {
                self.schedule = None;
                let mode = self.control.operator_mode();
                match controller_for(&self.config, mode, &plan, self.control.plan()) {
                    Ok(c) => {
                        self.control.set_plan(*plan, c);
                        self.pending_spec = Some(*spec);
                    }
                    Err(e) => {
                        if let Some(up) = &self.uplink {
                            let why = Some(e.to_string());
                            up.ack(&spec.plan_id, spec.version, PlanResult::Rejected, why);
                        }
                    }
                }
            }
            Order::Priority(m) => self.take_priority(m),
            Order::Preempt(m) => {
                let on = m.action == RequestAction::Request;
                if let Err(why) = self.control.remote_preemption(m.approach, on)
                    && let Some(up) = &mut self.uplink
                {
                    up.reject(
                        EventKind::Preemption,
                        &format!("preempt/request refused: {why}"),
                    );
                }
            }
            Order::Mode(mode) => {
                self.control.set_operator_mode(mode);
                if matches!(mode, OperatorMode::Adaptive | OperatorMode::Plan) {
                    // The mode's controller from the next cycle boundary, for the plan that
                    // runs then: a newer plan waiting for that boundary stays the one to run.
                    let running = self.control.plan().clone();
                    let plan = self
                        .control
                        .pending_plan()
                        .cloned()
                        .unwrap_or(running.clone());
                    if let Ok(c) = controller_for(&self.config, mode, &plan, &running) {
                        self.control.set_plan(plan, c);
                    }
                }
                if let Some(up) = &mut self.uplink {
                    up.set_operator_mode(mode, self.book.kept().mode_order.as_deref());
                }
            }
        }
    }

    /// A bus's priority request: its eta counted from `ts` (a request older than a minute is
    /// stale), handed to the control loop; a refusal goes to `events` with the reason.
    fn take_priority(&mut self, m: PriorityMsg) {
        if m.action == RequestAction::Cancel {
            self.control.cancel_priority(&m.vehicle);
            return;
        }
        let age = humantime::parse_rfc3339(&m.ts)
            .ok()
            .and_then(|ts| SystemTime::now().duration_since(ts).ok())
            .map_or(0.0, |d| d.as_secs_f64());
        let refused = match m.eta_s {
            None => Err("a request needs eta_s".to_owned()),
            Some(_) if age > 60.0 => Err(format!("it is {age:.0} s old")),
            Some(eta) => {
                let request = PriorityRequest {
                    approach: m.approach,
                    vehicle: m.vehicle.clone(),
                    route: m.route.clone(),
                    eta_s: (eta - age).max(0.0),
                    lateness_s: m.lateness_s,
                    occupancy: m.occupancy,
                };
                self.control.request_priority(self.last_now, request)
            }
        };
        if let (Err(why), Some(up)) = (refused, &mut self.uplink) {
            let why = format!(
                "priority/request from {} refused: {why}",
                escape(&m.vehicle)
            );
            up.reject(EventKind::Priority, &why);
        }
    }

    /// The schedule's plan for this time of day, from the next cycle boundary.
    pub(super) fn follow_schedule(&mut self) {
        let Some(s) = &self.schedule else {
            return;
        };
        let (_, plan, spec) = s.current(SystemTime::now());
        let running = self.control.plan();
        let is_running = running.plan_id == plan.plan_id && running.version == plan.version;
        let is_pending = self
            .pending_spec
            .as_ref()
            .is_some_and(|p| p.plan_id == spec.plan_id && p.version == spec.version);
        if !is_running && !is_pending {
            let mode = self.control.operator_mode();
            if let Ok(c) = controller_for(&self.config, mode, plan, running) {
                self.control.set_plan(plan.clone(), c);
                self.pending_spec = Some(spec.clone());
            }
        } else if is_running && !self.schedule_announced {
            // The schedule's plan runs already: the schedule is active.
            self.schedule_announced = true;
            if let Some(up) = &self.uplink {
                up.ack(
                    &s.spec.schedule_id,
                    s.spec.version,
                    PlanResult::Active,
                    None,
                );
            }
        }
    }
}

/// The controller for operator `mode` within `plan`: the configured one, or fixed time. Fixed
/// time and coordinated control taking over from `previous` reach the new offset over three
/// cycles.
pub(super) fn controller_for(
    config: &DaemonConfig,
    mode: OperatorMode,
    plan: &TimingPlan,
    previous: &TimingPlan,
) -> Result<Box<dyn Controller>, ControllerError> {
    let name = match mode {
        OperatorMode::Plan => "fixed",
        _ => config.controller.as_str(),
    };
    match name {
        "fixed" => Ok(Box::new(FixedTime::moving_from(
            plan.clone(),
            previous.offset,
        ))),
        "coordinated" => Coordinated::moving_from(
            &config.site,
            plan.clone(),
            previous.offset,
            &config.controller_params.coordinated,
        )
        .map(|c| Box::new(c) as Box<dyn Controller>)
        .map_err(|why| ControllerError::Parameters {
            controller: name.to_owned(),
            why,
        }),
        _ => build_controller(name, &config.site, Some(plan), &config.controller_params),
    }
}

/// The plan or schedule kept in `book` from an earlier run, checked again as when it arrived
/// (its signature, when the site has trusted keys, at the time it was accepted, and against the
/// revocation list as it is now), and newer than the configured plan. A kept message that no
/// longer passes (edited on disk, say) is forgotten, with a warning.
pub(super) fn restore_plan_order(book: &mut OrderBook, config: &DaemonConfig) -> Option<Taken> {
    let message = book.kept().plan_message.clone()?;
    let accepted_at = book
        .kept()
        .plan_accepted_at
        .as_deref()
        .and_then(|t| humantime::parse_rfc3339(t).ok())
        .unwrap_or_else(SystemTime::now);
    let newest = BTreeMap::new();
    let gate = PlanGate {
        site: &config.site,
        active: &config.plan,
        active_schedule: None,
        trusted_keys: &config.trusted_keys,
        revoked: &config.mqtt.revoked_keys,
        newest: &newest,
        newest_issued: None,
    };
    match gate.check(message.as_bytes(), accepted_at) {
        Ok(taken) => {
            let (id, version) = taken.id();
            tracing::info!(plan = %escape(&id), version, "resuming the last plan order accepted");
            Some(taken)
        }
        Err(r) => {
            tracing::warn!(
                site = %config.site.id,
                "the kept plan order is not resumed: {}",
                escape(&r.reason)
            );
            if let Err(e) = book.forget_plan() {
                tracing::warn!(error = %e, "could not update state_dir");
            }
            None
        }
    }
}
