//! Petition pages: the petition officers' workbench, intake, and the petitioner's own page.

use axum::Router;
use zhili_store::Store;

use crate::App;

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
}
