//! Transit signal priority: buses check in (a check-in loop upstream, or a request from the
//! transit agency's AVL system over MQTT) and the green of their approach is held for them or
//! brought forward, within the intersection's rules.
//!
//! The strategies are the two of NTCIP 1211 practice that keep the stage order:
//! - **green extension**: while a bus is due and its group shows green, a stage change the
//!   controller asks for is held back, at most `max_extension_s`;
//! - **early green** (red truncation): a bus due within `early_window_s` whose group is red
//!   gets its stage asked for at once. The sequencer still gives every running green its
//!   minimum, every pedestrian clearance and every intergreen: priority only changes which
//!   stage is asked for and when, never how a change runs, and every state still passes the
//!   interlock.
//!
//! Under a controller that keeps the plan's cycle (fixed time, coordinated) only green
//! extension runs: an early green there takes its time from the stage it cuts short, which the
//! plan's clock never gives back (on the arterial peak with a bus every 3 minutes each way, the
//! cut stages lost up to 16 % of car delay to it; extension alone costs 2 to 3 %).
//!
//! The wait bound comes first: a priority is granted, and a hold kept, only where every group
//! waiting would still have its green within the controller's wait bound, or, under an
//! actuated controller (no bound of its own, no cycle to bring its stages round), within
//! `[priority] max_wait_s` (`waits`).
//!
//! Recovery: after a priority, no other is granted until every vehicle group that was waiting
//! (red with a detector occupied) and every pedestrian group with a call when it began has had
//! a green, or `recovery_max_s` has passed,
//! so the approaches the bus jumped are served next. Conditional priority (a minimum lateness or
//! occupancy) applies to requests that carry them; a loop check-in carries neither.
//!
//! Events are those of the Indiana hi-res enumeration: 112 check in, 113 early green, 114
//! extend green, 115 check out; refused requests are reported with their reason.

#[cfg(test)]
mod tests;
mod waits;

use std::collections::BTreeMap;

use crate::control::{BusCall, Controller};
use crate::detector::{DetectorSample, FaultCode};
use crate::model::{Approach, GroupIndex, GroupSet, Intersection, StageIndex, Turn};
use crate::sequencer::Sequencer;
use crate::site::{PriorityInput, Site};
use crate::time::{Duration, Instant};

/// A loop check-in with no check-out is forgotten this long after its bus was due.
const FORGET_AFTER: Duration = Duration::from_secs(60);
/// A request from AVL is forgotten this long after its bus was due, unless renewed.
const REQUEST_GRACE: Duration = Duration::from_secs(30);
/// How long a bus due at the stop line takes to clear it, for the green it needs.
const BUS_PASSAGE: Duration = Duration::from_secs(3);
/// The furthest ahead a request may say its bus is due, s.
pub const MAX_ETA_S: f64 = 600.0;

/// A priority request from the transit agency's AVL system.
#[derive(Clone, Debug, PartialEq)]
pub struct PriorityRequest {
    /// The approach the bus comes from.
    pub approach: Approach,
    /// The bus (its fleet number); a later request from the same bus replaces the earlier one.
    pub vehicle: String,
    /// Its route, for the log.
    pub route: Option<String>,
    /// When it expects to reach the stop line, s from now.
    pub eta_s: f64,
    /// How late it runs against its schedule, s (negative: early), if known.
    pub lateness_s: Option<f64>,
    /// How many people it carries, if known.
    pub occupancy: Option<f64>,
}

/// Something priority did, for the event log, `events` and telemetry.
#[derive(Clone, Debug, PartialEq)]
pub enum PriorityEvent {
    /// A bus checked in (112).
    CheckIn {
        /// Its approach.
        approach: Approach,
        /// The bus.
        vehicle: String,
        /// The TSP number: the approach's group, numbered from 1.
        number: u8,
    },
    /// A bus's stage was asked for early (113).
    EarlyGreen {
        /// Its approach.
        approach: Approach,
        /// The TSP number.
        number: u8,
    },
    /// A green was held for a bus (114).
    ExtendGreen {
        /// Its approach.
        approach: Approach,
        /// The TSP number.
        number: u8,
    },
    /// A bus checked out, or its request lapsed (115).
    CheckOut {
        /// Its approach.
        approach: Approach,
        /// The bus.
        vehicle: String,
        /// The TSP number.
        number: u8,
    },
    /// A request was not taken.
    Refused {
        /// The bus.
        vehicle: String,
        /// Why.
        reason: String,
    },
}

/// The group and stage that serve a bus from one approach.
#[derive(Clone, Copy, Debug)]
struct Serve {
    group: GroupIndex,
    stage: StageIndex,
}

/// One bus asking for priority.
#[derive(Clone, Debug)]
struct Call {
    approach: Approach,
    vehicle: String,
    /// When it is due at the stop line.
    due: Instant,
    /// When it is forgotten without a check-out.
    expires: Instant,
    /// People on board, if it said.
    people: Option<f64>,
    /// Its early green was asked for.
    early: bool,
    /// Its green was held (since when), and whether the hold is spent.
    held_since: Option<Instant>,
    hold_spent: bool,
}

/// After a priority: the groups that still owe a green, and until when at most.
#[derive(Clone, Copy, Debug)]
struct Recovery {
    owed: GroupSet,
    since: Instant,
    until: Instant,
}

/// The transit priority of one intersection.
#[derive(Clone, Debug)]
pub struct Prioritiser {
    inputs: Vec<PriorityInput>,
    /// The last count seen on each input (`None` until the first sample).
    counts: Vec<Option<u16>>,
    serve: BTreeMap<Approach, Serve>,
    /// The vehicle loop channels of each group, to see who waits.
    group_loops: Vec<Vec<u8>>,
    /// Who waits since when, for a controller without a wait bound of its own.
    waits: waits::Waits,
    calls: Vec<Call>,
    recovery: Option<Recovery>,
    /// The stage change held back for a bus, asked for again when the hold ends.
    deferred: Option<StageIndex>,
    /// Whether the controller keeps the plan's cycle (no early green then).
    keeps_cycle: bool,
    loop_buses: u32,
    events: Vec<PriorityEvent>,
}

impl Prioritiser {
    /// The priority of `site`, from its check-in and check-out inputs.
    pub fn new(site: &Site) -> Prioritiser {
        let group_loops = site
            .group_detectors()
            .iter()
            .map(|ds| {
                ds.iter()
                    .filter(|d| d.kind.is_vehicle_loop())
                    .map(|d| d.channel)
                    .collect()
            })
            .collect();
        Prioritiser::with_inputs(&site.intersection, site.priority_inputs(), group_loops)
    }

    /// The priority of `ix` with these `inputs`, `group_loops` holding the vehicle loop
    /// channels of each group. A bus from an approach is served by the group of that
    /// approach's through movement (failing that, its first vehicle movement), in the stage
    /// holding that group that serves the most through movements.
    pub fn with_inputs(
        ix: &Intersection,
        inputs: Vec<PriorityInput>,
        group_loops: Vec<Vec<u8>>,
    ) -> Prioritiser {
        let mut serve = BTreeMap::new();
        for approach in crate::model::approaches_of(ix.groups()) {
            let serves = |turn: Option<Turn>| {
                ix.group_indices().find(|&g| {
                    ix.group(g).movements.iter().any(|m| {
                        m.approach == approach
                            && match turn {
                                Some(t) => m.turn == t,
                                None => m.turn != Turn::Crossing,
                            }
                    })
                })
            };
            let Some(group) = serves(Some(Turn::Through)).or_else(|| serves(None)) else {
                continue;
            };
            // Of the stages holding the group, the one serving the most through movements:
            // the stage the arterial runs anyway, not a special one.
            let throughs = |s: StageIndex| {
                ix.stage(s)
                    .groups
                    .iter()
                    .flat_map(|g| ix.group(g).movements.iter())
                    .filter(|m| m.turn == Turn::Through)
                    .count()
            };
            let stage = (0..ix.stages().len() as u8)
                .map(StageIndex)
                .filter(|&s| ix.stage(s).groups.contains(group))
                .max_by_key(|&s| (throughs(s), std::cmp::Reverse(s.0)));
            if let Some(stage) = stage {
                serve.insert(approach, Serve { group, stage });
            }
        }
        Prioritiser {
            counts: vec![None; inputs.len()],
            inputs,
            serve,
            group_loops,
            waits: waits::Waits::default(),
            calls: Vec::new(),
            recovery: None,
            deferred: None,
            keeps_cycle: false,
            loop_buses: 0,
            events: Vec::new(),
        }
    }

    /// Tells it whether the controller keeps the plan's cycle (see the module docs).
    pub fn set_keeps_cycle(&mut self, keeps: bool) {
        self.keeps_cycle = keeps;
    }

    /// What happened since the last call of this function.
    pub fn take_events(&mut self) -> Vec<PriorityEvent> {
        std::mem::take(&mut self.events)
    }

    /// Whether a bus is being given priority now (its green brought forward or held).
    pub fn acting(&self) -> bool {
        self.calls
            .iter()
            .any(|c| c.early || (c.held_since.is_some() && !c.hold_spent))
    }

    /// Buses asking for priority now.
    pub fn active(&self) -> usize {
        self.calls.len()
    }

    /// The buses asking now, for a controller that weighs delay by people.
    pub fn bus_calls(&self, now: Instant, rules: &crate::model::PriorityRules) -> Vec<BusCall> {
        self.calls
            .iter()
            .filter_map(|c| {
                let serve = self.serve.get(&c.approach)?;
                Some(BusCall {
                    group: serve.group,
                    eta_s: c.due.saturating_since(now).as_secs_f64(),
                    people: c.people.unwrap_or(f64::from(rules.bus_occupancy)),
                })
            })
            .collect()
    }

    /// Whether any bus can ask here: check-in inputs, or approaches a request could name.
    pub fn serves_any(&self) -> bool {
        !self.serve.is_empty()
    }

    /// The TSP number of an approach: its group, numbered from 1.
    fn number(&self, approach: Approach) -> u8 {
        self.serve
            .get(&approach)
            .map_or(0, |s| s.group.0.saturating_add(1))
    }

    /// Takes a request from AVL at `now`; an error (also reported as [`PriorityEvent::Refused`])
    /// says why it was not taken.
    pub fn request(
        &mut self,
        now: Instant,
        sequencer: &Sequencer,
        req: PriorityRequest,
    ) -> Result<(), String> {
        let rules = sequencer.intersection().priority();
        let refusal = if !self.serve.contains_key(&req.approach) {
            Some(format!(
                "no signal group serves approach `{}`",
                req.approach
            ))
        } else if !(req.eta_s.is_finite() && (0.0..=MAX_ETA_S).contains(&req.eta_s)) {
            Some(format!(
                "eta_s {} is out of range (0 to {MAX_ETA_S} s)",
                req.eta_s
            ))
        } else if let Some(n) = req
            .occupancy
            .filter(|n| !(n.is_finite() && (0.0..=300.0).contains(n)))
        {
            Some(format!("occupancy {n} is out of range (0 to 300)"))
        } else if let Some(l) = req
            .lateness_s
            .filter(|l| !(l.is_finite() && l.abs() <= 3600.0))
        {
            Some(format!("lateness_s {l} is out of range (-3600 to 3600 s)"))
        } else if req.vehicle.is_empty() {
            Some("the vehicle is not named".into())
        } else {
            rules.refusal(
                req.lateness_s,
                req.occupancy.unwrap_or(f64::from(rules.bus_occupancy)),
            )
        };
        if let Some(reason) = refusal {
            self.events.push(PriorityEvent::Refused {
                vehicle: req.vehicle,
                reason: reason.clone(),
            });
            return Err(reason);
        }
        let due = now + Duration::from_secs_f64(req.eta_s);
        match self.calls.iter_mut().find(|c| c.vehicle == req.vehicle) {
            Some(call) => {
                call.due = due;
                call.expires = due + REQUEST_GRACE;
            }
            None => {
                self.check_in(req.approach, req.vehicle, due, due + REQUEST_GRACE);
                if let Some(call) = self.calls.last_mut() {
                    call.people = req.occupancy;
                }
            }
        }
        Ok(())
    }

    /// Takes a check-out from AVL: the bus has passed (or will not come).
    pub fn cancel(&mut self, vehicle: &str) {
        if let Some(i) = self.calls.iter().position(|c| c.vehicle == vehicle) {
            self.check_out(i);
        }
    }

    fn check_in(&mut self, approach: Approach, vehicle: String, due: Instant, expires: Instant) {
        self.events.push(PriorityEvent::CheckIn {
            approach,
            vehicle: vehicle.clone(),
            number: self.number(approach),
        });
        self.calls.push(Call {
            approach,
            vehicle,
            due,
            expires,
            people: None,
            early: false,
            held_since: None,
            hold_spent: false,
        });
    }

    fn check_out(&mut self, i: usize) {
        let call = self.calls.remove(i);
        self.events.push(PriorityEvent::CheckOut {
            approach: call.approach,
            number: self.number(call.approach),
            vehicle: call.vehicle,
        });
    }

    /// Reads the check-in and check-out inputs: every count (or, on a cabinet without counts,
    /// every rising edge of presence) is one bus.
    fn read_inputs(&mut self, now: Instant, samples: &[DetectorSample]) {
        for i in 0..self.inputs.len() {
            let input = self.inputs[i];
            let Some(s) = samples.get(usize::from(input.channel)) else {
                continue;
            };
            if s.fault != FaultCode::Ok {
                continue;
            }
            let pulses = match self.counts[i] {
                Some(last) => s.count.wrapping_sub(last),
                None => 0,
            };
            self.counts[i] = Some(s.count);
            for _ in 0..pulses.min(4) {
                if input.check_in {
                    self.loop_buses += 1;
                    let eta = input.distance_m / input.speed_mps.max(1.0);
                    let due = now + Duration::from_secs_f64(eta);
                    let name = format!("check-in {}", self.loop_buses);
                    self.check_in(input.approach, name, due, due + FORGET_AFTER);
                } else if let Some(k) = self.calls.iter().position(|c| c.approach == input.approach)
                {
                    self.check_out(k);
                }
            }
        }
    }

    /// Runs at `now` between the controller and the sequencer: reads the priority inputs in
    /// `samples`, and returns the stage to ask for instead of the controller's `decided` (which
    /// it returns unchanged when no bus is due). The `controller`'s wait bound comes first: a
    /// priority is granted only where it lets every waiting group have its green within the
    /// bound ([`Controller::priority_fits`]), and when the controller asks for `decided` on its
    /// wait bound, no priority holds that back or takes its place and a priority running ends
    /// there (its recovery still runs).
    pub fn adjust(
        &mut self,
        now: Instant,
        samples: &[DetectorSample],
        sequencer: &Sequencer,
        decided: Option<StageIndex>,
        controller: &dyn Controller,
    ) -> Option<StageIndex> {
        self.read_inputs(now, samples);
        if !self.keeps_cycle {
            self.waits
                .observe(now, sequencer, samples, &self.group_loops);
        }
        while let Some(i) = self.calls.iter().position(|c| now >= c.expires) {
            self.check_out(i);
        }
        self.recover(now, sequencer);
        let ix = sequencer.intersection();
        let rules = ix.priority();
        if !rules.enabled {
            self.calls.clear();
            return decided;
        }
        if controller.on_wait_bound() {
            for c in &mut self.calls {
                if c.early || c.held_since.is_some() {
                    c.early = false;
                    c.hold_spent = true;
                }
            }
            self.deferred = None;
            return decided;
        }
        // The bus due first.
        let Some(k) = (0..self.calls.len()).min_by_key(|&k| self.calls[k].due) else {
            let deferred = self.deferred.take();
            return decided.or(deferred);
        };
        let approach = self.calls[k].approach;
        let Some(serve) = self.serve.get(&approach).copied() else {
            return decided;
        };
        let number = self.number(approach);
        let has_bus = |s: StageIndex| ix.stage(s).groups.contains(serve.group);
        let going = sequencer.state().get(serve.group).is_go()
            && sequencer.current_stage().is_some_and(has_bus);
        // A bus already being served keeps its priority; a new one waits for the recovery.
        let acting = self.calls[k].early || self.calls[k].held_since.is_some();
        if !acting && self.recovery.is_some() {
            return decided;
        }
        if going {
            let leaving = decided.or(sequencer.pending()).filter(|&s| !has_bus(s));
            let Some(next) = leaving else {
                return decided;
            };
            if self.calls[k].hold_spent {
                return Some(next);
            }
            // Where the bus's stage can come back early, a new hold only for a bus that can be
            // through within it: one due later (still at a stop, or far off) would find the
            // green gone after all, its priority spent and the early green it could have had
            // held back by the recovery. Under a kept cycle (fixed time, coordination) no early
            // green comes and a bus that misses the green waits the cycle: the hold is tried
            // in case it comes sooner.
            if !self.keeps_cycle
                && self.calls[k].held_since.is_none()
                && self.calls[k].due + BUS_PASSAGE > now + rules.max_extension
            {
                return decided;
            }
            let held_since = self.calls[k].held_since.unwrap_or(now);
            let until =
                (self.calls[k].due.max(now) + BUS_PASSAGE).min(held_since + rules.max_extension);
            let running = sequencer.current_stage().unwrap_or(next);
            if !self.fits(now, sequencer, (running, until), controller) {
                self.calls[k].hold_spent = true;
                self.deferred = None;
                return Some(next);
            }
            if self.calls[k].held_since.is_none() {
                self.events
                    .push(PriorityEvent::ExtendGreen { approach, number });
                if self.recovery.is_none() {
                    self.recovery = Some(self.waiting(now, sequencer, serve.group, samples));
                }
                self.calls[k].held_since = Some(now);
            }
            let since = self.calls[k].held_since.unwrap_or(now);
            if now - since >= rules.max_extension {
                self.calls[k].hold_spent = true;
                self.deferred = None;
                return Some(next);
            }
            self.deferred = Some(next);
            // Asking for the running stage withdraws the change.
            return sequencer.current_stage();
        }
        if self.calls[k].hold_spent {
            return decided;
        }
        if controller.brings_buses_forward() {
            // The controller weighs the bus itself; its early green is logged as one.
            let early = decided.is_some_and(has_bus) && controller.bringing_bus_forward();
            if early && !self.calls[k].early {
                self.calls[k].early = true;
                self.events
                    .push(PriorityEvent::EarlyGreen { approach, number });
                self.recovery = Some(self.waiting(now, sequencer, serve.group, samples));
            }
            return decided;
        }
        if !self.calls[k].early {
            if self.keeps_cycle || self.calls[k].due > now + rules.early_window {
                return decided;
            }
            let until = self.calls[k].due.max(now) + BUS_PASSAGE;
            if !self.fits(now, sequencer, (serve.stage, until), controller) {
                return decided;
            }
            self.calls[k].early = true;
            self.events
                .push(PriorityEvent::EarlyGreen { approach, number });
            self.recovery = Some(self.waiting(now, sequencer, serve.group, samples));
        }
        match decided {
            Some(s) if has_bus(s) => Some(s),
            _ => Some(serve.stage),
        }
    }

    /// Whether a priority may keep `stage` green until `until` (bringing it forward when it
    /// is not running): as the controller's wait bound allows, or for a controller without
    /// one, as `[priority] max_wait_s` allows (`waits`); always under one that keeps the
    /// plan's cycle, whose clock brings every stage round (a hold shortens the stages after it).
    fn fits(
        &self,
        now: Instant,
        sequencer: &Sequencer,
        (stage, until): (StageIndex, Instant),
        controller: &dyn Controller,
    ) -> bool {
        controller
            .priority_fits(now, sequencer, stage, until)
            .unwrap_or_else(|| {
                let bound = sequencer.intersection().priority().max_wait;
                self.keeps_cycle || self.waits.fit(now, sequencer, (stage, until), bound)
            })
    }

    /// The recovery owed when a priority for `group` begins at `now`: a new green for every
    /// vehicle group in conflict with it that has a loop occupied (red and waiting, or green
    /// and about to be cut short), and a walk for every pedestrian group in conflict with it
    /// that has a call waiting.
    fn waiting(
        &self,
        now: Instant,
        sequencer: &Sequencer,
        group: GroupIndex,
        samples: &[DetectorSample],
    ) -> Recovery {
        let ix = sequencer.intersection();
        let mut owed = GroupSet::EMPTY;
        for g in ix.group_indices() {
            let occupied = self.group_loops.get(g.get()).is_some_and(|chs| {
                chs.iter().any(|&ch| {
                    samples
                        .get(usize::from(ch))
                        .is_some_and(|s| s.presence && s.fault == FaultCode::Ok)
                })
            });
            let called = sequencer.pedestrian_calls().contains(g);
            if ix.conflicts(g, group) && (occupied || called) {
                owed = owed.with(g);
            }
        }
        Recovery {
            owed,
            since: now,
            until: now + ix.priority().recovery_max,
        }
    }

    /// Ends the recovery once every group owed has had a new green, or its time is up. While a
    /// bus is being served the recovery waits.
    fn recover(&mut self, now: Instant, sequencer: &Sequencer) {
        let Some(r) = &mut self.recovery else { return };
        for g in r.owed.iter() {
            if sequencer.go_start(g).is_some_and(|at| at > r.since) {
                r.owed = r.owed.minus(GroupSet::EMPTY.with(g));
            }
        }
        let serving = self.calls.iter().any(|c| c.early || c.held_since.is_some());
        if !serving && (r.owed == GroupSet::EMPTY || now >= r.until) {
            self.recovery = None;
        }
    }
}
