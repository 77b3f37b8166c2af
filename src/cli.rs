//! The command line (clap): subcommands and their arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// greenwave: an adaptive traffic-signal controller with a corridor simulator.
#[derive(Parser, Debug)]
#[command(name = "greenwave", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate intersection, corridor and timing-plan files (folders are searched for .toml).
    ///
    /// Prints a verdict per file; exits 0 when every file is valid and 2 otherwise.
    Check(CheckArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}
