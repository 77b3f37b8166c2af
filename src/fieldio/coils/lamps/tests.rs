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
            flash: None,
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

/// [`cabinet`] with module 0 flashing its outputs itself (flash-enable coils at +100).
fn module_flash() -> CoilCabinet {
    let mut c = cabinet();
    c.modules[0].profile.flash = Some(crate::fieldio::coils::profile::Flash {
        enable_offset: 100,
        flashes_per_minute: 60,
        rate: None,
    });
    c
}

#[test]
fn a_module_with_a_flash_function_flashes_the_lamp_itself() {
    let c = module_flash();
    let s = spans(&c);
    let aspects = [Aspect::FlashingGreen, Aspect::FlashingAmber];
    let on = picture(&c, &s, &aspects, true);
    let off = picture(&c, &s, &aspects, false);
    // Module 0: green lit steadily, its flash enable set; the same in both halves.
    assert_eq!(on.images[0], vec![false, false, true]);
    assert_eq!(on.enables[0], vec![false, false, true]);
    assert_eq!(on.images[0], off.images[0]);
    assert_eq!(on.enables[0], off.enables[0]);
    // Module 1 has no flash function: the daemon toggles its amber.
    assert!(on.enables[1].is_empty());
    assert_eq!((on.images[1][1], off.images[1][1]), (true, false));
    // A flash half changes nothing on module 0.
    let w = writes(&c, &s, Some(&on), &off);
    assert!(w.iter().all(|w| w.module == 1), "{w:?}");
}

#[test]
fn flash_enables_come_on_before_the_lamp_and_go_off_after_it() {
    let c = module_flash();
    let s = spans(&c);
    let p = |a: Aspect| picture(&c, &s, &[a, Aspect::Red], true);
    let write = |address: u16, values: [bool; 3]| CoilWrite {
        module: 0,
        address,
        values: values.to_vec(),
    };
    // Green to flashing green: only the enable, the lamp stays lit.
    let w = writes(&c, &s, Some(&p(Aspect::Green)), &p(Aspect::FlashingGreen));
    assert_eq!(w, vec![write(100, [false, false, true])]);
    // Flashing green to amber: the lamps first, then the enable off.
    let w = writes(&c, &s, Some(&p(Aspect::FlashingGreen)), &p(Aspect::Amber));
    assert_eq!(
        w,
        vec![write(0, [false, true, false]), write(100, [false; 3])]
    );
    // Red to flashing amber: the enable first, so the amber is never lit steadily.
    let w = writes(&c, &s, Some(&p(Aspect::Red)), &p(Aspect::FlashingAmber));
    assert_eq!(
        w,
        vec![
            write(100, [false, true, false]),
            write(0, [false, true, false])
        ]
    );
    // Unknown before: the enables are written first, whatever they are.
    let w = writes(&c, &s, None, &p(Aspect::Red));
    assert_eq!(w[0], write(100, [false; 3]));
}
