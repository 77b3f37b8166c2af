//! One poll of the modules' inputs, and the reference-map reading made of it.

use std::time::Instant;

use greenwave_controllers::detector::FaultCode;
use greenwave_controllers::model::Aspect;

use super::{Coils, Lamps};
use crate::fieldio::coils::lamps;
use crate::fieldio::coils::profile::RegisterTable;
use crate::fieldio::coils::wiring::Input;
use crate::fieldio::reading::{RawDetector, Reading};
use crate::fieldio::reference::status;

/// Discrete inputs read: (address, value).
type Bits = Vec<(u16, bool)>;
/// Counters read: (table, first register, value of the 1 or 2 registers as read).
type Counts = Vec<(RegisterTable, u16, u16)>;

impl Coils {
    /// Every input of module `m` the wiring uses.
    fn inputs_of(&self, m: usize) -> Vec<&Input> {
        let c = &self.cabinet;
        let detectors = c
            .detectors
            .iter()
            .flatten()
            .flat_map(|d| std::iter::once(&d.presence).chain(&d.fault));
        let sensed = c.feedback.iter().flatten().flatten().flatten();
        detectors.chain(sensed).filter(|i| i.module == m).collect()
    }

    /// Reads module `m`'s inputs: its discrete inputs in one request, and the hardware
    /// counters of the presence inputs that have one.
    pub(super) async fn read_module(&mut self, m: usize) -> Result<(Bits, Counts), String> {
        let inputs: Vec<Input> = self.inputs_of(m).into_iter().cloned().collect();
        if inputs.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        self.configure(m).await?;
        let name = self.cabinet.modules[m].name.clone();
        let err = |e| format!("module {name}: {e}");
        let lo = inputs.iter().map(|i| i.input).min().unwrap_or(0);
        let hi = inputs.iter().map(|i| i.input).max().unwrap_or(0);
        let link = &mut self.modules[m].link;
        let values = link.read_discrete(lo, hi - lo + 1).await.map_err(err)?;
        let bits = inputs
            .iter()
            .map(|i| (i.input, values[usize::from(i.input - lo)]))
            .collect();
        let mut counts = Vec::new();
        for c in inputs.iter().filter_map(|i| i.counter) {
            let words = match c.table {
                RegisterTable::Input => link.read_input(c.address, c.registers).await,
                RegisterTable::Holding => link.read_holding(c.address, c.registers).await,
            }
            .map_err(err)?;
            // The low 16 bits: the loop takes differences modulo 2^16.
            let low = match (c.registers, c.word_order) {
                (2, crate::fieldio::regmap::WordOrder::HighFirst) => words[1],
                _ => words[0],
            };
            counts.push((c.table, c.address, low));
        }
        Ok((bits, counts))
    }

    /// The reading of a poll that began at `started`.
    pub(super) fn reading(
        &mut self,
        bits: &[Bits],
        counts: &[Counts],
        started: Instant,
    ) -> Reading {
        let bit = |i: &Input| {
            bits[i.module]
                .iter()
                .find(|(a, _)| *a == i.input)
                .is_some_and(|(_, v)| *v)
        };
        let mut detectors = Vec::with_capacity(self.presence.len());
        for (c, wired) in self.cabinet.detectors.iter().enumerate() {
            let Some(d) = wired else {
                detectors.push(RawDetector::default());
                continue;
            };
            let counter = &mut self.presence[c];
            counter.observe(bit(&d.presence), started);
            let hardware = d.presence.counter.and_then(|k| {
                counts[d.presence.module]
                    .iter()
                    .find(|(t, a, _)| *t == k.table && *a == k.address)
                    .map(|x| x.2)
            });
            let fault = d.fault.as_ref().is_some_and(&bit);
            detectors.push(RawDetector {
                count: hardware.unwrap_or(counter.count()),
                on_time_cs: counter.on_time_cs(),
                presence: u16::from(counter.present()),
                // The card's fault relay says a loop fault, not which: reported as open loop.
                fault: if fault {
                    FaultCode::OpenLoop.code()
                } else {
                    FaultCode::Ok.code()
                },
            });
        }
        let shown = self.shown(&bit);
        if let Lamps::External { aspects, confirmed } = &mut self.lamps
            && !*confirmed
            && shown == *aspects
        {
            *confirmed = true;
        }
        let driving = matches!(
            self.lamps,
            Lamps::External {
                confirmed: true,
                ..
            }
        );
        Reading {
            heartbeat: self.polls as u16,
            channels: self.cabinet.detectors.len() as u16,
            groups: self.cabinet.lamps.len() as u16,
            status: if driving {
                0
            } else {
                status::LOCAL | status::FLASHING
            },
            clock_ds: (started.saturating_duration_since(self.started).as_millis() / 100) as u32,
            detectors,
            shown: shown.iter().map(|a| a.code()).collect(),
        }
    }

    /// What each group shows: its lamp sensing where wired, else what was written to it.
    fn shown(&self, bit: &dyn Fn(&Input) -> bool) -> Vec<Aspect> {
        let n = self.cabinet.lamps.len();
        let commanded = self.target().unwrap_or_else(|| vec![Aspect::Dark; n]);
        let written = self.written.is_some();
        (0..n)
            .map(|g| {
                let kind = self.cabinet.kinds[g];
                let Some(sensing) = &self.cabinet.feedback[g] else {
                    return if written { commanded[g] } else { Aspect::Dark };
                };
                let sensed = sensing.clone().map(|i| i.is_some_and(|i| bit(&i)));
                lamps::shown(kind, commanded[g], sensed).unwrap_or_else(|| {
                    tracing::warn!(
                        group = g,
                        ?sensed,
                        "lamps lit that make no aspect (red, amber, green)"
                    );
                    Aspect::Dark
                })
            })
            .collect()
    }
}
