//! `zhili`: the one binary. `zhili --help` explains every command.

mod bench;
mod demo;
mod demo_mediation;
mod demo_petition;
mod demo_risk;
mod demo_urban;
mod geometry;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use zhili_domain::clock::{Clock, Timestamp};
use zhili_server::App;
use zhili_server::config::Settings;
use zhili_store::Store;
use zhili_store_postgres::PgStore;
use zhili_store_sqlite::SqliteStore;

#[derive(Parser)]
#[command(
    name = "zhili",
    version,
    about = "zhili (治理): law-based governance records for a town or county government"
)]
struct Cli {
    #[command(flatten)]
    data: DataArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DataArgs {
    /// Configuration file (TOML); see `zhili config example`.
    #[arg(long, global = true, env = "ZHILI_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory: the SQLite file, attachments and the secret key [default: ./zhili-data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: `postgres://…` for PostgreSQL; default the SQLite file in the data directory.
    #[arg(long, global = true)]
    database: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (API, web UI, deadline scan).
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long)]
        listen: Option<String>,
        /// Build the demo town first if the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Build the demo town (清溪镇) with a year of cases, made through the case engine.
    Demo(demo::DemoArgs),
    /// Create or update the database schema.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the audit chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run the deadline scan once and print how many cases changed status.
    Scan,
    /// Import data.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export data.
    #[command(subcommand)]
    Export(ExportCommand),
    /// The urban-management taxonomy (部件/事件).
    #[command(subcommand)]
    Taxonomy(TaxonomyCommand),
    /// Measure this machine: creation over HTTP vs the database's raw ceiling, list queries,
    /// the deadline scan and the server's memory with many cases, on SQLite and PostgreSQL.
    Bench(bench::BenchArgs),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. Roles as ROLE@NODE-CODE (e.g. dispatcher@441900115) or ROLE@dept:CODE
    /// (e.g. handler@dept:cgj). The password comes from ZHILI_PASSWORD, or one is generated and
    /// printed.
    Add {
        username: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Role grants, repeatable.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// List users and their roles.
    List,
    /// Disable a user; every token of the user stops working.
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
    /// Set a new password (from ZHILI_PASSWORD, or generated and printed).
    Passwd { username: String },
    /// Issue an API token for a user (printed once; stored hashed).
    Token {
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Town, village or grid-cell polygons from a GeoJSON file (RFC 7946, WGS84). Unclosed
    /// rings are closed; a feature with bad geometry rejects the file, naming the feature.
    Geojson {
        file: PathBuf,
        /// town, village or grid.
        #[arg(long)]
        level: String,
        /// Code of the node the areas belong under (default for towns: the city).
        #[arg(long)]
        parent: Option<String>,
        /// The geometry is made up, not surveyed.
        #[arg(long)]
        synthetic: bool,
        /// The administrator the change is recorded under.
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
}

#[derive(Subcommand)]
enum TaxonomyCommand {
    /// Check a taxonomy table (CSV or XLSX) and print a summary, or with --csv the table as
    /// CSV (to keep under version control, or to set as `taxonomy_file`).
    Check {
        file: PathBuf,
        #[arg(long)]
        csv: bool,
    },
    /// Print the taxonomy in use (the configured `taxonomy_file`, or the shipped one) as CSV.
    Show,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// The areas of a kind as a GeoJSON FeatureCollection on standard output.
    Geojson {
        /// town, village or grid.
        #[arg(long)]
        kind: String,
        /// Code of a node: only the areas under it.
        #[arg(long)]
        parent: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify every event against the hash chain. Exits non-zero naming the first bad event.
    Verify,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented example configuration.
    Example,
}

/// The real clock: the only place zhili reads the system time.
struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

fn settings(d: &DataArgs) -> Result<Settings> {
    let mut s = Settings::load(d.config.as_deref()).map_err(anyhow::Error::msg)?;
    if let Some(dir) = &d.data_dir {
        s.data_dir = dir.clone();
    }
    if let Some(db) = &d.database {
        s.database = Some(db.clone()).filter(|d| !d.is_empty());
    }
    Ok(s)
}

/// Open the store the settings name and run `f` with it: the only place a backend is chosen.
async fn with_store<F, Fut, T>(s: &Settings, f: F) -> Result<T>
where
    F: FnOnce(Backend) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    if s.is_postgres() {
        let url = s.database.as_deref().unwrap_or_default();
        let store = PgStore::open(url)
            .await
            .context("opening the PostgreSQL database")?;
        f(Backend::Postgres(store)).await
    } else {
        if let Some(db) = &s.database {
            bail!("unsupported database URL `{db}`: use postgres://…, or leave it out for SQLite");
        }
        std::fs::create_dir_all(&s.data_dir)
            .with_context(|| format!("creating {}", s.data_dir.display()))?;
        let store = SqliteStore::open(&s.sqlite_path())
            .await
            .with_context(|| format!("opening {}", s.sqlite_path().display()))?;
        f(Backend::Sqlite(store)).await
    }
}

enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

macro_rules! on_backend {
    ($b:expr, |$s:ident| $body:expr) => {
        match $b {
            Backend::Sqlite($s) => $body,
            Backend::Postgres($s) => $body,
        }
    };
}

fn app<S: Store>(store: S, s: &Settings, clock: Arc<dyn Clock>) -> Result<App<S>> {
    let crypto = zhili_server::load_or_create_key(s).map_err(anyhow::Error::msg)?;
    App::new(store, clock, s.clone(), crypto).map_err(anyhow::Error::msg)
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZHILI_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut s = settings(&cli.data)?;
    match cli.command {
        Command::Config(ConfigCommand::Example) => {
            print!("{}", zhili_server::config::EXAMPLE);
            Ok(())
        }
        Command::Migrate => {
            with_store(&s, |b| async move {
                println!("schema up to date ({})", on_backend!(b, |st| st.backend()));
                Ok(())
            })
            .await
        }
        Command::Serve { listen, demo } => {
            if let Some(l) = listen {
                s.listen = l;
            }
            let s2 = s.clone();
            with_store(&s, |b| async move {
                on_backend!(b, |st| serve(st, &s2, demo).await)
            })
            .await
        }
        Command::Demo(args) => {
            let s2 = s.clone();
            with_store(&s, |b| async move {
                on_backend!(b, |st| {
                    if st.case_count().await? > 0 || !st.list_users().await?.is_empty() {
                        bail!("the database is not empty; the demo town needs an empty one (use a new --data-dir)");
                    }
                    let d = demo::build(st, &s2, &args, SystemClock.now()).await?;
                    eprintln!("{} cases, {} users", d.cases, d.users.len());
                    Ok(())
                })
            })
            .await
        }
        Command::User(cmd) => {
            let s2 = s.clone();
            with_store(&s, |b| async move {
                on_backend!(b, |st| user(st, &s2, cmd).await)
            })
            .await
        }
        Command::Audit(AuditCommand::Verify) => {
            with_store(&s, |b| async move {
                on_backend!(b, |st| audit_verify(st).await)
            })
            .await
        }
        Command::Bench(args) => bench::run(&args, &SystemClock).await,
        Command::Import(ImportCommand::Geojson {
            file,
            level,
            parent,
            synthetic,
            as_user,
        }) => {
            let s2 = s.clone();
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            with_store(&s, |b| async move {
                on_backend!(b, |st| {
                    let a = app(st, &s2, Arc::new(SystemClock))?;
                    let user = a.store.user_by_name(&as_user).await?;
                    let who = zhili_server::auth::Principal::for_user(&a, user)
                        .await
                        ?;
                    let opts = zhili_server::geo::ImportOptions {
                        level: level.parse().map_err(anyhow::Error::msg)?,
                        parent_id: node_by_code(&a.store, parent.as_deref()).await?,
                        synthetic,
                    };
                    let r = a
                        .import_geojson(&who, &text, &opts)
                        .await
                        ?;
                    for x in &r.areas {
                        println!("{:<8} {:<16} {:<12} {:>10.3} km²", x.action, x.code, x.name, x.area_km2);
                    }
                    println!(
                        "{} created, {} updated; {} unclosed ring(s) closed, {} empty hole(s) left out",
                        r.created, r.updated, r.rings_closed, r.holes_dropped
                    );
                    Ok(())
                })
            })
            .await
        }
        Command::Export(ExportCommand::Geojson { kind, parent }) => {
            let s2 = s.clone();
            with_store(&s, |b| async move {
                on_backend!(b, |st| {
                    let a = app(st, &s2, Arc::new(SystemClock))?;
                    let parent_id = node_by_code(&a.store, parent.as_deref()).await?;
                    let fc = a
                        .export_geojson(kind.parse().map_err(anyhow::Error::msg)?, parent_id)
                        .await?;
                    println!("{fc}");
                    Ok(())
                })
            })
            .await
        }
        Command::Taxonomy(TaxonomyCommand::Check { file, csv }) => {
            let t = zhili_server::urban::read_taxonomy(&file)?;
            if csv {
                print!("{}", t.to_csv());
            } else {
                use zhili_domain::urban::taxonomy::ClassKind;
                for kind in [ClassKind::Component, ClassKind::Event] {
                    let majors = t.majors(kind);
                    let n: usize = majors.iter().map(|m| m.2).sum();
                    println!(
                        "{} ({}): {} 大类, {} 小类",
                        kind.label_zh(),
                        kind.as_str(),
                        majors.len(),
                        n
                    );
                }
                let unconfirmed = t
                    .subclasses
                    .iter()
                    .filter(|s| s.limits_unconfirmed())
                    .count();
                println!("{unconfirmed} subclass(es) with unconfirmed default time limits");
            }
            Ok(())
        }
        Command::Taxonomy(TaxonomyCommand::Show) => {
            let t = zhili_server::urban::load_taxonomy(&s).map_err(anyhow::Error::msg)?;
            print!("{}", t.to_csv());
            Ok(())
        }
        Command::Scan => {
            let s2 = s.clone();
            with_store(&s, |b| async move {
                on_backend!(b, |st| {
                    let a = app(st, &s2, Arc::new(SystemClock))?;
                    let n = zhili_server::jobs::scan_once(&a).await?;
                    println!("{n} case(s) changed deadline status");
                    Ok(())
                })
            })
            .await
        }
    }
}

/// The id of the org node with this code.
async fn node_by_code<S: Store>(store: &S, code: Option<&str>) -> Result<Option<i64>> {
    let Some(code) = code else { return Ok(None) };
    store
        .list_nodes()
        .await?
        .into_iter()
        .find(|n| n.code == code)
        .map(|n| Some(n.id))
        .with_context(|| format!("no org node has code {code}"))
}

async fn serve<S: Store>(store: S, s: &Settings, demo: bool) -> Result<()> {
    if demo && store.list_users().await?.is_empty() {
        demo::build(
            store.clone(),
            s,
            &demo::DemoArgs::default(),
            SystemClock.now(),
        )
        .await?;
    }
    let a = app(store, s, Arc::new(SystemClock))?;
    zhili_server::jobs::spawn_deadline_scan(a.clone());
    let listener = tokio::net::TcpListener::bind(&s.listen)
        .await
        .with_context(|| format!("listening on {}", s.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "zhili is serving on http://{addr}/ ({} database)",
        a.store.backend()
    );
    a.serve(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

fn password_from_env_or_generate() -> (String, bool) {
    match std::env::var("ZHILI_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (demo::random_password(), true),
    }
}

async fn user<S: Store>(store: S, s: &Settings, cmd: UserCommand) -> Result<()> {
    let a = app(store, s, Arc::new(SystemClock))?;
    let find = |name: String| {
        let a = a.clone();
        async move {
            a.store
                .user_by_name(&name)
                .await
                .with_context(|| format!("no user `{name}`"))
        }
    };
    match cmd {
        UserCommand::Add {
            username,
            name,
            roles,
        } => {
            let nodes = a.store.list_nodes().await?;
            let depts = a.store.list_departments().await?;
            let mut grants = Vec::new();
            for r in roles {
                let (role, at) = r
                    .split_once('@')
                    .with_context(|| format!("`{r}`: write ROLE@NODE-CODE or ROLE@dept:CODE"))?;
                let (node_id, department_id) = if let Some(code) = at.strip_prefix("dept:") {
                    let d = depts
                        .iter()
                        .find(|d| d.code == code)
                        .with_context(|| format!("no department with code `{code}`"))?;
                    (None, Some(d.id))
                } else {
                    let n = nodes
                        .iter()
                        .find(|n| n.code == at)
                        .with_context(|| format!("no org node with code `{at}`"))?;
                    (Some(n.id), None)
                };
                grants.push(zhili_server::org::api::GrantRequest {
                    role: role.to_string(),
                    node_id,
                    department_id,
                });
            }
            let (password, generated) = password_from_env_or_generate();
            let u = zhili_server::org::api::create_user(
                &a,
                None,
                zhili_server::org::api::NewUserRequest {
                    username,
                    display_name: name,
                    password: password.clone(),
                    grants,
                },
            )
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "{}{}",
                    e.message,
                    e.field.map(|f| format!(" ({f})")).unwrap_or_default()
                )
            })?;
            println!("added user {} (id {})", u.username, u.id);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List => {
            for u in a.store.list_users().await? {
                let g = a.store.user_grants(u.id).await?;
                let roles: Vec<String> = g
                    .iter()
                    .map(|g| match (g.node_id, g.department_id) {
                        (Some(n), _) => format!("{}@node:{n}", g.role),
                        (_, Some(d)) => format!("{}@dept:{d}", g.role),
                        _ => g.role.to_string(),
                    })
                    .collect();
                println!(
                    "{:>4}  {:<16} {:<12} {}{}",
                    u.id,
                    u.username,
                    u.display_name,
                    roles.join(" "),
                    if u.disabled { "  (disabled)" } else { "" }
                );
            }
        }
        UserCommand::Disable { username } => {
            let u = find(username).await?;
            a.store.set_user_disabled(u.id, true, None, a.now()).await?;
            println!("disabled {}", u.username);
        }
        UserCommand::Enable { username } => {
            let u = find(username).await?;
            a.store
                .set_user_disabled(u.id, false, None, a.now())
                .await?;
            println!("enabled {}", u.username);
        }
        UserCommand::Passwd { username } => {
            let u = find(username).await?;
            let (password, generated) = password_from_env_or_generate();
            zhili_server::org::api::validate_password(&password)
                .map_err(|e| anyhow::anyhow!(e.message))?;
            let hash = zhili_server::crypto::hash_password(&password);
            a.store.set_password(u.id, &hash, None, a.now()).await?;
            println!("password of {} changed", u.username);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Token { username, name } => {
            let u = find(username).await?;
            let token = zhili_server::crypto::new_token();
            a.store
                .create_token(
                    u.id,
                    zhili_store::TokenKind::Api,
                    &zhili_server::crypto::token_hash(&token),
                    &name,
                    a.now(),
                    None,
                )
                .await?;
            println!("{token}");
        }
    }
    Ok(())
}

async fn audit_verify<S: Store>(store: S) -> Result<()> {
    match zhili_store::verify_chain(&store, 5000).await? {
        Ok(sum) => {
            println!(
                "audit chain intact: {} events in {} streams",
                sum.events, sum.streams
            );
            Ok(())
        }
        Err(b) => {
            eprintln!("audit chain BROKEN at {b}");
            std::process::exit(1);
        }
    }
}
