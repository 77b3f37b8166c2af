//! The event log of a simulation: one log per intersection, written from what its signal heads
//! show (stamped at the start of the step that shows them) and what its loops report (stamped
//! at the end of the step that sampled them), on a clock that starts at a configured local date
//! and time.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use greenwave_controllers::Instant;
use greenwave_controllers::site::Site;
use greenwave_sim::{Scenario, Simulation};
use jiff::{SignedDuration, Timestamp};

use super::plan::PlanChange;
use super::stamp::LocalTime;
use super::writer::EventLog;

/// Event logs for every intersection of a simulation.
pub struct SimLogs {
    start: Timestamp,
    logs: Vec<(String, PathBuf, EventLog<BufWriter<File>>)>,
}

impl SimLogs {
    /// Creates `dir` and one log `SITE.csv` in it per intersection of `scenario` run by
    /// `controller`; simulated time 0 is `start`, stamped in `clock`'s local time. Each log
    /// starts with its plan taking effect ([`PlanChange`]).
    pub fn create(
        dir: &Path,
        scenario: &Scenario,
        controller: &str,
        start: Timestamp,
        clock: &LocalTime,
    ) -> io::Result<SimLogs> {
        std::fs::create_dir_all(dir)?;
        let corridor = &scenario.corridor;
        let logs = corridor
            .intersections()
            .filter_map(|(node, _)| Site::new(corridor, node).map(|site| (node, site)))
            .map(|(node, site)| {
                let path = dir.join(format!("{}.csv", site.id));
                let file = File::create(&path)?;
                let mut log = EventLog::new(BufWriter::new(file), &site, clock.clone());
                if let Some(plan) = scenario.plans.get(&node) {
                    log.plan(start, &PlanChange::new(plan, controller))?;
                }
                Ok((site.id, path, log))
            })
            .collect::<io::Result<_>>()?;
        Ok(SimLogs { start, logs })
    }

    /// The files written, by intersection.
    pub fn files(&self) -> impl Iterator<Item = (&str, &Path)> {
        self.logs.iter().map(|(s, p, _)| (s.as_str(), p.as_path()))
    }

    /// The wall-clock instant of simulated time `at`.
    pub fn stamp_of(&self, at: Instant) -> Timestamp {
        let ms = i64::try_from(at.total_millis()).unwrap_or(i64::MAX);
        self.start
            .saturating_add(SignedDuration::from_millis(ms))
            .unwrap_or(self.start)
    }

    /// Records the step of `sim` that began at `began` (and has just ended).
    pub fn after_step(&mut self, sim: &Simulation, began: Instant) -> io::Result<()> {
        let shown_at = self.stamp_of(began);
        let sampled_at = self.stamp_of(sim.now());
        for (site, _, log) in &mut self.logs {
            log.termination(sim.termination(site));
            if let Some(shown) = sim.signals(site) {
                log.signals(shown_at, shown)?;
            }
            if let Some(samples) = sim.detector_samples(site) {
                log.detectors(sampled_at, samples)?;
            }
            let reported = sim.reported(site);
            if !reported.is_empty() {
                let events: Vec<_> = reported
                    .iter()
                    .flat_map(|r| match r {
                        greenwave_sim::Reported::Preempt(e) => super::priority::preemption(e),
                        greenwave_sim::Reported::Priority(e) => {
                            super::priority::priority(e).into_iter().collect()
                        }
                    })
                    .collect();
                log.events(sampled_at, &events)?;
            }
        }
        Ok(())
    }

    /// Flushes every log.
    pub fn finish(self) -> io::Result<()> {
        for (_, _, log) in self.logs {
            log.into_inner()?;
        }
        Ok(())
    }
}

/// Runs `sim` to its end, logging every step, calling `progress` with the fraction done now
/// and then.
pub fn run(
    sim: &mut Simulation,
    logs: &mut SimLogs,
    mut progress: impl FnMut(f64),
) -> io::Result<()> {
    let total = sim.end().total_millis().max(1) as f64;
    let mut steps = 0u64;
    while !sim.finished() {
        let began = sim.now();
        sim.step();
        logs.after_step(sim, began)?;
        steps += 1;
        if steps % 600 == 0 {
            progress(sim.now().total_millis() as f64 / total);
        }
    }
    progress(1.0);
    Ok(())
}
