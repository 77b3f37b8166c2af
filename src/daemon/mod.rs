//! The edge daemon: the program in the intersection cabinet. Its config ([`config`]), its
//! sans-IO control loop ([`control`]), the tasks that run it against a cabinet ([`run`]) (with
//! the high-resolution event log of [`crate::eventlog`]), and its MQTT uplink ([`uplink`]) with
//! the neighbours' forecasts ([`neighbours`]).

pub mod audit;
pub mod clock;
pub mod config;
pub mod control;
pub mod log_clock;
pub mod metrics;
pub mod neighbours;
pub mod notify;
pub mod orders;
pub mod plan_gate;
pub mod run;
pub mod spat;
pub mod telemetry;
pub mod uplink;
