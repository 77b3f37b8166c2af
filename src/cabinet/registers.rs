//! One cabinet's register bank, served over Modbus TCP (tokio-modbus server) with the reference
//! map (`docs/spec/cabinet-modbus.md`): input registers read with function 04, holding registers
//! read with 03 and written with 06 and 16. An address outside the map is answered with
//! exception 02 (illegal data address); an aspect code above 7 or a control request above 3
//! with exception 03 (illegal data value), and nothing of that request is applied.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_modbus::prelude::{ExceptionCode, Request, Response};
use tokio_modbus::server::tcp::{Server, accept_tcp_connection};

pub use crate::fieldio::reference::address;
use crate::fieldio::reference::{MAX_ASPECT, request};

/// The registers of one cabinet with `channels` detector channels and `groups` signal groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bank {
    /// Input registers 0..6.
    pub header: [u16; 6],
    /// Input registers from 100, four per channel.
    pub detectors: Vec<u16>,
    /// Input registers from 300.
    pub shown: Vec<u16>,
    /// Holding register 0.
    pub watchdog: u16,
    /// Holding register 1.
    pub control_request: u16,
    /// Holding registers from 200.
    pub commanded: Vec<u16>,
    /// Write requests to the commanded aspects so far.
    pub command_writes: u64,
    /// Of those, requests that set only some of the groups.
    pub partial_command_writes: u64,
}

impl Bank {
    /// A bank for a cabinet of that size, everything red and local.
    pub fn new(channels: u16, groups: u16) -> Bank {
        let mut header = [0; 6];
        header[usize::from(address::DETECTOR_CHANNELS)] = channels;
        header[usize::from(address::SIGNAL_GROUPS)] = groups;
        Bank {
            header,
            detectors: vec![0; usize::from(channels) * 4],
            shown: vec![1; usize::from(groups)],
            watchdog: 0,
            control_request: 0,
            commanded: vec![1; usize::from(groups)],
            command_writes: 0,
            partial_command_writes: 0,
        }
    }

    fn input(&self, addr: u16) -> Option<u16> {
        let a = usize::from(addr);
        if a < self.header.len() {
            return Some(self.header[a]);
        }
        if let Some(i) = a.checked_sub(address::DETECTORS.into())
            && i < self.detectors.len()
        {
            return Some(self.detectors[i]);
        }
        let i = a.checked_sub(address::SHOWN_ASPECT.into())?;
        self.shown.get(i).copied()
    }

    fn holding(&self, addr: u16) -> Option<u16> {
        match addr {
            address::WATCHDOG => Some(self.watchdog),
            address::CONTROL_REQUEST => Some(self.control_request),
            _ => {
                let i = usize::from(addr.checked_sub(address::COMMANDED_ASPECT)?);
                self.commanded.get(i).copied()
            }
        }
    }

    /// Checks a write of `words` from `addr` as a whole.
    fn check_write(&self, addr: u16, words: &[u16]) -> Result<(), ExceptionCode> {
        for (k, &w) in words.iter().enumerate() {
            let a = u16::try_from(usize::from(addr) + k)
                .map_err(|_| ExceptionCode::IllegalDataAddress)?;
            self.holding(a).ok_or(ExceptionCode::IllegalDataAddress)?;
            let limit = match a {
                address::WATCHDOG => u16::MAX,
                address::CONTROL_REQUEST => request::MAX,
                _ => MAX_ASPECT,
            };
            if w > limit {
                return Err(ExceptionCode::IllegalDataValue);
            }
        }
        Ok(())
    }

    fn write(&mut self, addr: u16, words: &[u16]) {
        for (k, &w) in words.iter().enumerate() {
            match addr + k as u16 {
                address::WATCHDOG => self.watchdog = w,
                address::CONTROL_REQUEST => self.control_request = w,
                a => self.commanded[usize::from(a - address::COMMANDED_ASPECT)] = w,
            }
        }
        if addr >= address::COMMANDED_ASPECT {
            self.command_writes += 1;
            if words.len() < self.commanded.len() {
                self.partial_command_writes += 1;
            }
        }
    }

    /// Answers one request.
    pub fn serve(&mut self, request: Request<'_>) -> Result<Response, ExceptionCode> {
        let read = |get: &dyn Fn(u16) -> Option<u16>, addr: u16, count: u16| {
            (0..count)
                .map(|k| addr.checked_add(k).and_then(get))
                .collect::<Option<Vec<u16>>>()
                .ok_or(ExceptionCode::IllegalDataAddress)
        };
        match request {
            Request::ReadInputRegisters(addr, count) => {
                read(&|a| self.input(a), addr, count).map(Response::ReadInputRegisters)
            }
            Request::ReadHoldingRegisters(addr, count) => {
                read(&|a| self.holding(a), addr, count).map(Response::ReadHoldingRegisters)
            }
            Request::WriteSingleRegister(addr, word) => {
                self.check_write(addr, &[word])?;
                self.write(addr, &[word]);
                Ok(Response::WriteSingleRegister(addr, word))
            }
            Request::WriteMultipleRegisters(addr, words) => {
                self.check_write(addr, &words)?;
                self.write(addr, &words);
                Ok(Response::WriteMultipleRegisters(addr, words.len() as u16))
            }
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }
}

/// A bank shared between the Modbus server and whoever fills it.
#[derive(Clone, Debug)]
pub struct SharedBank {
    bank: Arc<Mutex<Bank>>,
    /// Delay before the next answer, ms (to test timeouts); reset once used.
    delay_next_ms: Arc<AtomicU64>,
}

impl SharedBank {
    /// Shares `bank`.
    pub fn new(bank: Bank) -> SharedBank {
        SharedBank {
            bank: Arc::new(Mutex::new(bank)),
            delay_next_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Locks the bank.
    pub fn lock(&self) -> MutexGuard<'_, Bank> {
        // A panic while holding the lock leaves plain numbers behind; carry on with them.
        self.bank.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delays the next answer by `delay` (a slow or congested cabinet).
    pub fn delay_next_answer(&self, delay: Duration) {
        self.delay_next_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

impl tokio_modbus::server::Service for SharedBank {
    type Request = Request<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Pin<Box<dyn Future<Output = Result<Response, ExceptionCode>> + Send>>;

    fn call(&self, request: Self::Request) -> Self::Future {
        let answer = self.lock().serve(request);
        let delay = self.delay_next_ms.swap(0, Ordering::SeqCst);
        Box::pin(async move {
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            answer
        })
    }
}

/// Serves `bank` on `listener` until the returned task is aborted (which also closes every
/// connection).
pub fn serve(listener: TcpListener, bank: SharedBank) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let server = Server::new(listener);
        let new_service = move |_addr: SocketAddr| Ok(Some(bank.clone()));
        let on_connected = |stream, addr| {
            let new_service = new_service.clone();
            async move { accept_tcp_connection(stream, addr, new_service) }
        };
        let on_error = |e| tracing::debug!(error = %e, "modbus connection ended");
        if let Err(e) = server.serve(&on_connected, on_error).await {
            tracing::warn!(error = %e, "modbus server stopped");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn reads_writes_and_exceptions() {
        let mut bank = Bank::new(2, 3);
        assert_eq!(
            bank.serve(Request::ReadInputRegisters(0, 6)),
            Ok(Response::ReadInputRegisters(vec![0, 2, 3, 0, 0, 0]))
        );
        assert_eq!(
            bank.serve(Request::ReadInputRegisters(104, 5)),
            Err(ExceptionCode::IllegalDataAddress),
            "past the last channel"
        );
        assert_eq!(
            bank.serve(Request::WriteMultipleRegisters(
                200,
                Cow::Owned(vec![3, 1, 8])
            )),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            bank.commanded,
            vec![1, 1, 1],
            "nothing of a refused write applied"
        );
        assert_eq!(
            bank.serve(Request::WriteSingleRegister(1, 3)),
            Ok(Response::WriteSingleRegister(1, 3)),
            "3: flash at once (map v2)"
        );
        assert_eq!(
            bank.serve(Request::WriteSingleRegister(1, 4)),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            bank.serve(Request::WriteSingleRegister(2, 0)),
            Err(ExceptionCode::IllegalDataAddress)
        );
        bank.serve(Request::WriteMultipleRegisters(
            200,
            Cow::Owned(vec![3, 1, 5]),
        ))
        .unwrap();
        assert_eq!(
            (bank.commanded.clone(), bank.command_writes),
            (vec![3, 1, 5], 1)
        );
        assert_eq!(
            bank.serve(Request::ReadCoils(0, 1)),
            Err(ExceptionCode::IllegalFunction)
        );
    }
}
