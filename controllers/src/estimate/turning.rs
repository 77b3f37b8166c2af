//! Turning ratios of one approach from its lane flows: constrained least squares, starting from
//! (and drawn towards) the configured ratios.
//!
//! Each turn's traffic is taken to spread evenly over the lanes that allow it, so a lane's share
//! of the approach flow is `sum over its turns t of r_t / n_t` (`n_t` lanes allow turn `t`). The
//! ratios `r` minimise `sum_l (share_l - A_l r)^2 + w sum_t (r_t - prior_t)^2` subject to
//! `r >= 0` and `sum r = 1` (KKT system solved with nalgebra; turns driven negative are fixed at
//! zero and the rest solved again). Lanes that allow one turn only pin that turn's ratio; a split
//! inside a shared lane stays near the prior.

use nalgebra::{DMatrix, DVector};

/// Weight of the prior against the lane shares.
pub const PRIOR_WEIGHT: f64 = 0.05;

/// Ratios (left, through, right) for an approach whose lanes allow `turns[l]` and carry
/// `flows[l]`; `present` marks the turns the approach has.
pub fn estimate(
    turns: &[[bool; 3]],
    flows: &[f64],
    present: [bool; 3],
    prior: [f64; 3],
) -> [f64; 3] {
    let total: f64 = flows.iter().sum();
    if total <= 0.0 {
        return prior;
    }
    let lanes_of: Vec<f64> = (0..3)
        .map(|t| turns.iter().filter(|l| l[t]).count() as f64)
        .collect();
    let mut free: Vec<usize> = (0..3)
        .filter(|&t| present[t] && lanes_of[t] > 0.0)
        .collect();
    loop {
        let k = free.len();
        if k == 0 {
            return prior;
        }
        // Rows: one per lane, then one per free ratio for the prior.
        let rows = turns.len() + k;
        let mut a = DMatrix::<f64>::zeros(rows, k);
        let mut b = DVector::<f64>::zeros(rows);
        for (l, allowed) in turns.iter().enumerate() {
            for (j, &t) in free.iter().enumerate() {
                if allowed[t] {
                    a[(l, j)] = 1.0 / lanes_of[t];
                }
            }
            b[l] = flows[l] / total;
        }
        let w = PRIOR_WEIGHT.sqrt();
        for (j, &t) in free.iter().enumerate() {
            a[(turns.len() + j, j)] = w;
            b[turns.len() + j] = w * prior[t];
        }
        // KKT: [2 A'A  1; 1' 0] [r; mu] = [2 A'b; 1].
        let mut kkt = DMatrix::<f64>::zeros(k + 1, k + 1);
        let ata = a.transpose() * &a * 2.0;
        kkt.view_mut((0, 0), (k, k)).copy_from(&ata);
        for j in 0..k {
            kkt[(j, k)] = 1.0;
            kkt[(k, j)] = 1.0;
        }
        let mut rhs = DVector::<f64>::zeros(k + 1);
        rhs.rows_mut(0, k).copy_from(&(a.transpose() * &b * 2.0));
        rhs[k] = 1.0;
        let Some(solution) = kkt.lu().solve(&rhs) else {
            return prior;
        };
        let negative: Vec<usize> = (0..k)
            .filter(|&j| solution[j] < 0.0)
            .map(|j| free[j])
            .collect();
        if negative.is_empty() {
            let mut r = [0.0; 3];
            for (j, &t) in free.iter().enumerate() {
                r[t] = solution[j];
            }
            return r;
        }
        free.retain(|t| !negative.contains(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: [bool; 3] = [true, false, false];
    const T: [bool; 3] = [false, true, false];
    const TR: [bool; 3] = [false, true, true];

    #[test]
    fn an_exclusive_left_lane_pins_the_left_ratio() {
        // 20 % of the flow in the left lane; through and right share the other two lanes.
        let r = estimate(
            &[L, T, TR],
            &[200.0, 420.0, 380.0],
            [true; 3],
            [0.12, 0.78, 0.10],
        );
        assert!((r[0] - 0.20).abs() < 0.02, "{r:?}");
        assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(r.iter().all(|&x| x >= 0.0));
    }

    #[test]
    fn ratios_stay_in_range_and_missing_turns_get_none() {
        let r = estimate(
            &[L, T, TR],
            &[0.0, 500.0, 500.0],
            [true; 3],
            [0.3, 0.6, 0.1],
        );
        assert!(r.iter().all(|&x| (0.0..=1.0).contains(&x)), "{r:?}");
        assert!(r[0] < 0.05, "no left-lane traffic: {r:?}");
        let r = estimate(
            &[T, T],
            &[300.0, 300.0],
            [false, true, false],
            [0.1, 0.8, 0.1],
        );
        assert_eq!(r, [0.0, 1.0, 0.0]);
        assert_eq!(
            estimate(&[T], &[0.0], [true; 3], [0.2, 0.7, 0.1]),
            [0.2, 0.7, 0.1],
            "no flow: the prior"
        );
    }
}
