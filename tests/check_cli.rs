//! `greenwave check` on real files: everything in `config/` is valid, and every broken file in
//! `tests/fixtures/` is rejected with the message its first line (`# expect: ...`) states.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn greenwave_check(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_greenwave"))
        .arg("check")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("greenwave runs")
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_file_in_config_is_valid() {
    let out = greenwave_check(&[Path::new("config")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
    for kind in [
        "corridor `arterial-4`: 4 intersections",
        "timing plan",
        "schedule `arterial-weekday` v1: 2 entries",
        "region post_soviet",
    ] {
        assert!(stdout.contains(kind), "missing `{kind}` in:\n{stdout}");
    }
}

#[test]
fn every_broken_fixture_is_rejected_with_its_message() {
    let files = fixtures();
    assert!(
        files.len() >= 15,
        "expected the broken-file fixtures, found {}",
        files.len()
    );
    for file in files {
        let text = std::fs::read_to_string(&file).expect("fixture reads");
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} lacks an `# expect:` first line", file.display()));
        let relative = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .expect("inside the repo");
        let out = greenwave_check(&[relative]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{}:\n{stdout}", file.display());
        assert!(stdout.contains("FAIL"), "{stdout}");
        assert!(
            stdout.contains(expected),
            "{}: expected `{expected}` in:\n{stdout}",
            file.display()
        );
    }
}

#[test]
fn one_bad_file_among_good_ones_fails_the_run_but_every_file_gets_a_verdict() {
    let out = greenwave_check(&[
        Path::new("config/intersections/eu-two-stage.toml"),
        Path::new("tests/fixtures/missing-intergreen.toml"),
        Path::new("config/plans/eu-two-stage-base.toml"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout.matches("ok    ").count(), 2, "{stdout}");
    assert!(stdout.contains("3 checked: 2 valid, 1 invalid"), "{stdout}");
}

#[test]
fn a_missing_file_is_named() {
    let out = greenwave_check(&[Path::new("config/does-not-exist.toml")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout.contains("FAIL  config/does-not-exist.toml"),
        "{stdout}"
    );
    assert!(stdout.contains("cannot read"), "{stdout}");
}

#[test]
fn a_valid_but_weak_mqtt_setup_is_warned_about() {
    let out = greenwave_check(&[Path::new(
        "tests/fixtures/warnings/cabinet-unsigned-over-plain-mqtt.toml",
    )]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("warning: mqtt: a password sent over mqtt:// (no TLS)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning: mqtt.trusted_keys: none, so this site takes UNSIGNED"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("not-a-secret"),
        "the password is never shown: {stdout}"
    );
}

#[test]
fn every_mistake_in_a_cabinet_config_is_reported_at_once() {
    let out = greenwave_check(&[Path::new("tests/fixtures/cabinet-many-mistakes.toml")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    for key in [
        "controller.max_wait_s: maximum wait 5 s",
        "controller.wait_weight: wait weight 200 is out of range (0 to 100)",
        "control.tick_hz: 0 is out of range",
        "cabinet.address: `127.0.0.1` is not host:port",
        "cabinet.unit_id: 300 is out of range",
        "log.level: `loud`",
        "log.time_zone: `Mars/Olympus` is not an IANA time zone",
    ] {
        assert!(stdout.contains(key), "no `{key}` in:\n{stdout}");
    }
}

#[test]
fn the_wiring_table_says_who_flashes_each_modules_lamps() {
    // J1-coils with m1 (groups 1 to 5) on the flashing variant of its profile, its rate set by
    // a register.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect("a shipped file reads");
    let dir = std::env::temp_dir().join(format!("greenwave-check-flash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let profile = dir.join("flash-with-rate.toml");
    let flashing = read("config/profiles/generic-16do-16di-flash.toml");
    assert!(flashing.trim_end().ends_with("flashes_per_minute = 60"));
    std::fs::write(
        &profile,
        flashing + "rate_register = 4200\nrate_value = 60\n",
    )
    .expect("written");
    let text = read("config/cabinets/J1-coils.toml")
        .replacen(
            "../profiles/generic-16do-16di.toml",
            &profile.display().to_string(),
            1,
        )
        .replace("\"../", &format!("\"{}/", root.join("config").display()));
    let file = dir.join("J1-coils-flash.toml");
    std::fs::write(&file, text).expect("written");
    let out = greenwave_check(&[&file]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for line in [
        "module m1       generic 16 DO / 16 DI with flashing outputs, Modbus TCP at \
         127.0.0.1:5020 unit 1, watchdog 2500 ms (profile flash-with-rate)",
        "flash  m1       by the module, 60 a minute: flash-enable coils 100..114 for lamp \
         coils 0..14 (coil + 100), rate set by holding 4200 = 60 on connecting",
        "flash  m2       by the daemon, 55 a minute, writing lamp coils 0..8 (the profile has \
         no [flash])",
    ] {
        assert!(stdout.contains(line), "no `{line}` in:\n{stdout}");
    }
    // m3 and m4 carry no lamps: nothing to flash.
    assert_eq!(stdout.matches("flash  ").count(), 2, "{stdout}");
}

#[test]
fn a_wrong_environment_override_is_named_by_its_variable() {
    for (var, value, said) in [
        (
            "GREENWAVE__CABINET__UNIT_ID",
            "300",
            "cabinet.unit_id: 300 is out of range",
        ),
        ("GREENWAVE__CONTROL__TICKHZ", "20", "unknown field `tickhz`"),
        ("GREENWAVE__SITEID", "J9", "unknown field `siteid`"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_greenwave"))
            .args(["check", "config/cabinets/J1.toml"])
            .env(var, value)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("greenwave runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{var}: {stdout}");
        assert!(
            stdout.contains(said) && stdout.contains(&format!("(set by {var})")),
            "{var}: {stdout}"
        );
    }
}
