//! Helpers for tests that run the `zhili` binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub fn zhili() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zhili"));
    c.env("ZHILI_LOG", "warn");
    c
}

pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir(tag: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("zhili-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// Run `zhili` with the data arguments and more; panics with its output if it fails.
pub fn run_ok(data: &[&str], args: &[&str], envs: &[(&str, &str)]) -> Output {
    let out = zhili()
        .args(data)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zhili {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The PostgreSQL URL for tests, or None (skip) — but under CI=true a missing URL is a failure.
pub fn pg_url(what: &str) -> Option<String> {
    match std::env::var("ZHILI_TEST_DATABASE_URL") {
        Ok(u) => Some(u),
        Err(_) => {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI=true but ZHILI_TEST_DATABASE_URL is not set"
            );
            eprintln!("skipped: ZHILI_TEST_DATABASE_URL is not set ({what})");
            None
        }
    }
}

/// A running `zhili serve`; stopped when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve(data: &[&str]) -> Server {
    let mut child = zhili()
        .args(data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in `{line}`"))
        .trim_end_matches('/')
        .to_string();
    Server { child, base }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}
