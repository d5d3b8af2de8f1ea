use crate::App;
use axum::Router;
use zhili_store::Store;
pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
}
