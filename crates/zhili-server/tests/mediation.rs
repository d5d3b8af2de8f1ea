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
    // A committee of the village: 3–9 members, a chair, at least one woman (第9条).
    let (_, me) = call("med", "GET", "/api/v1/me".into(), None).await;
    let med_id = me["id"].as_i64().or(me["user"]["id"].as_i64()).unwrap();
    let member = |name: &str, gender: &str, chair: bool| json!({"name": name, "gender": gender, "chair": chair});
    let committee = |members: Vec<Value>| {
        json!({"node_id": e.village, "code": "twh-luoma", "name": "罗马村人民调解委员会",
        "term_start": "2021-01-01", "members": members})
    };
    for (members, why) in [
        (
            vec![member("甲", "female", true), member("乙", "male", false)],
            "3 to 9",
        ),
        (
            vec![
                member("甲", "male", true),
                member("乙", "male", false),
                member("丙", "male", false),
            ],
            "woman",
        ),
        (
            vec![
                member("甲", "female", false),
                member("乙", "male", false),
                member("丙", "male", false),
            ],
            "chair",
        ),
    ] {
        let (s, v) = call(
            "admin",
            "POST",
            "/api/v1/mediation/committees".into(),
            Some(committee(members)),
        )
        .await;
        assert_eq!(
            (s, err_field(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "members"),
            "{v}"
        );
        assert!(v["error"]["message"].as_str().unwrap().contains(why), "{v}");
    }
    let mut ok = vec![
        member("罗秀英", "female", true),
        member("陈大文", "male", false),
        member("李小平", "male", false),
    ];
    ok[1]["user_id"] = json!(med_id);
    let (s, _) = call(
        "grid",
        "POST",
        "/api/v1/mediation/committees".into(),
        Some(committee(ok.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, cm) = call(
        "admin",
        "POST",
        "/api/v1/mediation/committees".into(),
        Some(committee(ok)),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{cm}");
    assert_eq!(cm["term_end"], "2023-12-31", "three years");
    assert_eq!(cm["people"].as_array().unwrap().len(), 3);
    let committee_dept = cm["department_id"].as_i64().unwrap();
    let (s, m) = call(
        "admin",
        "POST",
        format!("/api/v1/mediation/committees/{}/mediators", cm["id"]),
        Some(json!({"name": "何调解", "gender": "女"})),
    )
    .await;
    assert_eq!(
        (s, m["is_member"].as_bool()),
        (StatusCode::CREATED, Some(false)),
        "{m}"
    );
    let (_, all) = call("med", "GET", "/api/v1/mediation/committees".into(), None).await;
    assert_eq!(all[0]["people"].as_array().unwrap().len(), 4);

    let new = |kind: &str, title: &str| {
        let mut v = json!({
        "kind": kind, "channel": "visit", "node_id": e.village, "title": title, "department_id": committee_dept,
        "content": format!("{title}，申请调解"), "category": "neighbour",
        "parties": [{"role": "applicant", "name": "周九", "phone": "13400134000",
                     "id_number": "441900199001011231", "address": "罗马村一巷3号"},
                    {"role": "respondent", "name": "吴十"}]});
        if kind == "mediation" {
            v["start"] = json!("application");
        }
        v
    };

    // Intake (登记): how it started, both sides, the kind of dispute; each error names its field.
    let mut generic = new("mediation", "邻里纠纷");
    generic.as_object_mut().unwrap().remove("start");
    let (s, v) = call("med", "POST", "/api/v1/cases".into(), Some(generic)).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "kind"),
        "{v}"
    );
    for (change, field) in [
        (json!({"start": null}), "start"),
        (json!({"start": "court"}), "start"),
        (
            json!({"kind": "court_mediation", "start": "committee"}),
            "start",
        ),
        (json!({"category": "weather"}), "category"),
        (
            json!({"parties": [{"role": "applicant", "name": "周九"}]}),
            "parties",
        ),
        (
            json!({"parties": [{"role": "applicant", "name": "周九"}, {"role": "applicant", "name": "周十"}]}),
            "parties",
        ),
        (json!({"kind": "divorce"}), "kind"),
        (json!({"department_id": null}), "department_id"),
        (json!({"department_id": e.dept}), "department_id"),
    ] {
        let mut body = new("mediation", "邻里纠纷");
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let (s, v) = call("med", "POST", "/api/v1/mediations".into(), Some(body)).await;
        assert_eq!(
            (s, err_field(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, field),
            "{change}: {v}"
        );
    }
    // The committee takes a dispute up itself (主动调解): both sides are parties.
    let mut own = new("mediation", "山林界址纠纷");
    own["start"] = json!("committee");
    own["parties"] = json!([{"role": "party", "name": "甲"}, {"role": "respondent", "name": "乙"}]);
    let (s, v) = call("med", "POST", "/api/v1/mediations".into(), Some(own)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["start"].as_str(), v["start_label"].as_str()),
        (Some("committee"), Some("调委会主动调解"))
    );
    assert_eq!(v["committee"], "罗马村人民调解委员会");
    let own_id = v["id"].as_i64().unwrap();
    assert_eq!(v["category_label"], "邻里纠纷");
    let (_, cats) = call("med", "GET", "/api/v1/mediation/categories".into(), None).await;
    assert!(cats.as_array().unwrap().len() >= 8, "{cats}");
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
        "/api/v1/mediations".into(),
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
        "/api/v1/mediations".into(),
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
    // 第25条: a dispute that may escalate — measures taken, recorded, the state unchanged.
    let (s, v) = tr(
        a_id,
        json!({"action": "prevent_escalation", "note": "双方言语冲突，已分别做工作并告知派出所"}),
    )
    .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (StatusCode::OK, Some("mediating")),
        "{v}"
    );
    // …and put on the risk register (纳入风险排查), the two cases linked in the same commit.
    let risk = |from: i64| {
        json!({"category": "dispute", "channel": "visit", "node_id": e.village, "grade": "yellow",
               "title": "邻里漏水纠纷有激化可能", "content": "双方言语冲突", "from_case_id": from})
    };
    let (s, v) = call("med", "POST", "/api/v1/risks".into(), Some(risk(999_999))).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "from_case_id"),
        "{v}"
    );
    let (s, r) = call("med", "POST", "/api/v1/risks".into(), Some(risk(a_id))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let r_case = r["id"].as_i64().or(r["case"]["id"].as_i64()).unwrap();
    let (_, links) = call("med", "GET", format!("/api/v1/cases/{a_id}/links"), None).await;
    assert!(
        links
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["other_case_id"] == r_case && l["kind"] == "related"),
        "{links}"
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
    // …and issued as the 调解协议书 (.docx): parties masked unless revealed by a mediator, logged.
    let (_, m) = call("med", "GET", format!("/api/v1/mediations/{a_id}"), None).await;
    assert_eq!(m["start_label"], "当事人申请", "{m}");
    assert_eq!(m["documents"][0]["kind"], "mediation_agreement", "{m}");
    assert_eq!(m["documents"][0]["title"], "人民调解协议书");
    let url = m["documents"][0]["url"].as_str().unwrap().to_string();
    let (s, masked) = e.get_bytes("med", &url).await;
    assert_eq!(s, StatusCode::OK);
    let xml = docx_text(&masked);
    for part in [
        "人民调解协议书",
        "罗马村人民调解委员会",
        "被申请人：吴*",
        "楼上住户赔偿维修费2000元",
        "一次性转账支付",
        "2021年10月31日前",
        "三十日内共同向人民法院申请司法确认",
        "人民调解员（签名）：med 用户",
    ] {
        assert!(xml.contains(part), "{part}: {xml}");
    }
    assert!(!xml.contains("周九") && !xml.contains("441900199001011231"));
    let (s, clear) = e.get_bytes("med", &format!("{url}?reveal=true")).await;
    assert_eq!(s, StatusCode::OK);
    let xml = docx_text(&clear);
    assert!(
        xml.contains("申请人：周九，身份证号码：441900199001011231，住所：罗马村一巷3号"),
        "{xml}"
    );
    for user in ["audit", "grid", "hand"] {
        let (s, _) = e.get_bytes(user, &format!("{url}?reveal=true")).await;
        assert!(
            s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
            "{user}: {s}"
        );
    }
    let (_, tl) = call("med", "GET", format!("/api/v1/cases/{a_id}/timeline"), None).await;
    assert!(
        tl.as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "personal_data_revealed" && e["data"]["by"] == "med"),
        "the reveal is logged"
    );
    let (_, av) = call("med", "GET", format!("/api/v1/cases/{a_id}"), None).await;
    assert_eq!(av["handler_id"], med_id, "the mediator who accepted it");

    // 以案定补: only for a success, by the grade table, after the case-file review; then paid.
    let sub = |grade: &str| json!({"grade": grade, "note": "卷宗齐全，审查通过"});
    let (s, _) = call(
        "med",
        "POST",
        format!("/api/v1/cases/{a_id}/subsidy"),
        Some(sub("complex")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = call(
        "lead",
        "POST",
        format!("/api/v1/cases/{r_id}/subsidy"),
        Some(sub("complex")),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_succeeded")),
        "{v}"
    );
    let (s, v) = call(
        "lead",
        "POST",
        format!("/api/v1/cases/{a_id}/subsidy"),
        Some(sub("huge")),
    )
    .await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "grade")
    );
    let (s, v) = call(
        "lead",
        "POST",
        format!("/api/v1/cases/{a_id}/subsidy/paid"),
        Some(json!({"note": "x"})),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_approved"))
    );
    let (s, v) = call(
        "lead",
        "POST",
        format!("/api/v1/cases/{a_id}/subsidy"),
        Some(sub("complex")),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        call(
            "lead",
            "POST",
            format!("/api/v1/cases/{a_id}/subsidy"),
            Some(sub("simple"))
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    let (_, ledger) = call("lead", "GET", "/api/v1/mediation/subsidies".into(), None).await;
    assert_eq!(
        (
            ledger[0]["amount"].as_str(),
            ledger[0]["mediator"].as_str(),
            ledger[0]["committee"].as_str()
        ),
        (
            Some("¥600.00"),
            Some("med 用户"),
            Some("罗马村人民调解委员会")
        ),
        "{ledger}"
    );
    assert!(ledger[0]["paid_at"].is_null());
    let (s, _) = call(
        "lead",
        "POST",
        format!("/api/v1/cases/{a_id}/subsidy/paid"),
        Some(json!({"note": "已转账发放"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        call(
            "lead",
            "POST",
            format!("/api/v1/cases/{a_id}/subsidy/paid"),
            Some(json!({"note": "x"}))
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    let (_, ledger) = call("lead", "GET", "/api/v1/mediation/subsidies".into(), None).await;
    assert!(ledger[0]["paid_at"].is_string());
    let (s, bytes) = e
        .get_bytes("lead", "/api/v1/mediation/subsidies.xlsx")
        .await;
    assert_eq!(s, StatusCode::OK);
    let rows = xlsx_rows(&bytes);
    assert!(rows[0].starts_with("编号\t纠纷\t调解组织"), "{rows:?}");
    assert!(
        rows[1].contains("罗马村人民调解委员会") && rows[1].contains("600.00"),
        "{rows:?}"
    );
    assert!(
        rows.last().unwrap().contains("合计 1 件，¥600.00"),
        "{rows:?}"
    );
    assert!(!rows.join("\n").contains("周九"), "no personal data");

    // A late application for confirmation is refused.
    let (_, b) = call(
        "med",
        "POST",
        "/api/v1/mediations".into(),
        Some(new("mediation", "买卖合同纠纷")),
    )
    .await;
    let b_id = b["id"].as_i64().unwrap();
    tr(b_id, json!({"action": "accept"})).await;
    // …agreed orally (第30条): the mediator's record is issued instead of a 调解协议书.
    let mut ag = json!({"facts": "货款争议", "content": "分两期付清", "performance": "转账", "deadline": "2021-12-31", "oral": true});
    let (s, _) = tr(b_id, json!({"action": "succeed", "agreement": ag.take()})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, m) = call("med", "GET", format!("/api/v1/mediations/{b_id}"), None).await;
    assert_eq!(m["documents"][0]["title"], "人民调解口头协议记录", "{m}");
    let (_, bytes) = e
        .get_bytes("med", m["documents"][0]["url"].as_str().unwrap())
        .await;
    let xml = docx_text(&bytes);
    assert!(
        xml.contains("人民调解口头协议记录") && xml.contains("自各方当事人达成协议之日起生效"),
        "{xml}"
    );
    e.clock.set(at("2021-11-20 10:00"));
    let (s, v) = tr(b_id, json!({"action": "apply_confirmation", "note": "x"})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("window_closed")),
        "{v}"
    );

    // The committee's and the mediator's figures.
    let (s, rep) = call(
        "lead",
        "GET",
        "/api/v1/indicators?kind=mediation&from=2021-09-01&to=2022-01-01&group_by=handler".into(),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{rep}");
    let t = &rep["total"]["display"];
    for (id, v) in [
        ("mediation_received", "2"),
        ("mediation_succeeded", "2"),
        ("mediation_success_rate", "100.00%"),
        ("mediation_subsidy", "¥600.00"),
    ] {
        assert_eq!(t[id], v, "{id}: {t}");
    }
    let mine = rep["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == "med 用户")
        .unwrap()
        .clone();
    assert_eq!(mine["display"]["mediation_succeeded"], "2", "{mine}");
    let (_, rep) = call(
        "lead",
        "GET",
        "/api/v1/indicators?kind=mediation&from=2021-09-01&to=2022-01-01&group_by=department"
            .into(),
        None,
    )
    .await;
    assert!(
        rep["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["label"] == "罗马村人民调解委员会"),
        "{rep}"
    );

    // 诉前联调: entrusted Thu 09-30, confirmed within 3 工作日 (10-08, 10-09, 10-11); 30日.
    e.clock.set(at("2021-09-30 15:00"));
    let (s, c) = call(
        "med",
        "POST",
        "/api/v1/mediations".into(),
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
    let (_, m) = call("med", "GET", format!("/api/v1/mediations/{c_id}"), None).await;
    assert_eq!(m["start_label"], "法院委派", "{m}");
    assert!(m["notice"].as_str().unwrap().contains("立案"), "{m}");
    // A failed people's mediation tells the parties the routes left to them (第26条).
    tr(own_id, json!({"action": "accept"})).await;
    let (s, v) = tr(
        own_id,
        json!({"action": "fail", "reason": "双方分歧较大，调解不成"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, m) = call("med", "GET", format!("/api/v1/mediations/{own_id}"), None).await;
    assert!(
        m["notice"]
            .as_str()
            .unwrap()
            .contains("仲裁、行政、司法等途径"),
        "{m}"
    );
    let (_, tl) = call(
        "med",
        "GET",
        format!("/api/v1/cases/{own_id}/timeline"),
        None,
    )
    .await;
    assert!(
        tl.to_string().contains("仲裁、行政、司法等途径"),
        "recorded with the step"
    );

    // 劳动争议仲裁: applied Fri 04-30 before 劳动节: acceptance by 05-06; award 45日.
    e.clock.set(at("2021-04-30 10:00"));
    let (s, d) = call(
        "med",
        "POST",
        "/api/v1/mediations".into(),
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
