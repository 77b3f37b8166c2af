//! The cabinet config file as written: sections and keys, with their defaults.

use std::path::PathBuf;

use serde::Deserialize;

use greenwave_controllers::control::ControllerSpec;

use std::collections::BTreeMap;

use crate::fieldio::coils::wiring::{DetectorSpec, LampsSpec, ModuleSpec};
use crate::fieldio::regmap::RegisterMapSpec;

/// The environment prefix of overrides.
pub const ENV_PREFIX: &str = "GREENWAVE";

/// The file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonSpec {
    /// The intersection's id in the corridor model.
    pub site: String,
    /// The corridor model, relative to this file.
    pub corridor: String,
    /// The timing plan in force (the controller works within its bounds), relative to this file.
    pub plan: String,
    /// Which controller, with its parameters.
    pub controller: ControllerSpec,
    /// Where the daemon keeps the last plan received from central operations, relative to
    /// this file (none: not kept).
    #[serde(default)]
    pub state_dir: Option<String>,
    /// The control loop.
    #[serde(default)]
    pub control: ControlSpec,
    /// The cabinet connection.
    pub cabinet: CabinetSpec,
    /// Where the values live in the cabinet (default: the reference map).
    #[serde(default)]
    pub registers: RegisterMapSpec,
    /// Commodity I/O modules instead of a reference-map cabinet (`docs/profiles.md`).
    #[serde(default)]
    pub modules: Vec<ModuleSpec>,
    /// Each signal group's lamps, as module terminals.
    #[serde(default)]
    pub lamps: BTreeMap<String, LampsSpec>,
    /// Each signal group's lamp sensing inputs, where wired.
    #[serde(default)]
    pub feedback: BTreeMap<String, LampsSpec>,
    /// Each detector channel's inputs, by channel number.
    #[serde(default)]
    pub detectors: BTreeMap<String, DetectorSpec>,
    /// Logs.
    #[serde(default)]
    pub log: LogSpec,
    /// The MQTT link to central operations and the neighbours.
    #[serde(default)]
    pub mqtt: MqttSpec,
    /// Prometheus metrics.
    #[serde(default)]
    pub metrics: MetricsSpec,
}

/// `[metrics]`: Prometheus / OpenMetrics text on `/metrics` (off when `bind` is not set).
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSpec {
    /// Where to serve it, e.g. `127.0.0.1:9108`.
    pub bind: Option<String>,
}

/// `[control]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlSpec {
    /// Control ticks (and detector polls) per second.
    pub tick_hz: f64,
    /// `system` or `cabinet` (follow the cabinet's `clock_ds`).
    pub clock: ClockSource,
    /// A heartbeat unchanged this long is a frozen I/O module, s.
    pub heartbeat_timeout_s: f64,
    /// How long shown aspects may differ from the command, s.
    pub mismatch_grace_s: f64,
}

impl Default for ControlSpec {
    fn default() -> Self {
        ControlSpec {
            tick_hz: 10.0,
            clock: ClockSource::System,
            heartbeat_timeout_s: 3.0,
            mismatch_grace_s: 1.0,
        }
    }
}

/// Where the daemon's time comes from.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClockSource {
    /// The system's monotonic clock.
    #[default]
    System,
    /// The cabinet's `clock_ds` register (a simulated cabinet may run faster than real time).
    Cabinet,
}

/// `[cabinet]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CabinetSpec {
    /// `tcp` or `rtu`.
    #[serde(default)]
    pub transport: Transport,
    /// TCP: `host:port`.
    pub address: Option<String>,
    /// RTU: the serial device.
    pub device: Option<String>,
    /// RTU: baud rate (default 19200).
    pub baud: Option<u32>,
    /// RTU: `none`, `even` or `odd` (default even, as in the Modbus serial line spec).
    pub parity: Option<String>,
    /// Modbus unit id (1 to 247).
    #[serde(default = "default_unit")]
    pub unit_id: u16,
    /// Limit for connecting and for every request, ms.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Watchdog writes, s between two.
    #[serde(default = "default_watchdog_s")]
    pub watchdog_s: f64,
    /// First reconnect wait, ms (doubles up to `backoff_max_ms`).
    #[serde(default = "default_backoff_min_ms")]
    pub backoff_min_ms: u64,
    /// Longest reconnect wait, ms.
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
}

fn default_unit() -> u16 {
    1
}
fn default_timeout_ms() -> u64 {
    200
}
fn default_watchdog_s() -> f64 {
    1.0
}
fn default_backoff_min_ms() -> u64 {
    100
}
fn default_backoff_max_ms() -> u64 {
    5_000
}

/// How the cabinet is reached.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Modbus TCP.
    #[default]
    Tcp,
    /// Modbus RTU over a serial line.
    Rtu,
}

/// `[log]`.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LogSpec {
    /// `human` or `json`.
    pub format: LogFormat,
    /// `error`, `warn`, `info`, `debug` or `trace` (default `info`).
    pub level: Option<String>,
    /// Write the high-resolution controller event log (Indiana format, CSV) here, relative to
    /// the config file: one file a local day, the date before the extension
    /// (`J1-events.csv` -> `J1-events-2026-06-02.csv`).
    pub event_log: Option<PathBuf>,
    /// The intersection's IANA time zone, for the event log's local timestamps (default `UTC`).
    pub time_zone: Option<String>,
}

/// Log line format.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// `[mqtt]`: the link to central operations (off when `broker` is not set). Its `Debug` shows
/// no password.
#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MqttSpec {
    /// `mqtt://host:port` or `mqtts://host:port`.
    pub broker: Option<String>,
    /// Client id (default: the site id, as the broker's ACL and the certificate name it).
    pub client_id: Option<String>,
    /// User name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// CA certificate file (PEM), for TLS.
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM), for TLS.
    pub cert_file: Option<PathBuf>,
    /// Client key (PEM), for TLS.
    pub key_file: Option<PathBuf>,
    /// Telemetry aggregation interval, s.
    pub telemetry_interval_s: Option<f64>,
    /// Public keys (files written by `greenwave keygen`, relative to this file) whose
    /// signatures plans must carry; none: unsigned plans are taken.
    pub trusted_keys: Vec<String>,
    /// Ids of signing keys no longer trusted (16 hex digits, as `greenwave keygen` prints
    /// them): orders they signed are refused, even from a key still listed in `trusted_keys`.
    #[serde(default)]
    pub revoked_keys: Vec<String>,
    /// Validity periods of trusted keys by key id: orders issued outside `from` .. `until`
    /// (RFC 3339; either may be left out) are not taken on that key.
    #[serde(default)]
    pub key_validity: std::collections::BTreeMap<String, KeyValidity>,
}

/// When a trusted key may sign.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct KeyValidity {
    /// From when (RFC 3339).
    pub from: Option<String>,
    /// Until when (RFC 3339).
    pub until: Option<String>,
}
