//! greenwave's I/O shell: the edge daemon that runs in an intersection cabinet, its Modbus field
//! I/O, and the virtual cabinet that serves the simulator over Modbus. The control logic itself
//! lives in `greenwave-controllers`; this crate connects it to the world.

#[cfg(feature = "sim")]
pub mod cabinet;
pub mod daemon;
pub mod eventlog;
pub mod fieldio;
pub mod measures;
pub mod mqtt;
pub mod untrusted;
