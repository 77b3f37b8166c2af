//! SUMO routes, vehicles and flows as greenwave demand: entry flows (piecewise constant, in
//! vehicles per hour) at the corridor's entry links, and turning ratios per approach from the
//! turns the routes make.
//!
//! Turning ratios change by interval where the demand does: the intervals are those the
//! flows' begins and ends and the vehicles' bins make. A link turns by the ratios of the whole
//! run, and by an interval's own from its start where some turn's share differs from the
//! ratios in force by a percentage point or more. A flow states its rate; single vehicles are
//! a sample, so where they make up an interval it needs at least 20 on the link, and the
//! change must be more than the chance of which vehicles came explains (a two-proportion
//! z-test at 99.7 %): random trips, binned by the quarter hour, keep one set.
//!
//! A flow's rate comes from `vehsPerHour`, `period` (also `exp(RATE)`), `probability` (per
//! second) or `number` over its interval; single vehicles are counted in 15-minute bins. A
//! route enters where a stretch of corridor links starts at a boundary (it may leave the
//! corridor at a boundary and come back: each stretch enters anew); its turns count, weighted
//! by the vehicles it carries, at every intersection it crosses. Trips without routes (`from`
//! and `to` only) need a router and are left out, as are stretches that enter the corridor in
//! its middle.

use std::collections::BTreeMap;
use std::path::Path;

use greenwave_controllers::corridor::{Corridor, NodeKind};
use greenwave_controllers::model::PerTurn;
use greenwave_sim::scenario::{DemandSpec, FlowSpec, TurningChangeSpec, TurningSpec};

use super::net::{Element, ReadError, parse, read};

/// Single vehicles are counted in bins of this length, s.
const BIN_S: f64 = 900.0;
/// An interval's turning ratios at a link replace those in force only where it carries at
/// least this many vehicles there,
const MIN_SAMPLE_VEH: f64 = 20.0;
/// where some turn's share moves by at least this much,
const MIN_CHANGE: f64 = 0.01;
/// and by more than this many standard errors of the difference of two shares: more than
/// the chance of which vehicles came explains (a two-proportion z-test at 99.7 %: over a
/// district's hundreds of links and quarter hours, 95 % would find changes that are not there).
const Z: f64 = 3.0;

/// Demand read from a routes file.
#[derive(Debug, Default)]
pub struct Demand {
    pub demand: Vec<DemandSpec>,
    pub turning: BTreeMap<String, TurningSpec>,
    /// Where a link's turning ratios change from one interval to the next.
    pub turning_changes: Vec<TurningChangeSpec>,
    /// The last time any demand runs to, s.
    pub until_s: f64,
    pub dropped: Vec<String>,
}

/// A route's stretches through the corridor: runs of its links, each link leading onto the
/// next by a turning movement. A route leaves the corridor where a link ends at a boundary (an
/// unsignalised junction, a signalised pedestrian crossing, an edge not imported) and may come
/// back further on: each stretch is a trip of its own.
fn stretches(
    edges: &[String],
    corridor: &Corridor,
    links: &BTreeMap<String, String>,
) -> Vec<Vec<petgraph::graph::EdgeIndex>> {
    let g = corridor.graph();
    let mut out: Vec<Vec<petgraph::graph::EdgeIndex>> = Vec::new();
    let mut open = false;
    for e in edges {
        let Some(link) = links.get(e).and_then(|l| corridor.link_by_id(l)) else {
            open = false;
            continue;
        };
        let continues = open
            && out
                .last()
                .and_then(|s| s.last())
                .is_some_and(|&prev| g[prev].movements.iter().any(|m| m.onto == link));
        if continues {
            out.last_mut().expect("open").push(link);
        } else {
            out.push(vec![link]);
        }
        open = true;
    }
    out
}

/// Routes, each a list of edges with a probability.
type Routes = Vec<(Vec<String>, f64)>;

fn route_edges(e: &Element<'_, '_>) -> Result<Vec<String>, ReadError> {
    Ok(e.text("edges")?
        .split_whitespace()
        .map(str::to_owned)
        .collect())
}

/// Named routes and route distributions.
fn named_routes(
    doc: &roxmltree::Document<'_>,
    path: &str,
) -> Result<BTreeMap<String, Routes>, ReadError> {
    let mut named: BTreeMap<String, Routes> = BTreeMap::new();
    for node in doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("route"))
    {
        let e = Element::new(doc, node, path);
        named.insert(e.text("id")?.to_owned(), vec![(route_edges(&e)?, 1.0)]);
    }
    for node in doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("routeDistribution"))
    {
        let d = Element::new(doc, node, path);
        let mut routes = Vec::new();
        for r in node.children().filter(|n| n.has_tag_name("route")) {
            let e = Element::new(doc, r, path);
            let p: f64 = e.number_or("probability", 1.0)?;
            match e.opt("refId") {
                Some(id) => {
                    let known = named
                        .get(id)
                        .ok_or_else(|| e.error(format!("unknown route `{id}`")))?;
                    routes.push((known[0].0.clone(), p));
                }
                None => routes.push((route_edges(&e)?, p)),
            }
        }
        named.insert(d.text("id")?.to_owned(), routes);
    }
    Ok(named)
}

/// The routes a vehicle or flow takes: its `route` attribute or its own `<route>`.
fn routes_of(
    e: &Element<'_, '_>,
    doc: &roxmltree::Document<'_>,
    named: &BTreeMap<String, Routes>,
) -> Result<Option<Routes>, ReadError> {
    if let Some(id) = e.opt("route") {
        return named
            .get(id)
            .cloned()
            .map(Some)
            .ok_or_else(|| e.error(format!("unknown route `{id}`")));
    }
    match e.node.children().find(|n| n.has_tag_name("route")) {
        Some(r) => Ok(Some(vec![(
            route_edges(&Element::new(doc, r, e.path))?,
            1.0,
        )])),
        None => Ok(None),
    }
}

/// A flow's rate in vehicles per hour.
fn flow_rate(e: &Element<'_, '_>, begin: f64, end: f64) -> Result<f64, ReadError> {
    if e.opt("vehsPerHour").is_some() {
        return e.number("vehsPerHour");
    }
    if let Some(period) = e.opt("period") {
        if let Some(rate) = period
            .strip_prefix("exp(")
            .and_then(|r| r.strip_suffix(')'))
        {
            let rate: f64 = rate
                .trim()
                .parse()
                .map_err(|_| e.error(format!("`period` is `{period}`")))?;
            return Ok(rate * 3600.0);
        }
        let p: f64 = e.number("period")?;
        return Ok(if p > 0.0 { 3600.0 / p } else { 0.0 });
    }
    if e.opt("probability").is_some() {
        return Ok(e.number::<f64>("probability")? * 3600.0);
    }
    if e.opt("number").is_some() && end > begin {
        return Ok(e.number::<f64>("number")? * 3600.0 / (end - begin));
    }
    Err(e.error("no rate (vehsPerHour, period, probability or number with an end)"))
}

/// Part of the demand: routes, begin and end (s), veh/h, and whether it was counted (single
/// vehicles, a sample of the demand) rather than stated (a flow's rate).
type Piece = (Routes, f64, f64, f64, bool);

/// What the routes file asks for, as pieces.
fn pieces(path: &Path, dropped: &mut Vec<String>) -> Result<Vec<Piece>, ReadError> {
    let text = read(path)?;
    let name = path.display().to_string();
    let doc = parse(&name, &text)?;
    let named = named_routes(&doc, &name)?;
    let mut out = Vec::new();
    let mut bins: BTreeMap<(String, usize), (Routes, f64)> = BTreeMap::new();
    for node in doc.root_element().children().filter(|n| n.is_element()) {
        let e = Element::new(&doc, node, &name);
        let tag = node.tag_name().name();
        if !matches!(tag, "vehicle" | "flow" | "trip") {
            continue;
        }
        let Some(routes) = routes_of(&e, &doc, &named)? else {
            dropped.push(format!(
                "{tag} `{}` (line {}): no route (from/to trips need a router)",
                e.opt("id").unwrap_or("?"),
                e.line
            ));
            continue;
        };
        if tag == "flow" {
            let begin: f64 = e.number_or("begin", 0.0)?;
            let end: f64 = e.number_or("end", 3600.0)?;
            out.push((routes, begin, end, flow_rate(&e, begin, end)?, false));
        } else {
            let Ok(depart) = e.number::<f64>("depart") else {
                dropped.push(format!(
                    "{tag} `{}` (line {}): depart `{}` is not a time",
                    e.opt("id").unwrap_or("?"),
                    e.line,
                    e.opt("depart").unwrap_or("")
                ));
                continue;
            };
            let key = (format!("{routes:?}"), (depart / BIN_S) as usize);
            bins.entry(key).or_insert((routes, 0.0)).1 += 1.0;
        }
    }
    for ((_, bin), (routes, n)) in bins {
        let begin = bin as f64 * BIN_S;
        out.push((routes, begin, begin + BIN_S, n * 3600.0 / BIN_S, true));
    }
    Ok(out)
}

/// Vehicles at `veh_h` from `begin` to `end`, split at the interval cuts: `(cut, vehicles)`
/// for each interval the piece covers, from the cut that starts it.
fn split(cuts: &[f64], begin: f64, end: f64, veh_h: f64) -> Vec<(f64, f64)> {
    cuts.windows(2)
        .filter(|w| w[0] < end && w[1] > begin)
        .map(|w| {
            let (a, b) = (w[0].max(begin), w[1].min(end));
            (w[0], veh_h * (b - a) / 3600.0)
        })
        .collect()
}

/// The vehicles of one link in one interval (or the whole run), by turn, and how many of
/// them were counted one by one rather than stated as a flow's rate.
#[derive(Clone, Copy, Default)]
struct Tally {
    turns: PerTurn<f64>,
    counted: f64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.turns
            .iter_mut()
            .zip(&other.turns)
            .for_each(|(a, b)| *a += b);
        self.counted += other.counted;
    }

    fn total(&self) -> f64 {
        self.turns.iter().sum()
    }

    /// The shares, and the factor that turns `p (1 - p)` into a share's variance: only the
    /// counted vehicles are a sample (`counted / total^2`; 0 for flows alone).
    fn shares(&self) -> Option<(PerTurn<f64>, f64)> {
        let total = self.total();
        Some((ratios_of(&self.turns)?, self.counted / (total * total)))
    }
}

/// Whether some turn's share moved from `before` to `after` (shares, and their variance
/// factors) by at least [`MIN_CHANGE`] and by more than chance explains.
fn moved(before: (PerTurn<f64>, f64), after: (PerTurn<f64>, f64)) -> bool {
    let ((p0, v0), (p1, v1)) = (before, after);
    p0.iter().zip(&p1).any(|(&a, &b)| {
        let pooled = (a + b) / 2.0;
        let se = (pooled * (1.0 - pooled) * (v0 + v1)).sqrt();
        (a - b).abs() >= MIN_CHANGE.max(Z * se)
    })
}

/// A link's turning ratios: the whole run's, then each interval's own from its start where
/// they moved (see the module docs).
fn turning_by_interval(link: &str, by_interval: &BTreeMap<u64, Tally>, out: &mut Demand) {
    let mut whole = Tally::default();
    by_interval.values().for_each(|t| whole.add(t));
    let Some(mut in_force) = whole.shares() else {
        return;
    };
    out.turning
        .insert(link.to_owned(), TurningSpec::from_ratios(in_force.0));
    // Intervals in time order (non-negative times order as their bits do); a counted sample
    // too small to tell is left out.
    for (&from, tally) in by_interval {
        if tally.counted > 0.0 && tally.total() < MIN_SAMPLE_VEH {
            continue;
        }
        let Some(shares) = tally.shares() else {
            continue;
        };
        if moved(in_force, shares) {
            out.turning_changes.push(TurningChangeSpec {
                from_s: f64::from_bits(from),
                link: Some(link.to_owned()),
                ratios: TurningSpec::from_ratios(shares.0),
            });
            in_force = shares;
        }
    }
}

/// Shares of each turn, rounded to 4 places, the largest taking what makes them sum to 1;
/// `None` for no vehicles.
fn ratios_of(c: &PerTurn<f64>) -> Option<PerTurn<f64>> {
    let sum: f64 = c.iter().sum();
    if sum <= 0.0 {
        return None;
    }
    let mut ratios = c.map(|x| (x / sum * 1e4).round() / 1e4);
    let largest = (0..ratios.len())
        .max_by(|&a, &b| ratios[a].total_cmp(&ratios[b]))
        .unwrap_or(0);
    ratios[largest] = 0.0;
    let rest: f64 = ratios.iter().sum();
    ratios[largest] = ((1.0 - rest) * 1e4).round() / 1e4;
    Some(ratios)
}

/// Reads `path` against the corridor; `links` maps SUMO edges to corridor links.
pub fn demand(
    path: &Path,
    corridor: &Corridor,
    links: &BTreeMap<String, String>,
) -> Result<Demand, ReadError> {
    let g = corridor.graph();
    let mut out = Demand::default();
    let pieces = pieces(path, &mut out.dropped)?;
    let mut cuts: Vec<f64> = pieces.iter().flat_map(|p| [p.1, p.2]).collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let mut entry_pieces: BTreeMap<String, Vec<(f64, f64, f64)>> = BTreeMap::new();
    // Vehicles per link, interval (by the bits of the cut that starts it) and turn.
    let mut counts: BTreeMap<String, BTreeMap<u64, Tally>> = BTreeMap::new();
    let mut middle = 0.0;
    for (routes, begin, end, rate, counted) in &pieces {
        let total_p: f64 = routes.iter().map(|r| r.1).sum();
        for (edges, p) in routes {
            let share = if total_p > 0.0 { p / total_p } else { 0.0 };
            for stretch in stretches(edges, corridor, links) {
                let first = stretch[0];
                let (a, _) = g.edge_endpoints(first).expect("edge exists");
                if !matches!(g[a].kind, NodeKind::Boundary) {
                    middle += rate * share * (end - begin) / 3600.0;
                    continue;
                }
                entry_pieces.entry(g[first].id.clone()).or_default().push((
                    *begin,
                    *end,
                    rate * share,
                ));
                for w in stretch.windows(2) {
                    if let Some(m) = g[w[0]].movements.iter().find(|m| m.onto == w[1])
                        && let Some(t) = m.turn.index()
                    {
                        for (from_s, veh) in split(&cuts, *begin, *end, rate * share) {
                            let tally = counts
                                .entry(g[w[0]].id.clone())
                                .or_default()
                                .entry(from_s.to_bits())
                                .or_default();
                            tally.turns[t] += veh;
                            tally.counted += if *counted { veh } else { 0.0 };
                        }
                    }
                }
            }
            out.until_s = out.until_s.max(*end);
        }
    }
    if middle > 0.0 {
        out.dropped.push(format!(
            "{middle:.0} vehicle trips through the corridor that enter it at an intersection, \
             not at a boundary"
        ));
    }
    for (link, mut ps) in entry_pieces {
        let mut cuts: Vec<f64> = ps.iter().flat_map(|p| [p.0, p.1]).chain([0.0]).collect();
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        // Nothing starts at or after the last end.
        let last = ps.iter().map(|p| p.1).fold(0.0, f64::max);
        cuts.retain(|&c| c < last);
        ps.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut flows: Vec<FlowSpec> = Vec::new();
        for &from_s in &cuts {
            let veh_h: f64 = ps
                .iter()
                .filter(|p| p.0 <= from_s && from_s < p.1)
                .map(|p| p.2)
                .sum();
            let veh_h = (veh_h * 100.0).round() / 100.0;
            if flows.last().is_none_or(|f| f.veh_h != veh_h) {
                flows.push(FlowSpec { from_s, veh_h });
            }
        }
        out.demand.push(DemandSpec { link, flows });
    }
    for (link, by_interval) in &counts {
        turning_by_interval(link, by_interval, &mut out);
    }
    out.turning_changes
        .sort_by(|a, b| a.from_s.total_cmp(&b.from_s));
    Ok(out)
}
