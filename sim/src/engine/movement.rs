//! Moving the vehicles of one lane through one step: car following, the stop line, and the
//! hand-over into the junction.
//!
//! Signals are honoured per lane and turn: green and flashing green go; amber stops a vehicle that
//! can stop at `amber_decel` or less and lets it go on otherwise (the dilemma zone, decided once
//! per amber); red, red+amber and anything else stop. A vehicle enters the junction only when its
//! downstream lane has room for it beyond the junction, so queues spill back instead of blocking
//! the junction. A vehicle that could not stop in time is held at the stop line and counted as a
//! hard stop (a correct run has none).

use greenwave_controllers::model::{Aspect, SignalState};

use crate::driver::{Driver, ballistic, fuel_ml};
use crate::loops::{Loop, Passage};
use crate::net::{JUNCTION_PATH_M, LaneInfo, NO_GROUP, NONE, SimLink, turns_left};
use crate::vehicle::{
    COMMITTED, GAP_TAKEN, HALTED, HALTING_SPEED, MOVING_AGAIN, NO_BUS, Vehicle, WRONG_LANE,
};

use super::bus::{self, BusLink, BusRun, BusSignal};
use super::oncoming::Oncoming;
use super::tails::Tails;

/// Critical gap for a permissive left turn across oncoming traffic (HCM 2016, exhibit 20-11:
/// 4.1 s for a passenger car across one lane; a little more here for two).
const CRITICAL_GAP_S: f32 = 4.5;
/// A left-turner decides whether to go within this distance of the stop line.
const YIELD_DECISION_M: f32 = 15.0;

/// Beyond this distance from the stop line (plus the braking distance) it is not considered.
const STOP_LINE_HORIZON_M: f32 = 40.0;
/// A vehicle at this share of its desired speed or more runs freely: the time it loses from its
/// last such moment on is the delay of the junction ahead (`StopLineCrossing::junction_delay_s`).
const FREE_SHARE: f32 = 0.95;

/// What every lane reads in a step, the same for all.
#[derive(Clone, Copy)]
pub(crate) struct Road<'a> {
    pub driver: &'a Driver,
    /// The driver model of buses.
    pub bus_driver: &'a Driver,
    /// What each link holds for buses.
    pub bus_links: &'a [BusLink],
    pub links: &'a [SimLink],
    pub lane_info: &'a [LaneInfo],
    /// Signal heads of each junction.
    pub shown: &'a [SignalState],
    /// When each group of each junction started showing go, s.
    pub go_since: &'a [Vec<f32>],
    /// Per lane, its last vehicle: updated as vehicles are handed over into it.
    pub tails: &'a Tails,
    /// Per link, seconds until its nearest vehicle going straight or right reaches the stop
    /// line, for permissive left turns.
    pub oncoming: &'a Oncoming,
    /// Per link, its approach log (`NONE`: none).
    pub approach_of_link: &'a [u32],
    pub dt: f32,
    /// The time at the start and at the end of this step, s.
    pub t: f32,
    pub t_end: f32,
}

/// What the step loop needs besides the lane itself.
pub(crate) struct LaneContext<'a> {
    pub road: Road<'a>,
    /// The buses on their trips.
    pub buses: &'a mut [BusRun],
    /// What buses tell the junctions this step.
    pub bus_out: &'a mut Vec<BusSignal>,
}

/// A vehicle leaving its lane this step.
pub(crate) enum Leaving {
    /// From link `from` into the junction and on to `lane`, already in that lane's
    /// coordinates; `aspect` is what its signal showed.
    Onto {
        from: u32,
        lane: u32,
        vehicle: Vehicle,
        aspect: Aspect,
    },
    /// Out of the network at the end of exit link `from`.
    Exit { from: u32, vehicle: Vehicle },
}

impl Leaving {
    /// The link it leaves.
    pub(crate) fn from(&self) -> u32 {
        match self {
            Leaving::Onto { from, .. } | Leaving::Exit { from, .. } => *from,
        }
    }
}

/// Per-lane outputs of a step.
#[derive(Clone, Copy, Default)]
pub(crate) struct LaneOutcome {
    /// Vehicles in the lane as the step began (none: nothing else happened).
    pub vehicles: u32,
    /// Vehicles past the stop line: a prefix of the lane, handed over.
    pub crossed: usize,
    pub halted: u32,
    pub new_stops: u32,
    pub hard_stops: u32,
    /// Whether a vehicle left in the lane is in a lane that does not allow its turn.
    pub wrong_lane: bool,
}

/// The aspect governing `turn` from this lane.
fn aspect_for(info: &LaneInfo, link: &SimLink, shown: &[SignalState], turn: u8) -> Aspect {
    let group = info
        .group
        .get(usize::from(turn))
        .copied()
        .unwrap_or(NO_GROUP);
    if group == NO_GROUP || link.is_exit() {
        return Aspect::Red;
    }
    shown[link.junction as usize].aspects()[usize::from(group)]
}

/// The gap kept when a vehicle merges in behind another that entered the lane in the same step.
const MERGE_GAP_M: f32 = 0.5;

/// Below this speed a lane's last vehicle counts as standing, so a full lane is blocked, m/s.
const JAMMED: f32 = 1.0;

/// The lane of the next link a vehicle should enter: among the lanes allowing its next turn, the
/// one with the most room; failing that, any lane with room. A lane has room when its last
/// vehicle leaves `need` metres behind it or is still moving. `None` when no lane has room.
pub(crate) fn choose_lane(
    road: &Road<'_>,
    next_link: u32,
    next_turn: u8,
    need: f32,
) -> Option<u32> {
    let link = &road.links[next_link as usize];
    let mut best: Option<(u32, f32, bool)> = None;
    for lane in link.lanes() {
        let room = road.tails.room(lane);
        if room < need && road.tails.speed(lane) < JAMMED {
            continue;
        }
        let fits = road.lane_info[lane].allows_turn(next_turn);
        let better = match best {
            None => true,
            Some((_, r, f)) => (fits && !f) || (fits == f && room > r),
        };
        if better {
            best = Some((lane as u32, room, fits));
        }
    }
    best.map(|(lane, _, _)| lane)
}

/// Moves every vehicle of `lane` (front first) by one step, adding what happened to `out`
/// (which starts the step with the lane's vehicles counted and nothing else).
/// Those past the stop line stay in the lane (for the loops to see) until [`step_lane`]
/// removes them.
fn move_lane(
    ctx: &mut LaneContext<'_>,
    lane: usize,
    vehicles: &mut [Vehicle],
    out: &mut LaneOutcome,
) {
    let dt = ctx.road.dt;
    let (lane_info, links) = (ctx.road.lane_info, ctx.road.links);
    let info = &lane_info[lane];
    let link = &links[info.link as usize];
    let stop_line = link.length;
    // The leader's state before this step: (rear position, speed).
    let mut leader: Option<(f32, f32)> = None;

    for veh in vehicles.iter_mut() {
        let d = if veh.bus == NO_BUS {
            ctx.road.driver
        } else {
            ctx.road.bus_driver
        };
        let (x, v) = (veh.x, veh.v);
        let mut acc = match leader {
            Some((rear, lv)) => d.accel(v, veh.v0, rear - x, v - lv),
            None => d.accel(v, veh.v0, f32::INFINITY, 0.0),
        };
        // The stop line, for a vehicle that has not crossed it and is near enough to care.
        let to_line = stop_line - x;
        let mut must_stop = false;
        if !link.is_exit() && to_line >= 0.0 && to_line < STOP_LINE_HORIZON_M + v * v / (2.0 * d.b)
        {
            let aspect = aspect_for(info, link, ctx.road.shown, veh.turn);
            let go = veh.flags & WRONG_LANE == 0
                && match aspect {
                    // A driver standing at the line reacts to the green after a moment.
                    Aspect::Green | Aspect::FlashingGreen if v < HALTING_SPEED => {
                        let group = info.group[usize::from(veh.turn)];
                        ctx.road.t - ctx.road.go_since[link.junction as usize][usize::from(group)]
                            >= d.reaction
                    }
                    Aspect::Green | Aspect::FlashingGreen => true,
                    Aspect::Amber if veh.flags & COMMITTED != 0 => true,
                    Aspect::Amber => {
                        let can_stop = v * v <= 2.0 * d.b_amber * to_line;
                        if !can_stop {
                            veh.flags |= COMMITTED;
                        }
                        !can_stop
                    }
                    _ => false,
                };
            // A permissive left gives way to oncoming traffic closer than the critical gap,
            // deciding once near the line (or going on when it is too close to stop).
            let go = go
                && !(turns_left(veh.turn)
                    && info.yield_to != NONE
                    && veh.flags & GAP_TAKEN == 0
                    && to_line < YIELD_DECISION_M
                    && {
                        let gap_ok =
                            ctx.road.oncoming.eta(info.yield_to as usize) >= CRITICAL_GAP_S;
                        if gap_ok || v * v > 2.0 * d.b_amber * to_line {
                            veh.flags |= GAP_TAKEN;
                        }
                        veh.flags & GAP_TAKEN == 0
                    });
            if go {
                let next = link.next[usize::from(veh.turn)];
                match choose_lane(&ctx.road, next, veh.next_turn, veh.len + d.s0) {
                    Some(t) if leader.is_none() => {
                        // Follow the tail of the lane it is heading for, across the junction.
                        let t = t as usize;
                        let gap = to_line
                            + JUNCTION_PATH_M[usize::from(veh.turn)]
                            + ctx.road.tails.room(t);
                        acc = acc.min(d.accel(v, veh.v0, gap, v - ctx.road.tails.speed(t)));
                    }
                    Some(_) => {}
                    None => must_stop = true,
                }
            } else {
                must_stop = true;
            }
            if must_stop {
                acc = acc.min(d.accel(v, veh.v0, to_line, v));
            }
        }

        if veh.bus != NO_BUS {
            acc = acc.min(bus_stop_accel(ctx, veh, info.link, d));
        }
        let (mut nx, mut nv) = ballistic(x, v, acc, dt);
        if must_stop && nx >= stop_line {
            // Could not stop in time: held at the line (a physical impossibility, counted).
            nx = stop_line - 0.01;
            nv = 0.0;
            out.hard_stops += 1;
        }
        let moved = nx - x;
        veh.loss += dt - moved / veh.v0;
        if nv >= FREE_SHARE * veh.v0 {
            veh.loss_at_free = veh.loss;
        }
        veh.fuel += fuel_ml(moved / dt, (nv - v) / dt, dt);
        veh.x_prev = x;
        veh.x = nx;
        veh.v = nv;
        if veh.bus != NO_BUS {
            bus_signals(ctx, veh, info.link, stop_line, d);
        }
        book_halt(veh, ctx.road.t_end, dt, out);
        leader = Some((x - veh.len, v));

        if nx >= stop_line {
            out.crossed += 1;
        }
    }
}

/// The lane's loops (by number), and a run of the loop table that holds them, with the
/// number of its first loop (read only while the lanes move).
pub(crate) type LaneLoops<'a> = (&'a [u32], &'a [Loop], u32);

/// One lane's step: its vehicles move, its loops see them pass (`seen`, by loop), those past
/// the stop line leave the lane for `leaving`, and `out` says what happened. (`out` is written
/// in place, field by field: a whole outcome returned and copied lane by lane read back fields
/// the callee had just stored one by one, which the processor cannot forward, at every lane.)
pub(crate) fn step_lane(
    ctx: &mut LaneContext<'_>,
    lane: usize,
    vehicles: &mut Vec<Vehicle>,
    (lane_loops, loops, base): LaneLoops<'_>,
    (seen, leaving): (&mut Vec<(u32, Passage)>, &mut Vec<Leaving>),
    out: &mut LaneOutcome,
) {
    if vehicles.is_empty() {
        // Nobody over its loops (the last vehicle may have left in the step before).
        for &l in lane_loops {
            if loops[(l - base) as usize].presence {
                seen.push((l, Passage::default()));
            }
        }
        *out = LaneOutcome::default();
        return;
    }
    *out = LaneOutcome {
        vehicles: vehicles.len() as u32,
        ..LaneOutcome::default()
    };
    move_lane(ctx, lane, vehicles, out);
    for &l in lane_loops {
        let it = &loops[(l - base) as usize];
        let passage = it.observe(vehicles, ctx.road.dt);
        // A loop that saw nothing, uncovered before and after, has nothing to book.
        if passage.count > 0 || passage.on_time_s > 0.0 || passage.presence || it.presence {
            seen.push((l, passage));
        }
    }
    hand_over(&ctx.road, lane, &vehicles[..out.crossed], leaving);
    vehicles.drain(..out.crossed);
    out.wrong_lane = vehicles.iter().any(|v| v.flags & WRONG_LANE != 0);
}

/// The approach log of `lane`'s link (`NONE`: none).
pub(crate) fn approach_of(road: &Road<'_>, lane: usize) -> u32 {
    road.approach_of_link[road.lane_info[lane].link as usize]
}

/// Counts `veh`, just moved, as halted (and a new stop) or moving again.
fn book_halt(veh: &mut Vehicle, t_end: f32, dt: f32, out: &mut LaneOutcome) {
    if veh.v < HALTING_SPEED {
        out.halted += 1;
        veh.waiting += dt;
        if veh.halted_since < 0.0 {
            veh.halted_since = t_end;
        }
        if veh.flags & HALTED == 0 {
            veh.flags |= HALTED;
            veh.stops += 1;
            out.new_stops += 1;
        }
    } else if veh.v > MOVING_AGAIN {
        veh.flags &= !HALTED;
    }
}

/// The most a bus may accelerate for its next stop on `link` (see [`bus::at_stops`]).
fn bus_stop_accel(ctx: &mut LaneContext<'_>, veh: &Vehicle, link: u32, d: &Driver) -> f32 {
    let run = &mut ctx.buses[usize::from(veh.bus)];
    let (v, v0) = (veh.v, veh.v0);
    let cap = bus::at_stops(
        run,
        link,
        (veh.x, v),
        (ctx.road.t, ctx.road.dt),
        d.s0 + 2.0,
        |gap| d.accel(v, v0, gap, v),
    );
    cap.max(-d.b_max)
}

/// What a bus that has just moved tells the junction of `link` (see [`bus::signals`]).
fn bus_signals(
    ctx: &mut LaneContext<'_>,
    veh: &Vehicle,
    link: u32,
    stop_line: f32,
    driver: &Driver,
) {
    let t = ctx.road.t;
    let run = &mut ctx.buses[usize::from(veh.bus)];
    let eta =
        |run: &BusRun| bus::eta_to_line(run, driver, link, (veh.x, veh.v, veh.v0), stop_line, t);
    let meets = &ctx.road.bus_links[link as usize];
    let span = (veh.x_prev, veh.x, stop_line);
    bus::signals(
        run,
        veh.bus,
        link,
        meets,
        span,
        eta,
        ctx.road.t,
        ctx.bus_out,
    );
}

/// Hands the `crossed` vehicles of `lane` (those past its stop line, a prefix of the lane; the
/// caller removes them) over to `leaving`, and into the tails of the lanes they enter.
fn hand_over(road: &Road<'_>, lane: usize, crossed: &[Vehicle], leaving: &mut Vec<Leaving>) {
    let info = &road.lane_info[lane];
    let link = &road.links[info.link as usize];
    let stop_line = link.length;
    for &veh in crossed {
        if link.is_exit() {
            leaving.push(Leaving::Exit {
                from: info.link,
                vehicle: veh,
            });
            continue;
        }
        let aspect = aspect_for(info, link, road.shown, veh.turn);
        let next = link.next[usize::from(veh.turn)];
        let lane_to = choose_lane(road, next, veh.next_turn, 0.0)
            .unwrap_or(road.links[next as usize].first_lane);
        let shift = stop_line + JUNCTION_PATH_M[usize::from(veh.turn)];
        let mut moved = veh;
        moved.x -= shift;
        moved.x_prev -= shift;
        // Two vehicles merging into one lane in the same step: the later one falls in behind.
        let tail_rear = road.tails.room(lane_to as usize);
        if moved.x > tail_rear - MERGE_GAP_M {
            moved.x = tail_rear - MERGE_GAP_M;
            moved.x_prev = moved.x_prev.min(moved.x);
            moved.v = moved.v.min(road.tails.speed(lane_to as usize));
        }
        // Never faster than it can still stop behind that lane's last vehicle at full braking
        // (it may have followed another lane's tail across the junction).
        let gap = tail_rear - moved.x;
        if gap.is_finite() {
            let lead_v = road.tails.speed(lane_to as usize);
            let d = road.driver;
            moved.v = moved
                .v
                .min(lead_v + (2.0 * d.b_max * (gap - 0.1).max(0.0)).sqrt());
        }
        let rear = moved.x - moved.len;
        if rear < road.tails.room(lane_to as usize) {
            road.tails.set(lane_to as usize, rear, moved.v);
        }
        leaving.push(Leaving::Onto {
            from: info.link,
            lane: lane_to,
            vehicle: moved,
            aspect,
        });
    }
}

/// Whether crossing on `aspect` was allowed for a vehicle with `flags`.
pub(crate) fn crossing_allowed(aspect: Aspect, flags: u8) -> bool {
    aspect.is_go() || (aspect == Aspect::Amber && flags & COMMITTED != 0)
}
