//! The cabinet config: one TOML file per intersection, then environment overrides
//! `GREENWAVE__SECTION__KEY` (the `config` crate; it lowercases keys, so the separator is a
//! double underscore and snake_case keys keep their single ones). Everything is validated before
//! anything starts, and every error names its key.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use greenwave_controllers::control::{ControllerParams, ControllerSpec};
use greenwave_controllers::corridor::Corridor;
use greenwave_controllers::load;
use greenwave_controllers::plan::TimingPlan;
use greenwave_controllers::site::Site;

use crate::fieldio::link::{LinkSettings, Parity, Target};
use crate::fieldio::regmap::{RegisterMap, RegisterMapSpec};

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
    /// the working directory.
    pub event_log: Option<PathBuf>,
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

/// A validated daemon config, every file loaded.
#[derive(Clone, Debug)]
pub struct DaemonConfig {
    /// The file it came from.
    pub path: PathBuf,
    /// The intersection.
    pub site: Arc<Site>,
    /// The plan in force.
    pub plan: TimingPlan,
    /// Where the last plan received is kept.
    pub state_dir: Option<PathBuf>,
    /// The controller's name.
    pub controller: String,
    /// Its parameters.
    pub controller_params: ControllerParams,
    /// Tick period.
    pub tick: Duration,
    /// Time source.
    pub clock: ClockSource,
    /// Field check limits.
    pub heartbeat_timeout: Duration,
    /// Shown-aspect lag allowed.
    pub mismatch_grace: Duration,
    /// The connection.
    pub link: LinkSettings,
    /// Watchdog write period.
    pub watchdog_period: Duration,
    /// The register map.
    pub registers: RegisterMap,
    /// Warnings met while loading (reference-number addresses converted).
    pub warnings: Vec<String>,
    /// Logs.
    pub log: LogSpec,
    /// MQTT.
    pub mqtt: MqttSpec,
    /// Where to serve the metrics, if anywhere.
    pub metrics_bind: Option<std::net::SocketAddr>,
    /// Trusted order-signing keys, with their validity periods.
    pub trusted_keys: Vec<crate::mqtt::signing::TrustedKey>,
    /// TLS files for an `mqtts://` broker.
    pub mqtt_tls: Option<crate::mqtt::link::TlsFiles>,
}

/// A config that cannot be used, with the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// What is wrong, starting with the key.
    pub message: String,
}

impl DaemonConfig {
    /// Loads `path` with the process environment's overrides.
    pub fn load(path: &Path) -> Result<DaemonConfig, ConfigError> {
        Self::load_with(path, std::env::vars())
    }

    /// Loads `path`, overridden by `GREENWAVE__…` entries of `env`.
    pub fn load_with(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<DaemonConfig, ConfigError> {
        let fail = |message: String| ConfigError {
            path: path.display().to_string(),
            message,
        };
        if !path.is_file() {
            return Err(fail("no such file".into()));
        }
        // The file alone first: its own mistakes are reported with line and column.
        let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        if let Err(e) = load::parse_toml::<DaemonSpec>(path, &text) {
            let message = e.to_string();
            let prefix = format!("{}: ", path.display());
            return Err(fail(
                message.strip_prefix(&prefix).unwrap_or(&message).to_owned(),
            ));
        }
        let env: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}__")))
            .collect();
        // Which keys the environment sets, to name the variable when one of them is wrong.
        let overrides: Vec<(String, String)> = env
            .keys()
            .map(|k| {
                let key = k[ENV_PREFIX.len() + 2..].to_lowercase().replace("__", ".");
                (key, k.clone())
            })
            .collect();
        let blame = |message: String| {
            let message = plain_enum_error(message);
            match overrides.iter().find(|(key, _)| {
                message.starts_with(&format!("{key}:"))
                    || message.starts_with(&format!("{key}["))
                    || message.contains(&format!("key `{key}`"))
            }) {
                Some((_, var)) => fail(format!("{message} (set by {var})")),
                None => fail(message),
            }
        };
        let spec: DaemonSpec = config::Config::builder()
            .add_source(config::File::from(path).format(config::FileFormat::Toml))
            .add_source(
                config::Environment::with_prefix(ENV_PREFIX)
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("mqtt.trusted_keys")
                    .with_list_parse_key("mqtt.revoked_keys")
                    .source(Some(env)),
            )
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| blame(e.to_string()))?;
        Self::from_spec(path, &spec).map_err(blame)
    }

    fn from_spec(path: &Path, spec: &DaemonSpec) -> Result<DaemonConfig, String> {
        check_site_id(&spec.site)?;
        let corridor_path = load::beside(path, &spec.corridor);
        let corridor: Corridor =
            load::corridor(&corridor_path).map_err(|e| format!("corridor: {e}"))?;
        let node = corridor
            .intersections()
            .find(|(_, n)| n.id == spec.site)
            .map(|(i, _)| i)
            .ok_or_else(|| {
                let known: Vec<_> = corridor
                    .intersections()
                    .map(|(_, n)| n.id.clone())
                    .collect();
                format!(
                    "site: `{}` is not an intersection of {} (it has {})",
                    spec.site,
                    corridor_path.display(),
                    known.join(", ")
                )
            })?;
        for (_, n) in corridor.intersections() {
            // Every intersection may be a neighbour whose topics this site reads.
            check_site_id(&n.id).map_err(|e| format!("{}: {e}", corridor_path.display()))?;
        }
        let site = Arc::new(Site::new(&corridor, node).ok_or("site: not an intersection")?);
        let plan = load::plan_for(&load::beside(path, &spec.plan), &site.intersection)
            .map_err(|e| format!("plan: {e}"))?;
        let problems = spec
            .controller
            .problems(|stage| site.intersection.stage_by_id(stage).is_some());
        if let Some(p) = problems.first() {
            return Err(format!("{}: {}", p.field, p.message));
        }
        if spec.controller.plan.is_some() || !spec.controller.plans.is_empty() {
            return Err("controller.plan: a cabinet's plan is the top-level `plan` key".into());
        }
        let c = &spec.control;
        range("control.tick_hz", c.tick_hz, 1.0, 1000.0)?;
        range(
            "control.heartbeat_timeout_s",
            c.heartbeat_timeout_s,
            1.0,
            60.0,
        )?;
        range("control.mismatch_grace_s", c.mismatch_grace_s, 0.1, 10.0)?;
        let cab = &spec.cabinet;
        let target = match cab.transport {
            Transport::Tcp => {
                let address = cab.address.clone().ok_or(
                    "cabinet.address: missing (host:port of the cabinet's Modbus TCP server)",
                )?;
                let port = address.rsplit_once(':').map(|(_, p)| p.parse::<u16>());
                if !matches!(port, Some(Ok(p)) if p > 0) {
                    return Err(format!(
                        "cabinet.address: `{address}` is not host:port (port 1 to 65535)"
                    ));
                }
                Target::Tcp(address)
            }
            Transport::Rtu => {
                let device = cab
                    .device
                    .clone()
                    .ok_or("cabinet.device: missing (the serial device, e.g. /dev/ttyUSB0)")?;
                let baud = cab.baud.unwrap_or(19_200);
                if !BAUDS.contains(&baud) {
                    return Err(format!(
                        "cabinet.baud: {baud} is not a serial rate ({})",
                        BAUDS.map(|b| b.to_string()).join(", ")
                    ));
                }
                let parity = match cab.parity.as_deref().unwrap_or("even") {
                    "none" => Parity::None,
                    "even" => Parity::Even,
                    "odd" => Parity::Odd,
                    other => {
                        return Err(format!(
                            "cabinet.parity: `{other}` is not one of none, even, odd"
                        ));
                    }
                };
                Target::Rtu {
                    device,
                    baud,
                    parity,
                }
            }
        };
        if !(1..=247).contains(&cab.unit_id) {
            return Err(format!(
                "cabinet.unit_id: {} is out of range (1 to 247)",
                cab.unit_id
            ));
        }
        range("cabinet.timeout_ms", cab.timeout_ms as f64, 10.0, 10_000.0)?;
        range("cabinet.watchdog_s", cab.watchdog_s, 0.01, 10.0)?;
        range(
            "cabinet.backoff_min_ms",
            cab.backoff_min_ms as f64,
            10.0,
            60_000.0,
        )?;
        range(
            "cabinet.backoff_max_ms",
            cab.backoff_max_ms as f64,
            cab.backoff_min_ms as f64,
            600_000.0,
        )?;
        let (registers, mut warnings) =
            RegisterMap::from_spec(&spec.registers).map_err(|e| e.to_string())?;
        registers
            .check(
                site.channels() as u16,
                site.intersection.groups().len() as u16,
            )
            .map_err(|e| e.to_string())?;
        if let Target::Rtu { baud, .. } = &target {
            let cycle = rtu_poll_time(&registers, &site, *baud);
            let tick = 1.0 / c.tick_hz;
            if cycle.as_secs_f64() > tick * 0.8 {
                return Err(format!(
                    "cabinet.baud: at {baud} baud one poll and command take about {} ms, too \
                     long for a {:.0} ms tick; lower control.tick_hz or raise the baud rate",
                    cycle.as_millis(),
                    tick * 1000.0
                ));
            }
            if cab.timeout_ms < cycle.as_millis() as u64 {
                return Err(format!(
                    "cabinet.timeout_ms: {} ms is shorter than one poll at {baud} baud ({} ms)",
                    cab.timeout_ms,
                    cycle.as_millis()
                ));
            }
        }
        let mut trusted_keys = Vec::new();
        for (i, key) in spec.mqtt.trusted_keys.iter().enumerate() {
            let file = load::beside(path, key);
            let text = std::fs::read_to_string(&file).map_err(|e| {
                format!(
                    "mqtt.trusted_keys[{i}]: cannot read {}: {e}",
                    file.display()
                )
            })?;
            trusted_keys.push(crate::mqtt::signing::TrustedKey::new(
                crate::mqtt::signing::public_key(&text)
                    .map_err(|e| format!("mqtt.trusted_keys[{i}]: {}: {e}", file.display()))?,
            ));
        }
        apply_key_validity(&mut trusted_keys, &spec.mqtt.key_validity)?;
        for (i, id) in spec.mqtt.revoked_keys.iter().enumerate() {
            if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "mqtt.revoked_keys[{i}]: `{}` is not a key id (16 hex digits)",
                    crate::daemon::uplink::escape(id)
                ));
            }
        }
        warnings.extend(mqtt_warnings(&spec.mqtt));
        let metrics_bind = match &spec.metrics.bind {
            Some(text) => Some(text.parse().map_err(|_| {
                format!("metrics.bind: `{text}` is not an address (host:port, e.g. 127.0.0.1:9108)")
            })?),
            None => None,
        };
        let mut mqtt_tls = None;
        if let Some(url) = &spec.mqtt.broker {
            crate::mqtt::link::MqttSettings::from_url(url, "check")?;
            let file =
                |p: &Option<PathBuf>| p.as_ref().map(|p| load::beside(path, &p.to_string_lossy()));
            let (ca, cert, key) = (
                file(&spec.mqtt.ca_file),
                file(&spec.mqtt.cert_file),
                file(&spec.mqtt.key_file),
            );
            if crate::mqtt::link::MqttSettings::wants_tls(url) {
                mqtt_tls = Some(
                    crate::mqtt::link::TlsFiles::read(
                        ca.as_deref(),
                        cert.as_deref(),
                        key.as_deref(),
                    )
                    .map_err(|e| format!("mqtt.{e}"))?,
                );
            } else if ca.is_some() || cert.is_some() {
                return Err(format!(
                    "mqtt.ca_file: TLS files given for `{url}`; use an mqtts:// address"
                ));
            }
        }
        if let Some(t) = spec.mqtt.telemetry_interval_s {
            range("mqtt.telemetry_interval_s", t, 1.0, 3600.0)?;
        }
        if let Some(level) = &spec.log.level
            && level.parse::<tracing::Level>().is_err()
        {
            return Err(format!(
                "log.level: `{level}` is not one of error, warn, info, debug, trace"
            ));
        }
        Ok(DaemonConfig {
            path: path.to_owned(),
            state_dir: spec.state_dir.as_deref().map(|d| load::beside(path, d)),
            plan,
            controller: spec.controller.kind.clone(),
            controller_params: spec.controller.params(),
            tick: Duration::from_secs_f64(1.0 / c.tick_hz),
            clock: c.clock,
            heartbeat_timeout: Duration::from_secs_f64(c.heartbeat_timeout_s),
            mismatch_grace: Duration::from_secs_f64(c.mismatch_grace_s),
            link: LinkSettings {
                target,
                unit: cab.unit_id as u8,
                timeout: Duration::from_millis(cab.timeout_ms),
                backoff_min: Duration::from_millis(cab.backoff_min_ms),
                backoff_max: Duration::from_millis(cab.backoff_max_ms),
            },
            watchdog_period: Duration::from_secs_f64(cab.watchdog_s),
            registers,
            warnings,
            log: spec.log.clone(),
            mqtt: spec.mqtt.clone(),
            metrics_bind,
            trusted_keys,
            mqtt_tls,
            site,
        })
    }
}

/// How long one poll (every read block) and one command (all groups) take on a serial line at
/// `baud`: 11 bits a character (8E1 or 8N2 framing), 3.5 characters of silence around frames.
/// A site id becomes an MQTT topic level: letters, digits, `-`, `_` and `.` only.
pub fn check_site_id(id: &str) -> Result<(), String> {
    let good = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if id.is_empty() || !id.chars().all(good) {
        return Err(format!(
            "site: `{}` is not a site id (letters, digits, `-`, `_` and `.` only: it becomes an \
             MQTT topic level, where `/`, `+`, `#` and spaces have meanings)",
            crate::daemon::uplink::escape(id)
        ));
    }
    Ok(())
}

/// What a security officer would want said about an MQTT setup that works but is weak.
fn mqtt_warnings(mqtt: &MqttSpec) -> Vec<String> {
    let mut warnings = Vec::new();
    let Some(url) = &mqtt.broker else {
        return warnings;
    };
    let password_in_url = url
        .split_once("://")
        .and_then(|(_, rest)| rest.rsplit_once('@'))
        .is_some_and(|(userinfo, _)| userinfo.contains(':'));
    if url.starts_with("mqtt://") && (mqtt.password.is_some() || password_in_url) {
        warnings.push(
            "mqtt: a password sent over mqtt:// (no TLS) can be read on the network; use mqtts://"
                .into(),
        );
    }
    if mqtt.trusted_keys.is_empty() {
        warnings.push(
            "mqtt.trusted_keys: none, so this site takes UNSIGNED plans and modes from anyone who \
             may publish on its topics; list the operators' public keys (greenwave keygen)"
                .into(),
        );
    }
    warnings
}

/// Sets each trusted key's validity period from `[mqtt.key_validity]`; an id that names no
/// trusted key, or a time that is not one, is an error naming it.
fn apply_key_validity(
    keys: &mut [crate::mqtt::signing::TrustedKey],
    validity: &std::collections::BTreeMap<String, KeyValidity>,
) -> Result<(), String> {
    let time = |id: &str, field: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| {
                humantime::parse_rfc3339(t).map_err(|_| {
                    format!("mqtt.key_validity.{id}.{field}: `{t}` is not an RFC 3339 time")
                })
            })
            .transpose()
    };
    for (id, v) in validity {
        let key = keys.iter_mut().find(|k| k.id() == *id).ok_or_else(|| {
            format!("mqtt.key_validity: `{id}` is not the id of a key in trusted_keys")
        })?;
        key.valid_from = time(id, "from", &v.from)?;
        key.valid_until = time(id, "until", &v.until)?;
    }
    Ok(())
}

impl std::fmt::Debug for MqttSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSpec")
            .field(
                "broker",
                &self.broker.as_deref().map(crate::mqtt::link::redact),
            )
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("telemetry_interval_s", &self.telemetry_interval_s)
            .field("trusted_keys", &self.trusted_keys)
            .field("revoked_keys", &self.revoked_keys)
            .field("key_validity", &self.key_validity)
            .finish()
    }
}

fn rtu_poll_time(map: &RegisterMap, site: &Site, baud: u32) -> Duration {
    let groups = site.intersection.groups().len() as u32;
    let plan = crate::fieldio::reading::ReadPlan::new(*map, site.channels() as u16, groups as u16);
    let gap = 7.0;
    let reads: f64 = plan
        .blocks
        .iter()
        .map(|&(_, n)| 8.0 + 5.0 + 2.0 * f64::from(n) + gap)
        .sum();
    let write = 9.0 + 2.0 * f64::from(groups) + 8.0 + gap;
    Duration::from_secs_f64((reads + write) * 11.0 / f64::from(baud))
}

/// The `config` crate's message for a value that is not one of a field's choices, said plainly:
/// `log.format: `humn` is not one of human, json`.
fn plain_enum_error(message: String) -> String {
    const CHOICES: [(&str, &str); 4] = [
        ("log.format", "human, json"),
        ("control.clock", "system, cabinet"),
        ("cabinet.transport", "tcp, rtu"),
        ("registers.word_order", "high_first, low_first"),
    ];
    let Some(rest) = message.split("does not have variant constructor ").nth(1) else {
        return message;
    };
    let value = rest.split_whitespace().next().unwrap_or_default();
    match CHOICES
        .iter()
        .find(|(key, _)| message.contains(&format!("key `{key}`")))
    {
        Some((key, choices)) => format!("{key}: `{value}` is not one of {choices}"),
        None => message,
    }
}

/// Serial rates a cabinet may use.
const BAUDS: [u32; 8] = [1_200, 2_400, 4_800, 9_600, 19_200, 38_400, 57_600, 115_200];

fn range(key: &str, value: f64, lo: f64, hi: f64) -> Result<(), String> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(format!("{key}: {value} is out of range ({lo} to {hi})"))
    }
}
