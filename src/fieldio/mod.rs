//! Field I/O: the cabinet over Modbus (tokio-modbus), after the reference register map
//! (`docs/spec/cabinet-modbus.md`). The reference map's addresses and values ([`reference`],
//! shared with the virtual cabinet), the configurable register map ([`regmap`]), a self-healing connection
//! ([`link`]), what one poll reads ([`reading`]) and the poller task that joins them to the
//! control loop by channels ([`poller`]).

pub mod coils;
pub mod link;
pub mod poller;
pub mod reading;
pub mod reference;
pub mod regmap;
