//! Lamps judged one by one from a log of coil writes, the way an engineer with a scope on the
//! load switches would: written apart from the daemon's lamps, sequencer and interlock, with its
//! own table of each region's aspect sequences.
//!
//! Each head's lamps are replayed write by write (intermediate writes included) into pictures
//! over time; a lamp that goes dark and lit again in half periods of the flash rate (MUTCD 2009
//! 4D.30: 50 to 60 flashes a minute) is a flashing aspect, a picture held longer is steady. The
//! aspects are then judged against the region:
//!
//! - vehicle heads: `us` red -> green -> amber -> red (MUTCD 4D.26); `eu` red -> red+amber ->
//!   green -> amber -> red (RiLSA, UK TSM); `post_soviet` red -> red+amber -> green ->
//!   flashing green -> amber -> red (GOST R 52289);
//! - pedestrian heads: `us` walk -> flashing don't walk -> don't walk (MUTCD 4I.02); `eu`
//!   green -> red; `post_soviet` green -> flashing green -> red;
//! - flash (vehicle amber flashing, pedestrian heads dark) entered from dark or red and left
//!   through red; red+amber, amber, flashing green and flashing don't walk as long as the
//!   intersection says, minimum greens, intergreens (EN 12675) from the end of one go to the
//!   start of the next, and never two conflicting greens lit.
#![allow(dead_code)]

use std::collections::BTreeMap;

use greenwave_controllers::model::{GroupIndex, GroupKind, Intersection, Region};

/// Half a flash cycle at 55 flashes a minute, s.
pub const FLASH_HALF_S: f64 = 60.0 / 55.0 / 2.0;
/// Slack for the server's clock against the daemon's, s.
pub const TOLERANCE_S: f64 = 0.05;
/// A lamp held longer than this is steady, not half of a flash.
const FLASH_HELD_S: f64 = FLASH_HALF_S + 0.15;

/// A coil write as logged: when, which module (unit id), the first coil, its values.
#[derive(Clone, Debug)]
pub struct CoilWrite {
    /// Seconds, on the logger's clock.
    pub t: f64,
    /// Unit id.
    pub unit: u8,
    /// First coil.
    pub address: u16,
    /// Values from it.
    pub values: Vec<bool>,
}

/// What a head shows, as read from its lamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Dark,
    Red,
    RedAmber,
    Green,
    FlashingGreen,
    Amber,
    FlashingAmber,
    FlashingDontWalk,
}

impl Shown {
    fn is_go(self) -> bool {
        matches!(self, Shown::Green | Shown::FlashingGreen)
    }
}

/// The judgement of a run.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Coil write requests replayed.
    pub coil_writes: usize,
    /// Greens (walks) that began.
    pub green_starts: usize,
    /// Each change of aspect seen, `group kind: from -> to`, with how often.
    pub changes: BTreeMap<String, usize>,
    /// Moments two conflicting groups were in go (green lamps lit, or a flashing green).
    pub conflicting_greens: usize,
    /// Changes the region does not allow.
    pub illegal_changes: usize,
    /// Intervals (red+amber, amber, flashing green, flashing don't walk, minimum green,
    /// intergreen) shorter than required.
    pub short_intervals: usize,
    /// Smallest margin over a required interval, s.
    pub min_margin_s: f64,
    /// Shortest and longest whole flash half (one followed by another of the same flashing
    /// aspect; the last is cut by the next aspect), s; `None` if nothing flashed.
    pub flash_halves_s: Option<(f64, f64)>,
    /// Every problem, with its time.
    pub problems: Vec<String>,
}

/// Judges the heads of `ix` whose lamps are at `lamp_of[(unit, coil)] = (group, lamp)` (lamp
/// 0 red or don't walk, 1 amber, 2 green or walk) from `writes`, up to `end_s`.
pub fn judge(
    ix: &Intersection,
    lamp_of: &BTreeMap<(u8, u16), (usize, usize)>,
    writes: &[CoilWrite],
    end_s: f64,
) -> Verdict {
    let n = ix.groups().len();
    let mut v = Verdict {
        min_margin_s: f64::INFINITY,
        ..Verdict::default()
    };
    let mut lit = vec![[false; 3]; n];
    let mut pictures: Vec<Vec<(f64, [bool; 3])>> = vec![Vec::new(); n];
    for w in writes {
        v.coil_writes += 1;
        for (k, &value) in w.values.iter().enumerate() {
            if let Some(&(g, l)) = lamp_of.get(&(w.unit, w.address + k as u16)) {
                lit[g][l] = value;
            }
        }
        for g in 0..n {
            if pictures[g].last().map(|p| p.1) != Some(lit[g]) {
                pictures[g].push((w.t, lit[g]));
            }
        }
        for a in 0..n {
            for b in a + 1..n {
                if lit[a][2] && lit[b][2] && ix.conflicts(GroupIndex(a as u8), GroupIndex(b as u8))
                {
                    v.conflicting_greens += 1;
                    v.problems.push(format!(
                        "t={:.2} conflicting greens lit: {} and {}",
                        w.t,
                        ix.groups()[a].id,
                        ix.groups()[b].id
                    ));
                }
            }
        }
    }
    let mut halves = Vec::new();
    let aspects: Vec<Vec<(f64, Shown)>> = (0..n)
        .map(|g| {
            let id = &ix.groups()[g].id;
            let kind = ix.groups()[g].kind;
            decode(kind, &pictures[g], end_s, &mut halves, &mut |t, what| {
                v.illegal_changes += 1;
                v.problems.push(format!("t={t:.2} group {id}: {what}"));
            })
        })
        .collect();
    v.flash_halves_s = halves.iter().fold(None, |range, &h| match range {
        None => Some((h, h)),
        Some((lo, hi)) => Some((h.min(lo), h.max(hi))),
    });
    sequences(ix, &aspects, &mut v);
    v
}

/// A head's pictures over time into aspects over time (consecutive equal ones merged); the
/// length of every whole flash half is added to `halves`.
fn decode(
    kind: GroupKind,
    pictures: &[(f64, [bool; 3])],
    end_s: f64,
    halves: &mut Vec<f64>,
    bad: &mut dyn FnMut(f64, String),
) -> Vec<(f64, Shown)> {
    const DARK: [bool; 3] = [false; 3];
    let held = |i: usize| pictures.get(i + 1).map_or(end_s, |p| p.0) - pictures[i].0;
    let last = pictures.len().saturating_sub(1);
    let single = |p: [bool; 3]| (p.iter().filter(|&&x| x).count() == 1).then_some(p);
    let lamp = |j: Option<usize>| j.and_then(|j| pictures.get(j)).and_then(|p| single(p.1));
    let dark = |j: Option<usize>| j.and_then(|j| pictures.get(j)).is_some_and(|p| p.1 == DARK);
    // A dark half: short (or cut by the end of the log) between two halves of one lamp lit, or
    // where the alternation goes on after it (the first half dark) or went on before it.
    let dark_half = |i: usize| -> Option<[bool; 3]> {
        if pictures[i].1 != DARK || (held(i) > FLASH_HELD_S && i != last) {
            return None;
        }
        match (lamp(i.checked_sub(1)), lamp(Some(i + 1))) {
            (Some(b), Some(a)) if a == b => Some(a),
            (_, Some(a)) if dark(Some(i + 2)) => Some(a),
            (Some(b), _) if dark(i.checked_sub(2)) || i == last => Some(b),
            _ => None,
        }
    };
    let mut out: Vec<(f64, Shown)> = Vec::new();
    // The flashing aspect of the picture before, if it was a flash half: (aspect, held).
    let mut half_before: Option<(Shown, f64)> = None;
    for (i, &(t, p)) in pictures.iter().enumerate() {
        let lit_half = (held(i) <= FLASH_HELD_S || i == last)
            && single(p).is_some()
            && [i.checked_sub(1), Some(i + 1)]
                .into_iter()
                .flatten()
                .any(|j| j < pictures.len() && dark_half(j) == Some(p));
        let flashing = if p == DARK {
            dark_half(i)
        } else {
            lit_half.then_some(p)
        };
        let shown = match (flashing, p, kind) {
            (Some([false, false, true]), _, _) => Some(Shown::FlashingGreen),
            (Some([false, true, false]), _, _) => Some(Shown::FlashingAmber),
            (Some([true, false, false]), _, GroupKind::Pedestrian) => Some(Shown::FlashingDontWalk),
            (Some(_), _, _) => None,
            (None, DARK, _) => Some(Shown::Dark),
            (None, [true, false, false], _) => Some(Shown::Red),
            (None, [true, true, false], GroupKind::Vehicle) => Some(Shown::RedAmber),
            (None, [false, true, false], GroupKind::Vehicle) => Some(Shown::Amber),
            (None, [false, false, true], _) => Some(Shown::Green),
            _ => None,
        };
        let half = flashing.and(shown).map(|s| (s, held(i)));
        if let (Some((before, held)), Some((now, _))) = (half_before, half)
            && before == now
        {
            halves.push(held);
        }
        half_before = half;
        match shown {
            Some(s) if out.last().map(|o| o.1) != Some(s) => out.push((t, s)),
            Some(_) => {}
            None => bad(t, format!("lamps {p:?} are no aspect")),
        }
    }
    out
}

/// The region's changes, as this judge knows them.
fn legal(region: Region, kind: GroupKind, from: Shown, to: Shown) -> bool {
    use Shown::*;
    match (from, to) {
        // Flash is entered from dark or red and left through red; pedestrian heads are dark.
        (Dark, Red | FlashingAmber) | (Red | FlashingAmber, Dark) => true,
        (Red, FlashingAmber) | (FlashingAmber, Red) => kind == GroupKind::Vehicle,
        _ => {
            let order: &[Shown] = match (kind, region) {
                (GroupKind::Vehicle, Region::Us) => &[Red, Green, Amber],
                (GroupKind::Vehicle, Region::Eu) => &[Red, RedAmber, Green, Amber],
                (GroupKind::Vehicle, Region::PostSoviet) => {
                    &[Red, RedAmber, Green, FlashingGreen, Amber]
                }
                (GroupKind::Pedestrian, Region::Us) => &[Red, Green, FlashingDontWalk],
                (GroupKind::Pedestrian, Region::Eu) => &[Red, Green],
                (GroupKind::Pedestrian, Region::PostSoviet) => &[Red, Green, FlashingGreen],
            };
            let at = |a| order.iter().position(|&x| x == a);
            matches!((at(from), at(to)), (Some(i), Some(j)) if j == (i + 1) % order.len())
        }
    }
}

/// Judges every head's aspects: the region's order, the timed intervals, the intergreens.
fn sequences(ix: &Intersection, aspects: &[Vec<(f64, Shown)>], v: &mut Verdict) {
    let timings = ix.timings();
    let require = |v: &mut Verdict, what: String, lasted: f64, needed: f64| {
        v.min_margin_s = v.min_margin_s.min(lasted - needed);
        if lasted < needed - TOLERANCE_S {
            v.short_intervals += 1;
            v.problems
                .push(format!("{what}: {lasted:.2} s, needs {needed:.2} s"));
        }
    };
    // Every change of every head, in time order: (t, group, from, to, since).
    let mut changes = Vec::new();
    for (g, list) in aspects.iter().enumerate() {
        for w in list.windows(2) {
            changes.push((w[1].0, g, w[0].1, w[1].1, w[0].0));
        }
    }
    changes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = aspects.len();
    let mut go_since: Vec<Option<f64>> = vec![None; n];
    let mut go_end: Vec<Option<f64>> = vec![None; n];
    for (t, g, from, to, since) in changes {
        let group = &ix.groups()[g];
        let id = &group.id;
        let kind = group.kind;
        let held = t - since;
        *v.changes
            .entry(format!("{kind:?}: {from:?} -> {to:?}"))
            .or_default() += 1;
        if !legal(ix.region(), kind, from, to) {
            v.illegal_changes += 1;
            v.problems.push(format!(
                "t={t:.2} group {id}: {from:?} -> {to:?} is not a {} change",
                ix.region()
            ));
        }
        let what = |x: &str| format!("t={t:.2} {x} of {id}");
        // A flashing aspect is read from its first dark half: up to a half period late.
        let flash_slack = FLASH_HALF_S;
        match from {
            Shown::RedAmber => require(v, what("red+amber"), held, timings.red_amber.as_secs_f64()),
            Shown::Amber if to == Shown::Red => {
                require(v, what("amber"), held, timings.amber.as_secs_f64())
            }
            Shown::FlashingGreen => require(
                v,
                what("flashing green"),
                held + flash_slack,
                timings.flashing_green.as_secs_f64(),
            ),
            Shown::FlashingDontWalk => {
                let clearance = group
                    .pedestrian
                    .as_ref()
                    .map_or(0.0, |p| p.clearance.as_secs_f64());
                require(
                    v,
                    what("flashing don't walk"),
                    held + flash_slack,
                    clearance,
                )
            }
            _ => {}
        }
        if from == Shown::Green {
            require(v, what("green"), held, group.min_green.as_secs_f64());
        }
        if from.is_go() && !to.is_go() {
            go_since[g] = None;
            go_end[g] = Some(t);
        }
        if to.is_go() && !from.is_go() {
            v.green_starts += 1;
            go_since[g] = Some(t);
            for c in 0..n {
                let (clearing, entering) = (GroupIndex(c as u8), GroupIndex(g as u8));
                if c == g || !ix.conflicts(clearing, entering) {
                    continue;
                }
                if go_since[c].is_some() {
                    v.conflicting_greens += 1;
                    v.problems.push(format!(
                        "t={t:.2} {id} goes while {} is in go",
                        ix.groups()[c].id
                    ));
                }
                if let (Some(end), Some(ig)) = (go_end[c], ix.intergreen(clearing, entering)) {
                    let what = format!("t={t:.2} intergreen {} -> {id}", ix.groups()[c].id);
                    require(v, what, t - end, ig.as_secs_f64());
                }
            }
        }
    }
}
