//! The field I/O task for a cabinet of commodity I/O modules: the same channels to the control
//! loop as the reference map's poller ([`crate::fieldio::poller`]), so the loop cannot tell
//! them apart. Each poll reads every module's inputs (one request per module and table) and
//! turns them into a reference-map [`Reading`]: presence edges into counts and on-time, lamp
//! sensing into shown aspects. Each command becomes lamp pictures written in the order of
//! [`super::lamps::writes`]; flashing aspects are toggled here, or by the module where its
//! profile declares a flash function. Lamp writes go at once; a poll's reads and the
//! keep-alive's writes are queued and made one at a time between them, each only when it will
//! be answered before the next flash edge (`queue`), so a flash half never waits for a read.
//! The modules are reached through `module::ModuleLink`: a [`Link`] each in the daemon.
//!
//! The cabinet has no local controller: "local" is flash. The lamps flash (vehicle heads amber,
//! pedestrian heads dark) until the loop commands all red, and the status says `local` until
//! the lamps are seen showing what was commanded. Any module error (timeout, exception, a reply
//! of the wrong size) flashes every module that still answers and reports `local` again, so the
//! loop takes over anew from red: never a partial lamp picture. Each module's watchdog is set
//! on every (re)connection and kept alive while the loop answers; on shutdown every output is
//! switched off, as the watchdog would.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::time::{MissedTickBehavior, interval};

use greenwave_controllers::model::Aspect;

use super::flasher::Flasher;
use super::lamps::{self, Picture};
use super::presence::PresenceCounter;
use super::wiring::CoilCabinet;
use crate::fieldio::link::{Link, LinkSettings, Target};
use crate::fieldio::poller::{FieldStats, PollerIo};
use crate::fieldio::reading::Reading;
use inputs::Read;
use module::ModuleLink;
use queue::{Job, Poll, RequestTime};

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

/// Now, on tokio's clock (paused in tests), as the std instant the flasher and the control
/// loop's channels use.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

struct ModuleIo<L> {
    link: L,
    configured: bool,
    keepalive: u16,
    read_time: RequestTime,
    write_time: RequestTime,
}

/// The task's state.
struct Coils<L = Link> {
    cabinet: Arc<CoilCabinet>,
    spans: Vec<(u16, u16)>,
    modules: Vec<ModuleIo<L>>,
    lamps: Lamps,
    written: Option<Picture>,
    flasher: Flasher,
    /// Per group: the daemon toggles its lamps (a lamp on a module without a flash function).
    toggled: Vec<bool>,
    presence: Vec<PresenceCounter>,
    polls: u64,
    started: Instant,
    /// The reads of one poll.
    reads: Vec<Read>,
    /// Requests waiting their turn behind the lamp writes.
    queue: VecDeque<Job>,
    /// The poll under way, if any.
    poll: Option<Poll>,
    /// A poll fell due while one was under way.
    poll_again: bool,
    /// The next request was refused for the coming flash edge.
    held: bool,
    /// The next request waited for a flash edge: it goes whatever the next edge.
    waited: bool,
    /// The link's timeout: how long a request to a module not connected may take.
    timeout: Duration,
}

/// Runs the coil field I/O until shutdown.
pub async fn run(cabinet: Arc<CoilCabinet>, settings: CoilSettings, io: PollerIo) {
    let links = links(&cabinet, &settings);
    drive(Coils::new(cabinet, &settings, links), &settings, io).await;
}

/// One link per module, each with its own address and unit.
fn links(cabinet: &CoilCabinet, settings: &CoilSettings) -> Vec<Link> {
    cabinet
        .modules
        .iter()
        .map(|m| {
            Link::new(LinkSettings {
                target: Target::Tcp(m.address.clone()),
                unit: m.unit,
                ..settings.link.clone()
            })
        })
        .collect()
}

/// Runs `coils` until shutdown.
async fn drive<L: ModuleLink>(mut coils: Coils<L>, settings: &CoilSettings, mut io: PollerIo) {
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
        let edge = coils.flash_edge();
        let wake = edge.map_or_else(
            || tokio::time::Instant::now() + FAR,
            tokio::time::Instant::from_std,
        );
        flash.as_mut().reset(wake);
        let counted: Vec<_> = coils
            .modules
            .iter_mut()
            .map(|m| m.link.take_counters())
            .collect();
        add_counters(&io.stats, counted);
        let answered =
            unanswered_since.is_none_or(|at| now().saturating_duration_since(at) <= answer_limit);
        let step = coils.may_step(edge, now());
        // Every branch is cancel-safe: `watch` changes, a sleep, interval ticks and `ready`.
        // Requests are made in the bodies only, never cancelled half way; a tick only queues.
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
            () = &mut flash => coils.flash_half_ends().await,
            _ = keepalive.tick() => {
                if answered {
                    coils.queue_keep_alive();
                }
            }
            _ = poll.tick() => {
                if answered {
                    coils.queue_poll();
                }
            }
            () = std::future::ready(()), if step => {
                if let Some(outcome) = coils.step().await {
                    if outcome.is_ok() {
                        unanswered_since.get_or_insert_with(now);
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
            let at = now();
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

impl<L: ModuleLink> Coils<L> {
    /// The state of a cabinet whose module `m` is reached through `links[m]`.
    fn new(cabinet: Arc<CoilCabinet>, settings: &CoilSettings, links: Vec<L>) -> Coils<L> {
        let groups = cabinet.lamps.len();
        let timeout = settings.link.timeout;
        let modules = links
            .into_iter()
            .map(|link| ModuleIo {
                link,
                configured: false,
                keepalive: 0,
                read_time: RequestTime::new(timeout),
                write_time: RequestTime::new(timeout),
            })
            .collect();
        let toggled = cabinet
            .lamps
            .iter()
            .map(|lamps| {
                let no_flash = |m: usize| cabinet.modules[m].profile.flash.is_none();
                lamps.iter().flatten().any(|o| no_flash(o.module))
            })
            .collect();
        let reads = inputs::reads(&cabinet);
        Coils {
            spans: lamps::spans(&cabinet),
            presence: vec![PresenceCounter::default(); cabinet.detectors.len()],
            modules,
            cabinet,
            lamps: Lamps::Unknown,
            written: None,
            flasher: Flasher::new(groups),
            toggled,
            polls: 0,
            started: now(),
            reads,
            queue: VecDeque::new(),
            poll: None,
            poll_again: false,
            held: false,
            waited: false,
            timeout,
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

    /// When the next flash half ends on lamps the daemon toggles, while the lamps flash.
    fn flash_edge(&self) -> Option<Instant> {
        self.flashing()
            .then(|| self.flasher.next_among(&self.toggled))
            .flatten()
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
}

mod inputs;
mod module;
mod queue;
mod writes;

#[cfg(test)]
mod flash_timing;
#[cfg(test)]
mod tests;
