//! Mandatory lane changes: a vehicle in a lane that does not allow its next turn moves one lane
//! towards one that does, when the gaps to the new leader and follower are safe; otherwise it
//! keeps trying, and stops at the stop line if it must (its followers queue behind it).

use crate::driver::Driver;
use crate::net::{LaneInfo, SimLink};
use crate::vehicle::{HALTING_SPEED, Vehicle, WRONG_LANE};

/// Moves the vehicles that need it, at most one lane each per step. `wrong_lane[lane]` is
/// false only where no vehicle of the lane is in the wrong lane, and stays so.
pub(crate) fn change_lanes(
    (lanes, wrong_lane): (&mut [Vec<Vehicle>], &mut [bool]),
    info: &[LaneInfo],
    links: &[SimLink],
    d: &Driver,
) {
    for lane in 0..lanes.len() {
        if !wrong_lane[lane] || !lanes[lane].iter().any(|v| v.flags & WRONG_LANE != 0) {
            continue;
        }
        let link = &links[info[lane].link as usize];
        let mut i = 0;
        while i < lanes[lane].len() {
            let veh = lanes[lane][i];
            if veh.flags & WRONG_LANE == 0 || veh.x < 0.0 {
                i += 1;
                continue;
            }
            // Nearest lane of the link that allows the turn, and the step towards it.
            let here = lane as i64;
            let target = link
                .lanes()
                .filter(|&l| info[l].allows_turn(veh.turn))
                .min_by_key(|&l| (l as i64 - here).abs());
            let Some(target) = target else {
                i += 1;
                continue;
            };
            let next = if (target as i64) < here {
                lane - 1
            } else {
                lane + 1
            };
            if fits(&lanes[next], &veh, d) {
                let mut moved = lanes[lane].remove(i);
                if info[next].allows_turn(moved.turn) {
                    moved.flags &= !WRONG_LANE;
                } else {
                    wrong_lane[next] = true;
                }
                let at = lanes[next].partition_point(|o| o.x > moved.x);
                lanes[next].insert(at, moved);
            } else if i == 0 && swaps_at_the_line(lanes, info, (lane, next)) {
                swap_fronts(lanes, info, (lane, next));
                wrong_lane[next] = true;
                i += 1;
            } else {
                i += 1;
            }
        }
    }
}

/// Standing at the front of neighbouring lanes, this far apart or less, two vehicles that each
/// want the other's lane can trade places, m.
const SWAP_REACH_M: f32 = 8.0;
/// ... and where each leaves at least this much room to the vehicle behind it in its new lane
/// (a bus is longer than the car it trades with), m.
const SWAP_ROOM_M: f32 = 1.0;

/// Whether the fronts of lanes `a` and `b` are two vehicles halted at the line side by side,
/// the one in `a` heading for `b` or beyond and the one in `b` wanting `a`: neither can ever
/// find a gap (the other blocks it), so they trade places, as drivers would by signs.
fn swaps_at_the_line(lanes: &[Vec<Vehicle>], info: &[LaneInfo], (a, b): (usize, usize)) -> bool {
    let (Some(p), Some(q)) = (lanes[a].first(), lanes[b].first()) else {
        return false;
    };
    let halted = |v: &Vehicle| v.v < HALTING_SPEED && v.x >= 0.0;
    // Coming to the place `at` of the front of `lane`, `v` clears the vehicle behind it there.
    let clears = |v: &Vehicle, at: f32, lane: usize| {
        lanes[lane]
            .get(1)
            .is_none_or(|behind| at - v.len - behind.x >= SWAP_ROOM_M)
    };
    p.flags & q.flags & WRONG_LANE != 0
        && clears(q, p.x, a)
        && clears(p, q.x, b)
        && halted(p)
        && halted(q)
        && (p.x - q.x).abs() <= SWAP_REACH_M
        && info[a].allows_turn(q.turn)
}

/// Trades the fronts of lanes `a` and `b`, each taking the other's place.
fn swap_fronts(lanes: &mut [Vec<Vehicle>], info: &[LaneInfo], (a, b): (usize, usize)) {
    let mut p = lanes[a][0];
    let mut q = lanes[b][0];
    (p.x, q.x) = (q.x, p.x);
    (p.x_prev, q.x_prev) = (p.x, q.x);
    for (v, lane) in [(&mut p, b), (&mut q, a)] {
        if info[lane].allows_turn(v.turn) {
            v.flags &= !WRONG_LANE;
        }
    }
    lanes[a][0] = q;
    lanes[b][0] = p;
}

/// Whether `veh` fits between the vehicles of `lane` at its position.
fn fits(lane: &[Vehicle], veh: &Vehicle, d: &Driver) -> bool {
    let at = lane.partition_point(|o| o.x > veh.x);
    let ahead_ok = at == 0 || lane[at - 1].x - lane[at - 1].len - veh.x >= d.s0;
    let behind_ok = at == lane.len() || {
        let f = &lane[at];
        veh.x - veh.len - f.x >= d.s0 + f.v * 0.5 * d.headway
    };
    ahead_ok && behind_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::NONE;
    use greenwave_controllers::corridor::TurnSet;
    use greenwave_controllers::model::Turn;

    fn lane(allows: &str) -> LaneInfo {
        LaneInfo {
            link: 0,
            allows: TurnSet::parse(allows).unwrap(),
            group: [0; greenwave_controllers::model::VEHICLE_TURNS],
            yield_to: NONE,
        }
    }

    fn halted(x: f32, turn: Turn, id: u32) -> Vehicle {
        Vehicle {
            x,
            x_prev: x,
            v: 0.0,
            v0: 13.9,
            loss: 0.0,
            loss_at_link: 0.0,
            loss_at_free: 0.0,
            halted_since: 0.0,
            fuel: 0.0,
            waiting: 0.0,
            len: 4.5,
            id,
            stops: 1,
            bus: crate::vehicle::NO_BUS,
            turn: turn.index().unwrap() as u8,
            next_turn: 0,
            flags: WRONG_LANE,
        }
    }

    #[test]
    fn two_vehicles_halted_at_the_line_in_each_others_lane_trade_places() {
        let info = [lane("L"), lane("T")];
        let mut lanes = vec![
            vec![halted(99.0, Turn::Through, 1), halted(92.0, Turn::Left, 3)],
            vec![halted(98.5, Turn::Left, 2)],
        ];
        let mut swapped = 0;
        if swaps_at_the_line(&lanes, &info, (0, 1)) {
            swap_fronts(&mut lanes, &info, (0, 1));
            swapped += 1;
        }
        assert_eq!(swapped, 1);
        assert_eq!((lanes[0][0].id, lanes[1][0].id), (2, 1));
        assert_eq!((lanes[0][0].x, lanes[1][0].x), (99.0, 98.5));
        assert_eq!(lanes[0][0].flags & WRONG_LANE, 0);
        assert_eq!(lanes[1][0].flags & WRONG_LANE, 0);
        // The one behind keeps its place.
        assert_eq!(lanes[0][1].id, 3);
    }

    #[test]
    fn a_vehicle_still_moving_one_the_other_does_not_want_or_too_long_is_not_swapped() {
        let info = [lane("L"), lane("T")];
        let mut moving = halted(98.0, Turn::Left, 2);
        moving.v = 3.0;
        let lanes = vec![vec![halted(99.0, Turn::Through, 1)], vec![moving]];
        assert!(!swaps_at_the_line(&lanes, &info, (0, 1)));
        // The front of the other lane is where it should be.
        let mut content = halted(98.0, Turn::Through, 2);
        content.flags = 0;
        let lanes = vec![vec![halted(99.0, Turn::Through, 1)], vec![content]];
        assert!(!swaps_at_the_line(&lanes, &info, (0, 1)));
        // A bus coming to a car's place would not clear the car behind that.
        let mut bus = halted(98.5, Turn::Left, 2);
        bus.len = 12.0;
        let lanes = vec![
            vec![halted(99.0, Turn::Through, 1), halted(92.0, Turn::Left, 3)],
            vec![bus],
        ];
        assert!(!swaps_at_the_line(&lanes, &info, (0, 1)));
        // Too far apart.
        let lanes = vec![
            vec![halted(99.0, Turn::Through, 1)],
            vec![halted(80.0, Turn::Left, 2)],
        ];
        assert!(!swaps_at_the_line(&lanes, &info, (0, 1)));
    }
}
