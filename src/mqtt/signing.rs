//! Ed25519 signatures on orders from central operations (ring): timing plans, schedules and
//! operator modes. A site configured with trusted public keys takes only orders signed by one of
//! them (and not revoked), for it, issued after the newest order of their kind it accepted, and
//! not expired.
//!
//! The signature covers canonical bytes that bind the kind of order, the site, the id, the
//! version, when it was issued, the expiry and a SHA-256 digest of the order itself (its
//! canonical JSON):
//! `greenwave-order-v2\n{kind}\n{site}\n{id}\n{version}\n{issued}\n{expires}\n{sha256 hex}`.
//! The issue time is the replay counter: a site keeps the newest issue time it accepted per kind
//! (plans and schedules together, modes apart) in `state_dir`, so a message signed earlier,
//! whatever its id, is never taken again, even after a restart. Keys are stored as base64 text:
//! the private key as PKCS#8, the public key as its 32 bytes; a key's id is the first 16 hex
//! digits of the SHA-256 of its public key, carried in the signature.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use greenwave_controllers::plan::PlanSpec;

/// How far in the future an order's issue time may lie (clocks differ a little).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// An order's signature, carried in `plan/set` and `mode/set`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSignature {
    /// The signing key's id (first 16 hex digits of the SHA-256 of its public key).
    pub key_id: String,
    /// When the order was signed (RFC 3339, UTC, milliseconds): newer orders carry later times.
    pub issued: String,
    /// Until when the signed order may be taken (RFC 3339, UTC).
    pub expires: String,
    /// Ed25519 signature of the canonical bytes, base64.
    pub signature: String,
}

/// Why an order's signature is not good.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature where one is required.
    #[error("unsigned: this site takes only orders signed by a trusted key")]
    Unsigned,
    /// It does not verify with any trusted key.
    #[error("the signature does not verify with any trusted key")]
    Invalid,
    /// Signed with a key on the revocation list.
    #[error("signed with key {0}, which is revoked")]
    Revoked(String),
    /// Past its expiry.
    #[error("expired at {0}")]
    Expired(String),
    /// A time that is not a time.
    #[error("`{0}` is not an RFC 3339 time")]
    BadTime(String),
    /// Issued outside the signing key's validity period.
    #[error("issued at {issued}, outside the validity period of key {key_id}")]
    OutsideValidity {
        /// The key.
        key_id: String,
        /// The order's issue time.
        issued: String,
    },
    /// Issued later than the site's clock allows.
    #[error("issued at {0}, in the future (more than 5 minutes ahead of this site's clock)")]
    FromTheFuture(String),
}

/// A public key a site trusts, for the orders issued within its validity period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    /// The raw 32-byte Ed25519 public key.
    pub public: Vec<u8>,
    /// Orders issued before this are not taken on this key.
    pub valid_from: Option<SystemTime>,
    /// Orders issued after this are not taken on this key (a key retired on schedule).
    pub valid_until: Option<SystemTime>,
}

impl TrustedKey {
    /// A key trusted without a validity period.
    pub fn new(public: Vec<u8>) -> TrustedKey {
        TrustedKey {
            public,
            valid_from: None,
            valid_until: None,
        }
    }

    /// Its id.
    pub fn id(&self) -> String {
        key_id(&self.public)
    }

    fn valid_at(&self, issued: SystemTime) -> bool {
        self.valid_from.is_none_or(|from| issued >= from)
            && self.valid_until.is_none_or(|until| issued <= until)
    }
}

/// What a good signature tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The key that signed.
    pub key_id: String,
    /// When the order was issued.
    pub issued: SystemTime,
}

/// What can be signed: a plan, a schedule of plans, an operator mode.
pub trait Signable: Serialize {
    /// The kind of order (`plan`, `schedule`, `mode`).
    fn kind(&self) -> &'static str;
    /// Its id.
    fn id(&self) -> &str;
    /// Its version.
    fn version(&self) -> u32;
}

impl Signable for PlanSpec {
    fn kind(&self) -> &'static str {
        "plan"
    }
    fn id(&self) -> &str {
        &self.plan_id
    }
    fn version(&self) -> u32 {
        self.version
    }
}

/// The bytes a signature covers.
pub fn canonical_bytes(site: &str, item: &impl Signable, issued: &str, expires: &str) -> Vec<u8> {
    let json = serde_json::to_vec(item).unwrap_or_default();
    format!(
        "greenwave-order-v2\n{}\n{site}\n{}\n{}\n{issued}\n{expires}\n{}",
        item.kind(),
        item.id(),
        item.version(),
        sha256_hex(&json)
    )
    .into_bytes()
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A public key's id: the first 16 hex digits of its SHA-256.
pub fn key_id(public: &[u8]) -> String {
    sha256_hex(public)[..16].to_owned()
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

/// Signs `order` for `site`, issued now (`issued`) and valid until `expires`, with a base64
/// PKCS#8 private key.
pub fn sign(
    private_b64: &str,
    site: &str,
    order: &impl Signable,
    issued: SystemTime,
    expires: SystemTime,
) -> Result<OrderSignature, String> {
    let pkcs8 = B64
        .decode(private_b64.trim())
        .map_err(|e| format!("the key is not base64: {e}"))?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|e| format!("not an Ed25519 private key: {e}"))?;
    let issued = humantime::format_rfc3339_millis(issued).to_string();
    let expires = humantime::format_rfc3339_seconds(expires).to_string();
    let signature = pair.sign(&canonical_bytes(site, order, &issued, &expires));
    Ok(OrderSignature {
        key_id: key_id(pair.public_key().as_ref()),
        issued,
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

/// Checks `signature` on `order` for `site` at `now` against `trusted` keys, none of whose ids
/// may be in `revoked`, and the order's issue time against the signing key's validity period.
pub fn verify(
    trusted: &[TrustedKey],
    revoked: &[String],
    site: &str,
    order: &impl Signable,
    signature: Option<&OrderSignature>,
    now: SystemTime,
) -> Result<Verified, SignatureError> {
    let signature = signature.ok_or(SignatureError::Unsigned)?;
    if revoked.contains(&signature.key_id) {
        return Err(SignatureError::Revoked(signature.key_id.clone()));
    }
    let bytes = canonical_bytes(site, order, &signature.issued, &signature.expires);
    let sig = B64
        .decode(signature.signature.trim())
        .map_err(|_| SignatureError::Invalid)?;
    let signer = trusted
        .iter()
        .filter(|key| !revoked.contains(&key.id()))
        .find(|key| {
            UnparsedPublicKey::new(&ED25519, &key.public)
                .verify(&bytes, &sig)
                .is_ok()
        })
        .ok_or(SignatureError::Invalid)?;
    let time = |text: &str| {
        humantime::parse_rfc3339(text).map_err(|_| SignatureError::BadTime(text.to_owned()))
    };
    let expires = time(&signature.expires)?;
    let issued = time(&signature.issued)?;
    if now > expires {
        return Err(SignatureError::Expired(signature.expires.clone()));
    }
    if issued > now + MAX_CLOCK_SKEW {
        return Err(SignatureError::FromTheFuture(signature.issued.clone()));
    }
    if !signer.valid_at(issued) {
        return Err(SignatureError::OutsideValidity {
            key_id: signer.id(),
            issued: signature.issued.clone(),
        });
    }
    Ok(Verified {
        key_id: signer.id(),
        issued,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::payload::OperatorMode;
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
        let trusted = vec![TrustedKey::new(public_key(&public).unwrap())];
        let now = SystemTime::now();
        let p = plan(2);
        let sig = sign(&private, "J1", &p, now, now + Duration::from_secs(3600)).unwrap();
        let verified = verify(&trusted, &[], "J1", &p, Some(&sig), now).expect("verifies");
        assert_eq!(verified.key_id, trusted[0].id());
        assert_eq!(sig.key_id, verified.key_id);
        assert!(verified.issued <= now && now - Duration::from_millis(1) <= verified.issued);
        // Another site, another version, a changed green, another key, no signature, too late.
        assert_eq!(
            verify(&trusted, &[], "J2", &p, Some(&sig), now),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&trusted, &[], "J1", &plan(3), Some(&sig), now),
            Err(SignatureError::Invalid)
        );
        let mut changed = p.clone();
        changed.stages[0].green_s += 1.0;
        assert_eq!(
            verify(&trusted, &[], "J1", &changed, Some(&sig), now),
            Err(SignatureError::Invalid)
        );
        let strangers = vec![TrustedKey::new(public_key(&other).unwrap())];
        assert_eq!(
            verify(&strangers, &[], "J1", &p, Some(&sig), now),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&trusted, &[], "J1", &p, None, now),
            Err(SignatureError::Unsigned)
        );
        let later = now + Duration::from_secs(7200);
        assert!(matches!(
            verify(&trusted, &[], "J1", &p, Some(&sig), later),
            Err(SignatureError::Expired(_))
        ));
        // A moved expiry breaks the signature.
        let mut stretched = sig.clone();
        stretched.expires =
            humantime::format_rfc3339_seconds(later + Duration::from_secs(60)).to_string();
        assert_eq!(
            verify(&trusted, &[], "J1", &p, Some(&stretched), later),
            Err(SignatureError::Invalid)
        );
        // A moved issue time breaks it too.
        let mut reissued = sig.clone();
        reissued.issued = humantime::format_rfc3339_millis(later).to_string();
        assert_eq!(
            verify(&trusted, &[], "J1", &p, Some(&reissued), now),
            Err(SignatureError::Invalid)
        );
        // A revoked key, by its id.
        let revoked = vec![sig.key_id.clone()];
        assert_eq!(
            verify(&trusted, &revoked, "J1", &p, Some(&sig), now),
            Err(SignatureError::Revoked(sig.key_id.clone()))
        );
        // Issued an hour ahead of this clock.
        let ahead = sign(&private, "J1", &p, now + Duration::from_secs(3600), later).unwrap();
        assert!(matches!(
            verify(&trusted, &[], "J1", &p, Some(&ahead), now),
            Err(SignatureError::FromTheFuture(_))
        ));
        // A key retired before the order was issued, or trusted only from later on.
        let mut retired = trusted.clone();
        retired[0].valid_until = Some(now - Duration::from_secs(1));
        assert!(matches!(
            verify(&retired, &[], "J1", &p, Some(&sig), now),
            Err(SignatureError::OutsideValidity { .. })
        ));
        let mut future = trusted.clone();
        future[0].valid_from = Some(now + Duration::from_secs(60));
        assert!(matches!(
            verify(&future, &[], "J1", &p, Some(&sig), now),
            Err(SignatureError::OutsideValidity { .. })
        ));
        // A plan's signature is not a mode's, nor a schedule's.
        let mode = OperatorMode::Flash;
        let msig = sign(&private, "J1", &mode, now, later).unwrap();
        assert!(verify(&trusted, &[], "J1", &mode, Some(&msig), now).is_ok());
        assert_eq!(
            verify(
                &trusted,
                &[],
                "J1",
                &OperatorMode::Adaptive,
                Some(&msig),
                now
            ),
            Err(SignatureError::Invalid)
        );
    }
}
