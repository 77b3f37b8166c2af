//! Mandatory lane changes: a vehicle in a lane that does not allow its next turn moves one lane
//! towards one that does, when the gaps to the new leader and follower are safe; otherwise it
//! keeps trying, and stops at the stop line if it must (its followers queue behind it).

use crate::driver::Driver;
use crate::net::{LaneInfo, SimLink};
use crate::vehicle::{Vehicle, WRONG_LANE};

/// Moves the vehicles that need it, at most one lane each per step.
pub(crate) fn change_lanes(
    lanes: &mut [Vec<Vehicle>],
    info: &[LaneInfo],
    links: &[SimLink],
    d: &Driver,
) {
    for lane in 0..lanes.len() {
        if !lanes[lane].iter().any(|v| v.flags & WRONG_LANE != 0) {
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
                }
                let at = lanes[next].partition_point(|o| o.x > moved.x);
                lanes[next].insert(at, moved);
            } else {
                i += 1;
            }
        }
    }
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
