//! The central operations commands: `plan publish`, `mode set` and `ops watch`, each a short
//! MQTT session (topics after `docs/spec/mqtt.md`).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use rumqttc::{AsyncClient, Event, Packet, Publish, QoS};
use tokio::sync::mpsc;
use tokio::time::Instant;

use greenwave::daemon::spat::Spat;
use greenwave::mqtt::link::{MqttSettings, TlsFiles};
use greenwave::mqtt::payload::{
    self, ModeSet, OperatorMode, PlanAck, PlanResult, PlanSet, ScheduleEntry, ScheduleSpec, Status,
};
use greenwave_controllers::load;
use greenwave_controllers::plan::PlanSpec;

use crate::cli::{ConnectArgs, ModeSetArgs, PublishArgs, WatchArgs};

/// A connected client and the messages of its subscriptions.
struct Session {
    client: AsyncClient,
    incoming: mpsc::Receiver<Publish>,
}

impl Session {
    /// Connects (retrying until `timeout`) and subscribes to `topics`; returns once the broker
    /// has acknowledged every subscription.
    async fn open(
        connect: &ConnectArgs,
        role: &str,
        topics: &[String],
        timeout: Duration,
    ) -> Result<Session> {
        let url = connect.broker.as_str();
        let id = format!("greenwave-{role}-{}", std::process::id());
        let mut settings =
            MqttSettings::from_url(url, &id).map_err(|e| anyhow::anyhow!("--broker: {e}"))?;
        if MqttSettings::wants_tls(url) {
            settings.tls = Some(
                TlsFiles::read(
                    connect.tls_ca.as_deref(),
                    connect.tls_cert.as_deref(),
                    connect.tls_key.as_deref(),
                )
                .map_err(|e| {
                    anyhow::anyhow!(
                        "--{}",
                        e.replace("ca_file", "tls-ca")
                            .replace("cert_file", "tls-cert")
                            .replace("key_file", "tls-key")
                    )
                })?,
            );
        }
        let options = settings.options();
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        let (tx, incoming) = mpsc::channel(1024);
        let (connected_tx, mut connected) = tokio::sync::watch::channel(false);
        let subscribe = client.clone();
        let topics = topics.to_vec();
        tokio::spawn(async move {
            // Ready once every subscription is acknowledged: an answer published from then on
            // reaches this client.
            let mut awaiting = 0usize;
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        awaiting = topics.len();
                        for t in &topics {
                            let _ = subscribe.try_subscribe(t.clone(), QoS::AtLeastOnce);
                        }
                        if awaiting == 0 {
                            connected_tx.send_replace(true);
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) if awaiting > 0 => {
                        awaiting -= 1;
                        if awaiting == 0 {
                            connected_tx.send_replace(true);
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        if tx.send(p).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        });
        tokio::time::timeout(timeout, connected.wait_for(|c| *c))
            .await
            .with_context(|| format!("no answer from the broker at {url} within {timeout:?}"))?
            .context("the MQTT session ended")?;
        Ok(Session { client, incoming })
    }

    /// The next message before `deadline`.
    async fn next(&mut self, deadline: Instant) -> Option<Publish> {
        tokio::time::timeout_at(deadline, self.incoming.recv())
            .await
            .ok()
            .flatten()
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn seconds(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.1, 3600.0))
}

/// `greenwave plan publish --broker URL --site SITE PLAN.toml`.
pub fn publish_plan(args: &PublishArgs) -> Result<ExitCode> {
    let mut set = plan_set(&args.site, &args.plan)?;
    if let Some(key) = &args.sign {
        set.signature = Some(sign_set(key, &set, &args.valid_for)?);
    }
    let (id, version) = set_id(&set);
    let timeout = seconds(args.broker.timeout);
    runtime()?.block_on(async {
        let ack_topic = payload::topic(&args.site, "plan/ack");
        let mut session = Session::open(
            &args.broker.connect,
            "ops",
            std::slice::from_ref(&ack_topic),
            timeout,
        )
        .await?;
        session
            .client
            .publish(
                payload::topic(&args.site, "plan/set"),
                QoS::AtLeastOnce,
                false,
                serde_json::to_vec(&set)?,
            )
            .await?;
        let deadline = Instant::now() + timeout;
        let mut accepted = false;
        while let Some(message) = session.next(deadline).await {
            let Ok(ack) = serde_json::from_slice::<PlanAck>(&message.payload) else {
                continue;
            };
            if ack.plan_id != id || ack.version != version {
                // A broken message is acknowledged without its id: take it if nothing else.
                if !(ack.plan_id.is_empty() && ack.result == PlanResult::Rejected) {
                    continue;
                }
            }
            writeln!(std::io::stdout(), "{}", serde_json::to_string(&ack)?)?;
            match ack.result {
                PlanResult::Rejected => return Ok(ExitCode::from(1)),
                PlanResult::Active => return Ok(ExitCode::SUCCESS),
                PlanResult::Accepted => accepted = true,
            }
        }
        if accepted {
            eprintln!(
                "accepted; not active yet within {timeout:?} (it waits for a cycle boundary)"
            );
            Ok(ExitCode::SUCCESS)
        } else {
            eprintln!("no acknowledgement from {} within {timeout:?}", args.site);
            Ok(ExitCode::from(2))
        }
    })
}

/// A schedule file: `schedule_id`, `version`, optional `utc_offset_min`, and `[[entries]]`
/// with `from` (`HH:MM`) and `plan` (a plan file, relative to this one).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    schedule_id: String,
    version: u32,
    #[serde(default)]
    utc_offset_min: i32,
    entries: Vec<ScheduleFileEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFileEntry {
    from: String,
    plan: String,
}

/// The `plan/set` for a plan file, or for a schedule file (one with `schedule_id`).
pub(crate) fn plan_set(site: &str, path: &std::path::Path) -> Result<PlanSet> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table: toml::Table = load::parse_toml(path, &text)?;
    let read_plan = |path: &std::path::Path| -> Result<PlanSpec> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut plan: PlanSpec = load::parse_toml(path, &text)?;
        plan.intersection = None;
        Ok(plan)
    };
    let (plan, schedule) = if table.contains_key("schedule_id") {
        let file: ScheduleFile = load::parse_toml(path, &text)?;
        let entries = file
            .entries
            .iter()
            .map(|e| {
                Ok(ScheduleEntry {
                    from: e.from.clone(),
                    plan: read_plan(&load::beside(path, &e.plan))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let schedule = ScheduleSpec {
            schedule_id: file.schedule_id,
            version: file.version,
            utc_offset_min: file.utc_offset_min,
            entries,
        };
        (None, Some(schedule))
    } else {
        (Some(read_plan(path)?), None)
    };
    Ok(PlanSet {
        site: site.to_owned(),
        ts: payload::now_ts(),
        plan,
        schedule,
        signature: None,
    })
}

/// The id and version a `plan/set` will be acknowledged with.
fn set_id(set: &PlanSet) -> (String, u32) {
    match (&set.plan, &set.schedule) {
        (Some(p), _) => (p.plan_id.clone(), p.version),
        (_, Some(s)) => (s.schedule_id.clone(), s.version),
        _ => (String::new(), 0),
    }
}

/// Signs `order` for `site` with the private key in `key_file`: issued now, valid for
/// `valid_for`.
fn sign_order(
    key_file: &std::path::Path,
    site: &str,
    order: &impl greenwave::mqtt::signing::Signable,
    valid_for: &str,
) -> Result<greenwave::mqtt::signing::OrderSignature> {
    let key = std::fs::read_to_string(key_file)
        .with_context(|| format!("cannot read the key {}", key_file.display()))?;
    let valid = humantime::parse_duration(valid_for)
        .with_context(|| format!("--valid-for `{valid_for}` is not a duration (e.g. 24h)"))?;
    if valid < Duration::from_secs(60) {
        anyhow::bail!("--valid-for {valid_for}: a signed order must stay valid at least a minute");
    }
    let now = std::time::SystemTime::now();
    greenwave::mqtt::signing::sign(&key, site, order, now, now + valid)
        .map_err(|e| anyhow::anyhow!("{}: {e}", key_file.display()))
}

/// Signs what `set` carries with the private key in `key_file`, valid for `valid_for`.
fn sign_set(
    key_file: &std::path::Path,
    set: &PlanSet,
    valid_for: &str,
) -> Result<greenwave::mqtt::signing::OrderSignature> {
    match (&set.plan, &set.schedule) {
        (Some(p), _) => sign_order(key_file, &set.site, p, valid_for),
        (_, Some(s)) => sign_order(key_file, &set.site, s, valid_for),
        _ => anyhow::bail!("nothing to sign"),
    }
}

/// `greenwave plan sign --key KEY --site SITE PLAN.toml`: the signed `plan/set` payload.
pub fn sign_plan(args: &crate::cli::SignArgs) -> Result<ExitCode> {
    let mut set = plan_set(&args.site, &args.plan)?;
    set.signature = Some(sign_set(&args.key, &set, &args.valid_for)?);
    writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&set)?)?;
    Ok(ExitCode::SUCCESS)
}

/// `greenwave keygen --out PATH`: PATH.key (private, keep it secret) and PATH.pub.
pub fn keygen(args: &crate::cli::KeygenArgs) -> Result<ExitCode> {
    let private = args.out.with_extension("key");
    let public = args.out.with_extension("pub");
    for file in [&private, &public] {
        if file.exists() {
            anyhow::bail!("{} exists already; not overwriting a key", file.display());
        }
    }
    let (private_b64, public_b64) = greenwave::mqtt::signing::generate()
        .map_err(|e| anyhow::anyhow!("generating a key: {e}"))?;
    if let Some(dir) = private.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // The private key is readable by its owner only from the moment it exists.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&private)
        .with_context(|| format!("cannot create {}", private.display()))?;
    file.write_all(format!("{private_b64}\n").as_bytes())?;
    file.sync_all()?;
    std::fs::write(&public, format!("{public_b64}\n"))?;
    let id = greenwave::mqtt::signing::public_key(&public_b64)
        .map(|k| greenwave::mqtt::signing::key_id(&k))
        .map_err(|e| anyhow::anyhow!("the new public key: {e}"))?;
    println!("private key {} (keep it secret)", private.display());
    println!(
        "public key  {} (list it in a site's [mqtt] trusted_keys)",
        public.display()
    );
    println!("key id      {id} (to revoke it: [mqtt] revoked_keys)");
    Ok(ExitCode::SUCCESS)
}

/// `greenwave mode set --broker URL --site SITE MODE`.
pub fn set_mode(args: &ModeSetArgs) -> Result<ExitCode> {
    let mode: OperatorMode =
        serde_json::from_value(serde_json::Value::String(args.mode.clone())).context("mode")?;
    let timeout = seconds(args.broker.timeout);
    runtime()?.block_on(async {
        let status_topic = payload::topic(&args.site, "status");
        let mut session = Session::open(
            &args.broker.connect,
            "ops",
            std::slice::from_ref(&status_topic),
            timeout,
        )
        .await?;
        let signature = match &args.sign {
            Some(key) => Some(sign_order(key, &args.site, &mode, &args.valid_for)?),
            None => None,
        };
        let set = ModeSet {
            site: args.site.clone(),
            ts: payload::now_ts(),
            mode,
            signature,
        };
        session
            .client
            .publish(
                payload::topic(&args.site, "mode/set"),
                QoS::AtLeastOnce,
                false,
                serde_json::to_vec(&set)?,
            )
            .await?;
        let deadline = Instant::now() + timeout;
        let mut heard = false;
        while let Some(message) = session.next(deadline).await {
            let status = serde_json::from_slice::<Status>(&message.payload);
            heard |= status.is_ok();
            // A status that names this very order, not an older retained one.
            if let Ok(status) = status
                && status.online
                && status.operator_mode == mode
                && status.mode_order.as_deref() == Some(set.ts.as_str())
            {
                writeln!(std::io::stdout(), "{}", serde_json::to_string(&status)?)?;
                return Ok(ExitCode::SUCCESS);
            }
        }
        if heard {
            eprintln!(
                "{} did not report mode {} within {timeout:?}",
                args.site, args.mode
            );
        } else {
            eprintln!(
                "no status from {} within {timeout:?}: is its daemon running and connected to this broker?",
                args.site
            );
        }
        Ok(ExitCode::from(2))
    })
}

/// `greenwave ops watch --broker URL`.
pub fn watch(args: &WatchArgs) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let topics = [
            "greenwave/v1/+/status".to_owned(),
            "greenwave/v1/+/spat".to_owned(),
        ];
        let mut session = Session::open(&args.connect, "watch", &topics, seconds(10.0)).await?;
        let mut sites: BTreeMap<String, (Option<Status>, Option<Spat>)> = BTreeMap::new();
        let end = args.once_after.map(|s| Instant::now() + seconds(s));
        let mut redraw = Instant::now() + Duration::from_secs(1);
        loop {
            let until = end.map_or(redraw, |e| e.min(redraw));
            if let Some(message) = session.next(until).await {
                let Some((site, kind)) = payload::parse_topic(&message.topic) else {
                    continue;
                };
                let entry = sites.entry(site.to_owned()).or_default();
                match kind {
                    "status" => entry.0 = serde_json::from_slice(&message.payload).ok(),
                    "spat" => entry.1 = serde_json::from_slice(&message.payload).ok(),
                    _ => {}
                }
                continue;
            }
            if let Some(end) = end
                && Instant::now() >= end
            {
                write!(std::io::stdout(), "{}", table(&sites))?;
                return Ok(ExitCode::SUCCESS);
            }
            if end.is_none() {
                // Clear the screen and draw again.
                write!(std::io::stdout(), "\x1b[2J\x1b[H{}", table(&sites))?;
                std::io::stdout().flush()?;
            }
            redraw = Instant::now() + Duration::from_secs(1);
        }
    })
}

fn table(sites: &BTreeMap<String, (Option<Status>, Option<Spat>)>) -> String {
    let mut out = format!(
        "{:<6} {:<8} {:<10} {:<9} {:<16} {:<24} {}\n",
        "site", "online", "state", "mode", "plan", "signals", "faults"
    );
    // Everything a cabinet (or anyone who may publish its status) wrote is shown escaped: an
    // escape sequence in a status must not clear the operator's screen or fake a line.
    use greenwave::untrusted::escape;
    for (site, (status, spat)) in sites {
        let site = escape(site);
        let (online, state, mode, plan, faults) = match status {
            Some(s) => (
                if s.online { "yes" } else { "NO" }.to_owned(),
                escape(&s.mode),
                s.operator_mode.name().to_owned(),
                escape(&format!(
                    "{} v{}",
                    s.plan_id.as_deref().unwrap_or("-"),
                    s.plan_version.unwrap_or_default()
                )),
                if s.faults.is_empty() {
                    "-".to_owned()
                } else {
                    escape(&s.faults.join("; "))
                },
            ),
            None => ("?".into(), "?".into(), "?".into(), "?".into(), "?".into()),
        };
        let signals = spat
            .as_ref()
            .map(|spat| {
                spat.groups
                    .iter()
                    .map(|m| match m.aspect.as_str() {
                        "green" => 'G',
                        "flashing_green" => 'g',
                        "amber" => 'A',
                        "red_amber" => 'r',
                        "red" => '.',
                        "flashing_amber" => 'a',
                        _ => ' ',
                    })
                    .collect::<String>()
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "{site:<6} {online:<8} {state:<10} {mode:<9} {plan:<16} {signals:<24} {faults}\n"
        ));
    }
    out.push_str(
        "signals: G green, g flashing green, A amber, r red+amber, . red, a flashing amber\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_cannot_drive_the_operators_terminal() {
        let hostile: Status = serde_json::from_value(serde_json::json!({
            "site": "J1", "ts": "2026-12-05T18:00:00Z", "online": true,
            "mode": "\u{1b}[2J\u{1b}[HFLASH", "plan_id": "p\nJ9 yes FLASH",
            "faults": ["\u{1b}[31mconflict monitor tripped"]
        }))
        .expect("parses");
        let mut sites = BTreeMap::new();
        sites.insert("J1\u{1b}[H".to_owned(), (Some(hostile), None));
        let shown = table(&sites);
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
        assert_eq!(shown.lines().count(), 3, "no forged line: {shown}");
        assert!(shown.contains("\\u{1b}[2J"), "{shown}");
    }
}
