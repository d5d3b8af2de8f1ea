//! `zhili bench`: figures for this machine, on SQLite and PostgreSQL.
//!
//! - case creation over HTTP (cases/s at concurrency 1 and 32, p50/p99), durable commits, beside
//!   the raw ceiling of the same database (single-row insert transactions, same durability);
//! - filtered list queries over N cases (p50/p99);
//! - the deadline scan over N open cases, with few and with many of them due;
//! - the server's memory (RSS) with N cases;
//! - Open311 `POST requests` per second end to end (form post to an urban case awaiting 核实);
//! - the 数字城管 assessment (综合评价) for one month and one year over the N cases (p50).
//!
//! The N cases are bulk-loaded with SQL (the engine would take hours to make a million); the
//! cases made over HTTP go through the engine.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Duration;
use clap::Args;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zhili_domain::case::CaseClocks;
use zhili_domain::clock::{Clock, ManualClock};
use zhili_domain::org::NodeKind;
use zhili_server::App;
use zhili_server::config::Settings;
use zhili_server::org::api::{GrantRequest, NewUserRequest, create_user};
use zhili_store::{NewNode, Store};
use zhili_store_postgres::PgStore;
use zhili_store_sqlite::SqliteStore;

#[derive(Args, Clone, Debug)]
pub struct BenchArgs {
    /// sqlite, postgres, both, or none (only the figures that need no database).
    #[arg(long, default_value = "both")]
    pub backend: String,
    /// How many cases to load for the query, scan and memory figures.
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: usize,
    /// Cases created over HTTP at each concurrency.
    #[arg(long, default_value_t = 2000)]
    pub requests: usize,
    /// List queries per filter.
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    /// PostgreSQL server to make a fresh database on.
    #[arg(
        long,
        env = "ZHILI_TEST_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub pg_url: String,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Latencies {
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Run `n` operations from `conc` workers; `op(i)` is one operation.
async fn drive<F, Fut>(n: usize, conc: usize, op: F) -> Result<Latencies>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    return Ok::<_, anyhow::Error>(lat);
                }
                let t = Instant::now();
                op(i).await?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let wall = start.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    Ok(Latencies {
        per_sec: n as f64 / wall,
        p50_ms: percentile(&all, 0.5),
        p99_ms: percentile(&all, 0.99),
    })
}

struct ServerProc {
    child: Child,
    base: String,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProc {
    fn start(data_dir: &str, database: Option<&str>) -> Result<ServerProc> {
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.args(["--data-dir", data_dir]);
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("ZHILI_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("server stdout")?).read_line(&mut line)?;
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .with_context(|| format!("no address in `{line}`"))?
            .trim_end_matches('/')
            .to_string();
        Ok(ServerProc { child, base })
    }

    /// Resident and peak memory of the server process, in MiB.
    fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let kb = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
                / 1024.0
        };
        (kb("VmRSS:"), kb("VmHWM:"))
    }
}

struct Town {
    grids: Vec<(i64, i64, String)>,
    villages: Vec<i64>,
    departments: Vec<i64>,
}

async fn setup<S: Store>(app: &App<S>) -> Result<Town> {
    let at = app.now();
    let node = |parent, kind, code: String, name: String| NewNode {
        parent_id: parent,
        kind,
        code,
        name,
        geometry: None,
        synthetic: true,
        at,
    };
    let town = app
        .store
        .create_node(node(
            None,
            NodeKind::Town,
            "441900115".into(),
            "清溪镇".into(),
        ))
        .await?;
    let mut t = Town {
        grids: vec![],
        villages: vec![],
        departments: vec![],
    };
    for (code, name) in crate::demo::VILLAGES {
        let v = app
            .store
            .create_node(node(
                Some(town.id),
                NodeKind::Village,
                code.to_string(),
                name.to_string(),
            ))
            .await?;
        t.villages.push(v.id);
        for j in 1..=5 {
            let g = app
                .store
                .create_node(node(
                    Some(v.id),
                    NodeKind::Grid,
                    format!("{code}{j:03}"),
                    format!("{name}第{j}网格"),
                ))
                .await?;
            t.grids.push((g.id, v.id, g.path));
        }
    }
    for i in 0..10 {
        t.departments.push(
            app.store
                .create_department(town.id, &format!("d{i}"), &format!("部门{i}"), at)
                .await?
                .id,
        );
    }
    create_user(
        app,
        None,
        NewUserRequest {
            username: "bench".into(),
            display_name: "压测派遣员".into(),
            password: "bench-password".into(),
            grants: vec![GrantRequest {
                role: "dispatcher".into(),
                node_id: Some(town.id),
                department_id: None,
            }],
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message))?;
    let client = create_user(
        app,
        None,
        NewUserRequest {
            username: "bench-open311".into(),
            display_name: "压测 Open311 客户端".into(),
            password: "bench-password".into(),
            grants: vec![GrantRequest {
                role: "reporter".into(),
                node_id: Some(town.id),
                department_id: None,
            }],
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message))?;
    app.store
        .create_token(
            client.id,
            zhili_store::TokenKind::Api,
            &zhili_server::crypto::token_hash(OPEN311_KEY),
            "bench",
            at,
            None,
        )
        .await?;
    Ok(t)
}

/// The bench's Open311 client key.
const OPEN311_KEY: &str = "bench-open311-api-key";

/// Urban states of the loaded open reports, and the subclasses they are of.
const STATES: &[&str] = &[
    "registered",
    "dispatched",
    "handling",
    "handling",
    "handling",
    "handled",
    "checked",
    "returned",
    "parked",
];
const SUBCLASSES: &[&str] = &[
    "event:0102",
    "event:0104",
    "event:0501",
    "event:0503",
    "component:0101",
    "component:0201",
    "component:0102",
    "event:0301",
    "event:0105",
];
const TITLES: &[&str] = &[
    "暴露垃圾",
    "占道经营",
    "私搭乱建",
    "夜间施工噪音",
    "路面坑洼",
    "井盖缺失",
    "污水外溢",
    "路灯不亮",
    "消防通道堵塞",
];

/// Load `n` open cases with SQL, in batches. Each row is what the engine would have written,
/// except that no events are made.
macro_rules! bulk_load {
    ($pool:expr, $db:ty, $app:expr, $town:expr, $n:expr) => {{
        let app = $app;
        let town: &Town = $town;
        let wfs = zhili_domain::builtin::workflows();
        let wf = wfs.for_kind("general").expect("general workflow");
        let dl = app.deadlines();
        let now = app.now();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut done = 0usize;
        let batch = 500usize;
        while done < $n {
            let k = batch.min($n - done);
            let mut tx = $pool.begin().await?;
            let mut qb = zhili_store::sqlx::QueryBuilder::<$db>::new(
                "INSERT INTO cases (case_no, kind, category, channel, priority, state, title, content, address, node_id, node_path, \
                 village_id, department_id, created_at, created_month, registered_at, updated_at, version, clocks, clock_status, \
                 overall_due_at, next_check_at, reworks, returns, search_terms, dispatched_at, handled_at, handled_on_time, pauses) ",
            );
            let rows: Vec<_> = (0..k)
                .map(|j| {
                    let i = done + j;
                    let (grid, village, path) = town.grids[rng.random_range(0..town.grids.len())].clone();
                    let created = now - Duration::seconds(rng.random_range(0..365 * 86400));
                    // Clocks started so that their next checks fall in the coming 30 days.
                    let start = now + Duration::seconds(rng.random_range(0..30 * 86400));
                    let clocks: CaseClocks = CaseClocks::start(wf, start, &dl);
                    let state = STATES[rng.random_range(0..STATES.len())];
                    let t = rng.random_range(0..TITLES.len());
                    let title = TITLES[t];
                    let category = SUBCLASSES[t];
                    let dept = if state == "registered" { None } else { Some(town.departments[rng.random_range(0..town.departments.len())]) };
                    // What the assessment counts: first 派遣, last 处置反馈 and whether on time, 挂账.
                    let dispatched = dept.map(|_| created + Duration::minutes(rng.random_range(10..120)));
                    let handled = if matches!(state, "handled" | "checked") {
                        dispatched.map(|d| d + Duration::minutes(rng.random_range(30..3000)))
                    } else {
                        None
                    };
                    let on_time = handled.map(|_| rng.random_bool(0.9));
                    let pauses = i64::from(state == "parked");
                    (i, grid, village, path, created, clocks, state, title, dept, category, dispatched, handled, on_time, pauses)
                })
                .collect();
            qb.push_values(rows, |mut b, (i, grid, village, path, created, clocks, state, title, dept, category, dispatched, handled, on_time, pauses)| {
                let ms = created.timestamp_millis();
                let (title, content, address) = (
                    format!("{title} {i}"),
                    format!("群众反映{title}，请尽快处理（{i}）"),
                    format!("清溪镇香芒东路{}号", i % 500),
                );
                let terms = zhili_store::sql::search_terms(&title, &content, Some(&address), Some(category));
                b.push_bind(format!("B{i:012}"))
                    .push_bind("urban")
                    .push_bind(category)
                    .push_bind("hotline")
                    .push_bind("normal")
                    .push_bind(state)
                    .push_bind(title)
                    .push_bind(content)
                    .push_bind(address)
                    .push_bind(grid)
                    .push_bind(path)
                    .push_bind(village)
                    .push_bind(dept)
                    .push_bind(ms)
                    .push_bind(zhili_store::sql::month_of(created))
                    .push_bind(ms)
                    .push_bind(ms)
                    .push_bind(1i64)
                    .push_bind(serde_json::to_string(&clocks).expect("clocks serialize"))
                    .push_bind(clocks.status().as_str())
                    .push_bind(clocks.overall_due().map(|t| t.timestamp_millis()))
                    .push_bind(clocks.next_check().map(|t| t.timestamp_millis()))
                    .push_bind(0i64)
                    .push_bind(0i64)
                    .push_bind(terms)
                    .push_bind(dispatched.map(|t| t.timestamp_millis()))
                    .push_bind(handled.map(|t| t.timestamp_millis()))
                    .push_bind(on_time)
                    .push_bind(pauses);
            });
            qb.build().execute(&mut *tx).await?;
            tx.commit().await?;
            done += k;
            if done % 100_000 == 0 {
                eprintln!("  loaded {done} cases …");
            }
        }
    }};
}

/// Single-row insert transactions straight into the database: the ceiling for creation.
macro_rules! raw_ceiling {
    ($pool:expr, $create:expr, $n:expr, $conc:expr) => {{
        let pool = $pool.clone();
        zhili_store::sqlx::query($create).execute(&pool).await?;
        drive($n, $conc, move |i| {
            let pool = pool.clone();
            async move {
                zhili_store::sqlx::query("INSERT INTO bench_raw (payload, at) VALUES ($1, $2)")
                    .bind(format!("罗马村暴露垃圾 {i} 路口垃圾三天未清运"))
                    .bind(i as i64)
                    .execute(&pool)
                    .await?;
                Ok(())
            }
        })
        .await?
    }};
}

/// Point-to-cell lookups with 3,000 grid cells (a 60 × 50 block of 150 m cells, each with 24
/// boundary points as a surveyed cell has), against the ceiling: the same R-tree of bounding
/// boxes without the point-in-polygon test.
fn point_lookups() {
    use geo::{LineString, MultiPolygon, Polygon};
    use zhili_domain::geo::Locator;
    let (x0, y0, d) = (114.12, 22.80, 0.0015);
    let mut cells = Vec::new();
    for row in 0..50 {
        for col in 0..60 {
            let (x, y) = (x0 + f64::from(col) * d, y0 + f64::from(row) * d);
            // Six points a side, as a surveyed cell boundary has.
            let mut ring = Vec::new();
            for k in 0..24 {
                let t = f64::from(k % 6) / 6.0 * d;
                ring.push(match k / 6 {
                    0 => (x + t, y),
                    1 => (x + d, y + t),
                    2 => (x + d - t, y + d),
                    _ => (x, y + d - t),
                });
            }
            let poly = Polygon::new(LineString::from(ring), vec![]);
            cells.push((
                i64::from(row * 60 + col),
                NodeKind::Grid,
                MultiPolygon(vec![poly]),
            ));
        }
    }
    let loc = Locator::new(cells);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let points: Vec<(f64, f64)> = (0..1_000_000)
        .map(|_| {
            (
                x0 + rng.random_range(0.0..60.0 * d),
                y0 + rng.random_range(0.0..50.0 * d),
            )
        })
        .collect();
    let t = Instant::now();
    let found = points
        .iter()
        .filter(|(x, y)| loc.locate(*x, *y).grid.is_some())
        .count();
    let full = points.len() as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let boxes: usize = points.iter().map(|(x, y)| loc.boxes_at(*x, *y)).sum();
    let ceiling = points.len() as f64 / t.elapsed().as_secs_f64();
    println!(
        "point-to-cell lookups, {} cells, {} points (one thread): {:.0}/s, {} placed; \
         bounding-box R-tree alone {:.0}/s ({} boxes hit); ratio {:.0}%",
        loc.len(),
        points.len(),
        full,
        found,
        ceiling,
        boxes,
        100.0 * full / ceiling
    );
}

/// Run the benchmarks; `clock` is the real clock (the loaded cases are placed around its time).
pub async fn run(args: &BenchArgs, clock: &dyn Clock) -> Result<()> {
    let backends: Vec<&str> = match args.backend.as_str() {
        "both" => vec!["sqlite", "postgres"],
        "sqlite" => vec!["sqlite"],
        "postgres" => vec!["postgres"],
        "none" => vec![],
        o => bail!("unknown backend `{o}` (sqlite, postgres, both, none)"),
    };
    println!(
        "zhili bench — {} cases loaded, {} HTTP creations per concurrency, {} queries per filter",
        args.cases, args.requests, args.queries
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    point_lookups();
    for b in backends {
        println!("\n== {b} ==");
        let dir = std::env::temp_dir().join(format!("zhili-bench-{b}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let data_dir = dir.to_string_lossy().to_string();
        let settings = Settings {
            data_dir: dir.clone(),
            ..Settings::default()
        };
        match b {
            "sqlite" => {
                let store = SqliteStore::open(&settings.sqlite_path()).await?;
                let opts = zhili_store::sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(settings.sqlite_path())
                    .journal_mode(zhili_store::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(zhili_store::sqlx::sqlite::SqliteSynchronous::Full)
                    .busy_timeout(StdDuration::from_secs(60));
                let raw = zhili_store::sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(32)
                    .connect_with(opts)
                    .await?;
                bench_backend(args, clock.now(), store, &settings, &data_dir, None, |n, conc| {
                    let raw = raw.clone();
                    async move {
                        Ok(raw_ceiling!(raw, "CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL, at INTEGER NOT NULL)", n, conc))
                    }
                }, |app, town, n| {
                    let raw = raw.clone();
                    async move {
                        bulk_load!(raw, zhili_store::sqlx::Sqlite, &app, &town, n);
                        zhili_store::sqlx::query("ANALYZE").execute(&raw).await?;
                        Ok(())
                    }
                })
                .await?;
            }
            _ => {
                let url = PgStore::fresh_url(&args.pg_url).await?;
                let store = PgStore::open(&url).await?;
                let raw = zhili_store::sqlx::postgres::PgPoolOptions::new()
                    .max_connections(32)
                    .connect(&url)
                    .await?;
                let u = url.clone();
                bench_backend(args, clock.now(), store, &settings, &data_dir, Some(&u), |n, conc| {
                    let raw = raw.clone();
                    async move {
                        Ok(raw_ceiling!(raw, "CREATE TABLE IF NOT EXISTS bench_raw (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL, at BIGINT NOT NULL)", n, conc))
                    }
                }, |app, town, n| {
                    let raw = raw.clone();
                    async move {
                        bulk_load!(raw, zhili_store::sqlx::Postgres, &app, &town, n);
                        zhili_store::sqlx::query("VACUUM ANALYZE cases").execute(&raw).await?;
                        Ok(())
                    }
                })
                .await?;
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn bench_backend<S, R, RF, L, LF>(
    args: &BenchArgs,
    real_now: chrono::DateTime<chrono::Utc>,
    store: S,
    settings: &Settings,
    data_dir: &str,
    database: Option<&str>,
    raw: R,
    load: L,
) -> Result<()>
where
    S: Store,
    R: Fn(usize, usize) -> RF,
    RF: std::future::Future<Output = Result<Latencies>>,
    L: FnOnce(App<S>, Arc<Town>, usize) -> LF,
    LF: std::future::Future<Output = Result<()>>,
{
    let clock = Arc::new(ManualClock::new(real_now));
    let crypto = zhili_server::load_or_create_key(settings).map_err(anyhow::Error::msg)?;
    let app =
        App::new(store, clock.clone(), settings.clone(), crypto).map_err(anyhow::Error::msg)?;
    let town = Arc::new(setup(&app).await?);
    let server = ServerProc::start(data_dir, database)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let token: String = http
        .post(format!("{}/api/v1/session", server.base))
        .json(&serde_json::json!({"username": "bench", "password": "bench-password"}))
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?["token"]
        .as_str()
        .context("login")?
        .to_string();

    println!(
        "case creation over HTTP (POST /api/v1/cases, durable commits) vs raw single-row inserts:"
    );
    println!(
        "  {:>5} {:>12} {:>9} {:>9} {:>14} {:>8}",
        "conc", "cases/s", "p50 ms", "p99 ms", "raw inserts/s", "ratio"
    );
    for conc in [1usize, 32] {
        let (base, http2, tok, grids) = (
            server.base.clone(),
            http.clone(),
            token.clone(),
            town.grids.clone(),
        );
        let l = drive(args.requests, conc, move |i| {
            let (base, http, tok) = (base.clone(), http2.clone(), tok.clone());
            let grid = grids[i % grids.len()].0;
            async move {
                let r = http
                    .post(format!("{base}/api/v1/cases"))
                    .bearer_auth(&tok)
                    .json(&serde_json::json!({
                        "channel": "hotline", "title": format!("罗马村暴露垃圾 {i}"), "content": "路口垃圾三天未清运",
                        "node_id": grid, "parties": [{"name": "张三", "phone": "13812345678"}]
                    }))
                    .send()
                    .await?;
                if r.status() != reqwest::StatusCode::CREATED {
                    bail!("creation failed: {} {}", r.status(), r.text().await.unwrap_or_default());
                }
                Ok(())
            }
        })
        .await?;
        let r = raw(args.requests, conc).await?;
        println!(
            "  {:>5} {:>12.0} {:>9.2} {:>9.2} {:>14.0} {:>7.0}%",
            conc,
            l.per_sec,
            l.p50_ms,
            l.p99_ms,
            r.per_sec,
            100.0 * l.per_sec / r.per_sec
        );
    }

    println!(
        "Open311 POST /open311/v2/requests.json (form post, api_key, urban case awaiting 核实):"
    );
    println!(
        "  {:>5} {:>12} {:>9} {:>9}",
        "conc", "requests/s", "p50 ms", "p99 ms"
    );
    for conc in [1usize, 32] {
        let (base, http2) = (server.base.clone(), http.clone());
        let l = drive(args.requests, conc, move |i| {
            let (base, http) = (base.clone(), http2.clone());
            async move {
                let r = http
                    .post(format!("{base}/open311/v2/requests.json"))
                    .form(&[
                        ("api_key", OPEN311_KEY.to_string()),
                        ("service_code", SUBCLASSES[i % SUBCLASSES.len()].to_string()),
                        ("address_string", format!("清溪镇香芒东路{}号", i % 500)),
                        ("description", format!("市民反映路口垃圾三天未清运 {i}")),
                        ("first_name", "明".to_string()),
                        ("last_name", "李".to_string()),
                        ("phone", "13812345678".to_string()),
                    ])
                    .send()
                    .await?;
                if r.status() != reqwest::StatusCode::OK {
                    bail!(
                        "Open311 post failed: {} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    );
                }
                r.bytes().await?;
                Ok(())
            }
        })
        .await?;
        println!(
            "  {:>5} {:>12.0} {:>9.2} {:>9.2}",
            conc, l.per_sec, l.p50_ms, l.p99_ms
        );
    }

    let t = Instant::now();
    eprintln!("  loading {} cases …", args.cases);
    load(app.clone(), town.clone(), args.cases).await?;
    let total = app.store.case_count().await?;
    println!(
        "loaded {} cases in {:.0} s ({} in all)",
        args.cases,
        t.elapsed().as_secs_f64(),
        total
    );

    println!("list queries over {total} cases (GET /api/v1/cases, 50 a page):");
    println!("  {:<34} {:>9} {:>9}", "filter", "p50 ms", "p99 ms");
    let village = town.villages[1];
    let dept = town.departments[3];
    let day = |d: i64| {
        zhili_domain::clock::to_local(real_now - Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let filters: Vec<(String, String)> = vec![
        ("newest (no filter)".into(), String::new()),
        ("state=handling".into(), "state=handling".into()),
        ("department".into(), format!("department_id={dept}")),
        (
            "village (node subtree)".into(),
            format!("node_id={village}"),
        ),
        (
            "state + department".into(),
            format!("state=dispatched&department_id={dept}"),
        ),
        (
            "deadline_status=warning".into(),
            "deadline_status=warning".into(),
        ),
        (
            "one week (from/to)".into(),
            format!("from={}&to={}", day(100), day(93)),
        ),
        (
            "village + state + week".into(),
            format!(
                "node_id={village}&state=handling&from={}&to={}",
                day(200),
                day(193)
            ),
        ),
        ("page 20 (cursor)".into(), "cursor=CURSOR".into()),
        (
            "text q=井盖 (full-text, common)".into(),
            "q=%E4%BA%95%E7%9B%96".into(),
        ),
        (
            "text q=香芒东路499号 (full-text, rare)".into(),
            "q=%E9%A6%99%E8%8A%92%E4%B8%9C%E8%B7%AF499%E5%8F%B7".into(),
        ),
    ];
    let mut cursor = String::new();
    {
        let mut c = None::<String>;
        for _ in 0..20 {
            let url = match &c {
                Some(cur) => format!("{}/api/v1/cases?cursor={cur}", server.base),
                None => format!("{}/api/v1/cases", server.base),
            };
            let v: serde_json::Value = http
                .get(url)
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            c = v["next_cursor"].as_str().map(str::to_string);
        }
        if let Some(cur) = c {
            cursor = cur;
        }
    }
    for (name, q) in filters {
        let q = q.replace("CURSOR", &cursor);
        let n = if name.starts_with("text") {
            args.queries.min(20)
        } else {
            args.queries
        };
        let (base, http2, tok) = (server.base.clone(), http.clone(), token.clone());
        let l = drive(n, 1, move |_| {
            let (url, http, tok) = (
                format!("{base}/api/v1/cases?{q}"),
                http2.clone(),
                tok.clone(),
            );
            async move {
                let r = http.get(url).bearer_auth(&tok).send().await?;
                if !r.status().is_success() {
                    bail!("query failed: {}", r.status());
                }
                r.bytes().await?;
                Ok(())
            }
        })
        .await?;
        println!("  {:<34} {:>9.2} {:>9.2}", name, l.p50_ms, l.p99_ms);
    }
    // The assessment in the server process's place: the same service call the page makes.
    println!("数字城管 assessment (all indicators, by department) over {total} cases:");
    println!(
        "  {:<12} {:>9} {:>9} {:>10}",
        "period", "p50 ms", "p99 ms", "reports"
    );
    let who = zhili_server::auth::Principal::for_user(&app, app.store.user_by_name("bench").await?)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let month_start = real_now - Duration::days(30);
    let year_start = real_now - Duration::days(365);
    for (name, from) in [("one month", month_start), ("one year", year_start)] {
        let q = zhili_server::report::IndicatorQuery {
            from: Some(from.to_rfc3339()),
            to: Some(real_now.to_rfc3339()),
            group_by: Some("department".into()),
            kind: Some("urban".into()),
            rank_by: Some("on_time_handling_rate".into()),
            ..Default::default()
        };
        let mut ms = Vec::new();
        let mut reports = 0.0;
        for _ in 0..args.queries.clamp(5, 20) {
            let t = Instant::now();
            let r = app
                .indicators(&who, &q)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            reports = r
                .total
                .values
                .get("received")
                .copied()
                .flatten()
                .unwrap_or(0.0);
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "  {:<12} {:>9.1} {:>9.1} {:>10.0}",
            name,
            percentile(&ms, 0.5),
            percentile(&ms, 0.99),
            reports
        );
    }
    let (rss, hwm) = server.rss_mib();
    println!("server memory with {total} cases: RSS {rss:.0} MiB (peak {hwm:.0} MiB)");
    drop(server);

    println!(
        "deadline scan over {} open cases (the engine's scan, claiming and updating due cases):",
        args.cases
    );
    println!(
        "  {:<22} {:>10} {:>10} {:>12}",
        "due now", "updated", "ms", "µs per case"
    );
    // Times at which 0, 1 000 and 10 000 cases are due.
    let first = real_now + Duration::days(31);
    for due in [0usize, 1_000, 10_000, 100_000] {
        let at = if due == 0 {
            real_now
        } else {
            // The time by which `due` cases are due, by bisection.
            let mut lo = real_now;
            let mut hi = first;
            for _ in 0..40 {
                let mid = lo + (hi - lo) / 2;
                let n = app.store.count_due(mid).await?;
                if n < due as i64 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            hi
        };
        clock.set(at);
        let t = Instant::now();
        let n = zhili_server::jobs::scan_once(&app).await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "  {:<22} {:>10} {:>10.1} {:>12}",
            format!("~{due}"),
            n,
            ms,
            if n > 0 {
                format!("{:.0}", ms * 1000.0 / n as f64)
            } else {
                "—".into()
            }
        );
    }
    Ok(())
}
