//! Signal control of one simulated junction: controller -> sequencer -> interlock, exactly as
//! in the daemon, fed with the junction's simulated detector samples.

use std::sync::Arc;

use greenwave_controllers::Instant;
use greenwave_controllers::control::{Controller, Inputs, Neighbours, Termination};
use greenwave_controllers::detector::DetectorSample;
use greenwave_controllers::estimate::{Estimator, EstimatorParams, LinkReport};
use greenwave_controllers::interlock::{Check, Interlock, SafeState};
use greenwave_controllers::model::{Aspect, GroupIndex, Intersection, SignalState};

use crate::cabinet::{Cabinet, Drive};
use crate::forecast::Forecast;
use greenwave_controllers::preempt::{PreemptEvent, Preemptor};
use greenwave_controllers::priority::{Prioritiser, PriorityEvent, PriorityRequest};
use greenwave_controllers::sequencer::Sequencer;
use greenwave_controllers::site::{Site, press_buttons};

pub use greenwave_controllers::control::{ControllerError, build_controller};

/// One signalised junction.
pub(crate) struct Junction {
    pub site: String,
    pub ix: Arc<Intersection>,
    controller: Box<dyn Controller>,
    sequencer: Sequencer,
    interlock: Interlock,
    /// What the signal heads show.
    pub shown: SignalState,
    /// When each group last started showing go, s.
    pub go_since: Vec<f32>,
    /// When each group's current go began, if it shows go.
    go_start: Vec<Option<Instant>>,
    /// The cabinet around the junction, when it is served to an external controller.
    pub cabinet: Option<Cabinet>,
    /// Latest detector sample per cabinet channel.
    pub samples: Vec<DetectorSample>,
    /// The demand estimator fed by this junction's loops, and whether it runs (not in a
    /// network where no controller reads an estimate, unless asked for).
    pub estimator: Estimator,
    estimating: bool,
    /// Its controller's outflow forecast, dispersed onto the next stop lines.
    pub forecast: Forecast,
    /// Its estimator's report on each approach link, as of its last tick.
    pub reports: Vec<LinkReport>,
    /// Where the report on each link it feeds is kept among all the reports of a step
    /// ([`Estimator::out_links`] order).
    pub downstream: Vec<Option<usize>>,
    /// Stage requests the sequencer refused.
    pub controller_errors: u32,
    /// Interlock trips (0 in a correct run), with the first one described.
    pub trips: u32,
    pub first_trip: Option<String>,
    /// The push buttons of its pedestrian groups: (group, channel).
    buttons: Vec<(GroupIndex, u8)>,
    /// Its emergency preemption.
    preemptor: Preemptor,
    /// What its preemption did.
    pub preemption: PreemptionLog,
    /// Its transit priority, and whether it runs.
    prioritiser: Prioritiser,
    priority_on: bool,
    /// What its transit priority did.
    pub priority: PriorityLog,
    /// What its preemption and priority reported in the last step, for the event log.
    pub reported: Vec<Reported>,
}

/// A report of preemption or transit priority.
#[derive(Clone, Debug, PartialEq)]
pub enum Reported {
    /// From emergency preemption.
    Preempt(PreemptEvent),
    /// From transit priority.
    Priority(PriorityEvent),
}

impl Junction {
    pub(crate) fn new(site: Arc<Site>, controller: Box<dyn Controller>) -> Self {
        let ix = site.intersection.clone();
        let n = ix.groups().len();
        let channels = site.channels();
        let mut junction = Junction {
            site: site.id.clone(),
            buttons: site.pedestrian_buttons(),
            preemptor: Preemptor::new(&site),
            preemption: PreemptionLog::default(),
            prioritiser: {
                let mut p = Prioritiser::new(&site);
                p.set_keeps_cycle(greenwave_controllers::control::keeps_the_plan_cycle(
                    controller.name(),
                ));
                p
            },
            priority_on: true,
            priority: PriorityLog::default(),
            reported: Vec::new(),
            estimator: Estimator::new(site, EstimatorParams::default(), Instant::ZERO),
            estimating: true,
            forecast: Forecast::default(),
            reports: Vec::new(),
            downstream: Vec::new(),
            sequencer: Sequencer::new(ix.clone(), Instant::ZERO),
            interlock: Interlock::new(ix.clone(), SafeState::AllRed, Instant::ZERO),
            ix,
            controller,
            shown: SignalState::uniform(n, Aspect::Red),
            go_since: vec![0.0; n],
            go_start: vec![None; n],
            cabinet: None,
            samples: vec![DetectorSample::default(); channels],
            controller_errors: 0,
            trips: 0,
            first_trip: None,
        };
        junction.refresh_reports();
        junction
    }

    /// Turns transit priority off (or on again).
    pub(crate) fn set_priority(&mut self, on: bool) {
        self.priority_on = on;
    }

    /// Passes a bus's AVL request on to its transit priority (ignored while priority is off).
    pub(crate) fn request_priority(&mut self, now: Instant, request: PriorityRequest) {
        if self.priority_on {
            // A refusal is logged with its reason; the run goes on.
            let _ = self.prioritiser.request(now, &self.sequencer, request);
            self.log_priority();
        }
    }

    /// A bus's AVL check-out.
    pub(crate) fn cancel_priority(&mut self, vehicle: &str) {
        self.prioritiser.cancel(vehicle);
        self.log_priority();
    }

    fn log_priority(&mut self) {
        for event in self.prioritiser.take_events() {
            self.priority.record(&event);
            self.reported.push(Reported::Priority(event));
        }
    }

    /// Brings the dispersed outflow forecast up to date with the controller's.
    pub(crate) fn refresh_forecast(
        &mut self,
        links: &[crate::net::SimLink],
        link_index: &std::collections::BTreeMap<String, usize>,
    ) {
        self.forecast
            .refresh(self.controller.outflow(), links, link_index);
    }

    /// Why the greens being ended end, as the controller says (not while a cabinet drives).
    pub(crate) fn termination(&self) -> Option<Termination> {
        match &self.cabinet {
            None => self.controller.termination(),
            Some(_) => None,
        }
    }

    /// Whether its controller reads the demand estimate.
    pub(crate) fn reads_estimate(&self) -> bool {
        self.controller.reads_estimate()
    }

    /// Runs its estimator at every tick, or not at all.
    pub(crate) fn set_estimating(&mut self, on: bool) {
        self.estimating = on;
        self.refresh_reports();
    }

    /// Keeps its estimator's reports on its approach links (none while it does not run).
    pub(crate) fn refresh_reports(&mut self) {
        self.reports.clear();
        if self.estimating {
            self.reports
                .extend(self.estimator.link_reports().map(|(_, r)| r));
        }
    }

    /// Runs one control tick at `now` with what the neighbours report (`reports`: every link
    /// report of the step, where `downstream` points); returns true when the shown state
    /// changed.
    pub(crate) fn tick(
        &mut self,
        now: Instant,
        neighbours: &Neighbours,
        reports: &[LinkReport],
    ) -> bool {
        if self.estimating {
            let rates = self
                .downstream
                .iter()
                .map(|slot| slot.map(|i| reports[i].arrival_veh_h / 3600.0));
            self.estimator.observe_downstream_rates(rates);
            self.estimator.update(now, &self.samples, &self.shown);
        }
        self.reported.clear();
        let drive = match &mut self.cabinet {
            None => Drive::Local,
            Some(cabinet) => cabinet.drive(
                now,
                &mut self.sequencer,
                &mut self.interlock,
                &self.shown,
                &self.go_start,
            ),
        };
        let proposed = match drive {
            Drive::Local => {
                let buses = if self.priority_on {
                    self.prioritiser
                        .bus_calls(now, self.sequencer.intersection().priority())
                } else {
                    Vec::new()
                };
                let inputs = Inputs {
                    detectors: &self.samples,
                    estimate: self.estimator.estimate(),
                    neighbours,
                    buses: &buses,
                };
                press_buttons(&self.buttons, &self.samples, &mut self.sequencer);
                let preempting = self
                    .preemptor
                    .update(now, &self.samples, &mut self.sequencer);
                for event in self.preemptor.take_events() {
                    self.preemption.record(&event);
                    self.reported.push(Reported::Preempt(event));
                }
                let decided = if preempting {
                    None
                } else {
                    let decided = self.controller.decide(now, &inputs, &self.sequencer);
                    self.sequencer.end_walks_by(self.controller.walks_by());
                    self.sequencer
                        .end_entering_walks_by(self.controller.entering_walks_by());
                    if self.priority_on {
                        self.prioritiser.adjust(
                            now,
                            &self.samples,
                            &self.sequencer,
                            decided,
                            &*self.controller,
                        )
                    } else {
                        decided
                    }
                };
                self.log_priority();
                if let Some(stage) = decided {
                    // A controller names only stages of its own intersection; count any slip.
                    if self.sequencer.request(stage).is_err() {
                        self.controller_errors += 1;
                    }
                }
                Some(self.sequencer.poll(now))
            }
            Drive::WindingDown => Some(self.sequencer.poll(now)),
            Drive::Show(commanded) => Some(commanded),
            Drive::Flash => None,
        };
        let mut flash = proposed.is_none();
        if let Some(proposed) = proposed
            && let Check::Tripped(v) = self.interlock.check(now, proposed)
        {
            self.trips += 1;
            self.first_trip
                .get_or_insert_with(|| format!("{}: {v}", self.site));
            // A cabinet's conflict monitor goes to flash at once.
            if let Some(cabinet) = &mut self.cabinet {
                cabinet.trip();
                flash = true;
            }
        }
        let flashing;
        let out = if flash {
            flashing = SignalState::uniform(self.shown.len(), Aspect::FlashingAmber);
            &flashing
        } else {
            self.interlock.output()
        };
        if *out == self.shown {
            return false;
        }
        for (g, a) in out.iter() {
            let was_go = self.shown.get(g).is_go();
            if a.is_go() && !was_go {
                self.go_since[g.get()] = now.as_secs_f64() as f32;
                self.go_start[g.get()] = Some(now);
            } else if !a.is_go() {
                self.go_start[g.get()] = None;
            }
        }
        self.shown.clone_from(out);
        true
    }
}

/// What one junction's transit priority did.
#[derive(Clone, Debug, Default)]
pub(crate) struct PriorityLog {
    /// Buses that checked in.
    pub check_ins: u32,
    /// Early greens and green extensions given.
    pub early: u32,
    pub extended: u32,
    /// Requests refused.
    pub refused: u32,
}

impl PriorityLog {
    fn record(&mut self, event: &PriorityEvent) {
        match event {
            PriorityEvent::CheckIn { .. } => self.check_ins += 1,
            PriorityEvent::EarlyGreen { .. } => self.early += 1,
            PriorityEvent::ExtendGreen { .. } => self.extended += 1,
            PriorityEvent::Refused { .. } => self.refused += 1,
            PriorityEvent::CheckOut { .. } => {}
        }
    }
}

/// What one junction's preemption did.
#[derive(Clone, Debug, Default)]
pub(crate) struct PreemptionLog {
    /// Calls that took the signals.
    pub calls: u32,
    /// From each call to its green, s.
    pub call_to_green_s: Vec<f64>,
    /// Calls dropped as stuck.
    pub stuck: u32,
}

impl PreemptionLog {
    fn record(&mut self, event: &PreemptEvent) {
        match event {
            PreemptEvent::Began { .. } => self.calls += 1,
            PreemptEvent::Served { after, .. } => self.call_to_green_s.push(after.as_secs_f64()),
            PreemptEvent::Stuck { .. } => self.stuck += 1,
            PreemptEvent::Ended { .. } => {}
        }
    }
}
