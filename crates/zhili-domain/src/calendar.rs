//! The official calendar (官方工作日历): weekends, statutory holidays and make-up working days
//! (调休上班日) from each year's State Council notice, plus local overrides.
//!
//! The calendar is data (`data/calendar/YYYY.toml`); this module parses and queries it. It does no
//! I/O: callers hand it the file texts.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CalendarError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("no official calendar for year {0}: add data/calendar/{0}.toml")]
    YearMissing(i32),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    notice: String,
    #[serde(default)]
    provisional: bool,
    #[serde(default)]
    holidays: Vec<HolidayRange>,
    #[serde(default)]
    workdays: Vec<NaiveDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayRange {
    from: NaiveDate,
    to: NaiveDate,
    name: String,
}

/// Local overrides (a deployment's own rest or working days), e.g. a typhoon closure.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct CalendarOverrides {
    #[serde(default)]
    pub rest_days: Vec<NaiveDate>,
    #[serde(default)]
    pub work_days: Vec<NaiveDate>,
}

/// What a year's data says about where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearInfo {
    pub year: i32,
    pub notice: String,
    pub provisional: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// Holiday date → name of the holiday.
    holidays: BTreeMap<NaiveDate, String>,
    workdays: BTreeSet<NaiveDate>,
    years: BTreeMap<i32, YearInfo>,
}

/// Why a day is or is not a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    Working,
    /// Saturday/Sunday made a working day by the notice (调休上班).
    MakeUpWorking,
    Weekend,
    Holiday(String),
}

impl DayKind {
    pub fn is_working(&self) -> bool {
        matches!(self, DayKind::Working | DayKind::MakeUpWorking)
    }
}

impl Calendar {
    /// Parse the year files (`(file name, text)` pairs).
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, CalendarError> {
        let mut cal = Calendar::default();
        for (file, text) in files {
            let invalid = |message: String| CalendarError::Invalid {
                file: file.to_string(),
                message,
            };
            let y: YearFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
            if cal.years.contains_key(&y.year) {
                return Err(invalid(format!("year {} given twice", y.year)));
            }
            for h in &y.holidays {
                if h.to < h.from {
                    return Err(invalid(format!(
                        "holiday {}: `to` is before `from`",
                        h.name
                    )));
                }
                if h.from.year() != y.year || h.to.year() != y.year {
                    return Err(invalid(format!(
                        "holiday {} ({}..{}) lies outside year {}",
                        h.name, h.from, h.to, y.year
                    )));
                }
                let mut d = h.from;
                while d <= h.to {
                    cal.holidays.insert(d, h.name.clone());
                    d = d.succ_opt().expect("date in range");
                }
            }
            for w in &y.workdays {
                if w.year() != y.year {
                    return Err(invalid(format!("workday {w} lies outside year {}", y.year)));
                }
                if !matches!(w.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(invalid(format!(
                        "make-up working day {w} is not a Saturday or Sunday"
                    )));
                }
                if cal.holidays.contains_key(w) {
                    return Err(invalid(format!("{w} is both a holiday and a working day")));
                }
                cal.workdays.insert(*w);
            }
            cal.years.insert(
                y.year,
                YearInfo {
                    year: y.year,
                    notice: y.notice,
                    provisional: y.provisional,
                },
            );
        }
        Ok(cal)
    }

    /// Apply a deployment's local overrides on top of the official data.
    pub fn with_overrides(mut self, o: &CalendarOverrides) -> Self {
        for d in &o.rest_days {
            self.workdays.remove(d);
            self.holidays.insert(*d, "本地休息日".to_string());
        }
        for d in &o.work_days {
            self.holidays.remove(d);
            if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                self.workdays.insert(*d);
            }
        }
        self
    }

    pub fn years(&self) -> impl Iterator<Item = &YearInfo> {
        self.years.values()
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn day_kind(&self, d: NaiveDate) -> DayKind {
        if let Some(name) = self.holidays.get(&d) {
            return DayKind::Holiday(name.clone());
        }
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        match (weekend, self.workdays.contains(&d)) {
            (true, true) => DayKind::MakeUpWorking,
            (true, false) => DayKind::Weekend,
            (false, _) => DayKind::Working,
        }
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.day_kind(d).is_working()
    }

    /// Next working day strictly after `d`.
    pub fn next_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut x = d.succ_opt().expect("date in range");
        while !self.is_working_day(x) {
            x = x.succ_opt().expect("date in range");
        }
        x
    }

    /// `n` working days after `d` (the day of `d` itself is not counted). `n = 0` gives `d`.
    pub fn add_working_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut x = d;
        for _ in 0..n {
            x = self.next_working_day(x);
        }
        x
    }

    /// Working days in `[from, to)`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            if self.is_working_day(d) {
                n += 1;
            }
            d = d.succ_opt().expect("date in range");
        }
        n
    }

    /// The years between `from` and `to` (inclusive) that have no data, so callers can refuse or
    /// warn instead of silently counting holidays as working days.
    pub fn missing_years(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        (from.year()..=to.year())
            .filter(|y| !self.covers(*y))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cal() -> Calendar {
        crate::testdata::calendar()
    }

    #[test]
    fn loads_all_years() {
        let c = cal();
        for y in 2020..=2027 {
            assert!(c.covers(y), "year {y}");
        }
        assert!(c.years().any(|y| y.year == 2027 && y.provisional));
        assert!(c.years().any(|y| y.year == 2021 && !y.provisional));
    }

    #[test]
    fn national_day_2021() {
        let c = cal();
        assert_eq!(c.add_working_days(d("2021-09-30"), 1), d("2021-10-08"));
        assert_eq!(c.add_working_days(d("2021-09-30"), 2), d("2021-10-09"));
        assert_eq!(c.day_kind(d("2021-10-09")), DayKind::MakeUpWorking);
        assert_eq!(
            c.day_kind(d("2021-10-01")),
            DayKind::Holiday("国庆节".into())
        );
        assert_eq!(c.day_kind(d("2021-10-10")), DayKind::Weekend);
    }

    #[test]
    fn spring_festival_2020_extension() {
        let c = cal();
        // The extended 2020 holiday ran to 2020-02-02; 2020-02-01 was no longer a working day.
        assert!(!c.is_working_day(d("2020-02-01")));
        assert_eq!(c.add_working_days(d("2020-01-23"), 1), d("2020-02-03"));
        assert!(c.is_working_day(d("2020-01-19")));
    }

    #[test]
    fn working_days_between_counts_make_up_days() {
        let c = cal();
        // 2024-02-04 (Sun) and 2024-02-18 (Sun) are make-up days around 春节 2024-02-10..17.
        // Feb 4, Feb 5..9 and Feb 18: seven working days.
        assert_eq!(c.working_days_between(d("2024-02-04"), d("2024-02-19")), 7);
    }

    #[test]
    fn rejects_bad_files() {
        let bad = "year = 2021\nnotice = \"x\"\nworkdays = [\"2021-10-08\"]\n";
        let e = Calendar::from_files([("2021.toml", bad)]).unwrap_err();
        assert!(e.to_string().contains("2021.toml"), "{e}");
        assert!(e.to_string().contains("not a Saturday or Sunday"), "{e}");
        let unknown = "year = 2021\nnotice = \"x\"\nholiday = []\n";
        assert!(Calendar::from_files([("y.toml", unknown)]).is_err());
    }

    #[test]
    fn overrides() {
        let c = cal().with_overrides(&CalendarOverrides {
            rest_days: vec![d("2021-09-29")],
            work_days: vec![d("2021-10-02")],
        });
        assert!(!c.is_working_day(d("2021-09-29")));
        assert!(c.is_working_day(d("2021-10-02")));
    }
}
