//! One Modbus connection to a cabinet (TCP, or RTU over a serial line), made safe to use from a
//! control system.
//!
//! tokio-modbus 0.17 has no timeouts, and after a request that timed out its late reply is read
//! as the answer to the next one. So every request here runs under a timeout, and after any
//! timeout, transport error, exception or malformed reply the connection is dropped; the next
//! request reconnects, no sooner than an exponential backoff allows. Every reply is judged on
//! its frame before it is used ([`reply`]): a module answering the wrong number of bits or
//! registers, or a write echoing another address, is an error, never a panic.

use std::borrow::Cow;
use std::io;
use std::time::Duration;

use tokio::time::{Instant, timeout};
use tokio_modbus::client::{Client, Context, rtu, tcp};
use tokio_modbus::{ExceptionCode, Request, Response, Slave};

/// Why a request did not get its answer.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Waiting out the backoff after an earlier failure.
    #[error("reconnecting in {0:.1?}")]
    Backoff(Duration),
    /// The connection could not be made.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// Where.
        address: String,
        /// Why.
        source: io::Error,
    },
    /// No answer in time.
    #[error("{what}: no answer within {timeout:?}")]
    Timeout {
        /// The request.
        what: String,
        /// The limit.
        timeout: Duration,
    },
    /// The connection failed.
    #[error("{what}: {source}")]
    Transport {
        /// The request.
        what: String,
        /// Why.
        source: tokio_modbus::Error,
    },
    /// The cabinet answered with an exception.
    #[error("{what}: the cabinet answered with exception {code:?}")]
    Exception {
        /// The request.
        what: String,
        /// The exception.
        code: ExceptionCode,
    },
    /// The answer was not what was asked for.
    #[error("{what}: {why}")]
    Reply {
        /// The request.
        what: String,
        /// What was wrong.
        why: String,
    },
}

/// Serial parity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parity {
    /// None.
    None,
    /// Even (the Modbus default).
    Even,
    /// Odd.
    Odd,
}

/// Where the cabinet is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Modbus TCP at `host:port`.
    Tcp(String),
    /// Modbus RTU on a serial device, 8 data bits, 1 stop bit.
    Rtu {
        /// The device, e.g. `/dev/ttyUSB0`.
        device: String,
        /// Baud rate.
        baud: u32,
        /// Parity.
        parity: Parity,
    },
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Tcp(address) => write!(f, "tcp {address}"),
            Target::Rtu {
                device,
                baud,
                parity,
            } => write!(f, "rtu {device} {baud} baud, parity {parity:?}"),
        }
    }
}

/// Connection settings.
#[derive(Clone, Debug)]
pub struct LinkSettings {
    /// Where.
    pub target: Target,
    /// Modbus unit id.
    pub unit: u8,
    /// Limit for connecting and for every request.
    pub timeout: Duration,
    /// First wait after a failure; it doubles up to `backoff_max`.
    pub backoff_min: Duration,
    /// Longest wait between attempts.
    pub backoff_max: Duration,
}

/// What a link counted since its counters were last taken.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkCounters {
    /// How long each answered request took, µs.
    pub request_us: Vec<u32>,
    /// Requests that got no answer within the timeout.
    pub timeouts: u64,
    /// Connections made.
    pub connects: u64,
}

/// A cabinet connection that reconnects itself.
pub struct Link {
    settings: LinkSettings,
    ctx: Option<Context>,
    backoff: Duration,
    retry_at: Option<Instant>,
    counters: LinkCounters,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("settings", &self.settings)
            .field("connected", &self.ctx.is_some())
            .finish()
    }
}

impl Link {
    /// A link, not yet connected.
    pub fn new(settings: LinkSettings) -> Self {
        Link {
            backoff: settings.backoff_min,
            settings,
            ctx: None,
            retry_at: None,
            counters: LinkCounters::default(),
        }
    }

    /// What was counted since the last call.
    pub fn take_counters(&mut self) -> LinkCounters {
        std::mem::take(&mut self.counters)
    }

    /// True while a connection is open.
    pub fn connected(&self) -> bool {
        self.ctx.is_some()
    }

    /// Drops the connection (the next request reconnects after the backoff).
    pub fn drop_connection(&mut self) {
        self.ctx = None;
        self.retry_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(self.settings.backoff_max);
    }

    async fn context(&mut self) -> Result<&mut Context, LinkError> {
        if self.ctx.is_none() {
            if let Some(at) = self.retry_at {
                let now = Instant::now();
                if now < at {
                    return Err(LinkError::Backoff(at - now));
                }
            }
            let target = self.settings.target.clone();
            let address = target.to_string();
            let slave = Slave(self.settings.unit);
            let connect = async move {
                match target {
                    Target::Tcp(address) => {
                        let addr = tokio::net::lookup_host(&address)
                            .await?
                            .next()
                            .ok_or_else(|| io::Error::other("the host name has no address"))?;
                        tcp::connect_slave(addr, slave).await
                    }
                    Target::Rtu {
                        device,
                        baud,
                        parity,
                    } => {
                        let builder = tokio_serial::new(&device, baud)
                            .data_bits(tokio_serial::DataBits::Eight)
                            .stop_bits(tokio_serial::StopBits::One)
                            .parity(match parity {
                                Parity::None => tokio_serial::Parity::None,
                                Parity::Even => tokio_serial::Parity::Even,
                                Parity::Odd => tokio_serial::Parity::Odd,
                            });
                        let port = tokio_serial::SerialStream::open(&builder)?;
                        Ok(rtu::attach_slave(port, slave))
                    }
                }
            };
            match timeout(self.settings.timeout, connect).await {
                Ok(Ok(ctx)) => {
                    self.ctx = Some(ctx);
                    self.retry_at = None;
                    self.counters.connects += 1;
                }
                Ok(Err(source)) => {
                    self.drop_connection();
                    return Err(LinkError::Connect { address, source });
                }
                Err(_) => {
                    self.drop_connection();
                    return Err(LinkError::Connect {
                        address,
                        source: io::Error::new(io::ErrorKind::TimedOut, "connect timed out"),
                    });
                }
            }
        }
        Ok(self.ctx.as_mut().expect("connected just above"))
    }

    /// Judges one request's outcome; any failure drops the connection.
    fn settle<T>(
        &mut self,
        what: &(dyn Fn() -> String + Sync),
        started: Instant,
        outcome: Result<tokio_modbus::Result<T>, tokio::time::error::Elapsed>,
    ) -> Result<T, LinkError> {
        let error = match outcome {
            Ok(Ok(Ok(value))) => {
                self.backoff = self.settings.backoff_min;
                let us = started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                // Bounded: a reader that never takes them does not grow memory.
                if self.counters.request_us.len() < 10_000 {
                    self.counters.request_us.push(us);
                }
                return Ok(value);
            }
            Ok(Ok(Err(code))) => LinkError::Exception { what: what(), code },
            Ok(Err(source)) => LinkError::Transport {
                what: what(),
                source,
            },
            Err(_) => {
                self.counters.timeouts += 1;
                LinkError::Timeout {
                    what: what(),
                    timeout: self.settings.timeout,
                }
            }
        };
        self.drop_connection();
        Err(error)
    }

    /// Sends one request and takes its raw reply: tokio-modbus's typed readers and writers
    /// are not used, since they assert on a malformed reply instead of returning an error
    /// ([`reply`] says where).
    async fn call(
        &mut self,
        request: Request<'_>,
        what: &(dyn Fn() -> String + Sync),
    ) -> Result<Response, LinkError> {
        let limit = self.settings.timeout;
        let ctx = self.context().await?;
        let started = Instant::now();
        let outcome = timeout(limit, ctx.call(request)).await;
        self.settle(what, started, outcome)
    }

    /// The value `judged` from a reply, or the reply is malformed: the connection is dropped (a
    /// reply out of step) and the error names what was being done.
    fn judged<T>(
        &mut self,
        what: &(dyn Fn() -> String + Sync),
        judged: Result<T, String>,
    ) -> Result<T, LinkError> {
        judged.map_err(|why| {
            self.drop_connection();
            LinkError::Reply { what: what(), why }
        })
    }

    /// Sends a write and checks its echo.
    async fn write(
        &mut self,
        request: Request<'_>,
        what: &(dyn Fn() -> String + Sync),
    ) -> Result<(), LinkError> {
        let response = self.call(request.clone(), what).await?;
        self.judged(what, reply::echo(&request, &response))
    }

    /// Reads `count` input registers from `address` (function 04).
    pub async fn read_input(&mut self, address: u16, count: u16) -> Result<Vec<u16>, LinkError> {
        let what = &|| format!("reading input registers {address}+{count}");
        let response = self
            .call(Request::ReadInputRegisters(address, count), what)
            .await?;
        self.judged(what, reply::words(count, response))
    }

    /// Reads `count` holding registers from `address` (function 03).
    pub async fn read_holding(&mut self, address: u16, count: u16) -> Result<Vec<u16>, LinkError> {
        let what = &|| format!("reading holding registers {address}+{count}");
        let response = self
            .call(Request::ReadHoldingRegisters(address, count), what)
            .await?;
        self.judged(what, reply::words(count, response))
    }

    /// Reads `count` discrete inputs from `address` (function 02).
    pub async fn read_discrete(
        &mut self,
        address: u16,
        count: u16,
    ) -> Result<Vec<bool>, LinkError> {
        let what = &|| format!("reading discrete inputs {address}+{count}");
        let response = self
            .call(Request::ReadDiscreteInputs(address, count), what)
            .await?;
        self.judged(what, reply::bits(count, response))
    }

    /// Writes `words` to holding registers from `address` in one request (function 16).
    pub async fn write_registers(&mut self, address: u16, words: &[u16]) -> Result<(), LinkError> {
        let what = &|| format!("writing holding registers {address}+{}", words.len());
        self.write(
            Request::WriteMultipleRegisters(address, Cow::Borrowed(words)),
            what,
        )
        .await
    }

    /// Writes one holding register (function 06).
    pub async fn write_register(&mut self, address: u16, word: u16) -> Result<(), LinkError> {
        let what = &|| format!("writing holding register {address}");
        self.write(Request::WriteSingleRegister(address, word), what)
            .await
    }

    /// Writes `values` to coils from `address` in one request (function 15).
    pub async fn write_coils(&mut self, address: u16, values: &[bool]) -> Result<(), LinkError> {
        let what = &|| format!("writing coils {address}+{}", values.len());
        self.write(
            Request::WriteMultipleCoils(address, Cow::Borrowed(values)),
            what,
        )
        .await
    }
}

mod reply;
