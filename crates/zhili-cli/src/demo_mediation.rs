//! The demo town's mediation at the seed's scale: a people's mediation committee in every village
//! and community, 5,656 mediations a year (most settled by agreement, some confirmed by the
//! court, the subsidy approved and paid), 248 court-linked pre-filing mediations and 443
//! labour-arbitration cases.

use anyhow::Result;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use zhili_domain::case::Channel;
use zhili_server::App;
use zhili_server::auth::Principal;
use zhili_server::cases::{AgreementInput, PartyInput, TransitionRequest};
use zhili_server::mediation::{CommitteeRequest, MediationRequest, PersonInput};
use zhili_store::{NodeRow, Store};

use crate::demo::{GIVEN, SURNAMES, err};

/// Disputes: title, what is agreed, the kind of dispute (`zhili_domain::mediation::CATEGORIES`).
const DISPUTES: &[(&str, &str, &str)] = &[
    ("邻里漏水纠纷", "责任方承担维修费用", "neighbour"),
    ("宅基地边界纠纷", "双方按原界址确认边界", "homestead_land"),
    ("民间借贷纠纷", "借款人分期归还借款", "debt"),
    ("婚姻家庭纠纷", "双方和好，互相尊重", "marriage_family"),
    ("劳务报酬纠纷", "雇主支付拖欠报酬", "labour"),
    ("交通事故赔偿纠纷", "肇事方一次性赔偿医疗费", "traffic"),
    ("物业服务纠纷", "业主补交物业费，物业整改服务", "property"),
    ("租赁合同纠纷", "退还押金，解除租赁", "contract"),
];

/// Which kind a case is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MKind {
    Peoples,
    Court,
    Arbitration,
}

impl MKind {
    fn as_str(self) -> &'static str {
        match self {
            MKind::Peoples => "mediation",
            MKind::Court => "court_mediation",
            MKind::Arbitration => "labour_arbitration",
        }
    }
}

#[derive(Clone, Debug)]
pub struct MPlan {
    pub kind: MKind,
    pub dispute: usize,
    /// What ends it: "succeed", "fail", "withdraw", "refuse", "award", "settle", "reject".
    pub end: &'static str,
    pub sessions: u32,
    pub confirm: bool,
    pub extension: bool,
}

/// Who takes a step.
#[derive(Clone, Copy, Debug)]
pub enum MWho {
    Mediator,
    Leader,
}

/// A step: an action, or the subsidy's approval and payment.
#[derive(Clone, Debug)]
pub enum MStep {
    Act(Box<TransitionRequest>, MWho),
    Subsidy,
}

const DAY: i64 = 8 * 60;

fn act(a: &str, note: Option<&str>, reason: Option<&str>) -> Box<TransitionRequest> {
    Box::new(TransitionRequest {
        action: a.into(),
        note: note.map(String::from),
        reason: reason.map(String::from),
        ..Default::default()
    })
}

/// A committee in every village, its chair a woman; the village's mediator account is a member.
pub async fn committees<S: Store>(
    app: &App<S>,
    admin: &Principal,
    villages: &[NodeRow],
    mediators: &[Principal],
    term_start: &str,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<i64>> {
    let mut depts = Vec::new();
    for (i, v) in villages.iter().enumerate() {
        let person = |g: &str, chair: bool, rng: &mut ChaCha8Rng| PersonInput {
            name: format!(
                "{}{}{}",
                SURNAMES[rng.random_range(0..SURNAMES.len())],
                GIVEN[rng.random_range(0..GIVEN.len())],
                GIVEN[rng.random_range(0..GIVEN.len())]
            ),
            gender: g.into(),
            user_id: None,
            chair,
        };
        let mut members = vec![person("female", true, rng), person("male", false, rng)];
        members.push(PersonInput {
            user_id: Some(mediators[i].user.id),
            ..person("male", false, rng)
        });
        for _ in 0..rng.random_range(0..3) {
            members.push(person(
                if rng.random_bool(0.4) {
                    "female"
                } else {
                    "male"
                },
                false,
                rng,
            ));
        }
        let c = app
            .create_committee(
                admin,
                CommitteeRequest {
                    node_id: v.id,
                    code: format!("twh{}", &v.code[v.code.len() - 3..]),
                    name: format!("{}人民调解委员会", v.name),
                    term_start: term_start.into(),
                    members,
                },
            )
            .await
            .map_err(err)?;
        depts.push(c.department.id);
    }
    Ok(depts)
}

/// Register one case and plan its life.
pub async fn register<S: Store>(
    app: &App<S>,
    mediator: &Principal,
    village: &NodeRow,
    committee: Option<i64>,
    kind: MKind,
    rng: &mut ChaCha8Rng,
) -> Result<(i64, MPlan, (i64, MStep))> {
    let dispute = rng.random_range(0..DISPUTES.len());
    let (title, _, category) = DISPUTES[dispute];
    let name = |rng: &mut ChaCha8Rng| {
        format!(
            "{}{}",
            SURNAMES[rng.random_range(0..SURNAMES.len())],
            GIVEN[rng.random_range(0..GIVEN.len())]
        )
    };
    let title = match kind {
        MKind::Arbitration => "劳动争议：拖欠工资及经济补偿",
        _ => title,
    };
    let c = app
        .register_mediation(
            mediator,
            MediationRequest {
                kind: kind.as_str().into(),
                // Most come by a party's application; some the committee takes up itself.
                start: (kind == MKind::Peoples).then(|| {
                    if rng.random_bool(0.85) {
                        "application"
                    } else {
                        "committee"
                    }
                    .to_string()
                }),
                category: Some(
                    match kind {
                        MKind::Arbitration => "labour",
                        _ => category,
                    }
                    .into(),
                ),
                channel: if rng.random_bool(0.6) {
                    Channel::Visit
                } else {
                    Channel::Phone
                },
                title: title.into(),
                content: format!("{}申请调解：{}", village.name, title),
                address: None,
                node_id: village.id,
                department_id: committee,
                parties: vec![
                    PartyInput {
                        role: "applicant".into(),
                        name: name(rng),
                        id_number: None,
                        phone: Some(format!("13{:09}", rng.random_range(0..1_000_000_000u64))),
                        address: None,
                    },
                    PartyInput {
                        role: "respondent".into(),
                        name: name(rng),
                        id_number: None,
                        phone: None,
                        address: None,
                    },
                ],
                attachment_ids: vec![],
            },
        )
        .await
        .map_err(err)?;
    let roll = rng.random_range(0..100);
    let end = match kind {
        MKind::Peoples => match roll {
            0..3 => "refuse",
            3..9 => "fail",
            9..11 => "withdraw",
            _ => "succeed",
        },
        MKind::Court => match roll {
            0..5 => "decline",
            5..20 => "fail",
            _ => "succeed",
        },
        MKind::Arbitration => match roll {
            0..5 => "reject",
            5..10 => "withdraw",
            10..45 => "settle",
            _ => "award",
        },
    };
    let plan = MPlan {
        kind,
        dispute,
        end,
        sessions: rng.random_range(0..3),
        confirm: rng.random_bool(0.2),
        extension: kind == MKind::Arbitration && rng.random_bool(0.08),
    };
    let first = match end {
        "refuse" => act("refuse", None, Some("被申请人明确表示不同意调解")),
        "decline" => act("decline", None, Some("不属于人民调解受理范围，退回法院")),
        "reject" => act(
            "reject",
            None,
            Some("不属于劳动争议受理范围，告知可依法起诉"),
        ),
        _ => act("accept", None, None),
    };
    Ok((
        c.id,
        plan,
        (
            rng.random_range(DAY / 4..2 * DAY),
            MStep::Act(first, MWho::Mediator),
        ),
    ))
}

fn agreement(
    plan: &MPlan,
    today: chrono::NaiveDate,
    rng: &mut ChaCha8Rng,
) -> Box<TransitionRequest> {
    let (title, content, _) = DISPUTES[plan.dispute];
    // Simple disputes settled at the first sitting, with no court confirmation wanted, are
    // often agreed orally and recorded by the mediator (第30条).
    let oral = plan.kind == MKind::Peoples && plan.sessions == 0 && !plan.confirm;
    Box::new(TransitionRequest {
        action: "succeed".into(),
        agreement: Some(AgreementInput {
            oral,
            facts: format!("双方因{title}发生争议，经调查，双方对主要事实无异议"),
            content: content.into(),
            performance: if oral {
                "当场履行或按口头约定履行"
            } else {
                "双方签字后按约定履行"
            }
            .into(),
            deadline: (today + chrono::Duration::days(rng.random_range(25..46)))
                .format("%Y-%m-%d")
                .to_string(),
        }),
        ..Default::default()
    })
}

/// The step after `last`; `today` is the local date of the next step.
pub fn next_step(
    last: &MStep,
    plan: &mut MPlan,
    today: chrono::NaiveDate,
    rng: &mut ChaCha8Rng,
) -> Option<(i64, MStep)> {
    let days = |rng: &mut ChaCha8Rng, a: i64, b: i64| rng.random_range(a * DAY..b * DAY);
    let MStep::Act(r, _) = last else {
        return None;
    };
    let med = |r: Box<TransitionRequest>| MStep::Act(r, MWho::Mediator);
    Some(match (plan.kind, r.action.as_str()) {
        (_, "accept") | (_, "session") | (_, "hearing") if plan.sessions > 0 => {
            plan.sessions -= 1;
            let a = if plan.kind == MKind::Arbitration {
                "hearing"
            } else {
                "session"
            };
            (
                days(rng, 1, 6),
                med(act(a, Some("组织双方当事人调解，听取陈述"), None)),
            )
        }
        (MKind::Arbitration, "accept" | "hearing" | "approve_extension") if plan.extension => {
            plan.extension = false;
            (
                days(rng, 10, 25),
                med(Box::new(TransitionRequest {
                    extension: Some(15),
                    ..*act("request_extension", None, Some("案情复杂，需补充证据"))
                })),
            )
        }
        (MKind::Arbitration, "request_extension") => (
            days(rng, 1, 3),
            MStep::Act(
                Box::new(TransitionRequest {
                    extension: Some(15),
                    ..*act("approve_extension", None, Some("经仲裁委主任批准延期"))
                }),
                MWho::Leader,
            ),
        ),
        (MKind::Arbitration, "accept" | "hearing" | "approve_extension") => (
            days(rng, 10, 30),
            med(match plan.end {
                "settle" => act("settle", Some("经仲裁庭调解，双方达成调解协议"), None),
                "withdraw" => act("withdraw", None, Some("申请人撤回仲裁申请")),
                _ => act("award", Some("依法作出裁决"), None),
            }),
        ),
        (_, "accept" | "session") => (
            days(rng, 1, 8),
            med(match plan.end {
                "fail" => act(
                    "fail",
                    None,
                    Some("双方分歧较大，调解不成，已告知通过仲裁、行政、司法途径解决"),
                ),
                "withdraw" => act("withdraw", None, Some("申请人要求终止调解")),
                _ => agreement(plan, today, rng),
            }),
        ),
        (MKind::Peoples, "succeed") if plan.confirm => (
            days(rng, 2, 12),
            med(act(
                "apply_confirmation",
                Some("双方共同申请司法确认"),
                None,
            )),
        ),
        (MKind::Peoples, "succeed") => (days(rng, 8, 25), MStep::Subsidy),
        (MKind::Peoples, "apply_confirmation") => (
            days(rng, 3, 8),
            med(act("confirmed", Some("法院裁定调解协议有效"), None)),
        ),
        (MKind::Peoples, "confirmed") => (days(rng, 5, 15), MStep::Subsidy),
        _ => return None,
    })
}

/// After the subsidy: the agreement is performed.
pub fn performed() -> MStep {
    MStep::Act(
        act("performed", Some("回访确认协议已履行完毕"), None),
        MWho::Mediator,
    )
}

/// A subsidy grade for a case, by how hard it was.
pub fn subsidy_grade(rng: &mut ChaCha8Rng) -> &'static str {
    match rng.random_range(0..100) {
        0..45 => "simple",
        45..85 => "ordinary",
        85..97 => "complex",
        _ => "major",
    }
}
