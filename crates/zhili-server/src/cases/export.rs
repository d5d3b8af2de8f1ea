//! The register as a spreadsheet (台账导出): the cases a filter selects, one row each, as .xlsx —
//! 信访事项登记台账, 人民调解案件台账, or any kind's. Parties' names are masked; with `reveal=true` a
//! role that may see a case's parties gets them in clear for that case, each such case logging the
//! reveal in its timeline like any other, and the others stay masked.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};
use serde::Deserialize;
use utoipa::IntoParams;
use zhili_store::{CaseRow, NewEvent, Store};

use super::api::ListQuery;
use super::fmt_local;
use crate::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::extract::ApiQuery;

/// At most this many cases in one export.
pub const MAX_ROWS: i64 = 5_000;

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Case kind: petition, mediation, risk, urban, general …
    pub kind: Option<String>,
    pub state: Option<String>,
    pub category: Option<String>,
    pub department_id: Option<String>,
    pub node_id: Option<String>,
    /// Registered from this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Registered before this day.
    pub to: Option<String>,
    /// true: open cases only; false: ended only.
    pub open: Option<bool>,
    /// Words in the number, title, content or address.
    pub q: Option<String>,
    /// `true`: parties' names in clear where the caller's role may see them (each case logged).
    #[serde(default)]
    pub reveal: bool,
}

fn num(field: &str, v: &Option<String>) -> AppResult<Option<i64>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, format!("`{s}` is not a number"))),
    }
}

impl<S: Store> App<S> {
    /// The selected cases as an .xlsx register; the file name says what and when.
    pub async fn export_cases(
        &self,
        who: &Principal,
        q: &ExportQuery,
    ) -> AppResult<(String, Vec<u8>)> {
        let list = ListQuery {
            kind: q.kind.clone(),
            state: q.state.clone(),
            category: q.category.clone(),
            department_id: num("department_id", &q.department_id)?,
            node_id: num("node_id", &q.node_id)?,
            from: q.from.clone(),
            to: q.to.clone(),
            open: q.open,
            q: q.q.clone(),
            ..Default::default()
        };
        let mut filter = list.to_filter(self, who).await?;
        filter.limit = MAX_ROWS + 1;
        let mut rows = self.store.list_cases(&filter).await?;
        let truncated = rows.len() as i64 > MAX_ROWS;
        rows.truncate(MAX_ROWS as usize);
        rows.reverse(); // oldest first, as a register is kept
        let names = crate::cases::web::Names::load(self).await?;
        let headers = [
            "编号",
            "类型",
            "类别",
            "来源",
            "事项",
            "所在地",
            "承办单位",
            "当事人",
            "状态",
            "登记时间",
            "办理期限",
            "办结时间",
            "是否按期",
        ];
        let mut table = Vec::with_capacity(rows.len());
        for c in &rows {
            table.push(vec![
                c.case_no.clone(),
                zhili_domain::case::kind_label(&c.kind).to_string(),
                super::category_label(self, c),
                c.channel.label_zh().to_string(),
                c.title.clone(),
                names.node(c.node_id),
                names.department(c.department_id),
                self.export_parties(who, c, q.reveal).await?,
                self.workflows
                    .for_kind(&c.kind)
                    .map(|w| w.state_name(&c.state))
                    .unwrap_or_else(|| c.state.clone()),
                fmt_local(c.created_at),
                c.clocks.overall_due().map(fmt_local).unwrap_or_default(),
                c.closed_at.map(fmt_local).unwrap_or_default(),
                match c.clocks.on_time() {
                    Some(true) => "按期".into(),
                    Some(false) => "超期".into(),
                    None => String::new(),
                },
            ]);
        }
        let bytes = spreadsheet(
            &headers,
            &table,
            truncated
                .then(|| format!("仅导出前 {MAX_ROWS} 件，请缩小范围 (the first {MAX_ROWS} only)")),
        )?;
        let what = q.kind.as_deref().unwrap_or("cases");
        let day = zhili_domain::clock::to_local(self.now()).format("%Y%m%d");
        Ok((format!("{what}-{day}.xlsx"), bytes))
    }

    /// A case's parties for the register: role and name, masked unless revealed (logged).
    async fn export_parties(
        &self,
        who: &Principal,
        c: &CaseRow,
        reveal: bool,
    ) -> AppResult<String> {
        let parties = self.store.parties(c.id).await?;
        if parties.is_empty() {
            return Ok(String::new());
        }
        let clear = reveal && self.may_reveal(who, c);
        let mut out = Vec::new();
        for p in &parties {
            let name = if clear {
                self.decrypt_party(p)?.name
            } else {
                p.name_masked.clone()
            };
            out.push(format!(
                "{} {}",
                zhili_domain::case::party_role_label_in(&c.kind, &p.role),
                name
            ));
        }
        if clear {
            self.store
                .case_event(
                    c.id,
                    NewEvent {
                        kind: "personal_data_revealed".into(),
                        actor_id: Some(who.user.id),
                        at: self.now(),
                        data: serde_json::json!({"export": true, "by": who.user.username}),
                    },
                )
                .await?;
            self.metrics.reveals.inc();
        }
        Ok(out.join("；"))
    }
}

/// A table as an .xlsx sheet: bold headers, text cells, a note under the rows, columns fitted.
pub(crate) fn spreadsheet(
    headers: &[&str],
    rows: &[Vec<String>],
    note: Option<String>,
) -> AppResult<Vec<u8>> {
    let xl = |e: rust_xlsxwriter::XlsxError| AppError::internal(e);
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xl)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(i as u32 + 1, c as u16, v).map_err(xl)?;
        }
    }
    if let Some(n) = note {
        ws.write_string(rows.len() as u32 + 2, 0, n).map_err(xl)?;
    }
    ws.autofit();
    wb.save_to_buffer().map_err(xl)
}

/// An .xlsx download.
pub(crate) fn xlsx_download(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// The cases a filter selects as an .xlsx register (台账).
#[utoipa::path(get, path = "/api/v1/cases/export.xlsx", tag = "cases", params(ExportQuery),
    responses((status = 200, description = "the register", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn export<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    let (name, bytes) = app.export_cases(&who, &q).await?;
    Ok(xlsx_download(&name, bytes))
}
