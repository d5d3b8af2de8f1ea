//! The conformance suite: the same tests run against every backend (feature `conformance`).
//! Each test takes a fresh, empty store.

use chrono::{Duration, NaiveDateTime};
use zhili_domain::builtin;
use zhili_domain::case::{CaseClocks, Channel, Priority};
use zhili_domain::clock::{ClockStatus, Deadlines, OfficeHours, from_local};
use zhili_domain::indicators::Measure;
use zhili_domain::org::{NodeKind, Role};

use crate::*;

fn at(s: &str) -> Timestamp {
    from_local(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test time"))
}

/// The names of every test, for the backends' test files.
pub const TESTS: &[&str] = &[
    "org_and_users",
    "tokens",
    "case_lifecycle",
    "list_filters_and_visibility",
    "deadline_scan",
    "counts",
    "audit_chain",
    "concurrent_creation",
    "details_and_repeats",
];

pub async fn run<S: Store>(name: &str, s: S) {
    match name {
        "org_and_users" => org_and_users(s).await,
        "tokens" => tokens(s).await,
        "case_lifecycle" => case_lifecycle(s).await,
        "list_filters_and_visibility" => list_filters_and_visibility(s).await,
        "deadline_scan" => deadline_scan(s).await,
        "counts" => counts(s).await,
        "audit_chain" => audit_chain(s).await,
        "concurrent_creation" => concurrent_creation(s).await,
        "details_and_repeats" => details_and_repeats(s).await,
        other => panic!("no conformance test {other}"),
    }
}

struct Town {
    town: NodeRow,
    v1: NodeRow,
    v2: NodeRow,
    dept: DepartmentRow,
    dispatcher: UserRow,
}

async fn town<S: Store>(s: &S) -> Town {
    let t0 = at("2021-01-01 08:00");
    let node = |parent: Option<i64>, kind, code: &str, name: &str| NewNode {
        parent_id: parent,
        kind,
        code: code.into(),
        name: name.into(),
        geometry: None,
        synthetic: true,
        at: t0,
    };
    let town = s
        .create_node(node(None, NodeKind::Town, "441900115", "清溪镇"))
        .await
        .unwrap();
    let v1 = s
        .create_node(node(
            Some(town.id),
            NodeKind::Village,
            "441900115200",
            "罗马村",
        ))
        .await
        .unwrap();
    let v2 = s
        .create_node(node(
            Some(town.id),
            NodeKind::Village,
            "441900115201",
            "长山头村",
        ))
        .await
        .unwrap();
    let dept = s
        .create_department(town.id, "cgj", "城市管理和综合执法局", t0)
        .await
        .unwrap();
    let dispatcher = s
        .create_user(
            NewUser {
                username: "disp".into(),
                display_name: "派遣员".into(),
                password_hash: "x".into(),
            },
            None,
            t0,
        )
        .await
        .unwrap();
    s.add_grant(
        dispatcher.id,
        Role::Dispatcher,
        Some(town.id),
        None,
        None,
        t0,
    )
    .await
    .unwrap();
    Town {
        town,
        v1,
        v2,
        dept,
        dispatcher,
    }
}

/// A town with one case titled `title`, for a backend's own tests.
pub async fn town_with_case<S: Store>(s: &S, title: &str) -> CaseRow {
    let t = town(s).await;
    s.create_case(new_case(
        t.v1.id,
        t.dispatcher.id,
        at("2021-06-01 09:00"),
        title,
    ))
    .await
    .unwrap()
    .case
}

fn new_case(node_id: i64, by: i64, when: Timestamp, title: &str) -> NewCase {
    let cal = builtin::calendar();
    let oh = OfficeHours::default();
    let dl = Deadlines::new(&cal, &oh);
    let wfs = builtin::workflows();
    let wf = wfs.for_kind("general").unwrap();
    NewCase {
        kind: "general".into(),
        category: Some("环境卫生".into()),
        channel: Channel::Hotline,
        priority: Priority::Normal,
        state: wf.initial.clone(),
        title: title.into(),
        content: format!("{title}，请尽快处理"),
        address: Some("清溪镇香芒东路".into()),
        lat: Some(22.83),
        lon: Some(114.17),
        node_id,
        department_id: None,
        created_by: Some(by),
        at: when,
        registered: true,
        clocks: CaseClocks::start(wf, when, &dl),
        parties: vec![NewParty {
            role: "complainant".into(),
            name_enc: "enc:name".into(),
            name_masked: "张*".into(),
            id_number_enc: None,
            id_number_masked: None,
            phone_enc: Some("enc:phone".into()),
            phone_masked: Some("138****5678".into()),
            address_enc: None,
            address_masked: None,
            person_key: Some("key-of-zhang".into()),
        }],
        attachment_ids: vec![],
        event_data: serde_json::json!({"title": title}),
        details: None,
        repeat_of: None,
        related_to: None,
    }
}

/// Module fields kept as JSON, the blind index of persons, and repeats linked at creation.
async fn details_and_repeats<S: Store>(s: S) {
    let t = town(&s).await;
    let t0 = at("2021-05-10 09:00");
    let first = s
        .create_case(NewCase {
            details: Some(serde_json::json!({"group_size": 3})),
            ..new_case(t.v1.id, t.dispatcher.id, t0, "拖欠工资")
        })
        .await
        .unwrap()
        .case;
    assert_eq!(first.details["group_size"], 3);
    assert_eq!(first.repeat_of, None);
    let plain = s
        .create_case(new_case(t.v1.id, t.dispatcher.id, t0, "路灯"))
        .await
        .unwrap()
        .case;
    assert!(plain.details.is_null());
    let again = s
        .create_case(NewCase {
            repeat_of: Some(first.id),
            ..new_case(
                t.v1.id,
                t.dispatcher.id,
                t0 + Duration::days(3),
                "再次反映拖欠工资",
            )
        })
        .await
        .unwrap()
        .case;
    assert_eq!(again.repeat_of, Some(first.id));
    let links = s.links(again.id).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(
        (links[0].kind.as_str(), links[0].other_case_id),
        ("repeat_of", first.id)
    );
    assert!(s.links(first.id).await.unwrap()[0].incoming);
    // A repeat of a case that does not exist is refused and writes nothing.
    let n = s.case_count().await.unwrap();
    let bad = s
        .create_case(NewCase {
            repeat_of: Some(999_999),
            ..new_case(t.v1.id, t.dispatcher.id, t0, "无")
        })
        .await;
    assert!(bad.is_err(), "{bad:?}");
    assert_eq!(s.case_count().await.unwrap(), n);
    // A case made from another (转自) is linked to it in the same commit; to none, refused whole.
    let risk = s
        .create_case(NewCase {
            related_to: Some(first.id),
            ..new_case(t.v1.id, t.dispatcher.id, t0, "欠薪风险")
        })
        .await
        .unwrap()
        .case;
    let links = s.links(risk.id).await.unwrap();
    assert_eq!(
        (links.len(), links[0].kind.as_str(), links[0].other_case_id),
        (1, "related", first.id)
    );
    let bad = s
        .create_case(NewCase {
            related_to: Some(999_999),
            ..new_case(t.v1.id, t.dispatcher.id, t0, "无")
        })
        .await;
    assert!(bad.is_err(), "{bad:?}");
    assert_eq!(s.case_count().await.unwrap(), n + 1);

    // The same person's cases of a kind, newest first.
    let mine = s.person_cases("general", "key-of-zhang").await.unwrap();
    assert_eq!(
        mine.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![risk.id, again.id, plain.id, first.id]
    );
    assert!(
        s.person_cases("general", "nobody")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.person_cases("urban", "key-of-zhang")
            .await
            .unwrap()
            .is_empty()
    );

    // Details change with their event in one commit; a stale version writes nothing.
    let ev = |at| NewEvent {
        kind: "rated".into(),
        actor_id: None,
        at,
        data: serde_json::json!({"rating": "satisfied"}),
    };
    let rated = s
        .set_details(
            first.id,
            first.version,
            serde_json::json!({"group_size": 3, "rating": "satisfied"}),
            CaseMarks {
                lead_id: Some(t.dispatcher.id),
                lead_due_at: Some(t0 + Duration::days(30)),
                ledger_due_at: Some(t0 + Duration::days(20)),
                ..Default::default()
            },
            ev(t0 + Duration::days(9)),
        )
        .await
        .unwrap();
    assert_eq!(rated.details["rating"], "satisfied");
    assert_eq!(rated.version, first.version + 1);
    assert_eq!(rated.lead_id, Some(t.dispatcher.id));
    assert_eq!(rated.ledger_due_at, Some(t0 + Duration::days(20)));
    // Lists by the leader in charge and by the ledger.
    let all = CaseFilter {
        visibility: Visibility {
            all: true,
            ..Default::default()
        },
        limit: 50,
        ..Default::default()
    };
    let led = s
        .list_cases(&CaseFilter {
            lead_id: Some(t.dispatcher.id),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(led.iter().map(|c| c.id).collect::<Vec<_>>(), vec![first.id]);
    let listed = CaseFilter {
        listed: Some(true),
        ..all.clone()
    };
    assert_eq!(s.count_cases(&listed).await.unwrap(), 1);
    assert_eq!(
        s.count_cases(&CaseFilter {
            listed: Some(false),
            ..all.clone()
        })
        .await
        .unwrap(),
        3,
        "the plain case, the repeat and the risk made from it"
    );
    let stale = s
        .set_details(
            first.id,
            first.version,
            serde_json::json!({}),
            CaseMarks::default(),
            ev(t0 + Duration::days(10)),
        )
        .await;
    assert!(matches!(stale, Err(DbError::Stale)), "{stale:?}");
    let tl = s.timeline(first.id).await.unwrap();
    assert_eq!(tl.iter().filter(|e| e.kind == "rated").count(), 1);
    assert_eq!(
        s.get_case(first.id).await.unwrap().details["rating"],
        "satisfied"
    );

    // A transition's details replace the old ones; without details they stay.
    let mut change = CaseChange {
        case_id: first.id,
        expected_version: rated.version,
        state: "dispatched".into(),
        department_id: Some(t.dept.id),
        handler_id: None,
        clocks: first.clocks.clone(),
        registered: true,
        closed: false,
        ended: false,
        rework: false,
        returned: false,
        merged_into: None,
        details: None,
        attachment_ids: vec![],
        event: ev(t0 + Duration::days(11)),
    };
    let c = s.apply_change(change.clone()).await.unwrap();
    assert_eq!(c.details["rating"], "satisfied");
    change.expected_version = c.version;
    change.details = Some(serde_json::json!({"decision": "support"}));
    let c = s.apply_change(change).await.unwrap();
    assert_eq!(c.details, serde_json::json!({"decision": "support"}));
    assert!(verify_chain(&s, 50).await.unwrap().is_ok());
}

async fn org_and_users<S: Store>(s: S) {
    let t = town(&s).await;
    assert_eq!(t.v1.path, format!("/{}/{}/", t.town.id, t.v1.id));
    assert_eq!(t.v1.kind, NodeKind::Village);
    let nodes = s.list_nodes().await.unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes[0].id, t.town.id, "ordered by path");
    // Codes are unique.
    let dup = s
        .create_node(NewNode {
            parent_id: Some(t.town.id),
            kind: NodeKind::Village,
            code: "441900115200".into(),
            name: "重复".into(),
            geometry: None,
            synthetic: false,
            at: at("2021-01-01 09:00"),
        })
        .await;
    assert!(matches!(dup, Err(DbError::Conflict { .. })), "{dup:?}");
    let bad_parent = s
        .create_node(NewNode {
            parent_id: Some(9999),
            kind: NodeKind::Village,
            code: "x".into(),
            name: "x".into(),
            geometry: None,
            synthetic: false,
            at: at("2021-01-01 09:00"),
        })
        .await;
    assert!(matches!(
        bad_parent,
        Err(DbError::BadReference { field: "parent_id" })
    ));
    // Users: unique names, grants with paths, disable.
    let dup = s
        .create_user(
            NewUser {
                username: "disp".into(),
                display_name: "又一个".into(),
                password_hash: "y".into(),
            },
            None,
            at("2021-01-01 09:00"),
        )
        .await;
    assert!(matches!(dup, Err(DbError::Conflict { what: "username" })));
    let g = s.user_grants(t.dispatcher.id).await.unwrap();
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].node_path.as_deref(), Some(t.town.path.as_str()));
    let hg = s
        .add_grant(
            t.dispatcher.id,
            Role::Handler,
            None,
            Some(t.dept.id),
            None,
            at("2021-01-01 09:00"),
        )
        .await
        .unwrap();
    assert_eq!(hg.department_id, Some(t.dept.id));
    s.set_user_disabled(t.dispatcher.id, true, None, at("2021-01-02 09:00"))
        .await
        .unwrap();
    assert!(s.get_user(t.dispatcher.id).await.unwrap().disabled);
    assert!(matches!(
        s.get_user(424242).await,
        Err(DbError::NotFound(_))
    ));
    assert_eq!(s.list_departments().await.unwrap().len(), 1);
}

async fn tokens<S: Store>(s: S) {
    let t = town(&s).await;
    let now = at("2021-03-01 10:00");
    let tok = s
        .create_token(
            t.dispatcher.id,
            TokenKind::Api,
            "hash1",
            "integration",
            now,
            None,
        )
        .await
        .unwrap();
    let found = s.find_token("hash1", now).await.unwrap().unwrap();
    assert_eq!(found.user.id, t.dispatcher.id);
    assert_eq!(found.token.user_id, t.dispatcher.id);
    // The user's grants come with the token.
    assert_eq!(found.grants.len(), 1);
    assert_eq!(found.grants[0].role, Role::Dispatcher);
    assert_eq!(found.grants[0].node_id, Some(t.town.id));
    assert!(s.find_token("nope", now).await.unwrap().is_none());
    // Expired sessions are not found.
    s.create_token(
        t.dispatcher.id,
        TokenKind::Session,
        "hash2",
        "web",
        now,
        Some(now + Duration::hours(1)),
    )
    .await
    .unwrap();
    assert!(s.find_token("hash2", now).await.unwrap().is_some());
    assert!(
        s.find_token("hash2", now + Duration::hours(2))
            .await
            .unwrap()
            .is_none()
    );
    // Revoked tokens are not found; API tokens are listed.
    assert_eq!(s.list_tokens(t.dispatcher.id).await.unwrap().len(), 1);
    s.revoke_token(tok.id, now).await.unwrap();
    assert!(s.find_token("hash1", now).await.unwrap().is_none());
    // A disabled user's tokens stop working.
    s.create_token(t.dispatcher.id, TokenKind::Api, "hash3", "x", now, None)
        .await
        .unwrap();
    s.set_user_disabled(t.dispatcher.id, true, None, now)
        .await
        .unwrap();
    assert!(s.find_token("hash3", now).await.unwrap().is_none());
}

async fn case_lifecycle<S: Store>(s: S) {
    let t = town(&s).await;
    let t0 = at("2021-09-29 16:00");
    let c = s
        .create_case(new_case(t.v1.id, t.dispatcher.id, t0, "垃圾堆放"))
        .await
        .unwrap()
        .case;
    assert_eq!(c.case_no, format!("2021GE{:07}", c.id));
    assert_eq!(c.node_path, t.v1.path);
    assert_eq!(c.village_id, Some(t.v1.id));
    assert_eq!(c.state, "registered");
    assert_eq!(c.version, 1);
    assert_eq!(s.case_by_no(&c.case_no).await.unwrap().id, c.id);
    let parties = s.parties(c.id).await.unwrap();
    assert_eq!(parties[0].name_masked, "张*");
    assert_eq!(parties[0].phone_enc.as_deref(), Some("enc:phone"));

    // A transition with the right version applies; a stale one is refused and writes nothing.
    let change = |version, state: &str| CaseChange {
        case_id: c.id,
        expected_version: version,
        state: state.into(),
        department_id: Some(t.dept.id),
        handler_id: None,
        clocks: c.clocks.clone(),
        registered: true,
        closed: false,
        ended: false,
        rework: false,
        returned: false,
        merged_into: None,
        details: None,
        attachment_ids: vec![],
        event: NewEvent {
            kind: "transition".into(),
            actor_id: Some(t.dispatcher.id),
            at: t0 + Duration::hours(1),
            data: serde_json::json!({"action": "dispatch"}),
        },
    };
    let c2 = s.apply_change(change(1, "dispatched")).await.unwrap();
    assert_eq!((c2.state.as_str(), c2.version), ("dispatched", 2));
    assert_eq!(c2.department_id, Some(t.dept.id));
    let stale = s.apply_change(change(1, "handling")).await;
    assert!(matches!(stale, Err(DbError::Stale)), "{stale:?}");
    assert_eq!(s.get_case(c.id).await.unwrap().state, "dispatched");
    let mut missing = change(2, "handling");
    missing.case_id = 999_999;
    assert!(matches!(
        s.apply_change(missing).await,
        Err(DbError::NotFound(_))
    ));
    // A bad attachment reference rolls the whole change back.
    let mut bad = change(2, "handling");
    bad.attachment_ids = vec![777];
    assert!(matches!(
        s.apply_change(bad).await,
        Err(DbError::BadReference {
            field: "attachment_ids"
        })
    ));
    let after = s.get_case(c.id).await.unwrap();
    assert_eq!((after.state.as_str(), after.version), ("dispatched", 2));

    // Attachments link to the case; comments write events.
    let a = s
        .add_attachment(NewAttachment {
            sha256: "ab".repeat(32),
            size: 10,
            mime: "image/png".into(),
            filename: "现场.png".into(),
            uploaded_by: t.dispatcher.id,
            at: t0,
        })
        .await
        .unwrap();
    let mut with_file = change(2, "handling");
    with_file.attachment_ids = vec![a.id];
    with_file.handler_id = Some(t.dispatcher.id);
    let c3 = s.apply_change(with_file).await.unwrap();
    assert_eq!(c3.version, 3);
    // Lists by the person handling it.
    let by_handler = |h| CaseFilter {
        visibility: Visibility {
            all: true,
            ..Default::default()
        },
        handler_id: Some(h),
        limit: 10,
        ..Default::default()
    };
    let mine = s.list_cases(&by_handler(t.dispatcher.id)).await.unwrap();
    assert_eq!(mine.iter().map(|c| c.id).collect::<Vec<_>>(), vec![c.id]);
    assert_eq!(
        s.count_cases(&by_handler(t.dispatcher.id + 1000))
            .await
            .unwrap(),
        0
    );
    assert_eq!(s.attachments(c.id).await.unwrap().len(), 1);
    let cm = s
        .add_comment(
            c.id,
            t.dispatcher.id,
            "已联系当事人",
            t0 + Duration::hours(3),
        )
        .await
        .unwrap();
    assert_eq!(cm.author_name, "派遣员");
    assert_eq!(s.comments(c.id).await.unwrap().len(), 1);
    let tl = s.timeline(c.id).await.unwrap();
    let kinds: Vec<_> = tl.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["created", "transition", "transition", "comment"]);
    // Links: written to both timelines, listed from both sides, unique, never to itself.
    let other = s
        .create_case(new_case(t.v2.id, t.dispatcher.id, t0, "同一处垃圾"))
        .await
        .unwrap()
        .case;
    let l = s
        .add_link(other.id, c.id, "duplicate_of", Some(t.dispatcher.id), t0)
        .await
        .unwrap();
    assert_eq!(l.other_case_no, c.case_no);
    let from_c = s.links(c.id).await.unwrap();
    assert_eq!(
        (from_c.len(), from_c[0].other_case_id, from_c[0].incoming),
        (1, other.id, true)
    );
    assert!(!s.links(other.id).await.unwrap()[0].incoming);
    assert!(matches!(
        s.add_link(other.id, c.id, "duplicate_of", None, t0).await,
        Err(DbError::Conflict { .. })
    ));
    assert!(matches!(
        s.add_link(c.id, c.id, "related", None, t0).await,
        Err(DbError::BadReference { .. })
    ));
    assert!(matches!(
        s.add_link(c.id, 999_999, "related", None, t0).await,
        Err(DbError::BadReference { .. })
    ));
    assert_eq!(
        s.timeline(other.id).await.unwrap().last().unwrap().kind,
        "linked"
    );
    assert_eq!(tl[0].data["case_no"], serde_json::json!(c.case_no));
    assert_eq!(tl[1].actor_name.as_deref(), Some("派遣员"));
    assert_eq!(
        s.get_case(c.id).await.unwrap().version,
        3,
        "a comment does not change the case"
    );

    // Closing sets closed_at, ended_at and on-time.
    let mut clocks = c3.clocks.clone();
    clocks.finished_at = Some(t0 + Duration::hours(5));
    let closing = CaseChange {
        clocks,
        closed: true,
        ended: true,
        ..change(3, "closed")
    };
    let closed = s.apply_change(closing).await.unwrap();
    assert!(closed.closed_at.is_some() && closed.ended_at.is_some());
}

async fn list_filters_and_visibility<S: Store>(s: S) {
    let t = town(&s).await;
    let base = at("2021-05-10 09:00");
    let mut ids = vec![];
    for i in 0..30 {
        let node = if i % 3 == 0 { t.v2.id } else { t.v1.id };
        let title = if i % 5 == 0 {
            "占道经营"
        } else {
            "噪音扰民"
        };
        let c = s
            .create_case(new_case(
                node,
                t.dispatcher.id,
                base + Duration::hours(i),
                title,
            ))
            .await
            .unwrap()
            .case;
        ids.push(c.id);
    }
    let all = CaseFilter {
        visibility: Visibility {
            all: true,
            ..Default::default()
        },
        limit: 100,
        ..Default::default()
    };
    assert_eq!(s.list_cases(&all).await.unwrap().len(), 30);
    // Cursor pagination: newest first, no overlap.
    let p1 = s
        .list_cases(&CaseFilter {
            limit: 12,
            ..all.clone()
        })
        .await
        .unwrap();
    let p2 = s
        .list_cases(&CaseFilter {
            limit: 12,
            before: parse_cursor(&p1.last().unwrap().cursor()),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(p1[0].id, *ids.last().unwrap());
    assert!(p2[0].id < p1[11].id);
    // Visibility by subtree.
    let v2_only = CaseFilter {
        visibility: Visibility {
            all: false,
            node_paths: vec![t.v2.path.clone()],
            department_ids: vec![],
        },
        limit: 100,
        ..Default::default()
    };
    assert_eq!(s.list_cases(&v2_only).await.unwrap().len(), 10);
    let nothing = CaseFilter {
        visibility: Visibility::default(),
        limit: 100,
        ..Default::default()
    };
    assert!(s.list_cases(&nothing).await.unwrap().is_empty());
    // States per kind: a state of the same name in another kind does not match.
    let by_kind = |pairs: Vec<(&str, Vec<&str>)>| CaseFilter {
        kind_states: Some(
            pairs
                .into_iter()
                .map(|(k, st)| (k.to_string(), st.into_iter().map(String::from).collect()))
                .collect(),
        ),
        ..all.clone()
    };
    assert_eq!(
        s.count_cases(&by_kind(vec![("general", vec!["registered"])]))
            .await
            .unwrap(),
        30
    );
    assert_eq!(
        s.count_cases(&by_kind(vec![
            ("urban", vec!["registered"]),
            ("general", vec!["closed"])
        ]))
        .await
        .unwrap(),
        0
    );
    assert_eq!(s.count_cases(&by_kind(vec![])).await.unwrap(), 0);
    // Text (with LIKE wildcards escaped), node, date range, state.
    let text = CaseFilter {
        text: Some("占道".into()),
        ..all.clone()
    };
    assert_eq!(s.list_cases(&text).await.unwrap().len(), 6);
    let wild = CaseFilter {
        text: Some("%".into()),
        ..all.clone()
    };
    assert!(s.list_cases(&wild).await.unwrap().is_empty());
    let node = CaseFilter {
        node_path: Some(t.v1.path.clone()),
        ..all.clone()
    };
    assert_eq!(s.list_cases(&node).await.unwrap().len(), 20);
    let range = CaseFilter {
        created_from: Some(base + Duration::hours(10)),
        created_to: Some(base + Duration::hours(20)),
        ..all.clone()
    };
    assert_eq!(s.list_cases(&range).await.unwrap().len(), 10);
    let state = CaseFilter {
        state: Some("closed".into()),
        ..all.clone()
    };
    assert!(s.list_cases(&state).await.unwrap().is_empty());
    let cat = CaseFilter {
        category: Some("环境卫生".into()),
        kind: Some("general".into()),
        ..all.clone()
    };
    assert_eq!(s.list_cases(&cat).await.unwrap().len(), 30);
    let open = CaseFilter {
        open: Some(true),
        overdue: Some(false),
        ..all.clone()
    };
    assert_eq!(s.list_cases(&open).await.unwrap().len(), 30);
    // Full-text search: segmented words, every word required, words inside longer words,
    // Latin case-insensitively, and case numbers by their beginning.
    let mut special = new_case(
        t.v1.id,
        t.dispatcher.id,
        base + Duration::hours(40),
        "香芒东路窨井盖缺失",
    );
    special.content = "行人夜间易踩空，WiFi 杆旁".into();
    let special = s.create_case(special).await.unwrap().case;
    let find = |q: &str| {
        let f = CaseFilter {
            text: Some(q.into()),
            ..all.clone()
        };
        let s = s.clone();
        async move {
            s.list_cases(&f)
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find("井盖").await, vec![special.id]);
    assert_eq!(find("井盖 缺失").await, vec![special.id]);
    assert_eq!(find("wifi").await, vec![special.id]);
    assert_eq!(find("香芒东路 踩空").await, vec![special.id]);
    assert!(find("井盖 噪音").await.is_empty(), "every word is required");
    assert_eq!(find("噪音扰民").await.len(), 24);
    // Pages of a word search follow each other without gaps or repeats, newest first.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = s
            .list_cases(&CaseFilter {
                text: Some("噪音".into()),
                limit: 10,
                before,
                ..all.clone()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        before = parse_cursor(&page.last().unwrap().cursor());
        seen.extend(page.iter().map(|c| c.id));
    }
    assert_eq!(seen.len(), 24);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "{seen:?}");
    let count = s
        .count_cases(&CaseFilter {
            text: Some("噪音".into()),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(count, 24);
    assert_eq!(find(&special.case_no).await, vec![special.id]);
    assert_eq!(
        find(&special.case_no[..6].to_ascii_lowercase()).await.len(),
        31,
        "a case-number prefix finds every case with it"
    );
}

async fn deadline_scan<S: Store>(s: S) {
    let t = town(&s).await;
    let t0 = at("2021-09-29 16:00");
    let c = s
        .create_case(new_case(t.v1.id, t.dispatcher.id, t0, "井盖缺失"))
        .await
        .unwrap()
        .case;
    let decide = |now: Timestamp| {
        move |row: &CaseRow| {
            let mut clocks = row.clocks.clone();
            let changes = clocks.refresh(now);
            Some(ClockUpdate {
                events: changes
                    .iter()
                    .map(|ch| NewEvent {
                        kind: "clock".into(),
                        actor_id: None,
                        at: now,
                        data: serde_json::to_value(ch).unwrap(),
                    })
                    .collect(),
                clocks,
            })
        }
    };
    // Nothing is due yet.
    assert_eq!(s.scan_deadlines(t0, 100, decide(t0)).await.unwrap(), 0);
    let later = at("2021-09-30 09:05");
    assert_eq!(s.count_due(t0).await.unwrap(), 0);
    assert_eq!(s.count_due(later).await.unwrap(), 1);
    assert_eq!(
        s.scan_deadlines(later, 100, decide(later)).await.unwrap(),
        1
    );
    let row = s.get_case(c.id).await.unwrap();
    assert_eq!(row.clocks.status(), ClockStatus::Overdue);
    let overdue = CaseFilter {
        visibility: Visibility {
            all: true,
            ..Default::default()
        },
        overdue: Some(true),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.list_cases(&overdue).await.unwrap().len(), 1);
    let by_status = CaseFilter {
        overdue: None,
        clock_status: Some("overdue".into()),
        ..overdue.clone()
    };
    assert_eq!(s.count_cases(&by_status).await.unwrap(), 1);
    let warning = CaseFilter {
        clock_status: Some("warning".into()),
        ..by_status
    };
    assert_eq!(s.count_cases(&warning).await.unwrap(), 0);
    // Idempotent: the next scan at the same time finds nothing more to do.
    assert_eq!(
        s.scan_deadlines(later, 100, decide(later)).await.unwrap(),
        0
    );
    let events = s.timeline(c.id).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "clock").count(), 1);
}

async fn counts<S: Store>(s: S) {
    let t = town(&s).await;
    let t0 = at("2021-06-01 09:00");
    for i in 0..4 {
        let c = s
            .create_case(new_case(
                if i < 3 { t.v1.id } else { t.v2.id },
                t.dispatcher.id,
                t0 + Duration::days(i),
                "x",
            ))
            .await
            .unwrap()
            .case;
        if i < 2 {
            let mut clocks = c.clocks.clone();
            // The first is closed in time, the second after its overall deadline.
            let close_at = if i == 0 {
                t0 + Duration::days(1)
            } else {
                t0 + Duration::days(40)
            };
            clocks.finished_at = Some(close_at);
            s.apply_change(CaseChange {
                case_id: c.id,
                expected_version: 1,
                state: "closed".into(),
                department_id: Some(t.dept.id),
                handler_id: None,
                clocks,
                registered: true,
                closed: true,
                ended: true,
                rework: false,
                returned: false,
                merged_into: None,
                details: None,
                attachment_ids: vec![],
                event: NewEvent {
                    kind: "transition".into(),
                    actor_id: None,
                    at: close_at,
                    data: serde_json::json!({}),
                },
            })
            .await
            .unwrap();
        }
    }
    let q = CountQuery {
        from: at("2021-06-01 00:00"),
        to: at("2021-07-01 00:00"),
        as_of: at("2021-12-31 00:00"),
        group_by: GroupBy::None,
        node_path: None,
        department_id: None,
        category: None,
        kind: None,
    };
    let all = s.counts(&q).await.unwrap();
    assert_eq!(all.len(), 1);
    let c = all[0].counts;
    assert_eq!(
        (
            c.get(Measure::Received),
            c.get(Measure::Registered),
            c.get(Measure::Closed),
            c.get(Measure::ClosedOnTime)
        ),
        (4, 4, 2, 1)
    );
    // The two open cases are past their 5-working-day limit by December: all four are due.
    assert_eq!(c.get(Measure::DueForClosing), 4);
    assert_eq!(c.get(Measure::Overdue), 3);
    assert_eq!(c.get(Measure::Open), 2);
    let by_node = s
        .counts(&CountQuery {
            group_by: GroupBy::Node,
            ..q.clone()
        })
        .await
        .unwrap();
    assert_eq!(by_node.len(), 2);
    assert_eq!(
        by_node
            .iter()
            .map(|g| g.counts.get(Measure::Received))
            .sum::<i64>(),
        4
    );
    let by_village = s
        .counts(&CountQuery {
            group_by: GroupBy::Village,
            ..q.clone()
        })
        .await
        .unwrap();
    assert_eq!(by_village.len(), 2);
    assert_eq!(by_village[0].key, Some(t.v1.id.to_string()));
    let by_month = s
        .counts(&CountQuery {
            group_by: GroupBy::Month,
            ..q.clone()
        })
        .await
        .unwrap();
    assert_eq!(by_month[0].key.as_deref(), Some("2021-06"));
    // As of the first day, nothing was due and one case was closed.
    let early = s
        .counts(&CountQuery {
            as_of: t0 + Duration::days(1) + Duration::minutes(1),
            ..q.clone()
        })
        .await
        .unwrap();
    assert_eq!(early[0].counts.get(Measure::Closed), 1);
    assert_eq!(early[0].counts.get(Measure::DueForClosing), 1);
    let dept = s
        .counts(&CountQuery {
            department_id: Some(t.dept.id),
            ..q
        })
        .await
        .unwrap();
    assert_eq!(dept[0].counts.get(Measure::Received), 2);
}

async fn audit_chain<S: Store>(s: S) {
    let t = town(&s).await;
    for i in 0..3 {
        let c = s
            .create_case(new_case(
                t.v1.id,
                t.dispatcher.id,
                at("2021-06-01 09:00") + Duration::hours(i),
                "x",
            ))
            .await
            .unwrap()
            .case;
        s.add_comment(c.id, t.dispatcher.id, "备注", at("2021-06-02 09:00"))
            .await
            .unwrap();
    }
    let heads = s.chain_heads().await.unwrap();
    assert_eq!(heads.len(), 4, "three cases and the system stream");
    let summary = verify_chain(&s, 2).await.unwrap().unwrap();
    assert_eq!(summary.streams, 4);
    // sys: 3 nodes, 1 department, 1 user, 1 grant; each case: created + comment.
    assert_eq!(summary.events, 6 + 3 * 2);
}

/// Many cases created at once share transactions (group commit); a bad one among them fails
/// alone with its own error and the others are written whole, each with a valid chain.
async fn concurrent_creation<S: Store>(s: S) {
    let t = town(&s).await;
    let when = at("2021-06-01 09:00");
    let mut tasks = Vec::new();
    for i in 0..120i64 {
        let s = s.clone();
        let mut c = new_case(
            if i % 2 == 0 { t.v1.id } else { t.v2.id },
            t.dispatcher.id,
            when + Duration::seconds(i),
            &format!("同时登记 {i}"),
        );
        match i {
            17 => c.node_id = 999_999,
            55 => c.department_id = Some(999_999),
            90 => c.attachment_ids = vec![999_999],
            _ => c.department_id = Some(t.dept.id),
        }
        tasks.push(tokio::spawn(async move { (i, s.create_case(c).await) }));
    }
    let mut made = Vec::new();
    for task in tasks {
        let (i, r) = task.await.unwrap();
        match i {
            17 => assert!(
                matches!(r, Err(DbError::BadReference { field: "node_id" })),
                "{r:?}"
            ),
            55 => assert!(matches!(r, Err(DbError::BadReference { .. })), "{r:?}"),
            90 => assert!(
                matches!(
                    r,
                    Err(DbError::BadReference {
                        field: "attachment_ids"
                    })
                ),
                "{r:?}"
            ),
            _ => {
                let made_case = r.unwrap();
                assert_eq!(made_case.parties.len(), 1);
                assert_eq!(made_case.parties[0].name_masked, "张*");
                let c = made_case.case;
                assert_eq!(c.title, format!("同时登记 {i}"));
                assert_eq!(c.version, 1);
                assert_eq!(c.department_id, Some(t.dept.id));
                assert!(
                    c.case_no.ends_with(&format!("{:07}", c.id)),
                    "{}",
                    c.case_no
                );
                let want = if i % 2 == 0 { t.v1.id } else { t.v2.id };
                assert_eq!(c.village_id, Some(want));
                made.push(c);
            }
        }
    }
    assert_eq!(made.len(), 117);
    let mut ids: Vec<i64> = made.iter().map(|c| c.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 117, "every case has its own id");
    assert_eq!(
        s.case_count().await.unwrap(),
        117,
        "nothing of the failed ones was written"
    );
    for c in &made {
        let got = s.get_case(c.id).await.unwrap();
        assert_eq!(got.case_no, c.case_no);
        assert_eq!(s.parties(c.id).await.unwrap().len(), 1);
        let tl = s.timeline(c.id).await.unwrap();
        assert_eq!(tl.len(), 1);
        assert_eq!(tl[0].kind, "created");
        assert_eq!(tl[0].data["case_no"], serde_json::json!(c.case_no));
    }
    let summary = verify_chain(&s, 50).await.unwrap().unwrap();
    assert_eq!(summary.streams, 118, "117 cases and the system stream");
    // A case made afterwards takes the next id.
    let next = s
        .create_case(new_case(t.v1.id, t.dispatcher.id, when, "之后"))
        .await
        .unwrap()
        .case;
    assert!(next.id > *ids.last().unwrap());
}
