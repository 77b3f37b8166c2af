//! `dist/systemd/greenwave@.service` passes `systemd-analyze verify` (Debian's systemd;
//! `.ci/run` installs it) with no warning, as an instance for a site, with `ExecStart` pointing
//! at the binary under test (verify checks that the program exists).

use std::process::Command;

use std::path::Path;

#[test]
fn the_unit_passes_systemd_analyze_verify() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("dist/systemd/greenwave@.service"))
        .expect("the unit reads");
    assert!(unit.contains("Type=notify") && unit.contains("WatchdogSec="));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("systemd-unit");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder");
    let instance = dir.join("greenwave@J1.service");
    let local = unit.replace("/usr/bin/greenwave", env!("CARGO_BIN_EXE_greenwave"));
    std::fs::write(&instance, local).expect("writes");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&instance)
        .output()
        .expect("systemd-analyze is needed for this test (apt-get install systemd)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    // Verify exits 0 on an unknown key; any line it prints about the unit is a defect.
    let about_unit: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("greenwave@J1.service"))
        .collect();
    assert!(about_unit.is_empty(), "{said}");
}
