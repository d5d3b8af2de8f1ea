//! Indicators over the case records, for the API, the dashboard and (later) the yearly report.
//! Every figure comes from the named definitions in `zhili_domain::indicators`.

pub mod api;
pub mod web;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhili_domain::clock::{from_local, to_local};
use zhili_domain::indicators::{Counts, IndicatorDef};
use zhili_store::{CountQuery, DbError, GroupBy, Store};

use crate::App;
use crate::auth::Principal;
use crate::cases::api::parse_time;
use crate::error::{AppError, AppResult};
use crate::extract::empty_as_none;

#[derive(Debug, Clone, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// Start of the period (`YYYY-MM-DD` or RFC 3339); default 1 January of this year.
    pub from: Option<String>,
    /// End of the period, excluded; default now.
    pub to: Option<String>,
    /// none, node, village, department, category, kind or month.
    pub group_by: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub node_id: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub department_id: Option<i64>,
    pub category: Option<String>,
    pub kind: Option<String>,
    /// Rank the groups by this indicator, best (highest) first; groups without a value last.
    pub rank_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorDefView {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub version: u32,
    pub is_rate: bool,
    /// count, rate or hours
    pub unit: String,
    /// `numerator / denominator` by measure names.
    pub formula: String,
    pub source: String,
    /// The official definition is unconfirmed; a deployment may set its own (`indicators_file`).
    pub unconfirmed: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorRow {
    /// The group's key (node id, department id, category, kind, month); absent without grouping.
    pub key: Option<String>,
    /// The group's name for people.
    pub label: String,
    /// Place in the ranking (1 = best) when the report is ranked (`rank_by`).
    pub rank: Option<usize>,
    /// Indicator id → value (rates as fractions; null when the denominator is 0).
    pub values: BTreeMap<String, Option<f64>>,
    /// Indicator id → value as shown (counts, percentages with two decimals).
    pub display: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Counts are as of this time: the end of the period, or now if that is earlier.
    pub as_of: DateTime<Utc>,
    pub group_by: String,
    pub definitions: Vec<IndicatorDefView>,
    pub rows: Vec<IndicatorRow>,
    /// All groups together.
    pub total: IndicatorRow,
}

/// The indicator definitions in use: the shipped ones, with the formulas of `indicators_file`.
pub fn load_indicators(settings: &crate::config::Settings) -> Result<Vec<IndicatorDef>, String> {
    match &settings.indicators_file {
        None => Ok(zhili_domain::indicators::builtin()),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            zhili_domain::indicators::with_overrides(&text)
                .map_err(|e| format!("{}: {e}", p.display()))
        }
    }
}

fn row(defs: &[IndicatorDef], key: Option<String>, label: String, c: &Counts) -> IndicatorRow {
    IndicatorRow {
        key,
        label,
        rank: None,
        values: defs
            .iter()
            .map(|d| (d.id.to_string(), d.value(c)))
            .collect(),
        display: defs
            .iter()
            .map(|d| (d.id.to_string(), d.format(c)))
            .collect(),
    }
}

pub fn definitions(defs: &[IndicatorDef]) -> Vec<IndicatorDefView> {
    defs.iter()
        .map(|d| IndicatorDefView {
            id: d.id.into(),
            name_zh: d.name_zh.into(),
            name_en: d.name_en.into(),
            version: d.version,
            is_rate: d.is_rate(),
            unit: format!("{:?}", d.unit).to_lowercase(),
            formula: d.formula(),
            source: d.source.to_string(),
            unconfirmed: d.unconfirmed,
        })
        .collect()
}

impl<S: Store> App<S> {
    pub async fn indicators(
        &self,
        who: &Principal,
        q: &IndicatorQuery,
    ) -> AppResult<IndicatorReport> {
        let now = self.now();
        let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => parse_time("from", s)?,
            None => {
                let y = to_local(now).year();
                from_local(
                    NaiveDate::from_ymd_opt(y, 1, 1)
                        .expect("valid date")
                        .and_time(chrono::NaiveTime::MIN),
                )
            }
        };
        let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => parse_time("to", s)?,
            None => now,
        };
        if to <= from {
            return Err(AppError::invalid("to", "the period ends before it starts"));
        }
        let group_by: GroupBy = q
            .group_by
            .as_deref()
            .unwrap_or("none")
            .parse()
            .map_err(|e: String| AppError::invalid("group_by", e))?;
        // The node filter: the one asked for (if the caller may see it), else the caller's widest
        // subtree. Callers with only department grants see their departments.
        let visibility = who.visibility();
        let node_path = match q.node_id {
            Some(id) => {
                let n = match self.store.get_node(id).await {
                    Ok(n) => n,
                    Err(DbError::NotFound(_)) => {
                        return Err(AppError::invalid("node_id", "no such org node"));
                    }
                    Err(e) => return Err(e.into()),
                };
                if !visibility
                    .node_paths
                    .iter()
                    .any(|p| n.path.starts_with(p.as_str()))
                {
                    return Err(AppError::forbidden("you may not see figures of that node"));
                }
                Some(n.path)
            }
            None => visibility
                .node_paths
                .iter()
                .min_by_key(|p| p.len())
                .cloned(),
        };
        let department_id = match (q.department_id, &node_path) {
            (Some(d), _) => Some(d),
            (None, None) => match visibility.department_ids.first() {
                Some(d) => Some(*d),
                None => return Err(AppError::forbidden("you have no grant to see figures for")),
            },
            (None, Some(_)) => None,
        };
        let query = CountQuery {
            from,
            to,
            as_of: to.min(now),
            group_by,
            node_path,
            department_id,
            category: q.category.clone().filter(|s| !s.is_empty()),
            kind: q.kind.clone().filter(|s| !s.is_empty()),
        };
        // The indicators that mean something for the kind asked (a module's own ones with the
        // general ones), or the general ones alone.
        let defs: Vec<IndicatorDef> = self
            .indicator_defs
            .iter()
            .filter(|d| match &query.kind {
                Some(k) => d.applies_to(k),
                None => d.kinds.is_empty(),
            })
            .cloned()
            .collect();
        let groups = self.store.counts(&query).await?;
        let labels = self.group_labels(group_by).await?;
        let mut total = Counts::default();
        let rows = groups
            .iter()
            .map(|g| {
                total.add(&g.counts);
                let label = g
                    .key
                    .as_ref()
                    .map(|k| labels.get(k).cloned().unwrap_or_else(|| k.clone()))
                    .unwrap_or_else(|| "（未指定）".into());
                row(&defs, g.key.clone(), label, &g.counts)
            })
            .collect::<Vec<_>>();
        let mut rows = rows;
        if let Some(by) = q.rank_by.as_deref().filter(|s| !s.is_empty()) {
            if !defs.iter().any(|d| d.id == by) {
                return Err(AppError::invalid(
                    "rank_by",
                    format!("no indicator `{by}` (see /api/v1/indicators/definitions)"),
                ));
            }
            let v = |r: &IndicatorRow| r.values.get(by).copied().flatten();
            rows.sort_by(|a, b| match (v(a), v(b)) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
            for (i, r) in rows.iter_mut().enumerate() {
                r.rank = v(r).map(|_| i + 1);
            }
        }
        Ok(IndicatorReport {
            from,
            to,
            as_of: query.as_of,
            group_by: format!("{group_by:?}").to_lowercase(),
            definitions: definitions(&defs),
            rows,
            total: row(&defs, None, "合计".into(), &total),
        })
    }

    /// A module's own figures this year (its indicators, by name and as shown), for the head of
    /// its pages: the same definitions and counts as the API and the report.
    pub async fn module_figures(
        &self,
        who: &Principal,
        kind: &str,
    ) -> AppResult<Vec<(String, String)>> {
        let r = self
            .indicators(
                who,
                &IndicatorQuery {
                    kind: Some(kind.into()),
                    ..Default::default()
                },
            )
            .await?;
        Ok(self
            .indicator_defs
            .iter()
            .filter(|d| !d.kinds.is_empty() && d.applies_to(kind))
            .map(|d| {
                (
                    d.name_zh.to_string(),
                    r.total.display.get(d.id).cloned().unwrap_or_default(),
                )
            })
            .collect())
    }

    async fn group_labels(&self, g: GroupBy) -> AppResult<BTreeMap<String, String>> {
        Ok(match g {
            GroupBy::Node | GroupBy::Village => self
                .store
                .list_nodes()
                .await?
                .into_iter()
                .map(|n| (n.id.to_string(), n.name))
                .collect(),
            GroupBy::Department => self
                .store
                .list_departments()
                .await?
                .into_iter()
                .map(|d| (d.id.to_string(), d.name))
                .collect(),
            GroupBy::Handler => self
                .store
                .list_users()
                .await?
                .into_iter()
                .map(|u| (u.id.to_string(), u.display_name))
                .collect(),
            _ => BTreeMap::new(),
        })
    }
}
