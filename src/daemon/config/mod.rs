//! The cabinet config: one TOML file per intersection, then environment overrides
//! `GREENWAVE__SECTION__KEY` (the `config` crate; it lowercases keys, so the separator is a
//! double underscore and snake_case keys keep their single ones). Everything is validated before
//! anything starts; every problem in the file is reported at once, each naming its key (and
//! the variable, when an override is at fault).

mod cabinet;
mod coils;
mod mqtt;
mod spec;

pub use mqtt::check_site_id;
pub use spec::*;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use greenwave_controllers::control::ControllerParams;
use greenwave_controllers::corridor::Corridor;
use greenwave_controllers::load;
use greenwave_controllers::plan::TimingPlan;
use greenwave_controllers::site::Site;

use crate::eventlog::LocalTime;
use crate::fieldio::coils::wiring::CoilCabinet;
use crate::fieldio::link::LinkSettings;
use crate::fieldio::regmap::RegisterMap;

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
    /// A cabinet of commodity I/O modules, wired (instead of the register map).
    pub coils: Option<Arc<CoilCabinet>>,
    /// Warnings met while loading (reference-number addresses converted).
    pub warnings: Vec<String>,
    /// Logs.
    pub log: LogSpec,
    /// The local time of the event log (`log.time_zone`).
    pub local_time: LocalTime,
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
#[error("{}", self.lines())]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// What is wrong, starting with the key.
    pub message: String,
}
impl ConfigError {
    /// Every problem on its own line, each after the file's name.
    fn lines(&self) -> String {
        self.message
            .lines()
            .map(|m| format!("{}: {m}", self.path))
            .collect::<Vec<_>>()
            .join("\n")
    }
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
                // A key the daemon does not know: serde names the field and its section.
                let (section, field) = key.rsplit_once('.').unwrap_or(("", key));
                let unknown = message.contains(&format!("unknown field `{field}`"))
                    && (section.is_empty() || message.contains(&format!("key `{section}`")));
                unknown
                    || message.starts_with(&format!("{key}:"))
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
        Self::from_spec(path, &spec).map_err(|problems| {
            let lines: Vec<String> = problems.into_iter().map(|p| blame(p).message).collect();
            fail(lines.join("\n"))
        })
    }

    /// Checks every section of `spec` (read from `path`), reporting every problem found, not
    /// only the first.
    fn from_spec(path: &Path, spec: &DaemonSpec) -> Result<DaemonConfig, Vec<String>> {
        let mut found = Found::default();
        let site = found.take(site_of(path, spec));
        let plan = site.as_ref().and_then(|site| {
            let file = load::beside(path, &spec.plan);
            found.take(load::plan_for(&file, &site.intersection).map_err(|e| format!("plan: {e}")))
        });
        if let Some(site) = &site {
            let problems = spec
                .controller
                .problems(|stage| site.intersection.stage_by_id(stage).is_some());
            for p in problems {
                found.push(format!("{}: {}", p.field, p.message));
            }
        }
        if spec.controller.plan.is_some() || !spec.controller.plans.is_empty() {
            found.push("controller.plan: a cabinet's plan is the top-level `plan` key");
        }
        let c = &spec.control;
        found.take(range("control.tick_hz", c.tick_hz, 1.0, 1000.0));
        let (lo, hi) = (1.0, 60.0);
        found.take(range(
            "control.heartbeat_timeout_s",
            c.heartbeat_timeout_s,
            lo,
            hi,
        ));
        found.take(range(
            "control.mismatch_grace_s",
            c.mismatch_grace_s,
            0.1,
            10.0,
        ));
        let coils = site
            .as_ref()
            .filter(|_| coils::wired(spec))
            .and_then(|site| coils::resolve(path, spec, site, &mut found));
        let link = cabinet::link(&spec.cabinet, &spec.modules, &mut found);
        let registers =
            found.take(RegisterMap::from_spec(&spec.registers).map_err(|e| e.to_string()));
        let (registers, mut warnings) = registers.unzip();
        if let (Some(site), Some(registers)) = (&site, &registers) {
            let (channels, groups) = (
                site.channels() as u16,
                site.intersection.groups().len() as u16,
            );
            found.take(registers.check(channels, groups).map_err(|e| e.to_string()));
            if let Some(link) = &link {
                found.take(cabinet::rtu_fits(registers, site, link, c.tick_hz));
            }
            if let Some(coils) = &coils {
                coils::timing(spec, site, coils, &mut found);
                warnings
                    .get_or_insert_default()
                    .extend(coils::warnings(site, coils));
            }
        }
        let trusted_keys = mqtt::trusted_keys(path, &spec.mqtt, &mut found);
        let mqtt_tls = mqtt::tls(path, &spec.mqtt, &mut found);
        let mut warnings = warnings.take().unwrap_or_default();
        warnings.extend(mqtt::warnings(&spec.mqtt));
        let metrics_bind = spec.metrics.bind.as_ref().and_then(|text| {
            found.take(text.parse().map_err(|_| {
                format!("metrics.bind: `{text}` is not an address (host:port, e.g. 127.0.0.1:9108)")
            }))
        });
        if let Some(level) = &spec.log.level
            && level.parse::<tracing::Level>().is_err()
        {
            found.push(format!(
                "log.level: `{level}` is not one of error, warn, info, debug, trace"
            ));
        }
        let local_time = match &spec.log.time_zone {
            None => Some(LocalTime::utc()),
            Some(name) => {
                found.take(LocalTime::named(name).map_err(|e| format!("log.time_zone: {e}")))
            }
        };
        let (Some(site), Some(plan), Some(link), Some(registers), Some(local_time)) =
            (site, plan, link, registers, local_time)
        else {
            return Err(found.0);
        };
        if !found.0.is_empty() {
            return Err(found.0);
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
            link,
            watchdog_period: Duration::from_secs_f64(spec.cabinet.watchdog_s),
            registers,
            coils,
            warnings,
            log: LogSpec {
                // Relative to this file, as every path in it.
                event_log: (spec.log.event_log.as_ref())
                    .map(|p| load::beside(path, &p.to_string_lossy())),
                ..spec.log.clone()
            },
            local_time,
            mqtt: spec.mqtt.clone(),
            metrics_bind,
            trusted_keys,
            mqtt_tls,
            site,
        })
    }
}

/// The problems found so far, each starting with its key.
#[derive(Debug, Default)]
struct Found(Vec<String>);

impl Found {
    fn push(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    /// The value, or `None` with its problem recorded.
    fn take<T>(&mut self, checked: Result<T, String>) -> Option<T> {
        checked.map_err(|e| self.push(e)).ok()
    }
}

/// The site: its id, its corridor, its intersection in it.
fn site_of(path: &Path, spec: &DaemonSpec) -> Result<Arc<Site>, String> {
    mqtt::check_site_id(&spec.site)?;
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
        mqtt::check_site_id(&n.id).map_err(|e| format!("{}: {e}", corridor_path.display()))?;
    }
    Ok(Arc::new(
        Site::new(&corridor, node).ok_or("site: not an intersection")?,
    ))
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

fn range(key: &str, value: f64, lo: f64, hi: f64) -> Result<(), String> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(format!("{key}: {value} is out of range ({lo} to {hi})"))
    }
}
