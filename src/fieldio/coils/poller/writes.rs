//! Lamp pictures out: a command taken, the picture written in the safe order, a module's
//! watchdog set on each new connection, flash after a failure, every output off at shutdown.

use std::sync::Mutex;

use greenwave_controllers::model::Aspect;

use super::module::ModuleLink;
use super::{Coils, Lamps, now};
use crate::fieldio::coils::lamps::{self, Picture};
use crate::fieldio::link::LinkError;
use crate::fieldio::poller::{Command, FieldStats, request};

impl<L: ModuleLink> Coils<L> {
    /// A command from the loop. Out of flash (or at start) only all red is taken.
    pub(super) async fn take(&mut self, command: &Command, stats: &Mutex<FieldStats>) {
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
                        since: now(),
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
            let us = now()
                .saturating_duration_since(at)
                .as_micros()
                .min(u128::from(u32::MAX)) as u32;
            let mut stats = stats.lock().unwrap_or_else(|e| e.into_inner());
            if stats.latencies_us.len() >= 100_000 {
                stats.latencies_us.clear();
            }
            stats.latencies_us.push(us);
        }
    }

    /// Writes the lamp picture of the target, in the safe order. A failure flashes. True when
    /// every write went through.
    pub(super) async fn output(&mut self) -> bool {
        let Some(aspects) = self.target() else {
            return true;
        };
        let halves = self.flasher.halves(&aspects, now());
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
    pub(super) async fn write(
        &mut self,
        m: usize,
        address: u16,
        values: &[bool],
    ) -> Result<(), String> {
        self.configure(m).await?;
        let name = &self.cabinet.modules[m].name;
        let io = &mut self.modules[m];
        io.write_time
            .measure(io.link.write_coils(address, values))
            .await
            .map_err(|e| format!("module {name}: {e}"))
    }

    /// Sets module `m`'s watchdog if this connection has not had it yet.
    pub(super) async fn configure(&mut self, m: usize) -> Result<(), String> {
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
    pub(super) async fn fail(&mut self, why: &str) {
        if matches!(self.lamps, Lamps::Flash | Lamps::Faulty) {
            tracing::debug!("{why}: the lamps flash");
        } else {
            tracing::error!("{why}: the lamps flash");
            self.lamps = Lamps::Flash;
        }
        self.written = None;
        let flashing = vec![Aspect::FlashingAmber; self.cabinet.lamps.len()];
        let halves = self.flasher.halves(&flashing, now());
        let flash = lamps::picture_in(&self.cabinet, &self.spans, &flashing, &halves);
        for m in 0..self.spans.len() {
            if self.spans[m].1 > 0 && self.modules[m].link.connected() {
                let _ = self.write_picture(m, &flash).await;
            }
        }
    }

    /// Module `m`'s part of `picture` in one go: its flash-enable coils (if it flashes its
    /// outputs itself), then its lamps.
    pub(super) async fn write_picture(
        &mut self,
        m: usize,
        picture: &Picture,
    ) -> Result<(), String> {
        if let Some(address) = lamps::enables_at(&self.cabinet, &self.spans, m) {
            self.write(m, address, &picture.enables[m]).await?;
        }
        self.write(m, self.spans[m].0, &picture.images[m]).await
    }

    /// Switches every output off (what each module's watchdog would do), best effort.
    pub(super) async fn switch_off(&mut self) {
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
}
