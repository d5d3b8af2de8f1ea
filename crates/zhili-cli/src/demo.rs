//! The demo town: 清溪镇 (441900115) with its 22 villages and communities under their official
//! names and codes, synthetic geometry, departments, one user per role, and a year of cases
//! made through the case engine itself on a simulated clock, so that timelines, deadlines and the
//! audit chain are all real.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use chrono::{Duration, NaiveDate, NaiveTime};
use clap::Args;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zhili_domain::case::{Channel, Priority};
use zhili_domain::clock::{Clock, ManualClock, Timestamp, from_local, to_local};
use zhili_domain::org::NodeKind;
use zhili_server::App;
use zhili_server::auth::Principal;
use zhili_server::cases::{CreateCaseRequest, PartyInput, TransitionRequest};
use zhili_server::config::Settings;
use zhili_server::error::AppError;
use zhili_server::org::api::{GrantRequest, NewUserRequest};
use zhili_store::{NewNode, NodeRow, Store};

use crate::geometry;

#[derive(Args, Clone, Debug)]
pub struct DemoArgs {
    /// How many general cases (complaints, hotline) the year holds.
    #[arg(long, default_value_t = 3000)]
    pub cases: usize,
    /// How many 数字城管 reports the year holds (the seed's town: about 31,000).
    #[arg(long, default_value_t = 31_000)]
    pub urban: usize,
    /// How many petitions (信访) the year holds (the seed's town: 541).
    #[arg(long, default_value_t = 541)]
    pub petitions: usize,
    /// How many risks are screened in the year (the seed's town: 183).
    #[arg(long, default_value_t = 183)]
    pub risks: usize,
    /// How many unstable events happen in the year (the seed's town: 58).
    #[arg(long, default_value_t = 58)]
    pub unstable_events: usize,
    /// How many people's mediations the year holds (the seed's town: 5,656).
    #[arg(long, default_value_t = 5656)]
    pub mediations: usize,
    /// How many court-linked pre-filing mediations (the seed's town: 248).
    #[arg(long, default_value_t = 248)]
    pub court_mediations: usize,
    /// How many labour-arbitration cases (the seed's town: 443).
    #[arg(long, default_value_t = 443)]
    pub arbitrations: usize,
    /// Seed of the simulation (the same seed makes the same town).
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
    /// Simulate this calendar year instead of the 365 days up to now.
    #[arg(long)]
    pub year: Option<i32>,
    /// Do not print the users' passwords.
    #[arg(long)]
    pub quiet: bool,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            cases: 3000,
            urban: 31_000,
            petitions: 541,
            risks: 183,
            unstable_events: 58,
            mediations: 5656,
            court_mediations: 248,
            arbitrations: 443,
            seed: 2021,
            year: None,
            quiet: false,
        }
    }
}

/// Official town and village codes and names (国家统计局 2023 区划代码, facts).
pub const TOWN: (&str, &str) = ("441900115", "清溪镇");
pub const VILLAGES: &[(&str, &str)] = &[
    ("441900115002", "清溪社区"),
    ("441900115200", "罗马村"),
    ("441900115201", "长山头村"),
    ("441900115202", "荔横村"),
    ("441900115203", "浮岗村"),
    ("441900115204", "松岗村"),
    ("441900115205", "上元村"),
    ("441900115206", "重河村"),
    ("441900115207", "清厦村"),
    ("441900115208", "铁松村"),
    ("441900115209", "铁场村"),
    ("441900115210", "九乡村"),
    ("441900115211", "大埔村"),
    ("441900115212", "大利村"),
    ("441900115213", "渔樑围村"),
    ("441900115214", "三星村"),
    ("441900115215", "厦坭村"),
    ("441900115216", "土桥村"),
    ("441900115217", "谢坑村"),
    ("441900115218", "三中村"),
    ("441900115219", "青皇村"),
    ("441900115500", "清溪生活区"),
];

/// Town departments: code, name.
const DEPARTMENTS: &[(&str, &str)] = &[
    ("cgj", "城市管理和综合执法分局"),
    ("ghs", "规划管理所"),
    ("sthj", "生态环境分局"),
    ("scjg", "市场监督管理分局"),
    ("zjj", "住房城乡建设和交通局"),
    ("sw", "水务工程运营中心"),
    ("yjgl", "应急管理分局"),
    ("ggfw", "公共服务办公室"),
    ("shsw", "社会事务局"),
    ("nlsw", "农林水务局"),
];

/// Case templates: category, title, department code.
const TEMPLATES: &[(&str, &str, &str)] = &[
    ("环境卫生", "暴露垃圾未及时清运", "cgj"),
    ("环境卫生", "道路不洁、垃圾散落", "cgj"),
    ("市容秩序", "占道经营", "cgj"),
    ("市容秩序", "流动摊贩乱摆卖", "cgj"),
    ("市容秩序", "违规设置户外广告", "cgj"),
    ("违法建设", "私搭乱建", "ghs"),
    ("违法建设", "擅自加建楼层", "ghs"),
    ("噪声污染", "夜间施工噪音扰民", "sthj"),
    ("大气污染", "工厂废气异味", "sthj"),
    ("市场监管", "无证经营食品", "scjg"),
    ("市场监管", "商家价格欺诈", "scjg"),
    ("道路设施", "路面坑洼破损", "zjj"),
    ("道路设施", "井盖缺失或破损", "zjj"),
    ("供排水", "污水管道堵塞外溢", "sw"),
    ("供排水", "供水管破裂漏水", "sw"),
    ("安全隐患", "消防通道被堵塞", "yjgl"),
    ("安全隐患", "出租屋电动车违规充电", "yjgl"),
    ("公共设施", "路灯不亮", "ggfw"),
    ("民生服务", "困难群众求助", "shsw"),
    ("农林水利", "河道漂浮物", "nlsw"),
];

pub const ROADS: &[&str] = &[
    "香芒东路",
    "香芒西路",
    "鹿湖路",
    "清凤路",
    "银湖路",
    "清溪大道",
    "聚富路",
    "荔横路",
    "浮岗大道",
    "青湖路",
];
pub const SURNAMES: &[&str] = &[
    "陈", "李", "张", "黄", "王", "刘", "叶", "钟", "邓", "罗", "何", "谢",
];
pub const GIVEN: &[&str] = &[
    "伟", "芳", "敏", "强", "丽", "军", "婷", "杰", "娜", "涛", "燕", "斌", "华", "玲",
];

/// A 1×1 PNG used as on-site photo evidence in the simulation.
pub const PHOTO: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = zhili_server::crypto::random_bytes::<14>();
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// What the demo made: the users with their passwords, and the number of cases.
pub struct Demo {
    pub users: Vec<(String, String, String)>,
    pub cases: usize,
}

pub struct Staff {
    pub dispatcher: Principal,
    pub grid_worker: Principal,
    /// A grid worker for each village (same order as VILLAGES); 罗马村's is `gridworker`.
    pub village_workers: Vec<Principal>,
    pub leader: Principal,
    /// Per department (same order as DEPARTMENTS): a handler and the head.
    pub handlers: Vec<Principal>,
}

async fn principal<S: Store>(app: &App<S>, username: &str) -> Result<Principal> {
    let user = app.store.user_by_name(username).await?;
    Principal::for_user(app, user).await.map_err(err)
}

pub fn err(e: AppError) -> anyhow::Error {
    anyhow::Error::from(e)
}

/// A random time of the period when people come to an office: in office hours on working days,
/// and now and then outside them.
fn office_time<S: Store>(
    app: &App<S>,
    rng: &mut ChaCha8Rng,
    start: Timestamp,
    span_secs: i64,
) -> Timestamp {
    loop {
        let t = start + Duration::seconds(rng.random_range(0..span_secs));
        let local = to_local(t);
        let open = app.calendar.is_working_day(local.date())
            && (9..17).contains(&chrono::Timelike::hour(&local));
        if rng.random_bool(if open { 1.0 } else { 0.05 }) {
            return t;
        }
    }
}

/// A working day of office time, in minutes.
const DAY_MINUTES: i64 = 8 * 60;

/// `minutes` of office time after `t`: staff act in office hours on working days.
fn later<S: Store>(app: &App<S>, t: Timestamp, minutes: i64) -> Timestamp {
    app.deadlines().add_working_minutes(t, minutes.max(1))
}

#[derive(Clone, Debug)]
enum Step {
    Create(usize),
    CreateUrban(usize),
    Act(i64, usize, TransitionRequest, Who),
    ActUrban(i64, usize, TransitionRequest, Who),
    CreatePetition,
    /// A risk (false) or an unstable event (true).
    CreateRisk(bool),
    CreateMediation(crate::demo_mediation::MKind),
    ActMediation(i64, usize, crate::demo_mediation::MStep),
    ActRisk(i64, usize, crate::demo_risk::RStep),
    ActPetition(i64, usize, TransitionRequest, crate::demo_petition::PWho),
}

#[derive(Clone, Copy, Debug)]
pub enum Who {
    Dispatcher,
    Handler,
    Checker,
    Leader,
    /// The grid worker of the case's village.
    GridWorker,
}

/// A case's planned life after registration, drawn at random.
struct Plan {
    dept: usize,
    return_first: bool,
    extension: bool,
    park: bool,
    rework: bool,
    slow: bool,
    cancel: bool,
}

/// Build the demo town; `real_now` is the real clock's time, where the simulated year ends.
pub async fn build<S: Store>(
    store: S,
    s: &Settings,
    args: &DemoArgs,
    real_now: Timestamp,
) -> Result<Demo> {
    let (start, end) = match args.year {
        Some(y) => {
            let a = from_local(
                NaiveDate::from_ymd_opt(y, 1, 1)
                    .ok_or_else(|| anyhow!("bad year"))?
                    .and_time(NaiveTime::MIN),
            );
            let b = from_local(
                NaiveDate::from_ymd_opt(y + 1, 1, 1)
                    .ok_or_else(|| anyhow!("bad year"))?
                    .and_time(NaiveTime::MIN),
            );
            (a, b.min(real_now))
        }
        None => (real_now - Duration::days(365), real_now),
    };
    let clock = Arc::new(ManualClock::new(start - Duration::days(1)));
    let crypto = zhili_server::load_or_create_key(s).map_err(anyhow::Error::msg)?;
    let app = App::new(store, clock.clone(), s.clone(), crypto).map_err(anyhow::Error::msg)?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    app.store.set_bulk_load(true).await?;

    // Org tree.
    let at = clock.now();
    let node =
        |parent: Option<i64>, kind, code: &str, name: &str, geometry: Option<String>| NewNode {
            parent_id: parent,
            kind,
            code: code.into(),
            name: name.into(),
            geometry,
            synthetic: true,
            at,
        };
    let city = app
        .store
        .create_node(node(None, NodeKind::City, "441900", "东莞市", None))
        .await?;
    let town = app
        .store
        .create_node(node(
            Some(city.id),
            NodeKind::Town,
            TOWN.0,
            TOWN.1,
            Some(geometry::town_outline()),
        ))
        .await?;
    let mut villages: Vec<NodeRow> = Vec::new();
    let mut grids: Vec<Vec<NodeRow>> = Vec::new();
    for (i, (code, name)) in VILLAGES.iter().enumerate() {
        let (a0, a1) = geometry::village_angles(i, VILLAGES.len());
        let v = app
            .store
            .create_node(node(
                Some(town.id),
                NodeKind::Village,
                code,
                name,
                Some(geometry::sector(a0, a1, 0.0, 1.0)),
            ))
            .await?;
        let mut cells = Vec::new();
        for (j, (f0, f1)) in [(0.0, 0.4), (0.4, 0.75), (0.75, 1.0)].iter().enumerate() {
            let g = app
                .store
                .create_node(node(
                    Some(v.id),
                    NodeKind::Grid,
                    &format!("{code}{:03}", j + 1),
                    &format!("{name}第{}网格", j + 1),
                    Some(geometry::sector(a0, a1, *f0, *f1)),
                ))
                .await?;
            cells.push(g);
        }
        villages.push(v);
        grids.push(cells);
    }
    let mut depts = Vec::new();
    for (code, name) in DEPARTMENTS {
        depts.push(app.store.create_department(town.id, code, name, at).await?);
    }

    // Users: one per role, and a handler and a head for each department.
    let mut users = Vec::new();
    let on_town = |role: &str| GrantRequest {
        role: role.into(),
        node_id: Some(town.id),
        department_id: None,
    };
    let on_dept = |role: &str, d: i64| GrantRequest {
        role: role.into(),
        node_id: None,
        department_id: Some(d),
    };
    let mut specs: Vec<(String, String, Vec<GrantRequest>)> = vec![
        ("admin".into(), "系统管理员".into(), vec![on_town("admin")]),
        (
            "dispatcher".into(),
            "受理派遣员 林小清".into(),
            vec![on_town("dispatcher")],
        ),
        (
            "handler".into(),
            "城管承办人 陈志强".into(),
            vec![on_dept("handler", depts[0].id)],
        ),
        (
            "depthead".into(),
            "城管分局负责人 黄建国".into(),
            vec![on_dept("dept_head", depts[0].id)],
        ),
        (
            "gridworker".into(),
            "网格员 叶丽华（罗马村）".into(),
            vec![GrantRequest {
                role: "grid_worker".into(),
                node_id: Some(villages[1].id),
                department_id: None,
            }],
        ),
        (
            "leader".into(),
            "镇领导 钟明".into(),
            vec![on_town("leader")],
        ),
        (
            "petition".into(),
            "信访工作人员 邓秀珍".into(),
            vec![on_town("petition_officer")],
        ),
        (
            "legal".into(),
            "法律顾问 何律师".into(),
            vec![on_town("legal_advisor")],
        ),
        (
            "mediator".into(),
            "人民调解员 罗秀英".into(),
            vec![on_town("mediator")],
        ),
        (
            "inspector".into(),
            "执法检查员 邓伟".into(),
            vec![on_town("inspector")],
        ),
        (
            "auditor".into(),
            "审计监督员 谢敏".into(),
            vec![on_town("auditor")],
        ),
    ];
    for (i, (code, name)) in DEPARTMENTS.iter().enumerate().skip(1) {
        specs.push((
            format!("h_{code}"),
            format!("{name}承办人"),
            vec![on_dept("handler", depts[i].id)],
        ));
    }
    for (code, name) in VILLAGES {
        specs.push((
            format!("tm{}", &code[code.len() - 3..]),
            format!("人民调解员（{name}）"),
            vec![],
        ));
    }
    for (i, (code, name)) in VILLAGES.iter().enumerate() {
        if i != 1 {
            specs.push((
                format!("gw{}", &code[code.len() - 3..]),
                format!("网格员（{name}）"),
                vec![GrantRequest {
                    role: "grid_worker".into(),
                    node_id: Some(villages[i].id),
                    department_id: None,
                }],
            ));
        }
    }
    for (username, display_name, grants) in specs {
        let password = random_password();
        zhili_server::org::api::create_user(
            &app,
            None,
            NewUserRequest {
                username: username.clone(),
                display_name: display_name.clone(),
                password: password.clone(),
                grants,
            },
        )
        .await
        .map_err(err)?;
        users.push((username, display_name, password));
    }
    let mut handlers = vec![principal(&app, "handler").await?];
    for (code, _) in DEPARTMENTS.iter().skip(1) {
        handlers.push(principal(&app, &format!("h_{code}")).await?);
    }
    let mut village_workers = Vec::new();
    for (i, (code, _)) in VILLAGES.iter().enumerate() {
        let name = if i == 1 {
            "gridworker".to_string()
        } else {
            format!("gw{}", &code[code.len() - 3..])
        };
        village_workers.push(principal(&app, &name).await?);
    }
    let staff = Staff {
        dispatcher: principal(&app, "dispatcher").await?,
        grid_worker: principal(&app, "gridworker").await?,
        village_workers,
        leader: principal(&app, "leader").await?,
        handlers,
    };

    // Creation times: spread over the period, more on working days, in daytime.
    let span_secs = (end - start).num_seconds().max(1);
    let mut queue: BinaryHeap<Reverse<(i64, u64, usize)>> = BinaryHeap::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut seq = 0u64;
    let mut push = |queue: &mut BinaryHeap<Reverse<(i64, u64, usize)>>,
                    steps: &mut Vec<Step>,
                    t: Timestamp,
                    s: Step| {
        steps.push(s);
        seq += 1;
        queue.push(Reverse((t.timestamp_millis(), seq, steps.len() - 1)));
    };
    let mut made = 0;
    while made < args.cases {
        let t = start + Duration::seconds(rng.random_range(0..span_secs));
        let local = to_local(t);
        let working = app.calendar.is_working_day(local.date());
        let hour = chrono::Timelike::hour(&local);
        let keep = match (working, (8..20).contains(&hour)) {
            (true, true) => 1.0,
            (true, false) | (false, true) => 0.35,
            (false, false) => 0.1,
        };
        if rng.random_bool(keep) {
            push(&mut queue, &mut steps, t, Step::Create(made));
            made += 1;
        }
    }

    // 数字城管 reports: patrols in office hours on working days, the public at any time.
    let mut made = 0;
    while made < args.urban {
        let t = start + Duration::seconds(rng.random_range(0..span_secs));
        let local = to_local(t);
        let working = app.calendar.is_working_day(local.date());
        let hour = chrono::Timelike::hour(&local);
        let keep = match (working, (8..18).contains(&hour)) {
            (true, true) => 1.0,
            (true, false) | (false, true) => 0.2,
            (false, false) => 0.05,
        };
        if rng.random_bool(keep) {
            push(&mut queue, &mut steps, t, Step::CreateUrban(made));
            made += 1;
        }
    }
    // Petitions (信访): letters and visits in office hours on working days, the web at any time.
    for _ in 0..args.petitions {
        let t = office_time(&app, &mut rng, start, span_secs);
        push(&mut queue, &mut steps, t, Step::CreatePetition);
    }
    // Risks: screened in office hours on working days; unstable events at any time.
    for _ in 0..args.risks {
        let t = office_time(&app, &mut rng, start, span_secs);
        push(&mut queue, &mut steps, t, Step::CreateRisk(false));
    }
    for _ in 0..args.unstable_events {
        let t = start + Duration::seconds(rng.random_range(0..span_secs));
        push(&mut queue, &mut steps, t, Step::CreateRisk(true));
    }
    // Mediation: a committee in every village; cases in office hours on working days.
    let mut village_mediators = Vec::new();
    for (code, _) in VILLAGES {
        village_mediators.push(principal(&app, &format!("tm{}", &code[code.len() - 3..])).await?);
    }
    let committees = crate::demo_mediation::committees(
        &app,
        &principal(&app, "admin").await?,
        &villages,
        &village_mediators,
        &to_local(start).date().format("%Y-%m-%d").to_string(),
        &mut rng,
    )
    .await?;
    // Their accounts now hold the mediator role on their committees.
    let mut village_mediators = Vec::new();
    for (code, _) in VILLAGES {
        village_mediators.push(principal(&app, &format!("tm{}", &code[code.len() - 3..])).await?);
    }
    {
        use crate::demo_mediation::MKind;
        for (n, kind) in [
            (args.mediations, MKind::Peoples),
            (args.court_mediations, MKind::Court),
            (args.arbitrations, MKind::Arbitration),
        ] {
            for _ in 0..n {
                let t = office_time(&app, &mut rng, start, span_secs);
                push(&mut queue, &mut steps, t, Step::CreateMediation(kind));
            }
        }
    }
    let mediator = principal(&app, "mediator").await?;
    let mut mediation_plans: Vec<(crate::demo_mediation::MPlan, usize)> = Vec::new();
    let mut risk_plans: Vec<crate::demo_risk::RiskPlan> = Vec::new();
    let officer = principal(&app, "petition").await?;
    let mut petition_plans: Vec<crate::demo_petition::PetitionPlan> = Vec::new();
    let mut seen_petitioners = crate::demo_petition::Seen::new();
    let subclasses = crate::demo_urban::weighted_subclasses(&app.taxonomy);
    let mut urban_plans: Vec<Option<crate::demo_urban::UrbanPlan>> =
        (0..args.urban).map(|_| None).collect();
    let mut plans: Vec<Option<Plan>> = (0..args.cases).map(|_| None).collect();
    let mut created = 0usize;
    let mut last_scan = start;
    eprintln!(
        "building the demo town: {} cases, {} 数字城管 reports, {} petitions, {} risks, {} unstable events, {} mediations, {} pre-filing mediations and {} arbitrations from {} to {} …",
        args.cases,
        args.urban,
        args.petitions,
        args.risks,
        args.unstable_events,
        args.mediations,
        args.court_mediations,
        args.arbitrations,
        to_local(start).date(),
        to_local(end).date()
    );
    while let Some(Reverse((ms, _, idx))) = queue.pop() {
        let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or(end);
        if t >= end {
            continue; // beyond "now": the case stays where it is
        }
        // The deadline scan runs every half hour of simulated time, as the server's would.
        while last_scan + Duration::minutes(30) <= t {
            last_scan += Duration::minutes(30);
            clock.set(last_scan);
            zhili_server::jobs::scan_once(&app).await?;
        }
        clock.set(t);
        match steps[idx].clone() {
            Step::Create(i) => {
                let (case_id, plan) = create_one(&app, &staff, &villages, &grids, &mut rng).await?;
                let first = later(&app, t, rng.random_range(5..180));
                let req = if plan.cancel {
                    TransitionRequest {
                        action: "cancel".into(),
                        reason: Some("重复反映，已并案处理".into()),
                        ..Default::default()
                    }
                } else {
                    let d = if plan.return_first {
                        (plan.dept + 3) % depts.len()
                    } else {
                        plan.dept
                    };
                    TransitionRequest {
                        action: "dispatch".into(),
                        department_id: Some(depts[d].id),
                        ..Default::default()
                    }
                };
                push(
                    &mut queue,
                    &mut steps,
                    first,
                    Step::Act(case_id, i, req, Who::Dispatcher),
                );
                plans[i] = Some(plan);
                created += 1;
                if created.is_multiple_of(500) {
                    eprintln!("  {created} cases …");
                }
            }
            Step::CreateUrban(i) => {
                let (case_id, plan, first) = crate::demo_urban::report(
                    &app,
                    &staff,
                    &villages,
                    &grids,
                    &subclasses,
                    &mut rng,
                )
                .await?;
                if let Some((delay, req, who)) = first {
                    push(
                        &mut queue,
                        &mut steps,
                        later(&app, t, delay),
                        Step::ActUrban(case_id, i, req, who),
                    );
                }
                urban_plans[i] = Some(plan);
                created += 1;
                if created.is_multiple_of(2000) {
                    eprintln!("  {created} cases …");
                }
            }
            Step::CreatePetition => {
                let (case_id, plan, (delay, req, who)) = crate::demo_petition::register(
                    &app,
                    &officer,
                    &villages,
                    &depts,
                    &mut seen_petitioners,
                    &mut rng,
                )
                .await?;
                petition_plans.push(plan);
                push(
                    &mut queue,
                    &mut steps,
                    later(&app, t, delay),
                    Step::ActPetition(case_id, petition_plans.len() - 1, req, who),
                );
                created += 1;
            }
            Step::CreateRisk(event) => {
                let vi = rng.random_range(0..villages.len());
                let (case_id, plan, (delay, first)) = crate::demo_risk::register(
                    &app,
                    &staff.village_workers[vi],
                    &officer,
                    staff.leader.user.id,
                    &villages[vi..=vi],
                    event,
                    &mut rng,
                )
                .await?;
                risk_plans.push(plan);
                push(
                    &mut queue,
                    &mut steps,
                    later(&app, t, delay),
                    Step::ActRisk(case_id, risk_plans.len() - 1, first),
                );
                created += 1;
            }
            Step::ActRisk(case_id, i, step) => {
                use crate::demo_risk::{RStep, RWho};
                let c = app.store.get_case(case_id).await?;
                let village = villages
                    .iter()
                    .position(|v| c.node_path.starts_with(&v.path))
                    .unwrap_or(1);
                match &step {
                    RStep::Act(req, who) => {
                        let actor = match who {
                            RWho::Dispatcher => &staff.dispatcher,
                            RWho::GridWorker => &staff.village_workers[village],
                            RWho::Handler => {
                                let d = depts
                                    .iter()
                                    .position(|d| Some(d.id) == c.department_id)
                                    .unwrap_or(0);
                                &staff.handlers[d]
                            }
                        };
                        let mut req = req.clone();
                        if req.action == "control" {
                            req.department_id =
                                Some(crate::demo_risk::department(&risk_plans[i], &depts));
                        }
                        let resolve = req.action == "resolve";
                        let row = app.transition(actor, case_id, *req).await.map_err(err)?;
                        // The leader in charge (包保) reports once it is resolved.
                        let led = zhili_server::oversight::oversight_of(&row).lead;
                        if resolve && led.is_some_and(|l| l.reported_at.is_none()) {
                            app.report_lead(
                                &staff.leader,
                                case_id,
                                zhili_server::oversight::LeadReportRequest {
                                    report: "风险已化解，包保工作结束。".into(),
                                },
                            )
                            .await
                            .map_err(err)?;
                        }
                    }
                    RStep::Regrade => {
                        // One grade up; a risk that turns red gets its leader (包保).
                        let up = match c.details.get("grade").and_then(|g| g.as_str()) {
                            Some("green") => "yellow",
                            _ => "red",
                        };
                        let row = app
                            .regrade_risk(
                                &staff.village_workers[village],
                                case_id,
                                zhili_server::risk::GradeRequest {
                                    grade: up.into(),
                                    reason: "涉及人数增加，矛盾有激化苗头".into(),
                                },
                            )
                            .await
                            .map_err(err)?;
                        if up == "red" {
                            let due = to_local(t + Duration::days(20)).date();
                            app.assign_lead(
                                &officer,
                                row.id,
                                zhili_server::oversight::LeadRequest {
                                    leader_id: staff.leader.user.id,
                                    plan: "风险升级为红色，领导包保，组织专班化解".into(),
                                    deadline: due.format("%Y-%m-%d").to_string(),
                                },
                            )
                            .await
                            .map_err(err)?;
                        }
                    }
                }
                if let Some((delay, next)) =
                    crate::demo_risk::next_step(&step, &mut risk_plans[i], &mut rng)
                {
                    push(
                        &mut queue,
                        &mut steps,
                        later(&app, t, delay),
                        Step::ActRisk(case_id, i, next),
                    );
                }
            }
            Step::CreateMediation(kind) => {
                use crate::demo_mediation::MKind;
                let vi = rng.random_range(0..villages.len());
                let (who, committee) = match kind {
                    MKind::Arbitration => (&mediator, None),
                    _ => (&village_mediators[vi], Some(committees[vi])),
                };
                let (case_id, plan, (delay, first)) = crate::demo_mediation::register(
                    &app,
                    who,
                    &villages[vi],
                    committee,
                    kind,
                    &mut rng,
                )
                .await?;
                mediation_plans.push((plan, vi));
                push(
                    &mut queue,
                    &mut steps,
                    later(&app, t, delay),
                    Step::ActMediation(case_id, mediation_plans.len() - 1, first),
                );
                created += 1;
                if created.is_multiple_of(2000) {
                    eprintln!("  {created} cases …");
                }
            }
            Step::ActMediation(case_id, i, step) => {
                use crate::demo_mediation::{MKind, MStep, MWho};
                let (plan, vi) = &mut mediation_plans[i];
                let own = match plan.kind {
                    MKind::Arbitration => &mediator,
                    _ => &village_mediators[*vi],
                };
                let next = match &step {
                    MStep::Act(req, who) => {
                        let actor = match who {
                            MWho::Mediator => own,
                            MWho::Leader => &staff.leader,
                        };
                        app.transition(actor, case_id, (**req).clone())
                            .await
                            .map_err(err)?;
                        crate::demo_mediation::next_step(&step, plan, to_local(t).date(), &mut rng)
                    }
                    MStep::Subsidy => {
                        // 以案定补: reviewed and approved, most paid; then the performance.
                        app.approve_subsidy(
                            &staff.leader,
                            case_id,
                            zhili_server::mediation::SubsidyRequest {
                                grade: crate::demo_mediation::subsidy_grade(&mut rng).into(),
                                note: "卷宗齐全，调解协议合法有效，审查通过".into(),
                            },
                        )
                        .await
                        .map_err(err)?;
                        if rng.random_bool(0.85) {
                            app.pay_subsidy(
                                &staff.leader,
                                case_id,
                                zhili_server::mediation::PaidRequest {
                                    note: "已按月汇总发放".into(),
                                },
                            )
                            .await
                            .map_err(err)?;
                        }
                        Some((DAY_MINUTES, crate::demo_mediation::performed()))
                    }
                };
                if let Some((delay, next)) = next {
                    push(
                        &mut queue,
                        &mut steps,
                        later(&app, t, delay),
                        Step::ActMediation(case_id, i, next),
                    );
                }
            }
            Step::ActPetition(case_id, i, req, who) => {
                use crate::demo_petition::PWho;
                let actor = match who {
                    PWho::Officer => &officer,
                    PWho::Leader => &staff.leader,
                    PWho::Handler => {
                        let c = app.store.get_case(case_id).await?;
                        let d = depts
                            .iter()
                            .position(|d| Some(d.id) == c.department_id)
                            .unwrap_or(0);
                        &staff.handlers[d]
                    }
                };
                let action = req.action.clone();
                let row = app.transition(actor, case_id, req).await.map_err(err)?;
                if action == "reply"
                    && let Some(r) = crate::demo_petition::rating(&mut rng)
                {
                    app.rate_petition(&row, r, None).await.map_err(err)?;
                }
                if petition_plans[i].oversee {
                    crate::demo_petition::oversee(&app, &officer, &staff.leader, &row, &action)
                        .await?;
                }
                let plan = &mut petition_plans[i];
                if let Some((delay, next, who)) =
                    crate::demo_petition::next_step(&action, plan, &mut rng)
                {
                    push(
                        &mut queue,
                        &mut steps,
                        later(&app, t, delay),
                        Step::ActPetition(case_id, i, next, who),
                    );
                }
            }
            Step::ActUrban(case_id, i, req, who) => {
                let plan = urban_plans[i].as_mut().expect("planned at creation");
                let c = app.store.get_case(case_id).await?;
                let actor = match who {
                    Who::Dispatcher => &staff.dispatcher,
                    Who::Leader => &staff.leader,
                    Who::GridWorker | Who::Checker => {
                        let vi = villages
                            .iter()
                            .position(|v| c.node_path.starts_with(&v.path))
                            .unwrap_or(1);
                        &staff.village_workers[vi]
                    }
                    Who::Handler => {
                        let d = depts
                            .iter()
                            .position(|d| Some(d.id) == c.department_id)
                            .unwrap_or(0);
                        &staff.handlers[d]
                    }
                };
                let mut req = req;
                if matches!(
                    req.action.as_str(),
                    "verify_report" | "self_handle" | "report" | "check"
                ) {
                    let a = app
                        .save_attachment(actor, "现场照片.png", PHOTO)
                        .await
                        .map_err(err)?;
                    req.attachment_ids = vec![a.id];
                }
                if req.action == "dispatch" && plan.wrong_department {
                    // A first dispatch to a department that will return it (退单).
                    let right = app
                        .suggested_department(
                            c.category.as_deref().unwrap_or_default(),
                            &c.node_path,
                        )
                        .await
                        .map_err(err)?
                        .map(|d| d.id);
                    req.department_id = depts.iter().map(|d| d.id).find(|d| Some(*d) != right);
                }
                let action = req.action.clone();
                app.transition(actor, case_id, req).await.map_err(err)?;
                let limits = app.case_limits(&c.kind, c.category.as_deref());
                if let Some((delay, next, who)) =
                    crate::demo_urban::next_step(&action, plan, &limits, &mut rng)
                {
                    push(
                        &mut queue,
                        &mut steps,
                        later(&app, t, delay),
                        Step::ActUrban(case_id, i, next, who),
                    );
                }
            }
            Step::Act(case_id, i, req, who) => {
                let plan = plans[i].as_mut().expect("planned at creation");
                let actor = match who {
                    Who::Dispatcher => &staff.dispatcher,
                    Who::Leader => &staff.leader,
                    Who::GridWorker => &staff.grid_worker,
                    Who::Checker => {
                        let c = app.store.get_case(case_id).await?;
                        if c.node_path.starts_with(&villages[1].path) {
                            &staff.grid_worker
                        } else {
                            &staff.dispatcher
                        }
                    }
                    Who::Handler => {
                        let c = app.store.get_case(case_id).await?;
                        let d = depts
                            .iter()
                            .position(|d| Some(d.id) == c.department_id)
                            .unwrap_or(plan.dept);
                        &staff.handlers[d]
                    }
                };
                let mut req = req;
                if req.action == "report" {
                    let a = app
                        .save_attachment(actor, "现场照片.png", PHOTO)
                        .await
                        .map_err(err)?;
                    req.attachment_ids = vec![a.id];
                }
                let action = req.action.clone();
                app.transition(actor, case_id, req).await.map_err(err)?;
                if let Some((delay, next, who)) = next_step(&action, plan, &depts, &mut rng) {
                    let when = later(&app, t, delay);
                    push(
                        &mut queue,
                        &mut steps,
                        when,
                        Step::Act(case_id, i, next, who),
                    );
                }
            }
        }
    }
    clock.set(end);
    zhili_server::jobs::scan_once(&app).await?;
    app.store.set_bulk_load(false).await?;
    eprintln!("demo town built: {created} cases");
    if !args.quiet {
        println!("demo town 清溪镇 is ready. Users (passwords are shown only now):");
        for (u, n, p) in &users {
            println!("  {u:<12} {p:<16} {n}");
        }
    }
    Ok(Demo {
        users,
        cases: created,
    })
}

async fn create_one<S: Store>(
    app: &App<S>,
    staff: &Staff,
    villages: &[NodeRow],
    grids: &[Vec<NodeRow>],
    rng: &mut ChaCha8Rng,
) -> Result<(i64, Plan)> {
    let tpl = TEMPLATES[rng.random_range(0..TEMPLATES.len())];
    let dept = DEPARTMENTS
        .iter()
        .position(|(c, _)| *c == tpl.2)
        .unwrap_or(0);
    let patrol = rng.random_bool(0.3);
    let (vi, who, channel) = if patrol {
        (1, &staff.grid_worker, Channel::GridPatrol)
    } else {
        let ch = [
            Channel::Hotline,
            Channel::Hotline,
            Channel::Web,
            Channel::Phone,
            Channel::Visit,
            Channel::Leader,
        ];
        (
            rng.random_range(0..villages.len()),
            &staff.dispatcher,
            ch[rng.random_range(0..ch.len())],
        )
    };
    let gi = rng.random_range(0..grids[vi].len());
    let cell = &grids[vi][gi];
    let (a0, a1) = geometry::village_angles(vi, villages.len());
    let frac = [(0.05, 0.4), (0.4, 0.75), (0.75, 0.98)][gi];
    let (lon, lat) = geometry::point(rng.random_range(a0..a1), rng.random_range(frac.0..frac.1));
    let road = ROADS[rng.random_range(0..ROADS.len())];
    let address = format!(
        "清溪镇{}{}{}号",
        villages[vi].name,
        road,
        rng.random_range(1..300)
    );
    let name = format!(
        "{}{}",
        SURNAMES[rng.random_range(0..SURNAMES.len())],
        GIVEN[rng.random_range(0..GIVEN.len())]
    );
    let parties = if channel == Channel::GridPatrol {
        vec![]
    } else {
        vec![PartyInput {
            role: "complainant".into(),
            name,
            id_number: None,
            phone: Some(format!("138{:08}", rng.random_range(0..100_000_000u32))),
            address: None,
        }]
    };
    let req = CreateCaseRequest {
        kind: "general".into(),
        category: Some(tpl.0.into()),
        channel,
        priority: if rng.random_bool(0.05) {
            Priority::Urgent
        } else {
            Priority::Normal
        },
        title: format!("{}{}", villages[vi].name, tpl.1),
        content: format!(
            "{}反映：{}附近{}，请相关部门核实处理。",
            channel.label_zh(),
            address,
            tpl.1
        ),
        address: Some(address),
        lat: Some(lat),
        lon: Some(lon),
        node_id: Some(cell.id),
        department_id: None,
        parties,
        attachment_ids: vec![],
    };
    let c = app.create_case(who, req).await.map_err(err)?.case;
    let plan = Plan {
        dept,
        return_first: rng.random_bool(0.04),
        extension: rng.random_bool(0.05),
        park: rng.random_bool(0.02),
        rework: rng.random_bool(0.07),
        slow: rng.random_bool(0.06),
        cancel: rng.random_bool(0.01),
    };
    Ok((c.id, plan))
}

/// The step after `done`, with its delay in minutes (moved into office hours by the caller).
fn next_step(
    done: &str,
    plan: &mut Plan,
    depts: &[zhili_store::DepartmentRow],
    rng: &mut ChaCha8Rng,
) -> Option<(i64, TransitionRequest, Who)> {
    use crate::demo_urban::act;
    let office_minutes = |d: f64| (d * 420.0) as i64;
    Some(match done {
        "dispatch" => {
            if plan.return_first {
                plan.return_first = false;
                (
                    rng.random_range(20..120),
                    TransitionRequest {
                        reason: Some("不属于本部门职责，请重新派遣".into()),
                        ..act("return")
                    },
                    Who::Handler,
                )
            } else {
                (rng.random_range(10..150), act("sign"), Who::Handler)
            }
        }
        "return" => (
            rng.random_range(15..90),
            TransitionRequest {
                department_id: Some(depts[plan.dept].id),
                ..act("dispatch")
            },
            Who::Dispatcher,
        ),
        "sign" | "unpark" | "approve_extension" | "rework" => {
            if plan.park {
                plan.park = false;
                (
                    rng.random_range(60..600),
                    TransitionRequest {
                        reason: Some("需协调多部门，待条件具备后处置".into()),
                        ..act("park")
                    },
                    Who::Leader,
                )
            } else if plan.extension {
                plan.extension = false;
                (
                    office_minutes(rng.random_range(1.0..2.5)),
                    TransitionRequest {
                        reason: Some("涉及施工，需延长处置时间".into()),
                        extension: Some(2),
                        ..act("request_extension")
                    },
                    Who::Handler,
                )
            } else {
                let days = if plan.slow {
                    rng.random_range(3.5..8.0)
                } else {
                    rng.random_range(0.2..2.6)
                };
                plan.slow = false;
                (
                    office_minutes(days),
                    TransitionRequest {
                        note: Some("已到现场处置完毕，详见照片".into()),
                        ..act("report")
                    },
                    Who::Handler,
                )
            }
        }
        "park" => (
            office_minutes(rng.random_range(3.0..15.0)),
            act("unpark"),
            Who::Leader,
        ),
        "request_extension" => (
            rng.random_range(30..300),
            TransitionRequest {
                extension: Some(2),
                ..act("approve_extension")
            },
            Who::Dispatcher,
        ),
        "report" => {
            if plan.rework {
                plan.rework = false;
                (
                    rng.random_range(60..600),
                    TransitionRequest {
                        reason: Some("现场核查未处置到位".into()),
                        ..act("rework")
                    },
                    Who::Checker,
                )
            } else {
                (
                    rng.random_range(60..700),
                    TransitionRequest {
                        note: Some("现场核查，已处置到位".into()),
                        ..act("verify")
                    },
                    Who::Checker,
                )
            }
        }
        "verify" => (rng.random_range(20..300), act("close"), Who::Dispatcher),
        _ => return None,
    })
}
