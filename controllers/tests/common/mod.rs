//! Random valid intersections and a harness that drives a sequencer through an interlock.

#![allow(dead_code)]

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use greenwave_controllers::load::parse_toml;
use greenwave_controllers::model::{
    GroupKind, GroupSpec, Intersection, IntersectionSpec, Region, StageSpec, TimingsSpec,
};

/// The example intersections shipped in `config/intersections/`.
pub fn config_intersections() -> Vec<(String, Arc<Intersection>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/intersections");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("config/intersections exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "expected the example intersections in {}",
        dir.display()
    );
    let mut out: Vec<(String, Arc<Intersection>)> = files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            let spec: IntersectionSpec = parse_toml(&path, &text).expect("parses");
            let ix = Intersection::from_spec(&spec).expect("config intersections are valid");
            (path.display().to_string(), Arc::new(ix))
        })
        // One whose intergreens come from the geometry is taken as it stands in the corridors.
        .filter(|(_, ix)| !ix.derives_intergreens())
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors");
    let mut corridors: Vec<_> = std::fs::read_dir(&dir)
        .expect("config/corridors exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    corridors.sort();
    for path in corridors {
        let corridor = greenwave_controllers::load::corridor(&path).expect("config corridors load");
        for (_, node) in corridor.intersections() {
            let ix = node.intersection().expect("an intersection");
            if ix.intergreens_derived() {
                out.push((format!("{} {}", path.display(), node.id), ix.clone()));
            }
        }
    }
    out
}

/// Tenths of a second as seconds.
fn tenths(t: u32) -> f64 {
    f64::from(t) / 10.0
}

/// The raw material of a random intersection, shrinkable by proptest.
#[derive(Clone, Debug)]
pub struct Blueprint {
    pub region: Region,
    pub amber_t: u32,
    pub red_amber_t: u32,
    pub flashing_green_t: u32,
    /// Per group: pedestrian?, minimum green (tenths).
    pub groups: Vec<(bool, u32)>,
    /// Upper triangle of the conflict relation, row by row.
    pub conflicts: Vec<bool>,
    /// Extra intergreen beyond the clearing group's amber, per ordered pair (tenths).
    pub extra_t: Vec<u32>,
    /// Seed for the order in which groups are added to stages.
    pub stage_order: Vec<usize>,
}

pub fn blueprint(max_groups: usize) -> impl Strategy<Value = Blueprint> {
    (2..=max_groups).prop_flat_map(|n| {
        (
            prop_oneof![Just(Region::Us), Just(Region::Eu), Just(Region::PostSoviet)],
            30u32..=50,
            10u32..=20,
            20u32..=40,
            proptest::collection::vec((proptest::bool::weighted(0.25), 30u32..=100), n),
            proptest::collection::vec(proptest::bool::weighted(0.5), n * (n - 1) / 2),
            proptest::collection::vec(0u32..=40, n * n),
            Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
        )
            .prop_map(
                |(
                    region,
                    amber_t,
                    red_amber_t,
                    flashing_green_t,
                    groups,
                    conflicts,
                    extra_t,
                    stage_order,
                )| {
                    Blueprint {
                        region,
                        amber_t,
                        red_amber_t,
                        flashing_green_t,
                        groups,
                        conflicts,
                        extra_t,
                        stage_order,
                    }
                },
            )
    })
}

impl Blueprint {
    pub fn n(&self) -> usize {
        self.groups.len()
    }

    /// Group 0 is always a vehicle group in conflict with group 1, so stages must change.
    pub fn conflict(&self, a: usize, b: usize) -> bool {
        let (i, j) = (a.min(b), a.max(b));
        if i == j {
            return false;
        }
        if (i, j) == (0, 1) {
            return true;
        }
        let n = self.n();
        let index = i * (2 * n - i - 1) / 2 + (j - i - 1);
        self.conflicts[index]
    }

    pub fn is_pedestrian(&self, g: usize) -> bool {
        g != 0 && self.groups[g].0
    }

    /// Whether group `g` is a pedestrian group of region `us` (with a flashing don't walk).
    fn us_pedestrian(&self, g: usize) -> bool {
        self.is_pedestrian(g) && self.region == Region::Us
    }

    /// The intersection file; `extra_scale` scales the intergreen beyond the amber (1.0 for
    /// the true intersection, 0.0 for one whose intergreens equal the amber), and
    /// `min_extra_t` is added to every extra.
    pub fn spec_with(&self, extra_scale: f64, min_extra_t: u32) -> IntersectionSpec {
        let n = self.n();
        let id = |g: usize| format!("G{g}");
        let amber = tenths(self.amber_t);
        let groups = (0..n)
            .map(|g| GroupSpec {
                id: id(g),
                kind: if self.is_pedestrian(g) {
                    GroupKind::Pedestrian
                } else {
                    GroupKind::Vehicle
                },
                movements: vec![],
                min_green_s: tenths(self.groups[g].1),
                max_green_s: 60.0,
                walk_s: None,
                crossing_m: None,
                // A US pedestrian group's flashing don't walk: as long as the amber.
                clearance_s: self.us_pedestrian(g).then_some(amber),
                recall: false,
                rest_in_walk: false,
            })
            .collect();
        let mut intergreens_s: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for a in 0..n {
            for b in (0..n).filter(|&b| self.conflict(a, b)) {
                // A US pedestrian group clears in its flashing don't walk and the 3 s buffer.
                let clearance = match (self.is_pedestrian(a), self.us_pedestrian(a)) {
                    (true, true) => amber + 3.0,
                    (true, false) => 0.0,
                    (false, _) => amber,
                };
                let extra = tenths(self.extra_t[a * n + b] + min_extra_t) * extra_scale;
                let ig = ((clearance + extra) * 10.0).round() / 10.0;
                intergreens_s.entry(id(a)).or_default().insert(id(b), ig);
            }
        }
        // Stages: for each group in turn, a maximal compatible set grown in a shuffled order.
        let mut stages: Vec<Vec<usize>> = Vec::new();
        for &seed in &self.stage_order {
            let mut members = vec![seed];
            for &g in &self.stage_order {
                if !members.contains(&g) && members.iter().all(|&m| !self.conflict(m, g)) {
                    members.push(g);
                }
            }
            members.sort_unstable();
            if !stages.contains(&members) {
                stages.push(members);
            }
        }
        IntersectionSpec {
            name: None,
            region: self.region,
            timings: TimingsSpec {
                amber_s: Some(amber),
                red_amber_s: Some(tenths(self.red_amber_t)),
                flashing_green_s: Some(tenths(self.flashing_green_t)),
                startup_all_red_s: None,
            },
            groups,
            intergreens_s,
            derive_intergreens: false,
            stages: stages
                .iter()
                .enumerate()
                .map(|(s, members)| StageSpec {
                    id: format!("S{s}"),
                    groups: members.iter().map(|&g| id(g)).collect(),
                })
                .collect(),
            nema: None,
            pedestrians: Default::default(),
            preemption: Default::default(),
            priority: Default::default(),
        }
    }

    pub fn intersection(&self) -> Arc<Intersection> {
        let spec = self.spec_with(1.0, 0);
        Arc::new(
            Intersection::from_spec(&spec)
                .unwrap_or_else(|p| panic!("generated intersection invalid: {p}\n{spec:#?}")),
        )
    }
}

/// One step of a random drive: how long to wait (ms), whether to jump to the sequencer's own
/// deadline instead, and which stage to request (if any; an index taken modulo the stages).
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub wait_ms: u64,
    pub to_deadline: bool,
    pub request: Option<usize>,
    /// Hand the signals over here: 1 winds down in place, 2 gives them to a new sequencer.
    pub hand_over: u8,
}

pub fn steps(len: usize, max_wait_ms: u64) -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        (
            1..=max_wait_ms,
            proptest::bool::weighted(0.3),
            proptest::option::weighted(0.2, 0usize..64),
            prop_oneof![98 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        )
            .prop_map(|(wait_ms, to_deadline, request, hand_over)| Step {
                wait_ms,
                to_deadline,
                request,
                hand_over,
            }),
        len,
    )
}
