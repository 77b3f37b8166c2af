//! The fallback chain of a faulty detector channel: a healthy loop of the same kind on a
//! neighbouring lane (one sharing a turn first, the nearest first), else the lane's flow
//! history, else a constant call.

use super::{Estimator, Fallback, Lane};
use crate::model::VEHICLE_TURNS;

impl Estimator {
    /// A healthy detector of the same kind on another lane of the same approach: one whose
    /// lane shares a turn with this one's if possible, the nearest lane first.
    fn neighbour(&self, channel: usize) -> Option<usize> {
        let c = self.channels[channel].as_ref()?;
        let turns_of = |lane: u8| {
            self.lanes
                .iter()
                .find(|l| l.approach == c.approach && l.lane == lane)
                .map_or([false; VEHICLE_TURNS], |l| l.turns)
        };
        let mine = turns_of(c.lane);
        self.channels
            .iter()
            .enumerate()
            .filter_map(|(i, o)| Some((i, o.as_ref()?)))
            .filter(|(_, o)| {
                o.approach == c.approach
                    && o.kind == c.kind
                    && o.lane != c.lane
                    && o.fault.is_none()
            })
            .min_by_key(|(_, o)| {
                let shares = turns_of(o.lane).iter().zip(&mine).any(|(a, b)| *a && *b);
                (!shares, o.lane.abs_diff(c.lane))
            })
            .map(|(i, _)| i)
    }

    /// Recomputes every channel's fallback when a fault or a lane's history has changed.
    pub(super) fn refresh_fallbacks(&mut self) {
        if self.health_changed {
            self.fallbacks = (0..self.channels.len())
                .map(|ch| match self.lane_of_channel[ch] {
                    Some(l) => self.find_fallback(ch, &self.lanes[l]),
                    None => Fallback::None,
                })
                .collect();
            self.health_changed = false;
            self.detectors_stale = true;
        }
    }

    /// The fallback in force for a channel.
    pub(super) fn fallback(&self, channel: usize) -> Fallback {
        self.fallbacks
            .get(channel)
            .copied()
            .unwrap_or(Fallback::None)
    }

    fn find_fallback(&self, channel: usize, lane: &Lane) -> Fallback {
        match &self.channels[channel] {
            Some(c) if c.fault.is_none() => Fallback::None,
            None => Fallback::None,
            Some(_) => match self.neighbour(channel) {
                Some(n) => Fallback::Neighbour { channel: n as u8 },
                None if lane.has_history => Fallback::Historical,
                None => Fallback::ConstantCall,
            },
        }
    }
}
