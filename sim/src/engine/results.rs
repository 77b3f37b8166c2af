//! The end of a run: the summary, the per-vehicle records and the per-interval log.

use super::Simulation;
use crate::driver::CO2_G_PER_ML;
use crate::metrics::{CrossingSummary, DelayStats, Summary, sum};
use crate::vehicle::VehicleRecord;

use super::record::Recording;
use super::stop_lines::StopLineCrossings;

/// One aggregation interval of one approach.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct IntervalRow {
    /// The intersection.
    pub intersection: String,
    /// The approach.
    pub direction: String,
    /// Interval start, s.
    pub from_s: f64,
    /// Vehicles entering the approach link.
    pub arrivals: u32,
    /// Vehicles crossing the stop line.
    pub departures: u32,
    /// Mean halted vehicles.
    pub mean_queue_veh: f64,
    /// Most halted vehicles.
    pub max_queue_veh: u32,
    /// Mean delay on the approach of the vehicles that departed, s.
    pub mean_delay_s: f64,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The figures.
    pub summary: Summary,
    /// Every vehicle, finished or not, by number.
    pub vehicles: Vec<VehicleRecord>,
    /// The per-approach interval log.
    pub intervals: Vec<IntervalRow>,
    /// Every stop-line crossing, approach by approach, in time order.
    pub crossings: StopLineCrossings,
    /// Trajectories and signal changes, when recorded.
    pub recording: Option<Recording>,
    /// Descriptions of interlock trips (empty in a correct run).
    pub interlock_trips: Vec<String>,
}

impl Simulation {
    /// Ends the run and computes its figures; `wall_seconds` is how long it took.
    pub fn outcome(mut self, wall_seconds: f64) -> Outcome {
        let end = self.now.as_secs_f64();
        let hours = (end / 3600.0).max(1e-9);
        let arrived = self.records.len() as u64;
        let mut vehicles = std::mem::take(&mut self.records);
        let (mut max_wait, never_inserted) = self.unfinished(end, &mut vehicles);
        let in_network = vehicles.len() as u64 - arrived - never_inserted;
        vehicles.sort_by_key(|v| v.id);

        let approaches: Vec<_> = self
            .approaches
            .iter()
            .map(|a| a.summary(self.steps, hours))
            .collect();
        max_wait = approaches
            .iter()
            .map(|a| a.delay.max_wait_s)
            .fold(max_wait, f64::max);
        let car_delays = self.car_delays(&vehicles);
        let delays = DelayStats::from(car_delays.clone(), max_wait);
        let n = vehicles.len().max(1) as f64;
        let fuel_ml = sum(vehicles.iter().map(|v| v.co2_g)) / CO2_G_PER_ML;

        let (ped_stats, served, ped_crossings) = self.pedestrian_waits(end);
        let ev = self.emergency_figures(&vehicles);
        let buses = self.bus_figures(&vehicles);
        let person_mean_delay_s = person_delay(&car_delays, &buses.person, &self.ped_waits(end));

        let intervals = self.interval_rows();

        let crossings = self.stop_line_crossings();
        let interlock_trips: Vec<String> = self
            .junctions
            .iter()
            .filter_map(|j| j.first_trip.clone())
            .collect();
        let mut recording = self.recording.take();
        if let Some(rec) = &mut recording {
            rec.locate_signals(&self.links, &self.lane_info);
        }
        let summary = Summary {
            scenario: self.scenario_name.clone(),
            controller: self.controller.clone(),
            seeds: vec![self.seed],
            sim_seconds: end,
            vehicles_inserted: arrived + in_network,
            vehicles_arrived: arrived,
            vehicles_unserved: in_network + never_inserted,
            vehicles_in_network: in_network,
            vehicles_never_entered: never_inserted,
            mean_delay_s: delays.mean_delay_s,
            p50_delay_s: delays.p50_delay_s,
            p95_delay_s: delays.p95_delay_s,
            max_delay_s: delays.max_delay_s,
            max_wait_s: max_wait,
            mean_stops: sum(vehicles.iter().map(|v| f64::from(v.stops))) / n,
            throughput_veh_h: arrived as f64 / hours,
            co2_kg: fuel_ml * CO2_G_PER_ML / 1000.0,
            fuel_l: fuel_ml / 1000.0,
            ped_mean_wait_s: ped_stats.mean_delay_s,
            ped_max_wait_s: ped_stats.max_delay_s,
            ped_p95_wait_s: ped_stats.p95_delay_s,
            pedestrians: served,
            peds_caught: self.crossings.iter().map(|c| c.caught).sum(),
            slow_peds_caught: self.crossings.iter().map(|c| c.slow_caught).sum(),
            ev_vehicles: ev.vehicles,
            ev_mean_delay_s: ev.mean_delay_s,
            ev_max_delay_s: ev.max_delay_s,
            preempt_calls: ev.calls,
            preempt_call_to_green_mean_s: ev.call_to_green_mean_s,
            preempt_call_to_green_max_s: ev.call_to_green_max_s,
            preempt_stuck: ev.stuck,
            buses: buses.delays.len() as u64,
            bus_mean_delay_s: crate::metrics::mean(&buses.delays),
            bus_max_delay_s: buses.delays.iter().copied().fold(0.0, f64::max),
            bus_mean_lateness_s: crate::metrics::mean(&buses.lateness),
            bus_on_time_share: buses.on_time_share(),
            tsp_check_ins: self.priority_sum(|p| p.check_ins),
            tsp_early: self.priority_sum(|p| p.early),
            tsp_extended: self.priority_sum(|p| p.extended),
            tsp_refused: self.priority_sum(|p| p.refused),
            person_mean_delay_s,
            vehicle_updates: self.vehicle_updates,
            wall_seconds,
            vehicle_updates_per_s: self.vehicle_updates as f64 / wall_seconds.max(1e-9),
            interlock_trips: self.junctions.iter().map(|j| u64::from(j.trips)).sum(),
            red_crossings: self.red_crossings,
            hard_stops: self.hard_stops,
            controller_errors: self
                .junctions
                .iter()
                .map(|j| u64::from(j.controller_errors))
                .sum(),
            approaches,
            crossings: ped_crossings,
        };
        Outcome {
            summary,
            vehicles,
            intervals,
            crossings,
            recording,
            interlock_trips,
        }
    }
}

/// People in a car, for person delay.
const CAR_OCCUPANCY: f64 = greenwave_controllers::model::priority::CAR_OCCUPANCY;

/// Mean delay per person: every car's delay for its 1.3 people, every bus's for its load
/// (`(delay, people)`), every pedestrian's wait once.
fn person_delay(cars: &[f64], buses: &[(f64, f64)], peds: &[f64]) -> f64 {
    let people = cars.len() as f64 * CAR_OCCUPANCY
        + buses.iter().map(|b| b.1).sum::<f64>()
        + peds.len() as f64;
    let delay = sum(cars.iter().copied()) * CAR_OCCUPANCY
        + buses.iter().map(|b| b.0 * b.1).sum::<f64>()
        + sum(peds.iter().copied());
    if people > 0.0 { delay / people } else { 0.0 }
}

/// The buses' delays, their lateness at every stop reached, and `(delay, people)` per bus.
struct BusFigures {
    delays: Vec<f64>,
    lateness: Vec<f64>,
    person: Vec<(f64, f64)>,
}

impl BusFigures {
    /// The share of stop arrivals at most a minute early and at most five minutes late.
    fn on_time_share(&self) -> f64 {
        if self.lateness.is_empty() {
            return 0.0;
        }
        let on_time = self
            .lateness
            .iter()
            .filter(|&&l| (-60.0..=300.0).contains(&l))
            .count();
        on_time as f64 / self.lateness.len() as f64
    }
}

/// The emergency vehicles' delays and what preemption did for them.
struct EmergencyFigures {
    vehicles: u64,
    mean_delay_s: f64,
    max_delay_s: f64,
    calls: u64,
    call_to_green_mean_s: f64,
    call_to_green_max_s: f64,
    stuck: u64,
}

impl Simulation {
    /// Adds to `vehicles` the records of those still in the network at `end` and of those that
    /// never entered; returns the longest wait of a vehicle halted at the end and how many never
    /// entered.
    fn unfinished(&self, end: f64, vehicles: &mut Vec<VehicleRecord>) -> (f64, u64) {
        let mut max_wait = 0.0f64;
        let parked = self.parked.iter().map(|(_, v)| v);
        for v in self.lanes.iter().flatten().chain(parked) {
            {
                let trip = &self.trips[v.id as usize];
                if v.halted_since >= 0.0 {
                    max_wait = max_wait.max(end - f64::from(v.halted_since));
                }
                vehicles.push(VehicleRecord {
                    id: v.id,
                    entry: self.links[trip.entry as usize].id.clone(),
                    exit: String::new(),
                    generated_s: trip.generated_s,
                    inserted_s: trip.inserted_s,
                    arrived_s: f64::NAN,
                    delay_s: f64::from(v.loss),
                    stops: u32::from(v.stops),
                    waiting_s: f64::from(v.waiting),
                    co2_g: f64::from(v.fuel) * CO2_G_PER_ML,
                });
            }
        }
        let mut never_inserted = 0;
        for source in &self.sources {
            for &id in &source.waiting {
                let trip = &self.trips[id as usize];
                never_inserted += 1;
                vehicles.push(VehicleRecord {
                    id,
                    entry: self.links[trip.entry as usize].id.clone(),
                    exit: String::new(),
                    generated_s: trip.generated_s,
                    inserted_s: f64::NAN,
                    arrived_s: f64::NAN,
                    delay_s: (end - trip.generated_s).max(0.0),
                    stops: 0,
                    waiting_s: 0.0,
                    co2_g: 0.0,
                });
            }
        }
        (max_wait, never_inserted)
    }

    /// The delays of `vehicles` that are not buses.
    fn car_delays(&self, vehicles: &[VehicleRecord]) -> Vec<f64> {
        let is_bus = |v: &VehicleRecord| {
            self.trips
                .get(v.id as usize)
                .is_some_and(|t| t.bus != crate::vehicle::NO_BUS)
        };
        vehicles
            .iter()
            .filter(|v| !is_bus(v))
            .map(|v| v.delay_s)
            .collect()
    }

    /// Every pedestrian's wait, those still waiting at `end` included.
    fn ped_waits(&self, end: f64) -> Vec<f64> {
        self.crossings
            .iter()
            .flat_map(|c| {
                c.waits
                    .iter()
                    .copied()
                    .chain(c.waiting.iter().map(move |&at| (end - at).max(0.0)))
            })
            .collect()
    }

    /// The buses' figures (of `vehicles`): delay less dwells, lateness at the stops.
    fn bus_figures(&self, vehicles: &[VehicleRecord]) -> BusFigures {
        let mut figures = BusFigures {
            delays: Vec::new(),
            lateness: Vec::new(),
            person: Vec::new(),
        };
        for v in vehicles {
            let Some(trip) = self.trips.get(v.id as usize) else {
                continue;
            };
            let Some(run) = self.buses.get(usize::from(trip.bus)) else {
                continue;
            };
            let delay = (v.delay_s - f64::from(run.dwelt_s)).max(0.0);
            figures.delays.push(delay);
            figures.person.push((delay, f64::from(run.occupancy)));
            figures.lateness.extend(run.lateness_s.iter().copied());
        }
        figures
    }

    /// A transit priority count summed over the junctions.
    fn priority_sum(&self, f: fn(&crate::signals::PriorityLog) -> u32) -> u64 {
        self.junctions
            .iter()
            .map(|j| u64::from(f(&j.priority)))
            .sum()
    }

    /// The emergency vehicles' delays (of `vehicles`) and the preemption calls.
    fn emergency_figures(&self, vehicles: &[VehicleRecord]) -> EmergencyFigures {
        let delays: Vec<f64> = vehicles
            .iter()
            .filter(|v| self.emergency_trips.contains(&v.id))
            .map(|v| v.delay_s)
            .collect();
        let call_to_green: Vec<f64> = self
            .junctions
            .iter()
            .flat_map(|j| j.preemption.call_to_green_s.iter().copied())
            .collect();
        let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
        let sum = |f: fn(&crate::signals::PreemptionLog) -> u32| -> u64 {
            self.junctions
                .iter()
                .map(|j| u64::from(f(&j.preemption)))
                .sum()
        };
        EmergencyFigures {
            vehicles: delays.len() as u64,
            mean_delay_s: crate::metrics::mean(&delays),
            max_delay_s: max(&delays),
            calls: sum(|p| p.calls),
            call_to_green_mean_s: crate::metrics::mean(&call_to_green),
            call_to_green_max_s: max(&call_to_green),
            stuck: sum(|p| p.stuck),
        }
    }

    /// The pedestrians' waits, those still waiting at `end` included, how many crossed, and
    /// each crossing's.
    fn pedestrian_waits(&self, end: f64) -> (DelayStats, u64, Vec<CrossingSummary>) {
        let mut waits = Vec::new();
        let mut served = 0;
        for c in &self.crossings {
            served += c.waits.len() as u64;
            waits.extend(c.waits.iter().copied());
            waits.extend(c.waiting.iter().map(|&at| (end - at).max(0.0)));
        }
        let crossings = self
            .crossings
            .iter()
            .map(|c| {
                let j = &self.junctions[c.junction as usize];
                c.summary(end, &j.site, &j.ix)
            })
            .collect();
        (DelayStats::from(waits, 0.0), served, crossings)
    }

    /// The per-approach log, interval by interval.
    fn interval_rows(&self) -> Vec<IntervalRow> {
        let steps = &self.interval_steps;
        self.approaches
            .iter()
            .flat_map(|a| {
                a.intervals
                    .iter()
                    .enumerate()
                    .map(move |(i, iv)| IntervalRow {
                        intersection: a.site.clone(),
                        direction: a.direction.clone(),
                        from_s: i as f64 * self.interval_s,
                        arrivals: iv.arrivals,
                        departures: iv.departures,
                        mean_queue_veh: iv.queue_sum as f64 / f64::from(steps[i].max(1)),
                        max_queue_veh: iv.queue_max,
                        mean_delay_s: if iv.departures > 0 {
                            iv.delay_sum / f64::from(iv.departures)
                        } else {
                            0.0
                        },
                    })
            })
            .collect()
    }

    /// Every vehicle that crossed a stop line, with its delay and wait, taken from the
    /// approaches' logs.
    fn stop_line_crossings(&mut self) -> StopLineCrossings {
        StopLineCrossings::new(
            self.approaches
                .iter_mut()
                .map(|a| {
                    let crossings = std::mem::take(&mut a.crossings);
                    (a.site.clone(), a.direction.clone(), crossings)
                })
                .collect(),
        )
    }
}
