//! Routes for the time-space diagrams: by default the longest through route of the network in
//! each of its two main directions; on request (`greenwave sim --path J1,J2,J3`) the route
//! through named intersections, in order, each next to the one before along a link, with the
//! link leading into the first (straight on where there is one) and the one straight on out of
//! the last. A route may turn at an intersection: its signal is then the group of that turn.

use petgraph::Direction::Incoming;
use petgraph::graph::EdgeIndex;
use petgraph::visit::EdgeRef;

use greenwave_controllers::corridor::Corridor;
use greenwave_controllers::model::Turn;

/// A route: each link with the turn taken at its downstream end (left 0, through 1, right 2),
/// and the name of its file (`time-space-KEY.svg`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The links in order, with the turn at the end of each.
    pub links: Vec<(EdgeIndex, usize)>,
    /// The intersections joined by `-`.
    pub key: String,
}

const THROUGH: usize = crate::net::THROUGH as usize;

/// The route through `sites`, or why there is none.
pub fn route(corridor: &Corridor, sites: &[String]) -> Result<Route, String> {
    let named = sites.join(",");
    if sites.len() < 2 {
        return Err(format!(
            "path `{named}`: a path needs two intersections or more, in order (J1,J2,...)"
        ));
    }
    let g = corridor.graph();
    let mut nodes = Vec::with_capacity(sites.len());
    for site in sites {
        let node = corridor
            .node_by_id(site)
            .filter(|&n| g[n].intersection().is_some())
            .ok_or_else(|| {
                format!(
                    "path `{named}`: corridor `{}` has no intersection `{site}`",
                    corridor.id()
                )
            })?;
        if nodes.contains(&node) {
            return Err(format!("path `{named}`: `{site}` comes twice"));
        }
        nodes.push(node);
    }
    let mut between = Vec::with_capacity(nodes.len() - 1);
    for (w, ids) in nodes.windows(2).zip(sites.windows(2)) {
        let link = g.find_edge(w[0], w[1]).ok_or_else(|| {
            format!(
                "path `{named}`: no link from {} to {}; each intersection must be next to the one before it",
                ids[0], ids[1]
            )
        })?;
        between.push(link);
    }
    let turn_onto = |from: EdgeIndex, to: EdgeIndex| {
        g[from]
            .movements
            .iter()
            .find(|m| m.onto == to)
            .and_then(|m| m.turn.index())
    };
    let mut links = Vec::with_capacity(between.len() + 2);
    // Into the first intersection: straight on where a link leads so, else by any turn.
    let into = g
        .edges_directed(nodes[0], Incoming)
        .filter_map(|e| turn_onto(e.id(), between[0]).map(|t| (e.id(), t)))
        .min_by_key(|&(e, t)| (t != THROUGH, e.index()));
    links.extend(into);
    for (w, ids) in between.windows(2).zip(sites.windows(3)) {
        let turn = turn_onto(w[0], w[1]).ok_or_else(|| {
            format!(
                "path `{named}`: traffic from {} cannot turn at {} towards {}",
                ids[0], ids[1], ids[2]
            )
        })?;
        links.push((w[0], turn));
    }
    let last = *between.last().expect("two intersections or more");
    links.push((last, THROUGH));
    if let Some(out) = g[last].onto(Turn::Through) {
        links.push((out, THROUGH));
    }
    Ok(Route {
        links,
        key: sites.join("-"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use greenwave_controllers::load;
    use std::path::Path;

    fn arterial() -> Corridor {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors/arterial-4.toml");
        load::corridor(&path).unwrap()
    }

    fn ids(c: &Corridor, r: &Route) -> Vec<String> {
        r.links
            .iter()
            .map(|&(e, t)| format!("{}:{t}", c.graph()[e].id))
            .collect()
    }

    fn sites(s: &str) -> Vec<String> {
        s.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn a_route_runs_from_the_link_into_the_first_to_the_link_out_of_the_last() {
        let c = arterial();
        let r = route(&c, &sites("J2,J3")).unwrap();
        assert_eq!(ids(&c, &r), ["J1->J2:3", "J2->J3:3", "J3->J4:3"]);
        assert_eq!(r.key, "J2-J3");
        let r = route(&c, &sites("J4,J3,J2,J1")).unwrap();
        assert_eq!(
            ids(&c, &r),
            ["E->J4:3", "J4->J3:3", "J3->J2:3", "J2->J1:3", "J1->W:3"]
        );
    }

    #[test]
    fn a_path_that_is_not_connected_is_refused_by_name() {
        let c = arterial();
        let err = route(&c, &sites("J1,J3")).unwrap_err();
        assert!(err.contains("no link from J1 to J3"), "{err}");
        let err = route(&c, &sites("J1,J9")).unwrap_err();
        assert!(err.contains("no intersection `J9`"), "{err}");
        let err = route(&c, &sites("J1")).unwrap_err();
        assert!(err.contains("two intersections or more"), "{err}");
        let err = route(&c, &sites("J1,J2,J1")).unwrap_err();
        assert!(err.contains("`J1` comes twice"), "{err}");
    }
}
