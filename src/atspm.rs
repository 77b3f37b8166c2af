//! `greenwave atspm`: what ATSPM tools need beside the event log. `detectors` prints a
//! corridor's detector configuration (`greenwave::eventlog::detectors`).

use anyhow::{Context, Result};
use std::io::Write;
use std::process::ExitCode;

use greenwave::eventlog::detectors;
use greenwave_controllers::load;
use greenwave_controllers::site::Site;

use crate::cli::AtspmDetectorsArgs;

/// `greenwave atspm detectors CORRIDOR [--out FILE]`.
pub fn detectors(args: &AtspmDetectorsArgs) -> Result<ExitCode> {
    let corridor = match load::corridor(&args.corridor) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let (rows, uncalled) = detectors::rows(&Site::all(&corridor));
    for d in &uncalled {
        eprintln!("warning: detector {d} calls no phase; left out");
    }
    match &args.out {
        None => {
            let mut out = std::io::stdout().lock();
            detectors::write_csv(&mut out, &rows)?;
            out.flush()?;
        }
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            detectors::write_csv(&mut out, &rows)
                .and_then(|()| out.flush())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
