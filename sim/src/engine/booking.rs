//! What the lanes' steps add to the run's logs: vehicle updates, hard stops, and per approach
//! its halted vehicles (the queue) and new stops. Summed where the lanes move (on the threads,
//! group by group), then added to the logs once per approach rather than once per lane.

use super::movement::LaneOutcome;
use crate::net::NONE;

/// The sums of some lanes' outcomes in a step.
#[derive(Debug, Default)]
pub(crate) struct Booking {
    /// Vehicles moved.
    pub updates: u64,
    /// Vehicles that stopped harder than they could.
    pub hard_stops: u64,
    /// Per approach: (approach log, halted vehicles, new stops); one entry per run of lanes of
    /// the same approach with something to add.
    pub approaches: Vec<(u32, u32, u32)>,
}

impl Booking {
    /// Starts a step afresh.
    pub fn clear(&mut self) {
        self.updates = 0;
        self.hard_stops = 0;
        self.approaches.clear();
    }

    /// Adds the outcome of a lane of `approach` (`NONE`: a lane without an approach log).
    pub fn add(&mut self, approach: u32, out: &LaneOutcome) {
        if out.vehicles == 0 {
            return;
        }
        self.updates += u64::from(out.vehicles);
        self.hard_stops += u64::from(out.hard_stops);
        // An approach's lane with nobody halted and no new stop adds nothing to its log.
        if approach == NONE || (out.halted == 0 && out.new_stops == 0) {
            return;
        }
        match self.approaches.last_mut() {
            Some((a, halted, stops)) if *a == approach => {
                *halted += out.halted;
                *stops += out.new_stops;
            }
            _ => self.approaches.push((approach, out.halted, out.new_stops)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(vehicles: u32, halted: u32, new_stops: u32) -> LaneOutcome {
        LaneOutcome {
            vehicles,
            halted,
            new_stops,
            hard_stops: 0,
            ..LaneOutcome::default()
        }
    }

    #[test]
    fn lanes_of_one_approach_are_summed_and_lanes_adding_nothing_skipped() {
        let mut b = Booking::default();
        b.add(3, &out(4, 2, 1));
        b.add(3, &out(5, 3, 0));
        b.add(3, &out(0, 0, 0));
        b.add(NONE, &out(2, 0, 0));
        b.add(5, &out(3, 0, 0));
        b.add(7, &out(1, 1, 1));
        assert_eq!(b.updates, 15);
        assert_eq!(b.approaches, vec![(3, 5, 1), (7, 1, 1)]);
        b.clear();
        assert_eq!((b.updates, b.approaches.len()), (0, 0));
    }
}
