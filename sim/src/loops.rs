//! Induction loops: what a detector card would report for each simulated loop, register for
//! register (`docs/spec/cabinet-modbus.md`): cumulative count, cumulative on-time in centiseconds,
//! presence and fault code, with injected faults.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use greenwave_controllers::detector::{DetectorSample, FaultCode};

use crate::scenario::{Fault, FaultKind};
use crate::vehicle::Vehicle;

/// One loop.
#[derive(Clone, Debug)]
pub(crate) struct Loop {
    /// Junction and channel it reports to.
    pub junction: u32,
    pub channel: u8,
    /// Upstream and downstream edges, metres from the lane start.
    pub start: f32,
    pub end: f32,
    /// Vehicles counted (a front crossing the upstream edge).
    pub count: u32,
    /// Seconds occupied.
    pub on_time_s: f64,
    pub presence: bool,
    /// Injected faults on this loop.
    pub faults: Vec<Fault>,
    /// What the card has reported so far (differs from the truth under a fault).
    pub reported_count: u32,
    pub reported_on_time_s: f64,
    /// The truth at the last sample.
    pub seen_count: u32,
    pub seen_on_time_s: f64,
}

/// Every vehicle loop of a network, the loops on each lane (by number) and those with
/// injected faults (in loop order).
pub(crate) struct LoopTable {
    pub loops: Vec<Loop>,
    pub lane_loops: Vec<Vec<u32>>,
    pub faulted: Vec<u32>,
}

/// What a loop saw in one step.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Passage {
    /// Vehicles whose front crossed its upstream edge.
    pub count: u32,
    /// Seconds it was covered.
    pub on_time_s: f32,
    /// Whether a vehicle covers it at the end of the step.
    pub presence: bool,
}

impl Loop {
    /// What the loop sees of the lane's vehicles in a step of `dt` (`vehicles` front first,
    /// with `x_prev` the position before the step).
    pub(crate) fn observe(&self, vehicles: &[Vehicle], dt: f32) -> Passage {
        let mut seen = Passage::default();
        let mut occupied = 0.0f32;
        for veh in vehicles {
            if veh.x < self.start && veh.x_prev < self.start {
                break; // this one and every one behind have not reached the loop
            }
            if veh.x_prev < self.start && veh.x >= self.start {
                seen.count += 1;
            }
            // The vehicle covers the loop while its front is in (start, end + length).
            let (lo, hi) = (self.start, self.end + veh.len);
            let moved = veh.x - veh.x_prev;
            let inside = if moved <= 0.0 {
                if veh.x > lo && veh.x < hi { dt } else { 0.0 }
            } else {
                let a = veh.x_prev.max(lo);
                let b = veh.x.min(hi);
                if b > a { dt * (b - a) / moved } else { 0.0 }
            };
            occupied += inside;
            seen.presence |= veh.x > lo && veh.x < hi;
        }
        seen.on_time_s = occupied.min(dt);
        seen
    }

    /// Adds what the loop saw in a step to its count, on-time and presence.
    pub(crate) fn record(&mut self, seen: Passage) {
        self.count += seen.count;
        self.on_time_s += f64::from(seen.on_time_s);
        self.presence = seen.presence;
    }

    /// The card's registers at time `t`, after a step of `dt`, with any fault active then
    /// applied: a stuck loop reports presence and growing on-time but no counts, a dead one
    /// nothing, an erratic one spurious counts and flickering presence.
    pub(crate) fn sample(&mut self, t: f64, dt: f64, rng: &mut Pcg64Mcg) -> DetectorSample {
        let active = self.faults.iter().find(|f| t >= f.from_s && t < f.to_s);
        let Some((kind, reported)) = active.map(|f| (f.kind, f.reported)) else {
            return self.sample_sound();
        };
        let (counted, occupied) = self.take_new();
        let (presence, fault) = match (kind, reported) {
            (FaultKind::StuckOn, reported) => {
                self.reported_on_time_s += dt;
                (true, reported.then_some(FaultCode::MaxPresence))
            }
            (FaultKind::Dead, reported) => (false, reported.then_some(FaultCode::OpenLoop)),
            (FaultKind::Erratic, reported) => {
                let spurious = if rng.random::<f64>() < 0.3 {
                    rng.random_range(1..=3)
                } else {
                    0
                };
                self.reported_count = self.reported_count.wrapping_add(counted + spurious);
                self.reported_on_time_s += occupied;
                (
                    rng.random::<bool>(),
                    reported.then_some(FaultCode::ErraticCounts),
                )
            }
        };
        self.card(presence, fault.unwrap_or(FaultCode::Ok))
    }

    /// The card's registers when no fault is active: what the loop saw, as it saw it (no
    /// random draw).
    pub(crate) fn sample_sound(&mut self) -> DetectorSample {
        let (counted, occupied) = self.take_new();
        self.reported_count = self.reported_count.wrapping_add(counted);
        self.reported_on_time_s += occupied;
        self.card(self.presence, FaultCode::Ok)
    }

    /// The count and on-time seen since the last sample, now taken.
    fn take_new(&mut self) -> (u32, f64) {
        let counted = self.count.wrapping_sub(self.seen_count);
        let occupied = self.on_time_s - self.seen_on_time_s;
        self.seen_count = self.count;
        self.seen_on_time_s = self.on_time_s;
        (counted, occupied)
    }

    fn card(&self, presence: bool, fault: FaultCode) -> DetectorSample {
        DetectorSample {
            count: self.reported_count as u16,
            on_time_cs: ((self.reported_on_time_s * 100.0) as u64 % 65_536) as u16,
            presence,
            fault,
        }
    }
}
