//! The measures on a hand-made log of J1 of the arterial (phase 2: eastbound through; advance
//! count loops on channels 22 and 23, 120 m upstream at 50 km/h; stop-bar loops on channels 3
//! and 5).

use std::path::Path;

use greenwave_controllers::site::Site;

use super::parse::SiteLog;
use super::timeline::Termination;
use super::*;

fn j1() -> Site {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/corridors/arterial-4.toml");
    let corridor = greenwave_controllers::load::corridor(&path).unwrap();
    Site::all(&corridor)
        .into_iter()
        .find(|s| s.id == "J1")
        .unwrap()
}

/// Three cycles of phase 2 (green 30 s each), two advance actuations (one arriving on green, one
/// 37.1 s before the next green), a stop bar held occupied through the second green and 6 s
/// into its red, and a gap out logged for the third.
const LOG: &str = "\
2026-06-02 16:00:00.0,1,2
2026-06-02 16:00:10.0,82,22
2026-06-02 16:00:10.5,81,22
2026-06-02 16:00:30.0,8,2
2026-06-02 16:00:34.0,10,2
2026-06-02 16:00:50.0,82,22
2026-06-02 16:00:50.4,81,22
2026-06-02 16:01:30.0,1,2
2026-06-02 16:01:30.0,82,3
2026-06-02 16:02:00.0,8,2
2026-06-02 16:02:04.0,10,2
2026-06-02 16:02:10.0,81,3
2026-06-02 16:03:00.0,1,2
2026-06-02 16:03:30.0,4,2
2026-06-02 16:03:30.0,8,2
";

fn measured() -> SiteMeasures {
    let mut log = SiteLog::default();
    log.add("J1.csv", LOG);
    assert!(log.skipped.is_empty(), "{:?}", log.skipped);
    analyse(&j1(), &log)
}

#[test]
fn split_monitor_arrivals_on_green_and_split_failures_of_a_phase() {
    let m = measured();
    let p2 = m.phases.iter().find(|p| p.phase == 2).unwrap();
    let greens: Vec<(f64, Termination, Option<bool>)> = p2
        .greens
        .iter()
        .map(|g| (g.green_s, g.termination, g.split_failure))
        .collect();
    assert_eq!(
        greens,
        [
            (30.0, Termination::Unknown, Some(false)),
            (30.0, Termination::Unknown, Some(true)),
            (30.0, Termination::GapOut, None),
        ]
    );
    assert_eq!((p2.arrivals, p2.on_green), (2, 1));
    assert_eq!(p2.aog_pct(), Some(50.0));
    assert_eq!((p2.judged, p2.split_failures), (2, 1));
    // 90 s of green over the 210 s logged.
    assert!((p2.green_ratio - 90.0 / 210.0).abs() < 1e-9);
    assert!((p2.platoon_ratio().unwrap() - 0.5 / (90.0 / 210.0)).abs() < 1e-9);
}

#[test]
fn the_equity_table_estimates_waits_from_arrivals_to_the_next_green() {
    let m = measured();
    let eb = m.approaches.iter().find(|a| a.direction == "eb").unwrap();
    assert!(eb.arterial);
    assert_eq!(eb.vehicles, 2);
    let travel = 120.0 / (50.0 / 3.6);
    let wait = 90.0 - (50.0 + travel);
    assert!((eb.mean_wait_s.unwrap() - wait / 2.0).abs() < 1e-6);
    assert!((eb.p95_wait_s.unwrap() - wait).abs() < 1e-6);
    assert_eq!(eb.split_failure_pct(), Some(50.0));
    let volumes: Vec<(f64, u32)> = eb.volumes.iter().map(|v| (v.from_s, v.vehicles)).collect();
    assert_eq!(
        volumes,
        [(16.0 * 3600.0, 2)],
        "two vehicles in the 16:00 bin"
    );
    assert!(html::site_page(&m, None, false).contains("<h2>Approach volumes</h2>"));
    let nb = m.approaches.iter().find(|a| a.direction == "nb").unwrap();
    assert!(!nb.arterial, "J1's northbound approach is a side street");
    assert_eq!(nb.vehicles, 0);
}

#[test]
fn the_report_pages_are_self_contained_and_show_every_phase() {
    let m = measured();
    let page = html::site_page(&m, None, false);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href=\"http"));
    assert_eq!(
        page.matches("<svg").count(),
        2,
        "phase 2's split monitor and coordination diagram"
    );
    // Three cycles in the split monitor; in the diagram (from the first red, at 34 s), the
    // arrival at 52.9 s.
    assert_eq!(page.matches("<circle").count(), 4);
    let before = measured();
    let compared = html::index_page(
        "arterial",
        std::slice::from_ref(&m),
        Some(std::slice::from_ref(&before)),
        &[],
    );
    assert!(compared.contains("mean wait s<br>before"));
    assert!(compared.contains("+0.0"), "no change between equal logs");
}

#[test]
fn log_files_are_matched_to_intersections_by_name() {
    let sites = vec![j1()];
    assert!(site_of(Path::new("logs/J1.csv"), &sites).is_some());
    assert!(site_of(Path::new("J1-events-2026-06-02.csv"), &sites).is_some());
    assert!(site_of(Path::new("J12.csv"), &sites).is_none());
    assert!(site_of(Path::new("other.csv"), &sites).is_none());
}

#[test]
fn a_green_still_running_when_the_log_ends_is_green_to_its_end() {
    let mut log = SiteLog::default();
    log.add(
        "J1.csv",
        "2026-06-02 16:00:00.0,1,2\n\
         2026-06-02 16:00:30.0,8,2\n\
         2026-06-02 16:00:34.0,10,2\n\
         2026-06-02 16:01:00.0,82,22\n\
         2026-06-02 16:01:00.5,81,22\n\
         2026-06-02 16:01:30.0,1,2\n\
         2026-06-02 16:01:40.0,82,22\n\
         2026-06-02 16:01:40.5,81,22\n",
    );
    let m = analyse(&j1(), &log);
    let p2 = m.phases.iter().find(|p| p.phase == 2).unwrap();
    assert_eq!(p2.greens.len(), 1, "the running green is no complete cycle");
    assert_eq!((p2.arrivals, p2.on_green), (2, 1));
    // Green 0-30 s and 90-100.5 s of the 100.5 s logged.
    assert!((p2.green_ratio - 40.5 / 100.5).abs() < 1e-9);
    let eb = m.approaches.iter().find(|a| a.direction == "eb").unwrap();
    let travel = 120.0 / (50.0 / 3.6);
    assert!((eb.mean_wait_s.unwrap() - (90.0 - 60.0 - travel) / 2.0).abs() < 1e-6);
}

#[test]
fn pedestrian_delay_runs_from_the_call_to_the_walk() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/corridors/eu-crossing.toml");
    let corridor = greenwave_controllers::load::corridor(&path).unwrap();
    let site = Site::all(&corridor).remove(0);
    let mut log = SiteLog::default();
    log.add(
        "J1.csv",
        "2026-06-02 16:00:00.0,45,6\n\
         2026-06-02 16:00:20.0,21,6\n\
         2026-06-02 16:00:30.0,22,6\n\
         2026-06-02 16:00:40.0,45,6\n\
         2026-06-02 16:01:30.0,21,6\n\
         2026-06-02 16:01:35.0,45,6\n",
    );
    let m = analyse(&site, &log);
    let p = &m.pedestrians[0];
    assert_eq!((p.phase, p.calls, p.unserved, p.walks), (6, 2, 1, 2));
    assert_eq!(p.mean_delay_s, Some(35.0));
    assert_eq!(p.max_delay_s, Some(50.0));
    assert!(html::site_page(&m, None, false).contains("<h2>Pedestrians</h2>"));
}

#[test]
fn a_log_written_in_another_time_zone_is_left_out_with_the_reason() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/corridors/arterial-4.toml");
    let corridor = greenwave_controllers::load::corridor(&path).unwrap();
    let sites = Site::all(&corridor);
    let dir = std::env::temp_dir().join(format!("greenwave-zone-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let log = |hour: u32| {
        format!(
            "2026-06-02 {hour}:00:06.0,1,2\n2026-06-02 {hour}:30:00.0,8,2\n2026-06-02 {hour}:59:00.0,1,2\n"
        )
    };
    let mut paths = Vec::new();
    for (site, hour) in [("J1", 16), ("J2", 16), ("J3", 21), ("J4", 16)] {
        let p = dir.join(format!("{site}.csv"));
        std::fs::write(&p, log(hour)).unwrap();
        paths.push(p);
    }
    let (logs, refused) = read_logs(&paths, &sites);
    assert_eq!(logs.keys().collect::<Vec<_>>(), ["J1", "J2", "J4"]);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("J3: its times are +5 h from the other logs'"),
        "{refused:?}"
    );
    // Two logs alone: neither can be told wrong.
    let (logs, refused) = read_logs(&paths[1..3], &sites);
    assert_eq!((logs.len(), refused.len()), (2, 0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_log_spanning_millennia_is_measured_in_the_bins_it_fills() {
    let mut log = SiteLog::default();
    log.add(
        "J1.csv",
        "2026-06-02 16:00:00.0,1,2\n2026-06-02 16:00:01.0,82,22\n9999-12-31 23:59:59.9,8,2\n",
    );
    let m = analyse(&j1(), &log);
    let p2 = m.phases.iter().find(|p| p.phase == 2).unwrap();
    assert_eq!(
        p2.bins.len(),
        1,
        "only the bin that holds the green and the arrival"
    );
    assert_eq!(p2.arrivals, 1);
}

#[test]
fn stop_bar_actuations_in_the_yellow_and_the_red_clearance_are_counted() {
    // Phase 2 green at 0 s, yellow at 30 s, red clearance at 34 s, phase 4 green at 36 s: one
    // vehicle on the stop bar in the yellow, one in the red clearance, one after it (a vehicle
    // stopping for the red), one in the green.
    let log = "\
2026-06-02 16:00:00.0,1,2
2026-06-02 16:00:10.0,82,3
2026-06-02 16:00:10.4,81,3
2026-06-02 16:00:30.0,8,2
2026-06-02 16:00:31.0,82,5
2026-06-02 16:00:31.4,81,5
2026-06-02 16:00:34.0,10,2
2026-06-02 16:00:35.0,82,3
2026-06-02 16:00:35.4,81,3
2026-06-02 16:00:36.0,1,4
2026-06-02 16:00:40.0,82,3
2026-06-02 16:00:58.0,8,4
2026-06-02 16:01:02.0,10,4
2026-06-02 16:01:04.0,1,2
";
    let mut site_log = SiteLog::default();
    site_log.add("J1.csv", log);
    assert!(site_log.skipped.is_empty(), "{:?}", site_log.skipped);
    let m = analyse(&j1(), &site_log);
    let p2 = m.phases.iter().find(|p| p.phase == 2).unwrap();
    assert_eq!((p2.yellow_actuations, p2.red_clearance_actuations), (1, 1));
}
