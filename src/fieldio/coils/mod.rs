//! Field I/O for a cabinet built of commodity Modbus I/O modules instead of a controller that
//! speaks the reference map: lamps on coils, detector card relays and lamp sensing on discrete
//! inputs, hardware counters where a module has them. A device profile per module family
//! ([`profile`]), the cabinet's wiring against it ([`wiring`]), lamps from aspects and the
//! order of writes that never lights conflicting greens ([`lamps`]), the daemon's own flasher
//! ([`flasher`]), counts from presence edges
//! ([`presence`]), and the task that joins them to the control loop ([`poller`]).
//! `docs/profiles.md` says how to write a profile and wire a cabinet.

pub mod autowire;
pub mod flasher;
pub mod lamps;
pub mod poller;
pub mod presence;
pub mod profile;
pub mod table;
pub mod wiring;
