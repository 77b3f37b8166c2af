//! The audit trail of a site: every order it accepted (plan, schedule, operator mode) with who
//! signed it, as JSON lines in `state_dir/{site}.audit.jsonl`, each line chained to the one
//! before by a SHA-256 hash (`hash = sha256(prev + the entry's JSON without its hash)`), so that
//! an edited, removed or inserted line breaks the chain from there on. The trail is appended to
//! and flushed to the disk before the order is acknowledged; its entries also go out on
//! `events` (kind `audit`).

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its number, from 1.
    pub seq: u64,
    /// When it was accepted (RFC 3339).
    pub ts: String,
    /// `plan`, `schedule` or `mode`.
    pub kind: String,
    /// What was ordered: `id vN`, or the mode.
    pub order: String,
    /// The key id that signed it, or `unsigned`.
    pub signer: String,
    /// The previous entry's hash.
    pub prev: String,
    /// This entry's hash.
    #[serde(default)]
    pub hash: String,
}

impl Entry {
    fn digest(&self) -> String {
        let mut unhashed = self.clone();
        unhashed.hash = String::new();
        let json = serde_json::to_vec(&unhashed).unwrap_or_default();
        let mut bytes = self.prev.as_bytes().to_vec();
        bytes.extend_from_slice(&json);
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Where a trail's chain breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: line {line}: {why}")]
pub struct Broken {
    /// The file.
    pub path: String,
    /// The line (from 1).
    pub line: usize,
    /// What is wrong.
    pub why: String,
}

/// The trail of one site.
#[derive(Debug)]
pub struct AuditTrail {
    path: PathBuf,
    last: (u64, String),
}

impl AuditTrail {
    /// Opens (or starts) the trail in `dir`, checking its chain. A broken chain is reported and
    /// the trail goes on from its last line, so the break stays visible to [`verify`].
    pub fn open(dir: &Path, site: &str) -> (AuditTrail, Option<Broken>) {
        let path = dir.join(format!("{site}.audit.jsonl"));
        let (last, broken) = match verify(&path) {
            Ok(last) => (last, None),
            Err((last, broken)) => (last, Some(broken)),
        };
        (AuditTrail { path, last }, broken)
    }

    /// Appends an entry, flushed to the disk before it returns.
    pub fn append(
        &mut self,
        ts: &str,
        kind: &str,
        order: &str,
        signer: Option<&str>,
    ) -> std::io::Result<Entry> {
        let mut entry = Entry {
            seq: self.last.0 + 1,
            ts: ts.to_owned(),
            kind: kind.to_owned(),
            order: order.to_owned(),
            signer: signer.unwrap_or("unsigned").to_owned(),
            prev: self.last.1.clone(),
            hash: String::new(),
        };
        entry.hash = entry.digest();
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        let mut line = serde_json::to_vec(&entry)?;
        line.push(b'\n');
        file.write_all(&line)?;
        file.sync_data()?;
        self.last = (entry.seq, entry.hash.clone());
        Ok(entry)
    }
}

/// Checks the chain of the trail at `path` (a missing file is an empty trail). Returns the last
/// entry's number and hash, or where the chain breaks with the last good entry's.
#[allow(clippy::result_large_err)]
pub fn verify(path: &Path) -> Result<(u64, String), ((u64, String), Broken)> {
    let mut last = (0, GENESIS.to_owned());
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(last);
    };
    let broken = |line: usize, why: String| Broken {
        path: path.display().to_string(),
        line,
        why,
    };
    let mut tail = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let entry: Entry = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(e) => {
                tail.get_or_insert(broken(n, format!("not an entry: {e}")));
                continue;
            }
        };
        if tail.is_none() {
            if entry.prev != last.1 {
                tail = Some(broken(
                    n,
                    "its prev is not the hash of the line before".into(),
                ));
            } else if entry.hash != entry.digest() {
                tail = Some(broken(n, "its hash does not match its content".into()));
            }
        }
        last = (entry.seq, entry.hash);
    }
    match tail {
        None => Ok(last),
        Some(b) => Err((last, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("greenwave-audit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("dir");
        d
    }

    #[test]
    fn a_trail_chains_across_reopens_and_any_edit_breaks_it() {
        let d = dir("chain");
        let (mut trail, broken) = AuditTrail::open(&d, "J1");
        assert!(broken.is_none());
        trail
            .append(
                "2026-12-05T18:00:00Z",
                "plan",
                "webster-J1 v2",
                Some("ab12"),
            )
            .expect("appends");
        let (mut again, broken) = AuditTrail::open(&d, "J1");
        assert!(broken.is_none());
        let e = again
            .append("2026-12-05T18:01:00Z", "mode", "flash", None)
            .expect("appends");
        assert_eq!((e.seq, e.signer.as_str()), (2, "unsigned"));
        let path = d.join("J1.audit.jsonl");
        assert_eq!(verify(&path).map(|l| l.0), Ok(2));

        // The first order's version edited: the chain breaks at line 1.
        let text = std::fs::read_to_string(&path).expect("reads");
        std::fs::write(&path, text.replacen("v2", "v9", 1)).expect("writes");
        let (_, b) = verify(&path).unwrap_err();
        assert_eq!(b.line, 1, "{b}");
        // A line removed: the next no longer follows.
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(&path, format!("{}\n", lines[1])).expect("writes");
        let (_, b) = verify(&path).unwrap_err();
        assert!(b.why.contains("prev"), "{b}");
        let (_, broken) = AuditTrail::open(&d, "J1");
        assert!(broken.is_some(), "opening says so");
        let _ = std::fs::remove_dir_all(d);
    }
}
