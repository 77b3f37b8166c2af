//! The JSON payloads of the MQTT topics (`spec/mqtt.md`, v1). Every payload carries `site` and
//! `ts` (RFC 3339, UTC); unknown fields are ignored; a missing or wrongly typed required field
//! rejects the message with serde's reason. Schemas with examples: `docs/mqtt/`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

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
    /// `following`, `driving`, `safe`, or `offline`.
    pub mode: String,
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

/// `events`: something happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventMsg {
    /// The site.
    pub site: String,
    /// When.
    pub ts: String,
    /// `fault`, `detector`, `mode`, `plan`, `interlock` or `neighbour`.
    pub kind: String,
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
    /// When bin 0 starts on the sender's control clock, ms (comparable between daemons that
    /// follow the same cabinet clock).
    pub clock_ms: u64,
    /// Bin width, s (1).
    pub bin_s: f64,
    /// Vehicles per bin by outgoing link id.
    pub by_link: BTreeMap<String, Vec<f64>>,
    /// Vehicles queued per lane on each of the sender's approaches, by approach link id.
    #[serde(default)]
    pub queue_per_lane: BTreeMap<String, f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
