//! Generated grids of signalised intersections: a district to measure the simulator and the
//! controllers at scale, the same for the same settings.
//!
//! `rows` x `cols` four-leg intersections `J{row}-{col}` (row 0 northmost, column 0 westmost),
//! `spacing_m` apart, each the NEMA eight-phase preset with protected lefts. East-west streets
//! are arterials (an exclusive left-turn lane and two through lanes, the right one shared with
//! right turns); north-south streets have a left-turn lane and a through/right lane, as in the
//! arterial-4 corridor. Every approach lane has a stop-bar and an advance loop, channels
//! numbered per cabinet eb, wb, nb, sb. Boundary nodes (`W{row}`, `E{row}`, `N{col}`,
//! `S{col}`) feed every street from both ends with steady demand.
//!
//! [`Grid::write`] writes the corridor, the intersection, one base timing plan and the scenario
//! into a folder; the scenario loads like any other.

use std::path::{Path, PathBuf};

use greenwave_controllers::control::ControllerSpec;
use greenwave_controllers::corridor::{
    CorridorSpec, DetectorKind, DetectorSpec, LinkSpec, NodeSpec,
};

use crate::scenario::spec::{DemandSpec, FlowSpec, ScenarioSpec, TurningSpec, VehicleSpec};

/// The settings of a generated grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// Intersections north to south.
    pub rows: usize,
    /// Intersections west to east.
    pub cols: usize,
    /// Distance between neighbouring intersections, and to the boundary nodes, m.
    pub spacing_m: f64,
    /// Demand entering each east-west street at each end, veh/h.
    pub arterial_veh_h: f64,
    /// Demand entering each north-south street at each end, veh/h.
    pub cross_veh_h: f64,
    /// The controller of every intersection.
    pub controller: String,
    /// Simulated time, s.
    pub duration_s: f64,
    /// The seed.
    pub seed: u64,
}

impl Default for Grid {
    fn default() -> Self {
        Grid {
            rows: 3,
            cols: 3,
            spacing_m: 300.0,
            arterial_veh_h: 600.0,
            cross_veh_h: 400.0,
            controller: "fixed".to_owned(),
            duration_s: 3600.0,
            seed: 1,
        }
    }
}

/// The intersection every node of the grid runs (the NEMA preset of arterial-4).
const INTERSECTION: &str = r#"# NEMA dual-ring, eight phases, four legs, protected lefts (as config/intersections/nema-4leg.toml).
name = "NEMA eight-phase, four legs"
region = "us"

[nema]
main_street = "east_west"
amber_s = 4.0
all_red_s = 2.0
min_green_s = 7.0
max_green_s = 50.0
max_green_by_phase_s = { "1" = 25.0, "3" = 25.0, "5" = 25.0, "7" = 25.0, "4" = 40.0, "8" = 40.0 }
"#;

/// The base plan of every intersection: lead-lead lefts, 90 s cycle, no offsets, the
/// north-south through green near the east-west one (turning traffic loads the cross streets of
/// a grid almost as much as the arterials).
const PLAN: &str = r#"# Base plan of every grid intersection: 90 s cycle, greens 66 s + 4 x 6 s interstages.
plan_id = "grid-base"
version = 1
intersection = "../intersections/grid-4leg.toml"
cycle_s = 90.0
offset_s = 0.0
max_cycle_s = 120.0

[[stages]]
stage = "1+5"
green_s = 10.0

[[stages]]
stage = "2+6"
green_s = 26.0

[[stages]]
stage = "3+7"
green_s = 10.0

[[stages]]
stage = "4+8"
green_s = 20.0
"#;

/// An approach direction of a grid intersection: its name in detector ids, its first cabinet
/// channel and its lanes.
struct Leg {
    name: &'static str,
    first_channel: u8,
    lanes: &'static [&'static str],
}

const EB: Leg = Leg {
    name: "eb",
    first_channel: 0,
    lanes: &["L", "T", "TR"],
};
const WB: Leg = Leg {
    name: "wb",
    first_channel: 6,
    lanes: &["L", "T", "TR"],
};
const NB: Leg = Leg {
    name: "nb",
    first_channel: 12,
    lanes: &["L", "TR"],
};
const SB: Leg = Leg {
    name: "sb",
    first_channel: 16,
    lanes: &["L", "TR"],
};

/// The site id of the intersection at `row`, `col`.
pub fn site_id(row: usize, col: usize) -> String {
    format!("J{row}-{col}")
}

impl Grid {
    /// The number of intersections.
    pub fn intersections(&self) -> usize {
        self.rows * self.cols
    }

    /// The corridor: nodes, approach links with their loops, and exit links.
    pub fn corridor(&self) -> CorridorSpec {
        let (rows, cols, s) = (self.rows, self.cols, self.spacing_m);
        let mut nodes = Vec::new();
        let node = |id: String, x: f64, y: f64, signal: bool| NodeSpec {
            id,
            x_m: x,
            y_m: y,
            intersection: signal.then(|| "intersections/grid-4leg.toml".to_owned()),
        };
        for r in 0..rows {
            for c in 0..cols {
                nodes.push(node(site_id(r, c), c as f64 * s, -(r as f64) * s, true));
            }
        }
        for r in 0..rows {
            let y = -(r as f64) * s;
            nodes.push(node(format!("W{r}"), -s, y, false));
            nodes.push(node(format!("E{r}"), cols as f64 * s, y, false));
        }
        for c in 0..cols {
            let x = c as f64 * s;
            nodes.push(node(format!("N{c}"), x, s, false));
            nodes.push(node(format!("S{c}"), x, -(rows as f64) * s, false));
        }
        let mut links = Vec::new();
        for r in 0..rows {
            for c in 0..cols {
                let west = if c == 0 {
                    format!("W{r}")
                } else {
                    site_id(r, c - 1)
                };
                let east = if c + 1 == cols {
                    format!("E{r}")
                } else {
                    site_id(r, c + 1)
                };
                let north = if r == 0 {
                    format!("N{c}")
                } else {
                    site_id(r - 1, c)
                };
                let south = if r + 1 == rows {
                    format!("S{c}")
                } else {
                    site_id(r + 1, c)
                };
                let here = site_id(r, c);
                links.push(approach(&west, &here, &EB));
                links.push(approach(&east, &here, &WB));
                links.push(approach(&south, &here, &NB));
                links.push(approach(&north, &here, &SB));
                // Exits to the boundary (links between intersections are their approaches).
                if c == 0 {
                    links.push(exit(&here, &west, 2));
                }
                if c + 1 == cols {
                    links.push(exit(&here, &east, 2));
                }
                if r == 0 {
                    links.push(exit(&here, &north, 1));
                }
                if r + 1 == rows {
                    links.push(exit(&here, &south, 1));
                }
            }
        }
        CorridorSpec {
            id: format!("grid-{rows}x{cols}"),
            name: Some(format!(
                "Generated grid of {rows} x {cols} signalised intersections, {s} m apart"
            )),
            nodes,
            links,
        }
    }

    /// The scenario: steady demand at every entry, the same turning ratios everywhere.
    pub fn scenario(&self) -> ScenarioSpec {
        let flow = |veh_h| vec![FlowSpec { from_s: 0.0, veh_h }];
        let mut demand = Vec::new();
        for r in 0..self.rows {
            demand.push(DemandSpec {
                link: format!("W{r}->{}", site_id(r, 0)),
                flows: flow(self.arterial_veh_h),
            });
            demand.push(DemandSpec {
                link: format!("E{r}->{}", site_id(r, self.cols - 1)),
                flows: flow(self.arterial_veh_h),
            });
        }
        for c in 0..self.cols {
            demand.push(DemandSpec {
                link: format!("N{c}->{}", site_id(0, c)),
                flows: flow(self.cross_veh_h),
            });
            demand.push(DemandSpec {
                link: format!("S{c}->{}", site_id(self.rows - 1, c)),
                flows: flow(self.cross_veh_h),
            });
        }
        ScenarioSpec {
            name: format!("grid-{}x{}", self.rows, self.cols),
            corridor: "corridor.toml".to_owned(),
            duration_s: self.duration_s,
            seed: self.seed,
            step_s: 0.1,
            controller: ControllerSpec {
                kind: self.controller.clone(),
                plan: Some("plans/grid-base.toml".to_owned()),
                plans: Default::default(),
                passage_s: None,
                max_wait_s: None,
                wait_weight: None,
                force_off: None,
                coordinated_phases: Vec::new(),
                recall: Default::default(),
            },
            turning: Some(TurningSpec::left_through_right(0.12, 0.78, 0.10)),
            turning_by_link: Default::default(),
            turning_changes: Vec::new(),
            demand,
            pedestrians: Vec::new(),
            emergency: Vec::new(),
            buses: Vec::new(),
            od: Vec::new(),
            faults: Vec::new(),
            vehicles: VehicleSpec::default(),
        }
    }

    /// Writes `scenario.toml`, `corridor.toml`, `intersections/grid-4leg.toml` and
    /// `plans/grid-base.toml` into `dir` (created if need be); returns the scenario's path.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir.join("intersections"))?;
        std::fs::create_dir_all(dir.join("plans"))?;
        std::fs::write(dir.join("intersections/grid-4leg.toml"), INTERSECTION)?;
        std::fs::write(dir.join("plans/grid-base.toml"), PLAN)?;
        let header = format!(
            "# Written by `greenwave generate grid --rows {} --cols {}`.\n",
            self.rows, self.cols
        );
        std::fs::write(
            dir.join("corridor.toml"),
            header.clone() + &text(&self.corridor())?,
        )?;
        let scenario = dir.join("scenario.toml");
        std::fs::write(&scenario, header + &text(&self.scenario())?)?;
        Ok(scenario)
    }
}

/// TOML text of a spec, a serialisation error as an I/O error.
fn text<T: serde::Serialize>(value: &T) -> std::io::Result<String> {
    toml::to_string(value).map_err(std::io::Error::other)
}

/// The link from `from` into intersection `to`, approaching as `leg`, with a stop-bar loop
/// and an advance loop 40 m upstream on every lane.
fn approach(from: &str, to: &str, leg: &Leg) -> LinkSpec {
    let mut detectors = Vec::new();
    for lane in 0..leg.lanes.len() as u8 {
        let channel = leg.first_channel + 2 * lane;
        let id = |what: &str| format!("{to}-{}-{lane}-{what}", leg.name);
        detectors.push(DetectorSpec {
            id: id("stop"),
            channel,
            lane,
            distance_m: 0.0,
            length_m: 5.0,
            kind: DetectorKind::StopBar,
        });
        detectors.push(DetectorSpec {
            id: id("adv"),
            channel: channel + 1,
            lane,
            distance_m: 40.0,
            length_m: 2.0,
            kind: DetectorKind::Advance,
        });
    }
    LinkSpec {
        from: from.to_owned(),
        to: to.to_owned(),
        length_m: None,
        speed_kmh: 50.0,
        lanes: leg.lanes.iter().map(|&l| l.to_owned()).collect(),
        saturation_flow_veh_h_lane: 1800.0,
        detectors,
        approach: None,
    }
}

/// A link leaving the grid at a boundary node.
fn exit(from: &str, to: &str, lanes: usize) -> LinkSpec {
    LinkSpec {
        from: from.to_owned(),
        to: to.to_owned(),
        length_m: None,
        speed_kmh: 50.0,
        lanes: vec!["T".to_owned(); lanes],
        saturation_flow_veh_h_lane: 1800.0,
        detectors: Vec::new(),
        approach: None,
    }
}

#[cfg(test)]
mod tests;
