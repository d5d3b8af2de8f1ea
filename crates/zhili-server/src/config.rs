//! Settings: defaults, then a TOML file, then `ZHILI_` environment variables. Secrets come from
//! files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the SQLite file, attachments and the generated secret key live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; empty for the SQLite file under `data_dir`.
    pub database: Option<String>,
    /// Address the server listens on.
    pub listen: String,
    /// File holding the base64 key that encrypts personal data; default `<data_dir>/secret.key`,
    /// created on first start.
    pub secret_key_file: Option<PathBuf>,
    /// Office hours for 工作时 deadlines.
    pub office_hours: String,
    /// Extra or replacement calendar year files (`YYYY.toml`) and `overrides.toml`.
    pub calendar_dir: Option<PathBuf>,
    /// Extra or replacement workflow definitions (`*.toml`).
    pub workflow_dir: Option<PathBuf>,
    /// The deployment's urban-management taxonomy (CSV or XLSX) instead of the shipped one.
    pub taxonomy_file: Option<PathBuf>,
    /// Largest attachment accepted, in MiB.
    pub max_upload_mib: u64,
    /// How long a web login lasts, in hours.
    pub session_hours: i64,
    /// How often the deadline scan runs, in seconds.
    pub scan_interval_secs: u64,
    /// The Open311 `jurisdiction_id` this server answers to (e.g. the town's domain); when set,
    /// a request naming another is a 404. Unset: the parameter is ignored (one jurisdiction).
    pub open311_jurisdiction: Option<String>,
    /// A TOML file with the deployment's own formulas for the indicators whose official
    /// definition is unconfirmed (`[[indicator]] id, numerator, denominator, source`).
    pub indicators_file: Option<PathBuf>,
    /// A TOML file with the local working mechanisms: `first_receiver`, `leader_ownership` and the
    /// ledger's `[[ledger_criterion]] id, label` (default: the 五不结案 practice).
    pub mechanisms_file: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("zhili-data"),
            database: None,
            listen: "127.0.0.1:8080".into(),
            secret_key_file: None,
            office_hours: "08:30-12:00,14:00-17:30".into(),
            calendar_dir: None,
            workflow_dir: None,
            taxonomy_file: None,
            max_upload_mib: 20,
            session_hours: 12,
            scan_interval_secs: 60,
            open311_jurisdiction: None,
            indicators_file: None,
            mechanisms_file: None,
        }
    }
}

pub const EXAMPLE: &str = r#"# zhili configuration. Every key is optional; the values shown are the defaults.
# Environment variables override this file: ZHILI_DATA_DIR, ZHILI_DATABASE, ZHILI_LISTEN,
# ZHILI_SECRET_KEY_FILE, ZHILI_OFFICE_HOURS, ZHILI_CALENDAR_DIR, ZHILI_WORKFLOW_DIR,
# ZHILI_TAXONOMY_FILE, ZHILI_INDICATORS_FILE, ZHILI_MECHANISMS_FILE.

# Where the SQLite file, attachments and the generated secret key live.
data_dir = "zhili-data"

# PostgreSQL instead of the SQLite file, e.g. "postgres://zhili@db.example/zhili".
# database = "postgres://…"

listen = "127.0.0.1:8080"

# The key that encrypts personal data (base64 of 32 bytes). Default: <data_dir>/secret.key,
# created on first start. Keep a copy: without it, stored personal data cannot be read.
# secret_key_file = "/etc/zhili/secret.key"

# Office hours for deadlines counted in working hours (工作时).
office_hours = "08:30-12:00,14:00-17:30"

# A folder with calendar year files (2028.toml …) that add to or replace the shipped ones, and an
# optional overrides.toml with rest_days = [...] and work_days = [...] of the deployment's own.
# calendar_dir = "/etc/zhili/calendar"

# A folder with workflow definitions (*.toml) that add to or replace the shipped ones.
# workflow_dir = "/etc/zhili/workflows"

# The urban-management taxonomy (部件/事件 classes, owning departments, stage time limits) as a CSV
# or XLSX table with the columns of data/taxonomy/urban.csv, replacing the shipped one.
# `zhili taxonomy check FILE` checks a table and prints it as CSV.
# taxonomy_file = "/etc/zhili/taxonomy.xlsx"

max_upload_mib = 20
session_hours = 12
scan_interval_secs = 60

# The Open311 GeoReport v2 jurisdiction_id (/open311/v2), e.g. the town's domain.
# open311_jurisdiction = "qingxi.dg.gov.cn"

# The deployment's own formulas for indicators whose official definition is unconfirmed (e.g. the
# 数字城管 立案率, 按期处置率), as [[indicator]] id = "…", numerator = "…", denominator = "…",
# source = "…" with measure names from GET /api/v1/indicators/definitions.
# indicators_file = "/etc/zhili/indicators.toml"

# The local working mechanisms (地方工作机制): first_receiver = true (首访负责: an objection hands an
# item back to the unit that first received it), leader_ownership = true (领导包案), and the
# tag-and-close ledger's closure criteria (挂牌销号) as [[ledger_criterion]] id = "…", label = "…"
# (default: 事实已查清, 处理已到位, 问题已解决, 群众已满意, 领导已审批), and the risk grading scheme
# (风险分级) as [[risk_grade]] id = "…", label = "…", color = (a CSS colour), rank = 1.. (higher is more serious;
# default 红/黄/绿).
# mechanisms_file = "/etc/zhili/mechanisms.toml"
"#;

impl Settings {
    /// Defaults, then the file (if given), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, String> {
        let mut s = match file {
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?
            }
            None => Settings::default(),
        };
        s.apply_env(|k| std::env::var(k).ok());
        Ok(s)
    }

    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) {
        if let Some(v) = get("ZHILI_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("ZHILI_DATABASE") {
            self.database = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("ZHILI_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("ZHILI_SECRET_KEY_FILE") {
            self.secret_key_file = Some(v.into());
        }
        if let Some(v) = get("ZHILI_OFFICE_HOURS") {
            self.office_hours = v;
        }
        if let Some(v) = get("ZHILI_CALENDAR_DIR") {
            self.calendar_dir = Some(v.into());
        }
        if let Some(v) = get("ZHILI_WORKFLOW_DIR") {
            self.workflow_dir = Some(v.into());
        }
        if let Some(v) = get("ZHILI_TAXONOMY_FILE") {
            self.taxonomy_file = Some(v.into());
        }
        if let Some(v) = get("ZHILI_INDICATORS_FILE") {
            self.indicators_file = Some(v.into());
        }
        if let Some(v) = get("ZHILI_MECHANISMS_FILE") {
            self.mechanisms_file = Some(v.into());
        }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("zhili.db")
    }

    pub fn is_postgres(&self) -> bool {
        self.database
            .as_deref()
            .is_some_and(|d| d.starts_with("postgres://") || d.starts_with("postgresql://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses_to_defaults() {
        let s: Settings = toml::from_str(EXAMPLE).unwrap();
        let d = Settings::default();
        assert_eq!(s.listen, d.listen);
        assert_eq!(s.office_hours, d.office_hours);
        assert!(toml::from_str::<Settings>("nope = 1").is_err());
    }

    #[test]
    fn env_overrides() {
        let mut s = Settings::default();
        s.apply_env(|k| (k == "ZHILI_DATABASE").then(|| "postgres://x/y".to_string()));
        assert!(s.is_postgres());
    }
}
