//! The best extension found by sharing one held run and stopping runs that cannot win is the
//! one predicting every extension in turn would find, to the bit; and the run that records its
//! departures predicts it to the bit too, at no more than its lanes' saturation flow.

use super::super::predict::Inflow;
use super::super::*;
use crate::control::BusCall;
use crate::control::rig::{plan, site};

/// A small deterministic generator (xorshift), so the cases are the same on every run.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() * n as f64) as usize % n
    }
}

/// Every extension predicted in turn: the least delay and its extension, the first of equals.
fn in_turn(ctl: &Adaptive, k: usize, room: f64, queues: &[f64], inflow: &Inflow<'_>) -> (f64, f64) {
    let mut best = (f64::INFINITY, 0.0);
    let mut hold = 0.0;
    while hold <= room + 1e-9 {
        let delay = ctl.predict(k, hold, queues, inflow, None);
        if delay < best.0 - 1e-6 {
            best = (delay, hold);
        }
        hold += ctl.params.step_s;
    }
    best
}

#[test]
fn the_best_extension_is_the_one_every_extension_in_turn_would_find() {
    let site = site();
    let plan = plan(&site);
    let groups = site.intersection.groups().len();
    let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
    let (mut checked, mut not_ending_now) = (0, 0);
    for case in 0..400 {
        let params = AdaptiveParams {
            wait_weight: [0.0, 4.0, 12.0][case % 3],
            step_s: [2.0, 1.0, 3.0, 0.5][case % 4],
            ..AdaptiveParams::default()
        };
        let mut ctl = Adaptive::new(site.clone(), plan.clone(), params).unwrap();
        let flows = ctl.flows.len();
        let horizon = 120;
        // Arrivals that change every 20 s, some flows with none.
        let arrivals: Vec<Vec<f64>> = (0..flows)
            .map(|_| {
                let busy = draw.next() < 0.7;
                let rates: Vec<f64> = (0..6).map(|_| draw.next() * 0.4).collect();
                (0..horizon)
                    .map(|t| if busy { rates[t / 20] } else { 0.0 })
                    .collect()
            })
            .collect();
        let queues: Vec<f64> = (0..flows).map(|_| (draw.next() * 16.0).floor()).collect();
        for w in ctl.flow_waits.iter_mut() {
            *w = (draw.next() < 0.5).then(|| draw.next() * 150.0);
        }
        ctl.buses = (0..draw.below(3))
            .map(|_| BusCall {
                group: GroupIndex(draw.below(groups) as u8),
                eta_s: draw.next() * 60.0,
                people: 10.0 + draw.next() * 50.0,
            })
            .collect();
        let k = draw.below(plan.stages.len());
        let room = (draw.next() * 32.0).floor();
        let inflow = Inflow::new(&arrivals, horizon);
        let expected = in_turn(&ctl, k, room, &queues, &inflow);
        let found = ctl.best_extension(k, room, (&queues, &inflow));
        assert_eq!(
            (found.0.to_bits(), found.1.to_bits()),
            (expected.0.to_bits(), expected.1.to_bits()),
            "case {case}: found {found:?}, in turn {expected:?}"
        );
        // The run that records its departures (for the forecast published) predicts the same
        // delay as the runs that only compare, and no flow departs faster than its lanes'
        // saturation flow in any second.
        let mut departures = Vec::new();
        let recorded = ctl.predict(k, found.1, &queues, &inflow, Some(&mut departures));
        assert_eq!(recorded.to_bits(), expected.0.to_bits(), "case {case}");
        for (f, series) in ctl.flows.iter().zip(&departures) {
            let capacity = ctl.pools[f.pool].capacity;
            let fastest = series.iter().copied().fold(0.0, f64::max);
            assert!(fastest <= capacity + 1e-9, "case {case}: {fastest} veh/s");
        }
        checked += 1;
        not_ending_now += usize::from(found.1 > 0.0);
    }
    assert_eq!(checked, 400);
    // The cases are not all the trivial one (end now).
    assert!(not_ending_now > 40, "{not_ending_now} cases held on");
}
