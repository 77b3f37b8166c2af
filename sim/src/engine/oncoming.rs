//! Per link, how soon its nearest vehicle going straight or right reaches the stop line: the
//! gap a permissive left turn across that link judges (`movement`). Only the lanes ending at
//! the same junction read a link's value (a left turn yields to the oncoming approach of its
//! own junction), so lanes grouped by the junction they end at (`lane_groups`) work out their
//! own links' values as their step begins, on their own thread; relaxed atomics carry the
//! values, as in `tails`.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use crate::net::{LaneInfo, SimLink, turns_left};
use crate::vehicle::Vehicle;

/// Per link, seconds until its nearest vehicle going straight or right reaches the stop line
/// (infinite when none is on its way).
pub(crate) struct Oncoming {
    eta: Vec<AtomicU32>,
}

impl Oncoming {
    /// `links` links, none with a vehicle on its way.
    pub fn new(links: usize) -> Self {
        Oncoming {
            eta: (0..links)
                .map(|_| AtomicU32::new(f32::INFINITY.to_bits()))
                .collect(),
        }
    }

    /// The seconds until the nearest vehicle of `link` going straight or right reaches the stop
    /// line; `f32::INFINITY` where none is on its way.
    pub fn eta(&self, link: usize) -> f32 {
        f32::from_bits(self.eta[link].load(Relaxed))
    }

    /// Works out the links of `lanes`, given in lane order with every lane of each link, from
    /// where their vehicles are.
    pub fn find<'v>(
        &self,
        lanes: impl Iterator<Item = (usize, &'v [Vehicle])>,
        info: &[LaneInfo],
        links: &[SimLink],
    ) {
        let mut last_link = usize::MAX;
        for (lane, vehicles) in lanes {
            let link = info[lane].link as usize;
            if link != last_link {
                self.eta[link].store(f32::INFINITY.to_bits(), Relaxed);
                last_link = link;
            }
            let stop_line = links[link].length;
            if let Some(v) = vehicles
                .iter()
                .find(|v| v.x < stop_line && !turns_left(v.turn))
            {
                let eta = (stop_line - v.x) / v.v.max(0.5);
                self.eta[link].store(self.eta(link).min(eta).to_bits(), Relaxed);
            }
        }
    }
}
