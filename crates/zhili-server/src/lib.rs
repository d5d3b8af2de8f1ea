//! zhili's HTTP server: the JSON API under `/api/v1`, the staff web UI, authentication and the
//! background deadline scan. Generic over the [`Store`]; only the binary picks a backend.

pub mod auth;
pub mod blobs;
pub mod cases;
pub mod config;
pub mod crypto;
pub mod documents;
pub mod error;
pub mod extract;
pub mod geo;
pub mod jobs;
pub mod mediation;
pub mod metrics;
pub mod open311;
pub mod openapi;
pub mod org;
pub mod oversight;
pub mod petition;
pub mod report;
pub mod risk;
pub mod throttle;
pub mod urban;
pub mod web;

use std::sync::Arc;

use axum::Router;
use zhili_domain::calendar::{Calendar, CalendarOverrides};
use zhili_domain::clock::{Clock, Deadlines, OfficeHours};
use zhili_domain::workflow::Workflows;
use zhili_store::Store;

use crate::blobs::Blobs;
use crate::config::Settings;
use crate::crypto::Crypto;

/// Everything a request handler needs. Cheap to clone.
pub struct App<S: Store> {
    inner: Arc<AppInner<S>>,
}

impl<S: Store> Clone for App<S> {
    fn clone(&self) -> Self {
        App {
            inner: self.inner.clone(),
        }
    }
}

pub struct AppInner<S> {
    pub store: S,
    pub clock: Arc<dyn Clock>,
    pub calendar: Calendar,
    pub office: OfficeHours,
    pub workflows: Workflows,
    /// The urban-management taxonomy (部件/事件).
    pub taxonomy: zhili_domain::urban::taxonomy::Taxonomy,
    /// The indicator definitions: the shipped ones with the deployment's formulas.
    pub indicator_defs: Vec<zhili_domain::indicators::IndicatorDef>,
    /// The local working mechanisms (首访负责, 领导包案, 挂牌销号).
    pub mechanisms: zhili_domain::oversight::Mechanisms,
    pub crypto: Crypto,
    pub blobs: Blobs,
    pub settings: Settings,
    pub metrics: metrics::Metrics,
    /// Wrong codes per petition number (the petitioner's page).
    pub code_guesses: throttle::Throttle,
    /// Wrong passwords per username.
    pub login_failures: throttle::Throttle,
    locator_cache: geo::LocatorCache,
    /// Org nodes' paths and names, read once: a node's place in the tree never changes.
    node_refs: std::sync::RwLock<std::collections::HashMap<i64, NodeRef>>,
}

/// Where an org node sits in the tree, and its name.
#[derive(Debug, Clone)]
pub struct NodeRef {
    pub id: i64,
    pub path: String,
    pub name: String,
}

impl<S: Store> std::ops::Deref for App<S> {
    type Target = AppInner<S>;
    fn deref(&self) -> &AppInner<S> {
        &self.inner
    }
}

/// Load the calendar: the shipped years, then the deployment's files and overrides.
pub fn load_calendar(settings: &Settings) -> Result<Calendar, String> {
    let mut files: Vec<(String, String)> = zhili_domain::builtin::CALENDAR_FILES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let mut overrides = CalendarOverrides::default();
    if let Some(dir) = &settings.calendar_dir {
        for (name, text) in read_toml_dir(dir)? {
            if name.ends_with("overrides.toml") {
                overrides = toml::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
                continue;
            }
            // A deployment file for a year replaces the shipped one.
            let stem = std::path::Path::new(&name)
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            files.retain(|(n, _)| !n.ends_with(&format!("/{stem}")));
            files.push((name, text));
        }
    }
    let cal = Calendar::from_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| e.to_string())?;
    Ok(cal.with_overrides(&overrides))
}

/// Load the workflows: the shipped ones, then the deployment's (same id replaces).
pub fn load_workflows(settings: &Settings) -> Result<Workflows, String> {
    let mut files: Vec<(String, String)> = zhili_domain::builtin::WORKFLOW_FILES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    if let Some(dir) = &settings.workflow_dir {
        files.extend(read_toml_dir(dir)?);
    }
    Workflows::load(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).map_err(|e| e.to_string())
}

fn read_toml_dir(dir: &std::path::Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        out.push((p.display().to_string(), text));
    }
    Ok(out)
}

/// Read the key that encrypts personal data, creating it on first start.
pub fn load_or_create_key(settings: &Settings) -> Result<Crypto, String> {
    let path = settings
        .secret_key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join("secret.key"));
    if !path.exists() {
        if settings.secret_key_file.is_some() {
            return Err(format!("secret key file {} does not exist", path.display()));
        }
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| e.to_string())?;
        std::fs::write(&path, Crypto::generate_key_base64()).map_err(|e| e.to_string())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        }
        tracing::info!("created a new secret key at {}", path.display());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Crypto::from_base64(&text).map_err(|e| format!("{}: {e}", path.display()))
}

impl<S: Store> App<S> {
    pub fn new(
        store: S,
        clock: Arc<dyn Clock>,
        settings: Settings,
        crypto: Crypto,
    ) -> Result<App<S>, String> {
        let calendar = load_calendar(&settings)?;
        let workflows = load_workflows(&settings)?;
        let taxonomy = urban::load_taxonomy(&settings)?;
        let indicator_defs = report::load_indicators(&settings)?;
        let mechanisms = oversight::load_mechanisms(&settings)?;
        let office =
            OfficeHours::parse(&settings.office_hours).map_err(|e| format!("office_hours: {e}"))?;
        for y in calendar.years().filter(|y| y.provisional) {
            tracing::warn!(
                "the official calendar for {} is provisional ({}); add the State Council notice's days when published",
                y.year,
                y.notice
            );
        }
        let blobs = Blobs::new(settings.data_dir.join("attachments"));
        Ok(App {
            inner: Arc::new(AppInner {
                store,
                clock,
                calendar,
                office,
                workflows,
                taxonomy,
                indicator_defs,
                mechanisms,
                crypto,
                blobs,
                settings,
                metrics: Default::default(),
                code_guesses: throttle::Throttle::new(10, chrono::Duration::hours(1)),
                login_failures: throttle::Throttle::new(10, chrono::Duration::minutes(15)),
                locator_cache: Default::default(),
                node_refs: Default::default(),
            }),
        })
    }

    /// A node's path and name, from memory after the first read.
    pub async fn node_ref(&self, id: i64) -> Result<NodeRef, zhili_store::DbError> {
        if let Some(n) = self.node_refs.read().expect("node cache").get(&id) {
            return Ok(n.clone());
        }
        let n = self.store.get_node(id).await?;
        let r = NodeRef {
            id: n.id,
            path: n.path,
            name: n.name,
        };
        self.node_refs
            .write()
            .expect("node cache")
            .insert(id, r.clone());
        Ok(r)
    }

    pub fn deadlines(&self) -> Deadlines<'_> {
        Deadlines::new(&self.calendar, &self.office)
    }

    pub fn now(&self) -> zhili_store::Timestamp {
        self.clock.now()
    }

    /// Serve the application on `listener` until `shutdown` completes.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// The whole HTTP application.
    pub fn router(&self) -> Router {
        let max = usize::try_from(self.settings.max_upload_mib * 1024 * 1024 + 64 * 1024)
            .unwrap_or(usize::MAX);
        Router::new()
            .merge(cases::api::routes())
            .merge(org::api::routes())
            .merge(geo::api::routes())
            .merge(urban::api::routes())
            .merge(petition::api::routes())
            .merge(documents::api::routes())
            .merge(oversight::api::routes())
            .merge(risk::api::routes())
            .merge(mediation::api::routes())
            .merge(open311::api::routes())
            .merge(report::api::routes())
            .merge(auth::routes())
            .merge(openapi::routes())
            .merge(web::routes())
            .merge(cases::web::routes())
            .merge(report::web::routes())
            .merge(urban::web::routes())
            .merge(petition::web::routes())
            .merge(oversight::web::routes())
            .merge(risk::web::routes())
            .merge(mediation::web::routes())
            .route("/metrics", axum::routing::get(metrics::metrics::<S>))
            .route_layer(axum::middleware::from_fn_with_state(
                self.clone(),
                metrics::track::<S>,
            ))
            .layer(axum::extract::DefaultBodyLimit::max(max))
            .layer(tower_http::trace::TraceLayer::new_for_http())
            .with_state(self.clone())
    }
}
