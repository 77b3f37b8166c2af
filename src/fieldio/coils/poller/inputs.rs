//! One poll of the modules' inputs: the reads it takes (worked out once, from the wiring), each
//! read, and the reference-map reading made of what they gave.

use std::time::Instant;

use greenwave_controllers::detector::FaultCode;
use greenwave_controllers::model::Aspect;

use super::module::ModuleLink;
use super::{Coils, Lamps, TAKE_OVER_LIMIT};
use crate::fieldio::coils::lamps;
use crate::fieldio::coils::profile::{Counter, RegisterTable, Terminal};
use crate::fieldio::coils::wiring::{CoilCabinet, Input};
use crate::fieldio::reading::{RawDetector, Reading};
use crate::fieldio::reference::status;
use crate::fieldio::regmap::WordOrder;

/// Discrete inputs read: (address, value).
pub(super) type Bits = Vec<(u16, bool)>;
/// Counter registers read: (table, register, value).
pub(super) type Counts = Vec<(RegisterTable, u16, u16)>;

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

/// Where a read goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Table {
    /// Discrete inputs (function 02).
    Discrete,
    /// Counter registers (function 04 or 03).
    Registers(RegisterTable),
}

/// One read request of a poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Read {
    /// Module index.
    pub module: usize,
    /// The table.
    pub table: Table,
    /// First address.
    pub start: u16,
    /// How many.
    pub count: u16,
}

/// Every input of module `m` the wiring uses.
fn inputs_of(c: &CoilCabinet, m: usize) -> Vec<&Input> {
    let detectors = c
        .detectors
        .iter()
        .flatten()
        .flat_map(|d| std::iter::once(&d.presence).chain(&d.fault));
    let sensed = c.feedback.iter().flatten().flatten().flatten();
    detectors.chain(sensed).filter(|i| i.module == m).collect()
}

/// The reads of one poll, module after module: each module's discrete inputs, then the
/// hardware counters of its presence inputs that have one, each in as few requests as the
/// module's addresses allow.
pub(super) fn reads(cabinet: &CoilCabinet) -> Vec<Read> {
    let mut out = Vec::new();
    for (m, module) in cabinet.modules.iter().enumerate() {
        let inputs = inputs_of(cabinet, m);
        if inputs.is_empty() {
            continue;
        }
        let terminals = module.profile.terminals.values();
        let mut wanted: Vec<u16> = inputs.iter().map(|i| i.input).collect();
        let exists = |a: u16| {
            terminals
                .clone()
                .any(|t| matches!(t, Terminal::Input(x, _) if *x == a))
        };
        let read = |table| {
            move |(start, count)| Read {
                module: m,
                table,
                start,
                count,
            }
        };
        out.extend(
            runs(&mut wanted, exists, 2000)
                .into_iter()
                .map(read(Table::Discrete)),
        );
        let presence_counters = cabinet
            .detectors
            .iter()
            .flatten()
            .filter(|d| d.presence.module == m);
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
            let runs = runs(&mut wanted, exists, 125);
            out.extend(runs.into_iter().map(read(Table::Registers(table))));
        }
    }
    out
}

impl<L: ModuleLink> Coils<L> {
    /// Makes one read of a poll, its module's watchdog set first on a new connection: what it
    /// read, as (address, value) bits or (table, register, value) counts.
    pub(super) async fn read(&mut self, r: Read) -> Result<(Bits, Counts), String> {
        self.configure(r.module).await?;
        let name = &self.cabinet.modules[r.module].name;
        let err = |e| format!("module {name}: {e}");
        let io = &mut self.modules[r.module];
        let (link, time) = (&mut io.link, &mut io.read_time);
        let addresses = r.start..r.start + r.count;
        match r.table {
            Table::Discrete => {
                let values = time.measure(link.read_discrete(r.start, r.count)).await;
                Ok((addresses.zip(values.map_err(err)?).collect(), Vec::new()))
            }
            Table::Registers(table) => {
                let words = match table {
                    RegisterTable::Input => time.measure(link.read_input(r.start, r.count)).await,
                    RegisterTable::Holding => {
                        time.measure(link.read_holding(r.start, r.count)).await
                    }
                }
                .map_err(err)?;
                let counts = addresses.zip(words).map(|(a, w)| (table, a, w)).collect();
                Ok((Vec::new(), counts))
            }
        }
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
