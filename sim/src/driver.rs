//! Car following and fuel: the Intelligent Driver Model and a power-based fuel model.
//!
//! Car following is the IDM (Treiber, Hennecke, Helbing 2000):
//! `a = a_max [1 - (v/v0)^4 - (s*/s)^2]`, with the desired gap
//! `s* = s0 + max(0, v T + v dv / (2 sqrt(a_max b)))`. Positions advance by the ballistic update
//! (Treiber and Kanagaraj 2015), which never moves a vehicle backwards.
//!
//! Fuel follows the instantaneous model of Akçelik and Biggs (1987), as used in aaSIDRA:
//! `f = alpha + beta1 R_T v + [beta2 M a^2 v / 1000]_(a>0)` mL/s when the tractive force
//! `R_T = b1 + b2 v^2 + M a / 1000` (kN, flat road) is positive, and the idle rate `alpha`
//! otherwise. CO2 is 2.31 g per mL of petrol burnt.

use crate::scenario::VehicleSpec;

/// Driver and vehicle constants, in `f32` for the hot loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Driver {
    pub a_max: f32,
    pub b: f32,
    pub b_amber: f32,
    pub b_max: f32,
    pub s0: f32,
    pub headway: f32,
    pub length: f32,
    pub reaction: f32,
    two_sqrt_ab: f32,
}

impl Driver {
    pub(crate) fn new(v: &VehicleSpec) -> Self {
        let (a, b) = (v.accel_mps2 as f32, v.decel_mps2 as f32);
        Driver {
            a_max: a,
            b,
            b_amber: v.amber_decel_mps2 as f32,
            b_max: v.max_decel_mps2 as f32,
            s0: v.min_gap_m as f32,
            headway: v.headway_s as f32,
            length: v.length_m as f32,
            reaction: v.reaction_s as f32,
            two_sqrt_ab: 2.0 * (a * b).sqrt(),
        }
    }

    /// The driver model of a bus: its length and acceleration, the rest as for cars.
    pub(crate) fn bus(v: &VehicleSpec) -> Self {
        Driver::new(&VehicleSpec {
            length_m: v.bus_length_m,
            accel_mps2: v.bus_accel_mps2,
            ..*v
        })
    }

    /// How long this driver takes to cover `dist` metres on a free road from speed `v` towards
    /// its desired `v0` (IDM's free-road acceleration, stepped by half seconds), s.
    pub(crate) fn free_time(&self, v: f32, v0: f32, dist: f32) -> f32 {
        const STEP: f32 = 0.5;
        let (mut v, mut left, mut t) = (v.max(0.0), dist, 0.0);
        while left > 0.0 && t < 3600.0 {
            let next = (v + self.accel(v, v0, f32::INFINITY, 0.0) * STEP).max(0.0);
            let moved = 0.5 * (v + next) * STEP;
            if moved >= left {
                return t + STEP * left / moved;
            }
            (v, left, t) = (next, left - moved, t + STEP);
        }
        t
    }

    /// IDM acceleration behind a leader `gap` metres ahead (bumper to bumper) that is `dv`
    /// slower. `gap = f32::INFINITY` is a free road.
    #[inline]
    pub(crate) fn accel(&self, v: f32, v0: f32, gap: f32, dv: f32) -> f32 {
        let r = v / v0;
        let free = 1.0 - (r * r) * (r * r);
        if gap == f32::INFINITY {
            return self.a_max * free;
        }
        let s_star = self.s0 + (v * self.headway + v * dv / self.two_sqrt_ab).max(0.0);
        let q = s_star / gap.max(0.01);
        (self.a_max * (free - q * q)).max(-self.b_max)
    }
}

/// Advances `(x, v)` by `dt` at acceleration `a` (ballistic update; a stop is not overshot).
#[inline]
pub(crate) fn ballistic(x: f32, v: f32, a: f32, dt: f32) -> (f32, f32) {
    let v_new = v + a * dt;
    if v_new < 0.0 {
        // Stops within the step: travel v^2 / (2 |a|).
        (x - 0.5 * v * v / a, 0.0)
    } else {
        (x + v * dt + 0.5 * a * dt * dt, v_new)
    }
}

/// Idle fuel rate, mL/s.
pub const IDLE_FUEL_ML_S: f32 = 0.444;
const BETA1_ML_KJ: f32 = 0.09;
const BETA2_ML_KJ_MPS2: f32 = 0.03;
const B1_KN: f32 = 0.333;
const B2_KN_S2_M2: f32 = 0.00108;
const MASS_KG: f32 = 1400.0;
/// Grams of CO2 per mL of petrol.
pub const CO2_G_PER_ML: f64 = 2.31;

/// Fuel burnt over one step at mean speed `v` (m/s) and acceleration `a` (m/s^2), in mL.
#[inline]
pub(crate) fn fuel_ml(v: f32, a: f32, dt: f32) -> f32 {
    let tractive_kn = B1_KN + B2_KN_S2_M2 * v * v + MASS_KG * a / 1000.0;
    let rate = if tractive_kn <= 0.0 {
        IDLE_FUEL_ML_S
    } else {
        let accel_term = if a > 0.0 {
            BETA2_ML_KJ_MPS2 * MASS_KG * a * a * v / 1000.0
        } else {
            0.0
        };
        IDLE_FUEL_ML_S + BETA1_ML_KJ * tractive_kn * v + accel_term
    };
    rate * dt
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver() -> Driver {
        Driver::new(&VehicleSpec::default())
    }

    #[test]
    fn free_road_accelerates_to_the_desired_speed_and_no_further() {
        let d = driver();
        assert!((d.accel(0.0, 13.9, f32::INFINITY, 0.0) - d.a_max).abs() < 1e-6);
        assert!(d.accel(13.9, 13.9, f32::INFINITY, 0.0).abs() < 1e-6);
        assert!(d.accel(15.0, 13.9, f32::INFINITY, 0.0) < 0.0);
    }

    #[test]
    fn closing_in_on_a_standing_obstacle_brakes_but_never_beyond_the_maximum() {
        let d = driver();
        assert!(d.accel(13.9, 13.9, 60.0, 13.9) < -d.b * 0.5);
        assert_eq!(d.accel(13.9, 13.9, 0.5, 13.9), -d.b_max);
    }

    #[test]
    fn free_travel_from_standstill_takes_longer_than_at_speed_by_the_start() {
        let bus = Driver::bus(&VehicleSpec::default());
        // At its desired speed: the distance at that speed.
        let cruising = bus.free_time(13.9, 13.9, 377.0);
        assert!((cruising - 377.0 / 13.9).abs() < 0.05, "{cruising}");
        // From standstill at 1 m/s^2 (easing off as it nears 13.9 m/s): at least v0 / 2a, the
        // start of a uniform acceleration, longer.
        let started = bus.free_time(0.0, 13.9, 377.0);
        assert!(
            (cruising + 6.95..cruising + 20.0).contains(&started),
            "{started} against {cruising}"
        );
        assert_eq!(bus.free_time(5.0, 13.9, 0.0), 0.0);
    }

    #[test]
    fn ballistic_update_stops_instead_of_reversing() {
        let (x, v) = ballistic(0.0, 2.0, -8.0, 0.5);
        assert_eq!(v, 0.0);
        assert!((x - 0.25).abs() < 1e-6, "2^2 / (2 * 8) = 0.25 m, got {x}");
    }

    #[test]
    fn fuel_at_cruise_and_idle_is_plausible() {
        // 50 km/h cruise: about 8 L/100 km for a 1400 kg petrol car.
        let per_km = fuel_ml(13.9, 0.0, 1.0) / 13.9 * 1000.0;
        assert!((70.0..95.0).contains(&per_km), "{per_km} mL/km");
        assert_eq!(fuel_ml(0.0, 0.0, 2.0), 2.0 * IDLE_FUEL_ML_S);
        assert!(fuel_ml(5.0, 2.0, 1.0) > fuel_ml(5.0, 0.0, 1.0));
    }
}
