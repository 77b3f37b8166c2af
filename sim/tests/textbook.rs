//! The simulator against the textbook, on a two-phase crossing of one-lane roads.
//!
//! - Saturation flow and start-up lost time (HCM 2016, chapter 19; Highway Capacity Manual
//!   method): headways of a queue discharging at green; the saturation headway is the mean
//!   headway from the fifth vehicle on, the start-up lost time the sum of the first four
//!   vehicles' excess over it.
//! - Delay: Webster (1958), "Traffic signal settings", Road Research Technical Paper 39, for
//!   random arrivals at a fixed-time signal:
//!   `d = c (1 - l)^2 / (2 (1 - l x)) + x^2 / (2 q (1 - x)) - 0.65 (c / q^2)^(1/3) x^(2 + 5 l)`
//!   with `c` the cycle, `l` the effective green ratio, `x` the degree of saturation and `q` the
//!   arrival rate. The simulator's delay here is each vehicle's time loss up to the stop line.

mod common;

use greenwave_controllers::model::Aspect;
use greenwave_sim::RunOptions;

use common::{crossing, run};

const CYCLE_S: f64 = 60.0;

/// Green starts of the eastbound group and the eastbound stop-line crossing times, under an
/// eastbound demand well above capacity.
fn saturated_discharges() -> Vec<Vec<f64>> {
    let scenario = crossing(2500.0, 1, 1800.0);
    let outcome = run(
        &scenario,
        &RunOptions {
            record: true,
            ..RunOptions::default()
        },
    );
    let rec = outcome.recording.expect("recorded");
    let greens: Vec<f64> = rec
        .signal_changes
        .iter()
        .filter(|(_, _, s)| s.aspects()[0] == Aspect::Green)
        .map(|c| c.0)
        .skip(2) // let the queue build up
        .collect();
    greens
        .iter()
        .map(|&g| {
            outcome
                .crossings
                .iter()
                .filter(|c| c.direction == "eb" && c.t_s > g && c.t_s < g + CYCLE_S / 2.0)
                .map(|c| c.t_s - g)
                .collect()
        })
        .filter(|t: &Vec<f64>| t.len() >= 8)
        .collect()
}

/// (saturation headway s, start-up lost time s, vehicles per saturated green).
fn saturation() -> (f64, f64, f64) {
    let cycles = saturated_discharges();
    assert!(
        cycles.len() >= 20,
        "expected many saturated greens, got {}",
        cycles.len()
    );
    let (mut h_sat, mut lost, mut n) = (0.0, 0.0, 0.0);
    for times in &cycles {
        let headways: Vec<f64> = std::iter::once(times[0])
            .chain(times.windows(2).map(|w| w[1] - w[0]))
            .collect();
        let h = headways[4..].iter().sum::<f64>() / (headways.len() - 4) as f64;
        h_sat += h;
        lost += headways[..4].iter().map(|x| x - h).sum::<f64>();
        n += times.len() as f64;
    }
    let k = cycles.len() as f64;
    (h_sat / k, lost / k, n / k)
}

#[test]
fn a_queue_discharges_at_a_realistic_saturation_flow_with_a_start_up_lost_time() {
    let (headway, lost, _) = saturation();
    let flow = 3600.0 / headway;
    println!("saturation flow {flow:.0} veh/h/lane, start-up lost time {lost:.2} s");
    assert!(
        (1700.0..=2000.0).contains(&flow),
        "saturation flow {flow:.0} veh/h/lane"
    );
    assert!(
        (1.5..=3.0).contains(&lost),
        "start-up lost time {lost:.2} s"
    );
}

fn webster_delay(cycle: f64, green_ratio: f64, x: f64, q_veh_s: f64) -> f64 {
    let l = green_ratio;
    cycle * (1.0 - l).powi(2) / (2.0 * (1.0 - l * x)) + x * x / (2.0 * q_veh_s * (1.0 - x))
        - 0.65 * (cycle / (q_veh_s * q_veh_s)).powf(1.0 / 3.0) * x.powf(2.0 + 5.0 * l)
}

#[test]
fn delay_at_a_fixed_time_signal_follows_webster() {
    // Capacity from the simulator itself: vehicles per saturated green, at its saturation flow.
    let (headway, _, per_green) = saturation();
    let capacity_veh_h = per_green * 3600.0 / CYCLE_S;
    let green_ratio = per_green * headway / CYCLE_S;
    println!("{per_green:.3} vehicles per saturated green, green ratio {green_ratio:.3}");
    const WARM_UP_S: f64 = 600.0;
    for x in [0.3, 0.5, 0.7, 0.85] {
        let q = x * capacity_veh_h;
        let mut delays = Vec::new();
        for seed in 1..=20 {
            let outcome = run(
                &crossing(q, seed, WARM_UP_S + 3600.0),
                &RunOptions::default(),
            );
            delays.extend(
                outcome
                    .crossings
                    .iter()
                    .filter(|c| c.direction == "eb" && c.t_s > WARM_UP_S)
                    .map(|c| c.delay_s),
            );
        }
        let simulated = delays.iter().sum::<f64>() / delays.len() as f64;
        let webster = webster_delay(CYCLE_S, green_ratio, x, q / 3600.0);
        let ratio = simulated / webster;
        println!("x = {x}: simulated {simulated:.2} s, Webster {webster:.2} s, ratio {ratio:.3}");
        assert!(
            (0.85..=1.15).contains(&ratio),
            "x = {x}: simulated {simulated:.2} s, Webster {webster:.2} s (ratio {ratio:.3})"
        );
    }
}
