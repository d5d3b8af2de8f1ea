//! Indicators (指标): named, versioned formulas over counts of cases. The same definitions feed the
//! API, the dashboard, exports and the yearly report, so a figure can never differ between them.
//!
//! Counts are taken over the cohort of cases received in a period, evaluated as of the end of
//! the period (or now, for the running period).

use serde::Serialize;

/// A count the store takes over the cohort of a period. The store has one place that turns each
/// measure into a condition; the meaning is defined here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 受理数: cases received (created) in the period.
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
}

impl Measure {
    pub const ALL: [Measure; 7] = [
        Measure::Received,
        Measure::Registered,
        Measure::DueForClosing,
        Measure::Closed,
        Measure::ClosedOnTime,
        Measure::Overdue,
        Measure::Open,
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
        }
    }
}

/// The counts of one group (a period × node × department × category cell).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub received: i64,
    pub registered: i64,
    pub due_for_closing: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub overdue: i64,
    pub open: i64,
}

impl Counts {
    pub fn get(&self, m: Measure) -> i64 {
        match m {
            Measure::Received => self.received,
            Measure::Registered => self.registered,
            Measure::DueForClosing => self.due_for_closing,
            Measure::Closed => self.closed,
            Measure::ClosedOnTime => self.closed_on_time,
            Measure::Overdue => self.overdue,
            Measure::Open => self.open,
        }
    }
    pub fn set(&mut self, m: Measure, v: i64) {
        match m {
            Measure::Received => self.received = v,
            Measure::Registered => self.registered = v,
            Measure::DueForClosing => self.due_for_closing = v,
            Measure::Closed => self.closed = v,
            Measure::ClosedOnTime => self.closed_on_time = v,
            Measure::Overdue => self.overdue = v,
            Measure::Open => self.open = v,
        }
    }
    pub fn add(&mut self, o: &Counts) {
        for m in Measure::ALL {
            self.set(m, self.get(m) + o.get(m));
        }
    }
}

/// A named formula.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IndicatorDef {
    pub id: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub version: u32,
    pub numerator: Measure,
    /// `None`: the indicator is a count; otherwise a rate numerator / denominator.
    pub denominator: Option<Measure>,
    /// Where the formula comes from.
    pub source: &'static str,
}

impl IndicatorDef {
    pub fn value(&self, c: &Counts) -> Option<f64> {
        let n = c.get(self.numerator) as f64;
        match self.denominator {
            None => Some(n),
            Some(d) => {
                let d = c.get(d);
                (d > 0).then(|| n / d as f64)
            }
        }
    }

    pub fn is_rate(&self) -> bool {
        self.denominator.is_some()
    }

    /// A value as shown to people: counts as integers, rates as percentages with two decimals.
    pub fn format(&self, c: &Counts) -> String {
        match (self.value(c), self.is_rate()) {
            (None, _) => "—".into(),
            (Some(v), true) => format!("{:.2}%", v * 100.0),
            (Some(v), false) => format!("{v:.0}"),
        }
    }
}

const PRACTICE: &str =
    "数字城管评价实践 (RULES.md §3.6); ⚠ GB/T 30428.4 official definitions unconfirmed";

pub const INDICATORS: &[IndicatorDef] = &[
    IndicatorDef {
        id: "received",
        name_zh: "受理数",
        name_en: "Received",
        version: 1,
        numerator: Measure::Received,
        denominator: None,
        source: PRACTICE,
    },
    IndicatorDef {
        id: "registered",
        name_zh: "立案数",
        name_en: "Registered",
        version: 1,
        numerator: Measure::Registered,
        denominator: None,
        source: PRACTICE,
    },
    IndicatorDef {
        id: "due_for_closing",
        name_zh: "应结案数",
        name_en: "Due for closing",
        version: 1,
        numerator: Measure::DueForClosing,
        denominator: None,
        source: PRACTICE,
    },
    IndicatorDef {
        id: "closed",
        name_zh: "结案数",
        name_en: "Closed",
        version: 1,
        numerator: Measure::Closed,
        denominator: None,
        source: PRACTICE,
    },
    IndicatorDef {
        id: "closed_on_time",
        name_zh: "按期结案数",
        name_en: "Closed on time",
        version: 1,
        numerator: Measure::ClosedOnTime,
        denominator: None,
        source: PRACTICE,
    },
    IndicatorDef {
        id: "overdue",
        name_zh: "超期数",
        name_en: "Overdue",
        version: 1,
        numerator: Measure::Overdue,
        denominator: None,
        source: PRACTICE,
    },
    IndicatorDef {
        id: "open",
        name_zh: "在办数",
        name_en: "Open",
        version: 1,
        numerator: Measure::Open,
        denominator: None,
        source: PRACTICE,
    },
    IndicatorDef {
        id: "closure_rate",
        name_zh: "结案率",
        name_en: "Closure rate",
        version: 1,
        numerator: Measure::Closed,
        denominator: Some(Measure::DueForClosing),
        source: "结案数 / 应结案数 (RULES.md §3.6)",
    },
    IndicatorDef {
        id: "on_time_rate",
        name_zh: "按期结案率",
        name_en: "On-time closure rate",
        version: 1,
        numerator: Measure::ClosedOnTime,
        denominator: Some(Measure::DueForClosing),
        source: "按期结案数 / 应结案数 (RULES.md §3.6)",
    },
    IndicatorDef {
        id: "handled_rate",
        name_zh: "办结率",
        name_en: "Completion rate",
        version: 1,
        numerator: Measure::Closed,
        denominator: Some(Measure::Received),
        source: "已处理 / 接收, as the seed report's 99.59% = 30827 / 30953",
    },
];

pub fn indicator(id: &str) -> Option<&'static IndicatorDef> {
    INDICATORS.iter().find(|d| d.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_and_tianmen_figures() {
        // The seed: 30,953 received, 30,827 handled → 99.59%.
        let seed = Counts {
            received: 30953,
            closed: 30827,
            ..Default::default()
        };
        assert_eq!(indicator("handled_rate").unwrap().format(&seed), "99.59%");
        // 天门: 应结案 972, 结案 911 → 93.72%; 按期 737 → 75.82%.
        let tm = Counts {
            registered: 996,
            due_for_closing: 972,
            closed: 911,
            closed_on_time: 737,
            ..Default::default()
        };
        assert_eq!(indicator("closure_rate").unwrap().format(&tm), "93.72%");
        assert_eq!(indicator("on_time_rate").unwrap().format(&tm), "75.82%");
        assert_eq!(indicator("registered").unwrap().format(&tm), "996");
        assert_eq!(
            indicator("closure_rate")
                .unwrap()
                .format(&Counts::default()),
            "—"
        );
    }

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<_> = INDICATORS.iter().map(|d| d.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), INDICATORS.len());
    }
}
