//! `greenwave`: the command-line entry point. Parses arguments and hands over to a command.

mod atspm;
mod check;
mod cli;
#[cfg(feature = "sim")]
mod demo;
#[cfg(feature = "sim")]
mod generate;
mod ops;
mod perf;
#[cfg(feature = "sim")]
mod plan;
#[cfg(feature = "sim")]
mod report;
mod serve;
#[cfg(feature = "sim")]
mod sim;
#[cfg(feature = "sim")]
mod sumo;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Check(args) => check::run(&args),
        #[cfg(feature = "sim")]
        cli::Command::Sim(args) => sim::run(&args),
        #[cfg(feature = "sim")]
        cli::Command::Plan(cli::PlanCommand::Webster(args)) => plan::webster(&args),
        #[cfg(feature = "sim")]
        cli::Command::Plan(cli::PlanCommand::Network(args)) => plan::network(&args),
        cli::Command::Plan(cli::PlanCommand::Publish(args)) => ops::publish_plan(&args),
        cli::Command::Plan(cli::PlanCommand::Sign(args)) => ops::sign_plan(&args),
        cli::Command::Keygen(args) => ops::keygen(&args),
        cli::Command::Atspm(cli::AtspmCommand::Detectors(args)) => atspm::detectors(&args),
        cli::Command::Report(args) => perf::report(&args),
        cli::Command::Mode(cli::ModeCommand::Set(args)) => ops::set_mode(&args),
        cli::Command::Ops(cli::OpsCommand::Watch(args)) => ops::watch(&args),
        cli::Command::Run(args) => serve::daemon(&args),
        #[cfg(feature = "sim")]
        cli::Command::Cabinet(args) => serve::cabinet(&args),
        #[cfg(feature = "sim")]
        cli::Command::Generate(cli::GenerateCommand::Grid(args)) => generate::grid(&args),
        #[cfg(feature = "sim")]
        cli::Command::Demo(args) => demo::run(&args),
        #[cfg(feature = "sim")]
        cli::Command::Export(cli::ExportCommand::Sumo(args)) => sumo::export_command(&args),
        #[cfg(feature = "sim")]
        cli::Command::Import(cli::ImportCommand::Sumo(args)) => sumo::import_command(&args),
    };
    match result {
        Ok(code) => code,
        // A reader that went away (`greenwave check ... | head`) is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// A reader that went away (`greenwave ... | head`); a command whose verdict matters takes
/// care of it itself.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
