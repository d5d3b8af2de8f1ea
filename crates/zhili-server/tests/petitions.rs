//! Petitions (信访) end to end through the real server, on SQLite and PostgreSQL: intake with
//! group rules, the statutory clocks on real calendar dates (国庆 2021 and weekends), the
//! objection window, one extension approved by the head, the decision letter as a document,
//! review and re-review with a hearing not counted, the final state; who may read a
//! petitioner's identity (through the API, the documents and the public page); repeat
//! detection; recusal; the petitioner's tracking and rating; the indicators.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhili_store::Store;

mod common;
use common::*;

/// A local time (UTC+8) as the API writes it.
fn utc(local: &str) -> String {
    at(local).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn due(v: &Value, k: &str) -> String {
    let t: chrono::DateTime<chrono::Utc> = v[k]
        .as_str()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
        .parse()
        .unwrap();
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

const LETTER: &str = "{\"request\": \"要求支付拖欠的三个月工资\", \"facts\": \"经查，该厂拖欠工资属实，已责令限期支付\", \"decision\": \"support\", \"basis\": \"《劳动合同法》第三十条、《保障农民工工资支付条例》\"}";

async fn petition_flow<S: Store>(e: Env<S>) {
    let pet = e.login("pet").await;
    let lead = e.login("lead").await;
    let audit = e.login("audit").await;
    let grid = e.login("grid").await;
    let disp = e.login("disp").await;
    e.clock.set(at("2021-09-29 09:00"));

    let petitioner = json!({"name": "张三", "id_number": "441900199001011231", "phone": "13800138000", "address": "清溪镇罗马村一巷3号"});
    let reps: Vec<Value> = (1..=5)
        .map(|i| json!({"name": format!("代表{i}"), "phone": format!("1390000000{i}")}))
        .collect();
    let a_req = json!({
        "channel": "visit", "category": "appeal", "node_id": e.village,
        "title": "某五金厂拖欠工资", "content": "反映某五金厂拖欠工人三个月工资，要求支付拖欠工资",
        "petitioners": [petitioner], "group_size": 8, "representatives": reps,
    });

    // Bad intake: each names its field and writes nothing.
    let bad = [
        ("channel", json!({"channel": "hotline"})),
        ("category", json!({"category": "complaint"})),
        ("petitioners", json!({"petitioners": []})),
        ("representatives", json!({"representatives": []})),
        ("group_size", json!({"group_size": 0})),
        (
            "parties[0].id_number",
            json!({"petitioners": [{"name": "张三", "id_number": "123"}]}),
        ),
    ];
    for (field, patch) in bad {
        let mut body = a_req.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = e.call("POST", &pet, "/api/v1/petitions", Some(body)).await;
        assert_eq!(
            (s, err_field(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, field),
            "{v}"
        );
    }
    let mut six = a_req.clone();
    six["representatives"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "代表6"}));
    let (s, v) = e.call("POST", &pet, "/api/v1/petitions", Some(six)).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "representatives")
    );
    assert!(v["error"]["message"].as_str().unwrap().contains("第二十条"));
    let (_, list) = e
        .call("GET", &pet, "/api/v1/cases?kind=petition", None)
        .await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing half-written"
    );
    // A grid worker registers no petitions here (no role for the town), an auditor none at all.
    let (s, v) = e
        .call("POST", &audit, "/api/v1/petitions", Some(a_req.clone()))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // Petition A: a group visit of 8 with five representatives, registered Wed 09-29.
    let (s, a) = e
        .call("POST", &pet, "/api/v1/petitions", Some(a_req.clone()))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let a_id = a["case"]["id"].as_i64().unwrap();
    let a_no = a["case"]["case_no"].as_str().unwrap().to_string();
    let code = a["tracking_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 8);
    assert!(a["repeat_of"].is_null());
    assert_eq!(a["case"]["state"], "registered");
    assert_eq!(a["case"]["priority"], "high", "a group of 8");
    // 登记/分流 within 15日: 10-14.
    assert_eq!(due(&a["case"], "stage_due_at"), utc("2021-10-15 00:00"));
    assert!(a["case"]["overall_due_at"].is_null(), "60日 run from 受理");
    let a_path = format!("/api/v1/cases/{a_id}");
    let (s, d) = e
        .call("GET", &pet, &format!("/api/v1/petitions/{a_id}"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["category_label"], "申诉求决类");
    assert_eq!(d["group_size"], 8);
    assert_eq!(d["parties"].as_array().unwrap().len(), 6);
    let body = d.to_string();
    for secret in ["张三", "441900199001011231", "13800138000", "罗马村一巷3号"] {
        assert!(!body.contains(secret), "{secret} leaked: {body}");
    }
    assert_eq!(d["parties"][0]["name"], "张*");
    let party = d["parties"][0]["id"].as_i64().unwrap();

    // Who may read the petitioner: petition officer and leader yes (logged); the grid worker,
    // the auditor and the dispatcher (not in the petition workflow's list) no.
    for (who, ok) in [
        (&grid, false),
        (&audit, false),
        (&disp, false),
        (&lead, true),
        (&pet, true),
    ] {
        let (s, v) = e
            .call(
                "POST",
                who,
                &format!("{a_path}/parties/{party}/reveal"),
                None,
            )
            .await;
        if ok {
            assert_eq!((s, v["name"].as_str()), (StatusCode::OK, Some("张三")));
        } else {
            assert!(
                s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
                "{s} {v}"
            );
        }
    }
    let (_, tl) = e
        .call("GET", &pet, &format!("{a_path}/timeline"), None)
        .await;
    let reveals = tl
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == "personal_data_revealed")
        .count();
    assert_eq!(reveals, 2);

    // 交办 to 城管分局 Thu 09-30: it may object within 5 工作日 (10-08, 10-09 make-up Saturday,
    // 10-11, 10-12, 10-13).
    e.clock.set(at("2021-09-30 10:00"));
    let tr = |action: &str, extra: Value| {
        let mut b = json!({"action": action});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    // Sessions expire over the months the clock jumps: each step logs in afresh.
    let go = |user: &'static str, body: Value| {
        let e = &e;
        let path = format!("{a_path}/transitions");
        async move {
            e.call("POST", &e.login(user).await, &path, Some(body))
                .await
        }
    };
    let (s, v) = go("pet", tr("assign", json!({"department_id": e.dept}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(due(&v, "stage_due_at"), utc("2021-10-14 00:00"));
    // The unit objects on 10-12, within the window: back to the petition office.
    e.clock.set(at("2021-10-12 09:00"));
    let (s, v) = go(
        "hand",
        tr("object", json!({"reason": "拖欠工资属人社分局职责"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "registered");
    assert!(v["department_id"].is_null());
    let (s, _) = e.call("GET", &e.login("hand").await, &a_path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no longer the unit's");
    // Assigned again 10-12 14:00; an objection on 10-20 is too late (window to 10-19).
    e.clock.set(at("2021-10-12 14:00"));
    let (s, v) = go("pet", tr("assign", json!({"department_id": e.dept}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(due(&v, "stage_due_at"), utc("2021-10-20 00:00"));
    e.clock.set(at("2021-10-20 09:00"));
    let (s, v) = go("hand", tr("object", json!({"reason": "迟了"}))).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("window_closed")),
        "{v}"
    );
    // 签收受理 Wed 10-20: notice within 15日 (11-04), reply within 60日 (12-19 is a Sunday →
    // Mon 12-20).
    let (s, v) = go("hand", tr("sign", json!({}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "accepted");
    assert_eq!(due(&v, "stage_due_at"), utc("2021-11-05 00:00"));
    assert_eq!(due(&v, "overall_due_at"), utc("2021-12-21 00:00"));
    // The handling unit sees an appeal's petitioner (it must contact them).
    let (s, _) = e
        .call(
            "POST",
            &e.login("hand").await,
            &format!("{a_path}/parties/{party}/reveal"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    e.clock.set(at("2021-10-22 10:00"));
    let (s, v) = go("hand", tr("notify", json!({}))).await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("handling")),
        "{v}"
    );

    // One extension, approved by the head only, at most 30日, the reason told: 90日 from
    // 10-20 end on Tue 2022-01-18.
    e.clock.set(at("2021-12-10 10:00"));
    let (s, v) = go(
        "hand",
        tr(
            "request_extension",
            json!({"reason": "涉及人数多，需核对工资台账", "extension": 30}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = go(
        "hand",
        tr("approve_extension", json!({"reason": "x", "extension": 30})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = go(
        "lead",
        tr("approve_extension", json!({"reason": "x", "extension": 31})),
    )
    .await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "extension")
    );
    let (s, v) = go(
        "lead",
        tr(
            "approve_extension",
            json!({"reason": "需核对工资台账，延期三十日", "extension": 30}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(due(&v, "overall_due_at"), utc("2022-01-19 00:00"));
    let (s, _) = go(
        "hand",
        tr(
            "request_extension",
            json!({"reason": "再延", "extension": 10}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = go(
        "lead",
        tr(
            "approve_extension",
            json!({"reason": "再延", "extension": 10}),
        ),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("extension_refused"))
    );
    let (s, _) = go(
        "lead",
        tr("reject_extension", json!({"reason": "只可延期一次"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // The decision letter (信访处理意见书): its four parts are required and checked.
    e.clock.set(at("2022-01-10 10:00"));
    let (s, v) = go("hand", tr("reply", json!({}))).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "letter")
    );
    let mut bad_letter: Value = serde_json::from_str(LETTER).unwrap();
    bad_letter["decision"] = json!("maybe");
    let (s, v) = go("hand", tr("reply", json!({"letter": bad_letter}))).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "letter.decision")
    );
    bad_letter["decision"] = json!("support");
    bad_letter["facts"] = json!(" ");
    let (s, v) = go("hand", tr("reply", json!({"letter": bad_letter}))).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "letter.facts")
    );
    let letter: Value = serde_json::from_str(LETTER).unwrap();
    let (s, v) = go("hand", tr("reply", json!({"letter": letter}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "replied");
    assert_eq!(due(&v, "closed_at"), utc("2022-01-10 10:00"));
    // The review period: 30日 to Wed 02-09.
    let (_, d) = e
        .call(
            "GET",
            &e.login("pet").await,
            &format!("/api/v1/petitions/{a_id}"),
            None,
        )
        .await;
    assert_eq!(d["decision"], "support");
    assert_eq!(d["window_open"], true);
    assert_eq!(due(&d, "window_ends_at"), utc("2022-02-10 00:00"));
    assert_eq!(d["deadline_status"], "normal");

    // Documents: the notice and the letter, masked unless revealed by a role that may.
    let (s, docs) = e
        .call(
            "GET",
            &e.login("hand").await,
            &format!("{a_path}/documents"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{docs}");
    let kinds: Vec<&str> = docs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["acceptance_notice", "decision_letter"]);
    assert_eq!(docs[1]["decision"], "予以支持");
    let url = docs[1]["url"].as_str().unwrap().to_string();
    let get_doc = |user: &'static str, u: String| {
        let e = &e;
        async move { e.get_bytes(user, &u).await }
    };
    let (s, masked) = get_doc("hand", url.clone()).await;
    assert_eq!(s, StatusCode::OK);
    let xml = docx_text(&masked);
    assert!(xml.contains("信访事项处理意见书"), "{xml}");
    assert!(
        xml.contains("予以支持") && xml.contains("已责令限期支付") && xml.contains("劳动合同法")
    );
    assert!(xml.contains("张*") && !xml.contains("张三"), "{xml}");
    let (s, clear) = get_doc("hand", format!("{url}?reveal=true")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(docx_text(&clear).contains("张三"));
    let (s, _) = get_doc("audit", format!("{url}?reveal=true")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = get_doc("audit", format!("{url}?reveal=yes")).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&v)
    );

    // The petitioner follows it with number and code; a wrong code finds nothing.
    let (s, _) = e
        .call(
            "POST",
            "",
            "/api/v1/public/petitions/track",
            Some(json!({"case_no": a_no, "code": "WRONG123"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, p) = e
        .call(
            "POST",
            "",
            "/api/v1/public/petitions/track",
            Some(json!({"case_no": a_no, "code": code.to_lowercase()})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["decision"], "予以支持");
    assert_eq!(p["may_rate"], true);
    assert_eq!(due(&p, "window_ends_at"), utc("2022-02-10 00:00"));
    let text = p.to_string();
    assert!(
        text.contains("延长30日；需核对工资台账，延期三十日"),
        "{text}"
    );
    for secret in [
        "张三",
        "hand 用户",
        "lead 用户",
        "13800138000",
        "只可延期一次",
    ] {
        assert!(!text.contains(secret), "{secret} shown publicly: {text}");
    }
    let rate = |r: &str| json!({"case_no": a_no, "code": code, "rating": r, "comment": "办得好"});
    let (s, v) = e
        .call(
            "POST",
            "",
            "/api/v1/public/petitions/rate",
            Some(rate("great")),
        )
        .await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "rating")
    );
    let (s, v) = e
        .call(
            "POST",
            "",
            "/api/v1/public/petitions/rate",
            Some(rate("satisfied")),
        )
        .await;
    assert_eq!(
        (s, v["rating"].as_str()),
        (StatusCode::OK, Some("满意")),
        "{v}"
    );
    let (s, _) = e
        .call(
            "POST",
            "",
            "/api/v1/public/petitions/rate",
            Some(rate("basic")),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Filing waits for the period; the review is asked within it.
    let (s, v) = go("pet", tr("conclude", json!({}))).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("window_open"))
    );
    e.clock.set(at("2022-02-01 10:00"));
    let (s, v) = go(
        "pet",
        tr("request_review", json!({"reason": "对支付期限不服"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // 复查 decision within 30日: 03-03.
    assert_eq!(due(&v, "stage_due_at"), utc("2022-03-04 00:00"));
    e.clock.set(at("2022-02-20 10:00"));
    let (s, v) = go("lead", tr("review_decide", json!({"letter": letter}))).await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("reviewed")),
        "{v}"
    );
    // Re-review asked 03-15: decision within 30日 (04-14); a hearing 03-20..03-25 is not
    // counted: 04-19.
    e.clock.set(at("2022-03-15 10:00"));
    let (s, v) = go("pet", tr("request_rereview", json!({"reason": "仍不服"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(due(&v, "stage_due_at"), utc("2022-04-15 00:00"));
    e.clock.set(at("2022-03-20 09:00"));
    let (s, v) = go("lead", tr("start_hearing", json!({"note": "召开听证会"}))).await;
    assert_eq!(
        (s, v["paused"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );
    e.clock.set(at("2022-03-25 09:00"));
    let (s, v) = go("lead", tr("end_hearing", json!({"note": "听证结束"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(due(&v, "stage_due_at"), utc("2022-04-20 00:00"));
    e.clock.set(at("2022-04-01 09:00"));
    let (s, v) = go("lead", tr("rereview_decide", json!({"letter": letter}))).await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("final")),
        "{v}"
    );
    let (s, _) = go("pet", tr("urge", json!({"note": "x"}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing after the final state");
    let (_, docs) = e
        .call(
            "GET",
            &e.login("pet").await,
            &format!("{a_path}/documents"),
            None,
        )
        .await;
    assert_eq!(docs.as_array().unwrap().len(), 4);

    // Petition B: an accusation first received by 城管分局 (首访负责): the unit sees the case but
    // never the accuser.
    e.clock.set(at("2021-10-08 09:00"));
    let (s, b) = e.call("POST", &e.login("pet").await, "/api/v1/petitions", Some(json!({
            "channel": "letter", "category": "accusation", "node_id": e.village, "department_id": e.dept,
            "title": "举报某村干部", "content": "举报某村干部侵占集体土地补偿款",
            "petitioners": [{"name": "李四", "phone": "13700137000"}]})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let b_id = b["case"]["id"].as_i64().unwrap();
    let (b_no, b_code) = (
        b["case"]["case_no"].as_str().unwrap().to_string(),
        b["tracking_code"].as_str().unwrap().to_string(),
    );
    let (s, bd) = e
        .call(
            "GET",
            &e.login("hand").await,
            &format!("/api/v1/petitions/{b_id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{bd}");
    assert_eq!(bd["first_receiver_department_id"], e.dept);
    assert_eq!(bd["may_reveal"], false);
    let b_party = bd["parties"][0]["id"].as_i64().unwrap();
    let (s, _) = e
        .call(
            "POST",
            &e.login("hand").await,
            &format!("/api/v1/cases/{b_id}/parties/{b_party}/reveal"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Recusal (回避): the leader with an interest may neither act nor read.
    let (s, v) = e
        .call(
            "POST",
            &e.login("hand").await,
            &format!("/api/v1/cases/{b_id}/recusals"),
            Some(json!({"user_id": 1, "reason": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (_, me) = e
        .call("GET", &e.login("lead").await, "/api/v1/me", None)
        .await;
    let lead_id = me["id"].as_i64().or(me["user"]["id"].as_i64()).unwrap();
    let (s, v) = e
        .call(
            "POST",
            &e.login("pet").await,
            &format!("/api/v1/cases/{b_id}/recusals"),
            Some(json!({"user_id": lead_id, "reason": "被举报人系其亲属"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = e
        .call(
            "POST",
            &e.login("pet").await,
            &format!("/api/v1/cases/{b_id}/recusals"),
            Some(json!({"user_id": lead_id, "reason": "again"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = e
        .call(
            "POST",
            &e.login("lead").await,
            &format!("/api/v1/cases/{b_id}/parties/{b_party}/reveal"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = e
        .call(
            "POST",
            &e.login("lead").await,
            &format!("/api/v1/cases/{b_id}/transitions"),
            Some(json!({"action": "accept"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = e
        .call(
            "POST",
            &e.login("pet").await,
            &format!("/api/v1/cases/{b_id}/transitions"),
            Some(json!({"action": "transfer", "note": "转送镇纪委"})),
        )
        .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("transferred")),
        "{v}"
    );

    // Petition C: the same person (by ID number) on the same matter again: found and linked.
    e.clock.set(at("2021-11-02 09:00"));
    let (s, c) = e.call("POST", &e.login("pet").await, "/api/v1/petitions", Some(json!({
            "channel": "phone", "category": "appeal", "node_id": e.village,
            "title": "再次反映五金厂拖欠工资", "content": "再次反映某五金厂拖欠工人工资三个月，要求尽快支付",
            "petitioners": [{"name": "张三", "id_number": "441900199001011231"}]})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["repeat_of"]["id"], a_id, "{c}");
    assert!(c["repeat_of"]["similarity"].as_f64().unwrap() >= 0.3);
    let c_id = c["case"]["id"].as_i64().unwrap();
    let (_, links) = e
        .call(
            "GET",
            &e.login("pet").await,
            &format!("/api/v1/cases/{c_id}/links"),
            None,
        )
        .await;
    assert!(links.to_string().contains("repeat_of"), "{links}");
    let (s, _) = e
        .call(
            "POST",
            &e.login("pet").await,
            &format!("/api/v1/cases/{c_id}/transitions"),
            Some(json!({"action": "reject", "reason": "同一事项正在办理中"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // The module's figures: 3 received, 1 in scope, 1 closed on time, 1 repeat.
    e.clock.set(at("2022-04-02 09:00"));
    let (s, rep) = e
        .call(
            "GET",
            &e.login("lead").await,
            "/api/v1/indicators?kind=petition&from=2021-09-01&to=2023-01-01",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rep}");
    let t = &rep["total"]["display"];
    for (id, v) in [
        ("petition_received", "3"),
        ("petition_in_scope", "1"),
        ("petition_closed", "1"),
        ("petition_closure_rate", "100.00%"),
        ("petition_on_time_rate", "100.00%"),
        ("petition_repeated", "1"),
        ("petition_repeat_rate", "33.33%"),
    ] {
        assert_eq!(t[id], v, "{id}: {t}");
    }

    // The register as a spreadsheet (台账): names masked; revealed only where the role may see
    // them — never the accuser to the handling unit — each revealed case logged.
    let export = "/api/v1/cases/export.xlsx?kind=petition";
    let (s, bytes) = e.get_bytes("hand", &format!("{export}&reveal=true")).await;
    assert_eq!(s, StatusCode::OK);
    let rows = xlsx_rows(&bytes);
    assert!(rows[0].starts_with("编号\t类型\t类别"), "{rows:?}");
    let row = |no: &str| rows.iter().find(|r| r.starts_with(no)).unwrap().clone();
    assert!(row(&a_no).contains("信访人 张三"), "{}", row(&a_no));
    assert!(row(&a_no).contains("申诉求决类"), "{}", row(&a_no));
    assert!(
        row(&b_no).contains("信访人 李*") && !rows.join("\n").contains("李四"),
        "{}",
        row(&b_no)
    );
    for user in ["audit", "grid"] {
        let (s, bytes) = e.get_bytes(user, &format!("{export}&reveal=true")).await;
        assert_eq!(s, StatusCode::OK);
        let all = xlsx_rows(&bytes).join("\n");
        assert!(
            !all.contains("张三") && !all.contains("李四"),
            "{user}: {all}"
        );
    }
    let (_, bytes) = e.get_bytes("pet", export).await;
    assert!(
        !xlsx_rows(&bytes).join("\n").contains("张三"),
        "masked unless asked"
    );
    let (_, tl) = e
        .call(
            "GET",
            &e.login("pet").await,
            &format!("/api/v1/cases/{a_id}/timeline"),
            None,
        )
        .await;
    assert!(
        tl.as_array()
            .unwrap()
            .iter()
            .any(|v| v["kind"] == "personal_data_revealed" && v["data"]["export"] == true),
        "the export's reveal is logged"
    );
    let (s, _) = e
        .get_bytes("pet", "/api/v1/cases/export.xlsx?node_id=abc")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Guessing the code: after ten wrong ones in an hour the number is refused, even with the
    // right code, until the hour is over; other numbers are not affected.
    let track = |no: &str, code: &str| {
        let body = json!({"case_no": no, "code": code});
        let e = &e;
        async move {
            e.call("POST", "", "/api/v1/public/petitions/track", Some(body))
                .await
        }
    };
    for i in 0..10 {
        let (s, _) = track(&a_no, &format!("GUESS{i:03}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let (s, v) = track(&a_no, &code).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")),
        "{v}"
    );
    let (s, _) = track(&b_no, &b_code).await;
    assert_eq!(s, StatusCode::OK, "another petition's number still works");
    e.clock.set(e.app.now() + chrono::Duration::minutes(61));
    let (s, _) = track(&a_no.to_lowercase(), &code).await;
    assert_eq!(s, StatusCode::OK, "after the hour");
}

#[tokio::test]
async fn petitions_on_sqlite() {
    petition_flow(sqlite_env().await).await;
}

#[tokio::test]
async fn petitions_on_postgres() {
    if let Some(e) = pg_env("petitions").await {
        petition_flow(e).await;
    }
}

/// 领导包案 and 挂牌销号 through the API: who may assign and report, the leader's list with the
/// overdue first, a deadline moved with another's consent; the ledger with its five criteria,
/// 销号 refused until all are met.
async fn oversight_flow<S: Store>(e: Env<S>) {
    e.clock.set(at("2021-09-29 09:00"));
    let call = |user: &'static str, method: &'static str, path: String, body: Option<Value>| {
        let e = &e;
        async move { e.call(method, &e.login(user).await, &path, body).await }
    };
    let (s, p) = call(
        "pet",
        "POST",
        "/api/v1/petitions".into(),
        Some(json!({
        "channel": "letter", "category": "appeal", "node_id": e.village,
        "title": "征地补偿款分配", "content": "反映征地补偿款分配不公",
        "petitioners": [{"name": "赵六", "phone": "13600136000"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = p["case"]["id"].as_i64().unwrap();
    let tr = |user: &'static str, body: Value| {
        call(
            user,
            "POST",
            format!("/api/v1/cases/{id}/transitions"),
            Some(body),
        )
    };
    assert_eq!(
        tr("pet", json!({"action": "assign", "department_id": e.dept}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        tr("hand", json!({"action": "sign"})).await.0,
        StatusCode::OK
    );
    let (_, me) = call("lead", "GET", "/api/v1/me".into(), None).await;
    let lead_id = me["id"].as_i64().or(me["user"]["id"].as_i64()).unwrap();
    let (_, g) = call("grid", "GET", "/api/v1/me".into(), None).await;
    let grid_id = g["id"].as_i64().or(g["user"]["id"].as_i64()).unwrap();

    // 领导包案.
    let lead_path = format!("/api/v1/cases/{id}/lead");
    let assign = |leader: i64, deadline: &str| json!({"leader_id": leader, "plan": "约谈村委、核对分配方案、两周内答复", "deadline": deadline});
    let (s, _) = call(
        "hand",
        "POST",
        lead_path.clone(),
        Some(assign(lead_id, "2021-10-20")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = call(
        "pet",
        "POST",
        lead_path.clone(),
        Some(assign(grid_id, "2021-10-20")),
    )
    .await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "leader_id"),
        "{v}"
    );
    let (s, v) = call(
        "pet",
        "POST",
        lead_path.clone(),
        Some(assign(lead_id, "2021-09-01")),
    )
    .await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "deadline"),
        "{v}"
    );
    let (s, v) = call(
        "pet",
        "POST",
        lead_path.clone(),
        Some(assign(lead_id, "2021-10-20")),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["lead"]["leader_name"], "lead 用户");
    assert_eq!(v["lead"]["due_at"], json!(at("2021-10-21 00:00")));
    let (s, _) = call(
        "pet",
        "POST",
        lead_path.clone(),
        Some(assign(lead_id, "2021-10-25")),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, mine) = call("lead", "GET", "/api/v1/leads".into(), None).await;
    assert_eq!(mine[0]["case"]["id"], id);
    assert_eq!(mine[0]["overdue"], false);
    e.clock.set(at("2021-10-21 09:00"));
    let (_, mine) = call("lead", "GET", "/api/v1/leads".into(), None).await;
    assert_eq!(mine[0]["overdue"], true, "past the 包案 deadline");
    let later = json!({"deadline": "2021-11-10", "reason": "需协调国土部门核实"});
    let (s, _) = call(
        "lead",
        "POST",
        format!("{lead_path}/deadline"),
        Some(later.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not one's own deadline");
    let (s, v) = call(
        "admin",
        "POST",
        format!("{lead_path}/deadline"),
        Some(later),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["overdue"], false);
    let (s, _) = call(
        "pet",
        "POST",
        format!("{lead_path}/report"),
        Some(json!({"report": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = call(
        "lead",
        "POST",
        format!("{lead_path}/report"),
        Some(json!({"report": "已重新核算，补发差额，信访人息诉"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["lead"]["reported_at"].is_string());

    // 挂牌销号 with the five criteria.
    let ledger_path = format!("/api/v1/cases/{id}/ledger");
    let (s, v) = call("pet", "POST", ledger_path.clone(), Some(json!({"owner_department_id": e.dept, "deadline": "2021-11-30", "reason": "群众反映强烈，挂牌督办"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["ledger"]["criteria"].as_array().unwrap().len(), 5);
    let (_, list) = call("lead", "GET", "/api/v1/ledger".into(), None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let meet = |user: &'static str, k: &str| {
        call(
            user,
            "POST",
            format!("{ledger_path}/criteria"),
            Some(json!({"criterion": k, "note": "已核实"})),
        )
    };
    assert_eq!(meet("hand", "facts_clear").await.0, StatusCode::OK);
    assert_eq!(meet("hand", "facts_clear").await.0, StatusCode::CONFLICT);
    let (s, v) = meet("hand", "nonsense").await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "criterion")
    );
    assert_eq!(
        meet("hand2", "problem_solved").await.0,
        StatusCode::NOT_FOUND,
        "another department"
    );
    let (s, v) = call(
        "lead",
        "POST",
        format!("{ledger_path}/delist"),
        Some(json!({"note": "核查"})),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("criteria_unmet")),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("群众已满意")
    );
    for k in ["handled_properly", "problem_solved", "citizen_satisfied"] {
        assert_eq!(meet("hand", k).await.0, StatusCode::OK, "{k}");
    }
    assert_eq!(meet("pet", "approved").await.0, StatusCode::OK);
    let (s, v) = call(
        "lead",
        "POST",
        format!("{ledger_path}/delist"),
        Some(json!({"note": "经核查五项均已达到，同意销号"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["ledger"]["delisted_at"].is_string());
    let (_, list) = call("lead", "GET", "/api/v1/ledger".into(), None).await;
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    let (_, list) = call("lead", "GET", "/api/v1/ledger?all=true".into(), None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, tl) = call("pet", "GET", format!("/api/v1/cases/{id}/timeline"), None).await;
    let kinds: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "lead_assigned",
        "lead_extended",
        "lead_reported",
        "ledger_listed",
        "ledger_criterion_met",
        "ledger_delisted",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let (_, m) = call("audit", "GET", "/api/v1/mechanisms".into(), None).await;
    assert_eq!(m["first_receiver"], true);
    assert_eq!(m["ledger_criteria"][3]["label"], "群众已满意");
}

#[tokio::test]
async fn oversight_on_sqlite() {
    oversight_flow(sqlite_env().await).await;
}

#[tokio::test]
async fn oversight_on_postgres() {
    if let Some(e) = pg_env("oversight").await {
        oversight_flow(e).await;
    }
}
