//! The demo town's risk screening (矛盾风险隐患排查化解) at the seed's scale: 183 risks screened
//! by grid workers and the petition office, graded 红/黄/绿, the red ones under a leader, handed to
//! the responsible unit with control measures, followed up, some escalated, almost all resolved;
//! and 58 unstable events handled.

use anyhow::Result;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use zhili_domain::case::Channel;
use zhili_server::App;
use zhili_server::auth::Principal;
use zhili_server::cases::{PartyInput, TransitionRequest};
use zhili_server::risk::RiskRequest;
use zhili_store::{DepartmentRow, NodeRow, Store};

use crate::demo::{GIVEN, SURNAMES, err};

/// Risks: category, title, the responsible department (index in DEPARTMENTS).
const RISKS: &[(&str, &str, usize)] = &[
    ("dispute", "邻里宅基地边界纠纷", 1),
    ("dispute", "土地承包经营权纠纷", 9),
    ("dispute", "婚姻家庭矛盾", 8),
    ("dispute", "劳资纠纷苗头", 8),
    ("safety", "出租屋消防安全隐患", 6),
    ("safety", "老旧房屋结构安全隐患", 4),
    ("safety", "工地高处作业安全隐患", 4),
    ("public_order", "夜宵档聚集滋事隐患", 0),
    ("stability", "企业经营困难欠薪风险", 8),
    ("stability", "征地拆迁补偿诉求", 9),
];

const EVENTS: &[(&str, &str, usize)] = &[
    ("group_incident", "工人聚集讨要工资", 8),
    ("group_incident", "业主聚集维权", 4),
    ("extreme", "个人扬言极端行为", 8),
];

/// Who takes a risk step.
#[derive(Clone, Copy, Debug)]
pub enum RWho {
    Dispatcher,
    /// The handler of the case's department.
    Handler,
    /// The grid worker of the case's village.
    GridWorker,
}

/// A risk step: an action, or a new grade.
#[derive(Clone, Debug)]
pub enum RStep {
    Act(Box<TransitionRequest>, RWho),
    /// One grade up (升级).
    Regrade,
}

#[derive(Clone, Debug)]
pub struct RiskPlan {
    pub dept: usize,
    pub event: bool,
    pub follow_ups: u32,
    pub escalate: bool,
    /// Left unresolved at the end (3 of 183 in the seed): transferred to the police or court.
    pub transfer: bool,
}

const DAY: i64 = 8 * 60;

fn req(a: &str, note: &str) -> Box<TransitionRequest> {
    Box::new(TransitionRequest {
        action: a.into(),
        note: Some(note.into()),
        ..Default::default()
    })
}

/// Register one risk (or unstable event) and plan its life.
#[allow(clippy::too_many_arguments)]
pub async fn register<S: Store>(
    app: &App<S>,
    screener: &Principal,
    officer: &Principal,
    leader_id: i64,
    villages: &[NodeRow],
    event: bool,
    rng: &mut ChaCha8Rng,
) -> Result<(i64, RiskPlan, (i64, RStep))> {
    let list = if event { EVENTS } else { RISKS };
    let (category, title, dept) = list[rng.random_range(0..list.len())];
    let grade = match rng.random_range(0..100) {
        0..8 => "red",
        8..38 => "yellow",
        _ => "green",
    };
    // Red ones are registered by the petition office with their leader (包保).
    let red = grade == "red";
    let village = &villages[rng.random_range(0..villages.len())];
    let c = app
        .register_risk(
            if red { officer } else { screener },
            RiskRequest {
                kind: if event { "unstable_event" } else { "risk" }.into(),
                category: category.into(),
                channel: if red {
                    Channel::Visit
                } else {
                    Channel::GridPatrol
                },
                title: title.into(),
                content: format!("{}{}，经排查发现，需落实管控措施", village.name, title),
                node_id: village.id,
                address: None,
                grade: grade.into(),
                people_involved: rng.random_range(1..40),
                department_id: None,
                leader_id: red.then_some(leader_id),
                from_case_id: None,
                parties: vec![PartyInput {
                    role: "party".into(),
                    name: format!(
                        "{}{}",
                        SURNAMES[rng.random_range(0..SURNAMES.len())],
                        GIVEN[rng.random_range(0..GIVEN.len())]
                    ),
                    id_number: None,
                    phone: Some(format!("13{:09}", rng.random_range(0..1_000_000_000u64))),
                    address: None,
                }],
            },
        )
        .await
        .map_err(err)?;
    let plan = RiskPlan {
        dept,
        event,
        follow_ups: if event { 0 } else { rng.random_range(1..4) },
        escalate: !event && grade != "red" && rng.random_bool(0.1),
        transfer: !event && rng.random_bool(0.017),
    };
    let delay = if event {
        rng.random_range(10..120)
    } else {
        rng.random_range(DAY / 2..3 * DAY)
    };
    Ok((
        c.id,
        plan,
        (
            delay,
            RStep::Act(
                req("control", "落实村（社区）和责任单位稳控责任，明确管控措施"),
                RWho::Dispatcher,
            ),
        ),
    ))
}

/// The step after `last`.
pub fn next_step(last: &RStep, plan: &mut RiskPlan, rng: &mut ChaCha8Rng) -> Option<(i64, RStep)> {
    let days = |rng: &mut ChaCha8Rng, a: i64, b: i64| rng.random_range(a * DAY..b * DAY);
    let resolve = |rng: &mut ChaCha8Rng, plan: &RiskPlan| {
        if plan.transfer {
            (
                days(rng, 3, 10),
                RStep::Act(
                    req("transfer", "涉嫌违法犯罪，移交公安机关依法处理"),
                    RWho::Dispatcher,
                ),
            )
        } else if plan.event {
            (
                rng.random_range(60..2 * DAY),
                RStep::Act(
                    req("resolve", "现场处置完毕，人员疏散，诉求已依法解决"),
                    RWho::Handler,
                ),
            )
        } else {
            (
                days(rng, 3, 15),
                RStep::Act(
                    req("resolve", "矛盾已化解，隐患已消除，经回访无反复"),
                    RWho::Handler,
                ),
            )
        }
    };
    Some(match last {
        RStep::Act(r, _) if r.action == "control" || r.action == "follow_up" => {
            if plan.escalate {
                plan.escalate = false;
                (days(rng, 1, 5), RStep::Regrade)
            } else if plan.follow_ups > 0 {
                plan.follow_ups -= 1;
                (
                    days(rng, 2, 10),
                    RStep::Act(req("follow_up", "跟踪回访，当事人情绪稳定"), RWho::Handler),
                )
            } else {
                resolve(rng, plan)
            }
        }
        RStep::Regrade => (
            days(rng, 1, 5),
            RStep::Act(
                req("follow_up", "升级后加密回访，落实专人稳控"),
                RWho::GridWorker,
            ),
        ),
        _ => return None,
    })
}

/// The department a risk's control is handed to.
pub fn department(plan: &RiskPlan, depts: &[DepartmentRow]) -> i64 {
    depts[plan.dept.min(depts.len() - 1)].id
}
