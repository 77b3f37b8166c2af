//! The JSON payloads of the MQTT topics (`docs/spec/mqtt.md`, v1). Every payload carries `site` and
//! `ts` (RFC 3339, UTC); unknown fields are ignored; a missing or wrongly typed required field
//! rejects the message with serde's reason. Schemas with examples: `docs/mqtt/`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use greenwave_controllers::estimate::LinkReport;
use greenwave_controllers::plan::PlanSpec;

/// The topic of `kind` for `site`: `greenwave/v1/{site}/{kind}`.
pub fn topic(site: &str, kind: &str) -> String {
    format!("greenwave/v1/{site}/{kind}")
}

/// The site and kind of a greenwave topic, if it is one.
pub fn parse_topic(topic: &str) -> Option<(&str, &str)> {
    let rest = topic.strip_prefix("greenwave/v1/")?;
    let (site, kind) = rest.split_once('/')?;
    (!site.is_empty() && !kind.is_empty()).then_some((site, kind))
}

/// `ts` for now.
pub fn now_ts() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// `status` (retained): what the daemon is doing. The last will sets `online: false`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The site.
    pub site: String,
    /// When.
    pub ts: String,
    /// False in the last will.
    pub online: bool,
    /// `following` (the cabinet's local plan runs), `driving`, `safe` (a field fault or an
    /// interlock trip asked the cabinet to flash), or `offline`.
    pub mode: String,
    /// What central operations asked for (`mode/set`).
    #[serde(default)]
    pub operator_mode: OperatorMode,
    /// The `ts` of the `mode/set` that set `operator_mode` (none: the configured default), so
    /// that a sender knows its own order was taken, not an older one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_order: Option<String>,
    /// The controller running.
    #[serde(default)]
    pub controller: String,
    /// The active plan's id.
    #[serde(default)]
    pub plan_id: Option<String>,
    /// The active plan's version.
    #[serde(default)]
    pub plan_version: Option<u32>,
    /// Faults standing now.
    #[serde(default)]
    pub faults: Vec<String>,
    /// greenwave's version.
    #[serde(default)]
    pub software: String,
    /// Since when the daemon runs (RFC 3339).
    #[serde(default)]
    pub since: String,
}

/// What an `events` message is about: the `kind` values of the contract
/// (`docs/mqtt/events.schema.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A fault raised (the safe state latched, a dropped message, a broken audit trail).
    Fault,
    /// A detector channel judged faulty.
    Detector,
    /// The control loop changed mode, or a mode order was taken or refused.
    Mode,
    /// A plan or schedule activated, or refused.
    Plan,
    /// The interlock tripped.
    Interlock,
    /// A neighbour's forecasts went silent or came back.
    Neighbour,
    /// An order entered in the audit trail.
    Audit,
    /// An emergency preemption call taken, served, ended, stuck or refused.
    Preemption,
    /// A transit priority check-in, early green, extension or refusal.
    Priority,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 9] = [
        EventKind::Fault,
        EventKind::Detector,
        EventKind::Mode,
        EventKind::Plan,
        EventKind::Interlock,
        EventKind::Neighbour,
        EventKind::Audit,
        EventKind::Preemption,
        EventKind::Priority,
    ];
}

/// `events`: something happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventMsg {
    /// The site.
    pub site: String,
    /// When.
    pub ts: String,
    /// What about.
    pub kind: EventKind,
    /// What, in words.
    pub message: String,
}

/// `outflow`: the departures the site forecasts onto each outgoing link, in one-second bins,
/// and its approach queues (for a neighbour's max-pressure).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutflowMsg {
    /// The site.
    pub site: String,
    /// When bin 0 starts, wall clock.
    pub ts: String,
    /// The sender's clock source, `system` or `cabinet`.
    pub clock: String,
    /// When bin 0 starts on the sender's clock (its cabinet's, as read, when it follows it), ms:
    /// comparable between daemons that follow the same cabinet clock.
    pub clock_ms: u64,
    /// Bin width, s (1).
    pub bin_s: f64,
    /// Vehicles per bin by outgoing link id.
    pub by_link: BTreeMap<String, Vec<f64>>,
    /// The sender's report on each of its approaches (queues, counted arrivals), by approach
    /// link id.
    #[serde(default)]
    pub links: BTreeMap<String, LinkReport>,
}

/// The most vehicles one outflow bin (a second) may carry onto a link. Far more than a link
/// discharges (about 0.5 veh/s per lane), since counted departures arrive in bursts (a count
/// held at red goes out with its lane's green); a bound against absurd numbers, not a model.
pub const MAX_BIN_VEH: f64 = 50.0;
/// The largest queue per lane a report may give, vehicles (a 2 km link, jammed).
pub const MAX_QUEUE_PER_LANE: f64 = 400.0;
/// The largest arrival flow a report may give, veh/h.
pub const MAX_ARRIVAL_VEH_H: f64 = 20_000.0;

impl OutflowMsg {
    /// Clamps every figure into what traffic can be (not a number: 0), and says which were out
    /// of range: a neighbour's broken or hostile numbers must not steer the controller.
    pub fn sanitise(&mut self) -> Vec<String> {
        fn clamp(v: &mut f64, max: f64, what: &str, notes: &mut Vec<String>) {
            // Rounding leaves sums a hair below zero: that is zero, not news.
            if (-1e-9..0.0).contains(v) {
                *v = 0.0;
            }
            if !(0.0..=max).contains(v) {
                notes.push(format!("{what} {v:e} out of 0 to {max}"));
                *v = if v.is_nan() { 0.0 } else { v.clamp(0.0, max) };
            }
        }
        let mut notes = Vec::new();
        if !(self.bin_s.is_finite() && self.bin_s > 0.0 && self.bin_s <= 60.0) {
            notes.push(format!("bin_s {} out of (0, 60]", self.bin_s));
            self.bin_s = 1.0;
        }
        let per_bin = MAX_BIN_VEH * self.bin_s;
        for (link, bins) in &mut self.by_link {
            for v in bins.iter_mut() {
                clamp(v, per_bin, &format!("by_link {link}:"), &mut notes);
            }
        }
        for (link, r) in &mut self.links {
            let what = format!("links {link}:");
            clamp(&mut r.queue_per_lane, MAX_QUEUE_PER_LANE, &what, &mut notes);
            clamp(
                &mut r.weighted_queue_per_lane,
                MAX_QUEUE_PER_LANE,
                &what,
                &mut notes,
            );
            clamp(&mut r.arrival_veh_h, MAX_ARRIVAL_VEH_H, &what, &mut notes);
        }
        notes
    }
}

/// `plan/set`: a timing plan, or a time-of-day schedule of plans, for the site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanSet {
    /// The site it is for.
    pub site: String,
    /// When it was sent.
    pub ts: String,
    /// A plan, as in a timing-plan file (or `schedule`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanSpec>,
    /// A time-of-day schedule of plans (or `plan`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleSpec>,
    /// Its Ed25519 signature, required by sites with trusted keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<super::signing::OrderSignature>,
}

/// A time-of-day schedule: each plan runs from its time of day until the next entry's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    /// The schedule's id.
    pub schedule_id: String,
    /// Its version; a newer schedule of the same id has a higher version.
    pub version: u32,
    /// Local time minus UTC, minutes (e.g. 60 for CET).
    #[serde(default)]
    pub utc_offset_min: i32,
    /// The entries; the last one of the day also runs until the first one's time.
    pub entries: Vec<ScheduleEntry>,
}

/// One entry of a schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleEntry {
    /// From when (local `HH:MM`).
    pub from: String,
    /// The plan.
    pub plan: PlanSpec,
}

/// What became of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanResult {
    /// Valid; waiting for a cycle boundary.
    Accepted,
    /// Running.
    Active,
    /// Refused, with the reason.
    Rejected,
}

/// `plan/ack`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanAck {
    /// The site.
    pub site: String,
    /// When.
    pub ts: String,
    /// The plan's id (empty when the message had none).
    pub plan_id: String,
    /// Its version.
    pub version: u32,
    /// What became of it.
    pub result: PlanResult,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How central operations want the site run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorMode {
    /// The configured controller (adaptive, actuated, ...) within the active plan.
    #[default]
    Adaptive,
    /// The active plan as fixed time.
    Plan,
    /// Flashing amber.
    Flash,
    /// The cabinet's own local fallback.
    Local,
}

impl OperatorMode {
    /// As the messages spell it: `adaptive`, `plan`, `flash`, `local`.
    pub fn name(self) -> &'static str {
        match self {
            OperatorMode::Adaptive => "adaptive",
            OperatorMode::Plan => "plan",
            OperatorMode::Flash => "flash",
            OperatorMode::Local => "local",
        }
    }
}

/// `mode/set`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModeSet {
    /// The site.
    pub site: String,
    /// When.
    pub ts: String,
    /// The mode.
    pub mode: OperatorMode,
    /// Its Ed25519 signature, required by sites with trusted keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<super::signing::OrderSignature>,
}

/// `priority/request`: a bus asking for (or giving up) transit priority, from the transit
/// agency's AVL system.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriorityMsg {
    /// The site.
    pub site: String,
    /// When.
    pub ts: String,
    /// The bus (fleet number); a later request from the same bus replaces the earlier.
    pub vehicle: String,
    /// The approach it comes from.
    pub approach: greenwave_controllers::model::Approach,
    /// `request` (default) or `cancel` (it has passed, or will not come).
    #[serde(default)]
    pub action: RequestAction,
    /// Its route, for the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// When it expects to reach the stop line, s from `ts`; required for a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_s: Option<f64>,
    /// How late it runs, s (negative: early).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lateness_s: Option<f64>,
    /// People on board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupancy: Option<f64>,
}

/// Asking or giving up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestAction {
    /// Ask (or renew the request).
    #[default]
    Request,
    /// Give up.
    Cancel,
}

/// `preempt/request`: an emergency vehicle's preemption call from a dispatcher.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreemptMsg {
    /// The site.
    pub site: String,
    /// When.
    pub ts: String,
    /// The approach the vehicle comes from.
    pub approach: greenwave_controllers::model::Approach,
    /// `request` (call) or `cancel` (clear).
    #[serde(default)]
    pub action: RequestAction,
}

// What an order signs as (`signing` knows no payload type; the payloads know it).
impl super::signing::Signable for ScheduleSpec {
    fn kind(&self) -> &'static str {
        "schedule"
    }
    fn id(&self) -> &str {
        &self.schedule_id
    }
    fn version(&self) -> u32 {
        self.version
    }
}

impl super::signing::Signable for OperatorMode {
    fn kind(&self) -> &'static str {
        "mode"
    }
    fn id(&self) -> &str {
        "mode"
    }
    fn version(&self) -> u32 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outflow_figures_out_of_range_are_clamped_and_named() {
        let mut m: OutflowMsg = serde_json::from_str(
            r#"{"site":"J1","ts":"2026-12-05T18:00:00Z","clock":"system","clock_ms":0,
                "bin_s":1,"by_link":{"J1-J2":[0.5,1e308,-3,-4e-19]},
                "links":{"W-J1":{"queue_per_lane":-1,"weighted_queue_per_lane":2,"arrival_veh_h":1e300}}}"#,
        )
        .expect("parses");
        let notes = m.sanitise();
        assert_eq!(m.by_link["J1-J2"], vec![0.5, MAX_BIN_VEH, 0.0, 0.0]);
        assert_eq!(m.links["W-J1"].queue_per_lane, 0.0);
        assert_eq!(m.links["W-J1"].arrival_veh_h, MAX_ARRIVAL_VEH_H);
        assert_eq!(notes.len(), 4, "{notes:?}");
        assert!(notes[0].contains("1e308"), "{notes:?}");
        assert!(m.sanitise().is_empty(), "clamped figures pass");
    }

    #[test]
    fn topics_round_trip() {
        assert_eq!(topic("J1", "plan/set"), "greenwave/v1/J1/plan/set");
        assert_eq!(
            parse_topic("greenwave/v1/J1/plan/set"),
            Some(("J1", "plan/set"))
        );
        assert_eq!(parse_topic("greenwave/v2/J1/status"), None);
        assert_eq!(parse_topic("greenwave/v1//status"), None);
    }

    #[test]
    fn unknown_fields_are_ignored_and_missing_ones_named() {
        let ok: OutflowMsg = serde_json::from_str(
            r#"{"site":"J1","ts":"2026-11-25T18:00:00.000Z","clock":"system","clock_ms":5,
                "bin_s":1,"by_link":{"J1-J2":[0.5,1]},"extra":true}"#,
        )
        .expect("parses");
        assert_eq!(ok.by_link["J1-J2"], vec![0.5, 1.0]);
        let err = serde_json::from_str::<OutflowMsg>(r#"{"site":"J1","ts":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `clock`"), "{err}");
        let err = serde_json::from_str::<OutflowMsg>(
            r#"{"site":"J1","ts":"x","clock":"system","clock_ms":"soon","bin_s":1,"by_link":{}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
    }

    #[test]
    fn the_event_kinds_are_the_documented_ones() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/mqtt/events.schema.json");
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("reads")).expect("JSON");
        let documented = schema["properties"]["kind"]["enum"].clone();
        let ours = serde_json::to_value(EventKind::ALL).expect("serialises");
        assert_eq!(ours, documented);
    }

    #[test]
    fn every_documented_example_parses() {
        use crate::daemon::spat::Spat;
        use crate::daemon::telemetry::Telemetry;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/mqtt");
        let check = |file: &str, parse: &dyn Fn(&serde_json::Value) -> Result<(), String>| {
            let text = std::fs::read_to_string(dir.join(file)).expect("schema reads");
            let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
            let examples = schema["examples"].as_array().expect("examples");
            assert!(!examples.is_empty(), "{file} has no example");
            for e in examples {
                parse(e).unwrap_or_else(|why| panic!("{file}: {why}\n{e}"));
            }
        };
        fn parse<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<(), String> {
            serde_json::from_value::<T>(v.clone())
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        check("status.schema.json", &parse::<Status>);
        check("events.schema.json", &parse::<EventMsg>);
        check("outflow.schema.json", &parse::<OutflowMsg>);
        check("plan-set.schema.json", &parse::<PlanSet>);
        check("plan-ack.schema.json", &parse::<PlanAck>);
        check("mode-set.schema.json", &parse::<ModeSet>);
        check("priority-request.schema.json", &parse::<PriorityMsg>);
        check("preempt-request.schema.json", &parse::<PreemptMsg>);
        check("spat.schema.json", &parse::<Spat>);
        check("telemetry.schema.json", &parse::<Telemetry>);
    }
}
