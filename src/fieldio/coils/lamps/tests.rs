use super::*;
use crate::fieldio::coils::profile::{Profile, Terminal};
use crate::fieldio::coils::wiring::{Module, Output};
use greenwave_controllers::model::GroupKind;
use std::collections::BTreeMap;

/// Two vehicle groups that conflict, their lamps on two modules: group 0 on module 0 coils
/// 0..2, group 1 on module 1 coils 4..6.
fn cabinet() -> CoilCabinet {
    let module = |name: &str| Module {
        name: name.into(),
        profile_id: "p".into(),
        profile: Profile {
            name: "p".into(),
            terminals: BTreeMap::<String, Terminal>::new(),
            watchdog: None,
        },
        address: "127.0.0.1:502".into(),
        unit: 1,
        watchdog_ms: Some(1000),
    };
    let lamps = |m: usize, first: u16| {
        [0, 1, 2].map(|i| {
            Some(Output {
                module: m,
                coil: first + i,
                name: format!("m{m}.DO{}", first + i),
            })
        })
    };
    CoilCabinet {
        modules: vec![module("a"), module("b")],
        kinds: vec![GroupKind::Vehicle; 2],
        lamps: vec![lamps(0, 0), lamps(1, 4)],
        feedback: vec![None, None],
        detectors: vec![],
    }
}

fn green(p: &Picture, c: &CoilCabinet, g: usize) -> bool {
    let o = c.lamps[g][Lamp::Green as usize].as_ref().unwrap();
    p.images[o.module][usize::from(o.coil - spans(c)[o.module].0)]
}

#[test]
fn aspects_light_their_lamps() {
    use Aspect::*;
    let v = GroupKind::Vehicle;
    assert_eq!(lit(v, RedAmber, true), [true, true, false]);
    assert_eq!(lit(v, FlashingAmber, true), [false, true, false]);
    assert_eq!(lit(v, FlashingAmber, false), [false, false, false]);
    assert_eq!(
        lit(GroupKind::Pedestrian, FlashingAmber, true),
        [false, false, false]
    );
    assert_eq!(
        lit(GroupKind::Pedestrian, FlashingGreen, true),
        [false, false, true]
    );
}

#[test]
fn sensed_lamps_read_back_as_aspects() {
    use Aspect::*;
    let v = GroupKind::Vehicle;
    assert_eq!(
        shown(v, FlashingAmber, [false, false, false]),
        Some(FlashingAmber)
    );
    assert_eq!(shown(v, Green, [true, false, false]), Some(Red));
    // A dead red.
    assert_eq!(shown(v, Red, [false, false, false]), Some(Dark));
    assert_eq!(shown(v, Red, [true, false, true]), None);
}

#[test]
fn a_green_goes_out_before_a_conflicting_green_comes_on() {
    let c = cabinet();
    let s = spans(&c);
    assert_eq!(s, vec![(0, 3), (4, 3)]);
    let before = picture(&c, &s, &[Aspect::Green, Aspect::Red], true);
    let after = picture(&c, &s, &[Aspect::Red, Aspect::Green], true);
    let w = writes(&c, &s, Some(&before), &after);
    // Module 0 (green out) first, then module 1 (green on, red off) in the second step.
    assert_eq!(w.iter().map(|w| w.module).collect::<Vec<_>>(), vec![0, 1]);
    let mut now = before.clone();
    for write in &w {
        now.images[write.module] = write.values.clone();
        assert!(
            !(green(&now, &c, 0) && green(&now, &c, 1)),
            "both greens lit after {write:?}"
        );
        // Never a dark head: red stays until the green comes.
        assert!(
            now.images[1][0] || now.images[1][2],
            "group 1 dark after {write:?}"
        );
    }
    assert_eq!(now, after);
}

#[test]
fn one_request_per_module_when_no_green_comes_on() {
    let c = cabinet();
    let s = spans(&c);
    let before = picture(&c, &s, &[Aspect::Green, Aspect::Red], true);
    let after = picture(&c, &s, &[Aspect::Amber, Aspect::Red], true);
    let w = writes(&c, &s, Some(&before), &after);
    assert_eq!(
        w,
        vec![CoilWrite {
            module: 0,
            address: 0,
            values: vec![false, true, false]
        }]
    );
    // Unknown before: every module written, greens in a second step.
    let w = writes(
        &c,
        &s,
        None,
        &picture(&c, &s, &[Aspect::Green, Aspect::Red], true),
    );
    assert_eq!(
        w.iter().map(|w| w.module).collect::<Vec<_>>(),
        vec![0, 1, 0]
    );
    // Group 0 shows red until its green comes on.
    assert_eq!(w[0].values, vec![true, false, false]);
    assert_eq!(w[2].values, vec![false, false, true]);
}

/// Four vehicle groups, two a module: groups 0 and 1 on module 0, 2 and 3 on module 1.
fn four_groups() -> CoilCabinet {
    let mut c = cabinet();
    let lamps = |m: usize, first: u16| {
        [0, 1, 2].map(|i| {
            Some(Output {
                module: m,
                coil: first + i,
                name: format!("m{m}.DO{}", first + i),
            })
        })
    };
    c.kinds = vec![GroupKind::Vehicle; 4];
    c.lamps = vec![lamps(0, 0), lamps(0, 3), lamps(1, 0), lamps(1, 3)];
    c.feedback = vec![None; 4];
    c
}

fn any_aspect() -> impl proptest::strategy::Strategy<Value = Aspect> {
    proptest::sample::select(Aspect::ALL.to_vec())
}

proptest::proptest! {
    /// Whatever the change, no intermediate state lights a green that is lit neither before nor
    /// after, a green comes on only once every green that goes out is out, a head lit before and
    /// after is never dark in between, and the end is the new picture.
    #[test]
    fn greens_go_out_before_greens_come_on(
        before in proptest::collection::vec(any_aspect(), 4),
        after in proptest::collection::vec(any_aspect(), 4),
        flash_before: bool,
        flash_after: bool,
        known: bool,
    ) {
        let c = four_groups();
        let s = spans(&c);
        let from = picture(&c, &s, &before, flash_before);
        let to = picture(&c, &s, &after, flash_after);
        let w = writes(&c, &s, known.then_some(&from), &to);
        let mut now = if known { from.clone() } else { picture(&c, &s, &[Aspect::Dark; 4], true) };
        let lit = |p: &Picture, g: usize| green(p, &c, g);
        let head = |p: &Picture, g: usize| {
            c.lamps[g].iter().flatten().any(|o| p.images[o.module][usize::from(o.coil - s[o.module].0)])
        };
        for write in &w {
            now.images[write.module] = write.values.clone();
            let coming = (0..4).any(|g| lit(&now, g) && !(known && lit(&from, g)));
            for g in 0..4 {
                proptest::prop_assert!(!lit(&now, g) || (known && lit(&from, g)) || lit(&to, g));
                if coming {
                    proptest::prop_assert!(!lit(&now, g) || lit(&to, g), "a green on before {g} went out");
                }
                if known && head(&from, g) && head(&to, g) {
                    proptest::prop_assert!(head(&now, g), "head {g} dark in between");
                }
            }
        }
        proptest::prop_assert_eq!(now, to);
        let modules: std::collections::BTreeSet<usize> = w.iter().map(|w| w.module).collect();
        proptest::prop_assert!(w.len() <= 2 * modules.len(), "at most two requests a module");
    }
}
