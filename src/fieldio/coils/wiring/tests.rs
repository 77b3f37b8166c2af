use super::*;
use crate::fieldio::coils::autowire::Wiring;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The eu-crossing's J1 (two vehicle groups, four pedestrian crossings) and a generated wiring.
fn site_and_wiring() -> (Site, Wiring) {
    let corridor =
        greenwave_controllers::load::corridor(&root().join("config/corridors/eu-crossing.toml"))
            .unwrap();
    let site = Site::all(&corridor).into_iter().next().unwrap();
    let path = root().join("config/profiles/generic-16do-16di.toml");
    let profile = Profile::load(&path).unwrap();
    let wiring = Wiring::generate(&site, &path, &profile, "127.0.0.1:502", true).unwrap();
    (site, wiring)
}

fn resolve(site: &Site, w: &Wiring) -> Result<Arc<CoilCabinet>, Vec<String>> {
    let spec = WiringSpec {
        modules: &w.modules,
        lamps: &w.lamps,
        feedback: &w.feedback,
        detectors: &w.detectors,
    };
    CoilCabinet::resolve(&root().join("config/cabinets/x.toml"), site, &spec)
}

#[test]
fn a_generated_wiring_resolves_with_two_lamps_a_pedestrian_head() {
    let (site, wiring) = site_and_wiring();
    let cabinet = resolve(&site, &wiring).unwrap();
    let p1 = site.intersection.group_by_id("P1").unwrap().0 as usize;
    assert!(cabinet.lamps[p1][Lamp::Amber as usize].is_none());
    assert!(cabinet.lamps[p1][Lamp::Green as usize].is_some());
    assert!(
        cabinet.split_groups(&site).is_empty(),
        "every group on one module"
    );
    assert!(cabinet.detectors.iter().all(Option::is_some));
}

#[test]
fn every_wiring_mistake_is_named_by_key_and_terminal() {
    let (site, mut w) = site_and_wiring();
    w.lamps.get_mut("P1").unwrap().green = None;
    w.lamps.insert("X".into(), LampsSpec::default());
    w.lamps.get_mut("K2").unwrap().red = Some("m9.DO0".into());
    w.feedback.get_mut("K1").unwrap().amber = None;
    let presence = w.detectors["0"].presence.clone();
    w.detectors.insert(
        "99".into(),
        DetectorSpec {
            presence: "m1.DI15".into(),
            fault: None,
        },
    );
    w.detectors.get_mut("1").unwrap().presence = presence;
    w.modules[1].watchdog_ms = Some(0);
    let problems = resolve(&site, &w).unwrap_err();
    let expect = [
        "modules[1].watchdog_ms: 0: 0 switches the watchdog off, which is refused (100 to 60000)",
        "lamps.X: the intersection has no signal group `X`",
        "lamps.K2.red: `m9.DO0`: no module `m9` (modules: m1)",
        "feedback.K1.amber: missing; lamp sensing covers every lamp of the group or none",
        "lamps.P1.green: missing; a pedestrian group needs red, green",
        "detectors.1.presence: terminal m1.DI0 is used twice (also by detectors.0.presence)",
        "detectors.99: not a detector channel of this site",
    ];
    for e in expect {
        assert!(
            problems.iter().any(|p| p.starts_with(e)),
            "`{e}` not in {problems:#?}"
        );
    }
}
