//! The component (部件) and event (事件) taxonomy: 大类 and 小类 with their codes, the owning
//! departments, the time limit of each stage and the duplicate window, as data
//! (`data/taxonomy/urban.csv`; a deployment edits its own copy). Loading checks every row and
//! names the file and line of the first problem.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::Serialize;

use crate::case::CaseLimits;
use crate::clock::{Span, TimeUnit};

/// 部件 or 事件.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassKind {
    Component,
    Event,
}

impl ClassKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClassKind::Component => "component",
            ClassKind::Event => "event",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ClassKind::Component => "部件",
            ClassKind::Event => "事件",
        }
    }
}

impl std::str::FromStr for ClassKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "component" | "部件" => Ok(ClassKind::Component),
            "event" | "事件" => Ok(ClassKind::Event),
            o => Err(format!("unknown kind `{o}` (component/部件, event/事件)")),
        }
    }
}

/// The stages of the urban workflow that carry a time limit (RULES.md §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 核实: a grid worker checks a citizen's or hotline report on site.
    Verify,
    /// 立案: the supervision centre registers (or rejects) it.
    Register,
    /// 派遣: the command centre dispatches it to the owning department.
    Dispatch,
    /// 处置: the department handles it.
    Handle,
    /// 核查: the grid worker checks the result on site.
    Check,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Verify,
        Stage::Register,
        Stage::Dispatch,
        Stage::Handle,
        Stage::Check,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Verify => "verify",
            Stage::Register => "register",
            Stage::Dispatch => "dispatch",
            Stage::Handle => "handle",
            Stage::Check => "check",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Verify => "核实",
            Stage::Register => "立案",
            Stage::Dispatch => "派遣",
            Stage::Handle => "处置",
            Stage::Check => "核查",
        }
    }
}

/// How sure the classification row is (from the compiled sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Confirmed by two independent sources.
    Confirmed,
    /// Seen in one source only.
    SingleSource,
    /// Added by the deployment.
    Local,
}

/// One subclass (小类).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subclass {
    pub kind: ClassKind,
    pub major_code: String,
    pub major_name: String,
    /// 4 digits: 2-digit 大类 + 2-digit 小类.
    pub code: String,
    pub name: String,
    pub confidence: Confidence,
    pub sources: Vec<String>,
    /// Codes of the owning departments, the first being the default for dispatch.
    pub departments: Vec<String>,
    /// The limit of each stage.
    pub limits: BTreeMap<Stage, Span>,
    /// Where the handling limit comes from; `default` marks an unconfirmed default.
    pub limits_source: String,
    /// Reports of this subclass within this many metres …
    pub dup_radius_m: u32,
    /// … and this many hours of each other are offered as likely duplicates.
    pub dup_window_h: u32,
}

impl Subclass {
    /// `部件/01 公用设施/0101 上水井盖`.
    pub fn path(&self) -> String {
        format!(
            "{}/{} {}/{} {}",
            self.kind.label_zh(),
            self.major_code,
            self.major_name,
            self.code,
            self.name
        )
    }
    /// Whether the time limits are our unconfirmed defaults rather than a named local table.
    pub fn limits_unconfirmed(&self) -> bool {
        self.limits_source == "default"
    }
    /// The key a case stores as its category: `component:0101`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.code)
    }
    /// The time limits a case of this subclass runs on: each stage's own limit (by the
    /// `stage` key of the urban workflow's states), and the overall limit from 立案 as 派遣 +
    /// 处置 + 核查 counted one after another.
    pub fn case_limits(&self) -> CaseLimits {
        CaseLimits {
            overall: [Stage::Dispatch, Stage::Handle, Stage::Check]
                .iter()
                .filter_map(|st| self.limits.get(st).copied())
                .collect(),
            stages: self
                .limits
                .iter()
                .map(|(st, span)| (st.as_str().to_string(), *span))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxonomyError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

impl fmt::Display for TaxonomyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.problem)
    }
}

impl std::error::Error for TaxonomyError {}

/// The whole taxonomy, in file order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Taxonomy {
    pub subclasses: Vec<Subclass>,
}

/// `4工作时`, `5 工作日`, `6小时`, `15日`, or `4 working_hour`.
pub fn parse_span(s: &str) -> Result<Span, String> {
    let s = s.trim();
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let amount: u32 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not an amount and a unit, like 4工作时 or 5工作日"))?;
    if amount == 0 {
        return Err(format!("`{s}`: a time limit must be more than zero"));
    }
    let unit: TimeUnit = s[digits.len()..].trim().parse()?;
    Ok(Span::new(amount, unit))
}

/// A span as the data file writes it: `4工作时`.
pub fn format_span(s: Span) -> String {
    format!("{}{}", s.amount, s.unit.label_zh())
}

/// The columns of a taxonomy table, in order.
pub const COLUMNS: [&str; 16] = [
    "kind",
    "major_code",
    "major_name",
    "minor_code",
    "minor_name",
    "confidence",
    "sources",
    "departments",
    "verify",
    "register",
    "dispatch",
    "handle",
    "check",
    "limits_source",
    "dup_radius_m",
    "dup_window_h",
];

impl Taxonomy {
    /// Read a CSV taxonomy (lines starting with `#` are comments; the header names the columns).
    pub fn from_csv(file: &str, text: &str) -> Result<Taxonomy, TaxonomyError> {
        let mut rows = Vec::new();
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        for rec in rdr.records() {
            let rec = rec.map_err(|e| TaxonomyError {
                file: file.into(),
                line: e.position().map(|p| p.line() as usize).unwrap_or(0),
                problem: e.to_string(),
            })?;
            let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
            rows.push((line, rec.iter().map(str::to_string).collect::<Vec<_>>()));
        }
        Taxonomy::from_rows(file, rows)
    }

    /// Read rows `(line, cells)`, the first being the header (also used for XLSX imports).
    pub fn from_rows(
        file: &str,
        rows: Vec<(usize, Vec<String>)>,
    ) -> Result<Taxonomy, TaxonomyError> {
        let err = |line: usize, problem: String| TaxonomyError {
            file: file.into(),
            line,
            problem,
        };
        let mut rows = rows.into_iter();
        let (hline, header) = rows
            .next()
            .ok_or_else(|| err(1, "the table is empty".into()))?;
        let col = |name: &str| header.iter().position(|h| h.trim() == name);
        let mut idx = BTreeMap::new();
        for c in COLUMNS {
            let i = col(c).ok_or_else(|| err(hline, format!("no column `{c}`")))?;
            idx.insert(c, i);
        }
        let mut t = Taxonomy::default();
        let mut seen = HashSet::new();
        let mut majors: BTreeMap<(ClassKind, String), String> = BTreeMap::new();
        for (line, cells) in rows {
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let get = |c: &str| cells.get(idx[c]).map(|s| s.trim()).unwrap_or("");
            let fail = |c: &str, m: String| err(line, format!("{c}: {m}"));
            let kind: ClassKind = get("kind").parse().map_err(|e| fail("kind", e))?;
            let major_code = get("major_code").to_string();
            if major_code.len() != 2 || !major_code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail(
                    "major_code",
                    format!("`{major_code}` is not two digits"),
                ));
            }
            let major_name = get("major_name").to_string();
            if major_name.is_empty() {
                return Err(fail("major_name", "empty".into()));
            }
            if let Some(other) = majors.get(&(kind, major_code.clone()))
                && other != &major_name
            {
                return Err(fail(
                    "major_name",
                    format!("{major_code} is already called {other}"),
                ));
            }
            majors.insert((kind, major_code.clone()), major_name.clone());
            let code = get("minor_code").to_string();
            if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail("minor_code", format!("`{code}` is not four digits")));
            }
            if !code.starts_with(&major_code) {
                return Err(fail(
                    "minor_code",
                    format!("{code} does not begin with its 大类 {major_code}"),
                ));
            }
            if !seen.insert((kind, code.clone())) {
                return Err(fail(
                    "minor_code",
                    format!("{} {code} appears twice", kind.as_str()),
                ));
            }
            let name = get("minor_name").to_string();
            if name.is_empty() {
                return Err(fail("minor_name", "empty".into()));
            }
            let confidence = match get("confidence") {
                "confirmed-2-sources" | "confirmed" => Confidence::Confirmed,
                "single-source" => Confidence::SingleSource,
                "local" | "" => Confidence::Local,
                o => {
                    return Err(fail(
                        "confidence",
                        format!("`{o}` (confirmed-2-sources, single-source, local)"),
                    ));
                }
            };
            let list = |c: &str| -> Vec<String> {
                get(c)
                    .split([';', '；'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            let departments = list("departments");
            if departments.is_empty() {
                return Err(fail(
                    "departments",
                    "name at least one owning department".into(),
                ));
            }
            let mut limits = BTreeMap::new();
            for st in Stage::ALL {
                let span = parse_span(get(st.as_str())).map_err(|e| fail(st.as_str(), e))?;
                limits.insert(st, span);
            }
            let number = |c: &str| -> Result<u32, TaxonomyError> {
                get(c)
                    .parse()
                    .map_err(|_| fail(c, format!("`{}` is not a whole number", get(c))))
            };
            let limits_source = match get("limits_source") {
                "" => "default".to_string(),
                s => s.to_string(),
            };
            t.subclasses.push(Subclass {
                kind,
                major_code,
                major_name,
                code,
                name,
                confidence,
                sources: list("sources"),
                departments,
                limits,
                limits_source,
                dup_radius_m: number("dup_radius_m")?,
                dup_window_h: number("dup_window_h")?,
            });
        }
        if t.subclasses.is_empty() {
            return Err(err(hline, "the table has no subclasses".into()));
        }
        Ok(t)
    }

    pub fn get(&self, kind: ClassKind, code: &str) -> Option<&Subclass> {
        self.subclasses
            .iter()
            .find(|s| s.kind == kind && s.code == code)
    }

    /// A subclass by its category key (`component:0101`).
    pub fn by_key(&self, key: &str) -> Option<&Subclass> {
        let (k, code) = key.split_once(':')?;
        self.get(k.parse().ok()?, code)
    }

    /// The 大类 of a kind: `(code, name, number of subclasses)`.
    pub fn majors(&self, kind: ClassKind) -> Vec<(String, String, usize)> {
        let mut out: Vec<(String, String, usize)> = Vec::new();
        for s in self.subclasses.iter().filter(|s| s.kind == kind) {
            match out.iter_mut().find(|m| m.0 == s.major_code) {
                Some(m) => m.2 += 1,
                None => out.push((s.major_code.clone(), s.major_name.clone(), 1)),
            }
        }
        out
    }

    /// The table as CSV (the columns of [`COLUMNS`]), for export and round trips.
    pub fn to_csv(&self) -> String {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        w.write_record(COLUMNS).expect("in memory");
        for s in &self.subclasses {
            let span = |st: Stage| format_span(s.limits[&st]);
            w.write_record([
                s.kind.as_str().to_string(),
                s.major_code.clone(),
                s.major_name.clone(),
                s.code.clone(),
                s.name.clone(),
                match s.confidence {
                    Confidence::Confirmed => "confirmed-2-sources",
                    Confidence::SingleSource => "single-source",
                    Confidence::Local => "local",
                }
                .to_string(),
                s.sources.join(";"),
                s.departments.join(";"),
                span(Stage::Verify),
                span(Stage::Register),
                span(Stage::Dispatch),
                span(Stage::Handle),
                span(Stage::Check),
                s.limits_source.clone(),
                s.dup_radius_m.to_string(),
                s.dup_window_h.to_string(),
            ])
            .expect("in memory");
        }
        String::from_utf8(w.into_inner().expect("in memory")).expect("utf-8 in, utf-8 out")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;

    #[test]
    fn the_shipped_taxonomy_has_the_compiled_classes() {
        let t = builtin::urban_taxonomy();
        let count = |k| t.subclasses.iter().filter(|s| s.kind == k).count();
        assert_eq!(count(ClassKind::Component), 85);
        assert_eq!(count(ClassKind::Event), 54);
        let majors: Vec<String> = t
            .majors(ClassKind::Event)
            .into_iter()
            .map(|m| format!("{} {}", m.0, m.1))
            .collect();
        assert_eq!(
            majors,
            [
                "01 市容环境",
                "02 宣传广告",
                "03 施工管理",
                "04 突发事件",
                "05 街面秩序"
            ]
        );
        assert_eq!(t.majors(ClassKind::Component).len(), 6);
        let garbage = t.by_key("event:0102").unwrap();
        assert_eq!(garbage.name, "暴露垃圾");
        assert_eq!(garbage.path(), "事件/01 市容环境/0102 暴露垃圾");
        assert_eq!(
            garbage.limits[&Stage::Handle],
            Span::new(4, TimeUnit::WorkingHour)
        );
        assert!(!garbage.limits_unconfirmed());
        let cover = t.get(ClassKind::Component, "0101").unwrap();
        assert_eq!(
            cover.limits[&Stage::Handle],
            Span::new(6, TimeUnit::ClockHour)
        );
        assert_eq!(cover.limits_source, "GZ");
        // Unconfirmed defaults are marked as such.
        assert!(t.by_key("event:0501").unwrap().limits_unconfirmed());
        assert_eq!(
            t.subclasses
                .iter()
                .filter(|s| s.confidence == Confidence::SingleSource)
                .count(),
            25
        );
    }

    #[test]
    fn csv_round_trip() {
        let t = builtin::urban_taxonomy();
        let again = Taxonomy::from_csv("export.csv", &t.to_csv()).unwrap();
        assert_eq!(again.subclasses, t.subclasses);
    }

    #[test]
    fn problems_name_the_file_line_and_column() {
        let head = COLUMNS.join(",");
        let row = "event,01,市容环境,0102,暴露垃圾,confirmed-2-sources,WX,cgj,1工作时,1工作时,1工作时,4工作时,1工作时,RR,50,72";
        let ok = format!("# comment\n{head}\n{row}\n");
        assert_eq!(
            Taxonomy::from_csv("t.csv", &ok).unwrap().subclasses.len(),
            1
        );
        let cases = [
            (
                row.replace(",0102,", ",0202,"),
                "3: minor_code: 0202 does not begin with its 大类 01",
            ),
            (
                row.replace(",4工作时,", ",4周,"),
                "3: handle: unknown time unit `周`",
            ),
            (
                row.replace(",4工作时,", ",0工作时,"),
                "3: handle: `0工作时`: a time limit must be more than zero",
            ),
            (
                row.replace("event,", "thing,"),
                "3: kind: unknown kind `thing`",
            ),
            (
                row.replace(",cgj,", ",,"),
                "3: departments: name at least one",
            ),
            (
                row.replace(",50,", ",near,"),
                "3: dup_radius_m: `near` is not a whole number",
            ),
            (
                format!("{row}\n{row}"),
                "4: minor_code: event 0102 appears twice",
            ),
        ];
        for (body, want) in cases {
            let e =
                Taxonomy::from_csv("t.csv", &format!("# comment\n{head}\n{body}\n")).unwrap_err();
            assert!(
                e.to_string().starts_with(&format!("t.csv:{want}")),
                "{e} (wanted {want})"
            );
        }
        let e = Taxonomy::from_csv("t.csv", "kind,major_code\n").unwrap_err();
        assert_eq!(e.to_string(), "t.csv:1: no column `major_name`");
    }

    #[test]
    fn spans_parse_in_chinese_and_english() {
        assert_eq!(
            parse_span("4工作时").unwrap(),
            Span::new(4, TimeUnit::WorkingHour)
        );
        assert_eq!(
            parse_span(" 15 日").unwrap(),
            Span::new(15, TimeUnit::CalendarDay)
        );
        assert_eq!(
            parse_span("2 working_day").unwrap(),
            Span::new(2, TimeUnit::WorkingDay)
        );
        assert!(parse_span("工作日").is_err());
        assert_eq!(format_span(Span::new(6, TimeUnit::ClockHour)), "6小时");
    }
}
