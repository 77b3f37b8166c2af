//! The MQTT side of greenwave (topics after `docs/spec/mqtt.md`): the payloads ([`payload`]), a
//! link that never blocks its caller ([`link`]), and an embedded broker for the demo and the
//! tests ([`broker`]).

#[cfg(feature = "sim")]
pub mod broker;
pub mod link;
pub mod payload;
pub mod signing;
