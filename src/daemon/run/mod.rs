//! The edge daemon's tasks: the field I/O task (the cabinet over Modbus), the MQTT link, and the
//! [`Daemon`] that joins them, shaped after mini-redis's server: a value with one method per
//! kind of work (a cabinet reading, a message from the broker, the link watchdog) and a short
//! `select!` that hands each to its method. The control loop never waits on the network: the
//! field I/O and MQTT run in their own tasks, joined by channels. On shutdown the cabinet is
//! handed back to its local control.

mod daemon;
mod orders;

use std::time::Duration as StdDuration;

use anyhow::Result;
use tokio::sync::{mpsc, watch};
use tokio::time::{MissedTickBehavior, interval};

use crate::fieldio::poller::FieldStats;
use crate::mqtt::link::Incoming;

use super::config::DaemonConfig;
use daemon::Daemon;

/// What the daemon shows of itself while running (for a live view).
#[derive(Clone, Debug, Default)]
pub struct SiteView {
    /// The site.
    pub site: String,
    /// Following, driving or safe.
    pub mode: String,
    /// The stage running (its id), if any.
    pub stage: Option<String>,
    /// Seconds in that stage.
    pub in_stage_s: f64,
    /// Estimated queue per approach link, vehicles.
    pub queues: Vec<(String, f64)>,
    /// Detector channels on a fallback, and faults raised.
    pub faults: Vec<String>,
    /// Whether the cabinet link is up.
    pub link_up: bool,
    /// Neighbours whose forecasts are in use.
    pub heard: Vec<String>,
    /// Whether the broker link is up with the plan, mode and neighbour subscriptions in place.
    pub broker_up: bool,
}

/// What a run leaves behind.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// Field link counters, latencies included.
    pub stats: FieldStats,
    /// Control ticks run.
    pub ticks: u64,
}

/// Runs the daemon of `config` until `shutdown` becomes true; `view`, if given, is kept up to
/// date for a live display.
pub async fn run(
    config: DaemonConfig,
    mut shutdown: watch::Receiver<bool>,
    view: Option<watch::Sender<SiteView>>,
) -> Result<RunReport> {
    let link_check = config.tick * 5;
    let (mut daemon, mut field_rx, mut incoming) = Daemon::start(config, view)?;
    let mut watchdog = interval(link_check);
    watchdog.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            // Asked to stop. Cancel-safe: `watch::Receiver::changed`.
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            // A cabinet reading (or the link going down): one control tick. Cancel-safe, and
            // only the latest reading counts.
            changed = field_rx.changed() => {
                if changed.is_err() {
                    break;
                }
                let field = field_rx.borrow_and_update().clone();
                daemon.on_field(field);
            }
            // An order or a neighbour's forecast, taken as it arrives, whether or not the
            // cabinet answers. Cancel-safe: `mpsc::Receiver::recv`.
            Some(message) = next_message(&mut incoming) => daemon.on_message(message),
            // The field link may have died without a reading to say so.
            _ = watchdog.tick() => daemon.on_watchdog(field_rx.borrow().up),
        }
    }
    Ok(daemon.stop().await)
}

/// The next message from the broker; never, without a broker.
async fn next_message(incoming: &mut Option<mpsc::Receiver<Incoming>>) -> Option<Incoming> {
    match incoming {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// A task that ends with its owner: dropping (or aborting) the daemon ends its field I/O.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn core_duration(d: StdDuration) -> greenwave_controllers::Duration {
    greenwave_controllers::Duration::from_millis(d.as_millis() as u64)
}
