//! The wiring sections of a cabinet config as written: `[[modules]]`, and the terminal
//! references of `[lamps]`, `[feedback]` and `[detectors]`.

use serde::{Deserialize, Serialize};

/// `[[modules]]`: one I/O module on Modbus TCP.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleSpec {
    /// Its name in terminal references (`io` in `io.DO3`).
    pub name: String,
    /// Its device profile, relative to the cabinet config.
    pub profile: String,
    /// `host:port`.
    pub address: String,
    /// Modbus unit id (1 to 247).
    #[serde(default = "unit")]
    pub unit_id: u16,
    /// The module's own communication watchdog, ms (required when it drives lamps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watchdog_ms: Option<u32>,
}

fn unit() -> u16 {
    1
}

/// One group's lamps (or their sensing inputs), as terminal references `module.TERMINAL`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LampsSpec {
    /// Red (a pedestrian head's don't walk).
    #[serde(alias = "dont_walk", skip_serializing_if = "Option::is_none")]
    pub red: Option<String>,
    /// Amber.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amber: Option<String>,
    /// Green (a pedestrian head's walk).
    #[serde(alias = "walk", skip_serializing_if = "Option::is_none")]
    pub green: Option<String>,
}

/// One detector channel's inputs.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    /// The card's presence relay.
    pub presence: String,
    /// The card's fault relay, if wired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}
