//! Summary tables: one run, or several controllers side by side.

use std::io::{self, Write};

use greenwave_sim::Summary;

/// One run (averaged over its seeds).
pub fn write_summary(out: &mut impl Write, s: &Summary) -> io::Result<()> {
    writeln!(
        out,
        "{}: controller {}, {} seed{} ({}), {:.0} s simulated",
        s.scenario,
        s.controller,
        s.seeds.len(),
        if s.seeds.len() == 1 { "" } else { "s" },
        seed_list(&s.seeds),
        s.sim_seconds
    )?;
    writeln!(
        out,
        "vehicles   {} entered, {} arrived; at the end {} still in the network, {} never entered",
        s.vehicles_inserted, s.vehicles_arrived, s.vehicles_in_network, s.vehicles_never_entered
    )?;
    writeln!(
        out,
        "delay      mean {:.1} s, p50 {:.1} s, p95 {:.1} s, max {:.1} s; longest wait {:.1} s",
        s.mean_delay_s, s.p50_delay_s, s.p95_delay_s, s.max_delay_s, s.max_wait_s
    )?;
    writeln!(
        out,
        "flow       {:.2} stops per vehicle, {:.0} veh/h through, CO2 {:.1} kg, fuel {:.1} L",
        s.mean_stops, s.throughput_veh_h, s.co2_kg, s.fuel_l
    )?;
    if s.pedestrians > 0 {
        writeln!(
            out,
            "pedestrians {} served, mean wait {:.1} s, p95 {:.1} s, longest {:.1} s",
            s.pedestrians, s.ped_mean_wait_s, s.ped_p95_wait_s, s.ped_max_wait_s
        )?;
    }
    if s.ev_vehicles > 0 || s.preempt_calls > 0 {
        writeln!(
            out,
            "emergency  {} vehicles, mean delay {:.1} s, longest {:.1} s; {} preemption calls, \
             call to green mean {:.1} s, longest {:.1} s, {} stuck",
            s.ev_vehicles,
            s.ev_mean_delay_s,
            s.ev_max_delay_s,
            s.preempt_calls,
            s.preempt_call_to_green_mean_s,
            s.preempt_call_to_green_max_s,
            s.preempt_stuck
        )?;
    }
    write_people(out, s)?;
    writeln!(
        out,
        "safety     {} interlock trips, {} red-light crossings, {} hard stops, {} pedestrians \
         caught in the crossing ({} more slower than its design speed)",
        s.interlock_trips, s.red_crossings, s.hard_stops, s.peds_caught, s.slow_peds_caught
    )?;
    let rate = update_rate(s.vehicle_updates_per_s);
    writeln!(
        out,
        "speed      {:.2} M vehicle updates in {:.2} s ({rate})",
        s.vehicle_updates as f64 / 1e6,
        s.wall_seconds,
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<6} {:<4} {:>8} {:>11} {:>10} {:>9} {:>6} {:>7} {:>10}",
        "site",
        "appr",
        "vehicles",
        "mean delay",
        "p95 delay",
        "max wait",
        "stops",
        "veh/h",
        "mean queue"
    )?;
    for a in &s.approaches {
        writeln!(
            out,
            "{:<6} {:<4} {:>8} {:>9.1} s {:>8.1} s {:>7.1} s {:>6.2} {:>7.0} {:>10.1}",
            a.intersection,
            a.direction,
            a.delay.vehicles,
            a.delay.mean_delay_s,
            a.delay.p95_delay_s,
            a.delay.max_wait_s,
            a.mean_stops,
            a.throughput_veh_h,
            a.mean_queue_veh
        )?;
    }
    if !s.crossings.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{:<6} {:<5} {:>11} {:>10} {:>10} {:>9}",
            "site", "walk", "pedestrians", "mean wait", "p95 wait", "max wait"
        )?;
        for c in &s.crossings {
            writeln!(
                out,
                "{:<6} {:<5} {:>11} {:>8.1} s {:>8.1} s {:>7.1} s",
                c.intersection,
                c.group,
                c.wait.vehicles,
                c.wait.mean_delay_s,
                c.wait.p95_delay_s,
                c.wait.max_delay_s
            )?;
        }
    }
    Ok(())
}

/// A figure of the comparison: its label, how to read it, its decimals, and whether it means
/// anything for a run (else `-`: a bus on-time share of 0 where there are no buses would read
/// as all late).
type Row = (
    &'static str,
    fn(&Summary) -> f64,
    usize,
    fn(&Summary) -> bool,
);

fn always(_: &Summary) -> bool {
    true
}

fn with_peds(s: &Summary) -> bool {
    s.pedestrians > 0
}

fn with_evs(s: &Summary) -> bool {
    s.ev_vehicles > 0 || s.preempt_calls > 0
}

fn with_calls(s: &Summary) -> bool {
    s.preempt_calls > 0
}

fn with_buses(s: &Summary) -> bool {
    s.buses > 0
}

/// Several controllers on the same scenario and seeds.
pub fn write_comparison(out: &mut impl Write, runs: &[Summary]) -> io::Result<()> {
    let first = &runs[0];
    writeln!(
        out,
        "{}: {} seed{} ({}), {:.0} s simulated",
        first.scenario,
        first.seeds.len(),
        if first.seeds.len() == 1 { "" } else { "s" },
        seed_list(&first.seeds),
        first.sim_seconds
    )?;
    write!(out, "{:<22}", "")?;
    for r in runs {
        write!(out, " {:>13}", r.controller)?;
    }
    writeln!(out)?;
    let rows: [Row; 20] = [
        ("mean delay (s)", |s| s.mean_delay_s, 1, always),
        ("p95 delay (s)", |s| s.p95_delay_s, 1, always),
        ("longest wait (s)", |s| s.max_wait_s, 1, always),
        ("stops per vehicle", |s| s.mean_stops, 2, always),
        ("throughput (veh/h)", |s| s.throughput_veh_h, 0, always),
        ("unserved (veh)", |s| s.vehicles_unserved as f64, 0, always),
        ("CO2 (kg)", |s| s.co2_kg, 1, always),
        ("ped mean wait (s)", |s| s.ped_mean_wait_s, 1, with_peds),
        ("ped p95 wait (s)", |s| s.ped_p95_wait_s, 1, with_peds),
        ("ped longest wait (s)", |s| s.ped_max_wait_s, 1, with_peds),
        ("interlock trips", |s| s.interlock_trips as f64, 0, always),
        ("red crossings", |s| s.red_crossings as f64, 0, always),
        ("peds caught", |s| s.peds_caught as f64, 0, with_peds),
        (
            "slow peds caught",
            |s| s.slow_peds_caught as f64,
            0,
            with_peds,
        ),
        ("EV mean delay (s)", |s| s.ev_mean_delay_s, 1, with_evs),
        ("bus mean delay (s)", |s| s.bus_mean_delay_s, 1, with_buses),
        (
            "bus on time (%)",
            |s| 100.0 * s.bus_on_time_share,
            0,
            with_buses,
        ),
        ("person delay (s)", |s| s.person_mean_delay_s, 1, always),
        ("preempt calls", |s| s.preempt_calls as f64, 0, with_evs),
        (
            "call to green max (s)",
            |s| s.preempt_call_to_green_max_s,
            1,
            with_calls,
        ),
    ];
    for (name, value, decimals, applies) in rows {
        write!(out, "{name:<22}")?;
        for r in runs {
            if applies(r) {
                write!(out, " {:>13.*}", decimals, value(r))?;
            } else {
                write!(out, " {:>13}", "-")?;
            }
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    writeln!(out, "p95 delay / longest wait per approach (s)")?;
    for (i, a) in first.approaches.iter().enumerate() {
        write!(out, "{:<6} {:<15}", a.intersection, a.direction)?;
        for r in runs {
            let x = &r.approaches[i].delay;
            write!(out, " {:>6.1} /{:>5.0}", x.p95_delay_s, x.max_wait_s)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn seed_list(seeds: &[u64]) -> String {
    match seeds {
        [one] => one.to_string(),
        [first, .., last] if seeds.windows(2).all(|w| w[1] == w[0] + 1) => {
            format!("{first}..={last}")
        }
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Vehicle updates per second for people: millions, or thousands for a run paced to the clock
/// (the demo), which updates far fewer than a million a second.
fn update_rate(per_s: f64) -> String {
    if per_s >= 999_500.0 {
        format!("{:.1} M/s", per_s / 1e6)
    } else {
        format!("{:.0} k/s", per_s / 1e3)
    }
}

/// The buses' and the people's lines of a summary, when there are buses or pedestrians.
fn write_people(out: &mut impl Write, s: &Summary) -> io::Result<()> {
    if s.buses > 0 {
        writeln!(
            out,
            "buses      {} entered, mean delay {:.1} s (dwells apart), longest {:.1} s; \
             lateness at stops mean {:.0} s, {:.0} % on time; priority: {} check-ins, {} early \
             greens, {} extensions, {} refused",
            s.buses,
            s.bus_mean_delay_s,
            s.bus_max_delay_s,
            s.bus_mean_lateness_s,
            100.0 * s.bus_on_time_share,
            s.tsp_check_ins,
            s.tsp_early,
            s.tsp_extended,
            s.tsp_refused
        )?;
    }
    if s.buses > 0 || s.pedestrians > 0 {
        writeln!(
            out,
            "people     mean delay per person {:.1} s (cars 1.3 each, buses their load, pedestrians)",
            s.person_mean_delay_s
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::update_rate;

    #[test]
    fn update_rates_read_in_millions_or_thousands() {
        assert_eq!(update_rate(12.34e6), "12.3 M/s");
        assert_eq!(update_rate(41_800.0), "42 k/s");
        assert_eq!(update_rate(999_700.0), "1.0 M/s");
    }
}
