//! What the daemon tells the monitoring a city already runs: Prometheus / OpenMetrics text on
//! `/metrics` (`[metrics] bind`), encoded by `prometheus-client`. Field I/O (Modbus request
//! latency, timeouts, reconnects), the control loop (tick duration, mode, stage and time in it,
//! detector faults per channel, interlock trips), MQTT (connected, messages dropped) and the plan
//! in force.

mod http;

pub use http::serve;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Label pairs of a metric family.
type Labels = Vec<(String, String)>;

/// A snapshot of the daemon after a tick, what the metrics are set from.
#[derive(Clone, Debug, Default)]
pub struct Snapshot<'a> {
    /// The control loop's mode: `following`, `driving`, `safe`.
    pub mode: &'a str,
    /// Central operations' mode.
    pub operator_mode: &'a str,
    /// The stage running and how long, s.
    pub stage: Option<(&'a str, f64)>,
    /// Every cabinet channel and whether it is judged faulty.
    pub detector_faults: Vec<(usize, bool)>,
    /// Whether the broker link is up (none: no broker configured).
    pub mqtt_connected: Option<bool>,
    /// Messages dropped so far: outgoing (broker lag) and incoming (floods).
    pub mqtt_dropped: (u64, u64),
    /// The plan in force.
    pub plan: (&'a str, u32),
}

/// The daemon's metrics, shared by the control loop (which sets them) and the HTTP task (which
/// encodes them).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    modbus_request: Histogram,
    modbus_timeouts: Counter,
    modbus_reconnects: Counter,
    tick: Histogram,
    mode: Family<Labels, Gauge>,
    operator_mode: Family<Labels, Gauge>,
    stage: Family<Labels, Gauge>,
    stage_seconds: Gauge<f64, AtomicU64>,
    detector_fault: Family<Labels, Gauge>,
    interlock_trips: Counter,
    mqtt_connected: Gauge,
    mqtt_dropped: Counter,
    mqtt_dropped_incoming: Counter,
    plan: Family<Labels, Gauge>,
    /// The intersection's stage ids.
    stages: Arc<Vec<String>>,
}

fn label(key: &str, value: impl ToString) -> Labels {
    vec![(key.to_owned(), value.to_string())]
}

impl Metrics {
    /// The metrics of `site` (with these `stages`), every one labelled with the site.
    pub fn new(site: &str, stages: &[String]) -> Metrics {
        let mut root = Registry::with_prefix("greenwave");
        let registry = root.sub_registry_with_label(("site".into(), site.to_owned().into()));
        let m = Metrics {
            registry: Arc::new(Registry::default()),
            // 0.1 ms to about 1.6 s.
            modbus_request: Histogram::new(exponential_buckets(0.0001, 2.0, 15)),
            modbus_timeouts: Counter::default(),
            modbus_reconnects: Counter::default(),
            // 10 µs to about 160 ms.
            tick: Histogram::new(exponential_buckets(0.00001, 2.0, 15)),
            mode: Family::default(),
            operator_mode: Family::default(),
            stage: Family::default(),
            stage_seconds: Gauge::default(),
            detector_fault: Family::default(),
            interlock_trips: Counter::default(),
            mqtt_connected: Gauge::default(),
            mqtt_dropped: Counter::default(),
            mqtt_dropped_incoming: Counter::default(),
            plan: Family::default(),
            stages: Arc::new(stages.to_vec()),
        };
        registry.register(
            "modbus_request_seconds",
            "Time from a Modbus request to its answer",
            m.modbus_request.clone(),
        );
        registry.register(
            "modbus_timeouts",
            "Modbus requests that got no answer in time",
            m.modbus_timeouts.clone(),
        );
        registry.register(
            "modbus_reconnects",
            "Connections made to the cabinet",
            m.modbus_reconnects.clone(),
        );
        registry.register(
            "control_tick_seconds",
            "Time one control tick took (estimator, controller, sequencer, interlock)",
            m.tick.clone(),
        );
        registry.register(
            "mode",
            "The control loop's mode: 1 for the one it is in (following, driving, safe)",
            m.mode.clone(),
        );
        registry.register(
            "operator_mode",
            "The mode central operations ordered: 1 for the one in force",
            m.operator_mode.clone(),
        );
        registry.register(
            "stage",
            "1 for the stage running, 0 for the others seen",
            m.stage.clone(),
        );
        registry.register(
            "stage_seconds",
            "How long the running stage has run, s (0 between stages)",
            m.stage_seconds.clone(),
        );
        registry.register(
            "detector_fault",
            "1 while a detector channel is judged faulty",
            m.detector_fault.clone(),
        );
        registry.register(
            "interlock_trips",
            "Interlock trips (each latches the safe state)",
            m.interlock_trips.clone(),
        );
        registry.register(
            "mqtt_connected",
            "1 while the broker link is up with its subscriptions in place",
            m.mqtt_connected.clone(),
        );
        registry.register(
            "mqtt_dropped_messages",
            "Telemetry, SPaT and outflow messages dropped because the broker lagged",
            m.mqtt_dropped.clone(),
        );
        registry.register(
            "mqtt_dropped_incoming",
            "Incoming messages dropped because they came faster than the daemon takes them",
            m.mqtt_dropped_incoming.clone(),
        );
        registry.register(
            "plan",
            "1 for the plan in force, by plan id and version",
            m.plan.clone(),
        );
        Metrics {
            registry: Arc::new(root),
            ..m
        }
    }

    /// Modbus requests answered (their durations), timeouts and connections since last time.
    pub fn field(&self, request_us: &[u32], timeouts: u64, connects: u64) {
        for &us in request_us {
            self.modbus_request.observe(f64::from(us) / 1e6);
        }
        self.modbus_timeouts.inc_by(timeouts);
        self.modbus_reconnects.inc_by(connects);
    }

    /// One control tick took `seconds`.
    pub fn tick(&self, seconds: f64) {
        self.tick.observe(seconds);
    }

    /// An interlock trip.
    pub fn interlock_trip(&self) {
        self.interlock_trips.inc();
    }

    /// The state after a tick.
    pub fn set(&self, s: &Snapshot<'_>) {
        one_of(
            &self.mode,
            "mode",
            s.mode,
            &["following", "driving", "safe"],
        );
        let modes = ["adaptive", "plan", "flash", "local"];
        one_of(&self.operator_mode, "mode", s.operator_mode, &modes);
        let stages: Vec<&str> = self.stages.iter().map(String::as_str).collect();
        let running = s.stage.map_or("", |(id, _)| id);
        one_of(&self.stage, "stage", running, &stages);
        self.stage_seconds.set(s.stage.map_or(0.0, |(_, t)| t));
        for &(channel, faulty) in &s.detector_faults {
            let g = self
                .detector_fault
                .get_or_create(&label("channel", channel));
            g.set(i64::from(faulty));
        }
        if let Some(up) = s.mqtt_connected {
            self.mqtt_connected.set(i64::from(up));
        }
        let (out, incoming) = s.mqtt_dropped;
        self.mqtt_dropped
            .inc_by(out.saturating_sub(self.mqtt_dropped.get()));
        let before = self.mqtt_dropped_incoming.get();
        self.mqtt_dropped_incoming
            .inc_by(incoming.saturating_sub(before));
        let plan = vec![
            ("plan_id".to_owned(), s.plan.0.to_owned()),
            ("version".to_owned(), s.plan.1.to_string()),
        ];
        if self.plan.get_or_create(&plan).get() != 1 {
            self.plan.clear();
            self.plan.get_or_create(&plan).set(1);
        }
    }

    /// The exposition: OpenMetrics text, or with `openmetrics` false the Prometheus text
    /// format 0.0.4 (what `promtool check metrics` and older scrapers read).
    pub fn encode(&self, openmetrics: bool) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = if openmetrics {
            prometheus_client::encoding::text::encode(&mut text, &self.registry)
        } else {
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
        };
        text
    }
}

/// Sets the gauge of `value` to 1 and those of the other `known` values to 0.
fn one_of(family: &Family<Labels, Gauge>, key: &str, value: &str, known: &[&str]) {
    for k in known {
        family
            .get_or_create(&label(key, k))
            .set(i64::from(*k == value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_says_what_the_daemon_does() {
        let m = Metrics::new("J1", &["A".to_owned(), "B".to_owned()]);
        m.field(&[250, 900], 1, 2);
        m.tick(0.00004);
        m.interlock_trip();
        let faults = vec![(0, false), (3, true)];
        m.set(&Snapshot {
            mode: "driving",
            operator_mode: "adaptive",
            stage: Some(("A", 12.5)),
            detector_faults: faults,
            mqtt_connected: Some(true),
            mqtt_dropped: (4, 0),
            plan: ("webster-J1", 2),
        });
        m.set(&Snapshot {
            mode: "driving",
            operator_mode: "adaptive",
            stage: Some(("B", 1.0)),
            detector_faults: Vec::new(),
            mqtt_connected: Some(true),
            mqtt_dropped: (5, 0),
            plan: ("webster-J1", 3),
        });
        let text = m.encode(true);
        for line in [
            r#"greenwave_modbus_request_seconds_count{site="J1"} 2"#,
            r#"greenwave_modbus_timeouts_total{site="J1"} 1"#,
            r#"greenwave_modbus_reconnects_total{site="J1"} 2"#,
            r#"greenwave_mode{site="J1",mode="driving"} 1"#,
            r#"greenwave_mode{site="J1",mode="safe"} 0"#,
            r#"greenwave_stage{site="J1",stage="A"} 0"#,
            r#"greenwave_stage{site="J1",stage="B"} 1"#,
            r#"greenwave_detector_fault{site="J1",channel="3"} 1"#,
            r#"greenwave_interlock_trips_total{site="J1"} 1"#,
            r#"greenwave_mqtt_dropped_messages_total{site="J1"} 5"#,
            r#"greenwave_plan{site="J1",plan_id="webster-J1",version="3"} 1"#,
        ] {
            assert!(text.contains(line), "no `{line}` in:\n{text}");
        }
        assert!(
            !text.contains(r#"version="2""#),
            "the old plan is gone:\n{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
        let classic = m.encode(false);
        assert!(
            classic.contains("# TYPE greenwave_interlock_trips_total counter"),
            "{classic}"
        );
    }
}
