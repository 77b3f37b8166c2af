//! Demand estimation for one site, from its detector samples: per-lane arrival flow (a Kalman
//! filter on advance-loop counts), per-lane queue (input-output between the advance and the
//! stop-bar loop, plus the vehicles held back beyond the advance loop, corrected when the
//! stop-bar loop shows free flow), per-movement flows and queues, and detector health with a
//! fallback chain: a neighbouring lane's detector, then the lane's recent flow, then a constant
//! call.

mod channels;
pub mod dispersion;
mod fallbacks;
mod health;
mod kalman;
mod report;
pub mod turning;

pub use health::{DetectorHealth, Fallback, Fault};
pub use kalman::{FlowFilter, FlowNoise};
pub use report::LinkReport;

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::corridor::DetectorKind;
use crate::detector::DetectorSample;

use crate::model::{GroupIndex, PerTurn, SignalState, Turn, VEHICLE_TURNS};
use crate::site::Site;
use crate::time::{Duration, Instant};
use channels::Channel;

/// Settings of the estimator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EstimatorParams {
    /// Counts are taken into the flow filter over windows of this length, s.
    pub window_s: f64,
    /// Noise of the flow filter.
    pub noise: FlowNoise,
    /// An advance loop occupied this long holds a queue back beyond it, s.
    pub blocked_after_s: f64,
    /// A stop-bar loop free this long while its lane has green means no queue; an advance loop
    /// free this long means no queue beyond it, s.
    pub free_after_s: f64,
    /// A count unchanged this long while the neighbours counted is a fault, s.
    pub frozen_after_s: f64,
    /// A presence that stays on through this much green of its lane is a fault, s.
    pub stuck_after_s: f64,
    /// Time constant of the lane's recent-flow history, s.
    pub history_s: f64,
}

impl Default for EstimatorParams {
    fn default() -> Self {
        EstimatorParams {
            window_s: 5.0,
            noise: FlowNoise::default(),
            blocked_after_s: 2.5,
            free_after_s: 3.0,
            frozen_after_s: 300.0,
            stuck_after_s: 120.0,
            history_s: 900.0,
        }
    }
}

/// Estimates for one lane.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LaneEstimate {
    /// Arrival flow, veh/h.
    pub arrival_veh_h: f64,
    /// Trend of the arrival flow, veh/h per minute.
    pub trend_veh_h_min: f64,
    /// Vehicles queued (between the loops and held back beyond the advance loop).
    pub queue_veh: f64,
    /// True while its counts come from a fallback.
    pub degraded: bool,
    /// A vehicle stands on its stop-bar loop at red (a call, whatever the counts say).
    pub standing: bool,
}

/// Estimates for one approach.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ApproachEstimate {
    /// The approach link.
    pub link: String,
    /// Its direction.
    pub direction: String,
    /// Arrival flow, veh/h.
    pub arrival_veh_h: f64,
    /// Vehicles queued.
    pub queue_veh: f64,
    /// Estimated turning ratios, per turn (sharp left to sharp right, [`Turn::index`]).
    pub turning: PerTurn<f64>,
    /// Per movement ([`Turn::index`]): arrival flow, veh/h.
    pub movement_arrival_veh_h: PerTurn<f64>,
    /// Per movement: vehicles queued.
    pub movement_queue_veh: PerTurn<f64>,
    /// Per lane.
    pub lanes: Vec<LaneEstimate>,
}

impl ApproachEstimate {
    /// Whether any of `lanes` holds a vehicle waiting: a whole vehicle queued, or one standing
    /// on the stop-bar loop at red.
    pub fn calls_on(&self, lanes: &[u8]) -> bool {
        lanes.iter().any(|&l| {
            self.lanes
                .get(usize::from(l))
                .is_some_and(|x| x.queue_veh >= 1.0 || x.standing)
        })
    }
}

/// Everything the estimator knows at one moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Estimate {
    /// Per approach, in the site's order.
    pub approaches: Vec<ApproachEstimate>,
    /// Per detector channel.
    pub detectors: Vec<DetectorHealth>,
}

/// What the estimator tracks of one lane.
#[derive(Clone, Debug)]
struct Lane {
    approach: usize,
    lane: u8,
    advance: Option<usize>,
    stop_bar: Option<usize>,
    filter: FlowFilter,
    window_count: f64,
    window_start: Instant,
    in_section: f64,
    beyond: f64,
    history_veh_s: f64,
    history_n: f64,
    has_history: bool,
    stop_bar_free_since: Option<Instant>,
    advance_free_since: Option<Instant>,
    /// Most vehicles the lane holds beyond its advance loop.
    storage_beyond: f64,
    /// Turns the lane allows, by [`Turn::index`].
    turns: PerTurn<bool>,
    /// A vehicle stands on its stop-bar loop at red.
    standing: bool,
    /// When the lane last had green.
    last_green: Option<Instant>,
    /// The signal groups of the movements the lane serves.
    groups: Vec<GroupIndex>,
}

/// What a lane's loops say at one tick.
struct LaneInputs {
    /// Vehicles counted in at the advance loop.
    arrived: f64,
    /// Vehicles counted out at the stop-bar loop.
    departed: f64,
    /// The advance loop has been occupied long enough to hold a queue back beyond it.
    blocked: bool,
    /// The stop-bar loop is free.
    stop_bar_free: bool,
    /// Since when the stop-bar loop has been occupied, if it has been long enough to hold a
    /// queued vehicle.
    stop_bar_held: Option<Instant>,
    /// The advance loop is free.
    advance_free: bool,
}

/// The estimator of one site.
#[derive(Clone, Debug)]
pub struct Estimator {
    site: Arc<Site>,
    params: EstimatorParams,
    channels: Vec<Option<Channel>>,
    lanes: Vec<Lane>,
    /// By approach: where its lanes end in `lanes` (they are kept approach by approach).
    lanes_end: Vec<usize>,
    /// By approach and turn: the lanes of the movement, if the approach has it.
    movement_lanes: Vec<PerTurn<Option<f64>>>,
    /// By lane: its share of each of its approach's movements under the turning ratios.
    shares: Vec<PerTurn<f64>>,
    last_tick: Option<Instant>,
    /// Configured turning ratios by approach, the starting point of their estimate.
    turning_prior: Vec<PerTurn<f64>>,
    /// Estimated turning ratios by approach, updated when a lane's flow history moves.
    turning: Vec<PerTurn<f64>>,
    turning_stale: bool,
    /// The site's outgoing links, and for each approach and turn the one it feeds.
    out_links: Vec<String>,
    onto: Vec<PerTurn<Option<usize>>>,
    /// Flow counted on each outgoing link by the neighbour at its end, veh/s, where reported.
    downstream: Vec<Option<f64>>,
    /// The lane each channel belongs to.
    lane_of_channel: Vec<Option<usize>>,
    /// The fallback of each channel, recomputed when any fault or history changes.
    fallbacks: Vec<Fallback>,
    /// A fault or a lane's history changed since the fallbacks were worked out.
    health_changed: bool,
    /// The detectors' health in the estimate is to be written again (their faults or
    /// fallbacks changed).
    detectors_stale: bool,
    /// When the counts were last checked for freezing.
    frozen_checked: Instant,
    estimate: Estimate,
}

impl Estimator {
    /// An estimator for `site`, started at `now`.
    pub fn new(site: Arc<Site>, params: EstimatorParams, now: Instant) -> Self {
        let mut channels: Vec<Option<Channel>> = vec![None; site.channels()];
        let mut lanes = Vec::new();
        for (a, approach) in site.approaches.iter().enumerate() {
            for d in &approach.detectors {
                channels[usize::from(d.channel)] = Some(Channel {
                    approach: a,
                    lane: d.lane,
                    kind: d.kind,
                    last: None,
                    last_count_change: now,
                    presence_since: None,
                    green_presence_s: 0.0,
                    fault: None,
                    delta: 0,
                    rate: 0.0,
                    usual_rate: 0.0,
                    seen_s: 0.0,
                });
            }
            for (l, allows) in approach.lanes.iter().enumerate() {
                let l = l as u8;
                let find = |kind| approach.detector(l, kind).map(|d| usize::from(d.channel));
                lanes.push(Lane {
                    approach: a,
                    lane: l,
                    advance: find(DetectorKind::Advance),
                    stop_bar: find(DetectorKind::StopBar),
                    filter: FlowFilter::new(0.0, params.noise),
                    window_count: 0.0,
                    window_start: now,
                    in_section: 0.0,
                    beyond: 0.0,
                    history_veh_s: 0.0,
                    history_n: 0.0,
                    has_history: false,
                    stop_bar_free_since: None,
                    advance_free_since: None,
                    storage_beyond: {
                        let advance_m = approach
                            .detector(l, DetectorKind::Advance)
                            .map_or(0.0, |d| d.distance_m);
                        ((approach.length_m - advance_m) / 6.5).max(0.0)
                    },
                    turns: Turn::VEHICLE.map(|t| allows.allows(t)),
                    standing: false,
                    last_green: None,
                    groups: approach
                        .movements
                        .iter()
                        .filter(|m| m.lanes.contains(&l))
                        .filter_map(|m| m.group)
                        .collect(),
                });
            }
        }
        // Without configured ratios, an even split over the turns each approach has.
        let turning_prior: Vec<PerTurn<f64>> = site
            .approaches
            .iter()
            .map(|a| {
                let present = Turn::VEHICLE.map(|t| a.movement(t).is_some());
                let n = present.iter().filter(|&&p| p).count().max(1) as f64;
                present.map(|p| if p { 1.0 / n } else { 0.0 })
            })
            .collect();
        let mut out_links: Vec<String> = Vec::new();
        let onto = site
            .approaches
            .iter()
            .map(|a| {
                Turn::VEHICLE.map(|t| {
                    let m = a.movement(t)?;
                    Some(match out_links.iter().position(|l| *l == m.onto) {
                        Some(i) => i,
                        None => {
                            out_links.push(m.onto.clone());
                            out_links.len() - 1
                        }
                    })
                })
            })
            .collect();
        let channels_len = channels.len();
        let mut e = Estimator {
            lanes_end: (0..site.approaches.len())
                .map(|a| lanes.iter().take_while(|l| l.approach <= a).count())
                .collect(),
            movement_lanes: movement_lanes(&site),
            shares: Vec::new(),
            downstream: vec![None; out_links.len()],
            out_links,
            onto,
            site,
            params,
            channels,
            lane_of_channel: (0..channels_len)
                .map(|ch| {
                    lanes
                        .iter()
                        .position(|l: &Lane| l.advance == Some(ch) || l.stop_bar == Some(ch))
                })
                .collect(),
            fallbacks: vec![Fallback::None; channels_len],
            health_changed: true,
            detectors_stale: true,
            frozen_checked: now,
            turning: turning_prior.clone(),
            turning_stale: true,
            lanes,
            last_tick: None,
            turning_prior,
            estimate: Estimate::default(),
        };
        e.publish();
        e
    }

    /// Sets the configured turning ratios (by [`Turn::index`]) of the approach on `link`.
    pub fn set_turning_prior(&mut self, link: &str, ratios: PerTurn<f64>) {
        if let Some(a) = self.site.approaches.iter().position(|a| a.link == link) {
            self.turning_prior[a] = ratios;
            self.turning[a] = ratios;
            self.turning_stale = true;
        }
    }

    /// Takes in what the neighbours report of the links this site feeds (their counted
    /// arrivals pin the turning ratios; a link not reported leaves them to the lane flows).
    pub fn observe_downstream(&mut self, reports: &BTreeMap<String, LinkReport>) {
        for (slot, link) in self.downstream.iter_mut().zip(&self.out_links) {
            *slot = reports.get(link).map(|r| r.arrival_veh_h / 3600.0);
        }
    }

    /// The links this site feeds, in the order [`Estimator::observe_downstream_rates`] takes
    /// them.
    pub fn out_links(&self) -> &[String] {
        &self.out_links
    }

    /// Takes in the arrival flow each neighbour counted on the links this site feeds, veh/s, in
    /// the order of [`Estimator::out_links`] (`None`: not reported): what
    /// [`Estimator::observe_downstream`] reads from the reports, for a caller that keeps them
    /// by index.
    pub fn observe_downstream_rates(&mut self, rates: impl IntoIterator<Item = Option<f64>>) {
        for (slot, rate) in self.downstream.iter_mut().zip(rates) {
            *slot = rate;
        }
    }

    /// This site's report on each of its approach links, for the sites upstream.
    pub fn link_reports(&self) -> impl Iterator<Item = (&str, LinkReport)> + '_ {
        self.site
            .approaches
            .iter()
            .zip(&self.estimate.approaches)
            .enumerate()
            .map(|(i, (approach, est))| {
                let weighted = (0..VEHICLE_TURNS)
                    .filter_map(|t| {
                        let lanes = self.movement_lanes[i][t]?;
                        Some(est.turning[t] * est.movement_queue_veh[t] / lanes)
                    })
                    .sum();
                let first = if i == 0 { 0 } else { self.lanes_end[i - 1] };
                let usual: f64 = self.lanes[first..self.lanes_end[i]]
                    .iter()
                    .map(|l| l.history_veh_s)
                    .sum();
                let report = LinkReport {
                    queue_per_lane: est.queue_veh / est.lanes.len().max(1) as f64,
                    weighted_queue_per_lane: weighted,
                    arrival_veh_h: usual * 3600.0,
                };
                (approach.link.as_str(), report)
            })
    }

    /// The latest estimate.
    pub fn estimate(&self) -> &Estimate {
        &self.estimate
    }

    /// The site it estimates for.
    pub fn site(&self) -> &Arc<Site> {
        &self.site
    }

    /// Takes in the detector samples at `now` (by channel) and what the signals show.
    pub fn update(&mut self, now: Instant, samples: &[DetectorSample], shown: &SignalState) {
        let dt = self.last_tick.map_or(0.0, |t| (now - t).as_secs_f64());
        self.last_tick = Some(now);
        self.read_channels(now, samples, dt);
        // Freezing takes minutes to show: a look every few seconds is enough.
        if now - self.frozen_checked >= Duration::from_secs(5) {
            self.frozen_checked = now;
            self.find_frozen(now);
        }
        self.refresh_fallbacks();
        let p = self.params;
        let blocked_after = Duration::from_secs_f64(p.blocked_after_s);
        for i in 0..self.lanes.len() {
            let LaneInputs {
                arrived: measured,
                departed,
                blocked,
                stop_bar_free,
                stop_bar_held,
                advance_free,
            } = self.lane_inputs(i, now, blocked_after);
            // An advance loop lost to a fault: its recent flow stands in, and the flow filter
            // and its history stay as they were until the loop is back.
            let lost = |ch: Option<usize>| {
                ch.is_some_and(|ch| {
                    matches!(
                        self.fallback(ch),
                        Fallback::Historical | Fallback::ConstantCall
                    )
                })
            };
            let advance_lost = lost(self.lanes[i].advance);
            let arrived = if advance_lost {
                self.lanes[i].history_veh_s * dt
            } else {
                measured
            };
            let departed = if advance_lost && lost(self.lanes[i].stop_bar) {
                arrived
            } else {
                departed
            };
            let green = self.lane_green(i, shown);
            if green {
                for ch in [self.lanes[i].advance, self.lanes[i].stop_bar]
                    .into_iter()
                    .flatten()
                {
                    if let Some(c) = &mut self.channels[ch]
                        && c.presence_since.is_some()
                    {
                        c.green_presence_s += dt;
                    }
                }
            }
            let lane = &mut self.lanes[i];
            // Vehicles join a queue beyond the advance loop at the lane's usual flow (the
            // filter's last value may be a passing platoon's).
            let q = if lane.has_history {
                lane.history_veh_s
            } else {
                lane.filter.flow()
            };
            // Input-output between the loops; vehicles counted at the advance loop come first
            // out of those held back beyond it.
            lane.in_section = (lane.in_section + arrived - departed).max(0.0);
            // A vehicle that came to stand on the stop-bar loop since the lane's last green is
            // waiting, counted or not (it may have changed into this lane past the advance
            // loop). A loop occupied since before that green is not believed: stuck on.
            if green {
                lane.last_green = Some(now);
            }
            lane.standing = !green
                && stop_bar_held.is_some_and(|since| lane.last_green.is_none_or(|g| since > g));
            lane.beyond = (lane.beyond - arrived).max(0.0);
            if blocked {
                lane.beyond = (lane.beyond + q * dt).min(lane.storage_beyond);
            }
            // An advance loop free for a while: nothing is held back beyond it.
            lane.advance_free_since = on_since(advance_free, lane.advance_free_since, now);
            if lane
                .advance_free_since
                .is_some_and(|s| (now - s).as_secs_f64() >= p.free_after_s)
            {
                lane.beyond = 0.0;
            }
            // A stop-bar loop free for a while on green: nothing is queued.
            lane.stop_bar_free_since = on_since(stop_bar_free, lane.stop_bar_free_since, now);
            if green
                && lane
                    .stop_bar_free_since
                    .is_some_and(|s| (now - s).as_secs_f64() >= p.free_after_s)
            {
                lane.in_section = lane.in_section.min(1.0);
                lane.beyond = 0.0;
            }
            lane.window_count += arrived;
            let window = (now - lane.window_start).as_secs_f64();
            if window >= p.window_s {
                if !advance_lost {
                    lane.filter.predict(window);
                    lane.filter.update(lane.window_count, window);
                    // The history starts fast and settles to its time constant.
                    lane.history_n += 1.0;
                    let alpha = (window / p.history_s).max(1.0 / lane.history_n).min(1.0);
                    lane.history_veh_s += alpha * (lane.filter.flow() - lane.history_veh_s);
                    if !lane.has_history {
                        lane.has_history = true;
                        self.health_changed = true;
                    }
                    self.turning_stale = true;
                }
                lane.window_count = 0.0;
                lane.window_start = now;
            }
        }
        self.publish();
    }

    /// What lane `i`'s loops say this tick, through the fallback chain (a loop occupied for
    /// `blocked_after` holds the lane back).
    fn lane_inputs(&self, i: usize, now: Instant, blocked_after: Duration) -> LaneInputs {
        let lane = &self.lanes[i];
        let read = |channel: Option<usize>| -> Option<&Channel> {
            let ch = channel?;
            match self.fallback(ch) {
                Fallback::None => self.channels[ch].as_ref(),
                Fallback::Neighbour { channel } => self.channels[usize::from(channel)].as_ref(),
                Fallback::Historical | Fallback::ConstantCall => None,
            }
        };
        let advance = read(lane.advance);
        let stop_bar = read(lane.stop_bar);
        // Without a usable advance loop the update stands in the lane's recent flow.
        let arrived = advance.map_or(0.0, |c| f64::from(c.delta));
        let departed = stop_bar.map_or(arrived, |c| f64::from(c.delta));
        let blocked =
            advance.is_some_and(|c| c.presence_since.is_some_and(|t| now - t >= blocked_after));
        LaneInputs {
            arrived,
            departed,
            blocked,
            stop_bar_free: stop_bar.is_some_and(|c| c.presence_since.is_none()),
            stop_bar_held: stop_bar
                .and_then(|c| c.presence_since)
                .filter(|&t| now - t >= blocked_after),
            advance_free: advance.is_some_and(|c| c.presence_since.is_none()),
        }
    }

    fn lane_green(&self, i: usize, shown: &SignalState) -> bool {
        self.lanes[i]
            .groups
            .iter()
            .any(|&g| g.get() < shown.len() && shown.get(g).is_go())
    }

    /// The turning ratios of every approach, from the lanes' flow histories and what the
    /// neighbours downstream count.
    fn estimate_turning(&mut self) {
        let n = self.site.approaches.len();
        let turns: Vec<Vec<PerTurn<bool>>> = (0..n)
            .map(|i| {
                let lanes = self.lanes.iter().filter(|l| l.approach == i);
                lanes.map(|l| l.turns).collect()
            })
            .collect();
        let flows: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let lanes = self.lanes.iter().filter(|l| l.approach == i);
                lanes.map(|l| l.history_veh_s).collect()
            })
            .collect();
        let counts: Vec<turning::ApproachCounts<'_>> = (0..n)
            .map(|i| turning::ApproachCounts {
                turns: &turns[i],
                flows: &flows[i],
                present: Turn::VEHICLE.map(|t| self.site.approaches[i].movement(t).is_some()),
                prior: self.turning_prior[i],
                onto: self.onto[i],
            })
            .collect();
        self.turning = turning::estimate_site(&counts, &self.downstream);
        self.turning_stale = false;
    }

    fn publish(&mut self) {
        if self.estimate.approaches.is_empty() {
            self.estimate.approaches = self
                .site
                .approaches
                .iter()
                .map(|a| ApproachEstimate {
                    link: a.link.clone(),
                    direction: a.direction.to_string(),
                    ..ApproachEstimate::default()
                })
                .collect();
        }
        if self.detectors_stale {
            self.detectors_stale = false;
            self.estimate.detectors.clear();
            for (ch, c) in self.channels.iter().enumerate() {
                if let Some(c) = c {
                    self.estimate.detectors.push(DetectorHealth {
                        channel: ch as u8,
                        fault: c.fault,
                        fallback: self.fallback(ch),
                    });
                }
            }
        }
        for a in &mut self.estimate.approaches {
            a.arrival_veh_h = 0.0;
            a.queue_veh = 0.0;
            a.movement_arrival_veh_h = [0.0; VEHICLE_TURNS];
            a.movement_queue_veh = [0.0; VEHICLE_TURNS];
            a.lanes.clear();
        }
        for lane in &self.lanes {
            let degraded = [lane.advance, lane.stop_bar]
                .into_iter()
                .flatten()
                .any(|ch| self.fallback(ch) != Fallback::None);
            let advance_lost = lane.advance.is_some_and(|ch| {
                matches!(
                    self.fallback(ch),
                    Fallback::Historical | Fallback::ConstantCall
                )
            });
            let flow = if advance_lost {
                lane.history_veh_s
            } else {
                lane.filter.flow()
            };
            // A constant call: the lane counts as always having a vehicle waiting, so every
            // controller serves it.
            let constant_call = [lane.advance, lane.stop_bar]
                .into_iter()
                .flatten()
                .any(|ch| self.fallback(ch) == Fallback::ConstantCall);
            let queue = lane.in_section + lane.beyond;
            let est = LaneEstimate {
                arrival_veh_h: flow * 3600.0,
                trend_veh_h_min: lane.filter.trend() * 3600.0 * 60.0,
                queue_veh: if constant_call { queue.max(1.0) } else { queue },
                degraded,
                standing: lane.standing,
            };
            let a = &mut self.estimate.approaches[lane.approach];
            a.arrival_veh_h += est.arrival_veh_h;
            a.queue_veh += est.queue_veh;
            a.lanes.push(est);
        }
        // Turning ratios (judged on the lanes' recent-flow history: they change slowly), then
        // each movement's share of the lane flows and queues.
        if self.turning_stale {
            self.estimate_turning();
            self.shares = self.lane_shares();
        }
        let mut lane_index = 0;
        for (i, a) in self.estimate.approaches.iter_mut().enumerate() {
            a.turning = self.turning[i];
            let first = lane_index;
            lane_index += a.lanes.len();
            for (est, share) in a.lanes.iter().zip(&self.shares[first..]) {
                for (t, &part) in share.iter().enumerate() {
                    a.movement_arrival_veh_h[t] += est.arrival_veh_h * part;
                    a.movement_queue_veh[t] += est.queue_veh * part;
                }
            }
        }
    }

    /// Each lane's share of its approach's movements, by [`Turn::index`]: the turning ratios
    /// spread over the lanes that allow each turn (evenly over its turns where the ratios
    /// give the lane nothing).
    fn lane_shares(&self) -> Vec<PerTurn<f64>> {
        let mut shares = Vec::with_capacity(self.lanes.len());
        let mut first = 0;
        for (i, &end) in self.lanes_end.iter().enumerate() {
            let r = self.turning[i];
            let turns = |l: usize| self.lanes[l].turns;
            let lanes_of: PerTurn<f64> = std::array::from_fn(|t| {
                (first..end).filter(|&l| turns(l)[t]).count().max(1) as f64
            });
            for l in first..end {
                let allowed = turns(l);
                let weights: PerTurn<f64> =
                    std::array::from_fn(|t| if allowed[t] { r[t] / lanes_of[t] } else { 0.0 });
                let total: f64 = weights.iter().sum();
                let n = allowed.iter().filter(|&&x| x).count().max(1) as f64;
                shares.push(std::array::from_fn(|t| {
                    if total > 0.0 {
                        weights[t] / total
                    } else if allowed[t] {
                        1.0 / n
                    } else {
                        0.0
                    }
                }));
            }
            first = end;
        }
        shares
    }
}

/// By approach and turn: the lanes of the movement, if the approach has it.
fn movement_lanes(site: &Site) -> Vec<PerTurn<Option<f64>>> {
    site.approaches
        .iter()
        .map(|a| Turn::VEHICLE.map(|t| a.movement(t).map(|m| m.lanes.len().max(1) as f64)))
        .collect()
}

/// Since when a condition has held, given whether it holds `now` and since when it held before:
/// `None` while it does not hold.
fn on_since(holds: bool, since: Option<Instant>, now: Instant) -> Option<Instant> {
    match (holds, since) {
        (true, None) => Some(now),
        (true, since) => since,
        (false, _) => None,
    }
}

#[cfg(test)]
mod tests;
