//! Digital urban management (数字城管) in the server: the deployment's taxonomy (CSV or XLSX)
//! and its API. The rules are in `zhili_domain::urban`.

pub mod api;
pub mod web;

use std::path::Path;

use zhili_domain::case::CaseLimits;
use zhili_domain::urban::duplicates::{Candidate, Report, likely_duplicates};
use zhili_domain::urban::taxonomy::{Subclass, Taxonomy, TaxonomyError};

use crate::config::Settings;

/// The case kind of 数字城管 cases; their category is a taxonomy key (`event:0102`).
pub const URBAN_KIND: &str = "urban";

impl<S: zhili_store::Store> crate::App<S> {
    /// The subclass of an urban case (`None` for other kinds or a category not in the taxonomy).
    pub fn urban_subclass(&self, kind: &str, category: Option<&str>) -> Option<&Subclass> {
        if kind != URBAN_KIND {
            return None;
        }
        self.taxonomy.by_key(category?)
    }

    /// The account public reports are made by (上报终端 `public-web`, reporter on the top
    /// town), created the first time it is needed.
    pub async fn public_reporter(&self) -> crate::error::AppResult<crate::auth::Principal> {
        const NAME: &str = "public-web";
        let user = match self.store.user_by_name(NAME).await {
            Ok(u) => u,
            Err(zhili_store::DbError::NotFound(_)) => {
                let nodes = self.store.list_nodes().await?;
                let town = nodes
                    .iter()
                    .filter(|n| n.kind == zhili_domain::org::NodeKind::Town)
                    .min_by_key(|n| n.path.len())
                    .ok_or_else(|| crate::error::AppError::not_found("a town to report in"))?;
                let made = crate::org::api::create_user(
                    self,
                    None,
                    crate::org::api::NewUserRequest {
                        username: NAME.into(),
                        display_name: "市民网上上报".into(),
                        password: crate::crypto::new_token(),
                        grants: vec![crate::org::api::GrantRequest {
                            role: zhili_domain::org::Role::Reporter.as_str().into(),
                            node_id: Some(town.id),
                            department_id: None,
                        }],
                    },
                )
                .await?;
                self.store.get_user(made.id).await?
            }
            Err(e) => return Err(e.into()),
        };
        crate::auth::Principal::for_user(self, user).await
    }

    /// The time limits a case runs on: its subclass's for an urban case, else its workflow's.
    pub fn case_limits(&self, kind: &str, category: Option<&str>) -> CaseLimits {
        self.urban_subclass(kind, category)
            .map(Subclass::case_limits)
            .unwrap_or_default()
    }

    /// The department an urban case of `category` at `node_path` goes to by default: the
    /// subclass's first owning department (by code) that exists, preferring one of the case's
    /// own town (a department whose org node is above the case's).
    pub async fn suggested_department(
        &self,
        category: &str,
        node_path: &str,
    ) -> crate::error::AppResult<Option<zhili_store::DepartmentRow>> {
        let Some(sub) = self.taxonomy.by_key(category) else {
            return Ok(None);
        };
        let depts = self.store.list_departments().await?;
        let mut best: Option<(usize, bool, &zhili_store::DepartmentRow)> = None;
        for d in &depts {
            let Some(rank) = sub.departments.iter().position(|c| *c == d.code) else {
                continue;
            };
            let local = match self.node_ref(d.node_id).await {
                Ok(n) => zhili_domain::org::path_contains(&n.path, node_path),
                Err(_) => false,
            };
            let better = match best {
                None => true,
                Some((r, l, _)) => (!local, rank) < (!l, r),
            };
            if better {
                best = Some((rank, local, d));
            }
        }
        Ok(best.map(|(_, _, d)| d.clone()))
    }

    /// Earlier reports (visible to `who`) that are likely duplicates of a report of `category`
    /// at (`lon`, `lat`) saying `text` now: same subclass, within the subclass's radius and
    /// window (RULES.md §3; taxonomy `dup_radius_m`, `dup_window_h`). Best first, with the
    /// cases.
    pub async fn likely_duplicates(
        &self,
        who: &crate::auth::Principal,
        category: &str,
        lon: f64,
        lat: f64,
        text: &str,
    ) -> crate::error::AppResult<Vec<(Candidate, zhili_store::CaseRow)>> {
        use crate::error::AppError;
        let sub = self.taxonomy.by_key(category).ok_or_else(|| {
            AppError::invalid(
                "category",
                format!("no subclass {category} in the taxonomy"),
            )
        })?;
        if !(-180.0..=180.0).contains(&lon) {
            return Err(AppError::invalid(
                "lon",
                "longitude must be between -180 and 180",
            ));
        }
        if !(-90.0..=89.0).contains(&lat) {
            return Err(AppError::invalid(
                "lat",
                "latitude must be between -90 and 89",
            ));
        }
        let now = self.now();
        let r = f64::from(sub.dup_radius_m);
        let (dlat, dlon) = (r / 111_000.0, r / (111_000.0 * lat.to_radians().cos()));
        let rows = self
            .store
            .list_cases(&zhili_store::CaseFilter {
                visibility: who.visibility(),
                category: Some(category.to_string()),
                created_from: Some(now - chrono::Duration::hours(i64::from(sub.dup_window_h))),
                bbox: Some((lon - dlon, lat - dlat, lon + dlon, lat + dlat)),
                limit: 200,
                ..Default::default()
            })
            .await?;
        let report = |c: &zhili_store::CaseRow| {
            Some(Report {
                id: c.id,
                subclass: c.category.clone()?,
                lon: c.lon?,
                lat: c.lat?,
                at: c.created_at,
                text: format!("{} {}", c.title, c.content),
            })
        };
        let earlier: Vec<Report> = rows.iter().filter_map(report).collect();
        let new = Report {
            id: 0,
            subclass: category.to_string(),
            lon,
            lat,
            at: now,
            text: text.to_string(),
        };
        let found = likely_duplicates(&new, &earlier, sub.dup_radius_m, sub.dup_window_h);
        Ok(found
            .into_iter()
            .filter_map(|c| {
                let row = rows.iter().find(|r| r.id == c.id)?.clone();
                Some((c, row))
            })
            .collect())
    }
}

/// The taxonomy in use: the deployment's file, or the shipped one.
pub fn load_taxonomy(settings: &Settings) -> Result<Taxonomy, String> {
    match &settings.taxonomy_file {
        Some(p) => read_taxonomy(p).map_err(|e| e.to_string()),
        None => Ok(zhili_domain::builtin::urban_taxonomy()),
    }
}

/// Read a taxonomy table from a CSV or XLSX file (by its extension).
pub fn read_taxonomy(path: &Path) -> Result<Taxonomy, TaxonomyError> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| TaxonomyError {
        file: name.clone(),
        line: 0,
        problem: e.to_string(),
    };
    let is_xlsx = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("xlsx"));
    if is_xlsx {
        let bytes = std::fs::read(path).map_err(io)?;
        taxonomy_from_xlsx(&name, &bytes)
    } else {
        let text = std::fs::read_to_string(path).map_err(io)?;
        Taxonomy::from_csv(&name, &text)
    }
}

/// Read the first worksheet of an XLSX workbook as a taxonomy table (header row first; rows
/// are numbered as the spreadsheet numbers them).
pub fn taxonomy_from_xlsx(name: &str, bytes: &[u8]) -> Result<Taxonomy, TaxonomyError> {
    use calamine::{Reader, Xlsx};
    let fail = |line: usize, problem: String| TaxonomyError {
        file: name.into(),
        line,
        problem,
    };
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| fail(0, format!("not an XLSX workbook: {e}")))?;
    let sheet = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| fail(0, "the workbook has no sheets".into()))?;
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| fail(0, format!("sheet {sheet}: {e}")))?;
    let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, r)| {
            let cells = r
                .iter()
                .map(|c| match c {
                    // Whole numbers typed as numbers (codes, radii) read as their digits.
                    calamine::Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    other => other.to_string(),
                })
                .collect();
            (first_row + i + 1, cells)
        })
        .filter(|(_, cells): &(usize, Vec<String>)| {
            !cells.first().is_some_and(|c| c.starts_with('#'))
        })
        .collect();
    Taxonomy::from_rows(name, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped table written to a workbook (codes as text, radii as numbers) reads back
    /// the same; a bad cell is reported with the spreadsheet's own row number.
    #[test]
    fn xlsx_tables_import() {
        let shipped = zhili_domain::builtin::urban_taxonomy();
        let csv_text = shipped.to_csv();
        let write = |edit: &dyn Fn(usize, usize, &str) -> String| {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let ws = wb.add_worksheet();
            for (r, line) in csv_text.lines().enumerate() {
                for (c, cell) in line.split(',').enumerate() {
                    let v = edit(r, c, cell);
                    let (r, c) = (r as u32, c as u16);
                    match v.parse::<f64>() {
                        Ok(n) if c >= 14 => ws.write_number(r, c, n).unwrap(),
                        _ => ws.write_string(r, c, &v).unwrap(),
                    };
                }
            }
            wb.save_to_buffer().unwrap()
        };
        let bytes = write(&|_, _, v| v.to_string());
        let t = taxonomy_from_xlsx("t.xlsx", &bytes).unwrap();
        assert_eq!(t.subclasses, shipped.subclasses);
        let bad = write(&|r, c, v| {
            if r == 5 && c == 11 {
                "三天".into()
            } else {
                v.to_string()
            }
        });
        let e = taxonomy_from_xlsx("t.xlsx", &bad).unwrap_err().to_string();
        assert!(e.starts_with("t.xlsx:6: handle:"), "{e}");
        let e = taxonomy_from_xlsx("t.xlsx", b"not a workbook")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an XLSX workbook"), "{e}");
    }
}
