//! The org tree, departments, users, grants and API tokens.

pub mod api;
