//! `greenwave check` warns where a valid study is likely to mislead, and still exits 0: lanes
//! without advance loops under a detector-driven controller, protected-only lefts from a shared
//! lane, and turning ratios rescaled because they did not sum to 1 over the turns an approach
//! has. Each variant is the shipped isolated intersection (or the shipped OpenStreetMap
//! district) with one thing changed, written to a folder of its own.

#![cfg(feature = "sim")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = common::fresh_dir(&format!("check-warnings-{name}"));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Runs `greenwave check FILE`; the exit status must be 0. Returns the warnings.
fn warnings(file: &Path) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_greenwave"))
        .arg("check")
        .arg(file)
        .output()
        .expect("greenwave runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
    stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("warning: "))
        .map(str::to_owned)
        .collect()
}

/// The isolated corridor with `edit` applied, and a scenario on it running `controller`.
fn isolated(name: &str, controller: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = scratch(name);
    let config = root().join("config");
    let corridor = std::fs::read_to_string(config.join("corridors/isolated.toml"))
        .unwrap()
        .replace(
            "\"../intersections/",
            &format!("\"{}/intersections/", config.display()),
        );
    std::fs::write(dir.join("corridor.toml"), edit(corridor)).unwrap();
    let scenario = std::fs::read_to_string(config.join("scenarios/isolated-medium.toml"))
        .unwrap()
        .replace("\"../corridors/isolated.toml\"", "\"corridor.toml\"")
        .replace("\"../plans/", &format!("\"{}/plans/", config.display()))
        .replace("kind = \"fixed\"", &format!("kind = \"{controller}\""));
    let path = dir.join("scenario.toml");
    std::fs::write(&path, scenario).unwrap();
    path
}

#[test]
fn the_shipped_isolated_intersection_draws_no_warning() {
    for controller in ["fixed", "actuated", "adaptive"] {
        let scenario = isolated(&format!("clean-{controller}"), controller, |c| c);
        assert_eq!(warnings(&scenario), Vec::<String>::new(), "{controller}");
    }
}

#[test]
fn a_lane_without_an_advance_loop_is_warned_about_under_actuated_and_adaptive_control() {
    let without = |c: String| {
        c.lines()
            .filter(|l| !l.contains("\"J1-nb-1-adv\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for controller in ["actuated", "adaptive"] {
        let scenario = isolated(&format!("advance-{controller}"), controller, without);
        assert_eq!(
            warnings(&scenario),
            vec![format!(
                "`S->J1`: lane 1 of 2 without an advance loop; the {controller} controller \
                 sees arrivals there only at the stop line, if at all"
            )]
        );
    }
    // Fixed time reads no loop.
    let scenario = isolated("advance-fixed", "fixed", without);
    assert_eq!(warnings(&scenario), Vec::<String>::new());
}

#[test]
fn a_protected_only_left_from_a_shared_lane_is_warned_about() {
    // The eastbound approach's left-turn lane also takes through traffic; NEMA phase 5 is its
    // protected left, phase 2 its through.
    let scenario = isolated("shared-left", "fixed", |c| {
        c.replacen(
            "lanes = [\"L\", \"T\", \"TR\"]",
            "lanes = [\"LT\", \"T\", \"TR\"]",
            1,
        )
    });
    let found = warnings(&scenario);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(
            "`W->J1`: lane 0 (LT) is shared, but its left turns are protected-only (group 5)"
        ),
        "{found:?}"
    );
    assert!(found[0].ends_with("while 2 is green"), "{found:?}");
}

#[test]
fn turning_ratios_rescaled_at_three_leg_junctions_are_warned_about_from_what_to_what() {
    // The shipped district with its per-approach ratios taken out: the default 10 % left,
    // 80 % through, 10 % right meets junctions with three legs.
    let dir = scratch("rescaled");
    let district = root().join("config/osm-helsinki");
    let text = std::fs::read_to_string(district.join("scenario.toml")).unwrap();
    let mut spec: toml::Table = text.parse().unwrap();
    spec.remove("turning_by_link");
    spec.insert(
        "corridor".into(),
        district.join("corridor.toml").display().to_string().into(),
    );
    let plans = spec["controller"]["plans"].as_table().unwrap().clone();
    let absolute: toml::Table = plans
        .into_iter()
        .map(|(site, p)| {
            let p = district.join(p.as_str().unwrap()).display().to_string();
            (site, p.into())
        })
        .collect();
    spec["controller"]
        .as_table_mut()
        .unwrap()
        .insert("plans".into(), absolute.into());
    let path = dir.join("scenario.toml");
    std::fs::write(&path, toml::to_string(&spec).unwrap()).unwrap();
    let found = warnings(&path);
    let rescaled: Vec<&String> = found.iter().filter(|w| w.contains("rescaled")).collect();
    assert!(!rescaled.is_empty(), "{found:?}");
    for w in &rescaled {
        assert!(
            w.contains(
                "turning ratios (turning) rescaled from left 0.1, through 0.8, right 0.1 to "
            ),
            "{w}"
        );
    }
    // A stem without a through movement: left and right, each half of the 0.2 they had.
    assert!(
        rescaled.iter().any(|w| w.ends_with(
            "to left 0.5, right 0.5: no through turn from this approach, so the others summed to 0.2"
        )),
        "{rescaled:?}"
    );
    // A one-way street's approach with through only.
    assert!(
        rescaled.iter().any(|w| w.ends_with(
            "to through 1: no left or right turn from this approach, so the others summed to 0.8"
        )),
        "{rescaled:?}"
    );
}

#[test]
fn an_intergreen_shorter_than_the_geometry_asks_is_warned_about_and_the_table_lists_all() {
    // The shipped five-leg junction with the diagonal's 7 s intergreen from K1 given as 5 s (a
    // value given is kept; the others still come from the geometry).
    let dir = scratch("short-intergreen");
    let config = root().join("config");
    let shipped = std::fs::read_to_string(config.join("intersections/five-leg.toml")).unwrap();
    let ix = format!("{shipped}\n[intergreens_s]\nK1 = {{ K5 = 5.0 }}\n");
    std::fs::write(dir.join("five-leg.toml"), ix).unwrap();
    let corridor = std::fs::read_to_string(config.join("corridors/five-leg.toml"))
        .unwrap()
        .replace("\"../intersections/five-leg.toml\"", "\"five-leg.toml\"");
    let path = dir.join("corridor.toml");
    std::fs::write(&path, corridor).unwrap();
    assert_eq!(
        warnings(&path),
        [
            "`J1`: intergreen K1 -> K5 is 5 s, its geometry asks for 7 s (EN 12675: `eb left` \
          clears 18.9 m + 6 m to where `swb right` enters 1.4 m in)"
        ]
    );
    // The shipped file draws none; with --intergreens every pair is listed, given or not.
    let shipped = config.join("corridors/five-leg.toml");
    assert_eq!(warnings(&shipped), Vec::<String>::new());
    let out = Command::new(env!("CARGO_BIN_EXE_greenwave"))
        .args(["check", "--intergreens"])
        .arg(&shipped)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let table = stdout
        .lines()
        .find(|l| l.contains("intergreens from geometry (EN 12675)"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(table.contains("K1 -> K5 7 s (in force 7 s)"), "{table}");
    assert!(table.contains("K4 -> K2 7 s (in force 7 s)"), "{table}");
    // Run together in one stage (a permissive left), so no conflict.
    assert!(table.contains("K1 -> K2 6 s (in force none)"), "{table}");
    assert_eq!(table.matches(" -> ").count(), 20, "{table}");
}
