//! Turning ratios of a site's approaches from upstream and downstream counts: constrained least
//! squares, starting from (and drawn towards) the configured ratios.
//!
//! Upstream, each approach's lane flows: a turn's traffic is taken to spread evenly over the
//! lanes that allow it, so lane `l`'s share of its approach flow is `sum over its turns t of
//! r_t / n_t` (`n_t` lanes allow turn `t`). Downstream, the flow counted on an outgoing link (by
//! the neighbour whose approach it is) is what the site's movements onto it send:
//! `sum over (approach a, turn t) onto it of q_a r_at`. The ratios minimise the squared misfit
//! of both (lane shares relative to their approach's flow, link counts relative to the mean
//! approach flow), plus
//! `w sum (r - prior)^2`, subject to `r >= 0` and each approach's ratios summing to 1 (the KKT
//! system solved with nalgebra; ratios driven negative are fixed at zero and the rest solved
//! again). Lanes that allow one turn pin that turn's ratio; a split inside a shared lane (through
//! and right, say) is pinned by the counts downstream where a neighbour reports them, else stays
//! near the prior.

use nalgebra::{DMatrix, DVector};

use crate::model::{PerTurn, VEHICLE_TURNS};

/// Weight of the prior against the counts.
pub const PRIOR_WEIGHT: f64 = 0.01;

/// What one approach contributes to the estimate.
#[derive(Clone, Debug)]
pub struct ApproachCounts<'a> {
    /// Turns each lane allows.
    pub turns: &'a [PerTurn<bool>],
    /// Each lane's flow, veh/s.
    pub flows: &'a [f64],
    /// The turns the approach has.
    pub present: PerTurn<bool>,
    /// The configured ratios.
    pub prior: PerTurn<f64>,
    /// For each turn, the outgoing link (an index into the link counts) it feeds.
    pub onto: PerTurn<Option<usize>>,
}

/// Turning ratios of each approach of one site; `links[k]` is the flow counted
/// downstream on outgoing link `k` (veh/s), where a neighbour reports one.
pub fn estimate_site(
    approaches: &[ApproachCounts<'_>],
    links: &[Option<f64>],
) -> Vec<PerTurn<f64>> {
    let totals: Vec<f64> = approaches.iter().map(|a| a.flows.iter().sum()).collect();
    // The unknowns: (approach, turn) of every turn an approach with flow has on some lane.
    let mut free: Vec<(usize, usize)> = Vec::new();
    for (i, a) in approaches.iter().enumerate() {
        if totals[i] <= 0.0 {
            continue;
        }
        for t in 0..VEHICLE_TURNS {
            if a.present[t] && a.turns.iter().any(|l| l[t]) {
                free.push((i, t));
            }
        }
    }
    let mut out: Vec<PerTurn<f64>> = approaches.iter().map(|a| a.prior).collect();
    let mean_total = totals.iter().sum::<f64>() / totals.len().max(1) as f64;
    loop {
        let k = free.len();
        let blocks: Vec<usize> = {
            let mut b: Vec<usize> = free.iter().map(|&(a, _)| a).collect();
            b.dedup();
            b
        };
        if k == 0 {
            return out;
        }
        let mut rows: Vec<(Vec<(usize, f64)>, f64)> = Vec::new();
        for &a in &blocks {
            let approach = &approaches[a];
            let lanes_of = |t: usize| approach.turns.iter().filter(|l| l[t]).count() as f64;
            for (l, allowed) in approach.turns.iter().enumerate() {
                let coeffs = free
                    .iter()
                    .enumerate()
                    .filter(|(_, (fa, t))| *fa == a && allowed[*t])
                    .map(|(j, &(_, t))| (j, 1.0 / lanes_of(t)))
                    .collect();
                rows.push((coeffs, approach.flows[l] / totals[a]));
            }
        }
        for (link, count) in links.iter().enumerate() {
            let Some(count) = *count else { continue };
            let coeffs: Vec<(usize, f64)> = free
                .iter()
                .enumerate()
                .filter(|(_, (a, t))| approaches[*a].onto[*t] == Some(link))
                .map(|(j, &(a, _))| (j, totals[a]))
                .collect();
            if coeffs.is_empty() {
                continue;
            }
            // In the lane shares' units: relative to a typical approach flow.
            let scale = mean_total.max(1e-9);
            let fixed: f64 = approaches
                .iter()
                .enumerate()
                .flat_map(|(a, ap)| (0..VEHICLE_TURNS).map(move |t| (a, ap, t)))
                .filter(|&(a, ap, t)| ap.onto[t] == Some(link) && !free.contains(&(a, t)))
                .map(|(a, _, t)| totals[a] * out[a][t])
                .sum();
            rows.push((
                coeffs.into_iter().map(|(j, c)| (j, c / scale)).collect(),
                (count - fixed) / scale,
            ));
        }
        let w = PRIOR_WEIGHT.sqrt();
        for (j, &(a, t)) in free.iter().enumerate() {
            rows.push((vec![(j, w)], w * approaches[a].prior[t]));
        }
        let Some(solution) = least_squares_summing_to_one(&rows, &free, &blocks) else {
            return approaches.iter().map(|a| a.prior).collect();
        };
        let negative: Vec<(usize, usize)> = (0..k)
            .filter(|&j| solution[j] < 0.0)
            .map(|j| free[j])
            .collect();
        if negative.is_empty() {
            for &a in &blocks {
                out[a] = [0.0; VEHICLE_TURNS];
            }
            for (j, &(a, t)) in free.iter().enumerate() {
                out[a][t] = solution[j];
            }
            return out;
        }
        for &(a, t) in &negative {
            // Fixed at zero: no longer in the fit, contributes nothing downstream.
            out[a][t] = 0.0;
        }
        free.retain(|x| !negative.contains(x));
        // An approach whose every turn went negative keeps its prior.
        for &a in &blocks {
            if !free.iter().any(|&(fa, _)| fa == a) {
                out[a] = approaches[a].prior;
            }
        }
    }
}

/// Minimises the squared residuals of `rows` (sparse coefficients over the `free` unknowns, and
/// the right-hand side) subject to each approach's unknowns summing to 1 (one constraint per
/// approach in `blocks`), through the KKT system. `None` when it is singular.
fn least_squares_summing_to_one(
    rows: &[(Vec<(usize, f64)>, f64)],
    free: &[(usize, usize)],
    blocks: &[usize],
) -> Option<DVector<f64>> {
    let k = free.len();
    let mut m = DMatrix::<f64>::zeros(rows.len(), k);
    let mut b = DVector::<f64>::zeros(rows.len());
    for (r, (coeffs, rhs)) in rows.iter().enumerate() {
        for &(j, c) in coeffs {
            m[(r, j)] = c;
        }
        b[r] = *rhs;
    }
    // KKT: [2 M'M  C'; C 0] [r; mu] = [2 M'b; 1], one constraint row per approach.
    let c = blocks.len();
    let mut kkt = DMatrix::<f64>::zeros(k + c, k + c);
    kkt.view_mut((0, 0), (k, k))
        .copy_from(&(m.transpose() * &m * 2.0));
    for (row, &a) in blocks.iter().enumerate() {
        for (j, &(fa, _)) in free.iter().enumerate() {
            if fa == a {
                kkt[(k + row, j)] = 1.0;
                kkt[(j, k + row)] = 1.0;
            }
        }
    }
    let mut rhs = DVector::<f64>::zeros(k + c);
    rhs.rows_mut(0, k).copy_from(&(m.transpose() * &b * 2.0));
    rhs.rows_mut(k, c).fill(1.0);
    kkt.lu().solve(&rhs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::left_through_right as ltr;

    const L: PerTurn<bool> = ltr(false, [true, false, false]);
    const T: PerTurn<bool> = ltr(false, [false, true, false]);
    const TR: PerTurn<bool> = ltr(false, [false, true, true]);
    const R: PerTurn<bool> = ltr(false, [false, false, true]);
    const ALL: PerTurn<bool> = ltr(false, [true; 3]);

    /// Left, through and right of a per-turn array.
    fn back<T: Copy>(r: PerTurn<T>) -> [T; 3] {
        [r[1], r[3], r[5]]
    }

    /// Ratios (left, through, right) for a single approach whose lanes allow `turns[l]` and carry
    /// `flows[l]`, without downstream counts; `present` marks the turns the approach has.
    fn estimate(
        turns: &[PerTurn<bool>],
        flows: &[f64],
        present: PerTurn<bool>,
        prior: PerTurn<f64>,
    ) -> [f64; 3] {
        let approach = ApproachCounts {
            turns,
            flows,
            present,
            prior,
            onto: [None; VEHICLE_TURNS],
        };
        back(estimate_site(&[approach], &[])[0])
    }

    #[test]
    fn an_exclusive_left_lane_pins_the_left_ratio() {
        // 20 % of the flow in the left lane; through and right share the other two lanes.
        let r = estimate(
            &[L, T, TR],
            &[200.0, 420.0, 380.0],
            ALL,
            ltr(0.0, [0.12, 0.78, 0.10]),
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
            ALL,
            ltr(0.0, [0.3, 0.6, 0.1]),
        );
        assert!(r.iter().all(|&x| (0.0..=1.0).contains(&x)), "{r:?}");
        assert!(r[0] < 0.05, "no left-lane traffic: {r:?}");
        let r = estimate(
            &[T, T],
            &[300.0, 300.0],
            ltr(false, [false, true, false]),
            ltr(0.0, [0.1, 0.8, 0.1]),
        );
        assert_eq!(r, [0.0, 1.0, 0.0]);
        assert_eq!(
            estimate(&[T], &[0.0], ALL, ltr(0.0, [0.2, 0.7, 0.1])),
            [0.2, 0.7, 0.1],
            "no flow: the prior"
        );
    }

    #[test]
    fn a_count_downstream_splits_a_shared_lane() {
        // Left lane 100 veh/h; through/right lane 900 veh/h, of which truly 200 turn right.
        // The lanes alone cannot tell through from right: the estimate stays near the prior.
        let lanes = [L, TR];
        let flows = [100.0, 900.0];
        let prior = ltr(0.0, [0.1, 0.8, 0.1]);
        let alone = estimate(&lanes, &flows, ALL, prior);
        assert!((alone[2] - 0.1).abs() < 0.03, "{alone:?}");
        // The neighbour on the right-turn exit counts 200 veh/h (link 1; through is link 0,
        // which nobody reports).
        let approach = ApproachCounts {
            turns: &lanes,
            flows: &flows,
            present: ALL,
            prior,
            onto: ltr(None, [Some(2), Some(0), Some(1)]),
        };
        let r = back(estimate_site(&[approach], &[None, Some(200.0), None])[0]);
        assert!((r[2] - 0.2).abs() < 0.02, "{r:?}");
        assert!((r[0] - 0.1).abs() < 0.02, "{r:?}");
        assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_link_fed_by_two_approaches_shares_its_count_between_them() {
        // Eastbound through and northbound right both feed the east exit (link 0), counted at
        // 900 veh/h: eastbound's own lane sends 640, so northbound turns 260 of its 400 right.
        let eb_lanes = [L, T, R];
        let eb_flows = [100.0, 640.0, 60.0];
        let nb_lanes = [L, TR];
        let nb_flows = [40.0, 360.0];
        let eb = ApproachCounts {
            turns: &eb_lanes,
            flows: &eb_flows,
            present: ALL,
            prior: ltr(0.0, [0.125, 0.8, 0.075]),
            onto: ltr(None, [Some(1), Some(0), Some(2)]),
        };
        let nb = ApproachCounts {
            turns: &nb_lanes,
            flows: &nb_flows,
            present: ALL,
            prior: ltr(0.0, [0.1, 0.6, 0.3]),
            onto: ltr(None, [Some(3), Some(4), Some(0)]),
        };
        let r = estimate_site(&[eb, nb], &[Some(900.0), None, None, None, None]);
        assert!((r[1][5] - 0.65).abs() < 0.08, "{r:?}");
        for x in &r {
            assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{x:?}");
            assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)), "{x:?}");
        }
    }
}
