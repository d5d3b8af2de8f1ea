//! The demo town's 数字城管 reports: grid patrols, video patrols, hotline and web reports of the
//! taxonomy's subclasses, each driven through the urban workflow by the people who would act,
//! at the pace the subclass's limits ask for, with the usual share of 自行处置, 不予立案, 退单,
//! 延期, 挂账 and 返工. The closure rate comes out of that behaviour; nothing forces it.

use anyhow::Result;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use zhili_domain::case::{CaseLimits, Channel, Priority};
use zhili_domain::clock::{Span, TimeUnit};
use zhili_domain::urban::taxonomy::{ClassKind, Taxonomy};
use zhili_server::App;
use zhili_server::cases::{CreateCaseRequest, PartyInput, TransitionRequest};
use zhili_store::{NodeRow, Store};

use crate::demo::{GIVEN, PHOTO, ROADS, SURNAMES, Staff, Who, err};
use crate::geometry;

/// How a report's life will go, drawn when it is made.
pub struct UrbanPlan {
    pub self_handle: bool,
    pub reject: bool,
    pub wrong_department: bool,
    pub extension: bool,
    pub park: bool,
    pub rework: bool,
    pub slow: bool,
    pub cancel: bool,
}

/// The subclasses with how often each is reported: street and sanitation events most, then
/// public-utility and road components, the rest now and then.
pub fn weighted_subclasses(t: &Taxonomy) -> Vec<(String, String, u32)> {
    t.subclasses
        .iter()
        .map(|s| {
            let w = match (s.kind, s.major_code.as_str()) {
                (ClassKind::Event, "01") | (ClassKind::Event, "05") => 12,
                (ClassKind::Event, _) => 3,
                (ClassKind::Component, "01") | (ClassKind::Component, "02") => 4,
                (ClassKind::Component, _) => 1,
            };
            (s.key(), s.name.clone(), w)
        })
        .collect()
}

fn pick<'a>(items: &'a [(String, String, u32)], rng: &mut ChaCha8Rng) -> &'a (String, String, u32) {
    let total: u32 = items.iter().map(|i| i.2).sum();
    let mut x = rng.random_range(0..total);
    for i in items {
        if x < i.2 {
            return i;
        }
        x -= i.2;
    }
    &items[items.len() - 1]
}

/// Office minutes a limit stands for (a working day has 7 office hours).
fn minutes(s: Span) -> f64 {
    let per = match s.unit {
        TimeUnit::WorkingHour | TimeUnit::ClockHour => 60.0,
        TimeUnit::WorkingDay | TimeUnit::CalendarDay => 420.0,
    };
    f64::from(s.amount) * per
}

fn limit(limits: &CaseLimits, stage: &str) -> f64 {
    limits.stages.get(stage).map_or(60.0, |s| minutes(*s))
}

/// A delay within `share` (a range of fractions) of a limit, at least 2 minutes.
fn within(limit: f64, share: std::ops::Range<f64>, rng: &mut ChaCha8Rng) -> i64 {
    (limit * rng.random_range(share)).max(2.0) as i64
}

/// A transition request with nothing but its action.
pub fn act(a: &str) -> TransitionRequest {
    TransitionRequest {
        action: a.into(),
        ..Default::default()
    }
}

type Next = Option<(i64, TransitionRequest, Who)>;

/// Make one report now; returns the case, its plan and its first step.
pub async fn report<S: Store>(
    app: &App<S>,
    staff: &Staff,
    villages: &[NodeRow],
    grids: &[Vec<NodeRow>],
    subclasses: &[(String, String, u32)],
    rng: &mut ChaCha8Rng,
) -> Result<(i64, UrbanPlan, Next)> {
    let (key, name, _) = pick(subclasses, rng).clone();
    let vi = rng.random_range(0..villages.len());
    let gi = rng.random_range(0..grids[vi].len());
    let (a0, a1) = geometry::village_angles(vi, villages.len());
    let frac = [(0.05, 0.4), (0.4, 0.75), (0.75, 0.98)][gi];
    let (lon, lat) = geometry::point(rng.random_range(a0..a1), rng.random_range(frac.0..frac.1));
    let channel = match rng.random_range(0..100) {
        0..55 => Channel::GridPatrol,
        55..70 => Channel::VideoPatrol,
        70..92 => Channel::Hotline,
        _ => Channel::Web,
    };
    let public = matches!(channel, Channel::Hotline | Channel::Web);
    let who = if channel == Channel::GridPatrol {
        &staff.village_workers[vi]
    } else {
        &staff.dispatcher
    };
    let road = ROADS[rng.random_range(0..ROADS.len())];
    let address = format!(
        "清溪镇{}{}{}号",
        villages[vi].name,
        road,
        rng.random_range(1..300)
    );
    let parties = if public {
        vec![PartyInput {
            role: "complainant".into(),
            name: format!(
                "{}{}",
                SURNAMES[rng.random_range(0..SURNAMES.len())],
                GIVEN[rng.random_range(0..GIVEN.len())]
            ),
            phone: Some(format!("139{:08}", rng.random_range(0..100_000_000u32))),
            ..Default::default()
        }]
    } else {
        vec![]
    };
    let attachment_ids = if public {
        vec![]
    } else {
        vec![
            app.save_attachment(who, "现场照片.png", PHOTO)
                .await
                .map_err(err)?
                .id,
        ]
    };
    let made = app
        .create_case(
            who,
            CreateCaseRequest {
                kind: "urban".into(),
                category: Some(key),
                channel,
                priority: if rng.random_bool(0.03) {
                    Priority::Urgent
                } else {
                    Priority::Normal
                },
                title: format!("{}{road}{name}", villages[vi].name),
                content: format!("{}：{address}附近{name}，请处置。", channel.label_zh()),
                address: Some(address),
                lat: Some(lat),
                lon: Some(lon),
                node_id: Some(grids[vi][gi].id),
                department_id: None,
                parties,
                attachment_ids,
            },
        )
        .await
        .map_err(err)?;
    let c = made.case;
    let plan = UrbanPlan {
        self_handle: channel == Channel::GridPatrol && rng.random_bool(0.15),
        reject: public && rng.random_bool(0.06),
        wrong_department: rng.random_bool(0.03),
        extension: rng.random_bool(0.03),
        park: rng.random_bool(0.012),
        rework: rng.random_bool(0.06),
        slow: rng.random_bool(0.07),
        cancel: rng.random_bool(0.004),
    };
    let limits = app.case_limits(&c.kind, c.category.as_deref());
    let first = if plan.cancel {
        (
            rng.random_range(10..120),
            TransitionRequest {
                reason: Some("重复上报，已并入先前案件".into()),
                ..act("cancel")
            },
            Who::Dispatcher,
        )
    } else if plan.self_handle {
        (
            rng.random_range(5..40),
            TransitionRequest {
                note: Some("问题轻微，已当场处置".into()),
                ..act("self_handle")
            },
            Who::GridWorker,
        )
    } else if public {
        (
            within(limit(&limits, "verify"), 0.2..0.95, rng),
            TransitionRequest {
                note: Some("已到现场核实".into()),
                ..act("verify_report")
            },
            Who::GridWorker,
        )
    } else {
        (
            within(limit(&limits, "register"), 0.1..0.9, rng),
            act("register"),
            Who::Dispatcher,
        )
    };
    Ok((c.id, plan, Some(first)))
}

/// The step after `done`, with its delay in office minutes.
pub fn next_step(
    done: &str,
    plan: &mut UrbanPlan,
    limits: &CaseLimits,
    rng: &mut ChaCha8Rng,
) -> Next {
    Some(match done {
        "verify_report" => {
            if plan.reject {
                (
                    rng.random_range(5..50),
                    TransitionRequest {
                        reason: Some("经现场核实，问题不存在或不属数字城管范围".into()),
                        ..act("reject")
                    },
                    Who::Dispatcher,
                )
            } else {
                (
                    within(limit(limits, "register"), 0.1..0.9, rng),
                    act("register"),
                    Who::Dispatcher,
                )
            }
        }
        "register" | "return" => (
            within(limit(limits, "dispatch"), 0.1..0.9, rng),
            act("dispatch"),
            Who::Dispatcher,
        ),
        "dispatch" => {
            if plan.wrong_department {
                plan.wrong_department = false;
                (
                    rng.random_range(10..60),
                    TransitionRequest {
                        reason: Some("不属于本单位职责，请重新派遣".into()),
                        ..act("return")
                    },
                    Who::Handler,
                )
            } else {
                (rng.random_range(5..40), act("sign"), Who::Handler)
            }
        }
        "sign" | "unpark" | "approve_extension" | "rework" => {
            if plan.park {
                plan.park = false;
                (
                    rng.random_range(60..400),
                    TransitionRequest {
                        reason: Some("需多部门协调，暂时挂账".into()),
                        ..act("park")
                    },
                    Who::Leader,
                )
            } else if plan.extension {
                plan.extension = false;
                (
                    within(limit(limits, "handle"), 0.3..0.7, rng),
                    TransitionRequest {
                        reason: Some("需采购材料，申请延期".into()),
                        extension: Some(2),
                        ..act("request_extension")
                    },
                    Who::Handler,
                )
            } else {
                // Most departments finish well inside the limit; a few run over it.
                let r: f64 = rng.random_range(0.0..1.0);
                let share = if plan.slow {
                    1.1 + 1.4 * r
                } else {
                    0.05 + 0.8 * r * r
                };
                plan.slow = false;
                (
                    (limit(limits, "handle") * share).max(2.0) as i64,
                    TransitionRequest {
                        note: Some("已处置完毕，见处置后照片".into()),
                        ..act("report")
                    },
                    Who::Handler,
                )
            }
        }
        "park" => (rng.random_range(1200..6000), act("unpark"), Who::Leader),
        "request_extension" => (
            rng.random_range(30..240),
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
                    within(limit(limits, "check"), 0.2..0.9, rng),
                    TransitionRequest {
                        reason: Some("现场核查未处置到位".into()),
                        ..act("rework")
                    },
                    Who::Checker,
                )
            } else {
                (
                    within(limit(limits, "check"), 0.2..0.95, rng),
                    TransitionRequest {
                        note: Some("现场核查，已处置到位".into()),
                        ..act("check")
                    },
                    Who::Checker,
                )
            }
        }
        "check" => (rng.random_range(5..60), act("close"), Who::Dispatcher),
        _ => return None,
    })
}
