//! SUMO, the microscopic simulator planners already trust: a greenwave scenario exported as a
//! SUMO study, and a SUMO network imported as greenwave corridor, intersection, plan and
//! scenario files (`docs/sumo.md`).
//!
//! - [`xml`]: writing SUMO's XML.
//! - [`network`]: the corridor as plain XML (nodes, edges, connections) and the loops as E1.
//! - [`program`]: the fixed timing plans as traffic-light programs.
//! - [`demand`]: entry flows and turning ratios as flows on route distributions.
//! - [`export`]: the files and the configurations that tie them together.

pub mod demand;
pub mod export;
pub mod network;
pub mod program;
pub mod xml;

use anyhow::Result;
use std::process::ExitCode;

use greenwave_sim::Scenario;

use crate::cli::ExportSumoArgs;

/// `greenwave export sumo`.
pub fn export_command(args: &ExportSumoArgs) -> Result<ExitCode> {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    match export::export(&scenario, &args.out) {
        Ok(report) => {
            for line in report {
                println!("{line}");
            }
            println!("written to {}", args.out.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}: {e:#}", args.scenario.display());
            Ok(ExitCode::from(2))
        }
    }
}

/// `greenwave import sumo`.
pub fn import_command(_args: &crate::cli::ImportSumoArgs) -> Result<ExitCode> {
    eprintln!("error: not yet");
    Ok(ExitCode::from(2))
}
