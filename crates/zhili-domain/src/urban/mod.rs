//! Digital urban management (数字城管): the component and event taxonomy and its rules
//! (RULES.md §3).

pub mod duplicates;
pub mod taxonomy;
