//! The MQTT side of greenwave (topics after `spec/mqtt.md`): an embedded broker for the demo and
//! the tests ([`broker`]).

pub mod broker;
