//! A site's cabinet config rewired to a virtual cabinet's modules, for the demo and the tests:
//! the reference map's connection keys taken out, the generated wiring put in, every path made
//! absolute so the file can live in another folder.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::fieldio::coils::autowire::Wiring;

/// Writes `base` rewired to `wiring` into `dir` (same file name); returns the new file.
pub fn rewired_config(base: &Path, wiring: &Wiring, dir: &Path) -> Result<PathBuf> {
    let text = std::fs::read_to_string(base).with_context(|| base.display().to_string())?;
    let mut table: toml::Table = text.parse().with_context(|| base.display().to_string())?;
    for key in ["corridor", "plan", "state_dir"] {
        if let Some(toml::Value::String(p)) = table.get_mut(key) {
            *p = std::path::absolute(greenwave_controllers::load::beside(base, p))?
                .display()
                .to_string();
        }
    }
    table.remove("registers");
    if let Some(toml::Value::Table(cabinet)) = table.get_mut("cabinet") {
        for key in [
            "address",
            "transport",
            "unit_id",
            "device",
            "baud",
            "parity",
        ] {
            cabinet.remove(key);
        }
    }
    let wired: toml::Table = wiring.to_toml().parse()?;
    table.extend(wired);
    std::fs::create_dir_all(dir)?;
    let file = dir.join(base.file_name().context("a file name")?);
    std::fs::write(&file, toml::to_string(&table)?)?;
    Ok(file)
}
