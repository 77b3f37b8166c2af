//! Emergency-vehicle preemption calls (NTCIP 1202 preempt; MUTCD 4D.27): from the cabinet's
//! preemption inputs to the sequencer.
//!
//! A call takes the signals at once for the dwell stage of its approach ([`Sequencer::preempt`]);
//! while it holds them the controller does not decide. When the call clears the controller takes
//! over again from the dwell stage. A call from an approach of higher priority takes the signals
//! from a running one; otherwise the first call keeps them until it clears. A call that stays
//! longer than the intersection's `max_call_s` is stuck: it is dropped with a fault and ignored
//! until its input clears, so a failed detector cannot hold a green for ever.
//!
//! A call may also come from central operations (a dispatcher's request over MQTT): it holds
//! like an input until cleared, and a remote call that outstays `max_call_s` is dropped the
//! same way, with a fault.

use crate::detector::{DetectorSample, FaultCode};
use crate::model::{Approach, Intersection, StageIndex};
use crate::sequencer::Sequencer;
use crate::site::Site;
use crate::time::{Duration, Instant};

/// Something the preemptor did, for the event log and telemetry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PreemptEvent {
    /// A call from `approach` took the signals for `stage`.
    Began {
        /// The approach the emergency vehicle comes from.
        approach: Approach,
        /// The dwell stage.
        stage: StageIndex,
    },
    /// The dwell stage showed green for the call, `after` its beginning.
    Served {
        /// The approach.
        approach: Approach,
        /// From the call to the green.
        after: Duration,
    },
    /// The call from `approach` cleared; control returns to the controller.
    Ended {
        /// The approach.
        approach: Approach,
    },
    /// The call from `approach` lasted longer than allowed and was dropped.
    Stuck {
        /// The approach.
        approach: Approach,
    },
}

#[derive(Clone, Copy, Debug)]
struct Running {
    approach: Approach,
    since: Instant,
    stage: StageIndex,
    served: bool,
}

/// The preemption of one intersection.
#[derive(Clone, Debug)]
pub struct Preemptor {
    /// Cabinet inputs: approach and channel.
    inputs: Vec<(Approach, u8)>,
    running: Option<Running>,
    /// Approaches whose call got stuck, ignored until it clears.
    stuck: Vec<Approach>,
    /// Calls from central operations, held until cleared.
    remote: Vec<Approach>,
    events: Vec<PreemptEvent>,
}

impl Preemptor {
    /// The preemption of `site`, from its detectors of kind `preemption`.
    pub fn new(site: &Site) -> Preemptor {
        Preemptor::with_inputs(site.preemption_inputs())
    }

    /// A preemption with these inputs: `(approach, channel)`.
    pub fn with_inputs(inputs: Vec<(Approach, u8)>) -> Preemptor {
        Preemptor {
            inputs,
            running: None,
            stuck: Vec::new(),
            remote: Vec::new(),
            events: Vec::new(),
        }
    }

    /// A call from central operations for a vehicle from `approach`; refused, with the reason,
    /// where no stage serves that approach.
    pub fn call(&mut self, approach: Approach, ix: &Intersection) -> Result<(), String> {
        if ix.preemption().dwell(approach).is_none() {
            return Err(format!("no stage serves approach `{approach}`"));
        }
        if !self.remote.contains(&approach) {
            self.remote.push(approach);
        }
        Ok(())
    }

    /// Clears a call from central operations.
    pub fn clear(&mut self, approach: Approach) {
        self.remote.retain(|&a| a != approach);
    }

    /// Whether a call holds the signals.
    pub fn active(&self) -> bool {
        self.running.is_some()
    }

    /// What happened since the last call of this function.
    pub fn take_events(&mut self) -> Vec<PreemptEvent> {
        std::mem::take(&mut self.events)
    }

    /// The approaches calling at `now`, in input order.
    fn calling(&mut self, samples: &[DetectorSample]) -> Vec<Approach> {
        let mut calling: Vec<Approach> = self
            .inputs
            .iter()
            .filter(|&&(_, ch)| {
                samples
                    .get(usize::from(ch))
                    .is_some_and(|s| s.presence && s.fault == FaultCode::Ok)
            })
            .map(|&(a, _)| a)
            .chain(self.remote.iter().copied())
            .collect();
        let mut seen = Vec::with_capacity(calling.len());
        calling.retain(|a| {
            let first = !seen.contains(a);
            seen.push(*a);
            first
        });
        // A stuck call is ignored until its input clears.
        self.stuck.retain(|a| calling.contains(a));
        calling.retain(|a| !self.stuck.contains(a));
        calling
    }

    /// Runs at `now` with the cabinet's `samples`: starts, switches or ends a call on
    /// `sequencer`. True while a call holds the signals (the controller must not decide).
    pub fn update(
        &mut self,
        now: Instant,
        samples: &[DetectorSample],
        sequencer: &mut Sequencer,
    ) -> bool {
        if self.inputs.is_empty() && self.remote.is_empty() && self.running.is_none() {
            return false;
        }
        let ix = sequencer.intersection().clone();
        let rules = ix.preemption();
        if let Some(r) = self.running
            && now - r.since > rules.max_call
        {
            self.stuck.push(r.approach);
            self.remote.retain(|&a| a != r.approach);
            self.events.push(PreemptEvent::Stuck {
                approach: r.approach,
            });
            self.end(r.approach);
        }
        let calling = self.calling(samples);
        if let Some(r) = self.running
            && !calling.contains(&r.approach)
        {
            self.end(r.approach);
        }
        let next = match self.running {
            Some(r) => calling
                .iter()
                .copied()
                .find(|&a| a != r.approach && rules.overrides(a, r.approach)),
            None => first_by_priority(&ix, &calling),
        };
        if let Some(approach) = next
            && let Some(stage) = rules.dwell(approach)
        {
            sequencer.preempt(now, stage);
            self.running = Some(Running {
                approach,
                since: now,
                stage,
                served: false,
            });
            self.events.push(PreemptEvent::Began { approach, stage });
        }
        self.note_green(now, sequencer);
        self.running.is_some()
    }

    fn end(&mut self, approach: Approach) {
        self.running = None;
        self.events.push(PreemptEvent::Ended { approach });
    }

    /// Records when the dwell stage first shows green for the running call.
    fn note_green(&mut self, now: Instant, sequencer: &Sequencer) {
        let Some(r) = self.running.as_mut().filter(|r| !r.served) else {
            return;
        };
        let ix = sequencer.intersection();
        let green = ix.stage(r.stage).groups.iter().any(|g| {
            ix.group(g)
                .movements
                .iter()
                .any(|m| m.approach == r.approach)
                && sequencer.state().get(g).is_go()
        });
        if green {
            r.served = true;
            self.events.push(PreemptEvent::Served {
                approach: r.approach,
                after: now - r.since,
            });
        }
    }
}

/// The calling approach of highest priority, or the first calling.
fn first_by_priority(ix: &Intersection, calling: &[Approach]) -> Option<Approach> {
    let rules = ix.preemption();
    rules
        .priority
        .iter()
        .copied()
        .find(|a| calling.contains(a))
        .or_else(|| calling.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interlock::{Check, Interlock, SafeState};
    use crate::model::Aspect;
    use crate::test_support::*;

    /// Runs `seq` and `pre` in 0.1 s steps from `from` to `until` with the emergency input
    /// (channel 0) on while `call(t)`; every state must pass the interlock.
    fn run(
        seq: &mut Sequencer,
        pre: &mut Preemptor,
        il: &mut Interlock,
        from: f64,
        until: f64,
        call: impl Fn(f64) -> bool,
    ) -> Vec<PreemptEvent> {
        let mut events = Vec::new();
        let mut t = from;
        while t <= until + 1e-9 {
            let samples = [DetectorSample {
                presence: call(t),
                ..DetectorSample::default()
            }];
            pre.update(secs(t), &samples, seq);
            let state = seq.poll(secs(t)).clone();
            assert_eq!(
                il.check(secs(t), &state),
                Check::Passed,
                "at {t:.1} s: {state}"
            );
            events.extend(pre.take_events());
            t += 0.1;
        }
        events
    }

    #[test]
    fn a_call_ends_the_running_greens_through_their_clearance_and_greens_its_approach() {
        let ix = intersection(NEMA_4LEG);
        let mut seq = Sequencer::new(ix.clone(), secs(0.0));
        let mut il = Interlock::new(ix.clone(), SafeState::AllRed, secs(0.0));
        let mut pre = Preemptor::with_inputs(vec![(Approach::NB, 0)]);
        seq.request(ix.stage_by_id("2+6").unwrap()).unwrap();
        run(&mut seq, &mut pre, &mut il, 0.0, 30.0, |_| false);
        assert_eq!(aspect(&ix, seq.state(), "2"), Aspect::Green);
        // The northbound vehicle calls at 30 s and clears at 60 s.
        let events = run(&mut seq, &mut pre, &mut il, 30.1, 80.0, |t| t < 60.0);
        let dwell = ix.stage_by_id("4+7").unwrap();
        assert_eq!(
            events.first(),
            Some(&PreemptEvent::Began {
                approach: Approach::NB,
                stage: dwell
            })
        );
        // Amber 4 s and all red 2 s of phases 2 and 6, then 4 and 7 green.
        let served = events.iter().find_map(|e| match e {
            PreemptEvent::Served { after, .. } => Some(after.as_secs_f64()),
            _ => None,
        });
        assert!(
            served.is_some_and(|s| (6.0..=6.2).contains(&s)),
            "{served:?}"
        );
        assert!(events.contains(&PreemptEvent::Ended {
            approach: Approach::NB
        }));
        assert!(!pre.active());
    }

    /// On `text` (the peds intersection, its preemption rules as given): a walk across the
    /// arterial (P4) starts, and an eastbound emergency vehicle calls 1 s into it. Returns how
    /// long the walk showed, how long its flashing don't walk, and the call to green.
    fn call_in_a_walk(text: &str) -> (f64, f64, f64) {
        let ix = intersection(text);
        let mut seq = Sequencer::new(ix.clone(), secs(0.0));
        let mut il = Interlock::new(ix.clone(), SafeState::AllRed, secs(0.0));
        let mut pre = Preemptor::with_inputs(vec![(Approach::EB, 0)]);
        let p4 = ix.group_by_id("P4").unwrap();
        seq.request(ix.stage_by_id("4+8").unwrap()).unwrap();
        seq.call_pedestrian(p4);
        let (mut walk, mut clearance) = ((None, None), (None, None));
        let mut served = None;
        let mut t = 0.0;
        while t < 120.0 && served.is_none() {
            let call_from = walk.0.map(|w: f64| w + 1.0);
            let events = run(&mut seq, &mut pre, &mut il, t, t, |t| {
                call_from.is_some_and(|c| t >= c)
            });
            let shown = aspect(&ix, seq.state(), "P4");
            match shown {
                Aspect::Green if walk.0.is_none() => walk.0 = Some(t),
                Aspect::FlashingDontWalk if clearance.0.is_none() => {
                    (walk.1, clearance.0) = (Some(t), Some(t));
                }
                Aspect::Red if clearance.0.is_some() && clearance.1.is_none() => {
                    clearance.1 = Some(t);
                }
                _ => {}
            }
            served = served.or(events.iter().find_map(|e| match e {
                PreemptEvent::Served { after, .. } => Some(after.as_secs_f64()),
                _ => None,
            }));
            t += 0.1;
        }
        let span = |(from, to): (Option<f64>, Option<f64>)| to.unwrap() - from.unwrap();
        (span(walk), span(clearance), served.unwrap())
    }

    #[test]
    fn a_walk_is_cut_as_far_as_the_rules_allow_and_its_clearance_is_served_in_full() {
        // 21 m at 1.07 m/s: the flashing don't walk is never cut.
        let clearance = 21.0 / 1.07;
        // The shipped rules omit the rest of the walk (`min_walk_s = 0`).
        let (walk, fdw, omitted) = call_in_a_walk(NEMA_PEDS);
        assert!((1.0..1.25).contains(&walk), "walk {walk:.1} s");
        assert!(fdw >= clearance - 0.1, "clearance {fdw:.1} s");
        // Without `min_walk_s` a walk is cut as a green is (`min_green_s = 4`).
        let text = NEMA_PEDS.replace("min_walk_s = 0.0\n", "");
        assert_ne!(text, NEMA_PEDS);
        let (walk, fdw, kept) = call_in_a_walk(&text);
        assert!((4.0..4.25).contains(&walk), "walk {walk:.1} s");
        assert!(fdw >= clearance - 0.1, "clearance {fdw:.1} s");
        // The call reaches green the 3 s of walk sooner.
        assert!(
            (kept - omitted - 3.0).abs() < 0.25,
            "{kept:.1} against {omitted:.1} s"
        );
    }

    #[test]
    fn a_stuck_call_is_dropped_with_a_fault_and_ignored_until_it_clears() {
        let ix = intersection(NEMA_4LEG);
        let mut seq = Sequencer::new(ix.clone(), secs(0.0));
        let mut il = Interlock::new(ix.clone(), SafeState::AllRed, secs(0.0));
        let mut pre = Preemptor::with_inputs(vec![(Approach::EB, 0)]);
        // The input never clears: after 120 s the call is dropped for good.
        let events = run(&mut seq, &mut pre, &mut il, 0.0, 200.0, |_| true);
        let stuck = events
            .iter()
            .filter(|e| matches!(e, PreemptEvent::Stuck { .. }))
            .count();
        let began = events
            .iter()
            .filter(|e| matches!(e, PreemptEvent::Began { .. }))
            .count();
        assert_eq!((stuck, began), (1, 1));
        assert!(!pre.active());
        // Cleared and called again: served again.
        run(&mut seq, &mut pre, &mut il, 200.1, 201.0, |_| false);
        let events = run(&mut seq, &mut pre, &mut il, 201.1, 210.0, |_| true);
        assert!(matches!(events.first(), Some(PreemptEvent::Began { .. })));
    }

    #[test]
    fn a_call_from_central_operations_preempts_until_cleared_and_is_dropped_when_stuck() {
        let ix = intersection(NEMA_4LEG);
        let mut seq = Sequencer::new(ix.clone(), secs(0.0));
        let mut il = Interlock::new(ix.clone(), SafeState::AllRed, secs(0.0));
        let mut pre = Preemptor::with_inputs(Vec::new());
        seq.request(ix.stage_by_id("4+8").unwrap()).unwrap();
        run(&mut seq, &mut pre, &mut il, 0.0, 20.0, |_| false);
        pre.call(Approach::EB, &ix).unwrap();
        let events = run(&mut seq, &mut pre, &mut il, 20.1, 40.0, |_| false);
        assert!(pre.active());
        assert!(matches!(
            events.first(),
            Some(PreemptEvent::Began {
                approach: Approach::EB,
                ..
            })
        ));
        assert_eq!(aspect(&ix, seq.state(), "2"), Aspect::Green);
        pre.clear(Approach::EB);
        let events = run(&mut seq, &mut pre, &mut il, 40.1, 41.0, |_| false);
        assert!(!pre.active());
        assert!(matches!(events.first(), Some(PreemptEvent::Ended { .. })));
        // A call nobody clears outstays max_call_s (120 s): dropped with a fault.
        pre.call(Approach::WB, &ix).unwrap();
        let events = run(&mut seq, &mut pre, &mut il, 41.1, 200.0, |_| false);
        assert!(
            events
                .iter()
                .any(|e| matches!(e, PreemptEvent::Stuck { .. }))
        );
        assert!(!pre.active());
    }

    /// The error NEMA_4LEG with `preemption` as its `[preemption]` section gives.
    fn refusal(preemption: &str) -> String {
        let text = format!("{NEMA_4LEG}\n[preemption]\n{preemption}\n");
        let parsed: crate::model::IntersectionSpec =
            crate::load::parse_toml(std::path::Path::new("x.toml"), &text).unwrap();
        crate::model::Intersection::from_spec(&parsed)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn an_unknown_dwell_stage_is_refused_by_name() {
        let err = refusal("dwell = { eb = \"9+9\" }");
        assert!(
            err.contains("preemption.dwell.eb") && err.contains("9+9"),
            "{err}"
        );
    }

    #[test]
    fn a_walk_cut_out_of_range_is_refused_by_name() {
        let err = refusal("min_walk_s = -1.0");
        assert!(
            err.contains("preemption.min_walk_s") && err.contains("-1"),
            "{err}"
        );
    }
}
