//! Risk pages: the register (风险隐患台账) and registering a risk (排查登记).

use axum::Router;
use zhili_store::Store;

use crate::App;

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
}
