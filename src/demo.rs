//! `greenwave demo`: the whole deployment on one machine, no external server. The arterial
//! scenario's virtual cabinets (Modbus TCP), an embedded MQTT broker, and one edge daemon per
//! intersection, each from its own cabinet config (`config/cabinets/SITE.toml`) as in the
//! field, with only the addresses and the pace overridden. A live view while it runs; the same
//! summary table as `greenwave sim` at the end.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::watch;

use greenwave::cabinet::registers::address;
use greenwave::cabinet::{CabinetOptions, VirtualCabinets};
use greenwave::daemon::config::DaemonConfig;
use greenwave::daemon::run::{self, SiteView};
use greenwave::mqtt::broker;
use greenwave_sim::Scenario;

use crate::cli::DemoArgs;
use crate::report;

/// `greenwave demo`.
pub fn run(args: &DemoArgs) -> Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    crate::serve::init_logs(
        greenwave::daemon::config::LogFormat::Human,
        tracing::Level::WARN,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(demo(args, &scenario))
}

async fn demo(args: &DemoArgs, scenario: &Scenario) -> Result<ExitCode> {
    let profile = args.profile.as_deref().map(profile_path).transpose()?;
    let speed = match (args.speed, &profile) {
        (Some(s), Some(_)) if s != 1.0 => anyhow::bail!(
            "--profile runs in real time (I/O modules have no clock for the daemons to follow): \
             leave --speed out, or give 1"
        ),
        (Some(s), _) => s,
        (None, Some(_)) => 1.0,
        (None, None) => 10.0,
    };
    let options = CabinetOptions {
        speed,
        duration: args.duration,
        seed: args.seed,
        profile: profile.clone(),
        ..CabinetOptions::default()
    };
    let broker = broker::start()?;
    let cabinets = VirtualCabinets::start(scenario, &options).await?;
    let mut daemons = Vec::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    for site in &cabinets.sites {
        let config = match &site.coils {
            Some(coils) => coil_site_config(args, &site.id, &coils.wiring, broker)?,
            None => site_config(args, speed, &site.id, site.address, broker)?,
        };
        let controller = config.controller.clone();
        let (view_tx, view_rx) = watch::channel(SiteView {
            site: site.id.clone(),
            ..SiteView::default()
        });
        let task = tokio::spawn(run::run(config, stop_rx.clone(), Some(view_tx)));
        daemons.push((site.id.clone(), controller, view_rx, task));
    }
    let controller = daemons.first().map(|d| d.1.clone()).unwrap_or_default();
    eprintln!(
        "greenwave demo: {} intersections of `{}` served as virtual cabinets, MQTT broker on {broker}, \
         one `{controller}` daemon each, {}x real time",
        cabinets.sites.len(),
        scenario.name,
        speed
    );
    if let Some(p) = &profile {
        eprintln!("cabinets of commodity I/O modules, profile {}", p.display());
    }

    let end_s = args
        .duration
        .unwrap_or_else(|| scenario.duration.as_secs_f64());
    let view = LiveView::new(end_s, daemons.iter().map(|d| d.0.as_str()));
    while !cabinets.finished() {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        let clock_ds = {
            let bank = cabinets.sites[0].bank.lock();
            let h = usize::from(address::CLOCK_DS);
            u32::from(bank.header[h]) << 16 | u32::from(bank.header[h + 1])
        };
        let views: Vec<SiteView> = daemons.iter().map(|d| d.2.borrow().clone()).collect();
        view.update(f64::from(clock_ds) / 10.0, &views);
    }
    view.finish();
    let _ = stop_tx.send(true);
    let mut trips = Vec::new();
    for (site, _, _, task) in daemons {
        match tokio::time::timeout(Duration::from_secs(5), task).await {
            Ok(Ok(Ok(_))) => {}
            Ok(Ok(Err(e))) => trips.push(format!("{site}: {e:#}")),
            Ok(Err(e)) => trips.push(format!("{site}: {e}")),
            Err(_) => trips.push(format!("{site}: did not stop within 5 s")),
        }
    }
    let mut outcome = cabinets.finish()?;
    outcome.summary.controller = format!("{controller} (daemons over Modbus)");
    let mut out = std::io::stdout().lock();
    report::table::write_summary(&mut out, &outcome.summary)?;
    for problem in &trips {
        eprintln!("error: {problem}");
    }
    if !outcome.interlock_trips.is_empty() {
        for t in &outcome.interlock_trips {
            eprintln!("conflict monitor: {t}");
        }
        return Ok(ExitCode::from(1));
    }
    Ok(if trips.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The site's cabinet config, pointed at its virtual cabinet and the embedded broker, paced
/// to the cabinets' speed (the daemon follows the cabinet clock).
/// A profile by name (`config/profiles/NAME.toml`) or as a file.
pub fn profile_path(name: &str) -> Result<std::path::PathBuf> {
    let file = Path::new(name);
    if file.is_file() {
        return Ok(file.to_owned());
    }
    let named = Path::new("config/profiles").join(format!("{name}.toml"));
    if named.is_file() {
        return Ok(named);
    }
    let known: Vec<String> = std::fs::read_dir("config/profiles")
        .map(|d| {
            d.filter_map(|e| {
                e.ok()?
                    .path()
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .collect()
        })
        .unwrap_or_default();
    anyhow::bail!(
        "--profile {name}: no such file, and not a profile in config/profiles/ ({})",
        known.join(", ")
    )
}

/// The site's cabinet config rewired to the virtual cabinet's modules: written beside the
/// others in a temporary folder, every path in it made absolute.
fn coil_site_config(
    args: &DemoArgs,
    site: &str,
    wiring: &greenwave::fieldio::coils::autowire::Wiring,
    broker: std::net::SocketAddr,
) -> Result<DaemonConfig> {
    let path = args.cabinets.join(format!("{site}.toml"));
    let dir = std::env::temp_dir().join(format!("greenwave-demo-{}", std::process::id()));
    let file = greenwave::cabinet::coils::rewired_config(&path, wiring, &dir)
        .with_context(|| format!("{site} needs its cabinet config {}", display(&path)))?;
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("GREENWAVE__CONTROL__CLOCK".into(), "system".into());
    env.insert("GREENWAVE__MQTT__BROKER".into(), format!("mqtt://{broker}"));
    env.insert("GREENWAVE__LOG__LEVEL".into(), "warn".into());
    if let Some(controller) = &args.controller {
        env.insert("GREENWAVE__CONTROLLER__KIND".into(), controller.clone());
    }
    DaemonConfig::load_with(&file, env).with_context(|| format!("{site}: the rewired config"))
}

fn site_config(
    args: &DemoArgs,
    speed: f64,
    site: &str,
    cabinet: std::net::SocketAddr,
    broker: std::net::SocketAddr,
) -> Result<DaemonConfig> {
    let path = args.cabinets.join(format!("{site}.toml"));
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut set = |k: &str, v: String| env.insert(format!("GREENWAVE__{k}"), v);
    set("CABINET__ADDRESS", cabinet.to_string());
    set("CONTROL__CLOCK", "cabinet".into());
    set("CONTROL__TICK_HZ", (10.0 * speed).min(1000.0).to_string());
    set("CABINET__WATCHDOG_S", (1.0 / speed).max(0.01).to_string());
    set("MQTT__BROKER", format!("mqtt://{broker}"));
    set("LOG__LEVEL", "warn".into());
    if let Some(controller) = &args.controller {
        set("CONTROLLER__KIND", controller.clone());
    }
    DaemonConfig::load_with(&path, env).with_context(|| {
        format!(
            "{site} needs its cabinet config {} (see config/cabinets/)",
            display(&path)
        )
    })
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// One progress line for the run and one status line per intersection.
struct LiveView {
    progress: ProgressBar,
    sites: Vec<ProgressBar>,
}

impl LiveView {
    fn new<'a>(end_s: f64, sites: impl Iterator<Item = &'a str>) -> LiveView {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        let progress = multi.add(ProgressBar::new(end_s.max(1.0) as u64));
        progress.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} s simulated  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let sites = sites
            .map(|id| {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_message(format!("{id}: starting"));
                bar
            })
            .collect();
        LiveView { progress, sites }
    }

    fn update(&self, now_s: f64, views: &[SiteView]) {
        self.progress.set_position(now_s as u64);
        for (bar, v) in self.sites.iter().zip(views) {
            let stage = v
                .stage
                .as_ref()
                .map(|s| format!("stage {s:<6} {:>5.1} s", v.in_stage_s))
                .unwrap_or_else(|| "changing        ".into());
            let queues: Vec<String> = v
                .queues
                .iter()
                .map(|(link, q)| format!("{link} {q:.0}"))
                .collect();
            let faults = if v.faults.is_empty() {
                "no faults".to_owned()
            } else {
                v.faults.join(", ")
            };
            let link = if v.link_up { "" } else { "  CABINET LINK DOWN" };
            bar.set_message(format!(
                "{:<4} {:<9} {stage}  queues: {}  {faults}{link}",
                v.site,
                v.mode,
                queues.join(" ")
            ));
        }
    }

    fn finish(&self) {
        self.progress.finish_and_clear();
        for bar in &self.sites {
            bar.finish_and_clear();
        }
    }
}
