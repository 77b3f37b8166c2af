//! `greenwave`: the command-line entry point. Parses arguments and hands over to a command.

mod check;
mod cli;
mod demo;
mod ops;
mod plan;
mod report;
mod serve;
mod sim;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Check(args) => check::run(&args),
        cli::Command::Sim(args) => sim::run(&args),
        cli::Command::Plan(cli::PlanCommand::Webster(args)) => plan::webster(&args),
        cli::Command::Plan(cli::PlanCommand::Publish(args)) => ops::publish_plan(&args),
        cli::Command::Plan(cli::PlanCommand::Sign(args)) => ops::sign_plan(&args),
        cli::Command::Keygen(args) => ops::keygen(&args),
        cli::Command::Mode(cli::ModeCommand::Set(args)) => ops::set_mode(&args),
        cli::Command::Ops(cli::OpsCommand::Watch(args)) => ops::watch(&args),
        cli::Command::Run(args) => serve::daemon(&args),
        cli::Command::Cabinet(args) => serve::cabinet(&args),
        cli::Command::Demo(args) => demo::run(&args),
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
