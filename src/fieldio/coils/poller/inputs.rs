//! One poll of the modules' inputs, and the reference-map reading made of it.

use std::time::Instant;

use greenwave_controllers::detector::FaultCode;
use greenwave_controllers::model::Aspect;

use super::module::ModuleLink;
use super::{Coils, Lamps, TAKE_OVER_LIMIT};
use crate::fieldio::coils::lamps;
use crate::fieldio::coils::profile::{Counter, RegisterTable, Terminal};
use crate::fieldio::coils::wiring::Input;
use crate::fieldio::reading::{RawDetector, Reading};
use crate::fieldio::reference::status;
use crate::fieldio::regmap::WordOrder;

/// Discrete inputs read: (address, value).
type Bits = Vec<(u16, bool)>;
/// Counter registers read: (table, register, value).
type Counts = Vec<(RegisterTable, u16, u16)>;

/// The requests that read `wanted` addresses (sorted here): runs of consecutive addresses,
/// joined across a gap only where every address in it `exists` on the module, each at most
/// `max` long.
pub(super) fn runs(
    wanted: &mut Vec<u16>,
    exists: impl Fn(u16) -> bool,
    max: u16,
) -> Vec<(u16, u16)> {
    wanted.sort_unstable();
    wanted.dedup();
    let mut out: Vec<(u16, u16)> = Vec::new();
    for &a in wanted.iter() {
        match out.last_mut() {
            Some((start, count))
                if u32::from(a) - u32::from(*start) < u32::from(max)
                    && (*start + *count..a).all(&exists) =>
            {
                *count = a - *start + 1
            }
            _ => out.push((a, 1)),
        }
    }
    out
}

impl<L: ModuleLink> Coils<L> {
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

    /// Reads module `m`'s inputs: its discrete inputs, and the hardware counters of the
    /// presence inputs that have one, each in as few requests as the module's addresses allow.
    pub(super) async fn read_module(&mut self, m: usize) -> Result<(Bits, Counts), String> {
        let inputs: Vec<Input> = self.inputs_of(m).into_iter().cloned().collect();
        if inputs.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        self.configure(m).await?;
        let cabinet = self.cabinet.clone();
        let module = &cabinet.modules[m];
        let err = |e| format!("module {}: {e}", module.name);
        let terminals = module.profile.terminals.values();
        let mut wanted: Vec<u16> = inputs.iter().map(|i| i.input).collect();
        let exists = |a: u16| {
            terminals
                .clone()
                .any(|t| matches!(t, Terminal::Input(x, _) if *x == a))
        };
        let mut bits = Vec::new();
        let link = &mut self.modules[m].link;
        for (start, count) in runs(&mut wanted, exists, 2000) {
            let values = link.read_discrete(start, count).await.map_err(err)?;
            bits.extend((start..start + count).zip(values));
        }
        let presence_counters = cabinet
            .detectors
            .iter()
            .flatten()
            .filter(|d| d.presence.module == m);
        let mut counts = Vec::new();
        for table in [RegisterTable::Input, RegisterTable::Holding] {
            let of_table = |c: &Counter| c.table == table;
            let counter_registers = |c: Counter| c.address..c.address + c.registers;
            let mut wanted: Vec<u16> = presence_counters
                .clone()
                .filter_map(|d| d.presence.counter.filter(of_table))
                .flat_map(counter_registers)
                .collect();
            let exists = |a: u16| {
                terminals.clone().any(|t| {
                    matches!(t, Terminal::Input(_, Some(c)) if of_table(c) && counter_registers(*c).contains(&a))
                })
            };
            for (start, count) in runs(&mut wanted, exists, 125) {
                let words = match table {
                    RegisterTable::Input => link.read_input(start, count).await,
                    RegisterTable::Holding => link.read_holding(start, count).await,
                }
                .map_err(err)?;
                counts.extend(
                    (start..start + count)
                        .zip(words)
                        .map(|(a, w)| (table, a, w)),
                );
            }
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
            // The low 16 bits: the loop takes differences modulo 2^16.
            let hardware = d.presence.counter.and_then(|k| {
                let low = match (k.registers, k.word_order) {
                    (2, WordOrder::HighFirst) => k.address + 1,
                    _ => k.address,
                };
                counts[d.presence.module]
                    .iter()
                    .find(|(t, a, _)| *t == k.table && *a == low)
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
        if let Lamps::External {
            aspects,
            confirmed,
            since,
        } = &mut self.lamps
            && !*confirmed
        {
            if shown == *aspects {
                *confirmed = true;
            } else if started.saturating_duration_since(*since) > TAKE_OVER_LIMIT {
                tracing::error!(
                    commanded = ?aspects,
                    ?shown,
                    "the lamps do not show the all red of the take-over: flashing until restart"
                );
                self.lamps = Lamps::Faulty;
            }
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
