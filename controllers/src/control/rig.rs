//! A test rig for controllers: the isolated NEMA intersection of `config/`, a sequencer, the
//! interlock checking every state, the estimator, and loops driven by the test at 10 Hz.
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
}

impl<C: Controller> Rig<C> {
    pub fn new(site: Arc<Site>, ctl: C) -> Self {
        let ix = site.intersection.clone();
        Rig {
            seq: Sequencer::new(ix.clone(), Instant::ZERO),
            interlock: Interlock::new(ix, SafeState::AllRed, Instant::ZERO),
            estimator: Estimator::new(site.clone(), EstimatorParams::default(), Instant::ZERO),
            ctl,
            samples: vec![DetectorSample::default(); 20],
            neighbours: Neighbours::default(),
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
            self.estimator
                .update(self.now, &self.samples, self.seq.state());
            let inputs = Inputs {
                buses: &[],
                detectors: &self.samples,
                estimate: self.estimator.estimate(),
                neighbours: &self.neighbours,
            };
            if let Some(s) = self.ctl.decide(self.now, &inputs, &self.seq) {
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

    /// The stage running (all its groups green), if any.
    pub fn stage(&self) -> Option<String> {
        match self.seq.phase() {
            Phase::Dwell { stage, .. } => Some(self.site.intersection.stage(stage).id.clone()),
            _ => None,
        }
    }
}

/// A vehicle crossing a loop every `every` seconds.
pub(crate) fn pulse(t: f64, every: f64, s: &mut DetectorSample) {
    s.count = (t / every) as u16;
    s.presence = (t % every) < 0.3;
}
