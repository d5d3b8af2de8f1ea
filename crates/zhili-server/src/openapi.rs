//! The OpenAPI document, generated from the handlers and types, at `/api/v1/openapi.json`.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use zhili_store::Store;

use crate::App;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "zhili (治理) API", description = "Law-based governance records: cases, workflows, deadlines, indicators."),
    paths(
        crate::auth::login, crate::auth::logout,
        crate::cases::api::list_cases, crate::cases::api::create_case, crate::cases::api::get_case,
        crate::cases::api::transition, crate::cases::api::timeline, crate::cases::api::list_comments,
        crate::cases::api::add_comment, crate::cases::api::list_attachments,
        crate::cases::api::list_links, crate::cases::api::add_link, crate::cases::api::reveal,
        crate::cases::api::upload, crate::cases::api::download,
        crate::org::api::me, crate::org::api::list_users, crate::org::api::post_user, crate::org::api::post_grant,
        crate::org::api::set_disabled, crate::org::api::post_token, crate::org::api::list_tokens,
        crate::org::api::revoke_token, crate::org::api::list_nodes, crate::org::api::post_node,
        crate::org::api::grid_workers,
        crate::org::api::list_departments, crate::org::api::post_department, crate::org::api::workflows,
        crate::report::api::indicators, crate::report::api::definitions,
        crate::geo::api::import, crate::geo::api::areas, crate::geo::api::locate,
        crate::urban::api::taxonomy, crate::urban::api::taxonomy_csv, crate::urban::api::duplicates, crate::urban::api::suggestion,
        crate::open311::api::post_client, crate::open311::api::list_clients,
        crate::open311::api::get_root, crate::open311::api::post_root, crate::open311::api::get_service,
        crate::open311::api::get_request, crate::open311::api::get_token,
        crate::petition::api::post_petition, crate::petition::api::get_petition,
        crate::cases::export::export, crate::documents::api::list_documents, crate::documents::api::get_document,
        crate::petition::api::post_recusal, crate::petition::api::track, crate::petition::api::rate,
        crate::oversight::api::get_oversight, crate::oversight::api::post_lead,
        crate::oversight::api::post_lead_report, crate::oversight::api::post_lead_deadline,
        crate::oversight::api::post_ledger, crate::oversight::api::post_criterion,
        crate::oversight::api::post_delist, crate::oversight::api::list_leads,
        crate::oversight::api::list_ledger, crate::oversight::api::mechanisms,
        crate::risk::api::post_risk, crate::risk::api::post_grade, crate::risk::api::list_risks,
        crate::risk::api::grades,
        crate::mediation::api::post_committee, crate::mediation::api::list_committees,
        crate::mediation::api::post_mediator, crate::mediation::api::subsidy_grades,
        crate::mediation::api::post_subsidy, crate::mediation::api::post_paid,
        crate::mediation::api::list_subsidies, crate::mediation::api::post_mediation,
        crate::mediation::api::get_mediation, crate::mediation::api::categories,
        crate::mediation::api::subsidies_xlsx,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sessions and tokens"),
        (name = "cases", description = "The case engine"),
        (name = "users", description = "Users, grants and API tokens"),
        (name = "org", description = "The org tree, departments and workflows"),
        (name = "indicators", description = "Named indicator formulas over the records"),
        (name = "urban", description = "Digital urban management (数字城管): taxonomy, duplicates, dispatch"),
        (name = "open311", description = "Open311 GeoReport v2 at /open311/v2 (XML or JSON by suffix; form-encoded POST with api_key), and the clients that hold keys"),
        (name = "petitions", description = "Petitions (信访): intake, group visits, repeats, documents (文书), recusal (回避), and the petitioner's tracking and rating by number and code"),
        (name = "oversight", description = "Local working mechanisms: leader ownership (领导包案) and the tag-and-close ledger (挂牌销号) with configurable closure criteria"),
        (name = "risks", description = "Risk screening (矛盾风险隐患排查化解): the register of risks and unstable events, configurable grading, escalation"),
        (name = "mediation", description = "People's mediation (人民调解): committees and mediators, the per-case subsidy (以案定补) and its payment ledger; mediation cases run on the case engine (kinds mediation, court_mediation, labour_arbitration)"),
        (name = "geo", description = "Town, village and grid-cell areas (GeoJSON, WGS84) and point lookup"),
    )
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}
