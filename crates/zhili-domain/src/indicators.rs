//! Indicators (指标): named, versioned formulas over counts of cases. The same definitions feed the
//! API, the dashboard, exports and the yearly report, so a figure can never differ between them.
//!
//! Counts are taken over the cohort of cases received in a period, evaluated as of the end of
//! the period (or now, for the running period).

use std::borrow::Cow;

use serde::Serialize;

/// A count (or a sum) the store takes over the cohort of a period. The store has one place that
/// turns each measure into SQL; the meaning is defined here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 受理数/上报数/接收: cases received (created) in the period.
    Received,
    /// 立案数: of those, cases registered (立案).
    Registered,
    /// 应结案数: registered cases that are closed, or whose overall time limit has run out, as of
    /// the evaluation time.
    DueForClosing,
    /// 结案数: registered cases closed as of the evaluation time.
    Closed,
    /// 按期结案数: closed within the overall time limit (extensions included).
    ClosedOnTime,
    /// 超期数: registered cases whose overall time limit ran out before they were closed.
    Overdue,
    /// 在办数: registered cases neither closed nor cancelled.
    Open,
    /// 已处理: cases disposed of in any way (结案, 自行处置, 不予立案, 撤销): with 待处理 they make up
    /// every case received, as in the seed (30,827 + 124 of 30,953).
    Concluded,
    /// 待处理: cases not yet ended (closed, rejected or cancelled).
    Pending,
    /// 派遣数: cases dispatched (派遣) to a department.
    Dispatched,
    /// 准确派遣数: dispatched cases never returned (退单).
    DispatchedAccurately,
    /// 处置数: cases the department reported handled (处置反馈).
    Handled,
    /// 按期处置数: handled, every report within the handling stage's limit.
    HandledOnTime,
    /// 返工数: handled cases sent back for rework (返工) at least once.
    Reworked,
    /// 挂账数: cases parked (挂账) at least once.
    Parked,
    /// 自行处置数: closed without registration (fixed on the spot by the grid worker).
    SelfHandled,
    /// Sum of minutes from first 派遣 to last 处置反馈 over handled cases (for 平均处置时长).
    HandleMinutes,
    /// 重复信访数: cases the same person raised before on the same matter (linked `repeat_of`).
    Repeated,
    /// Sum of the approved per-case subsidies (以案定补), in fen.
    SubsidyFen,
}

impl Measure {
    pub const ALL: [Measure; 19] = [
        Measure::Received,
        Measure::Registered,
        Measure::DueForClosing,
        Measure::Closed,
        Measure::ClosedOnTime,
        Measure::Overdue,
        Measure::Open,
        Measure::Concluded,
        Measure::Pending,
        Measure::Dispatched,
        Measure::DispatchedAccurately,
        Measure::Handled,
        Measure::HandledOnTime,
        Measure::Reworked,
        Measure::Parked,
        Measure::SelfHandled,
        Measure::HandleMinutes,
        Measure::Repeated,
        Measure::SubsidyFen,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Received => "received",
            Measure::Registered => "registered",
            Measure::DueForClosing => "due_for_closing",
            Measure::Closed => "closed",
            Measure::ClosedOnTime => "closed_on_time",
            Measure::Overdue => "overdue",
            Measure::Open => "open",
            Measure::Concluded => "concluded",
            Measure::Pending => "pending",
            Measure::Dispatched => "dispatched",
            Measure::DispatchedAccurately => "dispatched_accurately",
            Measure::Handled => "handled",
            Measure::HandledOnTime => "handled_on_time",
            Measure::Reworked => "reworked",
            Measure::Parked => "parked",
            Measure::SelfHandled => "self_handled",
            Measure::HandleMinutes => "handle_minutes",
            Measure::Repeated => "repeated",
            Measure::SubsidyFen => "subsidy_fen",
        }
    }
}

impl std::str::FromStr for Measure {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Measure::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<_> = Measure::ALL.iter().map(|m| m.as_str()).collect();
                format!("unknown measure `{s}` ({})", all.join(", "))
            })
    }
}

/// The counts of one group (a period × node × department × category cell), by measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts([i64; Measure::ALL.len()]);

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(Measure::ALL.len()))?;
        for k in Measure::ALL {
            m.serialize_entry(k.as_str(), &self.get(k))?;
        }
        m.end()
    }
}

impl Counts {
    pub fn of(pairs: &[(Measure, i64)]) -> Counts {
        let mut c = Counts::default();
        for (m, v) in pairs {
            c.set(*m, *v);
        }
        c
    }
    pub fn get(&self, m: Measure) -> i64 {
        self.0[m as usize]
    }
    pub fn set(&mut self, m: Measure, v: i64) {
        self.0[m as usize] = v;
    }
    pub fn add(&mut self, o: &Counts) {
        for m in Measure::ALL {
            self.set(m, self.get(m) + o.get(m));
        }
    }
}

/// How an indicator's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    /// numerator / denominator, shown as a percentage.
    Rate,
    /// numerator minutes / denominator, shown in hours.
    Hours,
    /// A sum of money kept in fen, shown in yuan.
    Yuan,
}

/// A named formula.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorDef {
    pub id: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub version: u32,
    pub numerator: Measure,
    /// `None`: the indicator is a count; otherwise numerator / denominator.
    pub denominator: Option<Measure>,
    pub unit: Unit,
    /// Where the formula comes from.
    pub source: Cow<'static, str>,
    /// The official definition is not confirmed: a deployment may set its own formula.
    pub unconfirmed: bool,
    /// The case kinds it is about; empty: every kind.
    pub kinds: &'static [&'static str],
}

impl IndicatorDef {
    /// Whether the indicator means something for cases of `kind`.
    pub fn applies_to(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }

    const fn of_kinds(mut self, kinds: &'static [&'static str]) -> IndicatorDef {
        self.kinds = kinds;
        self
    }

    pub fn value(&self, c: &Counts) -> Option<f64> {
        let n = c.get(self.numerator) as f64;
        let v = match self.denominator {
            None => Some(n),
            Some(d) => {
                let d = c.get(d);
                (d > 0).then(|| n / d as f64)
            }
        }?;
        Some(match self.unit {
            Unit::Hours => v / 60.0,
            Unit::Yuan => v / 100.0,
            _ => v,
        })
    }

    pub fn is_rate(&self) -> bool {
        self.unit == Unit::Rate
    }

    /// `numerator / denominator` by measure names.
    pub fn formula(&self) -> String {
        match self.denominator {
            Some(den) => format!("{} / {}", self.numerator.as_str(), den.as_str()),
            None => self.numerator.as_str().into(),
        }
    }

    /// A value as shown to people: counts as integers, rates as percentages with two decimals,
    /// durations in hours with one.
    pub fn format(&self, c: &Counts) -> String {
        match (self.value(c), self.unit) {
            (None, _) => "—".into(),
            (Some(v), Unit::Rate) => format!("{:.2}%", v * 100.0),
            (Some(v), Unit::Hours) => format!("{v:.1}小时"),
            (Some(v), Unit::Yuan) => format!("¥{v:.2}"),
            (Some(v), Unit::Count) => format!("{v:.0}"),
        }
    }
}

const PRACTICE: &str =
    "数字城管评价实践 (RULES.md §3.6); ⚠ GB/T 30428.4 official definitions unconfirmed";

const fn count(id: &'static str, zh: &'static str, en: &'static str, m: Measure) -> IndicatorDef {
    IndicatorDef {
        id,
        name_zh: zh,
        name_en: en,
        version: 1,
        numerator: m,
        denominator: None,
        unit: Unit::Count,
        source: Cow::Borrowed(PRACTICE),
        unconfirmed: false,
        kinds: &[],
    }
}

#[allow(clippy::too_many_arguments)]
const fn ratio(
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    version: u32,
    n: Measure,
    d: Measure,
    unit: Unit,
    source: &'static str,
    unconfirmed: bool,
) -> IndicatorDef {
    IndicatorDef {
        id,
        name_zh: zh,
        name_en: en,
        version,
        numerator: n,
        denominator: Some(d),
        unit,
        source: Cow::Borrowed(source),
        unconfirmed,
        kinds: &[],
    }
}

/// The shipped definitions. [`with_overrides`] lets a deployment replace the formulas marked
/// unconfirmed.
pub fn builtin() -> Vec<IndicatorDef> {
    use Measure::*;
    vec![
        count("received", "受理数", "Received", Received),
        count("registered", "立案数", "Registered", Registered),
        count(
            "due_for_closing",
            "应结案数",
            "Due for closing",
            DueForClosing,
        ),
        count("closed", "结案数", "Closed", Closed),
        count(
            "closed_on_time",
            "按期结案数",
            "Closed on time",
            ClosedOnTime,
        ),
        count("overdue", "超期数", "Overdue", Overdue),
        count("open", "在办数", "Open", Open),
        count("concluded", "已处理", "Concluded", Concluded),
        count("pending", "待处理", "Pending", Pending),
        count("dispatched", "派遣数", "Dispatched", Dispatched),
        count("handled", "处置数", "Handled", Handled),
        count(
            "handled_on_time",
            "按期处置数",
            "Handled on time",
            HandledOnTime,
        ),
        count("reworked", "返工数", "Reworked", Reworked),
        count("parked", "挂账数", "Parked", Parked),
        count(
            "self_handled",
            "自行处置数",
            "Fixed on the spot",
            SelfHandled,
        ),
        ratio(
            "closure_rate",
            "结案率",
            "Closure rate",
            1,
            Closed,
            DueForClosing,
            Unit::Rate,
            "结案数 / 应结案数 (RULES.md §3.6, 天门 911/972 = 93.72%)",
            true,
        ),
        ratio(
            "on_time_rate",
            "按期结案率",
            "On-time closure rate",
            1,
            ClosedOnTime,
            DueForClosing,
            Unit::Rate,
            "按期结案数 / 应结案数 (RULES.md §3.6, 天门 737/972 = 75.82%)",
            true,
        ),
        ratio(
            "handled_rate",
            "办结率",
            "Completion rate",
            2,
            Concluded,
            Received,
            Unit::Rate,
            "已处理 / 接收, as the seed report's 99.59% = 30827 / 30953",
            false,
        ),
        ratio(
            "register_rate",
            "立案率",
            "Registration rate",
            1,
            Registered,
            Received,
            Unit::Rate,
            "立案数 / 上报数 (practice; ⚠ some cities divide by 有效上报数)",
            true,
        ),
        ratio(
            "accurate_dispatch_rate",
            "准确派遣率",
            "Accurate dispatch rate",
            1,
            DispatchedAccurately,
            Dispatched,
            Unit::Rate,
            "准确派遣数 (never returned) / 派遣数 (practice; ⚠ unconfirmed)",
            true,
        ),
        ratio(
            "on_time_handling_rate",
            "按期处置率",
            "On-time handling rate",
            1,
            HandledOnTime,
            Handled,
            Unit::Rate,
            "按期处置数 / 处置数 (practice; ⚠ some cities divide by 应处置数)",
            true,
        ),
        ratio(
            "rework_rate",
            "返工率",
            "Rework rate",
            1,
            Reworked,
            Handled,
            Unit::Rate,
            "返工数 / 处置数 (practice; ⚠ unconfirmed)",
            true,
        ),
        ratio(
            "avg_handle_hours",
            "平均处置时长",
            "Average handling time",
            1,
            HandleMinutes,
            Handled,
            Unit::Hours,
            "Σ(last 处置反馈 − first 派遣) / 处置数, clock hours",
            true,
        ),
        // 信访 (RULES.md §1): the seed's 541 received, 118 in scope, 118 closed (100%).
        count(
            "petition_received",
            "信访登记数",
            "Petitions received",
            Received,
        )
        .of_kinds(PETITION),
        count(
            "petition_in_scope",
            "受理数",
            "In scope (accepted)",
            Registered,
        )
        .of_kinds(PETITION),
        count("petition_closed", "办结数", "Closed (replied)", Closed).of_kinds(PETITION),
        count(
            "petition_repeated",
            "重复信访数",
            "Repeat petitions",
            Repeated,
        )
        .of_kinds(PETITION),
        ratio(
            "petition_closure_rate",
            "办结率",
            "Closure rate",
            1,
            Closed,
            Registered,
            Unit::Rate,
            "办结数 / 受理数 (RULES.md §1.4, seed 118/118 = 100%; ⚠ national formula unconfirmed)",
            true,
        )
        .of_kinds(PETITION),
        ratio(
            "petition_on_time_rate",
            "按期办结率",
            "On-time closure rate",
            1,
            ClosedOnTime,
            Closed,
            Unit::Rate,
            "按期办结数 (within 60日 + approved extension) / 办结数 (practice; ⚠ unconfirmed)",
            true,
        )
        .of_kinds(PETITION),
        ratio(
            "petition_repeat_rate",
            "重复信访率",
            "Repeat rate",
            1,
            Repeated,
            Received,
            Unit::Rate,
            "重复信访数 / 信访登记数 (practice; ⚠ unconfirmed)",
            true,
        )
        .of_kinds(PETITION),
        // 矛盾风险隐患排查化解 (RULES.md §2): the seed's 183 screened, 180 resolved (98.3%), and
        // 58 unstable events handled.
        count("risk_screened", "排查风险数", "Risks screened", Received).of_kinds(RISK),
        count("risk_resolved", "化解数", "Risks resolved", Closed).of_kinds(RISK),
        ratio(
            "risk_resolution_rate",
            "化解率",
            "Resolution rate",
            1,
            Closed,
            Received,
            Unit::Rate,
            "化解数 / 排查数 (RULES.md §2, the seed's 180/183 = 98.3%)",
            false,
        )
        .of_kinds(RISK),
        count(
            "unstable_events",
            "不稳定事件数",
            "Unstable events",
            Received,
        )
        .of_kinds(UNSTABLE),
        count(
            "unstable_events_handled",
            "处置不稳定事件数",
            "Unstable events handled",
            Closed,
        )
        .of_kinds(UNSTABLE),
        // 人民调解 (RULES.md §4): the seed's 5,656 mediations; 以案定补 per committee and mediator.
        count("mediation_received", "调解受理数", "Mediations", Registered).of_kinds(MEDIATION),
        count("mediation_succeeded", "调解成功数", "Succeeded", Closed).of_kinds(MEDIATION),
        ratio(
            "mediation_success_rate",
            "调解成功率",
            "Success rate",
            1,
            Closed,
            Registered,
            Unit::Rate,
            "调解成功数 / 受理数 (practice; ⚠ unconfirmed)",
            true,
        )
        .of_kinds(MEDIATION),
        IndicatorDef {
            unit: Unit::Yuan,
            ..count(
                "mediation_subsidy",
                "以案定补金额",
                "Case subsidies",
                SubsidyFen,
            )
        }
        .of_kinds(MEDIATION),
        // 诉前联调: the seed's 248 disputes settled before trial.
        count(
            "court_mediation_received",
            "诉前联调受理数",
            "Pre-filing mediations",
            Registered,
        )
        .of_kinds(COURT),
        count(
            "court_mediation_settled",
            "诉前化解数",
            "Settled before trial",
            Closed,
        )
        .of_kinds(COURT),
        // 劳动争议仲裁: the seed's 443 referrals.
        count(
            "arbitration_received",
            "劳动仲裁受理数",
            "Arbitration cases",
            Registered,
        )
        .of_kinds(ARBITRATION),
        count(
            "arbitration_closed",
            "仲裁结案数",
            "Awarded or settled",
            Closed,
        )
        .of_kinds(ARBITRATION),
    ]
}

const PETITION: &[&str] = &[crate::petition::KIND];
const MEDIATION: &[&str] = &[crate::mediation::KIND];
const COURT: &[&str] = &[crate::mediation::COURT_KIND];
const ARBITRATION: &[&str] = &[crate::mediation::ARBITRATION_KIND];
const RISK: &[&str] = &[crate::risk::KIND];
const UNSTABLE: &[&str] = &[crate::risk::EVENT_KIND];

/// A deployment's own formula for an unconfirmed indicator (`indicators.toml`):
/// `[[indicator]] id = "register_rate", numerator = "registered", denominator = "received",
/// source = "…"`. The version goes up by one so figures say which formula made them.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub id: String,
    pub numerator: String,
    #[serde(default)]
    pub denominator: Option<String>,
    pub source: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideFile {
    #[serde(default)]
    indicator: Vec<Override>,
}

/// The shipped definitions with a deployment's overrides (TOML text) applied; an error names
/// the indicator and what is wrong.
pub fn with_overrides(toml_text: &str) -> Result<Vec<IndicatorDef>, String> {
    let file: OverrideFile = toml::from_str(toml_text).map_err(|e| e.to_string())?;
    let mut defs = builtin();
    for o in file.indicator {
        let Some(d) = defs.iter_mut().find(|d| d.id == o.id) else {
            return Err(format!("indicator `{}`: no such indicator", o.id));
        };
        if !d.unconfirmed {
            return Err(format!(
                "indicator `{}`: its formula is fixed (only unconfirmed ones may be set)",
                o.id
            ));
        }
        let m = |s: &str| {
            s.parse::<Measure>()
                .map_err(|e| format!("indicator `{}`: {e}", o.id))
        };
        let numerator = m(&o.numerator)?;
        let denominator = o.denominator.as_deref().map(m).transpose()?;
        if d.unit != Unit::Count && denominator.is_none() {
            return Err(format!("indicator `{}`: a ratio needs a denominator", o.id));
        }
        d.numerator = numerator;
        d.denominator = denominator;
        d.source = Cow::Owned(o.source);
        d.version += 1;
    }
    Ok(defs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator(id: &str) -> IndicatorDef {
        builtin().into_iter().find(|d| d.id == id).unwrap()
    }

    #[test]
    fn seed_and_tianmen_figures() {
        use Measure::*;
        // The seed: 30,953 received, 30,827 handled → 99.59%.
        let seed = Counts::of(&[(Received, 30953), (Concluded, 30827)]);
        assert_eq!(indicator("handled_rate").format(&seed), "99.59%");
        // 天门: 应结案 972, 结案 911 → 93.72%; 按期 737 → 75.82%.
        let tm = Counts::of(&[
            (Registered, 996),
            (DueForClosing, 972),
            (Closed, 911),
            (ClosedOnTime, 737),
        ]);
        assert_eq!(indicator("closure_rate").format(&tm), "93.72%");
        assert_eq!(indicator("on_time_rate").format(&tm), "75.82%");
        assert_eq!(indicator("registered").format(&tm), "996");
        assert_eq!(indicator("closure_rate").format(&Counts::default()), "—");
        let h = Counts::of(&[(Handled, 4), (HandleMinutes, 4 * 90)]);
        assert_eq!(indicator("avg_handle_hours").format(&h), "1.5小时");
        // The seed's petitions: 118 accepted, 118 closed → 100%.
        let p = Counts::of(&[(Received, 541), (Registered, 118), (Closed, 118)]);
        assert_eq!(indicator("petition_closure_rate").format(&p), "100.00%");
        assert!(indicator("petition_closure_rate").applies_to("petition"));
        assert!(!indicator("petition_closure_rate").applies_to("urban"));
        assert!(indicator("closure_rate").applies_to("petition"));
        // The seed's risks: 183 screened, 180 resolved → 98.36%.
        let r = Counts::of(&[(Received, 183), (Closed, 180)]);
        assert_eq!(indicator("risk_resolution_rate").format(&r), "98.36%");
        let m = Counts::of(&[(SubsidyFen, 123_450)]);
        assert_eq!(indicator("mediation_subsidy").format(&m), "¥1234.50");
    }

    #[test]
    fn ids_are_unique() {
        let defs = builtin();
        let mut ids: Vec<_> = defs.iter().map(|d| d.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), defs.len());
    }

    #[test]
    fn deployments_set_unconfirmed_formulas() {
        let defs = with_overrides(
            r#"[[indicator]]
id = "register_rate"
numerator = "registered"
denominator = "dispatched"
source = "本地考核办法"
"#,
        )
        .unwrap();
        let d = defs.iter().find(|d| d.id == "register_rate").unwrap();
        assert_eq!((d.denominator, d.version), (Some(Measure::Dispatched), 2));
        let err = |t: &str| with_overrides(t).unwrap_err();
        assert!(err("[[indicator]]\nid = \"handled_rate\"\nnumerator = \"closed\"\ndenominator = \"received\"\nsource = \"x\"").contains("fixed"));
        assert!(
            err("[[indicator]]\nid = \"nope\"\nnumerator = \"closed\"\nsource = \"x\"")
                .contains("no such")
        );
        assert!(err("[[indicator]]\nid = \"rework_rate\"\nnumerator = \"reworks\"\ndenominator = \"handled\"\nsource = \"x\"").contains("unknown measure `reworks`"));
        assert!(
            err("[[indicator]]\nid = \"rework_rate\"\nnumerator = \"reworked\"\nsource = \"x\"")
                .contains("denominator")
        );
    }
}
