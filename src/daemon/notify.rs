//! Telling systemd how the daemon is (the notify protocol, sd_notify(3), through the
//! `sd-notify` crate; nothing happens when `NOTIFY_SOCKET` is not set): `READY=1` once the
//! daemon reads the cabinet, `WATCHDOG=1` from the control loop while it runs (at a third of
//! `WatchdogSec`, so a hung loop stops them and systemd restarts the daemon), `STATUS=` with the
//! mode whenever it changes, and `STOPPING=1` on the way out.

use std::time::{Duration, Instant};

use sd_notify::NotifyState;

/// The daemon's side of the notify protocol.
#[derive(Debug)]
pub struct Notifier {
    ready: bool,
    /// Ping at least this often (a third of the watchdog time), if systemd watches.
    ping_every: Option<Duration>,
    last_ping: Option<Instant>,
    status: String,
    failed: bool,
}

impl Notifier {
    /// As systemd started the daemon (`WATCHDOG_USEC` says whether it watches).
    pub fn from_env() -> Notifier {
        Notifier {
            ready: false,
            ping_every: sd_notify::watchdog_enabled().map(|d| d / 3),
            last_ping: None,
            status: String::new(),
            failed: false,
        }
    }

    /// The daemon reads the cabinet: ready (said once).
    pub fn ready(&mut self) {
        if !self.ready {
            self.ready = true;
            self.send(&[NotifyState::Ready]);
        }
    }

    /// The control loop ran at `now`: a watchdog ping, when one is due.
    pub fn alive(&mut self, now: Instant) {
        let Some(every) = self.ping_every else {
            return;
        };
        if self
            .last_ping
            .is_none_or(|at| now.duration_since(at) >= every)
        {
            self.last_ping = Some(now);
            self.send(&[NotifyState::Watchdog]);
        }
    }

    /// What the daemon is doing, in a line (sent when it changes).
    pub fn status(&mut self, status: &str) {
        if self.status != status {
            self.status = status.to_owned();
            self.send(&[NotifyState::Status(status)]);
        }
    }

    /// On the way out.
    pub fn stopping(&mut self) {
        self.send(&[NotifyState::Stopping]);
    }

    fn send(&mut self, state: &[NotifyState<'_>]) {
        if let Err(e) = sd_notify::notify(state)
            && !self.failed
        {
            self.failed = true;
            tracing::warn!(error = %e, "cannot notify systemd (NOTIFY_SOCKET)");
        }
    }
}
