//! `greenwave report`: signal performance measures from event logs (`greenwave::measures`),
//! written as HTML, CSV and JSON, and the wait chart as `waits.svg`.

use anyhow::{Context, Result};
use std::io::BufWriter;
use std::path::Path;
use std::process::ExitCode;

use greenwave::measures::{self, SiteMeasures, chart, export, html};
use greenwave_controllers::load;
use greenwave_controllers::site::Site;

use crate::cli::ReportArgs;

/// How many skipped lines are listed on standard error (all are in the HTML and the JSON).
const SHOWN: usize = 20;

/// `greenwave report LOG... --corridor FILE [--before LOG...] --out DIR`.
pub fn report(args: &ReportArgs) -> Result<ExitCode> {
    let corridor = match load::corridor(&args.corridor) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let sites = Site::all(&corridor);
    let (after, mut refused) = measure(&args.logs, &sites);
    let before = if args.before.is_empty() {
        None
    } else {
        let (before, refused_before) = measure(&args.before, &sites);
        refused.extend(refused_before.into_iter().map(|r| format!("--before {r}")));
        Some(before)
    };
    tell(&after, before.as_deref(), &refused);
    let usable = |set: &[SiteMeasures]| set.iter().any(|s| s.events > 0);
    if !usable(&after) {
        eprintln!("error: nothing usable is left in the logs");
        return Ok(ExitCode::from(2));
    }
    if before.as_deref().is_some_and(|b| !usable(b)) {
        eprintln!("error: nothing usable is left in the --before logs (the others are usable)");
        return Ok(ExitCode::from(2));
    }
    let name = corridor.name().unwrap_or(corridor.id()).to_owned();
    write(&args.out, &name, &after, before.as_deref(), &refused)
        .with_context(|| format!("cannot write the report to {}", args.out.display()))?;
    eprintln!(
        "wrote the report to {}",
        args.out.join("index.html").display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The measures of every intersection with a log among `paths`.
fn measure(paths: &[std::path::PathBuf], sites: &[Site]) -> (Vec<SiteMeasures>, Vec<String>) {
    let (logs, refused) = measures::read_logs(paths, sites);
    let measured = sites
        .iter()
        .filter_map(|site| logs.get(&site.id).map(|log| measures::analyse(site, log)))
        .collect();
    (measured, refused)
}

/// Says on standard error what was not used.
fn tell(after: &[SiteMeasures], before: Option<&[SiteMeasures]>, refused: &[String]) {
    for r in refused {
        eprintln!("warning: {r}");
    }
    for s in after.iter().chain(before.unwrap_or(&[])) {
        for k in s.skipped.iter().take(SHOWN) {
            eprintln!("warning: {} line {}: skipped: {}", k.file, k.line, k.why);
        }
        if s.skipped.len() > SHOWN {
            eprintln!(
                "warning: {}: {} more lines skipped (listed in the report)",
                s.site,
                s.skipped.len() - SHOWN
            );
        }
        for n in &s.notes {
            eprintln!("warning: {}: {n}", s.site);
        }
    }
}

fn write(
    dir: &Path,
    name: &str,
    after: &[SiteMeasures],
    before: Option<&[SiteMeasures]>,
    refused: &[String],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let title = format!("Signal performance: {name}");
    std::fs::write(
        dir.join("index.html"),
        html::index_page(&title, after, before, refused),
    )?;
    std::fs::write(dir.join("waits.svg"), chart::waits_svg(after, before))?;
    for s in after {
        let was = before.and_then(|b| b.iter().find(|x| x.site == s.site));
        let page = html::site_page(s, was, before.is_some());
        std::fs::write(dir.join(format!("{}.html", s.site)), page)?;
    }
    let file = |name: &str| std::fs::File::create(dir.join(name)).map(BufWriter::new);
    export::write_json(file("measures.json")?, after, before)?;
    let mut sets: Vec<(&str, &[SiteMeasures])> = vec![("after", after)];
    if let Some(b) = before {
        sets.insert(0, ("before", b));
    }
    export::write_phases_csv(file("phases.csv")?, &sets)?;
    export::write_approaches_csv(file("approaches.csv")?, &sets)
}
