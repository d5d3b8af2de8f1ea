//! zhili's domain: pure types and rules. No I/O, no async, no SQL.
//!
//! - [`org`]: the org tree and roles
//! - [`case`]: cases and their clocks
//! - [`workflow`]: workflow definitions as data and the rules of transitions
//! - [`calendar`], [`clock`]: the official calendar and deadline arithmetic
//! - [`privacy`]: personal data validation and masking
//! - [`audit`]: the hash chain of events
//! - [`indicators`]: named formulas
//! - [`petition`]: petitions (信访): categories, decisions, documents, repeats

/// `FromStr` for an enum with `ALL` and `as_str()`: the error lists the known values.
macro_rules! parse_by_as_str {
    ($t:ty, $what:literal) => {
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <$t>::ALL
                    .into_iter()
                    .find(|x| x.as_str() == s)
                    .ok_or_else(|| {
                        let all: Vec<_> = <$t>::ALL.iter().map(|x| x.as_str()).collect();
                        format!(concat!("unknown ", $what, " `{}` ({})"), s, all.join(", "))
                    })
            }
        }
    };
}

pub mod audit;
pub mod builtin;
pub mod calendar;
pub mod case;
pub mod clock;
pub mod geo;
pub mod indicators;
pub mod mediation;
pub mod org;
pub mod oversight;
pub mod petition;
pub mod privacy;
pub mod risk;
pub mod text;
pub mod urban;
pub mod workflow;

#[cfg(test)]
mod testdata {
    use crate::clock::{Timestamp, from_local, to_local};

    pub fn calendar() -> crate::calendar::Calendar {
        crate::builtin::calendar()
    }

    /// A local (UTC+8) time written `2021-09-29 16:00`.
    pub fn at(s: &str) -> Timestamp {
        from_local(
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("a local time"),
        )
    }

    /// A time as local `2021-09-29 16:00`.
    pub fn local(t: Timestamp) -> String {
        to_local(t).format("%Y-%m-%d %H:%M").to_string()
    }
}
