//! Open311 GeoReport v2 through the real server with a plain HTTP client, both formats, on
//! SQLite and PostgreSQL: discovery, services and definitions, a client's api_key, posting,
//! the specification's errors, queries with their limits, and a posted request driven to
//! closure as an urban case.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhili_store::Store;

mod common;
use common::*;

async fn get<S: Store>(e: &Env<S>, path: &str) -> (StatusCode, String, String) {
    let r = e
        .http
        .get(format!("{}/open311/v2/{path}", e.base))
        .send()
        .await
        .unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status(), ct, r.text().await.unwrap())
}

async fn post<S: Store>(e: &Env<S>, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = e
        .http
        .post(format!("{}/open311/v2/{path}", e.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

fn j(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// The spec's error body in JSON: `[{"code": …, "description": …}]`.
fn error_code(body: &str) -> i64 {
    j(body)[0]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"))
}

async fn open311_flow<S: Store>(e: Env<S>) {
    let admin = e.login("admin").await;
    let disp = e.login("disp").await;
    let cell = import_cell(&e, &admin).await;

    // Discovery and services, both formats.
    let (s, ct, body) = get(&e, "discovery.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "application/json; charset=utf-8");
    let d = j(&body);
    assert!(
        d["endpoints"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/open311/v2")
    );
    assert_eq!(
        d["endpoints"][0]["formats"],
        json!(["text/xml", "application/json"])
    );
    let (s, ct, body) = get(&e, "discovery.xml").await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::OK, "text/xml; charset=utf-8")
    );
    assert!(
        body.contains("<endpoints><endpoint><specification>"),
        "{body}"
    );
    assert!(
        body.contains(
            "<formats><format>text/xml</format><format>application/json</format></formats>"
        )
    );

    let (s, _, body) = get(&e, "services.json").await;
    assert_eq!(s, StatusCode::OK);
    let services = j(&body);
    assert_eq!(services.as_array().unwrap().len(), 139);
    let garbage = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "event:0102")
        .unwrap();
    assert_eq!(garbage["service_name"], "暴露垃圾");
    assert_eq!(garbage["metadata"], true);
    assert_eq!(garbage["type"], "realtime");
    let (_, _, xml) = get(&e, "services.xml").await;
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service><service_code>"
    ));
    assert!(
        xml.contains(
            "<service_code>event:0102</service_code><service_name>暴露垃圾</service_name>"
        )
    );

    let (s, _, body) = get(&e, "services/event:0102.json").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let def = j(&body);
    assert_eq!(def["service_code"], "event:0102");
    let attrs = def["attributes"].as_array().unwrap();
    assert_eq!(attrs[0]["variable"], false);
    assert!(
        attrs[0]["description"]
            .as_str()
            .unwrap()
            .contains("处置 4工作时")
    );
    assert_eq!(attrs[1]["code"], "urgency");
    assert_eq!(attrs[1]["values"][1]["key"], "urgent");
    let (_, _, xml) = get(&e, "services/component:0101.xml").await;
    assert!(xml.contains("<code>component_id</code>"), "{xml}");
    assert!(xml.contains("<values><value><key>normal</key><name>一般</name></value>"));
    let (s, _, body) = get(&e, "services/event:9999.json").await;
    assert_eq!((s, error_code(&body)), (StatusCode::NOT_FOUND, 404));
    let (s, ct, body) = get(&e, "services.txt").await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::NOT_FOUND, "text/xml; charset=utf-8")
    );
    assert!(body.contains("<errors><error><code>404</code>"), "{body}");

    // A client and its key, issued by an administrator only.
    let (s, v) = e
        .call(
            "POST",
            &disp,
            "/api/v1/open311/clients",
            Some(
                json!({"username": "citizen-app", "display_name": "市民随手拍", "node_id": e.town}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, client) = e
        .call(
            "POST",
            &admin,
            "/api/v1/open311/clients",
            Some(
                json!({"username": "citizen-app", "display_name": "市民随手拍", "node_id": e.town}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{client}");
    let key = client["api_key"].as_str().unwrap().to_string();
    let (_, list) = e.call("GET", &admin, "/api/v1/open311/clients", None).await;
    assert_eq!(list[0]["username"], "citizen-app");
    assert_eq!(list[0]["active_keys"], 1);

    // Errors as the specification says.
    let good: Vec<(&str, &str)> = vec![
        ("api_key", &key),
        ("service_code", "event:0102"),
        ("lat", "22.805"),
        ("long", "114.165"),
        ("description", "村口垃圾堆放多日无人清运 <急>"),
        ("first_name", "小明"),
        ("last_name", "李"),
        ("phone", "13800138000"),
        ("media_url", "https://example.org/p/1.jpg"),
        ("attribute[urgency]", "urgent"),
    ];
    let without =
        |k: &str| -> Vec<(&str, &str)> { good.iter().filter(|(x, _)| *x != k).cloned().collect() };
    let with = |k: &'static str, v: &'static str| -> Vec<(&str, &str)> {
        let mut f = without(k);
        f.push((k, v));
        f
    };
    let (s, body) = post(&e, "requests.json", &without("api_key")).await;
    assert_eq!((s, error_code(&body)), (StatusCode::FORBIDDEN, 403));
    assert!(
        j(&body)[0]["description"]
            .as_str()
            .unwrap()
            .contains("api_key")
    );
    let (s, _) = post(&e, "requests.json", &with("api_key", "wrong")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body) = post(&e, "requests.json", &without("service_code")).await;
    assert_eq!((s, error_code(&body)), (StatusCode::BAD_REQUEST, 400));
    let (s, _) = post(&e, "requests.json", &with("service_code", "event:9999")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let no_place: Vec<_> = without("lat")
        .into_iter()
        .filter(|(k, _)| *k != "long")
        .collect();
    let (s, body) = post(&e, "requests.json", &no_place).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("location"), "{body}");
    let (s, _) = post(&e, "requests.json", &with("lat", "north")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, body) = post(&e, "requests.json", &with("long", "100.0")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "outside every area: {body}");
    let (s, _) = post(&e, "requests.json", &with("attribute[urgency]", "extreme")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = post(&e, "requests.json", &with("attribute[colour]", "red")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, body) = post(&e, "requests.xml", &without("service_code")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("<errors><error><code>400</code><description>service_code"),
        "{body}"
    );
    let (_, all) = e.call("GET", &admin, "/api/v1/cases", None).await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        0,
        "nothing half-written"
    );

    // A good request (JSON) and one by address only (XML).
    let (s, body) = post(&e, "requests.json", &good).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let r = j(&body);
    let id = r[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(r[0]["service_notice"].as_str().unwrap().contains("4工作时"));
    assert!(r[0].get("token").is_none(), "never both an id and a token");
    let (s, xml) = post(
        &e,
        "requests.xml",
        &[
            ("api_key", key.as_str()),
            ("service_code", "component:0101"),
            ("address_string", "清溪镇香芒东路12号"),
            ("attribute[component_id]", "4419001150101000001"),
        ],
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "19 digits is not a component code: {xml}"
    );
    let (s, xml) = post(
        &e,
        "requests.xml",
        &[
            ("api_key", key.as_str()),
            ("service_code", "component:0101"),
            ("address_string", "清溪镇香芒东路12号"),
            ("attribute[component_id]", "4419001501000001"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{xml}");
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request><service_request_id>"
    ));
    let id2 = xml
        .split("<service_request_id>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();

    // On the dispatch side: urban cases awaiting 核实, from channel open311, placed by location
    // (the cell) or, by address only, in the client's area (the town); the reporter's name and
    // phone kept as a masked party.
    let (_, list) = e
        .call(
            "GET",
            &disp,
            "/api/v1/cases?kind=urban&state=reported",
            None,
        )
        .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let a = items.iter().find(|c| c["case_no"] == id.as_str()).unwrap();
    assert_eq!(a["channel"], "open311");
    assert_eq!(a["priority"], "urgent");
    assert_eq!(a["node_id"].as_i64(), Some(cell));
    let b = items.iter().find(|c| c["case_no"] == id2.as_str()).unwrap();
    assert_eq!(b["node_id"].as_i64(), Some(e.town));
    let case_id = a["id"].as_i64().unwrap();
    let (_, full) = e
        .call("GET", &disp, &format!("/api/v1/cases/{case_id}"), None)
        .await;
    assert_eq!(full["parties"][0]["name"], "李**", "{full}");
    assert_eq!(full["parties"][0]["phone"], "138****8000");

    // The client's key makes reports; it reads no cases through the staff API.
    let (s, mine) = e.call("GET", &key, "/api/v1/cases", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine["items"].as_array().unwrap().len(), 0, "{mine}");

    // Reading requests back.
    let (s, _, body) = get(&e, &format!("requests/{id}.json")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let one = &j(&body)[0];
    assert_eq!(one["status"], "open");
    assert_eq!(one["service_code"], "event:0102");
    assert_eq!(one["description"], "村口垃圾堆放多日无人清运 <急>");
    assert_eq!(one["media_url"], "https://example.org/p/1.jpg");
    assert_eq!(one["requested_datetime"], "2021-09-29T09:00:00+08:00");
    assert_eq!(one["lat"], 22.805);
    assert_eq!(one["long"], 114.165);
    assert!(
        !body.contains("13800138000") && !body.contains("小明"),
        "no personal data"
    );
    let (_, _, xml) = get(&e, &format!("requests/{id}.xml")).await;
    assert!(
        xml.contains("<description>村口垃圾堆放多日无人清运 &lt;急&gt;</description>"),
        "{xml}"
    );
    assert!(xml.contains("<status>open</status>"));
    let (s, _, body) = get(&e, "requests/2021UR9999999.json").await;
    assert_eq!((s, error_code(&body)), (StatusCode::NOT_FOUND, 404));
    let (s, _, body) = get(&e, &format!("tokens/{id}.json")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(j(&body)[0]["service_request_id"], id.as_str());
    let (s, _, _) = get(&e, "tokens/nothing.xml").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Queries: filters, the 90-day limit, bad dates and statuses.
    let n = |body: &str| j(body).as_array().unwrap().len();
    let (_, _, body) = get(&e, "requests.json").await;
    assert_eq!(n(&body), 2);
    let (_, _, body) = get(&e, "requests.json?service_code=event:0102").await;
    assert_eq!(n(&body), 1);
    let (_, _, body) = get(
        &e,
        "requests.json?service_code=event:0102,component:0101&status=open",
    )
    .await;
    assert_eq!(n(&body), 2);
    let (_, _, body) = get(&e, "requests.json?status=closed").await;
    assert_eq!(n(&body), 0);
    let (_, _, body) = get(
        &e,
        &format!("requests.json?service_request_id={id2}&status=closed"),
    )
    .await;
    assert_eq!(
        n(&body),
        1,
        "service_request_id overrides the other parameters"
    );
    let (_, _, body) = get(
        &e,
        "requests.json?start_date=2021-09-01T00:00:00%2B08:00&end_date=2021-09-30T00:00:00%2B08:00",
    )
    .await;
    assert_eq!(n(&body), 2);
    let (_, _, body) = get(&e, "requests.json?end_date=2021-09-28T00:00:00Z").await;
    assert_eq!(n(&body), 0);
    let (s, _, body) = get(
        &e,
        "requests.json?start_date=2021-01-01T00:00:00Z&end_date=2021-09-30T00:00:00Z",
    )
    .await;
    assert_eq!((s, error_code(&body)), (StatusCode::BAD_REQUEST, 400));
    let (s, _, _) = get(&e, "requests.json?start_date=yesterday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = get(&e, "requests.json?status=pending").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = get(&e, "requests.json?service_code=event:9999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Driven to closure: the request reads closed, with the department responsible.
    let grid = e.login("grid").await;
    let hand = e.login("hand").await;
    let photo = |t: String| {
        let e = &e;
        async move {
            e.upload(&t, "p.png", PNG.to_vec()).await.1["id"]
                .as_i64()
                .unwrap()
        }
    };
    let steps: Vec<(&str, Value)> = vec![
        (&grid, json!({"action": "verify_report", "note": "属实", "attachment_ids": [photo(grid.clone()).await]})),
        (&disp, json!({"action": "register"})),
        (&disp, json!({"action": "dispatch"})),
        (&hand, json!({"action": "sign"})),
        (&hand, json!({"action": "report", "note": "已清运", "attachment_ids": [photo(hand.clone()).await]})),
        (&grid, json!({"action": "check", "note": "已清理干净", "attachment_ids": [photo(grid.clone()).await]})),
        (&disp, json!({"action": "close"})),
    ]
    .into_iter()
    .map(|(t, b)| (t.as_str(), b))
    .collect();
    for (token, body) in steps {
        let (s, v) = e
            .call(
                "POST",
                token,
                &format!("/api/v1/cases/{case_id}/transitions"),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (_, _, body) = get(&e, &format!("requests/{id}.json")).await;
    let one = &j(&body)[0];
    assert_eq!(one["status"], "closed");
    assert_eq!(one["status_notes"], "已结案");
    assert_eq!(one["agency_responsible"], "城管分局");
    assert!(one["expected_datetime"].is_null());
    let (_, _, body) = get(&e, "requests.json?status=closed").await;
    assert_eq!(n(&body), 1);
}

#[tokio::test]
async fn open311_on_sqlite() {
    open311_flow(sqlite_env().await).await;
}

#[tokio::test]
async fn open311_on_postgres() {
    if let Some(e) = pg_env("Open311").await {
        open311_flow(e).await;
    }
}
