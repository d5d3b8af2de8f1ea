//! The web UI in headless Chromium: `tests/browser/flow.mjs`, `urban.mjs`, `petition.mjs`, `risk.mjs` and `mediation.mjs` (node's test runner with
//! playwright-core and Debian's chromium) against a real `zhili serve` on the demo town.
//! Without node, chromium or `tests/browser/node_modules` the test skips with a notice, except
//! under `CI=true`, where that is a failure. Screenshots go to `target/screenshots/`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

#[test]
fn web_ui_in_chromium() {
    let root = repo_root();
    let browser_dir = root.join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let ready = node_ok
        && Path::new(&chromium).exists()
        && browser_dir.join("node_modules/playwright-core").exists();
    if !ready {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but node, {chromium} or tests/browser/node_modules is missing (run `npm ci` in tests/browser)"
        );
        eprintln!(
            "skipped: node, chromium or tests/browser/node_modules is missing (browser test)"
        );
        return;
    }
    let dir = temp_dir("browser");
    let d = dir.0.to_str().unwrap().to_string();
    let data = ["--data-dir", d.as_str()];
    run_ok(
        &data,
        &[
            "demo",
            "--cases",
            "80",
            "--urban",
            "300",
            "--petitions",
            "40",
            "--risks",
            "30",
            "--unstable-events",
            "10",
            "--mediations",
            "60",
            "--court-mediations",
            "10",
            "--arbitrations",
            "10",
            "--quiet",
        ],
        &[],
    );
    run_ok(
        &data,
        &["user", "passwd", "dispatcher"],
        &[("ZHILI_PASSWORD", "dispatcher-pass")],
    );
    run_ok(
        &data,
        &["user", "passwd", "h_zjj"],
        &[("ZHILI_PASSWORD", "handler-pass")],
    );
    for user in [
        "admin",
        "handler",
        "gridworker",
        "petition",
        "leader",
        "tm200",
    ] {
        run_ok(
            &data,
            &["user", "passwd", user],
            &[("ZHILI_PASSWORD", &format!("{user}-pass"))],
        );
    }
    let server = serve(&data);
    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let status = Command::new("node")
        .current_dir(&browser_dir)
        .args([
            "--test",
            "--test-reporter=spec",
            "flow.mjs",
            "urban.mjs",
            "petition.mjs",
            "risk.mjs",
            "mediation.mjs",
        ])
        .env("ZHILI_BASE_URL", &server.base)
        .env("ZHILI_SCREENSHOTS", &shots)
        .env("CHROMIUM", &chromium)
        .status()
        .unwrap();
    drop(server);
    assert!(status.success(), "the browser test failed");
}
