//! People's mediation (人民调解), court-linked pre-filing mediation (诉前联调) and labour-dispute
//! arbitration (劳动争议仲裁) through the real server, on SQLite and PostgreSQL: their clocks on the
//! 2021 calendar, a party's refusal, sessions, the agreement with its checks, the judicial
//! confirmation period, performance; failure; the award.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhili_store::Store;

mod common;
use common::*;

async fn mediation_flow<S: Store>(e: Env<S>) {
    e.clock.set(at("2021-09-28 10:00"));
    let call = |user: &'static str, method: &'static str, path: String, body: Option<Value>| {
        let e = &e;
        async move { e.call(method, &e.login(user).await, &path, body).await }
    };
    let new = |kind: &str, title: &str| {
        json!({
        "kind": kind, "channel": "visit", "node_id": e.village, "title": title,
        "content": format!("{title}，申请调解"),
        "parties": [{"role": "applicant", "name": "周九", "phone": "13400134000"},
                    {"role": "respondent", "name": "吴十"}]})
    };
    let tr = |id: i64, body: Value| {
        call(
            "med",
            "POST",
            format!("/api/v1/cases/{id}/transitions"),
            Some(body),
        )
    };

    // 人民调解: applied Tue 09-28; 3 工作日 to accept (09-29, 09-30, 10-08).
    let (s, a) = call(
        "med",
        "POST",
        "/api/v1/cases".into(),
        Some(new("mediation", "邻里漏水纠纷")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["state"], "applied");
    assert_eq!(a["stage_due_at"], json!(at("2021-10-09 00:00")));
    assert!(!a.to_string().contains("周九"));
    let a_id = a["id"].as_i64().unwrap();
    // A party refuses: no mediation (第17条).
    let (_, r) = call(
        "med",
        "POST",
        "/api/v1/cases".into(),
        Some(new("mediation", "借款纠纷")),
    )
    .await;
    let r_id = r["id"].as_i64().unwrap();
    let (s, v) = tr(
        r_id,
        json!({"action": "refuse", "reason": "被申请人明确拒绝调解"}),
    )
    .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("refused")),
        "{v}"
    );
    assert_eq!(
        call(
            "grid",
            "POST",
            format!("/api/v1/cases/{a_id}/transitions"),
            Some(json!({"action": "accept"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    e.clock.set(at("2021-09-29 10:00"));
    let (s, v) = tr(a_id, json!({"action": "accept"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["overall_due_at"],
        json!(at("2021-10-30 00:00")),
        "a month from acceptance"
    );
    let (s, v) = tr(
        a_id,
        json!({"action": "session", "note": "第一次调解，双方陈述"}),
    )
    .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("mediating"))
    );

    e.clock.set(at("2021-10-11 16:00"));
    let agreement = json!({"facts": "楼上漏水致楼下天花板受损，楼上住户负主要责任", "content": "楼上住户赔偿维修费2000元",
                           "performance": "一次性转账支付", "deadline": "2021-10-31"});
    let (s, v) = tr(a_id, json!({"action": "succeed"})).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "agreement")
    );
    let mut bad = agreement.clone();
    bad["deadline"] = json!("2021-10-01");
    let (s, v) = tr(a_id, json!({"action": "succeed", "agreement": bad})).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "agreement.deadline")
    );
    let (s, v) = tr(a_id, json!({"action": "succeed", "agreement": agreement})).await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("agreed")),
        "{v}"
    );
    assert!(v["closed_at"].is_string(), "success counts as closed");
    // Judicial confirmation within 30日 of the agreement: to 11-10.
    e.clock.set(at("2021-10-20 10:00"));
    let (s, v) = tr(
        a_id,
        json!({"action": "apply_confirmation", "note": "双方共同向清溪法庭申请司法确认"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["stage_due_at"], json!(at("2021-11-09 00:00")), "3 + 15日");
    assert_eq!(
        tr(
            a_id,
            json!({"action": "confirmed", "note": "法院裁定协议有效"})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        tr(a_id, json!({"action": "follow_up", "note": "回访：已支付"}))
            .await
            .0,
        StatusCode::OK
    );
    let (s, v) = tr(
        a_id,
        json!({"action": "performed", "note": "协议已履行完毕"}),
    )
    .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("performed")),
        "{v}"
    );
    // The agreement is in the timeline as the transition's record.
    let (_, tl) = call("med", "GET", format!("/api/v1/cases/{a_id}/timeline"), None).await;
    assert!(tl.to_string().contains("楼上住户赔偿维修费2000元"));

    // A late application for confirmation is refused.
    let (_, b) = call(
        "med",
        "POST",
        "/api/v1/cases".into(),
        Some(new("mediation", "买卖合同纠纷")),
    )
    .await;
    let b_id = b["id"].as_i64().unwrap();
    tr(b_id, json!({"action": "accept"})).await;
    let mut ag = json!({"facts": "货款争议", "content": "分两期付清", "performance": "转账", "deadline": "2021-12-31"});
    let (s, _) = tr(b_id, json!({"action": "succeed", "agreement": ag.take()})).await;
    assert_eq!(s, StatusCode::OK);
    e.clock.set(at("2021-11-20 10:00"));
    let (s, v) = tr(b_id, json!({"action": "apply_confirmation", "note": "x"})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("window_closed")),
        "{v}"
    );

    // 诉前联调: entrusted Thu 09-30, confirmed within 3 工作日 (10-08, 10-09, 10-11); 30日.
    e.clock.set(at("2021-09-30 15:00"));
    let (s, c) = call(
        "med",
        "POST",
        "/api/v1/cases".into(),
        Some(new("court_mediation", "物业服务合同纠纷")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["stage_due_at"], json!(at("2021-10-12 00:00")));
    let c_id = c["id"].as_i64().unwrap();
    e.clock.set(at("2021-10-08 09:00"));
    let (_, v) = tr(c_id, json!({"action": "accept"})).await;
    assert_eq!(v["overall_due_at"], json!(at("2021-11-09 00:00")));
    let (s, v) = tr(
        c_id,
        json!({"action": "fail", "reason": "被告下落不明，退回法院立案"}),
    )
    .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("failed")),
        "{v}"
    );

    // 劳动争议仲裁: applied Fri 04-30 before 劳动节: acceptance by 05-06; award 45日.
    e.clock.set(at("2021-04-30 10:00"));
    let (s, d) = call(
        "med",
        "POST",
        "/api/v1/cases".into(),
        Some(new("labour_arbitration", "解除劳动合同经济补偿")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["stage_due_at"], json!(at("2021-05-07 00:00")));
    let d_id = d["id"].as_i64().unwrap();
    e.clock.set(at("2021-05-06 10:00"));
    let (_, v) = tr(d_id, json!({"action": "accept"})).await;
    assert_eq!(v["overall_due_at"], json!(at("2021-06-22 00:00")));
    let (s, _) = tr(
        d_id,
        json!({"action": "request_extension", "reason": "案情复杂", "extension": 15}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = tr(
        d_id,
        json!({"action": "approve_extension", "reason": "同意", "extension": 15}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the chair (a leader) approves");
    let (s, v) = call(
        "lead",
        "POST",
        format!("/api/v1/cases/{d_id}/transitions"),
        Some(json!({"action": "approve_extension", "reason": "同意延期", "extension": 15})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["overall_due_at"], json!(at("2021-07-06 00:00")));
    let (s, v) = tr(
        d_id,
        json!({"action": "award", "note": "裁决用人单位支付经济补偿"}),
    )
    .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("awarded")),
        "{v}"
    );
}

#[tokio::test]
async fn mediation_on_sqlite() {
    mediation_flow(sqlite_env().await).await;
}

#[tokio::test]
async fn mediation_on_postgres() {
    if let Some(e) = pg_env("mediation").await {
        mediation_flow(e).await;
    }
}
