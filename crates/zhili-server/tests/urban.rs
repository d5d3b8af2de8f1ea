//! 数字城管 end to end through the real server, on SQLite and PostgreSQL: a cell on the map,
//! reports placed in it by location, every branch of the urban workflow with the stage clocks
//! of the report's subclass, dispatch to the suggested department, and photos before and after.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use zhili_store::Store;

mod common;
use common::*;

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

async fn urban_flow<S: Store>(e: Env<S>) {
    let admin = e.login("admin").await;
    let disp = e.login("disp").await;
    let grid = e.login("grid").await;
    let hand = e.login("hand").await;
    let lead = e.login("lead").await;
    let cell = import_cell(&e, &admin).await;

    let report = |channel: &str, text: &str| {
        json!({"kind": "urban", "category": "event:0102", "channel": channel,
               "title": "暴露垃圾", "content": text, "lon": 114.165, "lat": 22.805})
    };
    // Bad reports: unknown subclass, none, nowhere, outside every area.
    let (s, v) = e
        .call(
            "POST",
            &disp,
            "/api/v1/cases",
            Some(
                json!({"kind": "urban", "category": "event:9999", "channel": "hotline",
                        "title": "x", "content": "x", "lon": 114.165, "lat": 22.805}),
            ),
        )
        .await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "category"),
        "{v}"
    );
    let mut no_class = report("hotline", "x");
    no_class.as_object_mut().unwrap().remove("category");
    let (s, v) = e.call("POST", &disp, "/api/v1/cases", Some(no_class)).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "category")
    );
    let mut nowhere = report("hotline", "x");
    nowhere.as_object_mut().unwrap().remove("lon");
    nowhere.as_object_mut().unwrap().remove("lat");
    let (s, v) = e.call("POST", &disp, "/api/v1/cases", Some(nowhere)).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "node_id")
    );
    let mut far = report("hotline", "x");
    far["lon"] = json!(100.0);
    let (s, v) = e.call("POST", &disp, "/api/v1/cases", Some(far)).await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "lon")
    );
    let (_, all) = e.call("GET", &admin, "/api/v1/cases", None).await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        0,
        "nothing half-written"
    );

    // A hotline report at 09:00 (Wednesday 2021-09-29): placed in the cell by its location,
    // awaiting 核实 for 1 工作时, no overall clock before 立案.
    let (s, a) = e
        .call(
            "POST",
            &disp,
            "/api/v1/cases",
            Some(report("hotline", "罗马村路口暴露垃圾未及时清运，气味很大")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["node_id"].as_i64(), Some(cell));
    assert_eq!(a["state"], "reported");
    assert!(a["overall_due_at"].is_null());
    assert!(a["registered_at"].is_null());
    assert_eq!(time(&a["stage_due_at"]), at("2021-09-29 10:00"));

    let a_no = a["case_no"].as_str().unwrap().to_string();
    // A second report nearby a little later is offered the first as a likely duplicate.
    e.clock.advance(Duration::minutes(10));
    let (s, d) = e
        .call(
            "GET",
            &disp,
            "/api/v1/urban/duplicates?category=event:0102&lon=114.1652&lat=22.8051&text=路口垃圾没有清运",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d[0]["case"]["id"].as_i64(), Some(id));
    // It is made anyway, then merged into the first (合并): it ends, linked as a duplicate,
    // and its reporter follows the first case.
    let (s, dup) = e
        .call(
            "POST",
            &disp,
            "/api/v1/cases",
            Some(report("web", "路口垃圾没有清运")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{dup}");
    let dup_id = dup["id"].as_i64().unwrap();
    let dup_no = dup["case_no"].as_str().unwrap().to_string();
    let merge =
        |into: &str| json!({"action": "merge", "reason": "同一地点同一问题", "merge_into": into});
    let path = format!("/api/v1/cases/{dup_id}/transitions");
    for (into, why) in [(dup_no.as_str(), "itself"), ("2021UR9999999", "unknown")] {
        let (s, v) = e.call("POST", &disp, &path, Some(merge(into))).await;
        assert_eq!(
            (s, err_field(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "merge_into"),
            "{why}: {v}"
        );
    }
    let (s, v) = e.call("POST", &disp, &path, Some(merge(&a_no))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "merged");
    assert_eq!(v["merged_into"].as_i64(), Some(id));
    let (_, links) = e
        .call("GET", &disp, &format!("/api/v1/cases/{id}/links"), None)
        .await;
    assert_eq!(links[0]["kind"], "duplicate_of", "{links}");
    assert_eq!(links[0]["other_case_no"], dup_no.as_str());

    let case = |id: i64| {
        let (e, t) = (&e, disp.clone());
        async move {
            let (s, v) = e
                .call("GET", &t, &format!("/api/v1/cases/{id}"), None)
                .await;
            assert_eq!(s, StatusCode::OK);
            v
        }
    };
    let act = |token: &str, id: i64, body: Value| {
        let (e, t) = (&e, token.to_string());
        async move {
            e.call(
                "POST",
                &t,
                &format!("/api/v1/cases/{id}/transitions"),
                Some(body),
            )
            .await
        }
    };
    let photo = |token: &str| {
        let (e, t) = (&e, token.to_string());
        async move {
            let (s, v) = e.upload(&t, "现场.png", PNG.to_vec()).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            v["id"].as_i64().unwrap()
        }
    };
    let ok = |r: (StatusCode, Value), state: &str| {
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
        assert_eq!(r.1["state"], state, "{}", r.1);
        r.1
    };

    // 核实 needs a photo; a grid worker may not register.
    let r = act(
        &grid,
        id,
        json!({"action": "verify_report", "note": "属实"}),
    )
    .await;
    assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
    let r = act(&grid, id, json!({"action": "register"})).await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    e.clock.advance(Duration::minutes(20)); // 09:30
    let before = photo(&grid).await;
    ok(
        act(
            &grid,
            id,
            json!({"action": "verify_report", "note": "现场属实", "attachment_ids": [before]}),
        )
        .await,
        "verified_report",
    );
    e.clock.advance(Duration::minutes(10)); // 09:40
    let v = ok(
        act(&disp, id, json!({"action": "register"})).await,
        "registered",
    );
    // 派遣 1 (to 10:40) + 处置 4 (10:40–12:00, 14:00–16:40) + 核查 1 (16:40–17:30, 08:30–08:40).
    assert_eq!(time(&v["overall_due_at"]), at("2021-09-30 08:40"));
    assert_eq!(time(&v["stage_due_at"]), at("2021-09-29 10:40"));
    assert!(!v["registered_at"].is_null());

    // Dispatch: the suggestion is the subclass's owning department; a 派遣 without one goes
    // there; an unknown department is refused.
    let (s, sug) = e
        .call(
            "GET",
            &disp,
            &format!("/api/v1/urban/cases/{id}/suggestion"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{sug}");
    assert_eq!(sug["department"]["id"].as_i64(), Some(e.dept));
    assert_eq!(sug["subclass"]["name"], "暴露垃圾");
    let r = act(
        &disp,
        id,
        json!({"action": "dispatch", "department_id": 999_999}),
    )
    .await;
    assert_eq!(
        (r.0, err_field(&r.1)),
        (StatusCode::UNPROCESSABLE_ENTITY, "department_id")
    );
    e.clock.advance(Duration::minutes(20)); // 10:00
    let v = ok(
        act(&disp, id, json!({"action": "dispatch"})).await,
        "dispatched",
    );
    assert_eq!(v["department_id"].as_i64(), Some(e.dept));
    // 处置 4 工作时 from 派遣: 10:00–12:00, 14:00–16:00.
    assert_eq!(time(&v["stage_due_at"]), at("2021-09-29 16:00"));

    // 退单 with a reason, re-dispatched by choice, signed (the 处置 clock keeps running).
    let r = act(&hand, id, json!({"action": "return"})).await;
    assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY);
    let v = ok(
        act(
            &hand,
            id,
            json!({"action": "return", "reason": "不属本单位职责"}),
        )
        .await,
        "returned",
    );
    assert!(v["department_id"].is_null());
    assert_eq!(v["returns"].as_i64(), Some(1));
    e.clock.advance(Duration::minutes(10)); // 10:10
    ok(
        act(
            &disp,
            id,
            json!({"action": "dispatch", "department_id": e.dept}),
        )
        .await,
        "dispatched",
    );
    e.clock.advance(Duration::minutes(20)); // 10:30
    let v = ok(act(&hand, id, json!({"action": "sign"})).await, "handling");
    assert_eq!(time(&v["stage_due_at"]), at("2021-09-29 16:10"));

    // 延期 asked and approved (1 工作日), 挂账 and back, 督办 and 催办.
    let due_before = time(&v["overall_due_at"]);
    ok(
        act(
            &hand,
            id,
            json!({"action": "request_extension", "reason": "需协调环卫车辆", "extension": 1}),
        )
        .await,
        "extension_requested",
    );
    let v = ok(
        act(
            &lead,
            id,
            json!({"action": "approve_extension", "extension": 1}),
        )
        .await,
        "handling",
    );
    assert_eq!(v["extensions"].as_i64(), Some(1));
    assert!(time(&v["overall_due_at"]) > due_before);
    ok(
        act(
            &lead,
            id,
            json!({"action": "park", "reason": "等待清运车辆维修"}),
        )
        .await,
        "parked",
    );
    assert_eq!(case(id).await["paused"], true);
    e.clock.advance(Duration::hours(1));
    ok(
        act(&lead, id, json!({"action": "unpark"})).await,
        "handling",
    );
    let r = act(&disp, id, json!({"action": "supervise", "note": "请加快"})).await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "督办 is the leader's: {}", r.1);
    ok(
        act(
            &lead,
            id,
            json!({"action": "supervise", "note": "请今日办结"}),
        )
        .await,
        "handling",
    );
    ok(
        act(&disp, id, json!({"action": "urge", "note": "请尽快处置"})).await,
        "handling",
    );

    // 处置反馈 with a photo, 返工 after the on-site check, again, 核查, 结案.
    let after1 = photo(&hand).await;
    ok(
        act(
            &hand,
            id,
            json!({"action": "report", "note": "已清运", "attachment_ids": [after1]}),
        )
        .await,
        "handled",
    );
    let v = ok(
        act(
            &grid,
            id,
            json!({"action": "rework", "reason": "仍有残留垃圾"}),
        )
        .await,
        "handling",
    );
    assert_eq!(v["reworks"].as_i64(), Some(1));
    let after2 = photo(&hand).await;
    ok(
        act(
            &hand,
            id,
            json!({"action": "report", "note": "已彻底清理", "attachment_ids": [after2]}),
        )
        .await,
        "handled",
    );
    let checked = photo(&grid).await;
    ok(
        act(
            &grid,
            id,
            json!({"action": "check", "note": "核查通过", "attachment_ids": [checked]}),
        )
        .await,
        "checked",
    );
    let v = ok(act(&disp, id, json!({"action": "close"})).await, "closed");
    assert!(!v["closed_at"].is_null());

    // The photos: before (核实) and after (处置反馈 ×2, 核查).
    let (_, atts) = e
        .call(
            "GET",
            &disp,
            &format!("/api/v1/cases/{id}/attachments"),
            None,
        )
        .await;
    let mut seen: Vec<(i64, String, String)> = atts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_i64().unwrap(),
                a["step"].as_str().unwrap_or("").to_string(),
                a["evidence"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    seen.sort();
    let s = |x: &str| x.to_string();
    assert_eq!(
        seen,
        vec![
            (before, s("verify_report"), s("before")),
            (after1, s("report"), s("after")),
            (after2, s("report"), s("after")),
            (checked, s("check"), s("after")),
        ]
    );
    // The timeline: 派遣 by suggestion recorded, 督办 and 催办 as escalations.
    let (_, tl) = e
        .call("GET", &disp, &format!("/api/v1/cases/{id}/timeline"), None)
        .await;
    let tl = tl.as_array().unwrap();
    assert!(
        tl.iter()
            .any(|ev| ev["data"]["action"] == "dispatch"
                && ev["data"]["department_suggested"] == true)
    );
    let urged: Vec<&str> = tl
        .iter()
        .filter(|ev| ev["kind"] == "urged")
        .map(|ev| ev["data"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(urged, ["supervise", "urge"]);

    // A grid worker's patrol finding with a photo, fixed on the spot (自行处置, closes).
    let p = photo(&grid).await;
    let mut patrol = report("grid_patrol", "巡查发现路边少量暴露垃圾");
    patrol["attachment_ids"] = json!([p]);
    let (s, b) = e.call("POST", &grid, "/api/v1/cases", Some(patrol)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let b = b["id"].as_i64().unwrap();
    let fixed = photo(&grid).await;
    let v = ok(
        act(
            &grid,
            b,
            json!({"action": "self_handle", "note": "已当场清理", "attachment_ids": [fixed]}),
        )
        .await,
        "self_handled",
    );
    assert!(!v["closed_at"].is_null());

    // Verified but not registered (不予立案, reason required).
    let (_, c) = e
        .call("POST", &disp, "/api/v1/cases", Some(report("web", "垃圾")))
        .await;
    let c = c["id"].as_i64().unwrap();
    let ph = photo(&grid).await;
    ok(
        act(
            &grid,
            c,
            json!({"action": "verify_report", "note": "现场无垃圾", "attachment_ids": [ph]}),
        )
        .await,
        "verified_report",
    );
    let r = act(&disp, c, json!({"action": "reject"})).await;
    assert_eq!(
        (r.0, err_field(&r.1)),
        (StatusCode::UNPROCESSABLE_ENTITY, "reason")
    );
    ok(
        act(
            &disp,
            c,
            json!({"action": "reject", "reason": "核实不属实"}),
        )
        .await,
        "rejected",
    );

    // Registered at once, extension refused, then cancelled.
    let (_, d) = e
        .call(
            "POST",
            &disp,
            "/api/v1/cases",
            Some(report("video_patrol", "视频巡查发现暴露垃圾")),
        )
        .await;
    let d = d["id"].as_i64().unwrap();
    ok(
        act(&disp, d, json!({"action": "register"})).await,
        "registered",
    );
    ok(
        act(
            &disp,
            d,
            json!({"action": "dispatch", "department_id": e.dept}),
        )
        .await,
        "dispatched",
    );
    ok(act(&hand, d, json!({"action": "sign"})).await, "handling");
    ok(
        act(
            &hand,
            d,
            json!({"action": "request_extension", "reason": "量大", "extension": 3}),
        )
        .await,
        "extension_requested",
    );
    ok(
        act(
            &lead,
            d,
            json!({"action": "reject_extension", "reason": "不符合延期条件"}),
        )
        .await,
        "handling",
    );
    assert_eq!(case(d).await["extensions"].as_i64(), Some(0));
    ok(
        act(&disp, d, json!({"action": "cancel", "reason": "重复立案"})).await,
        "cancelled",
    );

    // The merged reporter sees the first case's outcome.
    let r = e
        .http
        .get(format!("{}/open311/v2/requests/{dup_no}.json", e.base))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["status"], "closed", "{v}");
    assert_eq!(
        v[0]["status_notes"],
        format!("已并入 {a_no}：已结案").as_str()
    );
    let page = e
        .http
        .get(format!("{}/track?no={dup_no}", e.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("已合并") && page.contains(&format!("（{a_no}）已结案")),
        "{page}"
    );

    // The assessment (综合评价) of these four reports (the merged duplicate counted once, in
    // its case), by department, ranked.
    let (s, rep) = e
        .call(
            "GET",
            &lead,
            "/api/v1/indicators?kind=urban&from=2021-09-01&to=2021-10-01&group_by=department&rank_by=on_time_handling_rate",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rep}");
    let t = &rep["total"]["display"];
    let expect = [
        ("received", "4"),
        ("registered", "2"),
        ("register_rate", "50.00%"),
        ("dispatched", "2"),
        ("accurate_dispatch_rate", "50.00%"),
        ("handled", "1"),
        ("handled_on_time", "1"),
        ("on_time_handling_rate", "100.00%"),
        ("reworked", "1"),
        ("rework_rate", "100.00%"),
        ("parked", "1"),
        ("self_handled", "1"),
        ("closed", "1"),
        ("concluded", "4"),
        ("pending", "0"),
        ("handled_rate", "100.00%"),
        // First 派遣 10:00, last 处置反馈 11:30.
        ("avg_handle_hours", "1.5小时"),
    ];
    for (id, v) in expect {
        assert_eq!(t[id], v, "{id}: {t}");
    }
    let rows = rep["rows"].as_array().unwrap();
    assert_eq!(rows[0]["label"], "城管分局");
    assert_eq!(rows[0]["rank"], 1);
    let (s, v) = e
        .call(
            "GET",
            &lead,
            "/api/v1/indicators?kind=urban&rank_by=nothing",
            None,
        )
        .await;
    assert_eq!(
        (s, err_field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "rank_by")
    );
}

#[tokio::test]
async fn urban_on_sqlite() {
    urban_flow(sqlite_env().await).await;
}

#[tokio::test]
async fn urban_on_postgres() {
    if let Some(e) = pg_env("urban").await {
        urban_flow(e).await;
    }
}
