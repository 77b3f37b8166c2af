//! The virtual cabinet: the simulator served over Modbus TCP, one server per intersection, with
//! the reference register map. Detector registers come from the simulated loops, commanded
//! aspects go to the simulated signal heads, `shown_aspect` reports what the heads show, and
//! each cabinet has its own watchdog, local fixed-time fallback and conflict monitor
//! ([`greenwave_sim::cabinet`]). `speed` runs faster than real time; the cabinet clock
//! (`clock_ds`) advances with the simulation.

pub mod coils;
pub mod registers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use anyhow::{Context, Result};
use tokio::net::TcpListener;

use greenwave_controllers::Duration;
use greenwave_controllers::model::{Aspect, SignalState};
use greenwave_sim::cabinet::{CabinetCommand, ControlRequest};
use greenwave_sim::{Outcome, RunOptions, Scenario, Simulation};

use coils::CoilSite;
use registers::{Bank, SharedBank, address};

/// How to run the virtual cabinets.
#[derive(Clone, Debug)]
pub struct CabinetOptions {
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Where to listen: the first intersection on this port, the next ones on the following
    /// ports; port 0 lets each pick a free port.
    pub bind: SocketAddr,
    /// The cabinets' watchdog timeout.
    pub watchdog_timeout: StdDuration,
    /// Simulated duration (default: the scenario's).
    pub duration: Option<f64>,
    /// The seed (default: the scenario's).
    pub seed: Option<u64>,
    /// Serve each junction as commodity I/O modules of this device profile (lamps on coils,
    /// detectors on inputs) instead of the reference map.
    pub profile: Option<std::path::PathBuf>,
    /// With a profile: wire every lamp's current sensing to inputs too.
    pub sense_lamps: bool,
}

impl Default for CabinetOptions {
    fn default() -> Self {
        CabinetOptions {
            speed: 1.0,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            watchdog_timeout: StdDuration::from_secs(3),
            duration: None,
            seed: None,
            profile: None,
            sense_lamps: true,
        }
    }
}

/// One intersection's cabinet.
#[derive(Clone, Debug)]
pub struct Site {
    /// Its id.
    pub id: String,
    /// Where its Modbus server listens.
    pub address: SocketAddr,
    /// Its registers (the reference map; with a profile, not served but kept up to date).
    pub bank: SharedBank,
    /// With a profile: its modules, served instead.
    pub coils: Option<CoilSite>,
}

/// Running virtual cabinets.
pub struct VirtualCabinets {
    /// Every intersection, in corridor order.
    pub sites: Vec<Site>,
    servers: Vec<tokio::task::JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    simulation: Option<JoinHandle<Outcome>>,
    trips: Arc<std::sync::Mutex<Vec<String>>>,
}

impl VirtualCabinets {
    /// Starts serving `scenario` (its timing plans are the cabinets' local fallback).
    pub async fn start(scenario: &Scenario, options: &CabinetOptions) -> Result<VirtualCabinets> {
        let run = RunOptions {
            controller: Some("fixed".into()),
            seed: options.seed,
            duration: options.duration.map(Duration::from_secs_f64),
            ..RunOptions::default()
        };
        let mut sim = Simulation::new(scenario, &run).with_context(|| {
            format!(
                "{}: the cabinets' local fallback runs the scenario's timing plans",
                scenario.path.display()
            )
        })?;
        sim.install_cabinets(Duration::from_millis(
            options.watchdog_timeout.as_millis() as u64
        ));
        let mut sites = Vec::new();
        let mut servers = Vec::new();
        for (i, id) in sim.sites().into_iter().enumerate() {
            let mut bind = options.bind;
            if bind.port() != 0 {
                bind.set_port(bind.port() + i as u16);
            }
            let listener = TcpListener::bind(bind)
                .await
                .with_context(|| format!("{id}: cannot listen on {bind}"))?;
            let address = listener.local_addr()?;
            let groups = sim.shown_at(i).map_or(0, SignalState::len) as u16;
            let channels = sim.samples_at(i).map_or(0, <[_]>::len) as u16;
            let bank = SharedBank::new(Bank::new(channels, groups));
            let coils = match &options.profile {
                Some(profile) => {
                    let site = greenwave_controllers::site::Site::all(&scenario.corridor)
                        .into_iter()
                        .find(|s| s.id == id)
                        .with_context(|| format!("{id}: not a site of the corridor"))?;
                    let coils =
                        CoilSite::new(&site, profile, &address.to_string(), options.sense_lamps)?;
                    servers.push(coils::bank::serve(listener, coils.modules.clone()));
                    Some(coils)
                }
                None => {
                    servers.push(registers::serve(listener, bank.clone()));
                    None
                }
            };
            sites.push(Site {
                id: id.to_owned(),
                address,
                bank,
                coils,
            });
        }
        publish(&sim, &sites);
        let stop = Arc::new(AtomicBool::new(false));
        let trips = Arc::new(std::sync::Mutex::new(Vec::new()));
        let simulation = {
            let mut sites = sites.clone();
            let stop = stop.clone();
            let trips = trips.clone();
            let speed = options.speed;
            std::thread::Builder::new()
                .name("virtual-cabinet".into())
                .spawn(move || drive(sim, &mut sites, speed, &stop, &trips))?
        };
        Ok(VirtualCabinets {
            sites,
            servers,
            stop,
            simulation: Some(simulation),
            trips,
        })
    }

    /// Stops intersection `site`'s Modbus server (every connection closes) and serves it again
    /// on the same address after `down` (a cabinet's I/O module restarting). The simulation and
    /// the cabinet's own logic run on meanwhile.
    pub async fn restart_server(&mut self, site: usize, down: StdDuration) -> Result<()> {
        let server = self.servers.get_mut(site).context("no such site")?;
        server.abort();
        let _ = (&mut *server).await;
        tokio::time::sleep(down).await;
        let address = self.sites[site].address;
        let listener = loop {
            match TcpListener::bind(address).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(StdDuration::from_millis(20)).await,
            }
        };
        *server = match &self.sites[site].coils {
            Some(coils) => coils::bank::serve(listener, coils.modules.clone()),
            None => registers::serve(listener, self.sites[site].bank.clone()),
        };
        Ok(())
    }

    /// What tripped a conflict monitor so far (the first trip of each cabinet), as it happens.
    pub fn trips(&self) -> Vec<String> {
        self.trips.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// True once the simulated run has ended.
    pub fn finished(&self) -> bool {
        self.simulation.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops (if still running) and returns the simulation's outcome.
    pub fn finish(mut self) -> Result<Outcome> {
        self.stop.store(true, Ordering::SeqCst);
        for s in &self.servers {
            s.abort();
        }
        self.simulation
            .take()
            .context("already finished")?
            .join()
            .map_err(|_| anyhow::anyhow!("the simulation thread panicked"))
    }
}

impl Drop for VirtualCabinets {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for s in &self.servers {
            s.abort();
        }
    }
}

/// Steps the simulation in pace with real time times `speed`, bridging the registers.
fn drive(
    mut sim: Simulation,
    sites: &mut [Site],
    speed: f64,
    stop: &AtomicBool,
    trips: &std::sync::Mutex<Vec<String>>,
) -> Outcome {
    let mut tripped = 0;
    let started = StdInstant::now();
    let sim_start = sim.now();
    while !sim.finished() && !stop.load(Ordering::SeqCst) {
        let due = StdDuration::from_secs_f64((sim.now() - sim_start).as_secs_f64() / speed);
        let elapsed = started.elapsed();
        if due > elapsed {
            std::thread::sleep((due - elapsed).min(StdDuration::from_millis(20)));
            continue;
        }
        for (i, site) in sites.iter_mut().enumerate() {
            if let Some(coils) = &mut site.coils {
                let faults = coils.lamp_faults.len();
                sim.command_cabinet(i, &coils.command(sim.now().total_millis()));
                if coils.lamp_faults.len() > faults
                    && let Ok(mut t) = trips.lock()
                {
                    t.extend(
                        coils.lamp_faults[faults..]
                            .iter()
                            .map(|f| format!("{}: {f}", site.id)),
                    );
                }
                continue;
            }
            let command = {
                let bank = site.bank.lock();
                CabinetCommand {
                    watchdog: bank.watchdog,
                    request: ControlRequest::from_register(bank.control_request)
                        .unwrap_or_default(),
                    aspects: SignalState::from_aspects(
                        bank.commanded
                            .iter()
                            .map(|&c| Aspect::from_code(c).unwrap_or(Aspect::Red))
                            .collect(),
                    ),
                }
            };
            sim.command_cabinet(i, &command);
        }
        sim.step();
        publish(&sim, sites);
        if sim.monitor_trips() != tripped {
            tripped = sim.monitor_trips();
            if let Ok(mut t) = trips.lock() {
                for d in sim.monitor_trip_descriptions() {
                    if !t.contains(&d) {
                        t.push(d);
                    }
                }
            }
        }
    }
    sim.outcome(started.elapsed().as_secs_f64())
}

/// Writes the simulation's state into every bank.
fn publish(sim: &Simulation, sites: &[Site]) {
    let ms = sim.now().total_millis();
    let clock_ds = (ms / 100) as u32;
    for (i, site) in sites.iter().enumerate() {
        let mut bank = site.bank.lock();
        bank.header[usize::from(address::IO_HEARTBEAT)] = (ms / 1000) as u16;
        bank.header[usize::from(address::CABINET_STATUS)] =
            status_bits(sim.cabinet_status(i).unwrap_or_default());
        bank.header[usize::from(address::CLOCK_DS)] = (clock_ds >> 16) as u16;
        bank.header[usize::from(address::CLOCK_DS) + 1] = clock_ds as u16;
        if let Some(samples) = sim.samples_at(i) {
            for (c, s) in samples.iter().enumerate() {
                let regs = &mut bank.detectors[c * 4..c * 4 + 4];
                regs.copy_from_slice(&[
                    s.count,
                    s.on_time_cs,
                    u16::from(s.presence),
                    s.fault.code(),
                ]);
            }
        }
        if let Some(shown) = sim.shown_at(i) {
            for (slot, a) in bank.shown.iter_mut().zip(shown.aspects()) {
                *slot = a.code();
            }
        }
        if let (Some(coils), Some(shown), Some(samples)) =
            (&site.coils, sim.shown_at(i), sim.samples_at(i))
        {
            coils.publish(shown, samples, ms);
        }
    }
}

/// The `cabinet_status` register for what the simulated cabinet does.
pub fn status_bits(s: greenwave_sim::cabinet::CabinetStatus) -> u16 {
    use crate::fieldio::reference::status;
    let bit = |on: bool, b: u16| if on { b } else { 0 };
    bit(s.local, status::LOCAL)
        | bit(s.flashing, status::FLASHING)
        | bit(s.conflict, status::CONFLICT)
}
