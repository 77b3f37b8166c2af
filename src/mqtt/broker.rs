//! An embedded MQTT broker (rumqttd) for the demo and the tests: no external server needed.
//!
//! rumqttd 0.20 runs in-process on its own thread but has neither a ready signal nor a shutdown
//! API: the caller picks a free loopback port, starts it, and retries its first connection until
//! the broker answers. The thread ends with the process.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The largest payload the embedded broker accepts, bytes (plans exceed rumqttc's 10 KiB
/// default; see the MQTT link's `max_packet_size`).
pub const MAX_PAYLOAD: usize = 256 * 1024;

/// Starts a broker on a free loopback port and waits (up to 10 s) until it accepts
/// connections. Returns its address.
pub fn start() -> Result<SocketAddr> {
    let address = {
        let probe = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
        probe.local_addr()?
    };
    let text = format!(
        r#"
id = 0
[router]
id = 0
max_connections = 1000
max_outgoing_packet_count = 200
max_segment_size = 10485760
max_segment_count = 10
[v4.1]
name = "v4-1"
listen = "{address}"
next_connection_delay_ms = 1
[v4.1.connections]
connection_timeout_ms = 60000
max_payload_size = {MAX_PAYLOAD}
max_inflight_count = 200
dynamic_filters = true
"#
    );
    let config: rumqttd::Config = toml::from_str(&text).context("embedded broker config")?;
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(config);
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded MQTT broker stopped");
            }
        })
        .context("starting the embedded MQTT broker")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_ok() {
            return Ok(address);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("the embedded MQTT broker did not answer on {address} within 10 s")
}
