//! Failed-attempt limits (防暴力猜测): after too many wrong guesses at one key — a petition's
//! number with a wrong code, a username with a wrong password — the key is refused until its
//! window ends. The petitioner's code is 8 characters of 31 (≈ 40 bits): at 10 guesses an hour per
//! petition, guessing one is out of reach. Counted in memory on the injected clock; a restart
//! forgets the counts.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::error::AppError;

/// Refused for too many wrong attempts, until `until` (429).
pub fn refused(until: DateTime<Utc>) -> AppError {
    AppError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!(
            "尝试次数过多，请于 {} 后再试 (too many wrong attempts; try again after that time)",
            crate::cases::fmt_local(until)
        ),
    )
}

/// One limit: at most `max` failures per key within `window`.
#[derive(Debug)]
pub struct Throttle {
    max: u32,
    window: Duration,
    /// Key → (failures, window start).
    seen: Mutex<HashMap<String, (u32, DateTime<Utc>)>>,
}

/// Keys kept before expired windows are swept out.
const SWEEP_AT: usize = 10_000;

impl Throttle {
    pub fn new(max: u32, window: Duration) -> Throttle {
        Throttle {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the key may try now; if not, when it may again.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get(key) {
            Some((n, start)) if *n >= self.max && now < *start + self.window => {
                Err(*start + self.window)
            }
            _ => Ok(()),
        }
    }

    /// Count a failed attempt.
    pub fn fail(&self, key: &str, now: DateTime<Utc>) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= SWEEP_AT {
            let window = self.window;
            seen.retain(|_, (_, start)| now < *start + window);
        }
        let e = seen.entry(key.to_string()).or_insert((0, now));
        if now >= e.1 + self.window {
            *e = (0, now);
        }
        e.0 += 1;
    }

    /// A success clears the key's count.
    pub fn clear(&self, key: &str) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_max_failures_until_the_window_ends() {
        let t0 = DateTime::parse_from_rfc3339("2021-05-10T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let t = Throttle::new(3, Duration::hours(1));
        for i in 0..3 {
            assert!(t.check("2021PE0000001", t0 + Duration::minutes(i)).is_ok());
            t.fail("2021PE0000001", t0 + Duration::minutes(i));
        }
        assert_eq!(
            t.check("2021PE0000001", t0 + Duration::minutes(5)),
            Err(t0 + Duration::hours(1))
        );
        assert!(
            t.check("2021PE0000002", t0).is_ok(),
            "other keys unaffected"
        );
        assert!(t.check("2021PE0000001", t0 + Duration::hours(1)).is_ok());
        // A new window starts afresh.
        t.fail("2021PE0000001", t0 + Duration::hours(2));
        assert!(t.check("2021PE0000001", t0 + Duration::hours(2)).is_ok());
        t.clear("2021PE0000001");
        assert!(t.seen.lock().unwrap().is_empty());
    }
}
