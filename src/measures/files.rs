//! Which log files belong to which intersection, read into one log per intersection; and the
//! logs of a set that were written in another time zone than the rest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use greenwave_controllers::site::Site;

use super::parse::SiteLog;

/// The site of a log file: its name without extension, or the longest site id it starts with
/// followed by `-` or `_` (`J1-events-2026-06-02.csv` is J1's).
pub fn site_of<'a>(path: &Path, sites: &'a [Site]) -> Option<&'a Site> {
    let stem = path.file_stem()?.to_string_lossy();
    sites
        .iter()
        .filter(|s| {
            stem == s.id.as_str()
                || stem
                    .strip_prefix(s.id.as_str())
                    .is_some_and(|rest| rest.starts_with(['-', '_']))
        })
        .max_by_key(|s| s.id.len())
}

/// Reads log files into one log per site (files in name order); the files that name no site
/// of the corridor, or cannot be read, are returned with the reason.
pub fn read_logs(paths: &[PathBuf], sites: &[Site]) -> (BTreeMap<String, SiteLog>, Vec<String>) {
    let mut logs: BTreeMap<String, SiteLog> = BTreeMap::new();
    let mut refused = Vec::new();
    let mut paths = paths.to_vec();
    paths.sort();
    for path in &paths {
        // A missing file is said as such, whatever its name (an unexpanded glob, a typo).
        match std::fs::metadata(path) {
            Err(e) => {
                refused.push(format!("{}: {e}", path.display()));
                continue;
            }
            Ok(m) if !m.is_file() => {
                refused.push(format!("{}: not a file", path.display()));
                continue;
            }
            Ok(_) => {}
        }
        let Some(site) = site_of(path, sites) else {
            refused.push(format!(
                "{}: its name names no intersection of the corridor (expected SITE.csv or SITE-...)",
                path.display()
            ));
            continue;
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let log = logs.entry(site.id.clone()).or_default();
                log.add(&path.display().to_string(), &text);
            }
            Err(e) => refused.push(format!("{}: {e}", path.display())),
        }
    }
    for (site, hours) in zone_outliers(&logs) {
        logs.remove(&site);
        refused.push(format!(
            "{site}: its times are {hours:+} h from the other logs' and overlap none of them: \
             written in another time zone? Left out"
        ));
    }
    (logs, refused)
}

/// The logs whose times lie a whole number of hours (1 to 14) from the others' without
/// overlapping any of them, where the others (two at least) overlap one another: logs of one
/// corridor and period written in another time zone. With two logs alone, neither can be told
/// wrong.
pub fn zone_outliers(logs: &BTreeMap<String, SiteLog>) -> Vec<(String, i64)> {
    let overlap = |(a, b): (f64, f64), (c, d): (f64, f64)| a <= d && c <= b;
    let spans: Vec<(&String, (f64, f64))> = logs
        .iter()
        .filter_map(|(site, log)| log.span_s().map(|s| (site, s)))
        .collect();
    let mut out = Vec::new();
    for (site, (a, b)) in &spans {
        let others: Vec<(f64, f64)> = (spans.iter())
            .filter(|(s, _)| s != site)
            .map(|(_, span)| *span)
            .collect();
        let consistent = others.len() >= 2
            && others
                .iter()
                .enumerate()
                .all(|(i, &x)| (others.iter().enumerate()).any(|(j, &y)| i != j && overlap(x, y)));
        if !consistent || others.iter().any(|&o| overlap((*a, *b), o)) {
            continue;
        }
        let mut starts: Vec<f64> = others.iter().map(|(c, _)| *c).collect();
        starts.sort_by(f64::total_cmp);
        let offset = a - starts[starts.len() / 2];
        let hours = (offset / 3600.0).round();
        if (1.0..=14.0).contains(&hours.abs()) && (offset - hours * 3600.0).abs() <= 60.0 {
            out.push(((*site).clone(), hours as i64));
        }
    }
    out
}
