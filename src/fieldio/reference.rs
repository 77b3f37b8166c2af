//! The reference cabinet register map, v2 (`docs/spec/cabinet-modbus.md`), in one place: its
//! addresses, the values its registers take and what they mean. The daemon's field I/O reads
//! and writes it (as the default of a configurable [`super::regmap::RegisterMap`]); the virtual
//! cabinet serves it.

/// Zero-based protocol addresses.
pub mod address {
    /// Input: the I/O module's heartbeat, incremented once a second.
    pub const IO_HEARTBEAT: u16 = 0;
    /// Input: how many detector channels the cabinet has.
    pub const DETECTOR_CHANNELS: u16 = 1;
    /// Input: how many signal groups it has.
    pub const SIGNAL_GROUPS: u16 = 2;
    /// Input: status bits ([`super::status`]).
    pub const CABINET_STATUS: u16 = 3;
    /// Input: the cabinet clock in deciseconds, two registers, high word first.
    pub const CLOCK_DS: u16 = 4;
    /// Input: channel 0's count; each channel has four registers (count, on-time, presence,
    /// fault code).
    pub const DETECTORS: u16 = 100;
    /// Registers per detector channel.
    pub const DETECTOR_STRIDE: u16 = 4;
    /// Input: group 0's shown aspect (load-switch feedback).
    pub const SHOWN_ASPECT: u16 = 300;
    /// Holding: the watchdog the daemon keeps changing.
    pub const WATCHDOG: u16 = 0;
    /// Holding: the control request ([`super::request`]).
    pub const CONTROL_REQUEST: u16 = 1;
    /// Holding: group 0's commanded aspect.
    pub const COMMANDED_ASPECT: u16 = 200;
}

/// `control_request` values.
pub mod request {
    /// Hand the signals to the cabinet's local fallback.
    pub const LOCAL: u16 = 0;
    /// The daemon drives the signal groups.
    pub const EXTERNAL: u16 = 1;
    /// Flashing amber, entered at the end of the red clearance (the daemon asks for it once it
    /// has cleared every group to red; a cabinet in local control winds its own plan down
    /// first).
    pub const FLASH: u16 = 2;
    /// Flashing amber at once, for a fault the daemon latched (v2).
    pub const FLASH_NOW: u16 = 3;
    /// The largest value.
    pub const MAX: u16 = FLASH_NOW;
}

/// `cabinet_status` bits.
pub mod status {
    /// The local fallback is in charge (watchdog expired or local control requested).
    pub const LOCAL: u16 = 1;
    /// Flashing.
    pub const FLASHING: u16 = 1 << 1;
    /// The hardware conflict monitor tripped (latched).
    pub const CONFLICT: u16 = 1 << 2;
    /// The cabinet door is open.
    pub const DOOR_OPEN: u16 = 1 << 3;
}

/// The largest aspect code (7, flashing don't walk, map v3; the codes are
/// `greenwave_controllers::model::Aspect::code`).
pub const MAX_ASPECT: u16 = 7;
