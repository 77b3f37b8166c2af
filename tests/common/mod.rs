//! Helpers the command-line tests share: running the `greenwave` binary from the repository's
//! root, and a fresh output folder per test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `greenwave ARGS...` in the repository's root.
pub fn greenwave(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_greenwave"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("greenwave runs")
}

/// Runs `greenwave ARGS...` in the repository's root with the memory available to it set to
/// `mb` (`GREENWAVE_MEMORY_MB`).
pub fn greenwave_in_memory(mb: u32, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_greenwave"))
        .args(args)
        .env("GREENWAVE_MEMORY_MB", mb.to_string())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("greenwave runs")
}

/// A path under the tests' scratch folder with nothing at it (what was there is removed).
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Its standard error, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
