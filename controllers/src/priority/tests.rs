use super::*;
use crate::interlock::{Check, Interlock, SafeState};
use crate::model::Aspect;
use crate::test_support::*;

/// Drives `seq` from `from` to `to` s in 0.1 s ticks: the controller asks for `controller(t)`,
/// priority adjusts it, every state passes the interlock. `samples(t)` gives the inputs.
fn run(
    seq: &mut Sequencer,
    pr: &mut Prioritiser,
    il: &mut Interlock,
    (from, to): (f64, f64),
    controller: impl Fn(f64) -> Option<StageIndex>,
    samples: impl Fn(f64) -> Vec<DetectorSample>,
) -> Vec<(f64, PriorityEvent)> {
    run_gated(seq, pr, il, (from, to), (controller, &FREE), samples)
}

/// What the controller tells priority of its wait bound (the priority logic's side of it).
struct Gate {
    /// It asks for its stage on the wait bound.
    bound: bool,
    /// A priority detour fits within the wait bound (`None`: the controller has none).
    fits: Option<bool>,
    /// It brings buses' stages forward itself.
    forward: bool,
    /// The stage it asks for is a bus's brought forward.
    brought: bool,
}

/// A controller with no wait bound.
const FREE: Gate = Gate {
    bound: false,
    fits: None,
    forward: false,
    brought: false,
};

impl Controller for Gate {
    fn name(&self) -> &'static str {
        "gate"
    }
    fn decide(
        &mut self,
        _: Instant,
        _: &crate::control::Inputs<'_>,
        _: &Sequencer,
    ) -> Option<StageIndex> {
        None
    }
    fn poll_at(&self, _: Instant) -> Option<Instant> {
        None
    }
    fn on_wait_bound(&self) -> bool {
        self.bound
    }
    fn priority_fits(&self, _: Instant, _: &Sequencer, _: StageIndex, _: Instant) -> Option<bool> {
        self.fits
    }
    fn brings_buses_forward(&self) -> bool {
        self.forward
    }
    fn bringing_bus_forward(&self) -> bool {
        self.brought
    }
}

/// As `run`, with `gate` answering for the controller.
fn run_gated(
    seq: &mut Sequencer,
    pr: &mut Prioritiser,
    il: &mut Interlock,
    (from, to): (f64, f64),
    (controller, gate): (impl Fn(f64) -> Option<StageIndex>, &Gate),
    samples: impl Fn(f64) -> Vec<DetectorSample>,
) -> Vec<(f64, PriorityEvent)> {
    let mut events = Vec::new();
    let mut t = from;
    while t <= to + 1e-9 {
        let now = secs(t);
        let adjusted = pr.adjust(now, &samples(t), seq, controller(t), gate);
        if let Some(s) = adjusted {
            seq.request(s).unwrap();
        }
        let state = seq.poll(now).clone();
        assert!(
            matches!(il.check(now, &state), Check::Passed),
            "interlock tripped at {t:.1} s"
        );
        events.extend(pr.take_events().into_iter().map(|e| (t, e)));
        t = ((t + 0.1) * 10.0).round() / 10.0;
    }
    events
}

fn no_inputs(_: f64) -> Vec<DetectorSample> {
    vec![DetectorSample::default(); 4]
}

fn bus(approach: Approach, eta_s: f64) -> PriorityRequest {
    PriorityRequest {
        approach,
        vehicle: "bus 7".into(),
        route: Some("12".into()),
        eta_s,
        lateness_s: Some(90.0),
        occupancy: Some(40.0),
    }
}

/// When group `id` first shows green in `[from, to]`, driving as `run` does.
fn green_at(ix: &Intersection, seq: &Sequencer, id: &str) -> bool {
    seq.state().get(ix.group_by_id(id).unwrap()) == Aspect::Green
}

/// The arterial's stage (2+6) and the side street's (4+8).
fn main_and_side(ix: &Intersection) -> (StageIndex, StageIndex) {
    (
        ix.stage_by_id("2+6").unwrap(),
        ix.stage_by_id("4+8").unwrap(),
    )
}

struct Rig {
    ix: Arc<Intersection>,
    seq: Sequencer,
    il: Interlock,
    pr: Prioritiser,
}

use std::sync::Arc;

fn rig(text: &str) -> Rig {
    let ix = intersection(text);
    Rig {
        seq: Sequencer::new(ix.clone(), secs(0.0)),
        il: Interlock::new(ix.clone(), SafeState::AllRed, secs(0.0)),
        pr: Prioritiser::with_inputs(&ix, Vec::new(), vec![Vec::new(); ix.groups().len()]),
        ix,
    }
}

/// The controller runs 2+6 and wants 4+8 from 20 s, the cycle kept or not; run to 15 s, when
/// a bus from `approach` is due in `eta` s.
fn bus_due_before_the_side_street(
    keeps_cycle: bool,
    (approach, eta): (Approach, f64),
) -> (Rig, impl Fn(f64) -> Option<StageIndex> + Copy) {
    let mut r = rig(NEMA_4LEG);
    r.pr.set_keeps_cycle(keeps_cycle);
    let (main, side) = main_and_side(&r.ix);
    let ctl = move |t: f64| Some(if t < 20.0 { main } else { side });
    run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (0.0, 15.0),
        ctl,
        no_inputs,
    );
    r.pr.request(secs(15.0), &r.seq, bus(approach, eta))
        .unwrap();
    (r, ctl)
}

/// The controller runs 2+6 and wants 4+8 from 20 s; at 15 s a bus from the east is due in
/// 12 s.
fn bus_due_on_green() -> (Rig, impl Fn(f64) -> Option<StageIndex> + Copy) {
    bus_due_before_the_side_street(false, (Approach::EB, 12.0))
}

/// The controller runs 4+8 from 0 s to 60 s, then 2+6; at 8 s a bus from the east is due in
/// 20 s.
fn bus_due_on_red() -> (Rig, impl Fn(f64) -> Option<StageIndex> + Copy) {
    let mut r = rig(NEMA_4LEG);
    let (main, side) = main_and_side(&r.ix);
    let ctl = move |t: f64| Some(if t < 60.0 { side } else { main });
    run(&mut r.seq, &mut r.pr, &mut r.il, (0.0, 8.0), ctl, no_inputs);
    r.pr.request(secs(8.0), &r.seq, bus(Approach::EB, 20.0))
        .unwrap();
    (r, ctl)
}

#[test]
fn a_green_the_controller_ends_is_held_for_a_bus_until_it_checks_out() {
    let (mut r, ctl) = bus_due_on_green();
    let events = run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (15.1, 26.9),
        ctl,
        no_inputs,
    );
    assert!(green_at(&r.ix, &r.seq, "2"), "held for the bus at 26.9 s");
    assert!(
        events
            .iter()
            .any(|(t, e)| matches!(e, PriorityEvent::ExtendGreen { .. }) && *t == 20.0),
        "{events:?}"
    );
    // The bus passes at 27 s: the change goes ahead at once.
    r.pr.cancel("bus 7");
    run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (27.0, 27.1),
        ctl,
        no_inputs,
    );
    assert_eq!(
        r.seq.state().get(r.ix.group_by_id("2").unwrap()),
        Aspect::Amber
    );
}

/// Whether the green of 6 is held at 20.5 s for a bus due at 55 s (the controller asks for
/// 4+8 from 20 s), with the cycle kept or not.
fn held_for_a_late_bus(keeps_cycle: bool) -> (bool, bool) {
    let (mut r, ctl) = bus_due_before_the_side_street(keeps_cycle, (Approach::WB, 40.0));
    let events = run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (15.1, 20.5),
        ctl,
        no_inputs,
    );
    let extended = events
        .iter()
        .any(|(_, e)| matches!(e, PriorityEvent::ExtendGreen { .. }));
    (green_at(&r.ix, &r.seq, "6"), extended)
}

#[test]
fn a_hold_a_bus_cannot_reach_is_tried_only_under_a_kept_cycle() {
    // Dwelling at a stop, say: a hold from 20 s would be spent by 32 s. Where an early green
    // can come for it, the green ends when the controller asks.
    assert_eq!(held_for_a_late_bus(false), (false, false));
    // Under fixed time or coordination none would: the hold is tried.
    assert_eq!(held_for_a_late_bus(true), (true, true));
}

#[test]
fn a_hold_ends_after_the_longest_extension_whatever_the_bus_does() {
    let (mut r, ctl) = bus_due_before_the_side_street(false, (Approach::WB, 10.0));
    // Due at 25 s but never there: the green it is on is held from 20 s, 12 s at most.
    run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (15.1, 31.9),
        ctl,
        no_inputs,
    );
    assert!(green_at(&r.ix, &r.seq, "6"));
    run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (32.0, 32.1),
        ctl,
        no_inputs,
    );
    assert_eq!(
        r.seq.state().get(r.ix.group_by_id("6").unwrap()),
        Aspect::Amber
    );
}

#[test]
fn a_bus_due_soon_on_red_brings_its_green_forward_without_cutting_a_minimum_green() {
    let (mut r, ctl) = bus_due_on_red();
    let side_green = r.seq.go_start(r.ix.group_by_id("4").unwrap());
    let events = run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (8.1, 30.0),
        ctl,
        no_inputs,
    );
    assert!(
        events
            .iter()
            .any(|(_, e)| matches!(e, PriorityEvent::EarlyGreen { .. }))
    );
    // 4 and 8 keep their 7 s minimum green, then amber 4 s and all red 2 s.
    let start = side_green.expect("4 green by 8 s").as_secs_f64();
    assert!(
        start + 7.0 > 8.0,
        "the request came within 4's minimum green"
    );
    let eb = r.seq.go_start(r.ix.group_by_id("2").unwrap());
    let eb = eb.expect("2 green by 30 s").as_secs_f64();
    assert!(
        (start + 7.0 + 6.0 - 0.01..start + 7.0 + 6.0 + 0.3).contains(&eb),
        "2 green at {eb} s, 4 green from {start} s"
    );
}

#[test]
fn after_a_priority_the_waiting_approaches_recover_before_the_next() {
    let ix = intersection(NEMA_4LEG);
    let side = ix.group_by_id("4").unwrap();
    // Group 4 has a loop on channel 0, occupied all along.
    let mut loops = vec![Vec::new(); ix.groups().len()];
    loops[side.get()] = vec![0];
    let mut r = rig(NEMA_4LEG);
    r.pr = Prioritiser::with_inputs(&ix, Vec::new(), loops);
    let (main, side_stage) = (
        ix.stage_by_id("2+6").unwrap(),
        ix.stage_by_id("4+8").unwrap(),
    );
    let occupied = |_: f64| {
        let mut s = vec![DetectorSample::default(); 4];
        s[0].presence = true;
        s
    };
    // 4+8 runs; bus 7 takes an early green; the controller wants 4+8 back until 100 s.
    let ctl = |t: f64| Some(if t < 100.0 { side_stage } else { main });
    run(&mut r.seq, &mut r.pr, &mut r.il, (0.0, 10.0), ctl, occupied);
    r.pr.request(secs(10.0), &r.seq, bus(Approach::EB, 10.0))
        .unwrap();
    run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (10.1, 25.0),
        ctl,
        occupied,
    );
    r.pr.cancel("bus 7");
    // A second bus at once: 4 owes its green, so no early green until 4 has had it.
    let mut second = bus(Approach::WB, 10.0);
    second.vehicle = "bus 8".into();
    run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (25.1, 25.5),
        ctl,
        occupied,
    );
    assert!(!r.seq.state().get(side).is_go(), "4 is still red at 25.5 s");
    r.pr.request(secs(25.5), &r.seq, second).unwrap();
    let (mut early, mut side_green) = (None, None);
    for i in 256..=450 {
        let t = f64::from(i) / 10.0;
        let events = run(&mut r.seq, &mut r.pr, &mut r.il, (t, t), ctl, occupied);
        if events
            .iter()
            .any(|(_, e)| matches!(e, PriorityEvent::EarlyGreen { .. }))
        {
            early.get_or_insert(t);
        }
        if r.seq.state().get(side).is_go() {
            side_green.get_or_insert(t);
        }
    }
    let side_green = side_green.expect("4 served after the first bus");
    let early = early.expect("the second bus gets its early green after the recovery");
    assert!(
        early >= side_green,
        "early green at {early} s before 4's green at {side_green} s"
    );
}

#[test]
fn conditional_priority_refuses_a_bus_on_time_and_bad_requests_with_the_reason() {
    let text = format!("{NEMA_4LEG}\n[priority]\nmin_lateness_s = 120\nmin_occupancy = 10\n");
    let mut r = rig(&text);
    let mut checked = 0;
    for (req, wanted) in [
        (bus(Approach::EB, 20.0), "90 s late"),
        (
            PriorityRequest {
                occupancy: Some(5.0),
                lateness_s: Some(200.0),
                ..bus(Approach::EB, 20.0)
            },
            "5 people",
        ),
        (
            PriorityRequest {
                eta_s: f64::NAN,
                ..bus(Approach::EB, 20.0)
            },
            "eta_s NaN",
        ),
        (
            PriorityRequest {
                occupancy: Some(500.0),
                ..bus(Approach::EB, 20.0)
            },
            "occupancy 500",
        ),
    ] {
        let err = r.pr.request(secs(0.0), &r.seq, req).unwrap_err();
        assert!(err.contains(wanted), "{err}");
        checked += 1;
    }
    assert_eq!(checked, 4);
    assert_eq!(r.pr.active(), 0);
    let refused =
        r.pr.take_events()
            .into_iter()
            .filter(|e| matches!(e, PriorityEvent::Refused { .. }))
            .count();
    assert_eq!(refused, 4);
    let late = PriorityRequest {
        lateness_s: Some(130.0),
        ..bus(Approach::EB, 20.0)
    };
    r.pr.request(secs(0.0), &r.seq, late).unwrap();
    assert_eq!(r.pr.active(), 1);
}

#[test]
fn loop_pulses_check_buses_in_and_out() {
    let ix = intersection(NEMA_4LEG);
    let input = |channel, check_in| PriorityInput {
        approach: Approach::EB,
        channel,
        distance_m: 150.0,
        speed_mps: 15.0,
        check_in,
    };
    let mut pr = Prioritiser::with_inputs(
        &ix,
        vec![input(2, true), input(3, false)],
        vec![Vec::new(); ix.groups().len()],
    );
    let seq = Sequencer::new(ix.clone(), secs(0.0));
    let mut samples = vec![DetectorSample::default(); 4];
    // The first sample only sets where the counts start.
    samples[2].count = 40;
    pr.adjust(secs(0.0), &samples, &seq, None, &FREE);
    assert_eq!(pr.active(), 0);
    samples[2].count = 41;
    pr.adjust(secs(1.0), &samples, &seq, None, &FREE);
    assert_eq!(pr.active(), 1);
    samples[3].count = 1;
    pr.adjust(secs(9.0), &samples, &seq, None, &FREE);
    assert_eq!(pr.active(), 0);
    let codes: Vec<_> = pr
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            PriorityEvent::CheckIn { number, .. } => Some((112, number)),
            PriorityEvent::CheckOut { number, .. } => Some((115, number)),
            _ => None,
        })
        .collect();
    // The TSP number is the bus's group, from 1.
    let number = ix.group_by_id("2").unwrap().0 + 1;
    assert_eq!(codes, vec![(112, number), (115, number)]);
    // A check-in nobody checks out is forgotten a minute after it was due.
    samples[2].count = 42;
    pr.adjust(secs(10.0), &samples, &seq, None, &FREE);
    pr.adjust(secs(79.0), &samples, &seq, None, &FREE);
    assert_eq!(pr.active(), 1);
    pr.adjust(secs(80.1), &samples, &seq, None, &FREE);
    assert_eq!(pr.active(), 0);
}

#[test]
fn a_cycle_keeping_controller_gets_no_early_green_only_extensions() {
    let mut r = rig(NEMA_4LEG);
    r.pr.set_keeps_cycle(true);
    let (main, side) = main_and_side(&r.ix);
    let ctl = |t: f64| Some(if t < 60.0 { side } else { main });
    run(&mut r.seq, &mut r.pr, &mut r.il, (0.0, 8.0), ctl, no_inputs);
    r.pr.request(secs(8.0), &r.seq, bus(Approach::EB, 10.0))
        .unwrap();
    let events = run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (8.1, 50.0),
        ctl,
        no_inputs,
    );
    assert!(
        !events
            .iter()
            .any(|(_, e)| matches!(e, PriorityEvent::EarlyGreen { .. })),
        "{events:?}"
    );
    assert!(green_at(&r.ix, &r.seq, "4"), "the plan's stage runs on");
}

#[test]
fn no_priority_where_it_would_keep_a_group_past_the_wait_bound() {
    // Extension: the green the controller ends is not held.
    let (mut r, ctl) = bus_due_on_green();
    let full = Gate {
        fits: Some(false),
        ..FREE
    };
    let events = run_gated(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (15.1, 20.1),
        (ctl, &full),
        no_inputs,
    );
    assert!(!events.iter().any(|(_, e)| granted(e)), "{events:?}");
    assert_eq!(
        r.seq.state().get(r.ix.group_by_id("2").unwrap()),
        Aspect::Amber
    );

    // Early green: the bus's stage is not brought forward.
    let (mut r, ctl) = bus_due_on_red();
    let events = run_gated(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (8.1, 30.0),
        (ctl, &full),
        no_inputs,
    );
    assert!(!events.iter().any(|(_, e)| granted(e)), "{events:?}");
    assert!(
        green_at(&r.ix, &r.seq, "4"),
        "the side street keeps its green"
    );
}

/// Under a controller without a wait bound of its own, `[priority] max_wait_s` holds: the
/// side street runs from 0 s, the arterial's left turn (group 1) has a vehicle on its loop
/// from 0 s, and a bus from the east due in 20 s asks at 8 s for 2+6.
fn early_green_with_a_left_turn_waiting(max_wait_s: f64) -> Vec<(f64, PriorityEvent)> {
    let mut r = rig(&format!(
        "{NEMA_4LEG}\n[priority]\nmax_wait_s = {max_wait_s:.1}\n"
    ));
    let left = r.ix.group_by_id("1").unwrap();
    let mut loops = vec![Vec::new(); r.ix.groups().len()];
    loops[left.get()] = vec![0];
    r.pr = Prioritiser::with_inputs(&r.ix, Vec::new(), loops);
    let (main, side) = main_and_side(&r.ix);
    let ctl = move |t: f64| Some(if t < 60.0 { side } else { main });
    let queued = |t: f64| {
        let mut s = no_inputs(t);
        s[0].presence = true;
        s
    };
    run(&mut r.seq, &mut r.pr, &mut r.il, (0.0, 8.0), ctl, queued);
    r.pr.request(secs(8.0), &r.seq, bus(Approach::EB, 20.0))
        .unwrap();
    run(&mut r.seq, &mut r.pr, &mut r.il, (8.1, 30.0), ctl, queued)
}

#[test]
fn without_a_wait_bound_of_its_own_no_early_green_past_a_group_waiting_long() {
    // The left turn would start its green after 2+6 ends (the bus due at 28 s, 3 s to pass)
    // and the intergreen (6 s): 37 s after it began to wait.
    let events = early_green_with_a_left_turn_waiting(40.0);
    assert!(events.iter().any(|(_, e)| granted(e)), "{events:?}");
    // Within 30 s it could not: the bus waits its turn.
    let events = early_green_with_a_left_turn_waiting(30.0);
    assert!(!events.iter().any(|(_, e)| granted(e)), "{events:?}");
}

#[test]
fn a_stage_asked_for_on_the_wait_bound_ends_a_hold_at_once() {
    let (mut r, ctl) = bus_due_on_green();
    // Held for the bus from 20 s ...
    run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (15.1, 23.0),
        ctl,
        no_inputs,
    );
    assert!(green_at(&r.ix, &r.seq, "2"), "held for the bus at 23 s");
    // ... until the controller asks for the side street on its wait bound.
    let bound = Gate {
        bound: true,
        ..FREE
    };
    run_gated(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (23.1, 23.2),
        (ctl, &bound),
        no_inputs,
    );
    assert_eq!(
        r.seq.state().get(r.ix.group_by_id("2").unwrap()),
        Aspect::Amber
    );
    // And the bus gets no second hold once the bound has passed.
    let events = run(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (23.3, 40.0),
        ctl,
        no_inputs,
    );
    assert!(
        !events.iter().any(|(_, e)| matches!(
            e,
            PriorityEvent::EarlyGreen { .. } | PriorityEvent::ExtendGreen { .. }
        )),
        "{events:?}"
    );
}

/// Whether `e` grants a priority (an early green or a green extension).
fn granted(e: &PriorityEvent) -> bool {
    matches!(
        e,
        PriorityEvent::EarlyGreen { .. } | PriorityEvent::ExtendGreen { .. }
    )
}

#[test]
fn a_controller_that_brings_buses_forward_itself_gets_extensions_only() {
    let forward = Gate {
        forward: true,
        ..FREE
    };
    // A bus due soon on red: no early green from priority.
    let (mut r, ctl) = bus_due_on_red();
    let events = run_gated(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (8.1, 30.0),
        (ctl, &forward),
        no_inputs,
    );
    assert!(!events.iter().any(|(_, e)| granted(e)), "{events:?}");
    assert!(green_at(&r.ix, &r.seq, "4"));
    // A bus due on green: its green is still held.
    let (mut r, ctl) = bus_due_on_green();
    let events = run_gated(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (15.1, 26.9),
        (ctl, &forward),
        no_inputs,
    );
    assert!(events.iter().any(|(_, e)| granted(e)), "{events:?}");
    assert!(green_at(&r.ix, &r.seq, "2"));
    // Its own early green for the bus is logged as one (113), once.
    let (mut r, _) = bus_due_on_red();
    let main = main_and_side(&r.ix).0;
    let brought = Gate {
        brought: true,
        ..forward
    };
    let events = run_gated(
        &mut r.seq,
        &mut r.pr,
        &mut r.il,
        (8.1, 30.0),
        (|_: f64| Some(main), &brought),
        no_inputs,
    );
    let early = events
        .iter()
        .filter(|(_, e)| matches!(e, PriorityEvent::EarlyGreen { .. }))
        .count();
    assert_eq!(early, 1, "{events:?}");
    assert!(green_at(&r.ix, &r.seq, "2"));
}
