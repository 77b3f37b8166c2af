//! The orders a site has accepted from central operations, kept durably in `state_dir` so that
//! what a site acknowledged survives a crash: the newest `plan/set` accepted (plan or schedule,
//! kept as received, signature and all, and checked again when it is restored), the operator
//! mode in force, and the newest version accepted of every plan and schedule id (an older or equal
//! version of an id is never taken again, even one that never became active).
//!
//! Every change is written before it is acknowledged: to a temporary file, flushed to the disk
//! (`fsync`), renamed over the old file, and the directory flushed, so that a crash at any point
//! leaves either the old record or the new one, whole.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::audit::{AuditTrail, Broken, Entry};
use crate::mqtt::payload::OperatorMode;
use crate::mqtt::signing::Verified;

/// What is kept on disk (`{site}.orders.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    /// The newest `plan/set` accepted, as received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_message: Option<String>,
    /// When it was accepted (RFC 3339): its signature's expiry is judged at that time on
    /// restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_accepted_at: Option<String>,
    /// The operator mode in force.
    #[serde(default)]
    pub mode: OperatorMode,
    /// The `ts` of the `mode/set` that ordered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_order: Option<String>,
    /// The newest version accepted of each plan and schedule id.
    #[serde(default)]
    pub newest: BTreeMap<String, u32>,
    /// The issue time (RFC 3339) of the newest signed order accepted, by kind: `plan` (plans
    /// and schedules) and `mode`.
    #[serde(default)]
    pub issued: BTreeMap<String, String>,
}

/// The kinds of order whose issue times are kept apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderKind {
    /// Plans and schedules.
    Plan,
    /// Operator modes.
    Mode,
}

impl OrderKind {
    fn key(self) -> &'static str {
        match self {
            OrderKind::Plan => "plan",
            OrderKind::Mode => "mode",
        }
    }
}

/// The accepted orders of one site, and where they are kept (nowhere without `state_dir`).
#[derive(Debug)]
pub struct OrderBook {
    path: Option<PathBuf>,
    kept: Kept,
    audit: Option<AuditTrail>,
    /// Where the audit trail's chain was found broken when it was opened.
    pub audit_broken: Option<Broken>,
}

impl OrderBook {
    /// The orders kept for `site` in `dir`, if any. A record that cannot be read is set aside
    /// (renamed `*.unreadable`) with a warning, and the site starts from its configuration.
    pub fn open(dir: Option<&Path>, site: &str) -> OrderBook {
        let Some(dir) = dir else {
            return OrderBook {
                path: None,
                kept: Kept::default(),
                audit: None,
                audit_broken: None,
            };
        };
        let (audit, audit_broken) = AuditTrail::open(dir, site);
        let path = dir.join(format!("{site}.orders.json"));
        let kept = match fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(kept) => kept,
                Err(e) => {
                    let aside = path.with_extension("json.unreadable");
                    tracing::warn!(
                        path = %path.display(),
                        "the kept orders cannot be read ({e}); set aside as {}",
                        aside.display()
                    );
                    let _ = fs::rename(&path, aside);
                    Kept::default()
                }
            },
            Err(_) => Kept::default(),
        };
        OrderBook {
            path: Some(path),
            kept,
            audit: Some(audit),
            audit_broken,
        }
    }

    /// What is kept.
    pub fn kept(&self) -> &Kept {
        &self.kept
    }

    /// The newest version accepted of each plan and schedule id.
    pub fn newest(&self) -> &BTreeMap<String, u32> {
        &self.kept.newest
    }

    /// The issue time of the newest signed order of `kind` accepted.
    pub fn newest_issued(&self, kind: OrderKind) -> Option<SystemTime> {
        let text = self.kept.issued.get(kind.key())?;
        humantime::parse_rfc3339(text).ok()
    }

    /// Keeps an accepted `plan/set` (`message` as received) for plan or schedule `id` at
    /// `version` (`kind` `plan` or `schedule`), `signed` or not, and records it in the audit
    /// trail. Only once this returns `Ok` may the site say `accepted`.
    pub fn accept_plan(
        &mut self,
        message: &[u8],
        (kind, id, version): (&str, &str, u32),
        now: SystemTime,
        signed: Option<&Verified>,
    ) -> std::io::Result<Option<Entry>> {
        let mut next = self.kept.clone();
        set_issued(&mut next, OrderKind::Plan, signed.map(|v| v.issued));
        next.plan_message = Some(String::from_utf8_lossy(message).into_owned());
        next.plan_accepted_at = Some(humantime::format_rfc3339_millis(now).to_string());
        next.newest.insert(id.to_owned(), version);
        self.store(next)?;
        self.record(now, kind, &format!("{id} v{version}"), signed)
    }

    /// Keeps the operator mode ordered by the `mode/set` sent at `order` (its `ts`).
    pub fn accept_mode(
        &mut self,
        mode: OperatorMode,
        order: &str,
        signed: Option<&Verified>,
    ) -> std::io::Result<Option<Entry>> {
        let mut next = self.kept.clone();
        set_issued(&mut next, OrderKind::Mode, signed.map(|v| v.issued));
        next.mode = mode;
        next.mode_order = Some(order.to_owned());
        self.store(next)?;
        let what = mode.name();
        self.record(SystemTime::now(), "mode", what, signed)
    }

    fn record(
        &mut self,
        now: SystemTime,
        kind: &str,
        order: &str,
        signed: Option<&Verified>,
    ) -> std::io::Result<Option<Entry>> {
        let Some(audit) = &mut self.audit else {
            return Ok(None);
        };
        let ts = humantime::format_rfc3339_millis(now).to_string();
        let signer = signed.map(|v| v.key_id.as_str());
        audit.append(&ts, kind, order, signer).map(Some)
    }

    /// Forgets the kept plan message (it could not be restored); the versions seen stay.
    pub fn forget_plan(&mut self) -> std::io::Result<()> {
        let mut next = self.kept.clone();
        next.plan_message = None;
        next.plan_accepted_at = None;
        self.store(next)
    }

    fn store(&mut self, next: Kept) -> std::io::Result<()> {
        if let Some(path) = &self.path {
            write_durably(path, &serde_json::to_vec_pretty(&next)?)?;
        }
        self.kept = next;
        Ok(())
    }
}

fn set_issued(kept: &mut Kept, kind: OrderKind, issued: Option<SystemTime>) {
    if let Some(at) = issued {
        let text = humantime::format_rfc3339_millis(at).to_string();
        kept.issued.insert(kind.key().to_owned(), text);
    }
}

/// Writes `bytes` to `path` so that a crash leaves the old file or the new one, whole: a
/// temporary file beside it, flushed to the disk, renamed into place, the directory flushed.
pub fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{}.tmp", name.unwrap_or_default()));
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)?;
    // The rename itself is durable once the directory is.
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "greenwave-orders-{name}-{}-{:?}",
            std::process::id(),
            SystemTime::now()
        ));
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn accepted_orders_are_on_disk_before_the_call_returns_and_survive_a_reopen() {
        let dir = temp_dir("reopen");
        let mut book = OrderBook::open(Some(&dir), "J1");
        assert_eq!(book.kept(), &Kept::default());
        book.accept_plan(
            b"{\"plan\":1}",
            ("plan", "evening-J1", 5),
            SystemTime::now(),
            None,
        )
        .expect("kept");
        let issued = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_796_500_000_123);
        let signed = Verified {
            key_id: "0123456789abcdef".into(),
            issued,
        };
        book.accept_mode(OperatorMode::Flash, "2026-12-05T18:00:00Z", Some(&signed))
            .expect("kept");
        // A crash now: a new process opens the same directory.
        let again = OrderBook::open(Some(&dir), "J1");
        assert_eq!(again.kept().plan_message.as_deref(), Some("{\"plan\":1}"));
        assert_eq!(again.kept().mode, OperatorMode::Flash);
        assert_eq!(again.newest().get("evening-J1"), Some(&5));
        assert_eq!(again.newest_issued(OrderKind::Mode), Some(issued));
        assert_eq!(again.newest_issued(OrderKind::Plan), None);
        assert!(
            !dir.join(".J1.orders.json.tmp").exists(),
            "no temporary file left"
        );
        let trail = std::fs::read_to_string(dir.join("J1.audit.jsonl")).expect("a trail");
        assert!(trail.contains("evening-J1 v5") && trail.contains("0123456789abcdef"));
        assert_eq!(
            super::super::audit::verify(&dir.join("J1.audit.jsonl")).map(|l| l.0),
            Ok(2)
        );
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn an_unreadable_record_is_set_aside_not_lost_or_obeyed() {
        let dir = temp_dir("broken");
        fs::write(dir.join("J1.orders.json"), b"{ not json").expect("writes");
        let book = OrderBook::open(Some(&dir), "J1");
        assert_eq!(book.kept(), &Kept::default());
        assert_eq!(
            fs::read(dir.join("J1.orders.json.unreadable")).expect("set aside"),
            b"{ not json"
        );
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn without_a_state_dir_orders_live_in_memory() {
        let mut book = OrderBook::open(None, "J1");
        book.accept_mode(OperatorMode::Local, "2026-12-05T18:00:00Z", None)
            .expect("kept");
        assert_eq!(book.kept().mode, OperatorMode::Local);
    }
}
