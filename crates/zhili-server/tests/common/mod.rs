//! What the end-to-end API tests share: a test town on a real server, logins and calls.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::NaiveDateTime;
use reqwest::StatusCode;
use serde_json::{Value, json};
use zhili_domain::clock::{ManualClock, from_local};
use zhili_domain::org::NodeKind;
use zhili_server::App;
use zhili_server::config::Settings;
use zhili_server::crypto::Crypto;
use zhili_server::org::api::{GrantRequest, NewUserRequest, create_user};
use zhili_store::{NewNode, Store};

pub fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    from_local(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
}

pub struct Env<S: Store> {
    pub app: App<S>,
    pub clock: Arc<ManualClock>,
    pub base: String,
    pub http: reqwest::Client,
    pub town: i64,
    pub village: i64,
    pub other_village: i64,
    pub dept: i64,
    pub _dir: TempDir,
}

pub struct TempDir(pub std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir() -> TempDir {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "zhili-api-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

pub async fn env<S: Store>(store: S, dir: TempDir) -> Env<S> {
    let clock = Arc::new(ManualClock::new(at("2021-09-29 09:00")));
    let settings = Settings {
        data_dir: dir.0.clone(),
        max_upload_mib: 1,
        ..Settings::default()
    };
    let crypto = Crypto::from_base64(&Crypto::generate_key_base64()).unwrap();
    let app = App::new(store, clock.clone(), settings, crypto).unwrap();
    let t = at("2021-01-01 08:00");
    let node = |parent, kind, code: &str, name: &str| NewNode {
        parent_id: parent,
        kind,
        code: code.into(),
        name: name.into(),
        geometry: None,
        synthetic: true,
        at: t,
    };
    let town = app
        .store
        .create_node(node(None, NodeKind::Town, "441900115", "清溪镇"))
        .await
        .unwrap();
    let village = app
        .store
        .create_node(node(
            Some(town.id),
            NodeKind::Village,
            "441900115200",
            "罗马村",
        ))
        .await
        .unwrap();
    let other_village = app
        .store
        .create_node(node(
            Some(town.id),
            NodeKind::Village,
            "441900115201",
            "长山头村",
        ))
        .await
        .unwrap();
    let dept = app
        .store
        .create_department(town.id, "cgj", "城管分局", t)
        .await
        .unwrap();
    let other_dept = app
        .store
        .create_department(town.id, "sw", "水务中心", t)
        .await
        .unwrap();
    let users: &[(&str, &str, Option<i64>, Option<i64>)] = &[
        ("admin", "admin", Some(town.id), None),
        ("disp", "dispatcher", Some(town.id), None),
        ("hand", "handler", None, Some(dept.id)),
        ("hand2", "handler", None, Some(other_dept.id)),
        ("grid", "grid_worker", Some(village.id), None),
        ("lead", "leader", Some(town.id), None),
        ("pet", "petition_officer", Some(town.id), None),
        ("med", "mediator", Some(town.id), None),
        ("audit", "auditor", Some(town.id), None),
    ];
    for (name, role, node_id, department_id) in users {
        create_user(
            &app,
            None,
            NewUserRequest {
                username: name.to_string(),
                display_name: format!("{name} 用户"),
                password: format!("{name}-password"),
                grants: vec![GrantRequest {
                    role: role.to_string(),
                    node_id: *node_id,
                    department_id: *department_id,
                }],
            },
        )
        .await
        .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let a = app.clone();
    tokio::spawn(async move { a.serve(listener, std::future::pending()).await.unwrap() });
    Env {
        app,
        clock,
        base,
        http: reqwest::Client::new(),
        town: town.id,
        village: village.id,
        other_village: other_village.id,
        dept: dept.id,
        _dir: dir,
    }
}

impl<S: Store> Env<S> {
    pub async fn login(&self, user: &str) -> String {
        let r = self
            .http
            .post(format!("{}/api/v1/session", self.base))
            .json(&json!({"username": user, "password": format!("{user}-password")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login of {user}");
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A file the server sends (a document, an export): its status and bytes.
    pub async fn get_bytes(&self, user: &str, path: &str) -> (StatusCode, Vec<u8>) {
        let token = self.login(user).await;
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status(), r.bytes().await.unwrap().to_vec())
    }

    pub async fn call(
        &self,
        method: &str,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{}", self.base, path);
        let mut req = match method {
            "GET" => self.http.get(url),
            "POST" => self.http.post(url),
            "DELETE" => self.http.delete(url),
            _ => unreachable!(),
        };
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn upload(&self, token: &str, name: &str, data: Vec<u8>) -> (StatusCode, Value) {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(data).file_name(name.to_string()),
        );
        let r = self
            .http
            .post(format!("{}/api/v1/attachments", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

pub fn err_field(v: &Value) -> &str {
    v["error"]["field"].as_str().unwrap_or_default()
}

/// A town on a fresh SQLite file.
pub async fn sqlite_env() -> Env<zhili_store_sqlite::SqliteStore> {
    let dir = temp_dir();
    let store = zhili_store_sqlite::SqliteStore::open(&dir.0.join("zhili.db"))
        .await
        .unwrap();
    env(store, dir).await
}

/// A town on a fresh PostgreSQL database, or `None` (with a notice) when no server is given;
/// under `CI=true` a missing server is a failure.
pub async fn pg_env(what: &str) -> Option<Env<zhili_store_postgres::PgStore>> {
    let Ok(url) = std::env::var("ZHILI_TEST_DATABASE_URL") else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but ZHILI_TEST_DATABASE_URL is not set"
        );
        eprintln!("skipped: ZHILI_TEST_DATABASE_URL is not set (PostgreSQL {what} test)");
        return None;
    };
    let store = zhili_store_postgres::PgStore::fresh(&url).await.unwrap();
    Some(env(store, temp_dir()).await)
}

/// A square cell of about 1 km around (114.165, 22.805) under the test village.
pub async fn import_cell<S: Store>(e: &Env<S>, admin: &str) -> i64 {
    let body = json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"name": "罗马村001号网格"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [114.16, 22.80], [114.17, 22.80], [114.17, 22.81], [114.16, 22.81], [114.16, 22.80]
        ]]}
    }]});
    let r = e
        .http
        .post(format!(
            "{}/api/v1/geo/import?level=grid&parent_id={}&synthetic=true",
            e.base, e.village
        ))
        .bearer_auth(admin)
        .header("content-type", "application/geo+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (s, areas) = e
        .call(
            "GET",
            admin,
            &format!("/api/v1/geo/areas?kind=grid&parent_id={}", e.village),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{areas}");
    areas["features"][0]["properties"]["id"].as_i64().unwrap()
}

/// The text of a .docx: its `word/document.xml`.
pub fn docx_text(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a .docx is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("word/document.xml")
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

/// The rows of an .xlsx's first sheet, each a line of tab-separated cells.
pub fn xlsx_rows(bytes: &[u8]) -> Vec<String> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an .xlsx");
    let sheet = wb.sheet_names()[0].clone();
    wb.worksheet_range(&sheet)
        .unwrap()
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect()
}
