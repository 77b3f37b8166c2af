//! The simulated cabinet: local plan by default, a safe hand-over to an external controller that
//! keeps its watchdog alive, a fall-back when it stops, and flash on a conflicting command.

use std::path::Path;
use std::sync::Arc;

use greenwave_controllers::interlock::{Check, Interlock, SafeState};
use greenwave_controllers::model::{Aspect, Intersection, SignalState, StageIndex};
use greenwave_controllers::sequencer::Sequencer;
use greenwave_controllers::{Duration, Instant};
use greenwave_sim::cabinet::{CabinetCommand, ControlRequest};
use greenwave_sim::{RunOptions, Scenario, Simulation};

fn arterial() -> (Simulation, Arc<Intersection>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/scenarios/arterial-peak.toml");
    let scenario = Scenario::load(&path).expect("loads");
    let ix = scenario
        .corridor
        .intersections()
        .next()
        .and_then(|(_, node)| node.intersection().cloned())
        .expect("an intersection");
    let options = RunOptions {
        controller: Some("fixed".into()),
        ..RunOptions::default()
    };
    let mut sim = Simulation::new(&scenario, &options).expect("builds");
    sim.install_cabinets(Duration::from_secs(3));
    (sim, ix)
}

/// An external controller of intersection 0, as the daemon would be: its own sequencer, run
/// through its own interlock, started from all red once the cabinet has handed over.
struct External {
    ix: Arc<Intersection>,
    seq: Option<Sequencer>,
    interlock: Option<Interlock>,
    command: CabinetCommand,
    watchdog_changed: Instant,
}

impl External {
    fn new(ix: Arc<Intersection>) -> Self {
        let n = ix.groups().len();
        External {
            ix,
            seq: None,
            interlock: None,
            command: CabinetCommand {
                watchdog: 0,
                request: ControlRequest::External,
                aspects: SignalState::uniform(n, Aspect::Red),
            },
            watchdog_changed: Instant::ZERO,
        }
    }

    /// One tick: follows the cabinet while it is local, drives it once it is not.
    fn tick(&mut self, sim: &mut Simulation, keep_watchdog: bool) {
        let now = sim.now();
        if keep_watchdog && now.total_millis() % 1000 == 0 {
            self.command.watchdog = self.command.watchdog.wrapping_add(1);
            self.watchdog_changed = now;
        }
        let local = sim.cabinet_status(0).expect("a cabinet").local;
        if local {
            self.seq = None;
            self.command.aspects = SignalState::uniform(self.ix.groups().len(), Aspect::Red);
        } else {
            let seq = self
                .seq
                .get_or_insert_with(|| Sequencer::new(self.ix.clone(), now));
            let interlock = self.interlock.get_or_insert_with(|| {
                Interlock::new(self.ix.clone(), SafeState::FlashingAmber, now)
            });
            // Round the stages every 20 s.
            let stage = (now.total_millis() / 20_000) as usize % self.ix.stages().len();
            seq.request(StageIndex(stage as u8)).expect("a stage");
            let proposed = seq.poll(now).clone();
            assert!(matches!(interlock.check(now, &proposed), Check::Passed));
            self.command.aspects = proposed;
        }
        sim.command_cabinet(0, &self.command);
    }
}

fn run_for(sim: &mut Simulation, seconds: u64, mut each: impl FnMut(&mut Simulation)) {
    let end = sim.now() + Duration::from_secs(seconds);
    while sim.now() < end {
        each(sim);
        sim.step();
    }
}

#[test]
fn hands_over_from_red_follows_commands_and_falls_back_when_the_watchdog_stops() {
    let (mut sim, ix) = arterial();
    let mut local_changes = 0;
    let mut last = sim.shown_at(0).cloned();
    run_for(&mut sim, 120, |sim| {
        assert!(sim.cabinet_status(0).expect("a cabinet").local);
        if sim.shown_at(0).cloned() != last {
            local_changes += 1;
            last = sim.shown_at(0).cloned();
        }
    });
    assert!(
        local_changes > 4,
        "the local plan runs ({local_changes} changes)"
    );

    let mut external = External::new(ix.clone());
    let mut took_over_at = None;
    run_for(&mut sim, 240, |sim| {
        external.tick(sim, true);
        let status = sim.cabinet_status(0).expect("a cabinet");
        if !status.local {
            took_over_at.get_or_insert(sim.now());
            // The heads show what was commanded a step ago, or the step's own command.
            let shown = sim.shown_at(0).expect("a site");
            assert!(
                shown.aspects().iter().all(|&a| a != Aspect::FlashingAmber),
                "no flash while following"
            );
        }
    });
    let took_over_at = took_over_at.expect("the cabinet handed over");
    assert!(
        took_over_at < Instant::ZERO + Duration::from_secs(120 + 60),
        "handed over within a minute, at {took_over_at}"
    );
    assert_eq!(
        sim.shown_at(0),
        Some(&external.command.aspects),
        "the heads show the command"
    );

    // The controller stops writing its watchdog: after the 3 s timeout the cabinet winds down
    // and runs its local plan again.
    let mut back_local = None;
    run_for(&mut sim, 120, |sim| {
        external.tick(sim, false);
        if back_local.is_none() && sim.cabinet_status(0).expect("a cabinet").local {
            back_local = Some(sim.now());
        }
    });
    let back_local = back_local.expect("fell back to local");
    let waited = back_local - external.watchdog_changed;
    assert!(
        (Duration::from_secs(3)..=Duration::from_millis(4_100)).contains(&waited),
        "fell back {waited} after the last watchdog change"
    );
    assert_eq!(
        sim.monitor_trips(),
        0,
        "every state passed the cabinet monitor"
    );
    assert!(!sim.cabinet_status(0).expect("a cabinet").flashing);
}

#[test]
fn a_conflicting_command_trips_the_monitor_into_flash() {
    let (mut sim, ix) = arterial();
    let mut external = External::new(ix.clone());
    run_for(&mut sim, 120, |sim| external.tick(sim, true));
    assert!(!sim.cabinet_status(0).expect("a cabinet").local);

    // Every group green at once.
    external.command.aspects = SignalState::uniform(ix.groups().len(), Aspect::Green);
    sim.command_cabinet(0, &external.command);
    sim.step();
    let status = sim.cabinet_status(0).expect("a cabinet");
    assert!(status.conflict && status.flashing, "{status:?}");
    assert!(
        sim.shown_at(0)
            .expect("a site")
            .aspects()
            .iter()
            .all(|&a| a == Aspect::FlashingAmber)
    );
    // Latched: a good command and a local request do not clear it.
    external.command.request = ControlRequest::Local;
    run_for(&mut sim, 10, |sim| {
        sim.command_cabinet(0, &external.command)
    });
    assert!(sim.cabinet_status(0).expect("a cabinet").conflict);
}

/// Steps until `until` holds (at most `seconds`), recording what the heads of intersection 0
/// showed at every step.
fn record_until(
    sim: &mut Simulation,
    seconds: u64,
    mut each: impl FnMut(&mut Simulation),
    until: impl Fn(&Simulation) -> bool,
) -> Vec<(Instant, SignalState)> {
    let mut seen = Vec::new();
    let end = sim.now() + Duration::from_secs(seconds);
    while sim.now() < end && !until(sim) {
        each(sim);
        sim.step();
        seen.push((sim.now(), sim.shown_at(0).expect("a site").clone()));
    }
    seen
}

fn flashing(state: &SignalState) -> bool {
    state.aspects().iter().all(|&a| a == Aspect::FlashingAmber)
}

#[test]
fn a_flash_request_winds_the_local_plan_down_to_red_before_the_flash() {
    let (mut sim, ix) = arterial();
    // Into the local plan's green, then ask for flash.
    run_for(&mut sim, 75, |_| {});
    assert!(
        sim.shown_at(0)
            .expect("a site")
            .aspects()
            .iter()
            .any(|a| a.is_go()),
        "a green is running"
    );
    let asked = sim.now();
    let n = ix.groups().len();
    let command = CabinetCommand {
        watchdog: 1,
        request: ControlRequest::Flash,
        aspects: SignalState::uniform(n, Aspect::Red),
    };
    let mut watchdog = 1u16;
    let seen = record_until(
        &mut sim,
        60,
        |sim| {
            watchdog = watchdog.wrapping_add(1);
            sim.command_cabinet(
                0,
                &CabinetCommand {
                    watchdog,
                    ..command.clone()
                },
            );
        },
        |sim| sim.cabinet_status(0).expect("a cabinet").flashing,
    );
    let onset = seen
        .iter()
        .position(|(_, s)| flashing(s))
        .expect("the cabinet flashes");
    let (flash_at, _) = seen[onset];
    assert!(onset > 0, "not at once");
    let before = &seen[onset - 1].1;
    assert!(
        before.aspects().iter().all(|&a| a == Aspect::Red),
        "flash follows steady red, not {before}"
    );
    assert!(
        seen[..onset]
            .iter()
            .any(|(_, s)| s.aspects().contains(&Aspect::Amber)),
        "the green ended through its amber"
    );
    // The red clearance ran after the last amber.
    let last_amber = seen[..onset]
        .iter()
        .rev()
        .find(|(_, s)| s.aspects().contains(&Aspect::Amber))
        .map(|(t, _)| *t)
        .expect("an amber");
    assert!(
        flash_at - last_amber >= Duration::from_secs(1),
        "red clearance of {} before the flash",
        flash_at - last_amber
    );
    assert!(flash_at > asked);
    assert_eq!(sim.monitor_trips(), 0, "the monitor passed the flash");
    let status = sim.cabinet_status(0).expect("a cabinet");
    assert!(status.flashing && !status.conflict, "{status:?}");
}

#[test]
fn an_external_controller_asking_for_flash_out_of_a_green_trips_the_monitor() {
    let (mut sim, ix) = arterial();
    let mut external = External::new(ix.clone());
    // Take over and run until a green shows.
    run_for(&mut sim, 200, |sim| external.tick(sim, true));
    assert!(!sim.cabinet_status(0).expect("a cabinet").local);
    record_until(
        &mut sim,
        60,
        |sim| external.tick(sim, true),
        |sim| {
            sim.shown_at(0)
                .expect("a site")
                .aspects()
                .iter()
                .any(|a| a.is_go())
        },
    );
    assert!(
        sim.shown_at(0)
            .expect("a site")
            .aspects()
            .iter()
            .any(|a| a.is_go())
    );
    // The controller skips the amber: straight to flash.
    external.command.request = ControlRequest::Flash;
    external.command.watchdog = external.command.watchdog.wrapping_add(1);
    sim.command_cabinet(0, &external.command);
    sim.step();
    assert_eq!(sim.monitor_trips(), 1, "the skipped clearance is caught");
    let status = sim.cabinet_status(0).expect("a cabinet");
    assert!(status.flashing && status.conflict, "{status:?}");
}

#[test]
fn a_latched_fault_flashes_at_once_without_a_monitor_trip() {
    let (mut sim, ix) = arterial();
    run_for(&mut sim, 75, |_| {});
    let command = CabinetCommand {
        watchdog: 1,
        request: ControlRequest::FlashNow,
        aspects: SignalState::uniform(ix.groups().len(), Aspect::Red),
    };
    sim.command_cabinet(0, &command);
    sim.step();
    assert!(flashing(sim.shown_at(0).expect("a site")));
    assert_eq!(sim.monitor_trips(), 0);
    assert!(!sim.cabinet_status(0).expect("a cabinet").conflict);
}
