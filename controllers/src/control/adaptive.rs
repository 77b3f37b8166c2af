//! The adaptive corridor controller: schedule-driven, in the spirit of Surtrac (Xie, Smith and
//! Barlow 2012). At every decision it predicts, in two-second steps over a rolling horizon, the
//! queue of every signal group under each candidate schedule: hold the current stage for a few
//! more seconds, then run the following stages of the plan's order (skipping those without
//! demand), each until its queues clear (within its green bounds). Movements that share lanes
//! discharge together at those lanes' saturation flow (`pools`). Arrivals come from the upstream
//! neighbours' outflow forecasts where they are fresh, else from the local estimate, late by
//! part of the time from the advance loops to the stop line (`unseen`). It keeps
//! the schedule with the least predicted delay, so it extends the current stage only while that
//! pays; while it holds, a group whose queue is gone hands its ring on (`rings`). It stays
//! within the plan's minimum and maximum greens and its maximum cycle, lets no group with a
//! queue or a pedestrian call wait longer than a bound (counted for the vehicles a green left
//! behind from when they arrived, `waits`), keeps the green of a group that waited long until
//! half the queue it found has had time to leave (`found_queue`), and publishes its outflow for
//! the downstream neighbours: its departures of the last 90 s, as its stop-bar loops counted
//! them (`counted`), then its forecast. The prediction itself is in `predict`.
//!
//! The delay it minimises is person delay: a car's second counts once (its 1.3 people), a
//! bus's (from transit priority, with its load) as many times as it carries car-loads of
//! people, so a full bus due in a few seconds holds or brings forward its green where that
//! pays (`predict`).
//!
//! That delay is also weighted for equity: a second of delay counts more the longer its
//! group has waited (`equity`), so a light side street is not left a cycle longer each time
//! the arterial's heavier flow would pay for the seconds it needs.
//!
//! Near saturation it switches, group by group, from progression to queue management: a group
//! whose greens end with a lane still discharging the queue they found (its advance loops tell,
//! `saturation`) holds its green while the queue moves, up to its maximum green, and the
//! maximum cycle keeps room for it while the other stages run (`queue_management`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::departures::DepartureHistory;
use super::outflow::Outflow;
use super::rings::Rings;
use super::{Controller, Inputs, Termination};
use crate::corridor::DetectorKind;
use crate::model::{GroupIndex, StageIndex, Turn};
use crate::plan::TimingPlan;
use crate::sequencer::{Phase, Sequencer, interstage};
use crate::site::Site;
use crate::time::{Duration, Instant};

/// Settings of the adaptive controller.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveParams {
    /// Prediction horizon, s.
    pub horizon_s: f64,
    /// No group with a queue waits longer than this for green, s (pedestrians included).
    pub max_wait_s: f64,
    /// Extensions considered at each decision, in steps of `step_s`, up to this long, s.
    pub max_extension_s: f64,
    /// Step between the extensions considered, s.
    pub step_s: f64,
    /// Start-up loss at the start of a green, s.
    pub startup_lost_s: f64,
    /// A group that waited at least this long for its green keeps it (within the maximum
    /// green and cycle) until `served_share` of the queue it found has had time to leave, s.
    pub long_wait_s: f64,
    /// The share of that queue, 0 to 1.
    pub served_share: f64,
    /// How much more a second of delay counts for a group that has waited the wait bound: it
    /// counts `1 + wait_weight × (wait / max_wait_s)²` times (`equity`); 0 is plain delay.
    pub wait_weight: f64,
    /// Arrivals from the local estimate (vehicles the advance loops have not seen yet) start
    /// this share of the travel time from the advance loop to the stop line late, 0 to 1
    /// (`unseen`).
    pub unseen_share: f64,
}

impl Default for AdaptiveParams {
    fn default() -> Self {
        AdaptiveParams {
            horizon_s: 120.0,
            max_wait_s: 120.0,
            max_extension_s: 30.0,
            step_s: 2.0,
            startup_lost_s: 2.0,
            long_wait_s: 60.0,
            served_share: 0.5,
            wait_weight: 12.0,
            unseen_share: 0.5,
        }
    }
}

impl AdaptiveParams {
    /// An error naming the first setting out of its range.
    fn check(&self) -> Result<(), String> {
        let (lo, hi) = MAX_WAIT_RANGE_S;
        if !(self.max_wait_s.is_finite() && (lo..=hi).contains(&self.max_wait_s)) {
            return Err(format!(
                "maximum wait {} s is out of range ({lo} to {hi} s)",
                self.max_wait_s
            ));
        }
        if !(self.long_wait_s.is_finite() && self.long_wait_s >= 0.0) {
            return Err(format!(
                "long wait {} s is out of range (0 s or more)",
                self.long_wait_s
            ));
        }
        let (lo, hi) = equity::WAIT_WEIGHT_RANGE;
        if !(lo..=hi).contains(&self.wait_weight) {
            return Err(format!(
                "wait weight {} is out of range ({lo} to {hi})",
                self.wait_weight
            ));
        }
        if !(0.0..=1.0).contains(&self.unseen_share) {
            return Err(format!(
                "unseen share {} is out of range (0 to 1)",
                self.unseen_share
            ));
        }
        if !(0.0..=1.0).contains(&self.served_share) {
            return Err(format!(
                "served share {} is out of range (0 to 1)",
                self.served_share
            ));
        }
        Ok(())
    }
}

/// Allowed range of the wait bound, s.
pub const MAX_WAIT_RANGE_S: (f64, f64) = (30.0, 600.0);

/// One movement as the predictor sees it.
#[derive(Clone, Debug)]
struct Flow {
    approach: usize,
    turn: usize,
    group: GroupIndex,
    /// The pool of movements it shares its lanes with (`pools`).
    pool: usize,
    onto: String,
    /// How late its local arrivals start, s (`unseen`).
    unseen_s: f64,
}

/// The adaptive controller of one site.
#[derive(Clone, Debug)]
pub struct Adaptive {
    site: Arc<Site>,
    plan: TimingPlan,
    params: AdaptiveParams,
    flows: Vec<Flow>,
    /// By plan position: which flows its stage serves.
    stage_flows: Vec<Vec<bool>>,
    /// Movements that share lanes, discharging together.
    pools: Vec<pools::Pool>,
    /// Interstage time from each plan stage to each other stage, s.
    between: Vec<Vec<f64>>,
    /// The quickest the plan's order comes round: every stage for its minimum green.
    round: Duration,
    waiting_since: Vec<Option<Instant>>,
    /// How far back each waiting group's clock was set for the queue a green left (`waits`).
    backdated: Vec<Duration>,
    /// When the plan's first stage last started (the start of the current cycle).
    cycle_start: Option<Instant>,
    /// The plan position last seen running, to tell when the order wraps round.
    last_position: Option<usize>,
    /// When each plan position last started its green.
    started: Vec<Option<Instant>>,
    /// Dual-ring stand-ins for plan stages.
    rings: Rings,
    /// Push-button channels of each pedestrian group, and whether it has been called.
    buttons: Vec<Vec<usize>>,
    ped_called: Vec<bool>,
    /// Every channel's count at the last decision.
    last_counts: Vec<Option<u16>>,
    /// The stop-bar loops, for the departures they count, and the links none of them feeds.
    stop_bars: Vec<counted::StopBarFeed>,
    uncountable: BTreeSet<String>,
    /// When the last decision was taken.
    last_decision: Option<Instant>,
    outflow: Outflow,
    /// The green running (plan position, start) and how long it holds for the queue it found.
    serve: Option<(usize, Instant, Duration)>,
    /// How long each group has waited, or waited before its green, s.
    waited: Vec<f64>,
    /// Departures already sent, for the outflow's recent past.
    history: DepartureHistory,
    /// The forecast before the last, its series to be reused.
    spare_forecast: Option<BTreeMap<String, Vec<f64>>>,
    /// The departures of the schedule decided, reused from decision to decision.
    departures: Vec<Vec<f64>>,
    /// Which groups' queues outlast their greens.
    saturation: saturation::Saturation,
    /// Whether the running green found a group that had waited long.
    found_long: bool,
    /// How long each flow's group has waited at this decision, if it is waiting (`equity`).
    flow_waits: Vec<Option<f64>>,
    /// The shortest green of each plan position at this decision, s: its minimum green, or the
    /// walks called in it and the clearances they hold it for (`waits`), as the prediction
    /// must run its later stages.
    least_greens: Vec<f64>,
    /// Why the green being left ends: the wait bound forces it off, the maximum green maxes it
    /// out, the prediction gaps it out (its queue served).
    ending: Option<Termination>,
    /// When the last decision stands until, and what it saw (`cadence`).
    cadence: cadence::Cadence,
    /// How long the last decision held the green, s.
    held_s: f64,
    /// Buses on their way, weighed by their people in the prediction.
    buses: Vec<super::BusCall>,
    /// Whether the stage asked for is asked for on the wait bound (until a green decides
    /// otherwise).
    bound_forced: bool,
    /// When the running green must end for the wait bound, for the walks it may recycle.
    walks_by: Option<Instant>,
    /// While a change to a stage runs, the latest a walk called during it may end (the
    /// stage's wait bound), else `None`.
    entering_walks_by: Option<Instant>,
    /// When the wait bound would first end the running green, as counted at the last decision:
    /// a deadline of that decision (`cadence`).
    bound_due: Option<Instant>,
    /// Whether the stage asked for is a bus's brought forward (`bus_first`).
    bus_brought: bool,
    /// The earliest the running green may end (its minimum greens and walks).
    free: Instant,
}

impl Adaptive {
    /// The controller for `site`, within the stage order and green bounds of `plan`.
    pub fn new(site: Arc<Site>, plan: TimingPlan, params: AdaptiveParams) -> Result<Self, String> {
        params.check()?;
        let ix = site.intersection.clone();
        let mut flows = Vec::new();
        for (a, approach) in site.approaches.iter().enumerate() {
            for m in &approach.movements {
                let (Some(group), Some(turn)) = (m.group, m.turn.index()) else {
                    continue;
                };
                flows.push(Flow {
                    approach: a,
                    turn,
                    group,
                    pool: 0,
                    onto: m.onto.clone(),
                    unseen_s: unseen::loop_to_line_s(approach) * params.unseen_share,
                });
            }
        }
        let lanes: Vec<(usize, Vec<u8>)> = flows
            .iter()
            .map(|f| {
                let turn = Turn::VEHICLE[f.turn];
                let m = site.approaches[f.approach].movement(turn);
                (f.approach, m.map(|m| m.lanes.clone()).unwrap_or_default())
            })
            .collect();
        let (pool_of, pools) = pools::pools(&site, &lanes);
        for (f, p) in flows.iter_mut().zip(pool_of) {
            f.pool = p;
        }
        let stage_flows = stage_flows(&ix, &plan, &flows);
        let n = plan.stages.len();
        let least_greens = (plan.stages.iter())
            .map(|s| s.min_green.as_secs_f64())
            .collect();
        let between = interstages(&ix, &plan);
        let round = (0..n)
            .map(|i| plan.stages[i].min_green + Duration::from_secs_f64(between[i][(i + 1) % n]))
            .fold(Duration::ZERO, |a, b| a + b);
        let buttons = site
            .group_detectors()
            .iter()
            .map(|ds| {
                ds.iter()
                    .filter(|d| d.kind == DetectorKind::PedestrianButton)
                    .map(|d| usize::from(d.channel))
                    .collect()
            })
            .collect();
        let (stop_bars, uncountable) = counted::stop_bar_feeds(&site);
        let saturation = saturation::Saturation::new(&site);
        let unwatched = count_loops(&site);
        Ok(Adaptive {
            stop_bars,
            uncountable,
            last_decision: None,
            waiting_since: vec![None; ix.groups().len()],
            backdated: vec![Duration::ZERO; ix.groups().len()],
            cycle_start: None,
            last_position: None,
            started: vec![None; plan.stages.len()],
            rings: Rings::default(),
            ped_called: vec![false; ix.groups().len()],
            last_counts: Vec::new(),
            buttons,
            site,
            plan,
            params,
            pools,
            between,
            round,
            outflow: Outflow::default(),
            serve: None,
            waited: vec![0.0; ix.groups().len()],
            history: DepartureHistory::default(),
            spare_forecast: None,
            departures: Vec::new(),
            flow_waits: vec![None; flows.len()],
            least_greens,
            ending: None,
            flows,
            stage_flows,
            saturation,
            found_long: false,
            cadence: cadence::Cadence::ignoring(unwatched),
            held_s: 0.0,
            buses: Vec::new(),
            bound_forced: false,
            walks_by: None,
            entering_walks_by: None,
            bound_due: None,
            bus_brought: false,
            free: Instant::ZERO,
        })
    }
}

/// By plan position: which of `flows` its stage serves.
fn stage_flows(
    ix: &crate::model::Intersection,
    plan: &TimingPlan,
    flows: &[Flow],
) -> Vec<Vec<bool>> {
    plan.stages
        .iter()
        .map(|s| {
            let groups = ix.stage(s.stage).groups;
            flows.iter().map(|f| groups.contains(f.group)).collect()
        })
        .collect()
}

/// The interstage time from each stage of `plan` to each other, s.
fn interstages(ix: &crate::model::Intersection, plan: &TimingPlan) -> Vec<Vec<f64>> {
    let stage = |i: usize| ix.stage(plan.stages[i].stage);
    let n = plan.stages.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| interstage(ix, stage(i), stage(j)).as_secs_f64())
                .collect()
        })
        .collect()
}

/// By channel: true for `site`'s advance count loops (for the performance measures; no decision
/// reads them).
fn count_loops(site: &Site) -> Vec<bool> {
    let mut out = vec![false; site.channels()];
    for d in site.approaches.iter().flat_map(|a| &a.detectors) {
        if d.kind == DetectorKind::AdvanceCount {
            out[usize::from(d.channel)] = true;
        }
    }
    out
}

fn group_queues(flows: &[Flow], queues: &[f64], groups: usize) -> Vec<f64> {
    let mut q = vec![0.0; groups];
    for (f, &x) in flows.iter().zip(queues) {
        q[f.group.get()] += x;
    }
    q
}

impl Controller for Adaptive {
    fn name(&self) -> &'static str {
        "adaptive"
    }

    fn decide(&mut self, now: Instant, inputs: &Inputs<'_>, seq: &Sequencer) -> Option<StageIndex> {
        // A bus on its way is news the loops have not seen: decide again.
        if inputs.buses.is_empty()
            && self.buses.is_empty()
            && let Some(standing) = self.cadence.standing(now, inputs.detectors, seq.phase())
        {
            return standing;
        }
        self.buses.clear();
        self.buses.extend_from_slice(inputs.buses);
        self.held_s = 0.0;
        self.bound_due = None;
        let decision = self.decide_anew(now, inputs, seq);
        let due = cadence::deadline(now, self.held_s, self.bound_due);
        self.cadence
            .took(due, inputs.detectors, seq.phase(), decision);
        decision
    }

    fn poll_at(&self, now: Instant) -> Option<Instant> {
        Some(self.cadence.due().filter(|&t| t > now).unwrap_or(now))
    }

    fn termination(&self) -> Option<Termination> {
        self.ending
    }

    fn outflow(&self) -> Option<&Outflow> {
        Some(&self.outflow)
    }

    fn on_wait_bound(&self) -> bool {
        self.bound_forced
    }

    fn walks_by(&self) -> Option<Instant> {
        self.walks_by
    }

    fn entering_walks_by(&self) -> Option<Instant> {
        self.entering_walks_by
    }

    fn brings_buses_forward(&self) -> bool {
        true
    }

    fn bringing_bus_forward(&self) -> bool {
        self.bus_brought
    }

    fn priority_fits(
        &self,
        now: Instant,
        sequencer: &Sequencer,
        stage: StageIndex,
        until: Instant,
    ) -> Option<bool> {
        Some(self.detour_fits(now, sequencer, stage, until))
    }
}

impl Adaptive {
    /// Decides at `now` from what the loops and the sequencer say: the prediction and the
    /// bounds around it (see the module docs).
    fn decide_anew(
        &mut self,
        now: Instant,
        inputs: &Inputs<'_>,
        seq: &Sequencer,
    ) -> Option<StageIndex> {
        let horizon = self.params.horizon_s.round().max(10.0) as usize;
        let queues = self.movement_queues(inputs);
        let arrivals = self.arrivals(inputs, horizon);
        let ix = self.site.intersection.clone();

        let queued = self.observe(now, inputs, seq, &queues, &arrivals);
        let inflow = predict::Inflow::new(&arrivals, horizon);
        self.read_flow_waits(now);
        let n = self.plan.stages.len();
        let (k, green, running) = match self.position(now, seq) {
            Ok(at) => at,
            Err(request) => return request,
        };
        // In a green: nothing is ending unless decided below.
        self.ending = None;
        self.bound_forced = false;
        self.bus_brought = false;
        self.note_bounds(k, now);
        self.free = seq.earliest_stage_end().unwrap_or(now);
        let cycle_room = self.cycle_room((k, running), now, green);
        let bounds = self.plan.stages[k];
        // A group that waited long keeps its green until a share of the queue it found has had
        // time to leave (its side street must not be cut short again).
        let found = self.found_hold(k, (now - green, green), running, &queues, cycle_room);
        // The next stage with demand (a vehicle's worth queued, or arriving within 30 s), in the
        // plan's order.
        let demanded = |g: GroupIndex| {
            queued[g.get()] >= 1.0
                || self
                    .flows
                    .iter()
                    .zip(&arrivals)
                    .any(|(f, a)| f.group == g && a.iter().take(30).sum::<f64>() >= 1.0)
        };
        let next = (1..n)
            .map(|d| (k + d) % n)
            .find(|&p| {
                ix.stage(self.plan.stages[p].stage)
                    .groups
                    .minus(ix.stage(running).groups)
                    .iter()
                    .any(demanded)
            })
            .map(|p| Rings::choose(&ix, &self.plan, p, &demanded));

        // Hold through the minimum green.
        if green < bounds.min_green {
            let hold = (bounds.min_green - green).as_secs_f64();
            self.commit(now, k, hold, (&queues, &inflow));
            return Some(running);
        }
        // Queue management: a green holds while a lane still discharges the queue it found, up
        // to its plan green, or up to its maximum for a saturated group or one that waited long.
        let managed = self.holds_for_queue((k, running), green, now)
            && green < bounds.max_green
            && cycle_room > 0.0;
        // A group kept waiting too long: to its stage, or to one on the way whose group waited
        // long (`waits`). A green still discharging its queue, or short of its plan green, gives
        // way only to a group that has waited that long itself, not to one whose clock was set
        // back for the queue it was left.
        let real_only = managed || green < bounds.green;
        if let Some(target) = self.over_wait_bound(k, (now, self.free), real_only) {
            self.commit(now, k, 0.0, (&queues, &inflow));
            self.ending = Some(Termination::ForceOff);
            self.bound_forced = true;
            return Some(target);
        }
        // The hold for the queue found, unless a group reached the wait bound (above).
        if green < found {
            let hold = (found - green).as_secs_f64();
            self.commit(now, k, hold, (&queues, &inflow));
            return Some(running);
        }
        if managed {
            self.commit(now, k, 1.0, (&queues, &inflow));
            return Some(running);
        }
        // Nobody else waiting: rest in green, unless a bus is due on red.
        let Some(next) = next else {
            return Some(self.rest_or_bus(now, (k, running), seq, (&queues, &inflow)));
        };
        if green >= bounds.max_green {
            self.commit(now, k, 0.0, (&queues, &inflow));
            self.ending = Some(Termination::MaxOut);
            let next = self.within_bound(k, now, real_only, next);
            return Some(self.rings.go(&self.plan, next));
        }
        // Otherwise: the extension (0 = end now) with the least predicted delay.
        let room = (bounds.max_green - green)
            .as_secs_f64()
            .min(self.params.max_extension_s)
            .min(cycle_room.max(0.0));
        let best = self.best_extension(k, room, (&queues, &inflow));
        let hold = best.1;
        // A bus due soon on red: its stage brought forward, where that saves people's delay.
        if let Some(early) = self.bus_first(now, (k, running), seq, (&queues, &inflow), best.0) {
            return Some(self.bring_forward(now, k, early, (&queues, &inflow)));
        }
        // Held on: a group of the stage whose queue is gone hands its ring on to the next
        // stage's group (dual-ring), while the others are still being served.
        let serving = |g: GroupIndex| queued[g.get()] >= 1.0;
        let stage = if hold > 0.0 {
            let began = now - green;
            self.rings
                .hand_on(&ix, &self.plan, (running, k, began), &serving, &demanded)
        } else {
            let next = self.within_bound(k, now, real_only, next);
            self.rings.go(&self.plan, next)
        };
        self.commit(now, k, hold, (&queues, &inflow));
        // Ended by the prediction: its queue is served (the event log's gap out).
        self.ending = (stage != running).then_some(Termination::GapOut);
        Some(stage)
    }
    /// The plan position running at `now`, its green so far and the stage standing for it;
    /// else what to request (between stages, or to start). Tracks the cycle's start.
    fn position(
        &mut self,
        now: Instant,
        seq: &Sequencer,
    ) -> Result<(usize, Duration, StageIndex), Option<StageIndex>> {
        self.entering_walks_by = None;
        let (k, green, running) = match seq.phase() {
            Phase::Transition { to, .. } => {
                // A walk called meanwhile joins the stage's green (asked for again as it comes,
                // or recycled in it) only if it ends within the wait bound of the groups
                // waiting for the stages after it (worked out only while one is called).
                let groups = self.site.intersection.stage(to).groups;
                let called = seq.pedestrian_calls().iter().any(|g| groups.contains(g));
                self.entering_walks_by = self
                    .plan
                    .stages
                    .iter()
                    .position(|s| s.stage == to)
                    .filter(|_| called)
                    .and_then(|k| self.leave_by(k, now, true, None))
                    .map(|(by, _)| by);
                self.walks_by = self.entering_walks_by;
                return Err(Some(to));
            }
            Phase::Clearing { .. } | Phase::AllRed { .. } => {
                // No stage runs: nothing asked for before stands.
                self.bound_forced = false;
                self.bus_brought = false;
                self.walks_by = None;
                let all_red = matches!(seq.phase(), Phase::AllRed { .. });
                return Err(all_red.then(|| self.plan.stages[0].stage));
            }
            Phase::Dwell { stage, since } => match self.rings.position(&self.plan, stage, since) {
                Some((k, began)) => (k, now - began, stage),
                None => return Err(Some(self.plan.stages[0].stage)),
            },
        };
        // A new cycle starts whenever the plan order wraps round (its first stage may have been
        // skipped for want of demand).
        if self.last_position.is_some_and(|last| k < last) || self.cycle_start.is_none() {
            self.cycle_start = Some(now - green);
        }
        self.last_position = Some(k);
        self.started[k] = Some(now - green);
        Ok((k, green, running))
    }

    /// Predicts the schedule that holds plan position `k` for `hold` s more on `(queues,
    /// inflow)`, and publishes its departures as the outflow forecast.
    fn commit(&mut self, now: Instant, k: usize, hold: f64, on: (&[f64], &predict::Inflow<'_>)) {
        let (queues, inflow) = on;
        let mut departures = std::mem::take(&mut self.departures);
        self.predict(k, hold, queues, inflow, Some(&mut departures));
        self.commit_predicted(now, hold, departures);
    }

    /// Publishes `departures`, predicted for the schedule that holds the running green for
    /// `hold` s more.
    fn commit_predicted(&mut self, now: Instant, hold: f64, departures: Vec<Vec<f64>>) {
        self.held_s = hold;
        self.publish(now, &departures);
        self.departures = departures;
    }

    fn publish(&mut self, now: Instant, departures: &[Vec<f64>]) {
        // The departures onto each link, in the series of the forecast before (the links
        // are the flows', the same at every decision).
        let mut by_link = self.spare_forecast.take().unwrap_or_default();
        by_link.values_mut().for_each(Vec::clear);
        for (f, d) in self.flows.iter().zip(departures) {
            let out = match by_link.get_mut(&f.onto) {
                Some(out) => out,
                None => by_link.entry(f.onto.clone()).or_default(),
            };
            if out.is_empty() {
                out.resize(d.len(), 0.0);
            }
            for (o, x) in out.iter_mut().zip(d) {
                *o += x;
            }
        }
        self.spare_forecast = self.history.publish_into(now, by_link, &mut self.outflow);
    }
}

/// Time resolution of the prediction, s.
const BIN_S: f64 = 2.0;

mod bus_first;
mod cadence;
mod counted;
mod equity;
pub use equity::WAIT_WEIGHT_RANGE;
mod found_queue;
mod pools;
mod predict;
mod queue_management;
mod saturation;
#[cfg(test)]
mod tests;
mod unseen;
mod waits;
