//! Robertson's platoon dispersion (TRANSYT; Robertson 1969): what leaves an upstream stop line
//! arrives downstream shifted by `beta` times the link travel time and smoothed:
//! `a(i + t) = F d(i) + (1 - F) a(i + t - 1)`, with `t = beta T` in steps of one second and
//! `F = 1 / (1 + alpha beta T)`; `alpha = 0.35` and `beta = 0.8` are TRANSYT's defaults.

/// TRANSYT's platoon dispersion factor.
pub const ALPHA: f64 = 0.35;
/// TRANSYT's travel-time factor.
pub const BETA: f64 = 0.8;

/// Arrivals per one-second bin at the downstream end of a link with a free travel time of
/// `travel_s`, given departures per one-second bin at its upstream end (bin 0 = now). The result
/// has as many bins as the input; flow leaves the horizon at its end.
pub fn disperse(departures: &[f64], travel_s: f64) -> Vec<f64> {
    let shift = (BETA * travel_s).round().max(0.0) as usize;
    let f = 1.0 / (1.0 + ALPHA * BETA * travel_s.max(0.0));
    let mut arrivals = vec![0.0; departures.len()];
    let mut last = 0.0;
    for (i, &d) in departures.iter().enumerate() {
        let Some(slot) = arrivals.get_mut(i + shift) else {
            break;
        };
        last = f * d + (1.0 - f) * last;
        *slot = last;
    }
    arrivals
}

/// Arrivals per one-second bin from now at the downstream end of a link, from a forecast of
/// departures whose bin 0 began `age_s` whole seconds ago (see [`disperse`]).
pub fn arrivals_from_now(departures: &[f64], travel_s: f64, age_s: usize) -> Vec<f64> {
    let mut arrivals = disperse(departures, travel_s);
    arrivals.drain(..age_s.min(arrivals.len()));
    arrivals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platoon_arrives_later_lower_and_longer() {
        let mut departures = vec![0.0; 120];
        for d in departures.iter_mut().take(20) {
            *d = 0.5; // 10 vehicles over 20 s
        }
        let arrivals = disperse(&departures, 30.0);
        let first = arrivals.iter().position(|&a| a > 0.0).unwrap();
        assert_eq!(first, 24, "shifted by 0.8 x 30 s");
        let peak = arrivals.iter().copied().fold(0.0, f64::max);
        assert!(peak < 0.5, "smoothed: {peak}");
        let total: f64 = arrivals.iter().sum();
        assert!(
            (total - 10.0).abs() < 0.5,
            "vehicles conserved within the horizon: {total}"
        );
        let tail = arrivals.iter().rposition(|&a| a > 0.01).unwrap();
        assert!(tail > first + 20, "spread longer than it left");
    }
}
