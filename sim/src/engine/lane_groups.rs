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
//! on one thread. A group also books what its lanes' loops saw, in its own run of the loop
//! table, and reads their cards (those with faults are read after the step, in loop order, for
//! their random stream). Buses tell junctions and stops along their route what they do as they
//! move, across groups, so a network with bus routes moves its lanes on one thread.

use super::booking::Booking;
use super::movement::{LaneContext, LaneOutcome, Leaving, Road, approach_of, step_lane};
use super::threads::Threads;
use greenwave_controllers::detector::DetectorSample;

use crate::loops::{Loop, LoopTable, Passage};
use crate::net::{LaneInfo, NONE, SimLink};
use crate::vehicle::Vehicle;

/// Groups per piece of work handed to a thread (a junction's lanes move in a few microseconds).
const CHUNK: usize = 8;

/// The lanes of a network, grouped by the junction they end at.
pub(crate) struct LaneGroups {
    groups: Vec<Group>,
    /// By lane: where it is in the groups' lanes taken in turn.
    position: Vec<u32>,
}

/// The lanes ending at one junction.
struct Group {
    slots: Vec<Slot>,
    /// The number of its lanes' first loop, and how many they have: one run of the loop
    /// table (see [`LaneGroups::arrange_loops`]).
    loop_base: u32,
    loop_count: u32,
    /// The cards of its loops without faults that saw something or stopped seeing it, read
    /// in this step: (junction, channel, what it reports).
    card_reads: Vec<(u32, u8, DetectorSample)>,
    /// The vehicles that left the group's lanes in this step, in lane order.
    leaving: Vec<Leaving>,
    /// What the lanes' loops saw in this step.
    seen: Vec<(u32, Passage)>,
    /// What the lanes' steps add to the logs.
    booking: Booking,
}

struct Slot {
    lane: u32,
    out: LaneOutcome,
}

/// A lane's vehicles and whether one is left in a lane that does not allow its turn, as a
/// group moves them.
type LaneRefs<'a> = Option<(&'a mut Vec<Vehicle>, &'a mut bool)>;

impl LaneGroups {
    /// The groups for a run on `threads`, when it has more than one, the network no bus
    /// routes (`without_buses`) and every permissive left turn yields to an approach of its
    /// own junction; none otherwise. The loop table (the loops, each lane's loops and the
    /// faulted ones) is arranged for them (see [`LaneGroups::arrange_loops`]).
    pub fn on(
        threads: &Threads,
        (links, lane_info): (&[SimLink], &[LaneInfo]),
        without_buses: bool,
        table: &mut LoopTable,
    ) -> Option<Self> {
        let yields_within = lane_info.iter().all(|info| {
            info.yield_to == NONE
                || links[info.yield_to as usize].junction == links[info.link as usize].junction
        });
        if !(threads.count() > 1 && without_buses && yields_within) {
            return None;
        }
        let mut groups = Self::new(links);
        groups.arrange_loops(table).then_some(groups)
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
        let groups: Vec<Group> = ending_at
            .into_iter()
            .chain(exits)
            .filter(|lanes| !lanes.is_empty())
            .map(|lanes| Group {
                loop_base: 0,
                loop_count: 0,
                card_reads: Vec::new(),
                slots: lanes
                    .into_iter()
                    .map(|lane| Slot {
                        lane,
                        out: LaneOutcome::default(),
                    })
                    .collect(),
                leaving: Vec::new(),
                seen: Vec::new(),
                booking: Booking::default(),
            })
            .collect();
        let lanes = links.iter().map(|link| link.lanes().end).max().unwrap_or(0);
        let mut position = vec![u32::MAX; lanes];
        for (at, slot) in groups.iter().flat_map(|g| &g.slots).enumerate() {
            position[slot.lane as usize] = at as u32;
        }
        LaneGroups { groups, position }
    }

    /// Renumbers the loops so that the loops of each group's lanes make one run of the table,
    /// in group and lane order, and each lane's loops and the faulted ones (whose order is
    /// kept) with them. False, and nothing changed, where the lanes' loops are not every loop
    /// once.
    fn arrange_loops(&mut self, table: &mut LoopTable) -> bool {
        let LoopTable {
            loops,
            lane_loops,
            faulted,
        } = table;
        let order: Vec<u32> = self
            .groups
            .iter()
            .flat_map(|g| &g.slots)
            .flat_map(|slot| lane_loops[slot.lane as usize].iter().copied())
            .collect();
        let mut new_of_old = vec![u32::MAX; loops.len()];
        for (new, &old) in order.iter().enumerate() {
            match new_of_old.get_mut(old as usize) {
                Some(n) if *n == u32::MAX => *n = new as u32,
                _ => return false,
            }
        }
        if order.len() != loops.len() {
            return false;
        }
        let mut base = 0;
        for group in &mut self.groups {
            group.loop_base = base;
            group.loop_count = group
                .slots
                .iter()
                .map(|slot| lane_loops[slot.lane as usize].len() as u32)
                .sum();
            base += group.loop_count;
        }
        let mut numbered: Vec<(u32, Loop)> = loops
            .drain(..)
            .enumerate()
            .map(|(old, it)| (new_of_old[old], it))
            .collect();
        numbered.sort_by_key(|&(new, _)| new);
        loops.extend(numbered.into_iter().map(|(_, it)| it));
        for l in lane_loops.iter_mut().flatten().chain(faulted.iter_mut()) {
            *l = new_of_old[*l as usize];
        }
        true
    }

    /// One step of every lane (see [`step_lane`]) on `threads`: `wrong_lane[lane]` says
    /// whether a vehicle is left in a lane that does not allow its turn, `leaving` and
    /// `card_reads` (empty before) get what left the lanes in lane order and the cards read of
    /// the loops without faults that saw something (the loops' counts booked on the threads,
    /// each group in its run of `loops`), and [`LaneGroups::bookings`] what the lanes add to
    /// the logs.
    pub fn step_lanes(
        &mut self,
        threads: &Threads,
        road: Road<'_>,
        lanes: &mut [Vec<Vehicle>],
        (lane_loops, loops): (&[Vec<u32>], &mut [Loop]),
        wrong_lane: &mut [bool],
        (leaving, card_reads): (&mut Vec<Leaving>, &mut Vec<(u32, u8, DetectorSample)>),
    ) {
        debug_assert!(leaving.is_empty() && card_reads.is_empty());
        // Each lane in its group's place, so that each group holds its lanes alone (and the
        // threads write the lanes in place, none copied to a group and back).
        let mut placed: Vec<LaneRefs<'_>> = Vec::new();
        placed.resize_with(self.position.len(), || None);
        for ((lane, vehicles), wrong) in lanes.iter_mut().enumerate().zip(wrong_lane) {
            if let Some(&at) = self.position.get(lane) {
                placed[at as usize] = Some((vehicles, wrong));
            }
        }
        debug_assert!(placed.iter().all(Option::is_some), "a lane in no group");
        // Each group with its lanes and its run of the loop table.
        let (mut rest, mut rest_loops) = (placed.as_mut_slice(), loops);
        let mut work = Vec::with_capacity(self.groups.len());
        for group in &mut self.groups {
            let (lanes, after) = std::mem::take(&mut rest).split_at_mut(group.slots.len());
            rest = after;
            let count = group.loop_count as usize;
            let (loops, after) = std::mem::take(&mut rest_loops).split_at_mut(count);
            rest_loops = after;
            work.push((group, lanes, loops));
        }
        threads.each(&mut work, CHUNK, |(group, lanes, loops)| {
            group.step_lanes(road, lanes, (lane_loops, loops));
        });
        for group in &mut self.groups {
            leaving.append(&mut group.leaving);
            card_reads.append(&mut group.card_reads);
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
    /// Moves the group's lanes (`lanes`: their vehicles, in the order of its slots), then books
    /// what their loops saw (`loops`: the group's run of the loop table) and reads the cards
    /// of those without faults.
    fn step_lanes(
        &mut self,
        road: Road<'_>,
        lanes: &mut [LaneRefs<'_>],
        (lane_loops, loops): (&[Vec<u32>], &mut [Loop]),
    ) {
        let mut no_signals = Vec::new();
        let mut ctx = LaneContext {
            road,
            buses: &mut [],
            bus_out: &mut no_signals,
        };
        self.booking.clear();
        let vehicles = (self.slots.iter().zip(lanes.iter()))
            .filter_map(|(s, l)| Some((s.lane as usize, l.as_ref()?.0.as_slice())));
        road.oncoming.find(vehicles, road.lane_info, road.links);
        for (slot, refs) in self.slots.iter_mut().zip(lanes.iter_mut()) {
            let Some((vehicles, wrong_lane)) = refs else {
                continue;
            };
            let lane = slot.lane as usize;
            step_lane(
                &mut ctx,
                lane,
                vehicles,
                (&lane_loops[lane], loops, self.loop_base),
                (&mut self.seen, &mut self.leaving),
                &mut slot.out,
            );
            **wrong_lane = slot.out.wrong_lane;
            self.booking.add(approach_of(&ctx.road, lane), &slot.out);
        }
        for (l, passage) in self.seen.drain(..) {
            let it = &mut loops[(l - self.loop_base) as usize];
            it.record(passage);
            // (The faulted are read after the step, in loop order, for their random stream.)
            if it.faults.is_empty() {
                let card = it.sample_sound();
                self.card_reads.push((it.junction, it.channel, card));
            }
        }
    }
}
