//! Cases (案件): their values and the clocks that run on them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::clock::{ClockStatus, Deadlines, Span, TimeUnit, Timestamp};
use crate::workflow::{Effect, Field, StateDef, TransitionDef, Workflow};

/// How a case came in (来源渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 12345 热线
    Hotline,
    /// 网上（网站、公众号、小程序）
    Web,
    /// 来访
    Visit,
    /// 来信
    Letter,
    /// 电话
    Phone,
    /// 传真
    Fax,
    /// 网格员巡查
    GridPatrol,
    /// 视频巡查
    VideoPatrol,
    /// Open311 客户端
    Open311,
    /// 领导交办
    Leader,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 11] = [
        Channel::Hotline,
        Channel::Web,
        Channel::Visit,
        Channel::Letter,
        Channel::Phone,
        Channel::Fax,
        Channel::GridPatrol,
        Channel::VideoPatrol,
        Channel::Open311,
        Channel::Leader,
        Channel::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Hotline => "hotline",
            Channel::Web => "web",
            Channel::Visit => "visit",
            Channel::Letter => "letter",
            Channel::Phone => "phone",
            Channel::Fax => "fax",
            Channel::GridPatrol => "grid_patrol",
            Channel::VideoPatrol => "video_patrol",
            Channel::Open311 => "open311",
            Channel::Leader => "leader",
            Channel::Other => "other",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Hotline => "12345热线",
            Channel::Web => "网上",
            Channel::Visit => "来访",
            Channel::Letter => "来信",
            Channel::Phone => "电话",
            Channel::Fax => "传真",
            Channel::GridPatrol => "网格巡查",
            Channel::VideoPatrol => "视频巡查",
            Channel::Open311 => "Open311",
            Channel::Leader => "领导交办",
            Channel::Other => "其他",
        }
    }
}

parse_by_as_str!(Channel, "channel");
parse_by_as_str!(Priority, "priority");

/// 优先级
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Priority::Low => "低",
            Priority::Normal => "一般",
            Priority::High => "较急",
            Priority::Urgent => "紧急",
        }
    }
}

/// How one case relates to another (案件关联).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// 重复：this case reports the same matter as the other, which is handled.
    DuplicateOf,
    /// 重复来访/重复投诉：the same person raises the same matter again.
    RepeatOf,
    /// 子案件：this case is part of the other.
    ChildOf,
    /// 相关
    Related,
}

impl LinkKind {
    pub const ALL: [LinkKind; 4] = [
        LinkKind::DuplicateOf,
        LinkKind::RepeatOf,
        LinkKind::ChildOf,
        LinkKind::Related,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::DuplicateOf => "duplicate_of",
            LinkKind::RepeatOf => "repeat_of",
            LinkKind::ChildOf => "child_of",
            LinkKind::Related => "related",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            LinkKind::DuplicateOf => "重复于",
            LinkKind::RepeatOf => "重复反映",
            LinkKind::ChildOf => "子案件属于",
            LinkKind::Related => "相关案件",
        }
    }
}
parse_by_as_str!(LinkKind, "link kind");

/// The Chinese label of a party's role; unknown roles are shown as they are.
/// A case kind's name for people (信访, 人民调解 …).
pub fn kind_label(kind: &str) -> &str {
    match kind {
        "general" => "通用案件",
        "urban" => "数字城管",
        "petition" => "信访",
        "risk" => "风险隐患",
        "unstable_event" => "不稳定事件",
        "mediation" => "人民调解",
        "court_mediation" => "诉前联调",
        "labour_arbitration" => "劳动争议仲裁",
        other => other,
    }
}

/// A party's role as a case of this kind names it: in a mediation the other side is the
/// respondent (被申请人), elsewhere the one complained about (被反映人).
pub fn party_role_label_in<'a>(kind: &str, role: &'a str) -> &'a str {
    let mediation = [
        crate::mediation::KIND,
        crate::mediation::COURT_KIND,
        crate::mediation::ARBITRATION_KIND,
    ];
    match role {
        "respondent" if mediation.contains(&kind) => "被申请人",
        other => party_role_label(other),
    }
}

pub fn party_role_label(role: &str) -> &str {
    match role {
        "complainant" => "反映人",
        "respondent" => "被反映人",
        "party" => "当事人",
        "petitioner" => "信访人",
        "representative" => "代表",
        "applicant" => "申请人",
        other => other,
    }
}

/// A case number (案件编号): year, a kind code and a sequence, e.g. `2021GN0001234`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseNo(String);

impl CaseNo {
    pub fn new(year: i32, kind: &str, seq: i64) -> CaseNo {
        CaseNo(format!("{year:04}{}{seq:07}", kind_code(kind)))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Two upper-case letters for a case kind, used in case numbers.
pub fn kind_code(kind: &str) -> String {
    let mut c: String = kind
        .split('_')
        .filter_map(|p| p.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .take(2)
        .collect();
    if c.len() < 2 {
        c = kind
            .chars()
            .take(2)
            .collect::<String>()
            .to_ascii_uppercase();
    }
    while c.len() < 2 {
        c.push('X');
    }
    c
}

impl FromStr for CaseNo {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let ok = s.len() == 13
            && s[..4].bytes().all(|b| b.is_ascii_digit())
            && s[4..6].bytes().all(|b| b.is_ascii_uppercase())
            && s[6..].bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(CaseNo(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a case number (YYYY, two letters, seven digits)"
            ))
        }
    }
}

impl TryFrom<String> for CaseNo {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<CaseNo> for String {
    fn from(c: CaseNo) -> String {
        c.0
    }
}

impl fmt::Display for CaseNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A clock running on a case.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunningClock {
    pub span: Span,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    pub warn_ratio: f64,
    pub warn_at: Timestamp,
    pub status: ClockStatus,
    /// Set once the clock has gone overdue; it stays set even if an extension moves the due date.
    #[serde(default)]
    pub was_overdue: bool,
    /// A window (期间) for someone to act in rather than a duty deadline: it never goes overdue.
    #[serde(default)]
    pub window: bool,
    /// Calendar days added by extensions and pauses to a clock counted in 日: its due time is
    /// always counted afresh from the start, so a last day that had moved past a holiday does
    /// not shift what is added (60 + 30 日 is 90 日 from acceptance).
    #[serde(default)]
    pub added_days: u32,
}

impl RunningClock {
    /// A clock of `spans` counted one after another from `now` (one span for most clocks).
    fn start(spans: &[Span], warn_ratio: f64, now: Timestamp, dl: &Deadlines<'_>) -> RunningClock {
        let due = spans.iter().fold(now, |t, s| dl.due(t, *s));
        RunningClock {
            span: main_span(spans),
            started_at: now,
            due_at: due,
            warn_ratio,
            warn_at: dl.warn_at(now, due, warn_ratio),
            status: ClockStatus::Normal,
            was_overdue: false,
            window: false,
            added_days: 0,
        }
    }

    /// Give the clock `days` more; `false` when it is not a single clock in 日, which the
    /// caller then moves by its own unit.
    fn add_calendar_days(&mut self, days: u32, now: Timestamp, dl: &Deadlines<'_>) -> bool {
        if self.span.unit != TimeUnit::CalendarDay {
            return false;
        }
        self.added_days += days;
        let due = dl.due(
            self.started_at,
            Span::new(self.span.amount + self.added_days, TimeUnit::CalendarDay),
        );
        self.moved(due, now, dl);
        true
    }

    fn moved(&mut self, due: Timestamp, now: Timestamp, dl: &Deadlines<'_>) {
        self.due_at = due;
        self.warn_at = dl.warn_at(self.started_at, due, self.warn_ratio);
        self.status = ClockStatus::at(now, self.warn_at, self.due_at);
    }

    fn next_check(&self) -> Option<Timestamp> {
        match self.status {
            ClockStatus::Normal => Some(self.warn_at),
            ClockStatus::Warning => Some(self.due_at),
            ClockStatus::Overdue => None,
        }
    }
}

/// Which clock a status change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// 办理时限 (the whole case)
    Overall,
    /// 环节时限 (the current stage)
    Stage,
}

/// A clock that changed status (to warning or overdue) during a scan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClockChange {
    pub clock: ClockKind,
    pub status: ClockStatus,
    pub due_at: Timestamp,
}

/// The span a chain of spans is shown as and paused in: their sum when they share a unit (1 + 4
/// + 1 工作时 = 6 工作时), else the longest (by nominal minutes), whose unit a pause gives back.
fn main_span(spans: &[Span]) -> Span {
    if let Some(first) = spans.first()
        && spans.iter().all(|s| s.unit == first.unit)
    {
        return Span::new(spans.iter().map(|s| s.amount).sum(), first.unit);
    }
    let minutes = |s: &Span| {
        i64::from(s.amount)
            * match s.unit {
                TimeUnit::WorkingHour | TimeUnit::ClockHour => 60,
                TimeUnit::WorkingDay => 8 * 60,
                TimeUnit::CalendarDay => 24 * 60,
            }
    };
    spans
        .iter()
        .copied()
        .max_by_key(minutes)
        .expect("a clock has at least one span")
}

/// A case's own time limits where they differ from its workflow's defaults: a 数字城管
/// subclass's stage limits (环节时限, by the `stage` key of the workflow's states) and its
/// overall limit as a chain of spans counted one after another (派遣 + 处置 + 核查 from 立案).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseLimits {
    /// Empty: the workflow's own overall clock.
    pub overall: Vec<Span>,
    pub stages: BTreeMap<String, Span>,
}

impl CaseLimits {
    fn overall_clock(
        &self,
        wf: &Workflow,
        now: Timestamp,
        dl: &Deadlines<'_>,
    ) -> Option<RunningClock> {
        let def = wf.clock.as_ref()?;
        Some(if self.overall.is_empty() {
            RunningClock::start(&[def.span()], def.warn_ratio, now, dl)
        } else {
            RunningClock::start(&self.overall, def.warn_ratio, now, dl)
        })
    }

    fn stage_clock(
        &self,
        state: &StateDef,
        now: Timestamp,
        dl: &Deadlines<'_>,
    ) -> Option<RunningClock> {
        let own = state.stage.as_ref().and_then(|k| self.stages.get(k));
        let warn = state.clock.map_or(0.2, |c| c.warn_ratio);
        let mut clock = match (own, state.clock.as_ref()) {
            (Some(span), _) => RunningClock::start(&[*span], warn, now, dl),
            (None, Some(def)) => RunningClock::start(&[def.span()], warn, now, dl),
            (None, None) => return None,
        };
        clock.window = state.window;
        Some(clock)
    }
}

/// Every clock of a case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseClocks {
    pub overall: Option<RunningClock>,
    pub stage: Option<RunningClock>,
    pub paused_since: Option<Timestamp>,
    pub extensions: u32,
    pub extended_total: u32,
    pub finished_at: Option<Timestamp>,
    /// First 派遣: the first transition that names a department.
    #[serde(default)]
    pub dispatched_at: Option<Timestamp>,
    /// Last 处置反馈: the last time the case reached a `handled` state.
    #[serde(default)]
    pub handled_at: Option<Timestamp>,
    /// Every 处置反馈 came before its stage's due time (按期处置).
    #[serde(default)]
    pub handled_on_time: Option<bool>,
    /// Times the case was parked (挂账) or otherwise paused.
    #[serde(default)]
    pub pauses: u32,
    /// When the case was last closed (办结: reached a `closes` state). A case may go on after
    /// closing — a petition's review (复查) and re-review (复核) — but its overall clock stops.
    #[serde(default)]
    pub closed_at: Option<Timestamp>,
}

impl CaseClocks {
    /// The clocks of a case received at `now` in the workflow's initial state, with the
    /// workflow's own limits. The overall clock (办理时限) starts at registration (立案): at once,
    /// unless the initial state comes before it (a report awaiting 核实).
    pub fn start(wf: &Workflow, now: Timestamp, dl: &Deadlines<'_>) -> CaseClocks {
        Self::start_with(wf, &CaseLimits::default(), now, dl)
    }

    /// [`CaseClocks::start`] with the case's own limits.
    pub fn start_with(
        wf: &Workflow,
        limits: &CaseLimits,
        now: Timestamp,
        dl: &Deadlines<'_>,
    ) -> CaseClocks {
        let initial = wf.state(&wf.initial).expect("validated workflow");
        CaseClocks {
            overall: if initial.before_registration {
                None
            } else {
                limits.overall_clock(wf, now, dl)
            },
            stage: limits.stage_clock(initial, now, dl),
            paused_since: initial.paused.then_some(now),
            ..Default::default()
        }
    }

    /// The clocks still running: the overall one until the case is closed, and the stage's.
    fn clocks_mut(&mut self) -> impl Iterator<Item = &mut RunningClock> {
        let overall = if self.closed_at.is_some() {
            None
        } else {
            self.overall.as_mut()
        };
        overall.into_iter().chain(self.stage.iter_mut())
    }

    /// The running clocks that can go overdue (windows cannot), with their kinds.
    fn duties(&self) -> impl Iterator<Item = (ClockKind, &RunningClock)> {
        let overall = if self.closed_at.is_some() {
            None
        } else {
            self.overall.as_ref()
        };
        overall
            .map(|c| (ClockKind::Overall, c))
            .into_iter()
            .chain(self.stage.as_ref().map(|c| (ClockKind::Stage, c)))
            .filter(|(_, c)| !c.window)
    }

    /// The current state's window (期间), if it has one: whether it is still open at `now`, and
    /// when it ends.
    pub fn window(&self, now: Timestamp) -> Option<(bool, Timestamp)> {
        self.stage
            .filter(|c| c.window)
            .map(|c| (self.paused_since.is_some() || now <= c.due_at, c.due_at))
    }

    /// Apply a transition that was checked by [`Workflow::check`], with the workflow's limits.
    pub fn on_transition(
        &mut self,
        wf: &Workflow,
        t: &TransitionDef,
        now: Timestamp,
        extension: Option<u32>,
        dl: &Deadlines<'_>,
    ) {
        self.on_transition_with(wf, &CaseLimits::default(), t, now, extension, dl)
    }

    /// [`CaseClocks::on_transition`] with the case's own limits.
    pub fn on_transition_with(
        &mut self,
        wf: &Workflow,
        limits: &CaseLimits,
        t: &TransitionDef,
        now: Timestamp,
        extension: Option<u32>,
        dl: &Deadlines<'_>,
    ) {
        let Some(to) = t.to.as_deref().and_then(|id| wf.state(id)) else {
            return; // an action without a state change (催办)
        };
        if let Some(since) = self.paused_since
            && !to.paused
        {
            let days = (crate::clock::to_local(now).date() - crate::clock::to_local(since).date())
                .num_days()
                .max(0) as u32;
            for c in self.clocks_mut() {
                if !c.add_calendar_days(days, now, dl) {
                    let due = dl.after_pause(c.due_at, c.span.unit, since, now);
                    c.moved(due, now, dl);
                }
            }
            self.paused_since = None;
        }
        if to.paused && self.paused_since.is_none() {
            self.paused_since = Some(now);
            self.pauses += 1;
        }
        if t.requires.contains(&Field::Department) && self.dispatched_at.is_none() {
            self.dispatched_at = Some(now);
        }
        if to.closes {
            self.closed_at = Some(now);
        }
        if to.handled {
            let in_time = self.stage.is_none_or(|c| now <= c.due_at);
            self.handled_on_time = Some(self.handled_on_time.unwrap_or(true) && in_time);
            self.handled_at = Some(now);
        }
        if t.effect == Effect::Extend
            && let (Some(rule), Some(amount)) = (wf.extension, extension)
        {
            let span = Span::new(amount, rule.unit);
            for c in self.clocks_mut() {
                if rule.unit != TimeUnit::CalendarDay || !c.add_calendar_days(amount, now, dl) {
                    let due = dl.extend(c.due_at, span);
                    c.moved(due, now, dl);
                }
            }
            self.extensions += 1;
            self.extended_total += amount;
        }
        if to.terminal {
            self.stage = None;
            self.finished_at = Some(now);
            return;
        }
        if self.overall.is_none() && !to.before_registration {
            // 立案: the overall clock starts now.
            self.overall = limits.overall_clock(wf, now, dl);
        }
        if !t.keep_stage_clock {
            self.stage = limits.stage_clock(to, now, dl);
        }
    }

    /// Move clocks whose warning or due time has come; returns the changes to record.
    pub fn refresh(&mut self, now: Timestamp) -> Vec<ClockChange> {
        if self.paused_since.is_some() || self.finished_at.is_some() {
            return Vec::new();
        }
        let mut changes = Vec::new();
        let closed = self.closed_at.is_some();
        for (kind, c) in [
            (
                ClockKind::Overall,
                self.overall.as_mut().filter(|_| !closed),
            ),
            (ClockKind::Stage, self.stage.as_mut()),
        ] {
            let Some(c) = c.filter(|c| !c.window) else {
                continue;
            };
            let s = ClockStatus::at(now, c.warn_at, c.due_at);
            if s > c.status {
                c.status = s;
                if s == ClockStatus::Overdue {
                    c.was_overdue = true;
                }
                changes.push(ClockChange {
                    clock: kind,
                    status: s,
                    due_at: c.due_at,
                });
            }
        }
        changes
    }

    /// When the deadline scan next needs to look at this case; `None` when nothing can change.
    pub fn next_check(&self) -> Option<Timestamp> {
        if self.paused_since.is_some() || self.finished_at.is_some() {
            return None;
        }
        self.duties().filter_map(|(_, c)| c.next_check()).min()
    }

    /// The worst status over all clocks, for lists and highlighting.
    pub fn status(&self) -> ClockStatus {
        self.duties()
            .map(|(_, c)| c.status)
            .max()
            .unwrap_or(ClockStatus::Normal)
    }

    /// The overall clock has gone overdue at some time.
    pub fn ever_overdue(&self) -> bool {
        self.overall
            .is_some_and(|c| c.was_overdue || c.status == ClockStatus::Overdue)
    }

    pub fn overall_due(&self) -> Option<Timestamp> {
        self.overall.map(|c| c.due_at)
    }

    /// Closed within the overall limit (按期).
    pub fn on_time(&self) -> Option<bool> {
        let f = self.closed_at.or(self.finished_at)?;
        Some(self.overall.is_none_or(|c| f <= c.due_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OfficeHours;
    use chrono::Duration;

    use crate::testdata::{at, local};

    #[test]
    fn case_numbers() {
        let n = CaseNo::new(2021, "general", 123);
        assert_eq!(n.as_str(), "2021GE0000123");
        assert_eq!(n.as_str().parse::<CaseNo>().unwrap(), n);
        assert_eq!(kind_code("urban_event"), "UE");
        assert!("2021ge0000123".parse::<CaseNo>().is_err());
        assert!("21GE0000123".parse::<CaseNo>().is_err());
    }

    #[test]
    fn clocks_through_a_general_case() {
        let cal = crate::testdata::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let wfs = crate::builtin::workflows();
        let wf = wfs.for_kind("general").unwrap();
        let t0 = at("2021-09-29 16:00");
        let mut c = CaseClocks::start(wf, t0, &dl);
        // Overall: 5 working days from Wed 09-29: 09-30, 10-08, 10-09, 10-11, 10-12.
        assert_eq!(local(c.overall_due().unwrap()), "2021-10-13 00:00");
        // Stage (registered): 2 working hours: 16:00-17:30, then 09-30 08:30-09:00.
        assert_eq!(local(c.stage.unwrap().due_at), "2021-09-30 09:00");
        assert_eq!(c.next_check(), Some(c.stage.unwrap().warn_at));

        // Nobody dispatches: the stage goes overdue on 09-30 09:00.
        let ch = c.refresh(at("2021-09-30 09:05"));
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].clock, ClockKind::Stage);
        assert_eq!(ch[0].status, ClockStatus::Overdue);
        assert_eq!(c.status(), ClockStatus::Overdue);
        assert!(c.refresh(at("2021-09-30 09:06")).is_empty(), "idempotent");

        let t = |id| wf.transition(id).unwrap();
        c.on_transition(wf, t("dispatch"), at("2021-09-30 10:00"), None, &dl);
        c.on_transition(wf, t("sign"), at("2021-09-30 10:30"), None, &dl);
        assert_eq!(local(c.stage.unwrap().due_at), "2021-10-12 00:00");

        // Parked from 10-08 10:00 to 10-11 10:00: 10-08 and 10-09 are given back.
        c.on_transition(wf, t("park"), at("2021-10-08 10:00"), None, &dl);
        assert_eq!(c.next_check(), None);
        c.on_transition(wf, t("unpark"), at("2021-10-11 10:00"), None, &dl);
        assert_eq!(local(c.overall_due().unwrap()), "2021-10-15 00:00");

        c.on_transition(
            wf,
            t("request_extension"),
            at("2021-10-11 11:00"),
            None,
            &dl,
        );
        c.on_transition(
            wf,
            t("approve_extension"),
            at("2021-10-11 15:00"),
            Some(2),
            &dl,
        );
        assert_eq!(local(c.overall_due().unwrap()), "2021-10-19 00:00");
        assert_eq!((c.extensions, c.extended_total), (1, 2));

        c.on_transition(wf, t("report"), at("2021-10-12 09:00"), None, &dl);
        c.on_transition(wf, t("verify"), at("2021-10-12 14:00"), None, &dl);
        c.on_transition(wf, t("close"), at("2021-10-12 15:00"), None, &dl);
        assert_eq!(c.on_time(), Some(true));
        assert!(!c.ever_overdue());
        assert_eq!(c.next_check(), None);
        assert!(c.refresh(at("2022-01-01 00:00")).is_empty());
    }

    #[test]
    fn overall_overdue_is_remembered() {
        let cal = crate::testdata::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let wfs = crate::builtin::workflows();
        let wf = wfs.for_kind("general").unwrap();
        let t0 = at("2021-06-01 09:00");
        let mut c = CaseClocks::start(wf, t0, &dl);
        let due = c.overall_due().unwrap();
        c.refresh(due + Duration::minutes(1));
        assert!(c.ever_overdue());
        let t = |id| wf.transition(id).unwrap();
        c.on_transition(wf, t("dispatch"), due + Duration::hours(1), None, &dl);
        c.on_transition(wf, t("sign"), due + Duration::hours(2), None, &dl);
        c.on_transition(
            wf,
            t("request_extension"),
            due + Duration::hours(3),
            None,
            &dl,
        );
        c.on_transition(
            wf,
            t("approve_extension"),
            due + Duration::hours(4),
            Some(5),
            &dl,
        );
        // Extended past now: the clock runs normally again, but the overdue stays on record.
        assert!(c.ever_overdue());
        assert_ne!(c.overall.unwrap().status, ClockStatus::Overdue);
    }
}
