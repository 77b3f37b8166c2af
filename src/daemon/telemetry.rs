//! `telemetry`: what the site measured and estimated over each aggregation interval (default
//! 60 s): per detector channel the count, occupancy and fault; per movement the estimated
//! arrival rate and queue; per approach the estimated delay (Little's law: queued vehicles over
//! the arrival rate).

use serde::{Deserialize, Serialize};

use greenwave_controllers::detector::{DetectorSample, wrapping_delta};
use greenwave_controllers::estimate::Estimate;
use greenwave_controllers::model::{PerTurn, Turn};
use greenwave_controllers::{Duration, Instant};

/// One detector channel over the interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectorTelemetry {
    /// Cabinet channel.
    pub channel: usize,
    /// Vehicles counted.
    pub count: u32,
    /// Share of the interval the loop was occupied, 0 to 1.
    pub occupancy: f64,
    /// The card's fault at the end of the interval (`ok`, `open loop`, ...).
    pub fault: String,
}

/// One approach at the end of the interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApproachTelemetry {
    /// Approach link id.
    pub link: String,
    /// Estimated arrivals per movement, by side (left, through, right: a sharp or slight turn
    /// counts with its side, a U-turn with the left), veh/h.
    pub movement_arrival_veh_h: [f64; 3],
    /// Estimated queue per movement, by side, vehicles.
    pub movement_queue_veh: [f64; 3],
    /// Estimated delay per vehicle now, s (queue over arrival rate).
    pub delay_s: f64,
}

/// The `telemetry` payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Telemetry {
    /// The site.
    pub site: String,
    /// When the interval ended.
    pub ts: String,
    /// Its length, s.
    pub interval_s: f64,
    /// Per detector channel.
    pub detectors: Vec<DetectorTelemetry>,
    /// Per approach.
    pub approaches: Vec<ApproachTelemetry>,
    /// Messages the MQTT link dropped so far because the broker lagged.
    pub dropped_messages: u64,
    /// Incoming messages dropped so far because they came faster than the daemon takes them
    /// (a flood).
    #[serde(default)]
    pub dropped_incoming: u64,
    /// Emergency preemption and transit priority since the daemon started.
    #[serde(default)]
    pub priority: PriorityTelemetry,
}

/// What preemption and transit priority did since the daemon started (counts).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PriorityTelemetry {
    /// Preemption calls that took the signals.
    pub preemptions: u64,
    /// Stuck preemption calls dropped.
    pub preemptions_stuck: u64,
    /// Buses checked in.
    pub check_ins: u64,
    /// Early greens given to buses.
    pub early_greens: u64,
    /// Greens held for buses.
    pub extensions: u64,
    /// Priority requests refused.
    pub refused: u64,
}

/// Aggregates samples into intervals.
#[derive(Clone, Debug)]
pub struct Aggregator {
    interval: Duration,
    start: Option<(Instant, Vec<DetectorSample>)>,
    counts: Vec<u32>,
    on_time_cs: Vec<u32>,
    last: Vec<DetectorSample>,
}

impl Aggregator {
    /// Intervals of `interval`.
    pub fn new(interval: Duration) -> Self {
        Aggregator {
            interval,
            start: None,
            counts: Vec::new(),
            on_time_cs: Vec::new(),
            last: Vec::new(),
        }
    }

    /// Takes the samples of `now`; at the end of an interval returns its telemetry.
    pub fn observe(
        &mut self,
        now: Instant,
        samples: &[DetectorSample],
        estimate: &Estimate,
    ) -> Option<(f64, Vec<DetectorTelemetry>, Vec<ApproachTelemetry>)> {
        let Some((start, _)) = &self.start else {
            self.start = Some((now, samples.to_vec()));
            self.counts = vec![0; samples.len()];
            self.on_time_cs = vec![0; samples.len()];
            self.last = samples.to_vec();
            return None;
        };
        let start = *start;
        for (c, (s, before)) in samples.iter().zip(&self.last).enumerate() {
            self.counts[c] += u32::from(wrapping_delta(s.count, before.count));
            self.on_time_cs[c] += u32::from(wrapping_delta(s.on_time_cs, before.on_time_cs));
        }
        self.last.clear();
        self.last.extend_from_slice(samples);
        if now - start < self.interval {
            return None;
        }
        let seconds = (now - start).as_secs_f64();
        let detectors = samples
            .iter()
            .enumerate()
            .map(|(c, s)| DetectorTelemetry {
                channel: c,
                count: self.counts[c],
                occupancy: (f64::from(self.on_time_cs[c]) / (100.0 * seconds)).min(1.0),
                fault: s.fault.to_string(),
            })
            .collect();
        let approaches = estimate
            .approaches
            .iter()
            .map(|a| ApproachTelemetry {
                link: a.link.clone(),
                movement_arrival_veh_h: by_side(&a.movement_arrival_veh_h),
                movement_queue_veh: by_side(&a.movement_queue_veh),
                delay_s: if a.arrival_veh_h > 1.0 {
                    a.queue_veh / a.arrival_veh_h * 3600.0
                } else {
                    0.0
                },
            })
            .collect();
        self.start = Some((now, samples.to_vec()));
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.on_time_cs.iter_mut().for_each(|c| *c = 0);
        Some((seconds, detectors, approaches))
    }
}

/// Per-turn values summed by side: left (sharp, plain, slight, U-turn), through, right.
fn by_side(per_turn: &PerTurn<f64>) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (turn, x) in Turn::VEHICLE.iter().zip(per_turn) {
        let side = match turn.side() {
            Turn::Left => 0,
            Turn::Through => 1,
            _ => 2,
        };
        out[side] += x;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_occupancy_over_an_interval_across_a_wrap() {
        let mut agg = Aggregator::new(Duration::from_secs(60));
        let estimate = Estimate::default();
        let sample = |count: u16, on_cs: u16| DetectorSample {
            count,
            on_time_cs: on_cs,
            ..DetectorSample::default()
        };
        assert!(
            agg.observe(Instant::ZERO, &[sample(65_530, 65_000)], &estimate)
                .is_none()
        );
        assert!(
            agg.observe(Instant::from_millis(30_000), &[sample(2, 500)], &estimate)
                .is_none()
        );
        let (seconds, detectors, _) = agg
            .observe(
                Instant::from_millis(60_000),
                &[sample(10, 1_036)],
                &estimate,
            )
            .expect("an interval");
        assert_eq!(seconds, 60.0);
        assert_eq!(detectors[0].count, 16);
        // 65000 -> 1036 is 1572 cs of 6000 cs.
        assert!((detectors[0].occupancy - 1572.0 / 6000.0).abs() < 1e-12);
        assert_eq!(detectors[0].fault, "ok");
    }
}
