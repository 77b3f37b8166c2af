//! The `[mqtt]` section: the broker and its TLS files (each checked to hold what its name
//! says), the trusted signing keys with their validity periods and the revoked ones, site ids fit
//! for a topic, and the warnings a security officer would want said.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use greenwave_controllers::load;

use super::{Found, KeyValidity, MqttSpec, range};
use crate::mqtt::link::{MqttSettings, TlsFiles};
use crate::mqtt::signing::{self, TrustedKey};
use crate::untrusted::escape;

/// The trusted keys read from their files, with their validity periods; the revoked ids
/// checked. Problems are recorded in `found`.
pub(super) fn trusted_keys(path: &Path, mqtt: &MqttSpec, found: &mut Found) -> Vec<TrustedKey> {
    let mut keys = Vec::new();
    for (i, key) in mqtt.trusted_keys.iter().enumerate() {
        let file = load::beside(path, key);
        let read = std::fs::read_to_string(&file)
            .map_err(|e| {
                format!(
                    "mqtt.trusted_keys[{i}]: cannot read {}: {e}",
                    file.display()
                )
            })
            .and_then(|text| {
                signing::public_key(&text)
                    .map_err(|e| format!("mqtt.trusted_keys[{i}]: {}: {e}", file.display()))
            });
        if let Some(public) = found.take(read) {
            keys.push(TrustedKey::new(public));
        }
    }
    found.take(apply_key_validity(&mut keys, &mqtt.key_validity));
    for (i, id) in mqtt.revoked_keys.iter().enumerate() {
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            found.push(format!(
                "mqtt.revoked_keys[{i}]: `{}` is not a key id (16 hex digits)",
                escape(id)
            ));
        }
    }
    if let Some(t) = mqtt.telemetry_interval_s {
        found.take(range("mqtt.telemetry_interval_s", t, 1.0, 3600.0));
    }
    keys
}

/// The broker address checked, and for `mqtts://` the TLS files read.
pub(super) fn tls(path: &Path, mqtt: &MqttSpec, found: &mut Found) -> Option<TlsFiles> {
    let url = mqtt.broker.as_ref()?;
    found.take(MqttSettings::from_url(url, "check"))?;
    let file = |p: &Option<PathBuf>| p.as_ref().map(|p| load::beside(path, &p.to_string_lossy()));
    let (ca, cert, key) = (
        file(&mqtt.ca_file),
        file(&mqtt.cert_file),
        file(&mqtt.key_file),
    );
    if MqttSettings::wants_tls(url) {
        let read = TlsFiles::read(ca.as_deref(), cert.as_deref(), key.as_deref());
        return found.take(read.map_err(|e| format!("mqtt.{e}")));
    }
    if ca.is_some() || cert.is_some() {
        found.push(format!(
            "mqtt.ca_file: TLS files given for `{}`; use an mqtts:// address",
            crate::mqtt::link::redact(url)
        ));
    }
    None
}

/// A site id becomes an MQTT topic level: letters, digits, `-`, `_` and `.` only.
pub fn check_site_id(id: &str) -> Result<(), String> {
    let good = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if id.is_empty() || !id.chars().all(good) {
        return Err(format!(
            "site: `{}` is not a site id (letters, digits, `-`, `_` and `.` only: it becomes an \
             MQTT topic level, where `/`, `+`, `#` and spaces have meanings)",
            escape(id)
        ));
    }
    Ok(())
}

/// What a security officer would want said about an MQTT setup that works but is weak.
pub(super) fn warnings(mqtt: &MqttSpec) -> Vec<String> {
    let mut warnings = Vec::new();
    let Some(url) = &mqtt.broker else {
        return warnings;
    };
    let password_in_url = url
        .split_once("://")
        .and_then(|(_, rest)| rest.rsplit_once('@'))
        .is_some_and(|(userinfo, _)| userinfo.contains(':'));
    if url.starts_with("mqtt://") && (mqtt.password.is_some() || password_in_url) {
        warnings.push(
            "mqtt: a password sent over mqtt:// (no TLS) can be read on the network; use mqtts://"
                .into(),
        );
    }
    if mqtt.trusted_keys.is_empty() {
        warnings.push(
            "mqtt.trusted_keys: none, so this site takes UNSIGNED plans and modes from anyone who \
             may publish on its topics; list the operators' public keys (greenwave keygen)"
                .into(),
        );
    }
    warnings
}

/// Sets each trusted key's validity period from `[mqtt.key_validity]`; an id that names no
/// trusted key, or a time that is not one, is an error naming it.
fn apply_key_validity(
    keys: &mut [TrustedKey],
    validity: &BTreeMap<String, KeyValidity>,
) -> Result<(), String> {
    let time = |id: &str, field: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| {
                humantime::parse_rfc3339(t).map_err(|_| {
                    format!("mqtt.key_validity.{id}.{field}: `{t}` is not an RFC 3339 time")
                })
            })
            .transpose()
    };
    for (id, v) in validity {
        let key = keys.iter_mut().find(|k| k.id() == *id).ok_or_else(|| {
            format!("mqtt.key_validity: `{id}` is not the id of a key in trusted_keys")
        })?;
        key.valid_from = time(id, "from", &v.from)?;
        key.valid_until = time(id, "until", &v.until)?;
    }
    Ok(())
}

impl std::fmt::Debug for MqttSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSpec")
            .field(
                "broker",
                &self.broker.as_deref().map(crate::mqtt::link::redact),
            )
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("telemetry_interval_s", &self.telemetry_interval_s)
            .field("trusted_keys", &self.trusted_keys)
            .field("revoked_keys", &self.revoked_keys)
            .field("key_validity", &self.key_validity)
            .finish()
    }
}
