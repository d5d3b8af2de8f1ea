//! Risk screening (矛盾风险隐患排查化解) end to end through the real server, on SQLite and
//! PostgreSQL: registering risks and unstable events with their grade, a responsible leader for
//! the most serious ones, control measures, follow-up, escalation when a grade rises,
//! resolution, and the resolution rate.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhili_store::Store;

mod common;
use common::*;

async fn risk_flow<S: Store>(e: Env<S>) {
    e.clock.set(at("2021-09-29 09:00"));
    let call = |user: &'static str, method: &'static str, path: String, body: Option<Value>| {
        let e = &e;
        async move { e.call(method, &e.login(user).await, &path, body).await }
    };
    let (_, grades) = call("grid", "GET", "/api/v1/risks/grades".into(), None).await;
    assert_eq!(grades.as_array().unwrap().len(), 3, "{grades}");
    assert_eq!(grades[0]["id"], "red");
    let (_, me) = call("lead", "GET", "/api/v1/me".into(), None).await;
    let lead_id = me["id"].as_i64().or(me["user"]["id"].as_i64()).unwrap();
    let risk = |grade: &str, category: &str, title: &str| {
        json!({
        "category": category, "channel": "grid_patrol", "node_id": e.village, "grade": grade,
        "title": title, "content": format!("{title}，需跟踪化解"), "people_involved": 12,
        "parties": [{"name": "钱七", "phone": "13500135000"}]})
    };

    // Bad registrations name their field and write nothing.
    for (field, patch) in [
        ("category", json!({"category": "weather"})),
        ("grade", json!({"grade": "purple"})),
        ("kind", json!({"kind": "urban"})),
        ("leader_id", json!({"leader_id": 1})),
    ] {
        let mut body = risk("yellow", "dispute", "x");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = call("pet", "POST", "/api/v1/risks".into(), Some(body)).await;
        assert_eq!(
            (s, err_field(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, field),
            "{v}"
        );
    }
    let mut named = risk("red", "safety", "x");
    named["leader_id"] = json!(lead_id);
    let (s, _) = call("grid", "POST", "/api/v1/risks".into(), Some(named)).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a grid worker does not name the leader"
    );
    let (_, list) = call("pet", "GET", "/api/v1/risks".into(), None).await;
    assert!(list.as_array().unwrap().is_empty(), "{list}");

    // A grid worker's yellow dispute; its clocks: 研判 in 3 工作日 over 国庆 (09-30, 10-08,
    // 10-09 make-up Saturday), 化解 in 30日.
    let (s, a) = call(
        "grid",
        "POST",
        "/api/v1/risks".into(),
        Some(risk("yellow", "dispute", "土地承包纠纷")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["grade"]["label"], "黄色（较大）");
    assert_eq!(a["needs_leader"], false);
    assert_eq!(a["case"]["stage_due_at"], json!(at("2021-10-10 00:00")));
    assert_eq!(a["case"]["overall_due_at"], json!(at("2021-10-30 00:00")));
    assert!(!a.to_string().contains("钱七"), "parties are masked");
    let a_id = a["case"]["id"].as_i64().unwrap();
    // A red one without a leader waits for one and comes first.
    let (s, b) = call(
        "grid",
        "POST",
        "/api/v1/risks".into(),
        Some(risk("red", "stability", "欠薪群体聚集苗头")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["needs_leader"], true);
    assert_eq!(b["case"]["priority"], "urgent");
    let b_id = b["case"]["id"].as_i64().unwrap();
    // A red one with its leader named by the petition officer: the leader is in charge (包保).
    let mut c = risk("red", "safety", "危房安全隐患");
    c["leader_id"] = json!(lead_id);
    let (s, c) = call("pet", "POST", "/api/v1/risks".into(), Some(c)).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["leader_name"], "lead 用户");
    assert_eq!(c["needs_leader"], false);
    let (_, leads) = call("lead", "GET", "/api/v1/leads".into(), None).await;
    assert_eq!(leads.as_array().unwrap().len(), 1);
    let (_, reg) = call("lead", "GET", "/api/v1/risks".into(), None).await;
    let order: Vec<i64> = reg
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["case"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order[0], b_id, "needs a leader: first");
    assert_eq!(*order.last().unwrap(), a_id, "yellow after red");
    let (_, reds) = call("lead", "GET", "/api/v1/risks?grade=red".into(), None).await;
    assert_eq!(reds.as_array().unwrap().len(), 2);
    let (s, v) = call("lead", "GET", "/api/v1/risks?grade=blue".into(), None).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "grade")
    );

    // Control measures to the responsible unit, follow-up without a state change.
    let tr = |user: &'static str, id: i64, body: Value| {
        call(
            user,
            "POST",
            format!("/api/v1/cases/{id}/transitions"),
            Some(body),
        )
    };
    e.clock.set(at("2021-09-30 10:00"));
    let (s, v) = tr("disp", a_id, json!({"action": "control", "department_id": e.dept, "note": "村委会每周走访，稳控双方情绪"})).await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("controlling")),
        "{v}"
    );
    let (s, v) = tr(
        "hand",
        a_id,
        json!({"action": "follow_up", "note": "已回访，双方同意调解"}),
    )
    .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("controlling")),
        "{v}"
    );

    // The dispute rises to red: escalated, and it needs a leader.
    let grade = |user: &'static str, id: i64, g: &str| {
        call(
            user,
            "POST",
            format!("/api/v1/risks/{id}/grade"),
            Some(json!({"grade": g, "reason": "涉及人数增加，有聚集苗头"})),
        )
    };
    let (s, v) = grade("grid", a_id, "red").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["escalations"].as_u64(), v["needs_leader"].as_bool()),
        (Some(1), Some(true))
    );
    let (s, v) = grade("grid", a_id, "red").await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "grade")
    );
    let (s, _) = grade("hand", a_id, "green").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = call(
        "pet",
        "POST",
        format!("/api/v1/cases/{a_id}/lead"),
        Some(json!({"leader_id": lead_id, "plan": "领导包保，组织调解", "deadline": "2021-10-20"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, reg) = call("lead", "GET", "/api/v1/risks".into(), None).await;
    let a_view = reg
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["case"]["id"] == a_id)
        .unwrap()
        .clone();
    assert_eq!(a_view["needs_leader"], false);
    assert_eq!(a_view["leader_name"], "lead 用户");
    let (_, tl) = call("pet", "GET", format!("/api/v1/cases/{a_id}/timeline"), None).await;
    let esc = tl
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "risk_escalated")
        .unwrap()
        .clone();
    assert_eq!(
        (esc["data"]["from"].as_str(), esc["data"]["to"].as_str()),
        (Some("yellow"), Some("red"))
    );

    // Resolved (化解); an ended risk is not re-graded.
    e.clock.set(at("2021-10-15 10:00"));
    let (s, v) = tr(
        "hand",
        a_id,
        json!({"action": "resolve", "note": "经人民调解达成协议，矛盾化解"}),
    )
    .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("resolved")),
        "{v}"
    );
    let (s, _) = grade("grid", a_id, "green").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        tr(
            "disp",
            b_id,
            json!({"action": "cancel", "reason": "经核实不属实"})
        )
        .await
        .0,
        StatusCode::OK
    );

    // An unstable event, handled.
    let mut ev = risk("yellow", "group_incident", "工人聚集讨薪");
    ev["kind"] = json!("unstable_event");
    let (s, ev) = call("grid", "POST", "/api/v1/risks".into(), Some(ev)).await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let ev_id = ev["case"]["id"].as_i64().unwrap();
    assert_eq!(
        tr(
            "disp",
            ev_id,
            json!({"action": "control", "department_id": e.dept, "note": "现场疏导"})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        tr(
            "hand",
            ev_id,
            json!({"action": "resolve", "note": "工资已发放，人员散去"})
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, evs) = call(
        "lead",
        "GET",
        "/api/v1/risks?kind=unstable_event".into(),
        None,
    )
    .await;
    assert_eq!(evs.as_array().unwrap().len(), 1);

    // The module's figures.
    let figures = |kind: &'static str| {
        call(
            "lead",
            "GET",
            format!("/api/v1/indicators?kind={kind}&from=2021-09-01&to=2022-01-01"),
            None,
        )
    };
    let (s, rep) = figures("risk").await;
    assert_eq!(s, StatusCode::OK, "{rep}");
    let t = &rep["total"]["display"];
    assert_eq!(
        (
            t["risk_screened"].as_str(),
            t["risk_resolved"].as_str(),
            t["risk_resolution_rate"].as_str()
        ),
        (Some("3"), Some("1"), Some("33.33%")),
        "{t}"
    );
    let (_, rep) = figures("unstable_event").await;
    let t = &rep["total"]["display"];
    assert_eq!(
        (
            t["unstable_events"].as_str(),
            t["unstable_events_handled"].as_str()
        ),
        (Some("1"), Some("1")),
        "{t}"
    );
}

#[tokio::test]
async fn risks_on_sqlite() {
    risk_flow(sqlite_env().await).await;
}

#[tokio::test]
async fn risks_on_postgres() {
    if let Some(e) = pg_env("risks").await {
        risk_flow(e).await;
    }
}
