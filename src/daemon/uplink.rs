//! The daemon's side of MQTT (`spec/mqtt.md`): its retained `status` (with a last will that
//! marks it offline), `events`, and `outflow` forecasts every tick; the neighbours' `outflow`
//! in, for the controller. Publishing never blocks: see [`crate::mqtt::link`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use rumqttc::QoS;

use greenwave_controllers::Instant;
use greenwave_controllers::control::Neighbours;
use greenwave_controllers::site::Site;

use super::config::{ClockSource, DaemonConfig};
use super::control::{ControlLoop, Mode};
use super::neighbours::NeighbourForecasts;
use crate::mqtt::link::{self, MqttHandle, MqttSettings, Outgoing};
use crate::mqtt::payload::{self, EventMsg, OutflowMsg, Status};

/// How long a neighbour may stay quiet before its links fall back to local estimation.
const SILENT_AFTER_S: u64 = 5;

/// What the status says of the daemon besides its mode.
struct Identity {
    site: String,
    controller: String,
    plan: (String, u32),
    since: String,
}

impl Identity {
    fn status(&self, online: bool, mode: &str, faults: &[String]) -> Outgoing {
        let status = Status {
            site: self.site.clone(),
            ts: payload::now_ts(),
            online,
            mode: mode.to_owned(),
            controller: self.controller.clone(),
            plan_id: Some(self.plan.0.clone()),
            plan_version: Some(self.plan.1),
            faults: faults.to_vec(),
            software: env!("CARGO_PKG_VERSION").to_owned(),
            since: self.since.clone(),
        };
        Outgoing {
            topic: payload::topic(&self.site, "status"),
            payload: serde_json::to_vec(&status).unwrap_or_default(),
            qos: QoS::AtLeastOnce,
            retain: true,
        }
    }
}

/// The MQTT uplink of one daemon.
pub struct Uplink {
    site: Arc<Site>,
    identity: Identity,
    handle: MqttHandle,
    forecasts: NeighbourForecasts,
    clock: ClockSource,
    rejected: u64,
}

impl Uplink {
    /// Connects as configured; `None` when the config has no broker.
    pub fn start(config: &DaemonConfig) -> Result<Option<Uplink>, String> {
        let Some(url) = &config.mqtt.broker else {
            return Ok(None);
        };
        let site = config.site.clone();
        let client_id = config
            .mqtt
            .client_id
            .clone()
            .unwrap_or_else(|| format!("greenwave-{}", site.id));
        let mut settings = MqttSettings::from_url(url, &client_id)?;
        if let (Some(user), Some(password)) = (&config.mqtt.username, &config.mqtt.password) {
            settings.credentials = Some((user.clone(), password.clone()));
        }
        let subscriptions = NeighbourForecasts::sites(&site)
            .iter()
            .map(|s| payload::topic(s, "outflow"))
            .collect();
        let identity = Identity {
            site: site.id.clone(),
            controller: config.controller.clone(),
            plan: (config.plan.plan_id.clone(), config.plan.version),
            since: payload::now_ts(),
        };
        let will = identity.status(false, "offline", &[]);
        let uplink = Uplink {
            forecasts: NeighbourForecasts::new(
                site.clone(),
                greenwave_controllers::Duration::from_secs(SILENT_AFTER_S),
                config.clock == ClockSource::Cabinet,
            ),
            handle: link::start(settings, subscriptions, will),
            identity,
            clock: config.clock,
            rejected: 0,
            site,
        };
        uplink.set_status(
            Mode::Following {
                handing_back: false,
            },
            &[],
        );
        Ok(Some(uplink))
    }

    /// Publishes the status for `mode` (retained, republished on every reconnect).
    pub fn set_status(&self, mode: Mode, faults: &[String]) {
        let name = match mode {
            Mode::Following { .. } => "following",
            Mode::Driving => "driving",
            Mode::Safe => "safe",
        };
        self.handle
            .set_status(self.identity.status(true, name, faults));
    }

    /// Publishes an event.
    pub fn event(&self, kind: &str, message: &str) {
        let event = EventMsg {
            site: self.site.id.clone(),
            ts: payload::now_ts(),
            kind: kind.to_owned(),
            message: message.to_owned(),
        };
        self.handle.publish_important(Outgoing {
            topic: payload::topic(&self.site.id, "events"),
            payload: serde_json::to_vec(&event).unwrap_or_default(),
            qos: QoS::AtLeastOnce,
            retain: false,
        });
    }

    /// Takes what arrived, and returns the neighbours' view at `now`.
    pub fn neighbours(&mut self, now: Instant) -> &Neighbours {
        while let Ok(message) = self.handle.incoming.try_recv() {
            let Some((from, kind)) = payload::parse_topic(&message.topic) else {
                continue;
            };
            if kind != "outflow" {
                continue;
            }
            match serde_json::from_slice::<OutflowMsg>(&message.payload) {
                Ok(outflow) if outflow.site == from => self.forecasts.accept(outflow, now),
                Ok(outflow) => {
                    self.rejected += 1;
                    tracing::warn!(
                        topic = message.topic,
                        "outflow names site `{}`, not the topic's",
                        outflow.site
                    );
                }
                Err(e) => {
                    self.rejected += 1;
                    tracing::warn!(topic = message.topic, "outflow rejected: {e}");
                }
            }
        }
        let (neighbours, notes) = self.forecasts.update(now, SystemTime::now());
        for note in &notes {
            tracing::info!(site = %self.site.id, "{note}");
            let event = EventMsg {
                site: self.site.id.clone(),
                ts: payload::now_ts(),
                kind: "neighbour".into(),
                message: note.clone(),
            };
            self.handle.publish_important(Outgoing {
                topic: payload::topic(&self.site.id, "events"),
                payload: serde_json::to_vec(&event).unwrap_or_default(),
                qos: QoS::AtLeastOnce,
                retain: false,
            });
        }
        neighbours
    }

    /// Publishes the controller's outflow forecast and the approach queues.
    pub fn publish_outflow(&self, control: &ControlLoop) {
        let Some(outflow) = control.controller().outflow() else {
            return;
        };
        let queue_per_lane = control
            .estimator()
            .estimate()
            .approaches
            .iter()
            .map(|a| (a.link.clone(), a.queue_veh / a.lanes.len().max(1) as f64))
            .collect();
        let message = OutflowMsg {
            site: self.site.id.clone(),
            ts: payload::now_ts(),
            clock: match self.clock {
                ClockSource::System => "system".into(),
                ClockSource::Cabinet => "cabinet".into(),
            },
            clock_ms: outflow.from.total_millis(),
            bin_s: 1.0,
            by_link: outflow.by_link.clone(),
            queue_per_lane,
        };
        self.handle.publish_bulk(Outgoing {
            topic: payload::topic(&self.site.id, "outflow"),
            payload: serde_json::to_vec(&message).unwrap_or_default(),
            qos: QoS::AtMostOnce,
            retain: false,
        });
    }

    /// Says the daemon is going offline (retained status), then disconnects cleanly.
    pub async fn close(self) {
        self.handle
            .set_status(self.identity.status(false, "offline", &[]));
        self.handle.close(std::time::Duration::from_secs(2)).await;
    }

    /// The neighbours whose forecasts are in use.
    pub fn heard(&self) -> Vec<String> {
        self.forecasts.heard()
    }

    /// Bulk messages dropped so far, and incoming messages rejected.
    pub fn counters(&self) -> (u64, u64) {
        (self.handle.dropped.load(Ordering::Relaxed), self.rejected)
    }
}
