//! The I/O modules of one virtual cabinet, laid out by their device profile and served over
//! Modbus TCP, one unit id each (as behind a gateway): coils read with 01 and written with 05
//! and 15, discrete inputs read with 02, counter registers with 04 (or 03), the watchdog's
//! holding registers written with 06 and 16. An address the profile does not have is answered
//! with exception 02, an unknown unit id with 0B (gateway target failed to respond). Each module
//! keeps its own watchdog: when enabled and not kept alive within its timeout, every output
//! goes off until the next write, as the modules sold for this do. A module whose profile has
//! a flash function has the flash-enable coils too, and flashes an output whose enable is set
//! at the profile's rate, on its own clock ([`ModuleBank::output`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio_modbus::prelude::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_modbus::server::tcp::{Server, accept_tcp_connection};

use crate::fieldio::coils::profile::{Flash, Profile, RegisterTable, Terminal, Watchdog};

/// One module's tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleBank {
    /// Unit id.
    pub unit: u8,
    /// Coils by address (false where the profile has none, refused on access).
    pub coils: Vec<Option<bool>>,
    /// Discrete inputs by address.
    pub inputs: Vec<Option<bool>>,
    /// Input registers (counters).
    pub input_registers: BTreeMap<u16, u16>,
    /// Holding registers (watchdog, counters kept there).
    pub holding: BTreeMap<u16, u16>,
    watchdog: Option<Watchdog>,
    flash: Option<Flash>,
    /// When each flash-enable coil that is set was set: the output's flash cycle begins then.
    enabled_at: BTreeMap<u16, Instant>,
    kept: Instant,
    /// The watchdog expired and cut the outputs (until the next coil write).
    pub cut: bool,
    /// Coil write requests so far.
    pub coil_writes: u64,
}

impl ModuleBank {
    /// A module of `profile` at `unit`, every output off.
    pub fn new(profile: &Profile, unit: u8) -> ModuleBank {
        let mut coils = Vec::new();
        let mut inputs = Vec::new();
        let mut input_registers = BTreeMap::new();
        let mut holding = BTreeMap::new();
        let put = |v: &mut Vec<Option<bool>>, a: u16| {
            if v.len() <= usize::from(a) {
                v.resize(usize::from(a) + 1, None);
            }
            v[usize::from(a)] = Some(false);
        };
        for t in profile.terminals.values() {
            match *t {
                Terminal::Output(a) => {
                    put(&mut coils, a);
                    if let Some(f) = &profile.flash {
                        put(&mut coils, a + f.enable_offset);
                    }
                }
                Terminal::Input(a, counter) => {
                    put(&mut inputs, a);
                    if let Some(c) = counter {
                        let table = match c.table {
                            RegisterTable::Input => &mut input_registers,
                            RegisterTable::Holding => &mut holding,
                        };
                        for k in 0..c.registers {
                            table.insert(c.address + k, 0);
                        }
                    }
                }
            }
        }
        if let Some(w) = &profile.watchdog {
            let registers = [
                Some(w.timeout_register),
                w.keepalive_register,
                w.enable.map(|e| e.0),
            ];
            for r in registers.into_iter().flatten() {
                holding.insert(r, 0);
            }
        }
        if let Some((r, _)) = profile.flash.as_ref().and_then(|f| f.rate) {
            holding.insert(r, 0);
        }
        ModuleBank {
            unit,
            coils,
            inputs,
            input_registers,
            holding,
            watchdog: profile.watchdog.clone(),
            flash: profile.flash.clone(),
            enabled_at: BTreeMap::new(),
            kept: Instant::now(),
            cut: false,
            coil_writes: 0,
        }
    }

    /// The watchdog's timeout, if it is on.
    fn timeout(&self) -> Option<Duration> {
        let w = self.watchdog.as_ref()?;
        let enabled = w
            .enable
            .is_none_or(|(r, v)| self.holding.get(&r) == Some(&v));
        let units = *self.holding.get(&w.timeout_register)?;
        (enabled && units > 0)
            .then(|| Duration::from_millis(u64::from(units) * u64::from(w.unit_ms)))
    }

    /// Cuts the outputs if the watchdog expired at `now`.
    pub fn check_watchdog(&mut self, now: Instant) {
        if let Some(timeout) = self.timeout()
            && now.saturating_duration_since(self.kept) > timeout
            && !self.cut
        {
            self.cut = true;
            self.enabled_at.clear();
            for c in self.coils.iter_mut().flatten() {
                *c = false;
            }
        }
    }

    /// A coil's state (false for one the profile does not have).
    pub fn coil(&self, address: u16) -> bool {
        self.coils
            .get(usize::from(address))
            .copied()
            .flatten()
            .unwrap_or(false)
    }

    /// Whether the output at `address` lights its lamp at `now`: its coil is on and, if its
    /// flash enable is set, its flash cycle (which begins dark when the enable is set, at the
    /// profile's rate) is in its lit half.
    pub fn output(&self, address: u16, now: Instant) -> bool {
        let Some(f) = &self.flash else {
            return self.coil(address);
        };
        let Some(since) = self.enabled_at.get(&(address + f.enable_offset)) else {
            return self.coil(address);
        };
        let half_s = 30.0 / f64::from(f.flashes_per_minute);
        let half = (now.saturating_duration_since(*since).as_secs_f64() / half_s) as u64;
        self.coil(address) && half % 2 == 1
    }

    /// Sets a discrete input.
    pub fn set_input(&mut self, address: u16, value: bool) {
        if let Some(Some(v)) = self.inputs.get_mut(usize::from(address)) {
            *v = value;
        }
    }

    /// Answers one request at `now`.
    pub fn serve(&mut self, request: Request<'_>, now: Instant) -> Result<Response, ExceptionCode> {
        let keepalive_register = self.watchdog.as_ref().and_then(|w| w.keepalive_register);
        if keepalive_register.is_none() {
            self.kept = now;
        }
        let bits = |v: &[Option<bool>], a: u16, n: u16| -> Result<Vec<bool>, ExceptionCode> {
            (0..n)
                .map(|k| v.get(usize::from(a) + usize::from(k)).copied().flatten())
                .collect::<Option<Vec<bool>>>()
                .ok_or(ExceptionCode::IllegalDataAddress)
        };
        let words = |t: &BTreeMap<u16, u16>, a: u16, n: u16| -> Result<Vec<u16>, ExceptionCode> {
            (0..n)
                .map(|k| a.checked_add(k).and_then(|a| t.get(&a).copied()))
                .collect::<Option<Vec<u16>>>()
                .ok_or(ExceptionCode::IllegalDataAddress)
        };
        match request {
            Request::ReadCoils(a, n) => bits(&self.coils, a, n).map(Response::ReadCoils),
            Request::ReadDiscreteInputs(a, n) => {
                bits(&self.inputs, a, n).map(Response::ReadDiscreteInputs)
            }
            Request::ReadInputRegisters(a, n) => {
                words(&self.input_registers, a, n).map(Response::ReadInputRegisters)
            }
            Request::ReadHoldingRegisters(a, n) => {
                words(&self.holding, a, n).map(Response::ReadHoldingRegisters)
            }
            Request::WriteSingleCoil(a, v) => {
                self.write_coils(a, &[v], now)?;
                Ok(Response::WriteSingleCoil(a, v))
            }
            Request::WriteMultipleCoils(a, values) => {
                self.write_coils(a, &values, now)?;
                Ok(Response::WriteMultipleCoils(a, values.len() as u16))
            }
            Request::WriteSingleRegister(a, w) => {
                self.write_registers(a, &[w], keepalive_register, now)?;
                Ok(Response::WriteSingleRegister(a, w))
            }
            Request::WriteMultipleRegisters(a, ws) => {
                self.write_registers(a, &ws, keepalive_register, now)?;
                Ok(Response::WriteMultipleRegisters(a, ws.len() as u16))
            }
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }

    /// Applies a coil write as a whole, or nothing of it.
    fn write_coils(&mut self, a: u16, values: &[bool], now: Instant) -> Result<(), ExceptionCode> {
        let range = usize::from(a)..usize::from(a) + values.len();
        if self
            .coils
            .get(range.clone())
            .is_none_or(|c| c.iter().any(Option::is_none))
        {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        for (slot, &v) in self.coils[range].iter_mut().zip(values) {
            *slot = Some(v);
        }
        if self.flash.is_some() {
            for (k, &v) in values.iter().enumerate() {
                let coil = a + k as u16;
                if !v {
                    self.enabled_at.remove(&coil);
                } else if self.is_enable(coil) {
                    self.enabled_at.entry(coil).or_insert(now);
                }
            }
        }
        self.cut = false;
        self.coil_writes += 1;
        Ok(())
    }

    /// Whether `coil` is a flash-enable coil.
    fn is_enable(&self, coil: u16) -> bool {
        self.flash.as_ref().is_some_and(|f| {
            coil.checked_sub(f.enable_offset)
                .and_then(|o| self.coils.get(usize::from(o)))
                .is_some_and(Option::is_some)
        })
    }

    fn write_registers(
        &mut self,
        a: u16,
        words: &[u16],
        keepalive: Option<u16>,
        now: Instant,
    ) -> Result<(), ExceptionCode> {
        for k in 0..words.len() {
            let address = a
                .checked_add(k as u16)
                .ok_or(ExceptionCode::IllegalDataAddress)?;
            if !self.holding.contains_key(&address) {
                return Err(ExceptionCode::IllegalDataAddress);
            }
        }
        for (k, &w) in words.iter().enumerate() {
            let address = a + k as u16;
            if Some(address) == keepalive && self.holding.get(&address) != Some(&w) {
                self.kept = now;
            }
            self.holding.insert(address, w);
        }
        Ok(())
    }
}

/// A cabinet's modules, shared between the Modbus server and the simulation.
#[derive(Clone, Debug)]
pub struct SharedModules(Arc<Mutex<Vec<ModuleBank>>>);

impl SharedModules {
    /// Shares `modules`.
    pub fn new(modules: Vec<ModuleBank>) -> SharedModules {
        SharedModules(Arc::new(Mutex::new(modules)))
    }

    /// Locks them.
    pub fn lock(&self) -> MutexGuard<'_, Vec<ModuleBank>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl tokio_modbus::server::Service for SharedModules {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Pin<Box<dyn Future<Output = Result<Response, ExceptionCode>> + Send>>;

    fn call(&self, request: Self::Request) -> Self::Future {
        let now = Instant::now();
        let answer = match self.lock().iter_mut().find(|m| m.unit == request.slave) {
            Some(module) => module.serve(request.request, now),
            None => Err(ExceptionCode::GatewayTargetDevice),
        };
        Box::pin(std::future::ready(answer))
    }
}

/// Serves `modules` on `listener` until the returned task is aborted.
pub fn serve(listener: TcpListener, modules: SharedModules) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let server = Server::new(listener);
        let new_service = move |_addr: SocketAddr| Ok(Some(modules.clone()));
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
