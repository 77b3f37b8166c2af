//! Lamps from aspects and back, and the order in which a new lamp picture is written.
//!
//! An aspect lights lamps (EN 12368 heads: red, amber, green; a pedestrian head's don't walk
//! and walk): red+amber lights both, a flashing aspect lights its lamp in the on half of the
//! flash cycle only (each group's half from [`super::flasher`], at 55 flashes a minute, inside
//! the 50 to 60 of MUTCD 2009 4D.30). In flash, pedestrian heads are dark.
//!
//! On a module with its own flash function (a profile's `[flash]`), a flashing aspect's lamp is
//! lit steadily and its flash-enable coil set: the module flashes it, and the daemon writes
//! nothing at each half of the flash cycle.
//!
//! A change of picture is written so that no intermediate state lights two conflicting greens:
//! first every change except green lamps coming on (so greens that go out, go out first), then
//! the greens that come on. One write-multiple-coils request per module and step; a module
//! applies one request as a whole. Flash-enable coils that come on are written before the
//! lamps (on a lamp still off they light nothing), those that go off after them, so a lamp that
//! is to flash is never lit steadily on the way.

use std::time::Duration;

use greenwave_controllers::model::{Aspect, GroupKind};

use super::wiring::{CoilCabinet, Lamp};

/// The daemon's flash rate, flashes a minute.
pub const FLASHES_PER_MINUTE: u32 = 55;

/// Half a flash cycle: [`FLASHES_PER_MINUTE`], lit half the time (to the microsecond).
pub const FLASH_HALF_PERIOD: Duration = Duration::from_micros(545_455);

/// Which lamps of a group `aspect` lights, indexed by [`Lamp`]; `flash_on` is the half of the
/// flash cycle.
pub fn lit(kind: GroupKind, aspect: Aspect, flash_on: bool) -> [bool; 3] {
    let (r, a, g) = match (kind, aspect) {
        (_, Aspect::Dark) => (false, false, false),
        (_, Aspect::Red) => (true, false, false),
        (_, Aspect::Green) => (false, false, true),
        (_, Aspect::FlashingGreen) => (false, false, flash_on),
        (GroupKind::Vehicle, Aspect::RedAmber) => (true, true, false),
        (GroupKind::Vehicle, Aspect::Amber) => (false, true, false),
        (GroupKind::Vehicle, Aspect::FlashingAmber) => (false, flash_on, false),
        // A pedestrian head has no amber: don't walk stands for both; dark in flash.
        (GroupKind::Pedestrian, Aspect::RedAmber | Aspect::Amber) => (true, false, false),
        (GroupKind::Pedestrian, Aspect::FlashingAmber) => (false, false, false),
        // Don't walk flashing: the pedestrian change interval.
        (GroupKind::Pedestrian, Aspect::FlashingDontWalk) => (flash_on, false, false),
        // A vehicle group never shows it (the interlock refuses it); its red stays lit.
        (GroupKind::Vehicle, Aspect::FlashingDontWalk) => (true, false, false),
    };
    [r, a, g]
}

/// The aspect a group shows, from its sensed lamps, given what it was commanded (a flashing
/// aspect is recognised in either half of its cycle). `None`: no aspect lights these lamps
/// (red and green together, say).
pub fn shown(kind: GroupKind, commanded: Aspect, sensed: [bool; 3]) -> Option<Aspect> {
    if sensed == lit(kind, commanded, true) || sensed == lit(kind, commanded, false) {
        return Some(commanded);
    }
    let steady = [
        Aspect::Dark,
        Aspect::Red,
        Aspect::RedAmber,
        Aspect::Green,
        Aspect::Amber,
    ];
    steady.into_iter().find(|&a| {
        lit(kind, a, true) == sensed && (kind == GroupKind::Vehicle || a != Aspect::RedAmber)
    })
}

/// The coils of every module: `images[m]` covers module `m`'s wired coils from `spans[m].0`,
/// `enables[m]` their flash-enable coils (from `spans[m].0` + the profile's offset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    /// One image per module (empty for a module without lamps).
    pub images: Vec<Vec<bool>>,
    /// The flash-enable coils of each module with a flash function (empty for the others).
    pub enables: Vec<Vec<bool>>,
}

/// Where module `m`'s flash-enable coils begin, if it flashes its outputs itself.
pub fn enables_at(cabinet: &CoilCabinet, spans: &[(u16, u16)], m: usize) -> Option<u16> {
    let flash = cabinet.modules[m].profile.flash.as_ref()?;
    Some(spans[m].0 + flash.enable_offset)
}

/// One write-multiple-coils request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoilWrite {
    /// Module index.
    pub module: usize,
    /// First coil.
    pub address: u16,
    /// Values from it.
    pub values: Vec<bool>,
}

/// Where each module's lamps are: (first coil, count), count 0 for none.
pub fn spans(cabinet: &CoilCabinet) -> Vec<(u16, u16)> {
    (0..cabinet.modules.len())
        .map(|m| {
            let coils = cabinet
                .lamps
                .iter()
                .flatten()
                .flatten()
                .filter(|o| o.module == m)
                .map(|o| o.coil);
            match (coils.clone().min(), coils.max()) {
                (Some(lo), Some(hi)) => (lo, hi - lo + 1),
                _ => (0, 0),
            }
        })
        .collect()
}

/// The picture of `aspects` (one per group), every group in flash half `flash_on`.
pub fn picture(
    cabinet: &CoilCabinet,
    spans: &[(u16, u16)],
    aspects: &[Aspect],
    flash_on: bool,
) -> Picture {
    picture_in(cabinet, spans, aspects, &vec![flash_on; aspects.len()])
}

/// The picture of `aspects` (one per group), group `g` in flash half `halves[g]` (true: lit).
pub fn picture_in(
    cabinet: &CoilCabinet,
    spans: &[(u16, u16)],
    aspects: &[Aspect],
    halves: &[bool],
) -> Picture {
    let mut images: Vec<Vec<bool>> = spans
        .iter()
        .map(|&(_, n)| vec![false; usize::from(n)])
        .collect();
    let hardware: Vec<bool> = (0..spans.len())
        .map(|m| enables_at(cabinet, spans, m).is_some())
        .collect();
    let mut enables: Vec<Vec<bool>> = (0..spans.len())
        .map(|m| vec![false; if hardware[m] { images[m].len() } else { 0 }])
        .collect();
    for (g, (lamps, &aspect)) in cabinet.lamps.iter().zip(aspects).enumerate() {
        let on = lit(cabinet.kinds[g], aspect, true);
        let off = lit(cabinet.kinds[g], aspect, false);
        let now = lit(cabinet.kinds[g], aspect, halves[g]);
        for lamp in Lamp::ALL {
            if let Some(o) = &lamps[lamp as usize] {
                let (m, i) = (o.module, usize::from(o.coil - spans[o.module].0));
                let l = lamp as usize;
                if hardware[m] {
                    images[m][i] = on[l];
                    enables[m][i] = on[l] && !off[l];
                } else {
                    images[m][i] = now[l];
                }
            }
        }
    }
    Picture { images, enables }
}

/// The requests that take the lamps from `before` (unknown: `None`) to `after`, in order: a
/// first step with every change but those of groups whose green comes on, modules that put a
/// green out first; then a second step with the groups whose green comes on, if any.
pub fn writes(
    cabinet: &CoilCabinet,
    spans: &[(u16, u16)],
    before: Option<&Picture>,
    after: &Picture,
) -> Vec<CoilWrite> {
    // A group whose green comes on keeps its old lamps (red, if unknown) until the second
    // step: never a dark head, never a green before the conflicting ones are out.
    let mut step1 = after.clone();
    let mut puts_green_out = vec![false; spans.len()];
    let at = |o: &super::wiring::Output| (o.module, usize::from(o.coil - spans[o.module].0));
    for lamps in &cabinet.lamps {
        let Some(green) = &lamps[Lamp::Green as usize] else {
            continue;
        };
        let (m, i) = at(green);
        let was = before.is_some_and(|b| b.images[m][i]);
        if was && !after.images[m][i] {
            puts_green_out[m] = true;
        }
        if !after.images[m][i] || was {
            continue;
        }
        for lamp in Lamp::ALL {
            if let Some(o) = &lamps[lamp as usize] {
                let (m, i) = at(o);
                step1.images[m][i] = match before {
                    Some(b) => b.images[m][i],
                    None => lamp == Lamp::Red,
                };
            }
        }
    }
    let mut order: Vec<usize> = (0..spans.len()).filter(|&m| spans[m].1 > 0).collect();
    order.sort_by_key(|&m| !puts_green_out[m]);
    let mut out = Vec::new();
    // Flash enables that come on, before any lamp.
    let enables_on: Vec<Vec<bool>> = (0..spans.len())
        .map(|m| match before {
            Some(b) if b.enables[m].len() == after.enables[m].len() => b.enables[m]
                .iter()
                .zip(&after.enables[m])
                .map(|(x, y)| *x || *y)
                .collect(),
            _ => after.enables[m].clone(),
        })
        .collect();
    for (m, on) in enables_on.iter().enumerate() {
        if let Some(address) = enables_at(cabinet, spans, m)
            && before.is_none_or(|b| &b.enables[m] != on)
        {
            out.push(CoilWrite {
                module: m,
                address,
                values: on.clone(),
            });
        }
    }
    let mut step = |from: Option<&Picture>, to: &Picture| {
        for &m in &order {
            if from.is_none_or(|f| f.images[m] != to.images[m]) {
                out.push(CoilWrite {
                    module: m,
                    address: spans[m].0,
                    values: to.images[m].clone(),
                });
            }
        }
    };
    step(before, &step1);
    step(Some(&step1), after);
    // Flash enables that go off, after the lamps.
    for (m, on) in enables_on.iter().enumerate() {
        if let Some(address) = enables_at(cabinet, spans, m)
            && on != &after.enables[m]
        {
            out.push(CoilWrite {
                module: m,
                address,
                values: after.enables[m].clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
