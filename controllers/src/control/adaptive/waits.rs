//! What the adaptive controller observes at each decision: each movement's queue, the
//! pedestrian calls, the departures its stop-bar loops count, which groups wait and since when
//! (the clock the wait bound runs on), and which greens ended without clearing their queue. The
//! wait bound is meant for vehicles, not only for the signal: a green that leaves a queue
//! behind leaves vehicles that have waited already, about as long as that queue took to build
//! up (its estimated size over its arrival rate), so the group's wait clock starts that much
//! earlier and the group comes round again sooner.

use super::{Adaptive, group_queues};
use crate::control::Inputs;
use crate::detector::wrapping_delta;
use crate::model::{GroupIndex, StageIndex, Turn};
use crate::sequencer::{Sequencer, interstage};
use crate::time::{Duration, Instant};

/// The longest a queue left behind by a green is taken to have waited already, s.
const AGE_CAP_S: f64 = 60.0;

/// How much sooner than the wait bound the controller acts on it: a push is seen at the tick
/// after it, and the decision to end a green for the bound is taken at the first tick at or
/// after its deadline (a tenth of a second each at a cabinet's 10 Hz), so the bound's instant
/// is aimed at this much early to hold it.
const BOUND_SLACK: Duration = Duration::from_millis(500);

impl Adaptive {
    /// Each flow's queue as estimated; a movement whose only lanes hold a standing vehicle the
    /// counts missed has that vehicle queued.
    pub(super) fn movement_queues(&self, inputs: &Inputs<'_>) -> Vec<f64> {
        self.flows
            .iter()
            .map(|f| {
                inputs.estimate.approaches.get(f.approach).map_or(0.0, |e| {
                    let turn = Turn::VEHICLE[f.turn];
                    let standing =
                        self.site.approaches[f.approach]
                            .movement(turn)
                            .is_some_and(|m| {
                                m.lanes.iter().all(|&l| {
                                    e.lanes.get(usize::from(l)).is_some_and(|x| x.standing)
                                })
                            });
                    let q = e.movement_queue_veh[f.turn];
                    if standing { q.max(1.0) } else { q }
                })
            })
            .collect()
    }

    /// Reads the loops and updates calls, departures, saturation and wait clocks; returns each
    /// group's queue, with a pedestrian call counting as one.
    pub(super) fn observe(
        &mut self,
        now: Instant,
        inputs: &Inputs<'_>,
        seq: &Sequencer,
        queues: &[f64],
        arrivals: &[Vec<f64>],
    ) -> Vec<f64> {
        let ix = self.site.intersection.clone();
        self.last_counts.resize(inputs.detectors.len(), None);
        let failed = self.observe_saturation(now, inputs.detectors, seq);
        let last = self.last_decision.replace(now);
        self.count_departures(now, last, inputs, seq.state());
        // Pedestrian calls from the push buttons, latched until the walk. The sequencer's own
        // calls say when a walk served one: a call it no longer holds, and no button pressed
        // since the last decision, is served, even if the walk came and went between two
        // decisions (a latched call the sequencer had served held a green for minutes, the
        // wait bound asking again and again for the stage already running).
        let calls = seq.pedestrian_calls();
        for g in ix.group_indices() {
            let mut pressed_now = false;
            for &ch in &self.buttons[g.get()] {
                let Some(s) = inputs.detectors.get(ch) else {
                    continue;
                };
                let pressed = self.last_counts[ch].is_some_and(|c| wrapping_delta(s.count, c) > 0);
                pressed_now |= s.presence || pressed;
            }
            self.ped_called[g.get()] |= pressed_now;
            let kept_by_sequencer = ix.group(g).pedestrian.is_some_and(|p| p.on_call);
            let served = kept_by_sequencer && !calls.contains(g) && !pressed_now;
            if seq.state().get(g).is_go() || served {
                self.ped_called[g.get()] = false;
            }
        }
        for (ch, s) in inputs.detectors.iter().enumerate() {
            self.last_counts[ch] = Some(s.count);
        }
        // The shortest greens those calls make, for the prediction.
        self.read_least_greens();

        // Groups waiting with a queue or a pedestrian call, and for how long.
        let vehicles = group_queues(&self.flows, queues, ix.groups().len());
        let mut queued = vehicles.clone();
        for g in ix.group_indices() {
            if self.ped_called[g.get()] {
                queued[g.get()] = queued[g.get()].max(1.0);
            }
        }
        // A group waits when a lane it serves holds a vehicle (judged per lane: a lone vehicle in
        // a shared lane is split among its turns in the movement queues).
        let mut lane_waiting = vec![false; ix.groups().len()];
        for f in &self.flows {
            let approach = &self.site.approaches[f.approach];
            let Some(est) = inputs.estimate.approaches.get(f.approach) else {
                continue;
            };
            let turn = Turn::VEHICLE[f.turn];
            if let Some(m) = approach.movement(turn)
                && est.calls_on(&m.lanes)
            {
                lane_waiting[f.group.get()] = true;
            }
        }
        for g in ix.group_indices() {
            let has_demand = queued[g.get()] >= 1.0 || lane_waiting[g.get()];
            let go = seq.state().get(g).is_go();
            let waiting = has_demand && !go;
            let since = &mut self.waiting_since[g.get()];
            // The wait so far, kept through the green it led to.
            if waiting || since.is_some() {
                self.waited[g.get()] = (now - since.unwrap_or(now)).as_secs_f64();
            } else if !go {
                self.waited[g.get()] = 0.0;
            }
            *since = if waiting {
                Some(since.unwrap_or(now))
            } else {
                self.backdated[g.get()] = Duration::ZERO;
                None
            };
        }
        // A green that did not clear its queue: the vehicles it left have waited already.
        for g in failed {
            let rate: f64 = self
                .flows
                .iter()
                .zip(arrivals)
                .filter(|(f, _)| f.group == g)
                .map(|(_, a)| a.first().copied().unwrap_or(0.0))
                .sum();
            let age = (vehicles[g.get()] / rate.max(1e-3)).min(AGE_CAP_S);
            if let Some(t) = &mut self.waiting_since[g.get()] {
                let age = Duration::from_secs_f64(age);
                *t = *t - age;
                self.backdated[g.get()] = self.backdated[g.get()] + age;
            }
        }
        queued
    }

    /// Once a waiting group will have waited the wait bound by the time the first stage after
    /// plan position `k` that serves it can start (the group whose bound comes first, not only
    /// the one waiting longest: a group waiting almost as long behind it in the plan's order
    /// must not pass its bound while the stages on the way run): the first stage on the way to
    /// it, in the plan's order, that serves it or a group that has itself waited long
    /// (`long_wait_s`; skipping such a stage would leave that group a whole cycle more, and
    /// bring the order back round to the skipped stage on the wait bound of its own). The time
    /// to its stage counts from `free`, when the running stage may end (its minimum greens and
    /// the walks it holds), and the minimum green of every stage served on the way. With
    /// `real_only`, waits count from when the groups began to wait, without the set-back for a
    /// queue left.
    pub(super) fn over_wait_bound(
        &self,
        k: usize,
        (now, free): (Instant, Instant),
        real_only: bool,
    ) -> Option<StageIndex> {
        let (leave_by, target) = self.leave_by(k, now, real_only, None)?;
        (free.max(now) >= leave_by).then_some(self.plan.stages[target].stage)
    }

    /// Notes when the green at plan position `k` must end for the wait bound: for the walks it
    /// may recycle (waits from when the groups began to wait), and as a deadline of this
    /// decision (counting the set-back for a queue left, the sooner of the two).
    pub(super) fn note_bounds(&mut self, k: usize, now: Instant) {
        self.walks_by = self.leave_by(k, now, true, None).map(|(by, _)| by);
        self.bound_due = self.leave_by(k, now, false, None).map(|(by, _)| by);
    }

    /// The stage to go to from plan position `k` in place of `next` (the next with demand, and
    /// its position): `next` itself, unless serving it first would keep the group waiting
    /// longest past the wait bound (the running stage ending at the earliest when its minimum
    /// greens and walks allow); then the stage the wait bound goes to.
    pub(super) fn within_bound(
        &self,
        k: usize,
        now: Instant,
        real_only: bool,
        next: (StageIndex, usize),
    ) -> (StageIndex, usize) {
        let free = self.free.max(now);
        match self.leave_by(k, now, real_only, Some(next.1)) {
            Some((by, _)) if free >= by => self
                .leave_by(k, now, real_only, None)
                .map_or(next, |(_, p)| (self.plan.stages[p].stage, p)),
            _ => next,
        }
    }

    /// The latest instant the green at plan position `k` may end and still let every waiting
    /// group have its green within the wait bound, and the plan position to go to
    /// then (see [`Adaptive::over_wait_bound`]); `via`, a position to be served on the way
    /// whatever its groups waited. `None` when no group waits.
    pub(super) fn leave_by(
        &self,
        k: usize,
        now: Instant,
        real_only: bool,
        via: Option<usize>,
    ) -> Option<(Instant, usize)> {
        let ix = &self.site.intersection;
        let bound = self.bound();
        ix.group_indices()
            .filter_map(|g| {
                let since = self.since(g, real_only)?;
                let (path, to) = self.path(k, g, (now, real_only), via)?;
                Some((since + bound - path, to))
            })
            .min_by_key(|&(by, _)| by)
    }

    /// The wait bound as the controller aims at it ([`BOUND_SLACK`] early).
    fn bound(&self) -> Duration {
        Duration::from_secs_f64(self.params.max_wait_s) - BOUND_SLACK
    }

    /// When group `g` began to wait, if it waits; with `real_only`, without the set-back for a
    /// queue left.
    fn since(&self, g: GroupIndex, real_only: bool) -> Option<Instant> {
        let back = if real_only {
            self.backdated[g.get()]
        } else {
            Duration::ZERO
        };
        self.waiting_since[g.get()].map(|t| t + back)
    }

    /// From the end of the green at plan position `k`: how long until group `g`'s green can
    /// start, serving on the way (each for its minimum green) the stages whose groups waited
    /// long and `via`, and the first stage to go to.
    fn path(
        &self,
        k: usize,
        g: GroupIndex,
        (now, real_only): (Instant, bool),
        via: Option<usize>,
    ) -> Option<(Duration, usize)> {
        let ix = &self.site.intersection;
        let n = self.plan.stages.len();
        let bound = Duration::from_secs_f64(self.params.max_wait_s);
        let serves =
            |p: usize, g: GroupIndex| ix.stage(self.plan.stages[p].stage).groups.contains(g);
        let p = (1..=n).map(|d| (k + d) % n).find(|&p| serves(p, g))?;
        let long = Duration::from_secs_f64(self.params.long_wait_s);
        let between = |a: usize, b: usize| Duration::from_secs_f64(self.between[a][b]);
        // Judged when the green would end at the latest for `g` (its stage straight after):
        // a group that has not waited long now may have by then, and its stage is then served
        // on the way, later than `g`'s bound allowed for, were it judged now.
        let at = self
            .since(g, real_only)
            .map_or(now, |t| (t + bound - between(k, p)).max(now));
        // A group has waited long, or so long that it would pass the bound before the order
        // came round to it again, were every stage to run only its minimum green.
        let waited_long = |q: usize| {
            ix.stage(self.plan.stages[q].stage).groups.iter().any(|h| {
                self.since(h, real_only)
                    .is_some_and(|t| at - t >= long || at - t + self.round >= bound)
            })
        };
        let mut path = Duration::ZERO;
        let (mut from, mut on_the_way) = (k, None);
        for q in (1..n).map(|d| (k + d) % n).take_while(|&q| q != p) {
            if waited_long(q) || via == Some(q) {
                path += between(from, q) + self.plan.stages[q].min_green;
                from = q;
                on_the_way.get_or_insert(q);
            }
        }
        path += between(from, p);
        Some((path, on_the_way.unwrap_or(p)))
    }

    /// Sets the shortest green of every plan position for this decision's prediction.
    pub(super) fn read_least_greens(&mut self) {
        let mut greens = std::mem::take(&mut self.least_greens);
        greens.clear();
        greens.extend((0..self.plan.stages.len()).map(|p| self.least_green(p).as_secs_f64()));
        self.least_greens = greens;
    }

    /// The shortest green plan position `p` can have: its minimum green, or the walks it
    /// owes a pedestrian call and the clearances they hold its vehicle green for.
    fn least_green(&self, p: usize) -> Duration {
        let ix = &self.site.intersection;
        ix.stage(self.plan.stages[p].stage)
            .groups
            .iter()
            .filter(|g| self.ped_called[g.get()])
            .filter_map(|g| {
                let walk = ix.group(g).pedestrian?;
                let held = if walk.hold_parallel {
                    walk.clearance
                } else {
                    Duration::ZERO
                };
                Some(ix.group(g).min_green + held)
            })
            .fold(self.plan.stages[p].min_green, Duration::max)
    }

    /// Whether transit priority may keep `stage` green until `until` (bringing it forward
    /// when it is not running) and still let every group waiting outside it start its green
    /// within the wait bound: its green ends at `until`, or after its minimum green once it
    /// starts, and each waiting group's stage follows it as soon as the intergreens allow.
    /// Waits count from when the groups began to wait (a detour does not add to a queue
    /// left behind by a green).
    pub(super) fn detour_fits(
        &self,
        now: Instant,
        seq: &Sequencer,
        stage: StageIndex,
        until: Instant,
    ) -> bool {
        let ix = &self.site.intersection;
        let bound = self.bound();
        let position = self.plan.stages.iter().position(|s| s.stage == stage);
        let min_green = position.map_or(Duration::ZERO, |p| self.least_green(p));
        let ends = match seq.current_stage() {
            Some(r) if r == stage => until.max(seq.earliest_stage_end().unwrap_or(now)),
            Some(r) => {
                // Its groups' minimum greens and the walks they hold, then the intergreens.
                let change = seq.earliest_stage_end().unwrap_or(now).max(now);
                until.max(change + interstage(ix, ix.stage(r), ix.stage(stage)) + min_green)
            }
            None => until.max(now + min_green),
        };
        let groups = ix.stage(stage).groups;
        ix.group_indices()
            .filter(|&g| !groups.contains(g))
            .filter_map(|g| {
                let since = self.since(g, true)?;
                let reach = self
                    .plan
                    .stages
                    .iter()
                    .filter(|s| ix.stage(s.stage).groups.contains(g))
                    .map(|s| interstage(ix, ix.stage(stage), ix.stage(s.stage)))
                    .min()?;
                Some(ends + reach - since)
            })
            .all(|wait| wait < bound)
    }
}
