//! The control loop against the simulator's cabinet logic, in process and on simulated time: the
//! hand-over states, an ordered flash and a latched fault, step by step with no I/O.

use std::path::Path;

use greenwave_controllers::control::Neighbours;
use greenwave_controllers::model::{Aspect, SignalState};
use greenwave_controllers::{Duration, Instant};
use greenwave_sim::cabinet::{CabinetCommand, ControlRequest};
use greenwave_sim::{RunOptions, Scenario, Simulation};

use super::{ControlLoop, Event, LoopSettings, Mode};
use crate::daemon::config::DaemonConfig;
use crate::fieldio::poller::request;
use crate::fieldio::reading::{RawDetector, Reading};
use crate::mqtt::payload::OperatorMode;

/// J1's control loop (fixed time) and the arterial peak's cabinet of J1 it drives.
struct Bench {
    sim: Simulation,
    control: ControlLoop,
    watchdog: u16,
    /// The last control request written.
    request: u16,
    /// What the heads of J1 showed after each step.
    seen: Vec<(Instant, SignalState)>,
    /// Readings taken, the oldest first: the loop gets the one `delay` steps old (a poll that
    /// lags the cabinet, as over a real link).
    readings: std::collections::VecDeque<Reading>,
    delay: usize,
    /// The aspects last commanded.
    last_command: SignalState,
}

impl Bench {
    fn new() -> Bench {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = DaemonConfig::load_with(&root.join("config/cabinets/J1.toml"), Vec::new())
            .expect("J1 loads");
        let controller = greenwave_sim::build_controller(
            "fixed",
            &config.site,
            Some(&config.plan),
            &config.controller_params,
        )
        .expect("builds");
        let control = ControlLoop::new(
            config.site.clone(),
            controller,
            config.plan.clone(),
            LoopSettings::default(),
            Instant::ZERO,
        );
        let scenario = Scenario::load(&root.join("config/scenarios/arterial-peak.toml"))
            .expect("scenario loads");
        let options = RunOptions {
            controller: Some("fixed".into()),
            ..RunOptions::default()
        };
        let mut sim = Simulation::new(&scenario, &options).expect("builds");
        sim.install_cabinets(Duration::from_secs(3));
        Bench {
            sim,
            control,
            watchdog: 0,
            request: request::LOCAL,
            seen: Vec::new(),
            readings: std::collections::VecDeque::new(),
            delay: 0,
            last_command: SignalState::uniform(8, Aspect::Red),
        }
    }

    /// What the daemon would read from J1's cabinet now.
    fn reading(&self) -> Reading {
        let ms = self.sim.now().total_millis();
        let shown = self.sim.shown_at(0).expect("J1");
        let detectors = self
            .sim
            .samples_at(0)
            .expect("J1")
            .iter()
            .map(|s| RawDetector {
                count: s.count,
                on_time_cs: s.on_time_cs,
                presence: u16::from(s.presence),
                fault: s.fault.code(),
            })
            .collect::<Vec<_>>();
        Reading {
            heartbeat: (ms / 1000) as u16,
            channels: detectors.len() as u16,
            groups: shown.len() as u16,
            status: crate::cabinet::status_bits(self.sim.cabinet_status(0).unwrap_or_default()),
            clock_ds: (ms / 100) as u32,
            detectors,
            shown: shown.aspects().iter().map(|a| a.code()).collect(),
        }
    }

    /// One tick of the loop on the current reading, its command to the cabinet, one step.
    fn step(&mut self) {
        let now = self.sim.now();
        self.readings.push_back(self.reading());
        while self.readings.len() > self.delay + 1 {
            self.readings.pop_front();
        }
        let reading = self.readings.front().expect("a reading").clone();
        let (req, aspects) = self
            .control
            .tick(now, now, &reading, &Neighbours::default());
        self.request = req;
        if now.total_millis() % 500 == 0 {
            self.watchdog = self.watchdog.wrapping_add(1);
        }
        self.last_command = aspects.clone();
        let command = CabinetCommand {
            watchdog: self.watchdog,
            request: ControlRequest::from_register(req).expect("a valid request"),
            aspects: aspects.clone(),
        };
        self.sim.command_cabinet(0, &command);
        self.sim.step();
        self.seen
            .push((self.sim.now(), self.sim.shown_at(0).expect("J1").clone()));
    }

    /// Steps until `until` holds; panics after `seconds`.
    fn run_until(&mut self, what: &str, seconds: u64, until: impl Fn(&Bench) -> bool) {
        let end = self.sim.now() + Duration::from_secs(seconds);
        while !until(self) {
            assert!(self.sim.now() < end, "{what}: not within {seconds} s");
            self.step();
        }
    }

    fn shows_green(&self) -> bool {
        let shown = self.sim.shown_at(0).expect("J1");
        shown.aspects().iter().any(|a| a.is_go())
    }

    fn flashing(&self) -> bool {
        self.sim.cabinet_status(0).expect("J1").flashing
    }
}

/// The reasons given for the loop's changes of mode since the last call, in order.
fn mode_changes(control: &mut ControlLoop) -> Vec<(Mode, String)> {
    control
        .drain_events()
        .filter_map(|e| match e {
            Event::Mode(m, why) => Some((m, why)),
            _ => None,
        })
        .collect()
}

fn all(state: &SignalState, aspect: Aspect) -> bool {
    state.aspects().iter().all(|&a| a == aspect)
}

#[test]
fn the_loop_takes_over_from_the_local_plan_and_drives_from_red() {
    let mut bench = Bench::new();
    bench.run_until("driving", 120, |b| b.control.mode() == Mode::Driving);
    let took_over = bench.sim.now();
    assert!(
        all(bench.sim.shown_at(0).expect("J1"), Aspect::Red),
        "driving starts from all red"
    );
    bench.run_until("a green of the loop's", 60, Bench::shows_green);
    bench.run_until("a minute of driving", 70, |b| {
        b.sim.now() - took_over > Duration::from_secs(60)
    });
    assert_eq!(bench.control.mode(), Mode::Driving);
    assert_eq!(bench.request, request::EXTERNAL);
    assert_eq!(bench.sim.monitor_trips(), 0);
}

#[test]
fn an_ordered_flash_clears_to_red_first_and_is_left_through_red() {
    let mut bench = Bench::new();
    bench.run_until("driving", 120, |b| b.control.mode() == Mode::Driving);
    bench.run_until("a green", 60, Bench::shows_green);
    let taken = mode_changes(&mut bench.control);
    assert!(
        taken
            .last()
            .is_some_and(|(m, why)| *m == Mode::Driving && why.contains("at all red")),
        "{taken:?}"
    );
    bench.control.set_operator_mode(OperatorMode::Flash);
    let ordered = bench.seen.len();
    bench.run_until("flashing", 120, Bench::flashing);
    let flashed = mode_changes(&mut bench.control);
    assert!(
        matches!(&flashed[..], [(Mode::Following { .. }, why)] if why.contains("flash ordered")),
        "{flashed:?}"
    );
    let seen = &bench.seen[ordered..];
    let onset = seen
        .iter()
        .position(|(_, s)| all(s, Aspect::FlashingAmber))
        .expect("flash shown");
    assert!(onset > 0, "not straight out of the green");
    assert!(
        all(&seen[onset - 1].1, Aspect::Red),
        "steady red before the flash, not {}",
        seen[onset - 1].1
    );
    let last_amber = seen[..onset]
        .iter()
        .rev()
        .find(|(_, s)| s.aspects().contains(&Aspect::Amber))
        .map(|(t, _)| *t)
        .expect("the green ended through its amber");
    let red_clearance = seen[onset].0 - last_amber;
    assert!(
        red_clearance >= Duration::from_secs(1),
        "red clearance before the flash: {red_clearance}"
    );
    assert_eq!(bench.request, request::FLASH);
    assert_eq!(
        bench.sim.monitor_trips(),
        0,
        "the cabinet's monitor passed it"
    );

    // Back to adaptive control: through red, then the loop drives again.
    bench.control.set_operator_mode(OperatorMode::Adaptive);
    let back = bench.seen.len();
    bench.run_until("driving again", 120, |b| {
        b.control.mode() == Mode::Driving && b.shows_green()
    });
    let after = &bench.seen[back..];
    let left = after
        .iter()
        .position(|(_, s)| !all(s, Aspect::FlashingAmber))
        .expect("flash left");
    assert!(all(&after[left].1, Aspect::Red), "flash left through red");
    assert_eq!(bench.sim.monitor_trips(), 0);
    assert!(!bench.sim.cabinet_status(0).expect("J1").conflict);
}

#[test]
fn a_flash_ordered_while_following_lets_the_cabinet_wind_its_plan_down() {
    let mut bench = Bench::new();
    bench.control.set_operator_mode(OperatorMode::Flash);
    bench.run_until("flashing", 120, Bench::flashing);
    assert_eq!(bench.request, request::FLASH);
    let onset = bench
        .seen
        .iter()
        .position(|(_, s)| all(s, Aspect::FlashingAmber))
        .expect("flash shown");
    assert!(all(&bench.seen[onset - 1].1, Aspect::Red));
    assert_eq!(bench.sim.monitor_trips(), 0);
}

#[test]
fn a_latched_fault_asks_for_flash_at_once() {
    let mut bench = Bench::new();
    bench.run_until("driving", 120, |b| b.control.mode() == Mode::Driving);
    bench.run_until("a green", 60, Bench::shows_green);
    mode_changes(&mut bench.control);
    bench.control.fault("a test fault".into());
    bench.step();
    assert_eq!(bench.control.mode(), Mode::Safe);
    let latched = mode_changes(&mut bench.control);
    assert!(
        matches!(&latched[..], [(Mode::Safe, why)] if why.starts_with("a test fault")),
        "{latched:?}"
    );
    assert_eq!(bench.request, request::FLASH_NOW);
    bench.step();
    assert!(bench.flashing(), "flashing one step later");
    assert_eq!(
        bench.sim.monitor_trips(),
        0,
        "a fault flash is no monitor trip"
    );
}

#[test]
fn an_ordered_flash_over_a_lagging_link_never_trips_the_cabinet() {
    for delay in 1..=4 {
        let mut bench = Bench::new();
        bench.delay = delay;
        bench.run_until("driving", 120, |b| b.control.mode() == Mode::Driving);
        bench.run_until("a green", 60, Bench::shows_green);
        bench.control.set_operator_mode(OperatorMode::Flash);
        bench.run_until("flashing", 120, Bench::flashing);
        bench.run_until("a while flashing", 30, |b| {
            b.sim.now().total_millis() % 30_000 == 0
        });
        assert!(bench.flashing(), "still flashing (delay {delay})");
        assert_eq!(
            bench.sim.monitor_trips(),
            0,
            "delay {delay}: {:?}",
            bench.sim.monitor_trip_descriptions()
        );
        bench.control.set_operator_mode(OperatorMode::Adaptive);
        bench.run_until("driving again", 120, |b| {
            b.control.mode() == Mode::Driving && b.shows_green()
        });
        assert_eq!(
            bench.sim.monitor_trips(),
            0,
            "delay {delay}: {:?}",
            bench.sim.monitor_trip_descriptions()
        );
    }
}

#[test]
fn an_ordered_flash_waits_for_the_red_to_be_shown_even_when_the_clock_jumps() {
    // Ticks far apart (a loaded machine, a slow link): the red clearance runs out between two
    // ticks, so the tick that proposes the red finds it over already.
    let mut bench = Bench::new();
    bench.run_until("driving", 120, |b| b.control.mode() == Mode::Driving);
    bench.run_until("a green", 60, Bench::shows_green);
    bench.control.set_operator_mode(OperatorMode::Flash);
    let mut skipped = 0;
    while !bench.flashing() {
        assert!(skipped < 10_000, "never flashed");
        // The loop sees one step in 70 (7 s): the cabinet runs on meanwhile.
        if skipped % 70 == 0 {
            bench.step();
        } else {
            // The cabinet's watchdog is fed by the field I/O, which runs on.
            if bench.sim.now().total_millis() % 500 == 0 {
                bench.watchdog = bench.watchdog.wrapping_add(1);
            }
            let command = CabinetCommand {
                watchdog: bench.watchdog,
                request: ControlRequest::from_register(bench.request).expect("a request"),
                aspects: bench.last_command.clone(),
            };
            bench.sim.command_cabinet(0, &command);
            bench.sim.step();
        }
        skipped += 1;
    }
    assert_eq!(
        bench.sim.monitor_trips(),
        0,
        "{:?}",
        bench.sim.monitor_trip_descriptions()
    );
}
