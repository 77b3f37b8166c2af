//! The seam between the coil poller and one module: the requests the poller makes of it. A
//! [`Link`] in the daemon; an in-memory module in the tests, so the order and timing of
//! requests can be checked on paused time.

use std::future::Future;

use crate::fieldio::link::{Link, LinkCounters, LinkError};

/// One module's Modbus requests. Each settles every outcome itself: a failure has dropped the
/// connection before the error is returned.
pub trait ModuleLink {
    /// True while a connection is open.
    fn connected(&self) -> bool;
    /// What was counted since the last call.
    fn take_counters(&mut self) -> LinkCounters;
    /// Reads `count` discrete inputs from `address` (function 02).
    fn read_discrete(
        &mut self,
        address: u16,
        count: u16,
    ) -> impl Future<Output = Result<Vec<bool>, LinkError>> + Send;
    /// Reads `count` input registers from `address` (function 04).
    fn read_input(
        &mut self,
        address: u16,
        count: u16,
    ) -> impl Future<Output = Result<Vec<u16>, LinkError>> + Send;
    /// Reads `count` holding registers from `address` (function 03).
    fn read_holding(
        &mut self,
        address: u16,
        count: u16,
    ) -> impl Future<Output = Result<Vec<u16>, LinkError>> + Send;
    /// Writes one holding register (function 06).
    fn write_register(
        &mut self,
        address: u16,
        word: u16,
    ) -> impl Future<Output = Result<(), LinkError>> + Send;
    /// Writes `values` to coils from `address` in one request (function 15).
    fn write_coils(
        &mut self,
        address: u16,
        values: &[bool],
    ) -> impl Future<Output = Result<(), LinkError>> + Send;
}

impl ModuleLink for Link {
    fn connected(&self) -> bool {
        Link::connected(self)
    }

    fn take_counters(&mut self) -> LinkCounters {
        Link::take_counters(self)
    }

    async fn read_discrete(&mut self, address: u16, count: u16) -> Result<Vec<bool>, LinkError> {
        Link::read_discrete(self, address, count).await
    }

    async fn read_input(&mut self, address: u16, count: u16) -> Result<Vec<u16>, LinkError> {
        Link::read_input(self, address, count).await
    }

    async fn read_holding(&mut self, address: u16, count: u16) -> Result<Vec<u16>, LinkError> {
        Link::read_holding(self, address, count).await
    }

    async fn write_register(&mut self, address: u16, word: u16) -> Result<(), LinkError> {
        Link::write_register(self, address, word).await
    }

    async fn write_coils(&mut self, address: u16, values: &[bool]) -> Result<(), LinkError> {
        Link::write_coils(self, address, values).await
    }
}
