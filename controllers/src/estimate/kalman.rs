//! A Kalman filter for one lane's arrival flow, with state `[flow, trend]` (veh/s, veh/s^2).
//!
//! Model: constant trend with white-noise "acceleration" of the flow (spectral density `q`),
//! `x' = F x + w` with `F = [[1, dt], [0, 1]]` and `Q = q [[dt^3/3, dt^2/2], [dt^2/2, dt]]`.
//! A measurement is the count over a window divided by its length; counts are Poisson, so its
//! variance is `flow / window`, judged on the long-run flow (with a floor, so an empty window is
//! not taken as certain).

use nalgebra::{Matrix2, RowVector2, Vector2};

/// Noise settings of the flow filter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlowNoise {
    /// Spectral density of the flow's random acceleration, (veh/s^2)^2 per s.
    pub process: f64,
    /// Smallest measurement variance, (veh/s)^2.
    pub measurement_floor: f64,
}

impl Default for FlowNoise {
    fn default() -> Self {
        // Averages over a few signal cycles and still follows a change of demand within minutes.
        FlowNoise {
            process: 3.0e-7,
            measurement_floor: 1.0e-2,
        }
    }
}

/// The filter of one lane.
#[derive(Clone, Debug)]
pub struct FlowFilter {
    x: Vector2<f64>,
    p: Matrix2<f64>,
    noise: FlowNoise,
    /// Long-run mean of the measurements, veh/s: the Poisson variance is judged on it, not on
    /// the state (a state-dependent variance would weigh a burst after a lull more than a lull
    /// after a burst, and bias the flow up on platooned arrivals).
    level: f64,
    updates: f64,
}

impl FlowFilter {
    /// A filter starting from `flow` veh/s with a wide uncertainty.
    pub fn new(flow: f64, noise: FlowNoise) -> Self {
        FlowFilter {
            x: Vector2::new(flow, 0.0),
            p: Matrix2::new(0.04, 0.0, 0.0, 1.0e-5),
            noise,
            level: flow,
            updates: 0.0,
        }
    }

    /// Moves the state `dt` seconds ahead.
    pub fn predict(&mut self, dt: f64) {
        let f = Matrix2::new(1.0, dt, 0.0, 1.0);
        let q = self.noise.process
            * Matrix2::new(dt.powi(3) / 3.0, dt.powi(2) / 2.0, dt.powi(2) / 2.0, dt);
        self.x = f * self.x;
        self.p = f * self.p * f.transpose() + q;
    }

    /// Takes in `count` vehicles seen over `window` seconds.
    pub fn update(&mut self, count: f64, window: f64) {
        let h = RowVector2::new(1.0, 0.0);
        let z = count / window;
        // Poisson counts: the variance is the expected count, from the prediction.
        self.updates += 1.0;
        self.level += (z - self.level) / self.updates.min(120.0);
        let r = (self.level / window).max(self.noise.measurement_floor);
        let s = (h * self.p * h.transpose())[(0, 0)] + r;
        let k = self.p * h.transpose() / s;
        // The state is left unclamped (clamping a zero-mean error would bias the flow up);
        // only what is read out is kept non-negative.
        self.x += k * (z - self.x[0]);
        self.p = (Matrix2::identity() - k * h) * self.p;
    }

    /// Estimated flow, veh/s.
    pub fn flow(&self) -> f64 {
        self.x[0].max(0.0)
    }

    /// Estimated trend, veh/s^2.
    pub fn trend(&self) -> f64 {
        self.x[1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converges_on_a_steady_flow_and_follows_a_step() {
        let mut f = FlowFilter::new(0.0, FlowNoise::default());
        // 0.25 veh/s: counts of 1 or 2 per 5 s window, averaging 1.25.
        let pattern = [1.0, 2.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0];
        for k in 0..240 {
            f.predict(5.0);
            f.update(pattern[k % pattern.len()], 5.0);
        }
        assert!((f.flow() - 0.25).abs() < 0.03, "flow {}", f.flow());
        for k in 0..120 {
            f.predict(5.0);
            f.update(if k % 2 == 0 { 3.0 } else { 2.0 }, 5.0);
        }
        assert!(
            (f.flow() - 0.5).abs() < 0.06,
            "flow after the step {}",
            f.flow()
        );
    }
}
