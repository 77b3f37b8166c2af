//! A test rig for controllers: the isolated NEMA intersection of `config/` (or another site), a
//! sequencer, the interlock checking every state, the estimator, and loops and push buttons
//! driven by the test at 10 Hz, as the simulator runs them.
//!
//! Loop channels: eb lane l stop bar 2l, advance 2l + 1 (eb 0..5, wb 6..11, nb 12..15,
//! sb 16..19).

use std::path::Path;
use std::sync::Arc;

use super::{Controller, Inputs, Neighbours};
use crate::detector::DetectorSample;
use crate::estimate::{Estimator, EstimatorParams};
use crate::interlock::{Check, Interlock, SafeState};
use crate::load;
use crate::plan::{PlanSpec, PlanStageSpec, TimingPlan};
use crate::sequencer::{Phase, Sequencer};
use crate::site::Site;
use crate::time::{Duration, Instant};

/// The isolated intersection's site.
pub(crate) fn site() -> Arc<Site> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors/isolated.toml");
    let corridor = load::corridor(&path).unwrap();
    Arc::new(Site::new(&corridor, corridor.node_by_id("J1").unwrap()).unwrap())
}

/// A plan of stages 1+5, 2+6, 3+7, 4+8 with greens 10, 30, 8, 15 s and maximum greens 20,
/// 40, 20, 30 s.
pub(crate) fn plan(site: &Site) -> TimingPlan {
    plan_with(site, (30.0, 40.0), (15.0, 30.0), None)
}

/// The same four stages with the main street's and the side street's (plan green, maximum
/// green) given, 2+6 and 4+8, and a maximum cycle if given.
pub(crate) fn plan_with(
    site: &Site,
    main: (f64, f64),
    side: (f64, f64),
    max_cycle_s: Option<f64>,
) -> TimingPlan {
    let stage = |id: &str, (green_s, max): (f64, f64)| PlanStageSpec {
        stage: id.into(),
        green_s,
        min_green_s: None,
        max_green_s: Some(max),
    };
    let spec = PlanSpec {
        plan_id: "test".into(),
        version: 1,
        pattern: None,
        intersection: None,
        cycle_s: 10.0 + main.0 + 8.0 + side.0 + 24.0,
        offset_s: 0.0,
        max_cycle_s,
        stages: vec![
            stage("1+5", (10.0, 20.0)),
            stage("2+6", main),
            stage("3+7", (8.0, 20.0)),
            stage("4+8", side),
        ],
    };
    TimingPlan::from_spec(&spec, &site.intersection).unwrap()
}

pub(crate) struct Rig<C: Controller> {
    pub site: Arc<Site>,
    pub seq: Sequencer,
    pub interlock: Interlock,
    pub estimator: Estimator,
    pub ctl: C,
    pub samples: Vec<DetectorSample>,
    pub neighbours: Neighbours,
    pub now: Instant,
    /// The site's push buttons: group and channel.
    buttons: Vec<(crate::model::GroupIndex, u8)>,
}

impl<C: Controller> Rig<C> {
    pub fn new(site: Arc<Site>, ctl: C) -> Self {
        let ix = site.intersection.clone();
        Rig {
            seq: Sequencer::new(ix.clone(), Instant::ZERO),
            interlock: Interlock::new(ix, SafeState::AllRed, Instant::ZERO),
            estimator: Estimator::new(site.clone(), EstimatorParams::default(), Instant::ZERO),
            ctl,
            samples: vec![DetectorSample::default(); site.channels().max(20)],
            neighbours: Neighbours::default(),
            buttons: site.pedestrian_buttons(),
            site,
            now: Instant::ZERO,
        }
    }

    /// Runs for `secs` seconds at 10 Hz; `drive` sets the loops each tick.
    pub fn run(&mut self, secs: f64, mut drive: impl FnMut(f64, &mut [DetectorSample])) {
        let end = self.now + Duration::from_secs_f64(secs);
        while self.now < end {
            self.now += Duration::from_millis(100);
            drive(self.now.as_secs_f64(), &mut self.samples);
            crate::site::press_buttons(&self.buttons, &self.samples, &mut self.seq);
            self.estimator
                .update(self.now, &self.samples, self.seq.state());
            let inputs = Inputs {
                buses: &[],
                detectors: &self.samples,
                estimate: self.estimator.estimate(),
                neighbours: &self.neighbours,
            };
            let decided = self.ctl.decide(self.now, &inputs, &self.seq);
            self.seq.end_walks_by(self.ctl.walks_by());
            self.seq.end_entering_walks_by(self.ctl.entering_walks_by());
            if let Some(s) = decided {
                self.seq.request(s).unwrap();
            }
            let state = self.seq.poll(self.now).clone();
            assert_eq!(self.interlock.check(self.now, &state), Check::Passed);
        }
    }

    /// Runs in steps of 0.1 s until `until` holds, for at most `secs`; returns when it held.
    pub fn run_until(
        &mut self,
        secs: f64,
        mut drive: impl FnMut(f64, &mut [DetectorSample]),
        until: impl Fn(&Self) -> bool,
    ) -> Option<f64> {
        let start = self.now.as_secs_f64();
        while self.now.as_secs_f64() - start < secs {
            self.run(0.1, &mut drive);
            if until(self) {
                return Some(self.now.as_secs_f64() - start);
            }
        }
        None
    }

    /// Runs for `secs`, returning each stage's green: the stage, when it began and when it
    /// ended (s).
    pub fn greens(
        &mut self,
        secs: f64,
        mut drive: impl FnMut(f64, &mut [DetectorSample]),
    ) -> Vec<(String, f64, f64)> {
        let mut out: Vec<(String, f64, f64)> = Vec::new();
        let mut running = false;
        let end = self.now.as_secs_f64() + secs;
        while self.now.as_secs_f64() < end {
            self.run(0.1, &mut drive);
            let now = self.now.as_secs_f64();
            match self.stage() {
                Some(stage) if running && out.last().is_some_and(|(last, ..)| *last == stage) => {
                    out.last_mut().unwrap().2 = now;
                }
                Some(stage) => {
                    out.push((stage, now, now));
                    running = true;
                }
                None => running = false,
            }
        }
        out
    }

    /// The stage running (all its groups green), if any.
    pub fn stage(&self) -> Option<String> {
        match self.seq.phase() {
            Phase::Dwell { stage, .. } => Some(self.site.intersection.stage(stage).id.clone()),
            _ => None,
        }
    }
}

/// J1 of `arterial-4-peds`: the NEMA intersection with a walk beside each through phase (P2,
/// P4, P6, P8) and a push button for each, on channels 20 to 23.
pub(crate) fn peds_site() -> Arc<Site> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/corridors/arterial-4-peds.toml");
    let corridor = load::corridor(&path).unwrap();
    Arc::new(Site::new(&corridor, corridor.node_by_id("J1").unwrap()).unwrap())
}

/// The Webster plan of [`peds_site`] (cycle 120 s; 2+6, 3+7, 4+8, 1+5).
pub(crate) fn peds_plan(site: &Site) -> TimingPlan {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/plans/arterial-peds-webster/J1.toml");
    load::plan_for(&path, &site.intersection).unwrap()
}

/// The push button of walk `id` at [`peds_site`], pressed every `every` seconds.
pub(crate) fn pushes(site: &Site, id: &str, every: f64) -> impl Fn(f64, &mut [DetectorSample]) {
    let (_, channel) = site
        .pedestrian_buttons()
        .into_iter()
        .find(|&(g, _)| site.intersection.group(g).id == id)
        .expect("the walk has a button");
    move |t, s| pulse(t, every, &mut s[usize::from(channel)])
}

/// A vehicle crossing a loop every `every` seconds.
pub(crate) fn pulse(t: f64, every: f64, s: &mut DetectorSample) {
    s.count = (t / every) as u16;
    s.presence = (t % every) < 0.3;
}
