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
