//! Ed25519 signatures on timing plans (ring). A site configured with trusted public keys takes
//! only plans signed by one of them, for it, not expired.
//!
//! The signature covers canonical bytes that bind the site, the plan id, the version, the
//! expiry and a SHA-256 digest of the plan itself (its canonical JSON):
//! `greenwave-plan-v1\n{site}\n{plan_id}\n{version}\n{expires}\n{sha256 hex}`.
//! Keys are stored as base64 text: the private key as PKCS#8, the public key as its 32 bytes.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use greenwave_controllers::plan::PlanSpec;

/// A plan's signature, carried in `plan/set`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSignature {
    /// Until when the signed plan may be taken (RFC 3339, UTC).
    pub expires: String,
    /// Ed25519 signature of the canonical bytes, base64.
    pub signature: String,
}

/// Why a plan's signature is not good.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature where one is required.
    #[error("unsigned: this site takes only plans signed by a trusted key")]
    Unsigned,
    /// It does not verify with any trusted key.
    #[error("the signature does not verify with any trusted key")]
    Invalid,
    /// Past its expiry.
    #[error("expired at {0}")]
    Expired(String),
    /// The expiry is not a time.
    #[error("expiry `{0}` is not an RFC 3339 time")]
    BadExpiry(String),
}

/// What can be signed: a plan, or a schedule of plans.
pub trait Signable: Serialize {
    /// Its id.
    fn id(&self) -> &str;
    /// Its version.
    fn version(&self) -> u32;
}

impl Signable for PlanSpec {
    fn id(&self) -> &str {
        &self.plan_id
    }
    fn version(&self) -> u32 {
        self.version
    }
}

impl Signable for crate::mqtt::payload::ScheduleSpec {
    fn id(&self) -> &str {
        &self.schedule_id
    }
    fn version(&self) -> u32 {
        self.version
    }
}

/// The bytes a signature covers.
pub fn canonical_bytes(site: &str, item: &impl Signable, expires: &str) -> Vec<u8> {
    let json = serde_json::to_vec(item).unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, &json);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "greenwave-plan-v1\n{site}\n{}\n{}\n{expires}\n{hex}",
        item.id(),
        item.version()
    )
    .into_bytes()
}

/// A new key pair: (private PKCS#8, public), both base64.
pub fn generate() -> Result<(String, String), String> {
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|e| e.to_string())?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| e.to_string())?;
    Ok((
        B64.encode(pkcs8.as_ref()),
        B64.encode(pair.public_key().as_ref()),
    ))
}

/// Signs `plan` for `site` until `expires` with a base64 PKCS#8 private key.
pub fn sign(
    private_b64: &str,
    site: &str,
    plan: &impl Signable,
    expires: SystemTime,
) -> Result<PlanSignature, String> {
    let pkcs8 = B64
        .decode(private_b64.trim())
        .map_err(|e| format!("the key is not base64: {e}"))?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|e| format!("not an Ed25519 private key: {e}"))?;
    let expires = humantime::format_rfc3339_seconds(expires).to_string();
    let signature = pair.sign(&canonical_bytes(site, plan, &expires));
    Ok(PlanSignature {
        expires,
        signature: B64.encode(signature.as_ref()),
    })
}

/// A trusted public key from its base64 text.
pub fn public_key(text: &str) -> Result<Vec<u8>, String> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|e| format!("not base64: {e}"))?;
    if bytes.len() != 32 {
        return Err(format!(
            "{} bytes, not the 32 of an Ed25519 public key",
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// Checks `signature` on `plan` for `site` at `now` against `trusted` keys (raw 32 bytes each).
pub fn verify(
    trusted: &[Vec<u8>],
    site: &str,
    plan: &impl Signable,
    signature: Option<&PlanSignature>,
    now: SystemTime,
) -> Result<(), SignatureError> {
    let signature = signature.ok_or(SignatureError::Unsigned)?;
    let bytes = canonical_bytes(site, plan, &signature.expires);
    let sig = B64
        .decode(signature.signature.trim())
        .map_err(|_| SignatureError::Invalid)?;
    let good = trusted.iter().any(|key| {
        UnparsedPublicKey::new(&ED25519, key)
            .verify(&bytes, &sig)
            .is_ok()
    });
    if !good {
        return Err(SignatureError::Invalid);
    }
    let expires = humantime::parse_rfc3339(&signature.expires)
        .map_err(|_| SignatureError::BadExpiry(signature.expires.clone()))?;
    if now > expires {
        return Err(SignatureError::Expired(signature.expires.clone()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn plan(version: u32) -> PlanSpec {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("config/plans/arterial-webster/J1.toml"),
        )
        .expect("reads");
        let mut plan: PlanSpec = toml::from_str(&text).expect("parses");
        plan.version = version;
        plan
    }

    #[test]
    fn signed_plans_verify_only_as_signed_and_in_time() {
        let (private, public) = generate().expect("a key");
        let (_, other) = generate().expect("another key");
        let trusted = vec![public_key(&public).unwrap()];
        let now = SystemTime::now();
        let p = plan(2);
        let sig = sign(&private, "J1", &p, now + Duration::from_secs(3600)).unwrap();
        assert_eq!(verify(&trusted, "J1", &p, Some(&sig), now), Ok(()));
        // Another site, another version, a changed green, another key, no signature, too late.
        assert_eq!(
            verify(&trusted, "J2", &p, Some(&sig), now),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&trusted, "J1", &plan(3), Some(&sig), now),
            Err(SignatureError::Invalid)
        );
        let mut changed = p.clone();
        changed.stages[0].green_s += 1.0;
        assert_eq!(
            verify(&trusted, "J1", &changed, Some(&sig), now),
            Err(SignatureError::Invalid)
        );
        let strangers = vec![public_key(&other).unwrap()];
        assert_eq!(
            verify(&strangers, "J1", &p, Some(&sig), now),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&trusted, "J1", &p, None, now),
            Err(SignatureError::Unsigned)
        );
        let later = now + Duration::from_secs(7200);
        assert!(matches!(
            verify(&trusted, "J1", &p, Some(&sig), later),
            Err(SignatureError::Expired(_))
        ));
        // A moved expiry breaks the signature.
        let mut stretched = sig.clone();
        stretched.expires =
            humantime::format_rfc3339_seconds(later + Duration::from_secs(60)).to_string();
        assert_eq!(
            verify(&trusted, "J1", &p, Some(&stretched), later),
            Err(SignatureError::Invalid)
        );
    }
}
