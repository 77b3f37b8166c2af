//! Judging the detector channels at each tick: counts read as differences (wrap-around
//! included), presence timed, and faults found: reported by the card, presence stuck on through
//! a whole green, counts frozen while the neighbouring lanes count (after NTCIP 1202 detector
//! diagnostics).

use crate::corridor::DetectorKind;
use crate::detector::{DetectorSample, counted_since};
use crate::time::{Duration, Instant};

use super::{Estimator, Fault, on_since};

/// What the estimator tracks of one detector channel.
#[derive(Clone, Debug)]
pub(super) struct Channel {
    pub(super) approach: usize,
    pub(super) lane: u8,
    pub(super) kind: DetectorKind,
    pub(super) last: Option<DetectorSample>,
    pub(super) last_count_change: Instant,
    /// Since when its presence has been on.
    pub(super) presence_since: Option<Instant>,
    /// Green its lane has had while the presence stayed on, s.
    pub(super) green_presence_s: f64,
    pub(super) fault: Option<Fault>,
    /// Count change this tick (from the detector itself or its stand-in).
    pub(super) delta: u16,
    /// Its recent count rate, veh/s (averaged over `frozen_after_s`).
    pub(super) rate: f64,
    /// Its usual count rate, veh/s (averaged over an hour, from its first minutes on).
    pub(super) usual_rate: f64,
    pub(super) seen_s: f64,
}

impl Estimator {
    pub(super) fn read_channels(&mut self, now: Instant, samples: &[DetectorSample], dt: f64) {
        let stuck_after = self.params.stuck_after_s;
        let tau = self.params.frozen_after_s;
        for (ch, slot) in self.channels.iter_mut().enumerate() {
            let Some(c) = slot.as_mut() else { continue };
            let Some(&s) = samples.get(ch) else {
                // No sample this tick: nothing counted.
                c.delta = 0;
                continue;
            };
            c.delta = c.last.map_or(0, |last| counted_since(s.count, last.count));
            if c.delta > 0 {
                c.last_count_change = now;
            }
            if dt > 0.0 && c.fault.is_none() {
                let sample = f64::from(c.delta) / dt;
                c.rate += (sample - c.rate) * (dt / tau).min(1.0);
                c.seen_s += dt;
                c.usual_rate += (sample - c.usual_rate) * (dt / c.seen_s.clamp(1.0, 3600.0));
            }
            c.presence_since = on_since(s.presence, c.presence_since, now);
            if !s.presence {
                c.green_presence_s = 0.0;
            }
            let fault = if s.fault.is_fault() {
                Some(Fault::Reported { code: s.fault })
            } else if s.presence && c.green_presence_s >= stuck_after {
                Some(Fault::PresenceStuck)
            } else if c.fault == Some(Fault::CountFrozen) && c.delta == 0 {
                Some(Fault::CountFrozen)
            } else {
                None
            };
            if fault != c.fault {
                c.fault = fault;
                self.health_changed = true;
            }
            c.last = Some(s);
        }
    }

    /// A detector whose count has not moved for a long time while a detector of the same kind
    /// on the same approach counted plenty is frozen.
    pub(super) fn find_frozen(&mut self, now: Instant) {
        let after = Duration::from_secs_f64(self.params.frozen_after_s);
        let stale: Vec<usize> = (0..self.channels.len())
            .filter(|&i| {
                let Some(c) = &self.channels[i] else {
                    return false;
                };
                // Only a detector that usually counts several vehicles in that time.
                if c.fault.is_some()
                    || now - c.last_count_change < after
                    || c.usual_rate * self.params.frozen_after_s < 5.0
                {
                    return false;
                }
                // A neighbour that counted at least ten vehicles over the same time.
                self.channels.iter().flatten().any(|o| {
                    o.approach == c.approach
                        && o.kind == c.kind
                        && o.lane != c.lane
                        && o.fault.is_none()
                        && o.rate * self.params.frozen_after_s >= 10.0
                })
            })
            .collect();
        for i in stale {
            if let Some(c) = &mut self.channels[i] {
                c.fault = Some(Fault::CountFrozen);
                self.health_changed = true;
            }
        }
    }
}
