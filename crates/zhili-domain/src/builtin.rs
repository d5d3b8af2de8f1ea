//! The data shipped with zhili (`data/` in the repository), embedded so that the binary needs
//! nothing else at run time. Deployments add or override files through configuration.

use crate::calendar::Calendar;

/// The shipped urban-management taxonomy (`data/taxonomy/urban.csv`).
pub const URBAN_TAXONOMY: (&str, &str) = (
    "data/taxonomy/urban.csv",
    include_str!("../../../data/taxonomy/urban.csv"),
);

/// The shipped taxonomy, parsed (it is checked by the tests).
pub fn urban_taxonomy() -> crate::urban::taxonomy::Taxonomy {
    crate::urban::taxonomy::Taxonomy::from_csv(URBAN_TAXONOMY.0, URBAN_TAXONOMY.1)
        .expect("the shipped taxonomy is valid")
}

/// Official division codes by name (`data/geo/admin-codes.csv`): `(code, name)`.
pub fn admin_codes() -> Vec<(&'static str, &'static str)> {
    include_str!("../../../data/geo/admin-codes.csv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("code,") && !l.trim().is_empty())
        .filter_map(|l| l.split_once(','))
        .map(|(c, n)| (c.trim(), n.trim()))
        .collect()
}
use crate::workflow::Workflows;

/// `(file name, text)` of each official calendar year.
pub const CALENDAR_FILES: &[(&str, &str)] = &[
    (
        "data/calendar/2020.toml",
        include_str!("../../../data/calendar/2020.toml"),
    ),
    (
        "data/calendar/2021.toml",
        include_str!("../../../data/calendar/2021.toml"),
    ),
    (
        "data/calendar/2022.toml",
        include_str!("../../../data/calendar/2022.toml"),
    ),
    (
        "data/calendar/2023.toml",
        include_str!("../../../data/calendar/2023.toml"),
    ),
    (
        "data/calendar/2024.toml",
        include_str!("../../../data/calendar/2024.toml"),
    ),
    (
        "data/calendar/2025.toml",
        include_str!("../../../data/calendar/2025.toml"),
    ),
    (
        "data/calendar/2026.toml",
        include_str!("../../../data/calendar/2026.toml"),
    ),
    (
        "data/calendar/2027.toml",
        include_str!("../../../data/calendar/2027.toml"),
    ),
];

/// `(file name, text)` of each workflow definition.
pub const WORKFLOW_FILES: &[(&str, &str)] = &[
    (
        "data/workflows/general.toml",
        include_str!("../../../data/workflows/general.toml"),
    ),
    (
        "data/workflows/urban.toml",
        include_str!("../../../data/workflows/urban.toml"),
    ),
    (
        "data/workflows/petition.toml",
        include_str!("../../../data/workflows/petition.toml"),
    ),
    (
        "data/workflows/risk.toml",
        include_str!("../../../data/workflows/risk.toml"),
    ),
    (
        "data/workflows/mediation.toml",
        include_str!("../../../data/workflows/mediation.toml"),
    ),
    (
        "data/workflows/court_mediation.toml",
        include_str!("../../../data/workflows/court_mediation.toml"),
    ),
    (
        "data/workflows/labour_arbitration.toml",
        include_str!("../../../data/workflows/labour_arbitration.toml"),
    ),
];

pub fn calendar() -> Calendar {
    Calendar::from_files(CALENDAR_FILES.iter().copied()).expect("shipped calendar is valid")
}

pub fn workflows() -> Workflows {
    Workflows::load(WORKFLOW_FILES.iter().copied()).expect("shipped workflows are valid")
}
