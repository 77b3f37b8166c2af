//! `greenwave generate grid`: a generated grid of signalised intersections written as a
//! scenario folder (`greenwave_sim::grid`), to try the simulator and the controllers at scale.

use anyhow::{Context, Result};
use std::process::ExitCode;

use greenwave_sim::Scenario;
use greenwave_sim::grid::Grid;

use crate::cli::GridArgs;

/// `greenwave generate grid --rows R --cols C --out DIR`.
pub fn grid(args: &GridArgs) -> Result<ExitCode> {
    let checks = [
        ("--spacing-m", args.spacing_m, 50.0, 5000.0),
        ("--arterial-veh-h", args.arterial_veh_h, 0.0, 3000.0),
        ("--cross-veh-h", args.cross_veh_h, 0.0, 3000.0),
        (
            "--duration",
            args.duration,
            1.0,
            greenwave_sim::scenario::MAX_DURATION_S,
        ),
    ];
    for (flag, value, lo, hi) in checks {
        if !(value.is_finite() && (lo..=hi).contains(&value)) {
            eprintln!("error: {flag} {value} is out of range ({lo} to {hi})");
            return Ok(ExitCode::from(2));
        }
    }
    let grid = Grid {
        rows: usize::from(args.rows),
        cols: usize::from(args.cols),
        spacing_m: args.spacing_m,
        arterial_veh_h: args.arterial_veh_h,
        cross_veh_h: args.cross_veh_h,
        controller: args.controller.clone(),
        duration_s: args.duration,
        seed: args.seed,
    };
    // Say now, before anything is written, if the machine cannot simulate it.
    if let Some(why) = greenwave_sim::memory::too_large(grid.intersections(), &grid.controller) {
        eprintln!("error: a {} x {} grid: {why}", grid.rows, grid.cols);
        return Ok(ExitCode::from(2));
    }
    let path = grid
        .write(&args.out)
        .with_context(|| format!("cannot write the grid to {}", args.out.display()))?;
    // What was written must load: say so now rather than at the first `sim`.
    if let Err(e) = Scenario::load(&path) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(2));
    }
    eprintln!(
        "wrote a {} x {} grid ({} intersections) to {}; run it with `greenwave sim {}` \
         (about {:.0} MB)",
        grid.rows,
        grid.cols,
        grid.intersections(),
        args.out.display(),
        path.display(),
        greenwave_sim::memory::estimate_mb(grid.intersections(), &grid.controller)
    );
    Ok(ExitCode::SUCCESS)
}
