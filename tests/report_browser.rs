//! The report in a real browser: headless Chromium (Debian's `chromium`; `.ci/run` installs it,
//! `GREENWAVE_CHROMIUM` names another) renders the corridor page, an intersection page and the
//! wait chart of a before/after report. Checked: the rendered DOM holds every picture, and each
//! screenshot carries far more than a blank page's (a page that rendered empty, or a picture
//! that failed, would not: the wait chart alone makes a screenshot three times a blank one, a
//! page of tables and pictures twenty times).
#![cfg(feature = "sim")]

mod common;
use common::greenwave;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn chromium() -> String {
    std::env::var("GREENWAVE_CHROMIUM").unwrap_or_else(|_| "chromium".to_owned())
}

/// Runs headless Chromium with `args` on `url`; its standard output (through a file: a pipe
/// would fill and stall it). Killed after 90 s.
fn browse(profile: &Path, args: &[&str], url: &str) -> Vec<u8> {
    let out_path = profile.with_extension("out");
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "this check needs headless Chromium (`apt-get install chromium`, as .ci/run \
                 does, or GREENWAVE_CHROMIUM): {e}"
            )
        });
    let mut status = None;
    for _ in 0..900 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let status = status.unwrap_or_else(|| child.wait().unwrap());
    assert!(status.success(), "chromium failed on {url}");
    std::fs::read(&out_path).unwrap()
}

fn screenshot(dir: &Path, name: &str, url: &str) -> u64 {
    let png = dir.join(format!("{name}.png"));
    browse(
        &dir.join("profile"),
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1200,1600",
        ],
        url,
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert_eq!(&bytes[1..4], b"PNG");
    bytes.len() as u64
}

fn simulate(dir: &Path, controller: &str) -> Vec<String> {
    let out = greenwave(&[
        "sim",
        "config/scenarios/arterial-peak.toml",
        "--controller",
        controller,
        "--duration",
        "900",
        "--event-log",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    ["J1", "J2", "J3", "J4"]
        .iter()
        .map(|s| dir.join(format!("{s}.csv")).display().to_string())
        .collect()
}

#[test]
fn the_report_renders_in_chromium_with_its_pictures() {
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let before = simulate(&dir.join("fixed"), "fixed");
    let after = simulate(&dir.join("actuated"), "actuated");
    let out = dir.join("report");
    let mut args = vec!["report"];
    args.extend(after.iter().map(String::as_str));
    args.extend(["--corridor", "config/corridors/arterial-4.toml", "--before"]);
    args.extend(before.iter().map(String::as_str));
    args.extend(["--out", out.to_str().unwrap()]);
    assert_eq!(greenwave(&args).status.code(), Some(0));

    let url = |file: &str| format!("file://{}", out.join(file).display());
    let dom = String::from_utf8(browse(
        &dir.join("profile"),
        &["--dump-dom"],
        &url("J1.html"),
    ))
    .unwrap();
    assert_eq!(
        dom.matches("<svg").count(),
        32,
        "a split monitor and a coordination diagram per phase, before and after, rendered"
    );
    assert!(
        dom.contains("<circle"),
        "the split monitors have their marks"
    );
    let index = String::from_utf8(browse(
        &dir.join("profile"),
        &["--dump-dom"],
        &url("index.html"),
    ))
    .unwrap();
    assert_eq!(index.matches("<svg").count(), 1, "the wait chart");
    assert_eq!(
        index.matches("<rect").count(),
        32,
        "16 approaches, before and after"
    );

    std::fs::write(
        dir.join("blank.html"),
        "<!DOCTYPE html><html><body></body></html>",
    )
    .unwrap();
    let blank = screenshot(
        &dir,
        "blank",
        &format!("file://{}", dir.join("blank.html").display()),
    );
    for page in ["index.html", "J1.html", "waits.svg"] {
        let size = screenshot(&dir, page, &url(page));
        assert!(
            size > 2 * blank,
            "{page}: a {size}-byte screenshot, hardly more than a blank page's {blank}"
        );
    }
}

#[test]
fn the_map_of_a_grid_and_a_path_across_it_render_in_chromium_to_scale() {
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("map-browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let grid = dir.join("grid");
    let g = grid.to_str().unwrap();
    let generated = greenwave(&["generate", "grid", "--rows", "3", "--cols", "4", "--out", g]);
    assert_eq!(generated.status.code(), Some(0));
    let out = dir.join("run");
    let scenario = grid.join("scenario.toml");
    let args = ["sim", scenario.to_str().unwrap(), "--duration", "600"];
    // A path that turns twice: east, south, east.
    let path = ["--path", "J0-0,J0-1,J1-1,J1-2"];
    let run = greenwave(&[&args[..], &["--out", out.to_str().unwrap()], &path[..]].concat());
    assert_eq!(run.status.code(), Some(0));

    let url = format!("file://{}", out.join("map.svg").display());
    let dom = String::from_utf8(browse(&dir.join("profile"), &["--dump-dom"], &url)).unwrap();
    assert_eq!(
        dom.matches(r#"class="signal""#).count(),
        12,
        "a dot per signal"
    );
    assert_eq!(
        dom.matches("mean delay").count(),
        1 + 12 * 4 + 1,
        "the title, every approach's hover text and the legend"
    );
    assert!(dom.contains(r#"class="queue""#), "queues drawn");
    // To scale: 300 m between neighbours east-west as north-south.
    let x = |id: &str| {
        let at = dom.find(&format!("<title>{id}</title>")).unwrap();
        let circle = &dom[dom[..at].rfind("<circle").unwrap()..at];
        let num = |attr: &str| -> f64 {
            let i = circle.find(attr).unwrap() + attr.len();
            circle[i..].split('"').next().unwrap().parse().unwrap()
        };
        (num(r#"cx=""#), num(r#"cy=""#))
    };
    let (a, east, south) = (x("J0-0"), x("J0-1"), x("J1-0"));
    assert!(
        ((east.0 - a.0) - (south.1 - a.1)).abs() < 0.2,
        "{a:?} {east:?} {south:?}"
    );

    std::fs::write(
        dir.join("blank.html"),
        "<!DOCTYPE html><html><body></body></html>",
    )
    .unwrap();
    let blank = screenshot(
        &dir,
        "blank",
        &format!("file://{}", dir.join("blank.html").display()),
    );
    let size = screenshot(&dir, "map", &url);
    assert!(
        size > 2 * blank,
        "a {size}-byte screenshot, hardly more than a blank page's {blank}"
    );

    // The time-space diagram along the path: its four signals from the bottom up, in order.
    let url = format!(
        "file://{}",
        out.join("time-space-J0-0-J0-1-J1-1-J1-2.svg").display()
    );
    let dom = String::from_utf8(browse(&dir.join("profile"), &["--dump-dom"], &url)).unwrap();
    let label_y = |site: &str| -> f64 {
        let at = dom
            .find(&format!(">{site}</text>"))
            .unwrap_or_else(|| panic!("no label {site}"));
        let text = &dom[dom[..at].rfind("<text").unwrap()..at];
        let i = text.find(r#"y=""#).unwrap() + 3;
        text[i..].split('"').next().unwrap().parse().unwrap()
    };
    let ys: Vec<f64> = ["J0-0", "J0-1", "J1-1", "J1-2"]
        .iter()
        .map(|s| label_y(s))
        .collect();
    assert!(ys.windows(2).all(|w| w[0] > w[1]), "signal rows {ys:?}");
    assert!(dom.matches("<polyline").count() > 50, "trajectories drawn");
    let size = screenshot(&dir, "time-space", &url);
    assert!(size > 2 * blank, "a {size}-byte time-space screenshot");

    // The queues: grouped along the path first, every panel on one scale.
    let url = format!("file://{}", out.join("queues.svg").display());
    let dom = String::from_utf8(browse(&dir.join("profile"), &["--dump-dom"], &url)).unwrap();
    let groups: Vec<&str> = dom
        .split(r#"class="path""#)
        .skip(1)
        .map(|g| g[g.find('>').unwrap() + 1..].split('<').next().unwrap())
        .collect();
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert!(groups[0].starts_with("along W0-&gt;J0-0"), "{groups:?}");
    assert_eq!(groups[1], "elsewhere");
    let first_panels: Vec<usize> = ["J0-0", "J0-1", "J1-1", "J1-2"]
        .iter()
        .map(|s| dom.find(&format!(">{s}</text>")).unwrap())
        .collect();
    assert!(first_panels.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        dom.matches(r#"class="queue""#).count(),
        12 * 4,
        "every approach"
    );
    let at = dom.find("every panel 0 to ").unwrap() + "every panel 0 to ".len();
    let peak = dom[at..].split(')').next().unwrap();
    assert_eq!(
        dom.matches(&format!(r#"text-anchor="end">{peak}</text>"#))
            .count(),
        12,
        "every panel's scale is {peak}"
    );
    let size = screenshot(&dir, "queues", &url);
    assert!(size > 2 * blank, "a {size}-byte queues screenshot");
}
