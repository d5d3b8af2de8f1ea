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
    pub fn calendar() -> crate::calendar::Calendar {
        crate::builtin::calendar()
    }
}
