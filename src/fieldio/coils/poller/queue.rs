//! The requests that wait their turn: a poll's reads and a keep-alive round's writes are queued
//! and made one at a time, between lamp writes, which never wait for them.
//!
//! A flash half ends at a set moment (the flasher's schedule, 55 flashes a minute; a monitor
//! reading the lamps judges each half), but a Modbus connection carries one request at a time,
//! and a request in flight cannot be called back without putting the connection out of step
//! ([`crate::fieldio::link`]). So a queued request starts only when it is expected to be
//! answered before the next flash edge; otherwise it waits for the edge, and goes right after
//! the edge's write, never held back a second time (however the groups' cycles interleave, the
//! poll goes on). A request is expected to take as long as the slowest of its module's recent
//! ones of the same kind, read or write (a peak that sheds an eighth a request), or the link's
//! timeout while the module is not connected.

use std::future::Future;
use std::time::{Duration, Instant};

use super::inputs::{Bits, Counts, Read};
use super::module::ModuleLink;
use super::{Coils, ModuleIo, now};
use crate::fieldio::reading::Reading;

/// A request waiting its turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Job {
    /// One read of the poll under way.
    Read(Read),
    /// The poll's reads are in: its reading is made (no request).
    Publish,
    /// Module `m`'s keep-alive register.
    KeepAlive(usize),
    /// Module `m`'s lamp picture again.
    Repaint(usize),
}

impl Job {
    /// The module the request goes to; `None` for no request.
    fn module(self) -> Option<usize> {
        match self {
            Job::Read(r) => Some(r.module),
            Job::Publish => None,
            Job::KeepAlive(m) | Job::Repaint(m) => Some(m),
        }
    }

    fn of_poll(self) -> bool {
        matches!(self, Job::Read(_) | Job::Publish)
    }

    /// The time of this kind of request (read, write) on module `io`.
    fn time<L>(self, io: &ModuleIo<L>) -> RequestTime {
        match self {
            Job::Read(_) | Job::Publish => io.read_time,
            Job::KeepAlive(_) | Job::Repaint(_) => io.write_time,
        }
    }
}

/// A poll under way: what its reads gave so far, and when the first was made.
#[derive(Debug)]
pub(super) struct Poll {
    started: Option<Instant>,
    bits: Vec<Bits>,
    counts: Vec<Counts>,
}

/// How long a module's requests of one kind (reads, writes) take, as far as the poller knows.
#[derive(Clone, Copy, Debug)]
pub(super) struct RequestTime {
    peak: Duration,
}

impl RequestTime {
    /// Nothing known yet: as long as `timeout`.
    pub(super) fn new(timeout: Duration) -> RequestTime {
        RequestTime { peak: timeout }
    }

    /// Makes `request`, and learns how long it took.
    pub(super) async fn measure<T>(&mut self, request: impl Future<Output = T>) -> T {
        let began = now();
        let out = request.await;
        let took = now().saturating_duration_since(began);
        self.peak = took.max(self.peak - self.peak / 8);
        out
    }
}

/// Slack for the timer and the scheduler on top of a request's expected time.
const EDGE_MARGIN: Duration = Duration::from_millis(5);

impl<L: ModuleLink> Coils<L> {
    /// Queues a poll of every module's inputs; if the last one is still under way, the next
    /// follows it at once (as a tick missed while polling would).
    pub(super) fn queue_poll(&mut self) {
        if self.poll.is_some() {
            self.poll_again = true;
            return;
        }
        self.poll_again = false;
        let n = self.modules.len();
        self.poll = Some(Poll {
            started: None,
            bits: vec![Vec::new(); n],
            counts: vec![Vec::new(); n],
        });
        self.queue.extend(self.reads.iter().map(|&r| Job::Read(r)));
        self.queue.push_back(Job::Publish);
    }

    /// Queues the watchdogs' keep-alive, unless the last round still waits: the keep-alive
    /// registers, then every module's picture again (a module that lost its outputs without
    /// dropping the connection is told once a period).
    pub(super) fn queue_keep_alive(&mut self) {
        if self.queue.iter().any(|j| !j.of_poll()) {
            return;
        }
        for (m, module) in self.cabinet.modules.iter().enumerate() {
            let watchdog = module.profile.watchdog.as_ref();
            if watchdog.is_some_and(|w| w.keepalive_register.is_some()) {
                self.queue.push_back(Job::KeepAlive(m));
            }
        }
        for (m, &(_, count)) in self.spans.iter().enumerate() {
            if count > 0 {
                self.queue.push_back(Job::Repaint(m));
            }
        }
    }

    /// Whether the next queued request may start at `now`, the next flash edge being at
    /// `edge`. A request refused here is held for that edge ([`Coils::flash_half_ends`]).
    pub(super) fn may_step(&mut self, edge: Option<Instant>, now: Instant) -> bool {
        let Some(job) = self.queue.front() else {
            self.held = false;
            return false;
        };
        let fits = match (edge, job.module()) {
            (Some(edge), Some(m)) if !self.waited => {
                let io = &self.modules[m];
                let expected = if io.link.connected() {
                    job.time(io).peak
                } else {
                    self.timeout
                };
                now + expected + EDGE_MARGIN <= edge
            }
            _ => true,
        };
        self.held = !fits;
        fits
    }

    /// A flash half ended: the lamps' next half is written at once, and a request held back
    /// for it goes next, whatever the edge after.
    pub(super) async fn flash_half_ends(&mut self) {
        if self.flashing() {
            self.output().await;
        }
        self.waited = self.held;
    }

    /// Makes the next queued request. Returns the poll's outcome when this was its last step
    /// or a read failed; a failure flashes and drops the rest of its round (poll or
    /// keep-alive), which the next tick begins anew.
    pub(super) async fn step(&mut self) -> Option<Result<(Reading, Instant), String>> {
        let job = self.queue.pop_front()?;
        self.waited = false;
        let began = now();
        let outcome = match job {
            Job::Read(r) => self.read(r).await.map(|(bits, counts)| {
                if let Some(poll) = &mut self.poll {
                    poll.started.get_or_insert(began);
                    poll.bits[r.module].extend(bits);
                    poll.counts[r.module].extend(counts);
                }
            }),
            Job::Publish => return self.finish_poll(began).map(Ok),
            Job::KeepAlive(m) => self.keep_alive(m).await,
            Job::Repaint(m) => match self.written.clone() {
                Some(picture) => self.write_picture(m, &picture).await,
                None => Ok(()),
            },
        };
        let Err(e) = outcome else {
            return None;
        };
        self.fail(&e).await;
        self.queue.retain(|j| j.of_poll() != job.of_poll());
        if job.of_poll() {
            self.poll = None;
            return Some(Err(e));
        }
        None
    }

    /// The reading of the poll whose reads are in.
    fn finish_poll(&mut self, at: Instant) -> Option<(Reading, Instant)> {
        let poll = self.poll.take()?;
        let started = poll.started.unwrap_or(at);
        self.polls += 1;
        if self.poll_again {
            self.queue_poll();
        }
        Some((self.reading(&poll.bits, &poll.counts, started), started))
    }

    /// Module `m`'s keep-alive register, written with a changing value.
    async fn keep_alive(&mut self, m: usize) -> Result<(), String> {
        self.configure(m).await?;
        let module = &self.cabinet.modules[m];
        let Some(register) = module
            .profile
            .watchdog
            .as_ref()
            .and_then(|w| w.keepalive_register)
        else {
            return Ok(());
        };
        let io = &mut self.modules[m];
        io.keepalive = io.keepalive.wrapping_add(1);
        io.write_time
            .measure(io.link.write_register(register, io.keepalive))
            .await
            .map_err(|e| format!("module {}: keep-alive: {e}", module.name))
    }
}
