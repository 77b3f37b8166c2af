//! `greenwave run` and `greenwave cabinet`: the long-running commands, each on a tokio runtime,
//! with logs through `tracing` and a clean stop on SIGINT or SIGTERM.

use std::process::ExitCode;

use anyhow::{Context, Result};
use tokio::sync::watch;

#[cfg(feature = "sim")]
use greenwave::cabinet::{CabinetOptions, VirtualCabinets};
use greenwave::daemon::config::{DaemonConfig, LogFormat};
use greenwave::daemon::run;
#[cfg(feature = "sim")]
use greenwave_sim::Scenario;

#[cfg(feature = "sim")]
use crate::cli::CabinetArgs;
use crate::cli::RunArgs;

/// `greenwave run --config FILE`.
pub fn daemon(args: &RunArgs) -> Result<ExitCode> {
    let config = DaemonConfig::load(&args.config)?;
    let level = config
        .log
        .level
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(tracing::Level::INFO);
    init_logs(config.log.format, level);
    runtime()?.block_on(async {
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            stop_signal().await;
            let _ = stop_tx.send(true);
        });
        let report = run::run(config, stop_rx, None).await?;
        let mut latencies = report.stats.latencies_us.clone();
        latencies.sort_unstable();
        let pick = |q: f64| {
            latencies
                .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
                .map_or(0.0, |&us| f64::from(us) / 1000.0)
        };
        tracing::info!(
            ticks = report.ticks,
            commands = latencies.len(),
            latency_p50_ms = pick(0.5),
            latency_p99_ms = pick(0.99),
            link_failures = report.stats.failures,
            "daemon stopped"
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// `greenwave cabinet --scenario FILE`.
#[cfg(feature = "sim")]
pub fn cabinet(args: &CabinetArgs) -> Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    init_logs(LogFormat::Human, tracing::Level::INFO);
    runtime()?.block_on(async {
        let options = CabinetOptions {
            speed: args.speed,
            bind: args.bind,
            duration: args.duration,
            seed: args.seed,
            profile: args
                .profile
                .as_deref()
                .map(crate::demo::profile_path)
                .transpose()?,
            ..CabinetOptions::default()
        };
        let cabinets = VirtualCabinets::start(&scenario, &options).await?;
        for site in &cabinets.sites {
            match &site.coils {
                Some(coils) => println!(
                    "{} modbus tcp {}, {} modules of {} (unit ids 1 to {})",
                    site.id,
                    site.address,
                    coils.cabinet.modules.len(),
                    coils.cabinet.modules[0].profile.name,
                    coils.cabinet.modules.len()
                ),
                None => println!("{} modbus tcp {}", site.id, site.address),
            }
        }
        tokio::select! {
            () = stop_signal() => {}
            () = async {
                while !cabinets.finished() {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            } => {}
        }
        let outcome = cabinets.finish()?;
        let s = &outcome.summary;
        println!(
            "simulated {:.0} s: {} vehicles arrived, mean delay {:.1} s/veh, {} monitor trips",
            s.sim_seconds,
            s.vehicles_arrived,
            s.mean_delay_s,
            outcome.interlock_trips.len()
        );
        Ok(ExitCode::SUCCESS)
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Logs to stderr, readable or JSON, at `level` (the embedded broker's own logs only from
/// errors up, and without its routine connection chatter).
pub fn init_logs(format: LogFormat, level: tracing::Level) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let filter = Targets::new()
        .with_default(level)
        .with_target("rumqttd", LevelFilter::OFF);
    use std::io::IsTerminal as _;
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Human => registry.with(layer).try_init(),
        LogFormat::Json => registry.with(layer.json()).try_init(),
    };
}

/// SIGINT, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
