//! Bus routes: buses dispatched on a timetable between two boundary nodes along the fastest
//! route, stopping at near- or far-side stops for a dwell, carrying people, and asking the
//! signals for priority by check-in loops, by AVL requests, or not at all.
//!
//! ```toml
//! [[buses]]
//! route = "12 eastbound"
//! from = "W"
//! to = "E"
//! headway_s = 360.0
//! first_s = 60.0
//! occupancy = 40.0             # mean people on board
//! priority = "avl"             # "loops" (check-in detectors), "avl" (requests) or "none"
//! stops = [{ link = "J1->J2", side = "far", dwell_s = 20.0 },
//!          { link = "J2->J3", side = "near", dwell_s = 20.0 }]
//! ```
//!
//! The timetable: bus `k` is due to leave at `first_s + k * headway_s` and is due at each
//! point of its route after `schedule_factor` times the free-flow time to it plus the mean
//! dwells before it. Buses leave off the timetable by a normal draw (`dispatch_sd_s`).

use petgraph::graph::EdgeIndex;
use serde::{Deserialize, Serialize};

use greenwave_controllers::Collector;
use greenwave_controllers::corridor::Corridor;

use super::od::shortest_route;

/// How a bus asks for priority.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BusPriority {
    /// Requests from the agency's AVL system (eta, lateness, occupancy) over the approach.
    #[default]
    Avl,
    /// The corridor's check-in and check-out detectors see it pass.
    Loops,
    /// It does not ask.
    None,
}

/// Where a stop is, against the junction it is next to.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StopSide {
    /// After the junction, near the start of the link.
    #[default]
    Far,
    /// Before the junction, near the stop line at the end of the link.
    Near,
}

/// One stop of a route.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BusStopSpec {
    /// The link it is on (one of the route's).
    pub link: String,
    /// Near or far side.
    #[serde(default)]
    pub side: StopSide,
    /// From the junction (the link's start for far side, its stop line for near side), m;
    /// default 25 m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_m: Option<f64>,
    /// Mean dwell, s (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dwell_s: Option<f64>,
}

/// A bus route of the scenario file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BusRouteSpec {
    /// Its name (line and direction).
    pub route: String,
    /// The boundary node it enters from.
    pub from: String,
    /// The boundary node it leaves by.
    pub to: String,
    /// Time between buses, s.
    pub headway_s: f64,
    /// The first bus's timetabled departure, s (default 0).
    #[serde(default)]
    pub first_s: f64,
    /// Mean people on board (default 40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupancy: Option<f64>,
    /// Standard deviation of the departures against the timetable, s (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch_sd_s: Option<f64>,
    /// The timetable's running time against free flow (default 1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_factor: Option<f64>,
    /// How its buses ask for priority.
    #[serde(default)]
    pub priority: BusPriority,
    /// Its stops, in route order.
    #[serde(default)]
    pub stops: Vec<BusStopSpec>,
}

/// A validated stop: the index of its link in the route, where on the link, its mean dwell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BusStop {
    /// Which of the route's links.
    pub leg: usize,
    /// From the link's start, m.
    pub at_m: f64,
    /// Mean dwell, s.
    pub dwell_s: f64,
}

/// A validated bus route.
#[derive(Clone, Debug, PartialEq)]
pub struct BusRoute {
    /// Its name.
    pub name: String,
    /// Its links, entry to exit.
    pub links: Vec<EdgeIndex>,
    /// Its turns at the end of every link but the last.
    pub turns: Vec<u8>,
    /// Timetabled departures, s.
    pub departures: Vec<f64>,
    /// Mean people on board.
    pub occupancy: f64,
    /// Departure spread, s.
    pub dispatch_sd_s: f64,
    /// Running time against free flow in the timetable.
    pub schedule_factor: f64,
    /// How its buses ask for priority.
    pub priority: BusPriority,
    /// Its stops, in route order.
    pub stops: Vec<BusStop>,
}

/// Validates the bus routes of a scenario lasting `duration_s`.
pub fn buses_of(
    specs: &[BusRouteSpec],
    corridor: &Corridor,
    duration_s: f64,
    out: &mut Collector,
) -> Vec<BusRoute> {
    let g = corridor.graph();
    let mut routes = Vec::new();
    for (i, b) in specs.iter().enumerate() {
        let field = format!("buses[{i}]");
        let Some((links, turns)) = shortest_route(corridor, &b.from, &b.to) else {
            out.push(
                format!("{field}.to"),
                format!("no route from `{}` to `{}`", b.from, b.to),
            );
            continue;
        };
        let headway = out.seconds(format!("{field}.headway_s"), b.headway_s, 30.0, 7200.0);
        let first = out.seconds(format!("{field}.first_s"), b.first_s, 0.0, duration_s);
        let sd = b.dispatch_sd_s.unwrap_or(60.0);
        let sd = out.seconds(format!("{field}.dispatch_sd_s"), sd, 0.0, 1800.0);
        let occupancy = b.occupancy.unwrap_or(40.0);
        if !(occupancy.is_finite() && (1.0..=200.0).contains(&occupancy)) {
            out.push(
                format!("{field}.occupancy"),
                format!("{occupancy} people is out of range (1 to 200)"),
            );
        }
        let factor = b.schedule_factor.unwrap_or(1.3);
        if !(factor.is_finite() && (1.0..=5.0).contains(&factor)) {
            out.push(
                format!("{field}.schedule_factor"),
                format!("{factor} is out of range (1 to 5)"),
            );
        }
        let mut stops = Vec::new();
        for (k, s) in b.stops.iter().enumerate() {
            let sf = format!("{field}.stops[{k}]");
            let leg = corridor
                .link_by_id(&s.link)
                .and_then(|l| links.iter().position(|&r| r == l));
            let Some(leg) = leg else {
                out.push(
                    format!("{sf}.link"),
                    format!("`{}` is not a link of the route", s.link),
                );
                continue;
            };
            let length = g[links[leg]].length_m;
            let offset = s.offset_m.unwrap_or(25.0);
            if !(offset.is_finite() && offset >= 5.0 && offset <= length - 15.0) {
                out.push(
                    format!("{sf}.offset_m"),
                    format!(
                        "{offset} m does not fit the {length:.0} m link (5 m to length - 15 m)"
                    ),
                );
                continue;
            }
            let dwell = out.seconds(
                format!("{sf}.dwell_s"),
                s.dwell_s.unwrap_or(20.0),
                1.0,
                600.0,
            );
            let at_m = match s.side {
                StopSide::Far => offset,
                StopSide::Near => length - offset,
            };
            if stops
                .last()
                .is_some_and(|p: &BusStop| (p.leg, p.at_m) >= (leg, at_m))
            {
                out.push(sf.clone(), "stops must follow the route's order");
            }
            if let Some(dwell_s) = dwell {
                stops.push(BusStop { leg, at_m, dwell_s });
            }
        }
        let (Some(headway), Some(first), Some(sd)) = (headway, first, sd) else {
            continue;
        };
        let departures = (0..)
            .map(|k| first + f64::from(k) * headway)
            .take_while(|&t| t < duration_s)
            .collect();
        routes.push(BusRoute {
            name: b.route.clone(),
            links,
            turns,
            departures,
            occupancy,
            dispatch_sd_s: sd,
            schedule_factor: factor,
            priority: b.priority,
            stops,
        });
    }
    routes
}
