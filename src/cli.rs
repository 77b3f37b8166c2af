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
    /// Validate intersection, corridor, timing-plan, schedule, scenario and cabinet-config
    /// files (folders are searched for .toml).
    ///
    /// Prints a verdict per file; exits 0 when every file is valid and 2 otherwise.
    Check(CheckArgs),
    #[cfg(feature = "sim")]
    /// Simulate a scenario and print its delay, stops, throughput and emissions.
    ///
    /// Exits 2 when the scenario is invalid.
    Sim(SimArgs),
    /// Work with timing plans.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Make an Ed25519 key pair for signing timing plans.
    Keygen(KeygenArgs),
    /// Automated traffic signal performance measures (ATSPM): what their tools need.
    #[command(subcommand)]
    Atspm(AtspmCommand),
    /// Signal performance measures from event logs: an HTML report (split monitor, arrivals on
    /// green, split failures, who waits how long per approach), with CSV and JSON beside it.
    ///
    /// Lines that cannot be used are skipped and listed with the reason; exits 2 only when
    /// nothing usable is left (or the corridor is invalid).
    Report(ReportArgs),
    /// Central operations: set a site's mode over MQTT.
    #[command(subcommand)]
    Mode(ModeCommand),
    /// Central operations: watch every site over MQTT.
    #[command(subcommand)]
    Ops(OpsCommand),
    /// Run the edge daemon of one intersection cabinet.
    ///
    /// Reads the cabinet's detectors over Modbus, runs the controller and drives the signal
    /// groups; SIGINT or SIGTERM hands the cabinet back to local control and exits 0.
    Run(RunArgs),
    #[cfg(feature = "sim")]
    /// Serve a scenario's intersections as virtual cabinets over Modbus TCP.
    ///
    /// Runs the simulator with one Modbus server per intersection (the reference register
    /// map); each cabinet runs its local fixed-time plan until a daemon takes over.
    Cabinet(CabinetArgs),
    #[cfg(feature = "sim")]
    /// Generate networks to simulate.
    #[command(subcommand)]
    Generate(GenerateCommand),
    #[cfg(feature = "sim")]
    /// Run the whole deployment on this machine: virtual cabinets for a scenario, an embedded
    /// MQTT broker and one daemon per intersection, with a live view and the summary table.
    Demo(DemoArgs),
    #[cfg(feature = "sim")]
    /// Export a scenario to another tool's format.
    #[command(subcommand)]
    Export(ExportCommand),
    #[cfg(feature = "sim")]
    /// Import another tool's network as greenwave files.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[cfg(feature = "sim")]
#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Write a scenario as a SUMO study: the corridor as plain XML (nodes, edges, connections),
    /// the fixed timing plans as traffic-light programs, the loops as E1 induction loops, the
    /// demand as flows on routes, and the netconvert and sumo configurations
    /// (`netconvert -c network.netccfg && sumo -c scenario.sumocfg`).
    ///
    /// Lists what is not carried over; exits 2 when the scenario is invalid or an
    /// intersection has no timing plan.
    Sumo(ExportSumoArgs),
}

#[cfg(feature = "sim")]
#[derive(Args, Debug)]
pub struct ExportSumoArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// The folder to write the SUMO files into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[cfg(feature = "sim")]
#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Read a SUMO network (`.net.xml`, e.g. from `netconvert --osm-files`) and write a
    /// corridor, intersections, timing plans and a scenario for the junctions greenwave can
    /// model (signalised, three or four legs).
    ///
    /// Lists everything dropped, on standard output and in `import-report.txt`; exits 2 when
    /// a file cannot be read or is not well-formed XML (naming the element and line).
    Sumo(ImportSumoArgs),
}

#[cfg(feature = "sim")]
#[derive(Args, Debug)]
pub struct ImportSumoArgs {
    /// The SUMO network.
    pub net: PathBuf,
    /// Routes, flows and vehicles (`.rou.xml`) to turn into entry flows and turning ratios.
    #[arg(long, value_name = "FILE")]
    pub routes: Option<PathBuf>,
    /// An additional file whose E1 induction loops become detectors.
    #[arg(long, value_name = "FILE")]
    pub additional: Option<PathBuf>,
    /// The folder to write the greenwave files into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Put a stop-bar loop (5 m at the stop line) and an advance loop (2 m, 40 m upstream, or
    /// half way on a shorter link) on every approach lane that has no E1 loop, as actuated and
    /// adaptive control need (a network from OpenStreetMap has none).
    #[arg(long)]
    pub standard_loops: bool,
    /// A line for the header comment of every file written, e.g. the data's source and
    /// licence (repeat for more lines).
    #[arg(long, value_name = "TEXT")]
    pub note: Vec<String>,
}

#[cfg(feature = "sim")]
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// The scenario the cabinets simulate.
    #[arg(
        long,
        default_value = "config/scenarios/arterial-peak.toml",
        value_name = "FILE"
    )]
    pub scenario: PathBuf,
    /// The folder of cabinet configs, one `SITE.toml` per intersection.
    #[arg(long, default_value = "config/cabinets", value_name = "DIR")]
    pub cabinets: PathBuf,
    /// Run this controller in every daemon instead of the configs' own.
    #[arg(long, value_name = "NAME")]
    pub controller: Option<String>,
    /// Simulated seconds per real second (default 10; 1 with `--profile`).
    #[arg(long, value_parser = parse_speed)]
    pub speed: Option<f64>,
    /// Simulated seconds (default: the scenario's duration).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// The seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Serve every cabinet as commodity I/O modules of this device profile (a name in
    /// `config/profiles/`, or a file): lamps on coils, detectors on inputs. Runs in real time.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The cabinet config (TOML; `GREENWAVE__SECTION__KEY` environment variables override it).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

#[cfg(feature = "sim")]
#[derive(Args, Debug)]
pub struct CabinetArgs {
    /// The scenario to simulate (its timing plans are the cabinets' local fallback).
    #[arg(long, value_name = "FILE")]
    pub scenario: PathBuf,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// The first intersection's Modbus TCP address; the next ones take the following ports
    /// (port 0: each picks a free port).
    #[arg(long, default_value = "127.0.0.1:5020", value_name = "HOST:PORT")]
    pub bind: std::net::SocketAddr,
    /// Simulated seconds (default: the scenario's duration).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// The seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Serve every cabinet as commodity I/O modules of this device profile (a name in
    /// `config/profiles/`, or a file), wired in order, unit ids 1, 2, ... (as
    /// `config/cabinets/J1-coils.toml` expects of `generic-16do-16di`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

#[cfg(feature = "sim")]
fn parse_speed(text: &str) -> Result<f64, String> {
    let speed: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if (0.1..=1000.0).contains(&speed) {
        Ok(speed)
    } else {
        Err(format!("{speed} is out of range (0.1 to 1000)"))
    }
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Event log files, one intersection's each, named `SITE.csv` or `SITE-...csv`.
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// The corridor the intersections belong to (their detectors and phases).
    #[arg(long, value_name = "FILE")]
    pub corridor: PathBuf,
    /// Logs of the same intersections before a change, to compare with.
    #[arg(long, value_name = "LOG", num_args = 1..)]
    pub before: Vec<PathBuf>,
    /// Write index.html, SITE.html, waits.svg, measures.json, phases.csv and approaches.csv
    /// here.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum AtspmCommand {
    /// Print the detector configuration of a corridor's intersections as ATSPM tools take it
    /// (CSV: DeviceId, Phase, Parameter, Function, distance from the stop bar, ...), phases and
    /// channels numbered as in the event log.
    ///
    /// Exits 2 when the corridor is invalid.
    Detectors(AtspmDetectorsArgs),
}

#[derive(Args, Debug)]
pub struct AtspmDetectorsArgs {
    /// The corridor file.
    pub corridor: PathBuf,
    /// Write the CSV here instead of to standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[cfg(feature = "sim")]
#[derive(Subcommand, Debug)]
pub enum GenerateCommand {
    /// A grid of signalised four-leg intersections: writes scenario.toml, corridor.toml, the
    /// intersection and a base plan into a folder, the same for the same arguments.
    Grid(GridArgs),
}

#[cfg(feature = "sim")]
#[derive(Args, Debug)]
pub struct GridArgs {
    /// Intersections north to south.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub rows: u16,
    /// Intersections west to east.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub cols: u16,
    /// Distance between neighbouring intersections, m.
    #[arg(long, default_value_t = 300.0, value_name = "M")]
    pub spacing_m: f64,
    /// Demand entering each east-west street at each end, veh/h.
    #[arg(long, default_value_t = 600.0, value_name = "VEH_H")]
    pub arterial_veh_h: f64,
    /// Demand entering each north-south street at each end, veh/h.
    #[arg(long, default_value_t = 400.0, value_name = "VEH_H")]
    pub cross_veh_h: f64,
    /// The controller of every intersection.
    #[arg(long, default_value = "fixed", value_name = "NAME")]
    pub controller: String,
    /// Simulated seconds.
    #[arg(long, default_value_t = 3600.0, value_name = "S")]
    pub duration: f64,
    /// The seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The folder to write into (created if need be).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    #[cfg(feature = "sim")]
    /// Compute Webster fixed-time plans for every intersection of a scenario, with a common
    /// cycle and green-wave offsets along the arterial, and write them as plan files.
    Webster(WebsterArgs),
    #[cfg(feature = "sim")]
    /// Compute Webster plans on one cycle for every intersection of a network, with offsets
    /// that coordinate every street in both directions (not one arterial), and write them.
    ///
    /// Prints each site's plan, the expected platoon delay per vehicle on the links between
    /// signals before (the one-arterial green wave of `plan webster`) and after, and a warning
    /// for every stage whose degree of saturation exceeds 0.9.
    Network(NetworkArgs),
    /// Publish a timing plan to a site over MQTT and wait for its acknowledgement.
    ///
    /// Prints each `plan/ack`; exits 0 when the plan is accepted (and waits a while for it to
    /// become active), 1 when it is rejected, 2 when no answer comes in time.
    Publish(PublishArgs),
    /// Sign a timing plan for a site (Ed25519) and print the signed `plan/set` payload.
    Sign(SignArgs),
}

#[derive(Args, Debug)]
pub struct ConnectArgs {
    /// The broker, `mqtt://host:port` or `mqtts://host:port` (TLS).
    #[arg(long, value_name = "URL")]
    pub broker: String,
    /// TLS: the CA certificate (PEM).
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// TLS: this client's certificate (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS: this client's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BrokerArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 10.0, value_name = "S")]
    pub timeout: f64,
}

#[derive(Args, Debug)]
pub struct PublishArgs {
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// The site the plan is for.
    #[arg(long)]
    pub site: String,
    /// The timing-plan file (TOML, as in config/plans/).
    pub plan: PathBuf,
    /// Sign the plan with this private key (from `greenwave keygen`).
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    /// How long a signed plan may be taken (e.g. `24h`, `30m`).
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub valid_for: String,
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// The private key (from `greenwave keygen`).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// The site the plan is for.
    #[arg(long)]
    pub site: String,
    /// How long the signed plan may be taken (e.g. `24h`, `30m`).
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub valid_for: String,
    /// The timing-plan file.
    pub plan: PathBuf,
}

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Where to write the key pair: PATH.key and PATH.pub.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum ModeCommand {
    /// Set a site's mode: adaptive, plan (the active plan as fixed time), flash or local.
    ///
    /// Exits 0 once the site's status shows the mode, 2 when it does not in time.
    Set(ModeSetArgs),
}

#[derive(Args, Debug)]
pub struct ModeSetArgs {
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// The site.
    #[arg(long)]
    pub site: String,
    /// adaptive, plan, flash or local.
    #[arg(value_parser = ["adaptive", "plan", "flash", "local"])]
    pub mode: String,
    /// Sign the order with this private key (from `greenwave keygen`): sites with trusted keys
    /// take only signed orders.
    #[arg(long)]
    pub sign: Option<PathBuf>,
    /// How long a signed order may be taken (e.g. `10m`).
    #[arg(long, default_value = "10m")]
    pub valid_for: String,
}

#[derive(Subcommand, Debug)]
pub enum OpsCommand {
    /// A live table of every site from its retained status and its SPaT.
    ///
    /// Signals, one letter per signal group: G green, g flashing green, A amber, r red+amber,
    /// . red, a flashing amber.
    Watch(WatchArgs),
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Print the table once after this many seconds and exit.
    #[arg(long, value_name = "S")]
    pub once_after: Option<f64>,
}

#[cfg(feature = "sim")]
#[derive(Args, Debug)]
pub struct WebsterArgs {
    /// The scenario whose peak demand the plans are for.
    pub scenario: PathBuf,
    /// Direction the green wave favours.
    #[arg(long, value_enum, default_value_t = WaveDirection::Eb)]
    pub direction: WaveDirection,
    /// Progression speed of the green wave (default: the links' speed).
    #[arg(long, value_name = "KM/H")]
    pub speed_kmh: Option<f64>,
    /// Longest cycle allowed, s.
    #[arg(long, default_value_t = 120.0, value_name = "S")]
    pub max_cycle: f64,
    /// Let an intersection that needs no more than half the common cycle run that half twice
    /// in each common cycle (double cycling).
    #[arg(long)]
    pub half_cycles: bool,
    /// Folder to write one plan file per intersection into (`SITE.toml`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[cfg(feature = "sim")]
#[derive(Args, Debug)]
pub struct NetworkArgs {
    /// The scenario whose peak demand the plans are for.
    pub scenario: PathBuf,
    /// Longest cycle allowed, s.
    #[arg(long, default_value_t = 120.0, value_name = "S")]
    pub max_cycle: f64,
    /// Let an intersection that needs no more than half the common cycle run that half twice
    /// in each common cycle (double cycling).
    #[arg(long)]
    pub half_cycles: bool,
    /// Folder to write one plan file per intersection into (`SITE.toml`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[cfg(feature = "sim")]
/// A direction of travel.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveDirection {
    /// Eastbound.
    Eb,
    /// Westbound.
    Wb,
    /// Northbound.
    Nb,
    /// Southbound.
    Sb,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// List, for every intersection of a corridor or scenario, the intergreens its geometry
    /// asks for (EN 12675) beside the ones given.
    #[arg(long)]
    pub intergreens: bool,
}

#[cfg(feature = "sim")]
/// How `greenwave sim` prints its summary.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// A table for people.
    #[default]
    Table,
    /// One JSON object on stdout.
    Json,
}

#[cfg(feature = "sim")]
#[derive(Args, Debug)]
pub struct SimArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Run this controller instead of the scenario's.
    #[arg(long, value_name = "NAME")]
    pub controller: Option<String>,
    /// Run several controllers on the same demand and seeds, side by side (comma-separated).
    #[arg(
        long,
        value_name = "A,B,...",
        value_delimiter = ',',
        conflicts_with = "controller"
    )]
    pub compare: Vec<String>,
    /// The first seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// How many seeds to run, from the first on; figures are averaged over them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub seeds: u64,
    /// Simulated seconds (default: the scenario's duration).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Threads stepping the intersections (default: one per core); the results are the same
    /// whatever the number.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Run without transit signal priority (buses still check in; nobody answers), to see
    /// what priority does.
    #[arg(long)]
    pub no_priority: bool,
    /// Write per-vehicle and per-interval CSV files and SVG pictures to this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With --out: draw the time-space diagram along this route, through these intersections
    /// in order, each next to the one before (`time-space-J1-J2-J3.svg`); may be given several
    /// times. Without it: along the arterial both ways.
    #[arg(long, value_name = "J1,J2,...")]
    pub path: Vec<String>,
    /// Summary as a table or as JSON.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Write each intersection's high-resolution event log (Indiana format, `SITE.csv`, for
    /// ATSPM tools) to this folder, for the first seed (a folder per controller when comparing).
    #[arg(long, value_name = "DIR")]
    pub event_log: Option<PathBuf>,
    /// The local date and time the simulation starts at, for the event log's timestamps.
    #[arg(
        long,
        value_name = "YYYY-MM-DDTHH:MM:SS",
        default_value = "2026-06-02T16:00:00"
    )]
    pub start: jiff::civil::DateTime,
    /// The intersections' IANA time zone, for the event log's timestamps.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub time_zone: String,
}
