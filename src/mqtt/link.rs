//! The daemon's MQTT link (rumqttc), built so it can never stall the control loop.
//!
//! - The event loop is polled in its own task; a failed poll waits an exponential backoff
//!   (rumqttc would otherwise reconnect at once, in a tight loop).
//! - Every ConnAck resubscribes (a clean session loses subscriptions); once every subscription
//!   is acknowledged the retained `status` is republished, so a site shown online takes orders;
//!   the last will marks the site offline.
//! - The maximum packet size is set explicitly (plans exceed rumqttc's 10 KiB default): what the
//!   daemon sends stays under [`MAX_PACKET`]; what it receives may be as large as
//!   [`MAX_INCOMING`], because rumqttc drops the whole connection on a larger packet, and a
//!   retained oversized message would then come back on every reconnect (a reconnect storm).
//!   Oversized orders are refused by size where they are read, with the link intact; the broker
//!   should refuse them first (`max_packet_size` in `config/mosquitto/mosquitto.conf`).
//! - Every failed connect is logged at warn level with its reason, before and after a first
//!   success.
//! - Publishing goes through two bounded queues served by a publisher task: `important`
//!   (status, events, acks: never dropped while the queue has room, and it is large) and `bulk`
//!   (telemetry, SPaT, outflow: dropped and counted when full). The control loop only ever
//!   `try_send`s.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rumqttc::{
    AsyncClient, Event, LastWill, MqttOptions, Packet, QoS, TlsConfiguration, Transport,
};
use tokio::sync::{mpsc, watch};

/// The largest packet sent, bytes.
pub const MAX_PACKET: usize = 256 * 1024;

/// The largest packet received without dropping the link, bytes.
pub const MAX_INCOMING: usize = 16 * 1024 * 1024;

/// Where and how to connect.
#[derive(Clone, Debug)]
pub struct MqttSettings {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Client id.
    pub client_id: String,
    /// User name and password.
    pub credentials: Option<(String, String)>,
    /// Keep-alive.
    pub keep_alive: Duration,
    /// First wait after a failure; doubles up to `backoff_max`.
    pub backoff_min: Duration,
    /// Longest wait.
    pub backoff_max: Duration,
    /// TLS (`mqtts://`): the CA certificate and, for client authentication, the client's
    /// certificate and key (PEM bytes).
    pub tls: Option<TlsFiles>,
}

/// PEM files for a TLS connection.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// CA certificate(s).
    pub ca: Vec<u8>,
    /// Client certificate and private key.
    pub client: Option<(Vec<u8>, Vec<u8>)>,
}

impl TlsFiles {
    /// Reads the files (`ca` required; `cert` and `key` together or not at all).
    pub fn read(
        ca: Option<&std::path::Path>,
        cert: Option<&std::path::Path>,
        key: Option<&std::path::Path>,
    ) -> Result<TlsFiles, String> {
        // Each file must hold what its name says: a private key given as `ca_file` (or as
        // `cert_file`) is refused here, before it could be sent or shown anywhere.
        let read = |what: &str, p: &std::path::Path, want: Pem| {
            let bytes = std::fs::read(p)
                .map_err(|e| format!("{what}: cannot read {}: {e}", p.display()))?;
            let text = String::from_utf8_lossy(&bytes);
            let has_key = text.contains("PRIVATE KEY-----");
            let has_cert = text.contains("-----BEGIN CERTIFICATE-----");
            let good = match want {
                Pem::Certificate => has_cert && !has_key,
                Pem::PrivateKey => has_key,
            };
            if !good {
                let (wanted, found) = match want {
                    Pem::Certificate if has_key => ("a certificate", "a private key"),
                    Pem::Certificate => ("a certificate", "no PEM certificate"),
                    Pem::PrivateKey => ("a private key", "no PEM private key"),
                };
                return Err(format!(
                    "{what}: {} holds {found}; {what} takes {wanted} (PEM)",
                    p.display()
                ));
            }
            Ok(bytes)
        };
        let ca = read(
            "ca_file",
            ca.ok_or("ca_file: required for an mqtts:// broker (the CA certificate, PEM)")?,
            Pem::Certificate,
        )?;
        let client = match (cert, key) {
            (Some(c), Some(k)) => Some((
                read("cert_file", c, Pem::Certificate)?,
                read("key_file", k, Pem::PrivateKey)?,
            )),
            (None, None) => None,
            _ => return Err("cert_file and key_file: give both, or neither".into()),
        };
        Ok(TlsFiles { ca, client })
    }
}

/// What a PEM file must hold.
#[derive(Clone, Copy)]
enum Pem {
    Certificate,
    PrivateKey,
}

/// `url` with any password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

/// Installs rustls's ring crypto provider for the process (once; later calls change nothing).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl MqttSettings {
    /// Settings for `mqtt://host:port` or `mqtts://host:port` (TLS: set `tls` too).
    pub fn from_url(url: &str, client_id: &str) -> Result<MqttSettings, String> {
        let shown = redact(url);
        let (rest, default_port) = if let Some(rest) = url.strip_prefix("mqtt://") {
            (rest, 1883)
        } else if let Some(rest) = url.strip_prefix("mqtts://") {
            (rest, 8883)
        } else {
            return Err(format!(
                "mqtt.broker: `{shown}` is not an mqtt://host:port or mqtts://host:port address"
            ));
        };
        // user:password@ before the host: credentials, never shown again.
        let (credentials, rest) = match rest.rsplit_once('@') {
            Some((userinfo, host)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                (Some((user.to_owned(), password.to_owned())), host)
            }
            None => (None, rest),
        };
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("mqtt.broker: `{p}` is not a port"))?,
            ),
            None => (rest, default_port),
        };
        if host.is_empty() {
            return Err(format!("mqtt.broker: `{shown}` has no host"));
        }
        Ok(MqttSettings {
            host: host.to_owned(),
            port,
            client_id: client_id.to_owned(),
            credentials,
            keep_alive: Duration::from_secs(5),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(10),
            tls: None,
        })
    }

    /// True for an `mqtts://` address.
    pub fn wants_tls(url: &str) -> bool {
        url.starts_with("mqtts://")
    }

    /// The rumqttc options for these settings.
    pub fn options(&self) -> MqttOptions {
        let mut options = MqttOptions::new(self.client_id.clone(), self.host.clone(), self.port);
        options
            .set_keep_alive(self.keep_alive)
            .set_max_packet_size(MAX_INCOMING, MAX_PACKET);
        if let Some((user, password)) = &self.credentials {
            options.set_credentials(user, password);
        }
        if let Some(tls) = &self.tls {
            install_crypto_provider();
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
                ca: tls.ca.clone(),
                alpn: None,
                client_auth: tls.client.clone(),
            }));
        }
        options
    }
}

/// A message to publish.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// Topic.
    pub topic: String,
    /// JSON bytes.
    pub payload: Vec<u8>,
    /// QoS.
    pub qos: QoS,
    /// Retained.
    pub retain: bool,
}

/// A message received.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// Topic.
    pub topic: String,
    /// Payload bytes.
    pub payload: Vec<u8>,
    /// Sent by the broker as a retained message (at subscription), not as it was published.
    pub retain: bool,
}

/// The control loop's side of the link.
pub struct MqttHandle {
    important: mpsc::Sender<Outgoing>,
    bulk: mpsc::Sender<Outgoing>,
    /// Messages received on the subscriptions.
    pub incoming: mpsc::Receiver<Incoming>,
    /// Bulk messages dropped because the queue was full.
    pub dropped: Arc<AtomicU64>,
    /// Incoming messages dropped because the daemon had not taken the ones before (a flood).
    pub dropped_incoming: Arc<AtomicU64>,
    /// The retained status republished on every connect.
    status: watch::Sender<Option<Outgoing>>,
    /// Whether the broker connection is up with every subscription acknowledged (messages on
    /// them are delivered from then on).
    pub connected: watch::Receiver<bool>,
    stop: watch::Sender<bool>,
    publisher: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for MqttHandle {
    /// A link whose owner is gone (a daemon task dropped or aborted) ends its tasks.
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

impl MqttHandle {
    /// Queues a message that must not be lost (status, events, acks). Returns false if even
    /// the important queue is full.
    pub fn publish_important(&self, message: Outgoing) -> bool {
        self.important.try_send(message).is_ok()
    }

    /// Queues a message that may be dropped (telemetry, SPaT, outflow) when the link lags.
    pub fn publish_bulk(&self, message: Outgoing) {
        if self.bulk.try_send(message).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Publishes what is queued (important first), disconnects cleanly (so the broker does not
    /// send the last will) and ends the link's tasks; waits at most `limit`.
    pub async fn close(mut self, limit: Duration) {
        self.stop.send_replace(true);
        if let Some(publisher) = self.publisher.take() {
            let _ = tokio::time::timeout(limit, publisher).await;
        }
    }

    /// Publishes `status` now (if the link is up with its subscriptions in place; otherwise as
    /// soon as it is) and on every reconnect.
    pub fn set_status(&self, status: Outgoing) {
        self.status.send_replace(Some(status.clone()));
        if *self.connected.borrow() {
            self.publish_important(status);
        }
    }

    /// Publishes the last `status`, on the way out, connected or not.
    pub fn say_goodbye(&self, status: Outgoing) {
        self.status.send_replace(Some(status.clone()));
        self.publish_important(status);
    }
}

/// Starts the link: subscribes to `subscriptions` on every connect; `will` is the last will.
pub fn start(settings: MqttSettings, subscriptions: Vec<String>, will: Outgoing) -> MqttHandle {
    let mut options = settings.options();
    options.set_clean_session(true).set_last_will(LastWill::new(
        will.topic,
        will.payload,
        will.qos,
        will.retain,
    ));
    let (client, eventloop) = AsyncClient::new(options, 256);
    let (important, important_rx) = mpsc::channel::<Outgoing>(1024);
    let (bulk, bulk_rx) = mpsc::channel::<Outgoing>(64);
    let (incoming_tx, incoming) = mpsc::channel(256);
    let (status, status_rx) = watch::channel::<Option<Outgoing>>(None);
    let (connected_tx, connected) = watch::channel(false);
    let dropped = Arc::new(AtomicU64::new(0));
    let (stop, stop_rx) = watch::channel(false);
    let publisher_stop = stop.subscribe();

    // The event loop, polled on its own.
    let dropped_incoming = Arc::new(AtomicU64::new(0));
    let io = EventLoopIo {
        client: client.clone(),
        incoming: incoming_tx,
        status: status_rx,
        connected: connected_tx,
        dropped_incoming: dropped_incoming.clone(),
    };
    tokio::spawn(poll_event_loop(
        eventloop,
        settings,
        subscriptions,
        io,
        stop_rx,
    ));
    let publisher = tokio::spawn(publish(client, important_rx, bulk_rx, publisher_stop));

    MqttHandle {
        important,
        bulk,
        incoming,
        dropped,
        dropped_incoming,
        status,
        connected,
        stop,
        publisher: Some(publisher),
    }
}

/// What the event-loop task shares with the handle.
struct EventLoopIo {
    client: AsyncClient,
    incoming: mpsc::Sender<Incoming>,
    status: watch::Receiver<Option<Outgoing>>,
    connected: watch::Sender<bool>,
    dropped_incoming: Arc<AtomicU64>,
}

/// Polls rumqttc's event loop until `stop`: resubscribes and republishes the status on every
/// connect, hands messages on, and waits an exponential backoff after every failure.
async fn poll_event_loop(
    mut eventloop: rumqttc::EventLoop,
    settings: MqttSettings,
    subscriptions: Vec<String>,
    io: EventLoopIo,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = settings.backoff_min;
    let mut awaiting_subacks = 0usize;
    loop {
        let polled = tokio::select! {
            polled = eventloop.poll() => polled,
            () = stopped(&mut stop) => {
                // Let the publisher's last messages and the disconnect go out.
                let _ = tokio::time::timeout(Duration::from_secs(2), async {
                    while eventloop.poll().await.is_ok() {}
                })
                .await;
                return;
            }
        };
        match polled {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = settings.backoff_min;
                awaiting_subacks = subscriptions.len();
                tracing::info!(broker = %settings.host, port = settings.port, "MQTT connected");
                resubscribe(&io, &subscriptions);
                if awaiting_subacks == 0 {
                    subscribed(&io);
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) if awaiting_subacks > 0 => {
                awaiting_subacks -= 1;
                if awaiting_subacks == 0 {
                    subscribed(&io);
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let message = Incoming {
                    topic: p.topic,
                    payload: p.payload.to_vec(),
                    retain: p.retain,
                };
                if io.incoming.try_send(message).is_err() {
                    io.dropped_incoming.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(_) => {}
            Err(e) => {
                if *io.connected.borrow() {
                    tracing::warn!(error = %e, "MQTT link down");
                } else {
                    tracing::warn!(
                        error = %e,
                        broker = %settings.host,
                        port = settings.port,
                        retry_in = ?backoff,
                        "MQTT connect failed"
                    );
                }
                io.connected.send_replace(false);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(settings.backoff_max);
            }
        }
    }
}

/// On a connect: every subscription again (a clean session lost them).
fn resubscribe(io: &EventLoopIo, subscriptions: &[String]) {
    for topic in subscriptions {
        if let Err(e) = io.client.try_subscribe(topic.clone(), QoS::AtLeastOnce) {
            tracing::warn!(error = %e, topic, "MQTT subscribe failed");
        }
    }
}

/// Every subscription is in place: the link is up, and the status (online) says so, so that an
/// order sent once the status shows the site online reaches it.
fn subscribed(io: &EventLoopIo) {
    io.connected.send_replace(true);
    let status = io.status.borrow().clone();
    if let Some(s) = status
        && let Err(e) = io.client.try_publish(s.topic, s.qos, s.retain, s.payload)
    {
        tracing::warn!(error = %e, "MQTT status publish failed");
    }
}

/// The publisher: important first; on stop, what is queued, then a clean disconnect.
async fn publish(
    client: AsyncClient,
    mut important: mpsc::Receiver<Outgoing>,
    mut bulk: mpsc::Receiver<Outgoing>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let message = tokio::select! {
            biased;
            Some(m) = important.recv() => m,
            Some(m) = bulk.recv() => m,
            () = stopped(&mut stop) => {
                while let Ok(m) = important.try_recv() {
                    let _ = client.publish(m.topic, m.qos, m.retain, m.payload).await;
                }
                let _ = client.disconnect().await;
                return;
            }
            else => return,
        };
        if let Err(e) = client
            .publish(message.topic, message.qos, message.retain, message.payload)
            .await
        {
            tracing::warn!(error = %e, "MQTT publish failed");
        }
    }
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_broker_url_are_taken_and_never_shown() {
        let s = MqttSettings::from_url("mqtt://ops:s3cret@broker.example:1884", "J1").expect("ok");
        assert_eq!((s.host.as_str(), s.port), ("broker.example", 1884));
        assert_eq!(s.credentials, Some(("ops".into(), "s3cret".into())));
        let e = MqttSettings::from_url("mqtt://ops:s3cret@broker.example:port", "J1").unwrap_err();
        assert!(!e.contains("s3cret"), "{e}");
        let e = MqttSettings::from_url("http://ops:s3cret@broker.example", "J1").unwrap_err();
        assert!(!e.contains("s3cret") && e.contains("ops:***@"), "{e}");
        assert_eq!(redact("mqtt://broker:1883"), "mqtt://broker:1883");
    }

    #[test]
    fn a_private_key_is_refused_where_a_certificate_goes() {
        let dir = std::env::temp_dir().join(format!("greenwave-pem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let cert = dir.join("c.pem");
        let key = dir.join("k.pem");
        std::fs::write(
            &cert,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .expect("writes");
        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
        )
        .expect("writes");
        let e = TlsFiles::read(Some(&key), None, None).unwrap_err();
        assert!(
            e.contains("ca_file") && e.contains("holds a private key"),
            "{e}"
        );
        let e = TlsFiles::read(Some(&cert), Some(&key), Some(&cert)).unwrap_err();
        assert!(
            e.contains("cert_file") && e.contains("holds a private key"),
            "{e}"
        );
        let e = TlsFiles::read(Some(&cert), Some(&cert), Some(&cert)).unwrap_err();
        assert!(
            e.contains("key_file") && e.contains("no PEM private key"),
            "{e}"
        );
        assert!(TlsFiles::read(Some(&cert), Some(&cert), Some(&key)).is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }
}
