//! The generated grid loads as a scenario, is the same for the same settings, and runs.

use super::*;
use crate::{RunOptions, Scenario, Simulation};
use greenwave_controllers::Duration;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("greenwave-grid-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_grid_has_its_intersections_entries_and_exits() {
    let grid = Grid {
        rows: 2,
        cols: 3,
        ..Grid::default()
    };
    let corridor = grid.corridor();
    let signals = corridor.nodes.iter().filter(|n| n.intersection.is_some());
    assert_eq!(signals.count(), 6);
    // 4 approaches per intersection, and an exit at each of the 2 x (2 + 3) boundary nodes.
    assert_eq!(corridor.links.len(), 6 * 4 + 10);
    assert_eq!(grid.scenario().demand.len(), 10);
}

#[test]
fn the_same_settings_write_the_same_files() {
    let grid = Grid {
        rows: 2,
        cols: 2,
        ..Grid::default()
    };
    let (a, b) = (temp_dir("same-a"), temp_dir("same-b"));
    grid.write(&a).unwrap();
    grid.write(&b).unwrap();
    for file in ["scenario.toml", "corridor.toml", "plans/grid-base.toml"] {
        let read = |d: &Path| std::fs::read_to_string(d.join(file)).unwrap();
        assert_eq!(read(&a), read(&b), "{file}");
    }
    let _ = (std::fs::remove_dir_all(a), std::fs::remove_dir_all(b));
}

#[test]
fn a_written_grid_loads_and_runs_safely() {
    let grid = Grid {
        rows: 2,
        cols: 2,
        controller: "adaptive".to_owned(),
        ..Grid::default()
    };
    let dir = temp_dir("runs");
    let path = grid.write(&dir).unwrap();
    let scenario = Scenario::load(&path).expect("the generated scenario loads");
    let options = RunOptions {
        duration: Some(Duration::from_secs(300)),
        ..RunOptions::default()
    };
    let mut sim = Simulation::new(&scenario, &options).expect("builds");
    sim.run(|_| {});
    assert_eq!(sim.sites().len(), 4);
    assert!(sim.vehicles_arrived() > 50, "{}", sim.vehicles_arrived());
    assert_eq!(sim.monitor_trips(), 0);
    assert_eq!(sim.red_crossings(), 0);
    assert_eq!(sim.overlaps(), 0);
    let _ = std::fs::remove_dir_all(dir);
}
