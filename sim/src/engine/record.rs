//! Recording for the pictures: vehicle trajectories along routes of the network (the arterial
//! both ways by default, or the routes asked for, `route`) and every change of the signal
//! heads.

use greenwave_controllers::Duration;
use greenwave_controllers::corridor::Corridor;
use greenwave_controllers::model::SignalState;

use super::route::Route;
use crate::net::{JUNCTION_PATH_M, LaneInfo, NO_GROUP, NONE, SimLink, THROUGH};
use crate::vehicle::Vehicle;

/// One sampled position of one vehicle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrajectoryPoint {
    /// Time, s.
    pub t: f32,
    /// Distance along the path, m.
    pub pos_m: f32,
    /// Vehicle number.
    pub id: u32,
}

/// A signal on a path: where its stop line is and which group governs the path's turn.
#[derive(Clone, Debug, PartialEq)]
pub struct PathSignal {
    /// Junction index.
    pub junction: u32,
    /// The junction's site id.
    pub site: String,
    /// Distance of the stop line along the path, m.
    pub pos_m: f32,
    /// The signal group for the path's turn there.
    pub group: u8,
}

/// A route through the network, and what was seen on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// `FIRST .. LAST` link ids.
    pub name: String,
    /// The direction of travel where it enters (`eb`, `wb`, `nb`, `sb`).
    pub direction: String,
    /// What its picture is called: `time-space-KEY.svg` (the direction for the default routes,
    /// the intersections joined by `-` for a route asked for).
    pub key: String,
    /// Its links with their start along the path.
    pub links: Vec<(u32, f32)>,
    /// The turn taken at the end of each link (left 0, through 1, right 2).
    pub turns: Vec<u8>,
    /// Total length, m.
    pub length_m: f32,
    /// Signals along it.
    pub signals: Vec<PathSignal>,
    /// Sampled trajectories.
    pub points: Vec<TrajectoryPoint>,
}

/// What a recorded run keeps.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    every_steps: u64,
    /// The routes asked for, or the two longest through routes (the arterial, both ways).
    pub paths: Vec<Path>,
    /// Every change of a junction's signal heads: (time s, junction, state).
    pub signal_changes: Vec<(f64, u32, SignalState)>,
    /// Site id of each junction.
    pub sites: Vec<String>,
}

impl Recording {
    pub(crate) fn new(
        corridor: &Corridor,
        links: &[SimLink],
        step: Duration,
        routes: &[Route],
    ) -> Self {
        let every_steps = (1000 / step.total_millis().max(1)).max(1);
        let paths = if routes.is_empty() {
            through_routes(corridor, links)
        } else {
            routes
                .iter()
                .map(|r| {
                    let chain: Vec<(u32, u8)> = r
                        .links
                        .iter()
                        .map(|&(e, t)| (e.index() as u32, t as u8))
                        .collect();
                    let direction = corridor.graph()[r.links[0].0].approach.to_string();
                    path_of(links, &chain, direction, r.key.clone())
                })
                .collect()
        };
        let sites = corridor
            .intersections()
            .map(|(_, n)| n.id.clone())
            .collect();
        Recording {
            every_steps,
            paths,
            signal_changes: Vec::new(),
            sites,
        }
    }

    /// Fills in where each path's signals are, once the lanes are known.
    pub(crate) fn locate_signals(&mut self, links: &[SimLink], lanes: &[LaneInfo]) {
        for path in &mut self.paths {
            path.signals = path
                .links
                .iter()
                .zip(&path.turns)
                .filter_map(|(&(l, offset), &turn)| {
                    let link = &links[l as usize];
                    if link.is_exit() {
                        return None;
                    }
                    let group = link
                        .lanes()
                        .map(|i| lanes[i].group[usize::from(turn)])
                        .find(|&g| g != NO_GROUP)?;
                    Some(PathSignal {
                        junction: link.junction,
                        site: self
                            .sites
                            .get(link.junction as usize)
                            .cloned()
                            .unwrap_or_default(),
                        pos_m: offset + link.length,
                        group,
                    })
                })
                .collect();
        }
    }

    pub(crate) fn due(&self, step: u64) -> bool {
        step % self.every_steps == 0
    }

    pub(crate) fn signal(&mut self, junction: usize, t: f64, shown: &SignalState) {
        self.signal_changes
            .push((t, junction as u32, shown.clone()));
    }

    pub(crate) fn sample(&mut self, t: f64, lanes: &[Vec<Vehicle>], info: &[LaneInfo]) {
        for path in &mut self.paths {
            for &(l, offset) in &path.links {
                for (lane, vehicles) in lanes.iter().enumerate() {
                    if info[lane].link != l {
                        continue;
                    }
                    for v in vehicles {
                        path.points.push(TrajectoryPoint {
                            t: t as f32,
                            pos_m: offset + v.x,
                            id: v.id,
                        });
                    }
                }
            }
        }
    }
}

/// The longest through route of each direction; then the two longest directions, east-west
/// before north-south on a tie.
fn through_routes(corridor: &Corridor, links: &[SimLink]) -> Vec<Path> {
    let mut paths: Vec<Path> = Vec::new();
    for start in corridor.entries() {
        let mut chain = vec![start.index() as u32];
        while let Some(&last) = chain.last() {
            let link = &links[last as usize];
            if link.is_exit()
                || link.next[usize::from(THROUGH)] == NONE
                || chain.len() > links.len()
            {
                break;
            }
            chain.push(link.next[usize::from(THROUGH)]);
        }
        let chain: Vec<(u32, u8)> = chain.into_iter().map(|l| (l, THROUGH)).collect();
        let direction = corridor.graph()[start].approach.to_string();
        paths.push(path_of(links, &chain, direction.clone(), direction));
    }
    // The longest route of each direction; then the two longest directions, east-west
    // before north-south on a tie, so each picture has its own direction.
    let rank = |d: &str| {
        ["eb", "wb", "nb", "sb"]
            .iter()
            .position(|x| *x == d)
            .unwrap_or(4)
    };
    paths.sort_by(|a, b| {
        b.links
            .len()
            .cmp(&a.links.len())
            .then(rank(&a.direction).cmp(&rank(&b.direction)))
            .then(a.name.cmp(&b.name))
    });
    let mut seen = Vec::new();
    paths.retain(|p| {
        let first = !seen.contains(&p.direction);
        seen.push(p.direction.clone());
        first
    });
    paths.truncate(2);
    paths
}

/// A path over `chain` (each link with the turn at its end).
fn path_of(links: &[SimLink], chain: &[(u32, u8)], direction: String, key: String) -> Path {
    let mut offset = 0.0;
    let mut on_path = Vec::with_capacity(chain.len());
    for &(l, turn) in chain {
        on_path.push((l, offset));
        offset += links[l as usize].length + JUNCTION_PATH_M[usize::from(turn)];
    }
    let last_turn = chain.last().map_or(THROUGH, |c| c.1);
    let first = &links[chain[0].0 as usize].id;
    let last = &links[chain.last().expect("non-empty").0 as usize].id;
    Path {
        name: format!("{first} .. {last}"),
        direction,
        key,
        links: on_path,
        turns: chain.iter().map(|c| c.1).collect(),
        length_m: offset - JUNCTION_PATH_M[usize::from(last_turn)],
        signals: Vec::new(),
        points: Vec::new(),
    }
}
