//! Poisson arrivals at a piecewise-constant rate.
//!
//! Inter-arrival times are exponential at the rate in force; at a change of rate the draw starts
//! afresh from the change, which is exact for a Poisson process (it is memoryless).

use rand::Rng;
use rand_pcg::Pcg64Mcg;

/// An arrival process with its own random stream.
#[derive(Clone, Debug)]
pub(crate) struct Arrivals {
    /// `(from_s, per_s)`, ascending.
    rates: Vec<(f64, f64)>,
    rng: Pcg64Mcg,
    next_s: f64,
}

impl Arrivals {
    pub(crate) fn new(rates: Vec<(f64, f64)>, rng: Pcg64Mcg) -> Self {
        let mut a = Arrivals {
            rates,
            rng,
            next_s: 0.0,
        };
        a.next_s = a.after(0.0);
        a
    }

    /// The rate in force at `t` and when it ends.
    fn rate_at(&self, t: f64) -> (f64, f64) {
        let i = self.rates.partition_point(|&(from, _)| from <= t);
        let rate = if i == 0 { 0.0 } else { self.rates[i - 1].1 };
        let until = self.rates.get(i).map_or(f64::INFINITY, |&(from, _)| from);
        (rate, until)
    }

    fn after(&mut self, mut t: f64) -> f64 {
        loop {
            let (rate, until) = self.rate_at(t);
            if rate > 0.0 {
                let u: f64 = self.rng.random();
                let next = t - (1.0 - u).ln() / rate;
                if next < until {
                    return next;
                }
            }
            if until == f64::INFINITY {
                return f64::INFINITY;
            }
            t = until;
        }
    }

    /// Pops the next arrival time if it is before `t`.
    pub(crate) fn pop_before(&mut self, t: f64) -> Option<f64> {
        (self.next_s < t).then(|| {
            let at = self.next_s;
            self.next_s = self.after(at);
            at
        })
    }

    /// Its random stream, for drawing the arriving vehicle's attributes.
    pub(crate) fn rng(&mut self) -> &mut Pcg64Mcg {
        &mut self.rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn mean_rate_follows_the_profile() {
        let rates = vec![(0.0, 0.2), (1000.0, 0.0), (2000.0, 0.5)];
        let mut a = Arrivals::new(rates, Pcg64Mcg::seed_from_u64(7));
        let (mut first, mut gap, mut last) = (0, 0, 0);
        while let Some(t) = a.pop_before(3000.0) {
            match t {
                t if t < 1000.0 => first += 1,
                t if t < 2000.0 => gap += 1,
                _ => last += 1,
            }
        }
        assert_eq!(gap, 0, "no arrivals at rate 0");
        assert!(
            (170..230).contains(&first),
            "about 200 in the first 1000 s: {first}"
        );
        assert!(
            (440..560).contains(&last),
            "about 500 in the last 1000 s: {last}"
        );
    }
}
