//! The demo town's petitions (信访): a year of letters, visits, calls, web and fax petitions at the
//! seed's scale (541 received, about 118 in scope), routed, accepted, handled to a decision
//! letter, some extended, reviewed and re-reviewed, some repeated by the same person, rated by
//! most petitioners. Every step goes through the service, as a petition officer would take it.

use anyhow::Result;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use zhili_domain::case::Channel;
use zhili_server::App;
use zhili_server::auth::Principal;
use zhili_server::cases::{LetterInput, PartyInput, TransitionRequest};
use zhili_server::petition::PetitionRequest;
use zhili_store::{NodeRow, Store};

use crate::demo::{GIVEN, SURNAMES, err};

/// Matters: category, title, content, the department that handles it (index in DEPARTMENTS),
/// the legal basis of the decision.
const MATTERS: &[(&str, &str, &str, usize, &str)] = &[
    (
        "appeal",
        "企业拖欠工资",
        "反映某厂拖欠工人工资两个月，多次讨要未果，要求支付拖欠工资",
        8,
        "《保障农民工工资支付条例》第三条、《劳动合同法》第三十条",
    ),
    (
        "appeal",
        "征地补偿款分配",
        "反映村集体征地补偿款分配不公，要求重新核算分配方案",
        9,
        "《土地管理法》第四十八条、《村民委员会组织法》第二十四条",
    ),
    (
        "appeal",
        "宅基地纠纷",
        "反映邻居建房占用本户宅基地，要求依法处理",
        1,
        "《土地管理法》第六十二条、《民法典》第三百六十二条",
    ),
    (
        "appeal",
        "房屋漏水维修",
        "反映商品房交付后外墙漏水，开发商拒不维修",
        4,
        "《建设工程质量管理条例》第四十条",
    ),
    (
        "appeal",
        "社保待遇核定",
        "反映养老保险缴费年限核定有误，要求重新核定待遇",
        8,
        "《社会保险法》第十六条",
    ),
    (
        "appeal",
        "工厂噪音扰民",
        "反映附近工厂夜间生产噪音扰民，要求整改",
        2,
        "《噪声污染防治法》第三十八条",
    ),
    (
        "suggestion",
        "增设公交线路",
        "建议在工业区与镇中心之间增设公交线路，方便工人出行",
        4,
        "《广东省城市公共交通条例》",
    ),
    (
        "suggestion",
        "完善小区停车管理",
        "建议规范小区周边停车秩序，增设公共停车位",
        0,
        "《城市道路管理条例》",
    ),
    (
        "accusation",
        "村干部优亲厚友",
        "举报村干部在低保评定中优亲厚友",
        8,
        "《社会救助暂行办法》第十一条",
    ),
    (
        "accusation",
        "违规收取费用",
        "举报某单位办事违规收取费用",
        3,
        "《价格法》第十二条",
    ),
];

/// How a petition leaves the register (分流), per the seed's 118 of 541 in scope.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Route {
    /// 受理 by the petition office itself.
    Accept,
    /// 交办 to the department, which accepts (签收受理), or first objects.
    Assign {
        object_first: bool,
    },
    Transfer,
    Redirect,
    Reject,
    Withdraw,
}

#[derive(Clone, Debug)]
pub struct PetitionPlan {
    pub route: Route,
    pub matter: usize,
    pub extension: bool,
    /// Put under a leader (领导包案) and on the tag-and-close ledger (挂牌销号) once accepted:
    /// group visits and some difficult matters in scope.
    pub oversee: bool,
    /// 0: no review; 1: review; 2: review and re-review (with a hearing when `hearing`).
    pub review: u8,
    pub hearing: bool,
    pub decision: &'static str,
}

/// Who takes a petition step.
#[derive(Clone, Copy, Debug)]
pub enum PWho {
    Officer,
    Leader,
    /// The handler of the case's department.
    Handler,
}

/// A petition step: a delay in office minutes, the request, who takes it.
pub type PStep = (i64, TransitionRequest, PWho);

const DAY: i64 = 8 * 60;

fn act(a: &str) -> TransitionRequest {
    TransitionRequest {
        action: a.into(),
        ..Default::default()
    }
}

fn with_reason(a: &str, r: &str) -> TransitionRequest {
    TransitionRequest {
        reason: Some(r.into()),
        ..act(a)
    }
}

fn with_note(a: &str, n: &str) -> TransitionRequest {
    TransitionRequest {
        note: Some(n.into()),
        ..act(a)
    }
}

fn letter(a: &str, plan: &PetitionPlan) -> TransitionRequest {
    let (_, title, content, _, basis) = MATTERS[plan.matter];
    TransitionRequest {
        letter: Some(LetterInput {
            request: content.into(),
            facts: format!("经调查核实，{title}一事情况基本属实，已约谈相关单位并提出处理要求。"),
            decision: plan.decision.into(),
            basis: basis.into(),
        }),
        ..act(a)
    }
}

/// Person ids seen so far: (ID number, matter), for repeat petitions by the same person.
pub type Seen = Vec<(String, String, usize)>;

fn id_number(rng: &mut ChaCha8Rng) -> String {
    let body = format!(
        "441900{}{:02}{:02}{:03}",
        rng.random_range(1950..2003),
        rng.random_range(1..13),
        rng.random_range(1..29),
        rng.random_range(100..999)
    );
    let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(w)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// Register one petition and plan its life; returns the case, the plan and the first step.
pub async fn register<S: Store>(
    app: &App<S>,
    officer: &Principal,
    villages: &[NodeRow],
    depts: &[zhili_store::DepartmentRow],
    seen: &mut Seen,
    rng: &mut ChaCha8Rng,
) -> Result<(i64, PetitionPlan, PStep)> {
    // About one in twelve comes back on the same matter (重复信访).
    let repeat = (!seen.is_empty() && rng.random_bool(0.08))
        .then(|| seen[rng.random_range(0..seen.len())].clone());
    let (name, idn, matter) = match repeat {
        Some(r) => r,
        None => {
            let name = format!(
                "{}{}{}",
                SURNAMES[rng.random_range(0..SURNAMES.len())],
                GIVEN[rng.random_range(0..GIVEN.len())],
                GIVEN[rng.random_range(0..GIVEN.len())]
            );
            let r = (name, id_number(rng), rng.random_range(0..MATTERS.len()));
            seen.push(r.clone());
            r
        }
    };
    let (category, title, content, dept, _) = MATTERS[matter];
    let channel = match rng.random_range(0..100) {
        0..35 => Channel::Letter,
        35..60 => Channel::Visit,
        60..75 => Channel::Phone,
        75..97 => Channel::Web,
        _ => Channel::Fax,
    };
    let group = channel == Channel::Visit && rng.random_bool(0.15);
    let group_size = if group { rng.random_range(5..31) } else { 1 };
    let reps = if group { rng.random_range(1..6) } else { 0 };
    let phone = format!("13{:09}", rng.random_range(0..1_000_000_000u64));
    let village = &villages[rng.random_range(0..villages.len())];
    let made = app
        .register_petition(
            officer,
            PetitionRequest {
                channel,
                category: category.into(),
                title: title.into(),
                content: content.into(),
                node_id: village.id,
                address: None,
                department_id: None,
                petitioners: vec![PartyInput {
                    role: String::new(),
                    name,
                    id_number: Some(idn),
                    phone: Some(phone),
                    address: Some(format!("{}{}号", village.name, rng.random_range(1..200))),
                }],
                group_size,
                representatives: (0..reps)
                    .map(|i| PartyInput {
                        role: String::new(),
                        name: format!("代表{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[i]),
                        id_number: None,
                        phone: None,
                        address: None,
                    })
                    .collect(),
                attachment_ids: vec![],
            },
        )
        .await
        .map_err(err)?;
    // 541 received, 118 in scope: the rest go elsewhere (转送 out of remit, 导入 legal
    // procedures), a few are refused (a repeat of a matter in hand) or withdrawn.
    let route = if made.repeat_of.is_some() && rng.random_bool(0.7) {
        Route::Reject
    } else {
        match rng.random_range(0..1000) {
            0..70 => Route::Accept,
            70..220 => Route::Assign {
                object_first: rng.random_bool(0.05),
            },
            220..700 => Route::Transfer,
            700..940 => Route::Redirect,
            940..970 => Route::Reject,
            _ => Route::Withdraw,
        }
    };
    let review = match rng.random_range(0..100) {
        0..6 => 1,
        6..9 => 2,
        _ => 0,
    };
    let in_scope = matches!(route, Route::Accept | Route::Assign { .. });
    let plan = PetitionPlan {
        route,
        matter,
        oversee: in_scope && (group || rng.random_bool(0.15)),
        extension: rng.random_bool(0.1),
        review,
        hearing: review == 2 && rng.random_bool(0.5),
        decision: match rng.random_range(0..100) {
            0..40 => "support",
            40..85 => "explain",
            _ => "reject",
        },
    };
    let first_delay = rng.random_range(DAY / 2..5 * DAY);
    let first = match route {
        Route::Accept => act("accept"),
        Route::Assign { .. } => TransitionRequest {
            department_id: Some(depts[dept].id),
            ..act("assign")
        },
        Route::Transfer => with_note(
            "transfer",
            "不属于本机关职权范围，已转送有权处理的机关并告知信访人",
        ),
        Route::Redirect => with_note(
            "redirect",
            "属于诉讼、仲裁或行政复议等法定途径解决的事项，已告知信访人依法定程序提出",
        ),
        Route::Reject => with_reason("reject", "同一信访事项正在办理期限内，不予重复受理"),
        Route::Withdraw => with_reason("withdraw", "信访人书面撤回信访请求"),
    };
    Ok((made.case.id, plan, (first_delay, first, PWho::Officer)))
}

/// The step after `action`, by the plan.
pub fn next_step(action: &str, plan: &mut PetitionPlan, rng: &mut ChaCha8Rng) -> Option<PStep> {
    let days = |rng: &mut ChaCha8Rng, a: i64, b: i64| rng.random_range(a * DAY..b * DAY);
    // Who handles it: the department it was assigned to, or the petition office itself.
    let handler = match plan.route {
        Route::Assign { .. } => PWho::Handler,
        _ => PWho::Officer,
    };
    Some(match action {
        "assign" => match plan.route {
            Route::Assign { object_first: true } => {
                plan.route = Route::Assign {
                    object_first: false,
                };
                (
                    days(rng, 1, 4),
                    with_reason("object", "该事项不属于本单位职责，请重新交办"),
                    PWho::Handler,
                )
            }
            _ => (days(rng, 1, 4), act("sign"), PWho::Handler),
        },
        // Re-assigned after the objection, to the same department (the demo's matters are
        // routed right the second time).
        "object" => {
            plan.route = Route::Accept;
            (days(rng, 1, 3), act("accept"), PWho::Officer)
        }
        "accept" => (days(rng, 1, 8), act("notify"), PWho::Officer),
        "sign" => (days(rng, 1, 8), act("notify"), PWho::Handler),
        "notify" if plan.extension => (
            days(rng, 25, 35),
            TransitionRequest {
                extension: Some(rng.random_range(10..31)),
                ..with_reason(
                    "request_extension",
                    "涉及多个部门和较多当事人，需进一步调查核实",
                )
            },
            handler,
        ),
        "notify" => (days(rng, 10, 35), letter("reply", plan), handler),
        "request_extension" => (
            days(rng, 1, 3),
            TransitionRequest {
                extension: Some(30),
                ..with_reason("approve_extension", "情况复杂，经负责人批准延长办理期限")
            },
            PWho::Leader,
        ),
        "approve_extension" => (days(rng, 5, 15), letter("reply", plan), handler),
        "reply" | "review_decide" => {
            let wanted = if action == "reply" { 1 } else { 2 };
            if plan.review >= wanted {
                let a = if wanted == 1 {
                    "request_review"
                } else {
                    "request_rereview"
                };
                (
                    days(rng, 3, 12),
                    with_reason(a, "信访人对处理意见不服，在法定期限内提出申请"),
                    PWho::Officer,
                )
            } else {
                // Filed once the 30日 period has passed without a request.
                (25 * DAY, act("conclude"), PWho::Officer)
            }
        }
        "request_review" => (
            days(rng, 8, 18),
            letter("review_decide", plan),
            PWho::Leader,
        ),
        "request_rereview" if plan.hearing => (
            days(rng, 3, 8),
            with_note("start_hearing", "组织听证，听取各方意见"),
            PWho::Leader,
        ),
        "request_rereview" | "end_hearing" => (
            days(rng, 5, 15),
            letter("rereview_decide", plan),
            PWho::Leader,
        ),
        "start_hearing" => (
            days(rng, 2, 5),
            with_note("end_hearing", "听证结束，形成听证笔录"),
            PWho::Leader,
        ),
        _ => return None,
    })
}

/// Most petitioners rate the handling once they have the reply.
pub fn rating(rng: &mut ChaCha8Rng) -> Option<&'static str> {
    match rng.random_range(0..100) {
        0..55 => Some("satisfied"),
        55..72 => Some("basic"),
        72..78 => Some("dissatisfied"),
        _ => None,
    }
}

/// 领导包案 and 挂牌销号 for an overseen petition: once the acceptance notice is out, the leader
/// takes charge with a plan and the item is listed with its owner, both due with the reply;
/// after the reply the leader reports, the five criteria are checked and the item is delisted.
pub async fn oversee<S: Store>(
    app: &App<S>,
    officer: &Principal,
    leader: &Principal,
    row: &zhili_store::CaseRow,
    action: &str,
) -> Result<()> {
    use zhili_server::oversight::{
        CriterionRequest, DelistRequest, LeadReportRequest, LeadRequest, ListRequest,
    };
    match action {
        "notify" => {
            let due = row
                .clocks
                .overall_due()
                .map(|t| zhili_domain::clock::to_local(t - chrono::Duration::days(1)).date())
                .unwrap_or_default()
                .to_string();
            app.assign_lead(
                officer,
                row.id,
                LeadRequest {
                    leader_id: leader.user.id,
                    plan: format!(
                        "{}：领导包案，召集承办单位研究处理方案，当面听取信访人诉求，限期办结。",
                        row.title
                    ),
                    deadline: due.clone(),
                },
            )
            .await
            .map_err(err)?;
            if let Some(owner) = row.department_id {
                app.list_on_ledger(
                    officer,
                    row.id,
                    ListRequest {
                        owner_department_id: owner,
                        deadline: due,
                        reason: "重点信访事项，挂牌督办".into(),
                    },
                )
                .await
                .map_err(err)?;
            }
        }
        "reply" => {
            app.report_lead(
                leader,
                row.id,
                LeadReportRequest {
                    report: "已召开协调会，书面答复信访人，处理意见已落实。".into(),
                },
            )
            .await
            .map_err(err)?;
            if row.ledger_due_at.is_some() {
                for c in &app.mechanisms.ledger_criteria {
                    app.meet_criterion(
                        officer,
                        row.id,
                        CriterionRequest {
                            criterion: c.id.clone(),
                            note: format!("经核查，{}", c.label),
                        },
                    )
                    .await
                    .map_err(err)?;
                }
                app.delist(
                    leader,
                    row.id,
                    DelistRequest {
                        note: "五项销号条件均已达到，同意销号".into(),
                    },
                )
                .await
                .map_err(err)?;
            }
        }
        _ => {}
    }
    Ok(())
}
