//! Run metrics: what planners compare strategies on.
//!
//! Delay is time loss (SUMO's `timeLoss`): time spent minus the time the distance would take at
//! the vehicle's desired speed, plus any wait to enter the network. The run's figures cover every
//! vehicle that wanted to enter, finished or not (an unfinished trip counts with the delay it has
//! so far), so a controller that strands vehicles is not flattered. An approach's figures cover the
//! vehicles that crossed its stop line; a vehicle's wait there is the time from its first halt on
//! the approach to crossing the stop line.

use serde::Serialize;

use greenwave_controllers::model::{PerTurn, Turn};

/// Per-approach, per-turn figures collected during a run.
#[derive(Clone, Debug, Default)]
pub(crate) struct ApproachLog {
    pub site: String,
    pub direction: String,
    pub link: String,
    /// Per vehicle that crossed the stop line: (turn, delay on the approach, wait, time, delay
    /// since it last ran at its desired speed on the approach).
    pub crossings: Vec<crate::engine::stop_lines::Logged>,
    /// Stops made on the approach.
    pub stops: u64,
    /// Sum over steps of halted vehicles, and the step count, for the mean queue.
    pub queue_sum: u64,
    pub queue_max: u32,
    /// Per interval: (departures, queue sum, queue max, delay sum).
    pub intervals: Vec<IntervalLog>,
    /// The turns the approach has, by [`Turn::index`].
    pub turns: PerTurn<bool>,
}

/// One aggregation interval of one approach.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IntervalLog {
    pub departures: u32,
    pub arrivals: u32,
    pub queue_sum: u64,
    pub queue_max: u32,
    pub delay_sum: f64,
}

/// The p-th percentile (0..=100) by nearest rank; 0 for no values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A sum that is 0, not -0, when empty.
pub(crate) fn sum(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, |a, b| a + b)
}

pub(crate) fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        sum(values.iter().copied()) / values.len() as f64
    }
}

/// Rounded to the millisecond (figures kept in `f32` carry no more).
fn ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0 + 0.0
}

/// Delay figures of a set of vehicles.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct DelayStats {
    /// Vehicles counted.
    pub vehicles: u64,
    /// Mean delay, s.
    pub mean_delay_s: f64,
    /// Median delay, s.
    pub p50_delay_s: f64,
    /// 95th percentile delay, s.
    pub p95_delay_s: f64,
    /// Largest delay, s.
    pub max_delay_s: f64,
    /// Longest wait, s.
    pub max_wait_s: f64,
}

impl DelayStats {
    pub(crate) fn from(mut delays: Vec<f64>, max_wait_s: f64) -> Self {
        delays.sort_by(f64::total_cmp);
        DelayStats {
            vehicles: delays.len() as u64,
            mean_delay_s: ms(mean(&delays)),
            p50_delay_s: ms(percentile(&delays, 50.0)),
            p95_delay_s: ms(percentile(&delays, 95.0)),
            max_delay_s: ms(delays.last().copied().unwrap_or(0.0)),
            max_wait_s: ms(max_wait_s),
        }
    }
}

/// One turning movement of an approach.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MovementSummary {
    /// `sharp_left`, `left`, `slight_left`, `through`, `slight_right`, `right`, `sharp_right` or
    /// `u_turn`.
    pub turn: String,
    /// Its delay figures.
    #[serde(flatten)]
    pub delay: DelayStats,
}

/// The pedestrians of one signalised crossing.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CrossingSummary {
    /// The intersection's site id.
    pub intersection: String,
    /// The pedestrian signal group.
    pub group: String,
    /// Their waits from pressing the button to the walk (`vehicles` counts pedestrians; those
    /// still waiting at the end are counted with their wait so far).
    #[serde(flatten)]
    pub wait: DelayStats,
}

/// One approach of one intersection.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ApproachSummary {
    /// The intersection's site id.
    pub intersection: String,
    /// The approach (`eb`, `wb`, `nb`, `sb`).
    pub direction: String,
    /// The approach link.
    pub link: String,
    /// Delay figures of the vehicles that crossed its stop line.
    #[serde(flatten)]
    pub delay: DelayStats,
    /// Stops per vehicle on the approach.
    pub mean_stops: f64,
    /// Vehicles crossing the stop line per hour.
    pub throughput_veh_h: f64,
    /// Mean number of halted vehicles.
    pub mean_queue_veh: f64,
    /// Most halted vehicles at once.
    pub max_queue_veh: u32,
    /// By turn.
    pub movements: Vec<MovementSummary>,
}

impl ApproachLog {
    pub(crate) fn summary(&self, steps: u64, hours: f64) -> ApproachSummary {
        let stats = |filter: &dyn Fn(u8) -> bool| {
            let picked: Vec<&(u8, f32, f32, f32, f32)> =
                self.crossings.iter().filter(|c| filter(c.0)).collect();
            let max_wait = picked.iter().map(|c| f64::from(c.2)).fold(0.0, f64::max);
            DelayStats::from(picked.iter().map(|c| f64::from(c.1)).collect(), max_wait)
        };
        let delay = stats(&|_| true);
        // Every movement the approach has, served or not.
        let movements = Turn::VEHICLE
            .iter()
            .enumerate()
            .filter(|(t, _)| {
                self.turns[*t] || self.crossings.iter().any(|c| usize::from(c.0) == *t)
            })
            .map(|(t, turn)| MovementSummary {
                turn: turn.key().to_owned(),
                delay: stats(&|c| usize::from(c) == t),
            })
            .collect();
        let n = self.crossings.len().max(1) as f64;
        ApproachSummary {
            intersection: self.site.clone(),
            direction: self.direction.clone(),
            link: self.link.clone(),
            mean_stops: self.stops as f64 / n,
            throughput_veh_h: self.crossings.len() as f64 / hours,
            mean_queue_veh: self.queue_sum as f64 / steps.max(1) as f64,
            max_queue_veh: self.queue_max,
            delay,
            movements,
        }
    }
}

/// The figures of one run (or, averaged, of several seeds).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Controller name.
    pub controller: String,
    /// Seeds run.
    pub seeds: Vec<u64>,
    /// Simulated seconds per run.
    pub sim_seconds: f64,
    /// Vehicles that entered the network.
    pub vehicles_inserted: u64,
    /// Vehicles that reached their exit.
    pub vehicles_arrived: u64,
    /// Vehicles still in the network or never inserted at the end.
    pub vehicles_unserved: u64,
    /// Of those, the ones still in the network.
    pub vehicles_in_network: u64,
    /// Of those, the ones still waiting to enter.
    pub vehicles_never_entered: u64,
    /// Mean delay per vehicle (buses apart), s.
    pub mean_delay_s: f64,
    /// Median delay, s.
    pub p50_delay_s: f64,
    /// 95th percentile delay, s.
    pub p95_delay_s: f64,
    /// Largest delay, s.
    pub max_delay_s: f64,
    /// Longest wait of a vehicle at an approach, s.
    pub max_wait_s: f64,
    /// Stops per vehicle.
    pub mean_stops: f64,
    /// Vehicles reaching their exit per hour.
    pub throughput_veh_h: f64,
    /// CO2 emitted, kg.
    pub co2_kg: f64,
    /// Fuel burnt, litres.
    pub fuel_l: f64,
    /// Mean pedestrian wait for the walk signal, s.
    pub ped_mean_wait_s: f64,
    /// Longest pedestrian wait, s.
    pub ped_max_wait_s: f64,
    /// 95th percentile pedestrian wait, s.
    pub ped_p95_wait_s: f64,
    /// Pedestrians served.
    pub pedestrians: u64,
    /// Pedestrians walking at least the design speed still in the crossing when a conflicting
    /// green began (0 in a correct run).
    pub peds_caught: u64,
    /// Slower pedestrians still in the crossing when a conflicting green began.
    pub slow_peds_caught: u64,
    /// Emergency vehicles that entered.
    pub ev_vehicles: u64,
    /// Their mean delay, s.
    pub ev_mean_delay_s: f64,
    /// Their largest delay, s.
    pub ev_max_delay_s: f64,
    /// Preemption calls that took the signals.
    pub preempt_calls: u64,
    /// Mean time from a preemption call to the green of its approach, s.
    pub preempt_call_to_green_mean_s: f64,
    /// Longest such time, s.
    pub preempt_call_to_green_max_s: f64,
    /// Preemption calls dropped as stuck.
    pub preempt_stuck: u64,
    /// Buses that entered.
    pub buses: u64,
    /// Their mean delay (time loss less dwells), s.
    pub bus_mean_delay_s: f64,
    /// Their largest delay, s.
    pub bus_max_delay_s: f64,
    /// Their mean lateness at their stops against the timetable, s.
    pub bus_mean_lateness_s: f64,
    /// Share of stop arrivals on time (at most 1 min early, at most 5 min late).
    pub bus_on_time_share: f64,
    /// Buses that checked in for priority.
    pub tsp_check_ins: u64,
    /// Early greens given to buses.
    pub tsp_early: u64,
    /// Greens held for buses.
    pub tsp_extended: u64,
    /// Priority requests refused.
    pub tsp_refused: u64,
    /// Mean delay per person: car delay times 1.3 people, bus delay times the bus's load,
    /// pedestrians' waits once each, s.
    pub person_mean_delay_s: f64,
    /// Vehicle updates (vehicles times steps).
    pub vehicle_updates: u64,
    /// Wall-clock seconds the simulation took.
    pub wall_seconds: f64,
    /// Vehicle updates per wall-clock second.
    pub vehicle_updates_per_s: f64,
    /// Interlock trips (0 in a correct run), and the first one.
    pub interlock_trips: u64,
    /// Vehicles that crossed a stop line on red (0 in a correct run).
    pub red_crossings: u64,
    /// Vehicles that had to stop for red harder than they could (0 in a correct run).
    pub hard_stops: u64,
    /// Stage requests the sequencer refused (0 with a correct controller).
    pub controller_errors: u64,
    /// Per approach.
    pub approaches: Vec<ApproachSummary>,
    /// Per signalised pedestrian crossing.
    pub crossings: Vec<CrossingSummary>,
}

impl Summary {
    /// The mean of several runs of one scenario and controller (different seeds): figures are
    /// averaged, counts too (per run), maxima are the largest seen, and work is added up.
    pub fn average(runs: &[Summary]) -> Summary {
        let first = runs.first().expect("at least one run").clone();
        if runs.len() == 1 {
            return first;
        }
        let n = runs.len() as f64;
        let avg = |f: fn(&Summary) -> f64| runs.iter().map(f).sum::<f64>() / n;
        let max = |f: fn(&Summary) -> f64| runs.iter().map(f).fold(0.0, f64::max);
        let avg_u =
            |f: fn(&Summary) -> u64| (runs.iter().map(f).sum::<u64>() as f64 / n).round() as u64;
        let sum_u = |f: fn(&Summary) -> u64| runs.iter().map(f).sum::<u64>();
        let wall = runs.iter().map(|r| r.wall_seconds).sum::<f64>();
        let updates = sum_u(|r| r.vehicle_updates);
        let approaches = first
            .approaches
            .iter()
            .enumerate()
            .map(|(i, a)| average_approach(a, runs.iter().filter_map(|r| r.approaches.get(i)), n))
            .collect();
        Summary {
            scenario: first.scenario.clone(),
            controller: first.controller.clone(),
            seeds: runs.iter().flat_map(|r| r.seeds.iter().copied()).collect(),
            sim_seconds: first.sim_seconds,
            vehicles_inserted: avg_u(|r| r.vehicles_inserted),
            vehicles_arrived: avg_u(|r| r.vehicles_arrived),
            vehicles_unserved: avg_u(|r| r.vehicles_unserved),
            vehicles_in_network: avg_u(|r| r.vehicles_in_network),
            vehicles_never_entered: avg_u(|r| r.vehicles_never_entered),
            mean_delay_s: avg(|r| r.mean_delay_s),
            p50_delay_s: avg(|r| r.p50_delay_s),
            p95_delay_s: avg(|r| r.p95_delay_s),
            max_delay_s: max(|r| r.max_delay_s),
            max_wait_s: max(|r| r.max_wait_s),
            mean_stops: avg(|r| r.mean_stops),
            throughput_veh_h: avg(|r| r.throughput_veh_h),
            co2_kg: avg(|r| r.co2_kg),
            fuel_l: avg(|r| r.fuel_l),
            ped_mean_wait_s: avg(|r| r.ped_mean_wait_s),
            ped_max_wait_s: max(|r| r.ped_max_wait_s),
            ped_p95_wait_s: avg(|r| r.ped_p95_wait_s),
            pedestrians: avg_u(|r| r.pedestrians),
            peds_caught: sum_u(|r| r.peds_caught),
            slow_peds_caught: sum_u(|r| r.slow_peds_caught),
            ev_vehicles: sum_u(|r| r.ev_vehicles),
            ev_mean_delay_s: avg(|r| r.ev_mean_delay_s),
            ev_max_delay_s: max(|r| r.ev_max_delay_s),
            preempt_calls: sum_u(|r| r.preempt_calls),
            preempt_call_to_green_mean_s: avg(|r| r.preempt_call_to_green_mean_s),
            preempt_call_to_green_max_s: max(|r| r.preempt_call_to_green_max_s),
            preempt_stuck: sum_u(|r| r.preempt_stuck),
            buses: sum_u(|r| r.buses),
            bus_mean_delay_s: avg(|r| r.bus_mean_delay_s),
            bus_max_delay_s: max(|r| r.bus_max_delay_s),
            bus_mean_lateness_s: avg(|r| r.bus_mean_lateness_s),
            bus_on_time_share: avg(|r| r.bus_on_time_share),
            tsp_check_ins: sum_u(|r| r.tsp_check_ins),
            tsp_early: sum_u(|r| r.tsp_early),
            tsp_extended: sum_u(|r| r.tsp_extended),
            tsp_refused: sum_u(|r| r.tsp_refused),
            person_mean_delay_s: avg(|r| r.person_mean_delay_s),
            vehicle_updates: updates,
            wall_seconds: wall,
            vehicle_updates_per_s: updates as f64 / wall.max(1e-9),
            interlock_trips: sum_u(|r| r.interlock_trips),
            red_crossings: sum_u(|r| r.red_crossings),
            hard_stops: sum_u(|r| r.hard_stops),
            controller_errors: sum_u(|r| r.controller_errors),
            approaches,
            crossings: first
                .crossings
                .iter()
                .enumerate()
                .map(|(i, c)| CrossingSummary {
                    wait: average_delay(
                        runs.iter()
                            .filter_map(|r| r.crossings.get(i).map(|c| &c.wait)),
                        n,
                    ),
                    ..c.clone()
                })
                .collect(),
        }
    }
}

fn average_delay<'a>(runs: impl Iterator<Item = &'a DelayStats>, n: f64) -> DelayStats {
    let runs: Vec<&DelayStats> = runs.collect();
    let avg = |f: fn(&DelayStats) -> f64| runs.iter().map(|r| f(r)).sum::<f64>() / n;
    DelayStats {
        vehicles: (runs.iter().map(|r| r.vehicles).sum::<u64>() as f64 / n).round() as u64,
        mean_delay_s: avg(|r| r.mean_delay_s),
        p50_delay_s: avg(|r| r.p50_delay_s),
        p95_delay_s: avg(|r| r.p95_delay_s),
        max_delay_s: runs.iter().map(|r| r.max_delay_s).fold(0.0, f64::max),
        max_wait_s: runs.iter().map(|r| r.max_wait_s).fold(0.0, f64::max),
    }
}

fn average_approach<'a>(
    first: &ApproachSummary,
    runs: impl Iterator<Item = &'a ApproachSummary>,
    n: f64,
) -> ApproachSummary {
    let runs: Vec<&ApproachSummary> = runs.collect();
    let avg = |f: fn(&ApproachSummary) -> f64| runs.iter().map(|r| f(r)).sum::<f64>() / n;
    // Every movement any run has, averaged over the runs that have it.
    let mut turns: Vec<String> = Vec::new();
    for r in &runs {
        for m in &r.movements {
            if !turns.contains(&m.turn) {
                turns.push(m.turn.clone());
            }
        }
    }
    let movements = turns
        .into_iter()
        .map(|turn| {
            let having: Vec<&DelayStats> = runs
                .iter()
                .filter_map(|r| r.movements.iter().find(|x| x.turn == turn))
                .map(|x| &x.delay)
                .collect();
            let k = having.len() as f64;
            MovementSummary {
                turn,
                delay: average_delay(having.into_iter(), k),
            }
        })
        .collect();
    ApproachSummary {
        intersection: first.intersection.clone(),
        direction: first.direction.clone(),
        link: first.link.clone(),
        delay: average_delay(runs.iter().map(|r| &r.delay), n),
        mean_stops: avg(|r| r.mean_stops),
        throughput_veh_h: avg(|r| r.throughput_veh_h),
        mean_queue_veh: avg(|r| r.mean_queue_veh),
        max_queue_veh: runs.iter().map(|r| r.max_queue_veh).max().unwrap_or(0),
        movements,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 10.0);
        assert_eq!(percentile(&v, 95.0), 19.0);
        assert_eq!(percentile(&v, 100.0), 20.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
