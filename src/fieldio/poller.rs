//! The field I/O task: polls the cabinet's input registers at a fixed rate, writes every new
//! command as soon as the control loop makes it (all signal groups in one write-multiple-
//! registers request), and keeps the cabinet's watchdog alive. It talks to the control loop
//! only through `watch` channels, so neither ever waits on the other: the control loop always
//! sees the latest reading, the poller always writes the latest command.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::time::{MissedTickBehavior, interval};

use super::link::{Link, LinkError};
use super::reading::{ReadPlan, Reading};
use super::regmap::RegisterMap;

pub use super::reference::request;

/// What the control loop wants the cabinet to do.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Command {
    /// `control_request`.
    pub request: u16,
    /// Commanded aspect code of every signal group.
    pub aspects: Vec<u16>,
    /// When the reading this command answers was taken (for the latency figures).
    pub answers: Option<Instant>,
}

/// The latest state of the field link.
#[derive(Clone, Debug, Default)]
pub struct Field {
    /// The latest good reading and when it was taken; `None` until the first one.
    pub reading: Option<(Reading, Instant)>,
    /// Whether the last poll succeeded.
    pub up: bool,
    /// Why the link is down.
    pub error: Option<String>,
    /// Successful polls so far.
    pub polls: u64,
    /// When the latest good poll began: its first block (the heartbeat among it) was read then,
    /// however long the rest took (or the process was paused in between).
    pub poll_started: Option<Instant>,
}

impl Field {
    /// A good poll begun at `started`, whose `reading` was complete at `at`.
    pub fn took(&mut self, reading: Reading, at: Instant, started: Instant) {
        self.up = true;
        self.error = None;
        self.reading = Some((reading, at));
        self.polls += 1;
        self.poll_started = Some(started);
    }
}

/// Counters of the field link, for logs and measurements.
#[derive(Clone, Debug, Default)]
pub struct FieldStats {
    /// Reading-to-command-written latencies, µs (the last 100,000).
    pub latencies_us: Vec<u32>,
    /// Polls that failed.
    pub failures: u64,
    /// Connections (re)made.
    pub connects: u64,
    /// Modbus requests answered since the daemon last took them, µs each.
    pub request_us: Vec<u32>,
    /// Modbus requests that timed out.
    pub timeouts: u64,
}

impl FieldStats {
    /// Adds what the link counted.
    fn add(&mut self, counted: crate::fieldio::link::LinkCounters) {
        if self.request_us.len() < 10_000 {
            self.request_us.extend(counted.request_us);
        }
        self.timeouts += counted.timeouts;
    }
}

/// Settings of the poller.
#[derive(Clone, Debug)]
pub struct PollerSettings {
    /// The register map.
    pub map: RegisterMap,
    /// Detector channels to read.
    pub channels: u16,
    /// Signal groups to read and command.
    pub groups: u16,
    /// Between two polls.
    pub poll_period: Duration,
    /// Between two watchdog writes.
    pub watchdog_period: Duration,
}

/// The channels between the poller and the control loop.
pub struct PollerIo {
    /// Readings out.
    pub field: watch::Sender<Field>,
    /// Commands in.
    pub commands: watch::Receiver<Command>,
    /// Becomes true to stop: the cabinet is handed back to local control first.
    pub shutdown: watch::Receiver<bool>,
    /// Shared counters.
    pub stats: Arc<Mutex<FieldStats>>,
}

/// Runs the field I/O until shutdown.
pub async fn run(mut link: Link, settings: PollerSettings, mut io: PollerIo) {
    let plan = ReadPlan::new(settings.map, settings.channels, settings.groups);
    let mut poll = interval(settings.poll_period);
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut watchdog = interval(settings.watchdog_period);
    watchdog.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut watchdog_value: u16 = 0;
    // What this connection has been told; forgotten on every reconnect.
    let mut written: Option<Command> = None;
    // Since when the current connection is up: commands made before it are stale.
    let mut connected_at: Option<Instant> = None;
    // When the control loop last sent a command: the watchdog is fed only while it answers.
    let mut last_answer: Option<Instant> = None;
    let answer_limit = settings.watchdog_period * 3;
    let map = settings.map;
    loop {
        // What the last round of requests counted, for the daemon's metrics.
        let counted = link.take_counters();
        if counted != crate::fieldio::link::LinkCounters::default() {
            io.stats.lock().expect("stats lock").add(counted);
        }
        tokio::select! {
            biased;
            changed = io.shutdown.changed() => {
                if changed.is_err() || *io.shutdown.borrow() {
                    hand_back(&mut link, &map).await;
                    return;
                }
            }
            _ = watchdog.tick() => {
                let loop_alive = last_answer.is_some_and(|at| at.elapsed() <= answer_limit);
                if link.connected() && loop_alive {
                    watchdog_value = watchdog_value.wrapping_add(1);
                    if let Err(e) = link.write_register(map.watchdog, watchdog_value).await {
                        tracing::warn!(error = %e, "watchdog write failed");
                        continue;
                    }
                    // Say it all again: a cabinet that lost its registers without dropping
                    // the connection (a gateway, a serial line) is told once a second.
                    let fresh = Fresh { connected_at, record: false };
                    write_command(&mut link, &map, &mut io, &mut written, fresh, true).await;
                }
            }
            changed = io.commands.changed() => {
                if changed.is_err() {
                    hand_back(&mut link, &map).await;
                    return;
                }
                last_answer = Some(Instant::now());
                if link.connected() {
                    let fresh = Fresh { connected_at, record: true };
                    write_command(&mut link, &map, &mut io, &mut written, fresh, false).await;
                }
            }
            _ = poll.tick() => {
                let was_connected = link.connected();
                let started = Instant::now();
                match poll_once(&mut link, &plan).await {
                    Ok(reading) => {
                        let at = Instant::now();
                        if !was_connected {
                            written = None;
                            connected_at = Some(at);
                            io.stats.lock().expect("stats lock").connects += 1;
                            tracing::info!("cabinet link up");
                        }
                        io.field.send_modify(|f| f.took(reading, at, started));
                    }
                    Err(e) => {
                        let message = e.to_string();
                        if !matches!(e, LinkError::Backoff(_)) {
                            io.stats.lock().expect("stats lock").failures += 1;
                        }
                        io.field.send_if_modified(|f| {
                            let changed = f.up
                                || (!matches!(e, LinkError::Backoff(_))
                                    && f.error.as_deref() != Some(message.as_str()));
                            if changed {
                                tracing::warn!(error = %message, "cabinet link down");
                                f.error = Some(message);
                            }
                            f.up = false;
                            changed
                        });
                    }
                }
            }
        }
    }
}

/// Which commands may be written on this connection, and whether to record the latency.
#[derive(Clone, Copy)]
struct Fresh {
    connected_at: Option<Instant>,
    record: bool,
}

async fn poll_once(link: &mut Link, plan: &ReadPlan) -> Result<Reading, LinkError> {
    let mut words = Vec::with_capacity(plan.blocks.len());
    for &(start, count) in &plan.blocks {
        words.push(link.read_input(start, count).await?);
    }
    Ok(plan.decode(&words))
}

/// Writes what changed of the latest command (everything with `again`): the aspects in one
/// request, then the control request. A command made before this connection was up is stale
/// (it answers a reading of another connection, or none) and is not written: the control loop
/// answers the first reading of the new connection.
async fn write_command(
    link: &mut Link,
    map: &RegisterMap,
    io: &mut PollerIo,
    written: &mut Option<Command>,
    fresh: Fresh,
    again: bool,
) {
    let command = io.commands.borrow_and_update().clone();
    let current = match (command.answers, fresh.connected_at) {
        (Some(answers), Some(since)) => answers >= since,
        _ => false,
    };
    if !current {
        return;
    }
    let before = if again { None } else { written.take() };
    if !command.aspects.is_empty() && before.as_ref().map(|w| &w.aspects) != Some(&command.aspects)
    {
        if let Err(e) = link
            .write_registers(map.commanded_aspect_base, &command.aspects)
            .await
        {
            tracing::warn!(error = %e, "command write failed");
            *written = None;
            return;
        }
        if fresh.record
            && let Some(at) = command.answers
        {
            let us = at.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            let mut stats = io.stats.lock().expect("stats lock");
            if stats.latencies_us.len() >= 100_000 {
                stats.latencies_us.clear();
            }
            stats.latencies_us.push(us);
        }
    }
    if before.as_ref().map(|w| w.request) != Some(command.request)
        && let Err(e) = link
            .write_register(map.control_request, command.request)
            .await
    {
        tracing::warn!(error = %e, "control request write failed");
        *written = None;
        return;
    }
    *written = Some(command);
}

/// Hands the cabinet back to its local control, best effort.
async fn hand_back(link: &mut Link, map: &RegisterMap) {
    match link
        .write_register(map.control_request, request::LOCAL)
        .await
    {
        Ok(()) => tracing::info!("cabinet handed back to local control"),
        Err(e) => tracing::warn!(
            error = %e,
            "could not hand the cabinet back: its watchdog will drop it to local control"
        ),
    }
}
