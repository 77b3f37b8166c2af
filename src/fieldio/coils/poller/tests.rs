//! The reading made of a poll, without a network: hardware counters, presence edges, the card's
//! fault relay, the status while the lamps are not (yet) the loop's.

use std::time::{Duration, Instant};

use super::*;
use crate::fieldio::coils::autowire::Wiring;
use crate::fieldio::coils::profile::{Profile, RegisterTable};
use crate::fieldio::coils::wiring::{CoilCabinet, WiringSpec};
use crate::fieldio::link::Target;
use crate::fieldio::poller::{Command, request};
use crate::fieldio::reference::status;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// J1 on modules with counters, channel 0's card fault relay on m4.DI7 (a free input: the 30
/// channels' presence inputs are m1.DI1 to m4.DI6).
fn coils() -> Coils {
    let corridor =
        greenwave_controllers::load::corridor(&root().join("config/corridors/arterial-4.toml"))
            .unwrap();
    let site = greenwave_controllers::site::Site::all(&corridor)
        .into_iter()
        .find(|s| s.id == "J1")
        .unwrap();
    let path = root().join("config/profiles/generic-8ro-8di-counters.toml");
    let profile = Profile::load(&path).unwrap();
    let mut w = Wiring::generate(&site, &path, &profile, "127.0.0.1:502", false).unwrap();
    w.detectors.get_mut("0").unwrap().fault = Some("m4.DI7".into());
    let spec = WiringSpec {
        modules: &w.modules,
        lamps: &w.lamps,
        feedback: &w.feedback,
        detectors: &w.detectors,
    };
    let cabinet = CoilCabinet::resolve(&path, &site, &spec).unwrap();
    let settings = CoilSettings {
        poll_period: Duration::from_millis(100),
        keepalive_period: Duration::from_secs(1),
        link: LinkSettings {
            target: Target::Tcp("127.0.0.1:502".into()),
            unit: 1,
            timeout: Duration::from_millis(200),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
        },
    };
    let links = links(&cabinet, &settings);
    Coils::new(cabinet, &settings, links)
}

#[test]
fn counts_come_from_the_module_counter_presence_and_faults_from_the_inputs() {
    let mut c = coils();
    let modules = c.modules.len();
    let t0 = Instant::now();
    // Channel 0 is m1.DI1 (input 0), its counter at input registers 0-1, low word first.
    let mut bits = vec![Vec::new(); modules];
    let mut counts = vec![Vec::new(); modules];
    bits[0].push((0, true));
    bits[3].push((6, true));
    counts[0].push((RegisterTable::Input, 0, 1234));
    counts[0].push((RegisterTable::Input, 1, 7));
    let r = c.reading(&bits, &counts, t0);
    assert_eq!(
        (
            r.detectors[0].count,
            r.detectors[0].presence,
            r.detectors[0].fault
        ),
        (1234, 1, 1)
    );
    assert_eq!((r.channels, r.groups), (30, 8));
    // Nothing written yet: the lamps are not the loop's.
    assert_eq!(r.status, status::LOCAL | status::FLASHING);
    assert!(r.shown.iter().all(|&a| a == Aspect::Dark.code()));
    bits[0][0].1 = false;
    let r = c.reading(&bits, &counts, t0 + Duration::from_millis(100));
    assert_eq!(
        (r.detectors[0].presence, r.detectors[0].on_time_cs),
        (0, 10)
    );
}

#[test]
fn the_status_says_external_once_the_commanded_all_red_is_shown() {
    let mut c = coils();
    let n = c.cabinet.lamps.len();
    c.lamps = Lamps::External {
        aspects: vec![Aspect::Red; n],
        confirmed: false,
        since: Instant::now(),
    };
    let none = vec![Vec::new(); c.modules.len()];
    let no_counts = vec![Vec::new(); c.modules.len()];
    // Not written yet: shown dark, still local.
    let r = c.reading(&none, &no_counts, Instant::now());
    assert_eq!(r.status, status::LOCAL | status::FLASHING);
    let spans = c.spans.clone();
    c.written = Some(lamps::picture(
        &c.cabinet,
        &spans,
        &vec![Aspect::Red; n],
        true,
    ));
    let r = c.reading(&none, &no_counts, Instant::now());
    assert_eq!(r.status, 0);
    assert!(r.shown.iter().all(|&a| a == Aspect::Red.code()));
}

#[test]
fn reads_are_joined_across_gaps_only_where_the_module_has_the_addresses() {
    let mut wanted = vec![9, 0, 2, 1, 20, 21];
    // Addresses 0 to 15 exist, 16 to 19 do not.
    let runs = inputs::runs(&mut wanted, |a| !(16..=19).contains(&a), 2000);
    assert_eq!(runs, vec![(0, 10), (20, 2)]);
    let mut wanted = vec![0, 5];
    assert_eq!(
        inputs::runs(&mut wanted, |_| true, 4),
        vec![(0, 1), (5, 1)],
        "at most 4 a read"
    );
}

#[tokio::test]
async fn lamps_that_never_show_the_take_over_all_red_flash_until_restart() {
    let mut c = coils();
    let n = c.cabinet.lamps.len();
    let t0 = Instant::now();
    c.lamps = Lamps::External {
        aspects: vec![Aspect::Red; n],
        confirmed: false,
        since: t0,
    };
    let none = vec![Vec::new(); c.modules.len()];
    let no_counts = vec![Vec::new(); c.modules.len()];
    // Nothing shows the red (not written: shown dark); within the limit it waits.
    c.reading(&none, &no_counts, t0 + Duration::from_secs(2));
    assert!(matches!(c.lamps, Lamps::External { .. }));
    let r = c.reading(&none, &no_counts, t0 + Duration::from_secs(4));
    assert_eq!(c.lamps, Lamps::Faulty);
    assert_eq!(r.status, status::LOCAL | status::FLASHING);
    assert!(c.flashing());
    // The loop asks for all red again: refused, the lamps keep flashing.
    let command = Command {
        request: request::EXTERNAL,
        aspects: vec![Aspect::Red.code(); n],
        answers: Some(Instant::now()),
    };
    c.take(&command, &std::sync::Mutex::new(FieldStats::default()))
        .await;
    assert_eq!(c.lamps, Lamps::Faulty);
}
