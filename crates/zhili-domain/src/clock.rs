//! Time and deadlines (时限). Time is injected through [`Clock`]; deadlines are counted on the
//! official [`Calendar`] in Asia/Shanghai (UTC+8, no daylight saving) in one of four units.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;

pub type Timestamp = DateTime<Utc>;

/// Where "now" comes from. Production uses the system clock (in the binary); tests and the demo
/// generator use a [`ManualClock`].
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// A clock that shows whatever it was last set to.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(t: Timestamp) -> Self {
        ManualClock(Mutex::new(t))
    }
    pub fn set(&self, t: Timestamp) {
        *self.0.lock().expect("clock lock") = t;
    }
    pub fn advance(&self, d: Duration) {
        let mut g = self.0.lock().expect("clock lock");
        *g += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock")
    }
}

/// China Standard Time, the zone every deadline is counted in.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

pub fn to_local(t: Timestamp) -> NaiveDateTime {
    t.with_timezone(&cst()).naive_local()
}

pub fn from_local(t: NaiveDateTime) -> Timestamp {
    cst()
        .from_local_datetime(&t)
        .single()
        .expect("fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// 24:00 local of day `d` (= 00:00 of the next day).
pub fn end_of_local_day(d: NaiveDate) -> Timestamp {
    from_local(
        d.succ_opt()
            .expect("date in range")
            .and_time(NaiveTime::MIN),
    )
}

/// Local date on which an end-of-day deadline falls (24:00 belongs to the day before).
fn deadline_day(t: Timestamp) -> NaiveDate {
    to_local(t - Duration::seconds(1)).date()
}

/// The unit of a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// 日: calendar days, counted from the day after the event; a last day that is not a working
    /// day moves to the next working day (民法典 第201、203条).
    CalendarDay,
    /// 工作日: working days on the official calendar.
    WorkingDay,
    /// 工作时: hours within office hours on working days.
    WorkingHour,
    /// 小时: clock hours.
    ClockHour,
}

impl TimeUnit {
    pub fn label_zh(self) -> &'static str {
        match self {
            TimeUnit::CalendarDay => "日",
            TimeUnit::WorkingDay => "工作日",
            TimeUnit::WorkingHour => "工作时",
            TimeUnit::ClockHour => "小时",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::CalendarDay => "calendar_day",
            TimeUnit::WorkingDay => "working_day",
            TimeUnit::WorkingHour => "working_hour",
            TimeUnit::ClockHour => "clock_hour",
        }
    }
}

impl FromStr for TimeUnit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "calendar_day" | "日" => TimeUnit::CalendarDay,
            "working_day" | "工作日" => TimeUnit::WorkingDay,
            "working_hour" | "工作时" => TimeUnit::WorkingHour,
            "clock_hour" | "小时" => TimeUnit::ClockHour,
            other => {
                return Err(format!(
                    "unknown time unit `{other}` (calendar_day, working_day, working_hour, clock_hour)"
                ));
            }
        })
    }
}

/// An amount of time in a unit, e.g. 3 工作日.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct Span {
    pub amount: u32,
    pub unit: TimeUnit,
}

impl Span {
    pub fn new(amount: u32, unit: TimeUnit) -> Self {
        Span { amount, unit }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.label_zh())
    }
}

/// Office hours used for 工作时, e.g. 08:30–12:00 and 14:00–17:30.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeHours {
    pub periods: Vec<(NaiveTime, NaiveTime)>,
}

impl Default for OfficeHours {
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        OfficeHours {
            periods: vec![(t(8, 30), t(12, 0)), (t(14, 0), t(17, 30))],
        }
    }
}

impl OfficeHours {
    /// Parse "08:30-12:00,14:00-17:30".
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut periods = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = part
                .split_once('-')
                .ok_or_else(|| format!("office period `{part}` is not HH:MM-HH:MM"))?;
            let p = |x: &str| {
                NaiveTime::parse_from_str(x.trim(), "%H:%M")
                    .map_err(|_| format!("`{x}` is not a time HH:MM"))
            };
            let (a, b) = (p(a)?, p(b)?);
            if b <= a {
                return Err(format!("office period `{part}` ends before it starts"));
            }
            if let Some(&(_, prev_end)) = periods.last()
                && a < prev_end
            {
                return Err(format!("office period `{part}` overlaps the one before"));
            }
            periods.push((a, b));
        }
        if periods.is_empty() {
            return Err("office hours are empty".into());
        }
        Ok(OfficeHours { periods })
    }

    pub fn minutes_per_day(&self) -> i64 {
        self.periods
            .iter()
            .map(|(a, b)| (*b - *a).num_minutes())
            .sum()
    }
}

/// Deadline arithmetic on one calendar and one set of office hours.
#[derive(Debug, Clone)]
pub struct Deadlines<'a> {
    pub calendar: &'a Calendar,
    pub office: &'a OfficeHours,
}

impl<'a> Deadlines<'a> {
    pub fn new(calendar: &'a Calendar, office: &'a OfficeHours) -> Self {
        Deadlines { calendar, office }
    }

    /// The deadline of `span` counted from the event at `start`.
    pub fn due(&self, start: Timestamp, span: Span) -> Timestamp {
        match span.unit {
            TimeUnit::ClockHour => start + Duration::hours(span.amount.into()),
            TimeUnit::WorkingHour => self.add_working_minutes(start, i64::from(span.amount) * 60),
            TimeUnit::CalendarDay => {
                let last = to_local(start).date() + Duration::days(span.amount.into());
                end_of_local_day(self.roll(last))
            }
            TimeUnit::WorkingDay => {
                let last = self
                    .calendar
                    .add_working_days(to_local(start).date(), span.amount);
                end_of_local_day(last)
            }
        }
    }

    /// A deadline pushed back by an approved extension of `span`.
    pub fn extend(&self, due: Timestamp, span: Span) -> Timestamp {
        match span.unit {
            TimeUnit::ClockHour => due + Duration::hours(span.amount.into()),
            TimeUnit::WorkingHour => self.add_working_minutes(due, i64::from(span.amount) * 60),
            TimeUnit::CalendarDay => {
                let last = deadline_day(due) + Duration::days(span.amount.into());
                end_of_local_day(self.roll(last))
            }
            TimeUnit::WorkingDay => end_of_local_day(
                self.calendar
                    .add_working_days(deadline_day(due), span.amount),
            ),
        }
    }

    /// A deadline pushed back by a pause (挂账, awaiting material, hearing) from `from` to `to`:
    /// the time the clock would have counted in that interval is given back.
    pub fn after_pause(
        &self,
        due: Timestamp,
        unit: TimeUnit,
        from: Timestamp,
        to: Timestamp,
    ) -> Timestamp {
        if to <= from {
            return due;
        }
        match unit {
            TimeUnit::ClockHour => due + (to - from),
            TimeUnit::WorkingHour => {
                self.add_working_minutes(due, self.working_minutes_between(from, to))
            }
            TimeUnit::CalendarDay => {
                let days = (to_local(to).date() - to_local(from).date()).num_days();
                let last = deadline_day(due) + Duration::days(days);
                end_of_local_day(self.roll(last))
            }
            TimeUnit::WorkingDay => {
                let n = self
                    .calendar
                    .working_days_between(to_local(from).date(), to_local(to).date());
                end_of_local_day(self.calendar.add_working_days(deadline_day(due), n))
            }
        }
    }

    /// When the warning (临期) starts: once `1 - ratio` of the time between start and due is used.
    pub fn warn_at(&self, start: Timestamp, due: Timestamp, ratio: f64) -> Timestamp {
        let total = (due - start).num_seconds().max(0) as f64;
        due - Duration::seconds((total * ratio.clamp(0.0, 1.0)) as i64)
    }

    fn roll(&self, mut d: NaiveDate) -> NaiveDate {
        while !self.calendar.is_working_day(d) {
            d = d.succ_opt().expect("date in range");
        }
        d
    }

    /// Office minutes in `[from, to)`.
    pub fn working_minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        let (from, to) = (to_local(from), to_local(to));
        let mut total = 0;
        let mut day = from.date();
        while day <= to.date() {
            if self.calendar.is_working_day(day) {
                for (a, b) in &self.office.periods {
                    let s = day.and_time(*a).max(from);
                    let e = day.and_time(*b).min(to);
                    if e > s {
                        total += (e - s).num_minutes();
                    }
                }
            }
            day = day.succ_opt().expect("date in range");
        }
        total
    }

    /// The moment `minutes` office minutes after `start`.
    pub fn add_working_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp {
        let mut left = minutes;
        let start = to_local(start);
        let mut day = start.date();
        loop {
            if self.calendar.is_working_day(day) {
                for (a, b) in &self.office.periods {
                    let s = day.and_time(*a).max(start);
                    let e = day.and_time(*b);
                    if e <= s {
                        continue;
                    }
                    let avail = (e - s).num_minutes();
                    if left <= avail {
                        return from_local(s + Duration::minutes(left));
                    }
                    left -= avail;
                }
            }
            day = day.succ_opt().expect("date in range");
        }
    }
}

/// Where a running clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    Normal,
    /// 临期
    Warning,
    /// 超期
    Overdue,
}

impl ClockStatus {
    pub fn at(now: Timestamp, warn_at: Timestamp, due: Timestamp) -> ClockStatus {
        if now >= due {
            ClockStatus::Overdue
        } else if now >= warn_at {
            ClockStatus::Warning
        } else {
            ClockStatus::Normal
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ClockStatus::Normal => "normal",
            ClockStatus::Warning => "warning",
            ClockStatus::Overdue => "overdue",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ClockStatus::Normal => "正常",
            ClockStatus::Warning => "临期",
            ClockStatus::Overdue => "超期",
        }
    }
}

impl FromStr for ClockStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "normal" => Ok(ClockStatus::Normal),
            "warning" => Ok(ClockStatus::Warning),
            "overdue" => Ok(ClockStatus::Overdue),
            o => Err(format!("unknown clock status `{o}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        from_local(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }
    fn local(t: Timestamp) -> String {
        to_local(t).format("%Y-%m-%d %H:%M").to_string()
    }

    #[test]
    fn working_days_over_national_day_2021() {
        let cal = crate::testdata::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let t = at("2021-09-30 10:00");
        assert_eq!(
            local(dl.due(t, Span::new(1, TimeUnit::WorkingDay))),
            "2021-10-09 00:00"
        );
        assert_eq!(
            local(dl.due(t, Span::new(2, TimeUnit::WorkingDay))),
            "2021-10-10 00:00"
        );
    }

    #[test]
    fn calendar_days_roll_past_holidays() {
        let cal = crate::testdata::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        // 15 days from 2021-09-16 end on 2021-10-01, a holiday: rolls to 10-08 (10-09 is not needed).
        let due = dl.due(at("2021-09-16 09:00"), Span::new(15, TimeUnit::CalendarDay));
        assert_eq!(local(due), "2021-10-09 00:00");
        // 60 days from 2021-03-01 end on 2021-04-30, a Friday: no roll.
        let due = dl.due(at("2021-03-01 09:00"), Span::new(60, TimeUnit::CalendarDay));
        assert_eq!(local(due), "2021-05-01 00:00");
        // A last day on a Saturday rolls to Monday.
        let due = dl.due(at("2021-06-01 09:00"), Span::new(4, TimeUnit::CalendarDay));
        assert_eq!(local(due), "2021-06-08 00:00");
    }

    #[test]
    fn working_hours_skip_lunch_nights_and_holidays() {
        let cal = crate::testdata::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        // 2 working hours from 11:00: one hour before lunch, one after.
        let due = dl.due(at("2021-09-29 11:00"), Span::new(2, TimeUnit::WorkingHour));
        assert_eq!(local(due), "2021-09-29 15:00");
        // 4 working hours from Thursday 16:00 before National Day: 1.5 h, then 2021-10-08.
        let due = dl.due(at("2021-09-30 16:00"), Span::new(4, TimeUnit::WorkingHour));
        assert_eq!(local(due), "2021-10-08 11:00");
        // From before office hours.
        let due = dl.due(at("2021-10-08 06:00"), Span::new(1, TimeUnit::WorkingHour));
        assert_eq!(local(due), "2021-10-08 09:30");
        assert_eq!(
            dl.working_minutes_between(at("2021-09-30 16:00"), at("2021-10-08 11:00")),
            240
        );
    }

    #[test]
    fn clock_hours_ignore_calendar() {
        let cal = crate::testdata::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let due = dl.due(at("2021-10-01 23:00"), Span::new(2, TimeUnit::ClockHour));
        assert_eq!(local(due), "2021-10-02 01:00");
    }

    #[test]
    fn pauses_and_extensions() {
        let cal = crate::testdata::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let start = at("2021-09-27 09:00");
        let due = dl.due(start, Span::new(5, TimeUnit::WorkingDay));
        assert_eq!(local(due), "2021-10-10 00:00");
        // Paused Tuesday to Thursday: Tue, Wed are given back.
        let due2 = dl.after_pause(
            due,
            TimeUnit::WorkingDay,
            at("2021-09-28 10:00"),
            at("2021-09-30 10:00"),
        );
        assert_eq!(local(due2), "2021-10-13 00:00");
        // Extension of 3 working days from Saturday 10-09 (a working day).
        let due3 = dl.extend(due, Span::new(3, TimeUnit::WorkingDay));
        assert_eq!(local(due3), "2021-10-14 00:00");
        // Calendar-day extension landing on a weekend rolls to Monday.
        let due4 = dl.extend(at("2021-06-04 00:00"), Span::new(2, TimeUnit::CalendarDay));
        assert_eq!(local(due4), "2021-06-08 00:00");
        // Clock-hour pause.
        let d = at("2021-06-04 12:00");
        assert_eq!(
            dl.after_pause(
                d,
                TimeUnit::ClockHour,
                at("2021-06-01 00:00"),
                at("2021-06-01 05:00")
            ),
            d + Duration::hours(5)
        );
    }

    #[test]
    fn status_and_warning() {
        let cal = crate::testdata::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let s = at("2021-06-01 00:00");
        let due = at("2021-06-11 00:00");
        let w = dl.warn_at(s, due, 0.2);
        assert_eq!(local(w), "2021-06-09 00:00");
        assert_eq!(ClockStatus::at(s, w, due), ClockStatus::Normal);
        assert_eq!(ClockStatus::at(w, w, due), ClockStatus::Warning);
        assert_eq!(ClockStatus::at(due, w, due), ClockStatus::Overdue);
    }

    #[test]
    fn office_hours_parse() {
        assert_eq!(
            OfficeHours::parse("08:30-12:00,14:00-17:30").unwrap(),
            OfficeHours::default()
        );
        assert!(OfficeHours::parse("12:00-08:00").is_err());
        assert!(OfficeHours::parse("08:00-12:00,11:00-13:00").is_err());
        assert!(OfficeHours::parse("").is_err());
    }
}
