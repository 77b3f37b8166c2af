//! Moving the lanes of a step on several threads, with the result of moving them one by one.
//!
//! Besides its own lane, a lane's vehicles read and write only the tails of the lanes beyond
//! the junction the lane ends at (where they are heading: `movement::choose_lane` and
//! `movement::hand_over`), and read only how soon the oncoming vehicles of that junction
//! arrive (`oncoming`, which a group works out for its own lanes as it begins); no lane ending
//! elsewhere touches those. So the lanes are grouped
//! by the junction they end at (an exit link's lanes on their own); a group moves its lanes in
//! lane order, the groups run on any threads in any order, and the vehicles leaving their lanes
//! are put back in lane order. A step is then bit for bit the step that moves every lane in turn
//! on one thread. Buses tell junctions and stops along their route what they do as they move,
//! across groups, so a network with bus routes moves its lanes on one thread.

use super::booking::Booking;
use super::movement::{LaneContext, LaneOutcome, Leaving, Road, approach_of, step_lane};
use super::threads::Threads;
use crate::loops::{Loop, Passage};
use crate::net::{LaneInfo, NONE, SimLink};
use crate::vehicle::Vehicle;

/// Groups per piece of work handed to a thread (a junction's lanes move in a few microseconds).
const CHUNK: usize = 8;

/// The lanes of a network, grouped by the junction they end at.
pub(crate) struct LaneGroups {
    groups: Vec<Group>,
}

/// The lanes ending at one junction, with their vehicles while they move.
struct Group {
    slots: Vec<Slot>,
    /// The vehicles that left the group's lanes in this step, in lane order.
    leaving: Vec<Leaving>,
    /// What the lanes' loops saw in this step.
    seen: Vec<(u32, Passage)>,
    /// What the lanes' steps add to the logs.
    booking: Booking,
}

struct Slot {
    lane: u32,
    vehicles: Vec<Vehicle>,
    out: LaneOutcome,
}

impl LaneGroups {
    /// The groups for a run on `threads`, when it has more than one, the network no bus
    /// routes (`without_buses`) and every permissive left turn yields to an approach of its
    /// own junction; none otherwise.
    pub fn on(
        threads: &Threads,
        (links, lane_info): (&[SimLink], &[LaneInfo]),
        without_buses: bool,
    ) -> Option<Self> {
        let yields_within = lane_info.iter().all(|info| {
            info.yield_to == NONE
                || links[info.yield_to as usize].junction == links[info.link as usize].junction
        });
        (threads.count() > 1 && without_buses && yields_within).then(|| Self::new(links))
    }

    /// Groups the lanes of `links`.
    fn new(links: &[SimLink]) -> Self {
        let junctions = links
            .iter()
            .filter(|link| !link.is_exit())
            .map(|link| link.junction as usize + 1)
            .max()
            .unwrap_or(0);
        let mut ending_at: Vec<Vec<u32>> = vec![Vec::new(); junctions];
        let mut exits = Vec::new();
        for link in links {
            let lanes = link.lanes().map(|lane| lane as u32);
            if link.is_exit() {
                exits.push(lanes.collect());
            } else {
                ending_at[link.junction as usize].extend(lanes);
            }
        }
        // Lanes are numbered in link order, so each group's lanes are in ascending order.
        let groups = ending_at
            .into_iter()
            .chain(exits)
            .filter(|lanes| !lanes.is_empty())
            .map(|lanes| Group {
                slots: lanes
                    .into_iter()
                    .map(|lane| Slot {
                        lane,
                        vehicles: Vec::new(),
                        out: LaneOutcome::default(),
                    })
                    .collect(),
                leaving: Vec::new(),
                seen: Vec::new(),
                booking: Booking::default(),
            })
            .collect();
        LaneGroups { groups }
    }

    /// One step of every lane (see [`step_lane`]) on `threads`: `wrong_lane[lane]` says
    /// whether a vehicle is left in a lane that does not allow its turn, `leaving` and `seen`
    /// (empty before) get what left the lanes in lane order and what the loops saw, and
    /// [`LaneGroups::bookings`] what the lanes add to the logs.
    pub fn step_lanes(
        &mut self,
        threads: &Threads,
        road: Road<'_>,
        lanes: &mut [Vec<Vehicle>],
        (lane_loops, loops): (&[Vec<u32>], &[Loop]),
        wrong_lane: &mut [bool],
        (leaving, seen): (&mut Vec<Leaving>, &mut Vec<(u32, Passage)>),
    ) {
        debug_assert!(leaving.is_empty() && seen.is_empty());
        for slot in self.groups.iter_mut().flat_map(|g| &mut g.slots) {
            std::mem::swap(&mut slot.vehicles, &mut lanes[slot.lane as usize]);
        }
        threads.each(&mut self.groups, CHUNK, |group| {
            group.step_lanes(road, (lane_loops, loops));
        });
        for group in &mut self.groups {
            for slot in &mut group.slots {
                std::mem::swap(&mut slot.vehicles, &mut lanes[slot.lane as usize]);
                wrong_lane[slot.lane as usize] = slot.out.wrong_lane;
            }
            leaving.append(&mut group.leaving);
            seen.append(&mut group.seen);
        }
        // A link's lanes are all in one group, and links are numbered in lane order: a stable
        // sort by link restores the order of the lanes.
        leaving.sort_by_key(Leaving::from);
    }

    /// What the lanes of each group added to the logs in the last step.
    pub fn bookings(&self) -> impl Iterator<Item = &Booking> {
        self.groups.iter().map(|g| &g.booking)
    }
}

impl Group {
    fn step_lanes(&mut self, road: Road<'_>, (lane_loops, loops): (&[Vec<u32>], &[Loop])) {
        let mut no_signals = Vec::new();
        let mut ctx = LaneContext {
            road,
            buses: &mut [],
            bus_out: &mut no_signals,
        };
        self.booking.clear();
        let lanes = self
            .slots
            .iter()
            .map(|s| (s.lane as usize, s.vehicles.as_slice()));
        road.oncoming.find(lanes, road.lane_info, road.links);
        for slot in &mut self.slots {
            let lane = slot.lane as usize;
            step_lane(
                &mut ctx,
                lane,
                &mut slot.vehicles,
                (&lane_loops[lane], loops),
                (&mut self.seen, &mut self.leaving),
                &mut slot.out,
            );
            self.booking.add(approach_of(&ctx.road, lane), &slot.out);
        }
    }
}
