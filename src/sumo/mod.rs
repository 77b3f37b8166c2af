//! SUMO, the microscopic simulator planners already trust: a greenwave scenario exported as a
//! SUMO study, and a SUMO network imported as greenwave corridor, intersection, plan and
//! scenario files (`docs/sumo.md`).
//!
//! - [`xml`]: writing SUMO's XML.
//! - [`network`]: the corridor as plain XML (nodes, edges, connections) and the loops as E1.
//! - [`program`]: the fixed timing plans as traffic-light programs.
//! - [`demand`]: entry flows and turning ratios as flows on route distributions.
//! - [`export`]: the files and the configurations that tie them together.
//! - [`import`]: a SUMO network, its loops and routes as corridor, intersections, plans and
//!   scenario.

pub mod demand;
pub mod export;
pub mod import;
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
pub fn import_command(args: &crate::cli::ImportSumoArgs) -> Result<ExitCode> {
    let req = import::Request {
        net: &args.net,
        routes: args.routes.as_deref(),
        additional: args.additional.as_deref(),
        out: &args.out,
        standard_loops: args.standard_loops,
        notes: &args.note,
    };
    let outcome = match import::import(&req) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    print!("{}", import::report(&req, &outcome));
    println!("written to {}", args.out.display());
    Ok(if outcome.problems.is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
