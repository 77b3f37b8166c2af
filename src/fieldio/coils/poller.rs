//! The field I/O task for a cabinet of commodity I/O modules: the same channels to the control
//! loop as the reference map's poller ([`crate::fieldio::poller`]), so the loop cannot tell
//! them apart. Each poll reads every module's inputs (one request per module and table) and
//! turns them into a reference-map [`Reading`]: presence edges into counts and on-time, lamp
//! sensing into shown aspects. Each command becomes lamp pictures written in the order of
//! [`super::lamps::writes`]; flashing aspects are toggled here, or by the module where its
//! profile declares a flash function.
//!
//! The cabinet has no local controller: "local" is flash. The lamps flash (vehicle heads amber,
//! pedestrian heads dark) until the loop commands all red, and the status says `local` until
//! the lamps are seen showing what was commanded. Any module error (timeout, exception, a reply
//! of the wrong size) flashes every module that still answers and reports `local` again, so the
//! loop takes over anew from red: never a partial lamp picture. Each module's watchdog is set
//! on every (re)connection and kept alive while the loop answers; on shutdown every output is
//! switched off, as the watchdog would.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::time::{MissedTickBehavior, interval};

use greenwave_controllers::model::Aspect;

use super::flasher::Flasher;
use super::lamps::{self, Picture};
use super::presence::PresenceCounter;
use super::profile::RegisterTable;
use super::wiring::CoilCabinet;
use crate::fieldio::link::{Link, LinkError, LinkSettings};
use crate::fieldio::poller::{Command, FieldStats, PollerIo, request};
use crate::fieldio::reading::Reading;

/// Settings of the coil poller.
#[derive(Clone, Debug)]
pub struct CoilSettings {
    /// Between two polls.
    pub poll_period: Duration,
    /// Between two keep-alive rounds.
    pub keepalive_period: Duration,
    /// Link timing shared by the modules (the target and unit are each module's).
    pub link: LinkSettings,
}

/// What the lamps are to show.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Lamps {
    /// Nothing written on this run yet.
    Unknown,
    /// The loop's aspects; `confirmed` once a reading showed them, taken over `since`.
    External {
        aspects: Vec<Aspect>,
        confirmed: bool,
        since: Instant,
    },
    /// Flashing: asked for, or after a module error.
    Flash,
    /// Flashing until restart: the lamps did not show the all red of a take-over.
    Faulty,
}

/// Far off: no flash half ends while nothing flashes.
const FAR: Duration = Duration::from_secs(3600);

/// How long the lamps may take to show the all red of a take-over.
const TAKE_OVER_LIMIT: Duration = Duration::from_secs(3);

struct ModuleIo {
    link: Link,
    configured: bool,
    keepalive: u16,
}

/// The task's state.
struct Coils {
    cabinet: Arc<CoilCabinet>,
    spans: Vec<(u16, u16)>,
    modules: Vec<ModuleIo>,
    lamps: Lamps,
    written: Option<Picture>,
    flasher: Flasher,
    presence: Vec<PresenceCounter>,
    polls: u64,
    started: Instant,
}

/// Runs the coil field I/O until shutdown.
pub async fn run(cabinet: Arc<CoilCabinet>, settings: CoilSettings, mut io: PollerIo) {
    let mut coils = Coils::new(cabinet, &settings);
    let mut poll = interval(settings.poll_period);
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut keepalive = interval(settings.keepalive_period);
    keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The next end of a flash half; far off while nothing flashes.
    let flash = tokio::time::sleep(FAR);
    tokio::pin!(flash);
    // Since when a reading waits for the loop's answer: a loop silent for longer than the
    // limit is dead or stuck, and the modules get no more traffic, so their watchdogs expire.
    let mut unanswered_since: Option<Instant> = None;
    let answer_limit = settings.keepalive_period * 3;
    loop {
        let next_flash = coils.flasher.next().map_or_else(
            || tokio::time::Instant::now() + FAR,
            tokio::time::Instant::from_std,
        );
        flash.as_mut().reset(next_flash);
        let counted: Vec<_> = coils
            .modules
            .iter_mut()
            .map(|m| m.link.take_counters())
            .collect();
        add_counters(&io.stats, counted);
        // Every branch is cancel-safe: `watch` changes and interval ticks.
        tokio::select! {
            biased;
            changed = io.shutdown.changed() => {
                if changed.is_err() || *io.shutdown.borrow() {
                    coils.switch_off().await;
                    return;
                }
            }
            changed = io.commands.changed() => {
                if changed.is_err() {
                    coils.switch_off().await;
                    return;
                }
                unanswered_since = None;
                let command = io.commands.borrow_and_update().clone();
                coils.take(&command, &io.stats).await;
            }
            () = &mut flash => {
                if coils.flashing() {
                    coils.output().await;
                }
            }
            _ = keepalive.tick() => {
                if unanswered_since.is_none_or(|at| at.elapsed() <= answer_limit) {
                    coils.keep_alive().await;
                }
            }
            _ = poll.tick() => {
                if unanswered_since.is_none_or(|at| at.elapsed() <= answer_limit) {
                    let outcome = coils.poll().await;
                    if outcome.is_ok() {
                        unanswered_since.get_or_insert_with(Instant::now);
                    }
                    publish(&io, outcome);
                }
            }
        }
    }
}

fn add_counters(stats: &Mutex<FieldStats>, counted: Vec<crate::fieldio::link::LinkCounters>) {
    let mut stats = stats.lock().unwrap_or_else(|e| e.into_inner());
    for c in counted {
        if stats.request_us.len() < 10_000 {
            stats.request_us.extend(c.request_us);
        }
        stats.timeouts += c.timeouts;
        stats.connects += c.connects;
    }
}

/// Sends a poll's outcome to the control loop.
fn publish(io: &PollerIo, outcome: Result<(Reading, Instant), String>) {
    match outcome {
        Ok((reading, started)) => {
            let at = Instant::now();
            io.field.send_modify(|f| f.took(reading, at, started));
        }
        Err(message) => {
            io.stats.lock().unwrap_or_else(|e| e.into_inner()).failures += 1;
            io.field.send_if_modified(|f| {
                let changed = f.up || f.error.as_deref() != Some(message.as_str());
                if changed {
                    tracing::warn!(error = %message, "cabinet module down");
                    f.error = Some(message);
                }
                f.up = false;
                changed
            });
        }
    }
}

impl Coils {
    fn new(cabinet: Arc<CoilCabinet>, settings: &CoilSettings) -> Coils {
        let groups = cabinet.lamps.len();
        let modules = cabinet
            .modules
            .iter()
            .map(|m| ModuleIo {
                link: Link::new(LinkSettings {
                    target: crate::fieldio::link::Target::Tcp(m.address.clone()),
                    unit: m.unit,
                    ..settings.link.clone()
                }),
                configured: false,
                keepalive: 0,
            })
            .collect();
        Coils {
            spans: lamps::spans(&cabinet),
            presence: vec![PresenceCounter::default(); cabinet.detectors.len()],
            modules,
            cabinet,
            lamps: Lamps::Unknown,
            written: None,
            flasher: Flasher::new(groups),
            polls: 0,
            started: Instant::now(),
        }
    }

    /// The aspects the lamps are to show, if known.
    fn target(&self) -> Option<Vec<Aspect>> {
        let n = self.cabinet.lamps.len();
        match &self.lamps {
            Lamps::Unknown => None,
            Lamps::External { aspects, .. } => Some(aspects.clone()),
            Lamps::Flash | Lamps::Faulty => Some(vec![Aspect::FlashingAmber; n]),
        }
    }

    fn flashing(&self) -> bool {
        self.target().is_some_and(|a| {
            a.iter().any(|a| {
                matches!(
                    a,
                    Aspect::FlashingAmber | Aspect::FlashingGreen | Aspect::FlashingDontWalk
                )
            })
        })
    }

    /// A command from the loop. Out of flash (or at start) only all red is taken.
    async fn take(&mut self, command: &Command, stats: &Mutex<FieldStats>) {
        if command.answers.is_none() {
            return;
        }
        let aspects: Option<Vec<Aspect>> = command
            .aspects
            .iter()
            .map(|&c| Aspect::from_code(c))
            .collect();
        let next = match (command.request, aspects) {
            (request::EXTERNAL, Some(aspects)) if aspects.len() == self.cabinet.lamps.len() => {
                match &self.lamps {
                    Lamps::External {
                        confirmed, since, ..
                    } => Lamps::External {
                        aspects,
                        confirmed: *confirmed,
                        since: *since,
                    },
                    Lamps::Faulty => return,
                    _ if aspects.iter().all(|&a| a == Aspect::Red) => Lamps::External {
                        aspects,
                        confirmed: false,
                        since: Instant::now(),
                    },
                    _ => return,
                }
            }
            _ if self.lamps == Lamps::Faulty => return,
            (request::EXTERNAL, _) => {
                tracing::error!(aspects = ?command.aspects, "a command that is no lamp picture: flashing");
                Lamps::Flash
            }
            _ => Lamps::Flash,
        };
        if next == self.lamps {
            return;
        }
        self.lamps = next;
        if self.output().await
            && let Some(at) = command.answers
        {
            let us = at.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            let mut stats = stats.lock().unwrap_or_else(|e| e.into_inner());
            if stats.latencies_us.len() >= 100_000 {
                stats.latencies_us.clear();
            }
            stats.latencies_us.push(us);
        }
    }

    /// Writes the lamp picture of the target, in the safe order. A failure flashes. True when
    /// every write went through.
    async fn output(&mut self) -> bool {
        let Some(aspects) = self.target() else {
            return true;
        };
        let halves = self.flasher.halves(&aspects, Instant::now());
        let after = lamps::picture_in(&self.cabinet, &self.spans, &aspects, &halves);
        let writes = lamps::writes(&self.cabinet, &self.spans, self.written.as_ref(), &after);
        for w in writes {
            if let Err(e) = self.write(w.module, w.address, &w.values).await {
                self.fail(&e).await;
                return false;
            }
        }
        self.written = Some(after);
        true
    }

    /// One module's coils, its watchdog set first on a new connection.
    async fn write(&mut self, m: usize, address: u16, values: &[bool]) -> Result<(), String> {
        self.configure(m).await?;
        let name = &self.cabinet.modules[m].name;
        self.modules[m]
            .link
            .write_coils(address, values)
            .await
            .map_err(|e| format!("module {name}: {e}"))
    }

    /// Sets module `m`'s watchdog if this connection has not had it yet.
    async fn configure(&mut self, m: usize) -> Result<(), String> {
        let module = &self.cabinet.modules[m];
        let io = &mut self.modules[m];
        if io.link.connected() && io.configured {
            return Ok(());
        }
        io.configured = false;
        let (Some(w), Some(ms)) = (&module.profile.watchdog, module.watchdog_ms) else {
            return Ok(());
        };
        let name = &module.name;
        let err = |e: LinkError| format!("module {name}: setting its watchdog: {e}");
        let units = (ms / w.unit_ms) as u16;
        io.link
            .write_register(w.timeout_register, units)
            .await
            .map_err(err)?;
        if let Some((register, value)) = w.enable {
            io.link.write_register(register, value).await.map_err(err)?;
        }
        if let Some((register, value)) = module.profile.flash.as_ref().and_then(|f| f.rate) {
            let err = |e: LinkError| format!("module {name}: setting its flash rate: {e}");
            io.link.write_register(register, value).await.map_err(err)?;
        }
        io.configured = true;
        tracing::info!(module = %name, timeout_ms = ms, "module watchdog set");
        Ok(())
    }

    /// A module failed: flash every module that answers; the loop takes over anew from red.
    async fn fail(&mut self, why: &str) {
        if matches!(self.lamps, Lamps::Flash | Lamps::Faulty) {
            tracing::debug!("{why}: the lamps flash");
        } else {
            tracing::error!("{why}: the lamps flash");
            self.lamps = Lamps::Flash;
        }
        self.written = None;
        let flashing = vec![Aspect::FlashingAmber; self.cabinet.lamps.len()];
        let halves = self.flasher.halves(&flashing, Instant::now());
        let flash = lamps::picture_in(&self.cabinet, &self.spans, &flashing, &halves);
        for m in 0..self.spans.len() {
            if self.spans[m].1 > 0 && self.modules[m].link.connected() {
                let _ = self.write_picture(m, &flash).await;
            }
        }
    }

    /// Module `m`'s part of `picture` in one go: its flash-enable coils (if it flashes its
    /// outputs itself), then its lamps.
    async fn write_picture(&mut self, m: usize, picture: &Picture) -> Result<(), String> {
        if let Some(address) = lamps::enables_at(&self.cabinet, &self.spans, m) {
            self.write(m, address, &picture.enables[m]).await?;
        }
        self.write(m, self.spans[m].0, &picture.images[m]).await
    }

    /// The watchdogs' keep-alive: the keep-alive registers, and every module's picture again
    /// (a module that lost its outputs without dropping the connection is told once a period).
    async fn keep_alive(&mut self) {
        let cabinet = self.cabinet.clone();
        for (m, module) in cabinet.modules.iter().enumerate() {
            let Some(w) = &module.profile.watchdog else {
                continue;
            };
            if let Some(register) = w.keepalive_register {
                if let Err(e) = self.configure(m).await {
                    self.fail(&e).await;
                    return;
                }
                let io = &mut self.modules[m];
                io.keepalive = io.keepalive.wrapping_add(1);
                if let Err(e) = io.link.write_register(register, io.keepalive).await {
                    let why = format!("module {}: keep-alive: {e}", module.name);
                    self.fail(&why).await;
                    return;
                }
            }
        }
        // Every module's current picture again, one request each: the same legal picture.
        let Some(picture) = self.written.clone() else {
            return;
        };
        for m in 0..self.spans.len() {
            if self.spans[m].1 > 0
                && let Err(e) = self.write_picture(m, &picture).await
            {
                self.fail(&e).await;
                return;
            }
        }
    }

    /// Switches every output off (what each module's watchdog would do), best effort.
    async fn switch_off(&mut self) {
        for (m, &(address, count)) in self.spans.clone().iter().enumerate() {
            if count > 0 {
                let _ = self.modules[m]
                    .link
                    .write_coils(address, &vec![false; usize::from(count)])
                    .await;
            }
        }
        tracing::info!("every lamp output switched off: the cabinet flashes on its own");
    }

    /// Reads every module's inputs into a reading; a failure flashes.
    async fn poll(&mut self) -> Result<(Reading, Instant), String> {
        let started = Instant::now();
        let mut bits: Vec<Vec<(u16, bool)>> = vec![Vec::new(); self.modules.len()];
        let mut counts: Vec<Vec<(RegisterTable, u16, u16)>> = vec![Vec::new(); self.modules.len()];
        for m in 0..self.modules.len() {
            match self.read_module(m).await {
                Ok((b, c)) => {
                    bits[m] = b;
                    counts[m] = c;
                }
                Err(e) => {
                    self.fail(&e).await;
                    return Err(e);
                }
            }
        }
        self.polls += 1;
        Ok((self.reading(&bits, &counts, started), started))
    }
}

mod inputs;

#[cfg(test)]
mod tests;
