//! Risk screening (矛盾风险隐患排查化解) as a service: registering risks and unstable events with
//! their grade, responsible unit and leader; re-grading, with rising risks escalated. The
//! workflow is `data/workflows/risk.toml`, the rules `zhili_domain::risk`.

pub mod api;
pub mod web;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhili_domain::case::{Channel, Priority};
use zhili_domain::org::Role;
use zhili_domain::risk::{self as rules, Change, EVENT_KIND, KIND};
use zhili_store::{CaseMarks, CaseRow, NewEvent, Store};

use crate::App;
use crate::auth::Principal;
use crate::cases::{CaseExtra, CreateCaseRequest, PartyInput, check_not_recused, scope_of, text};
use crate::error::{AppError, AppResult};

/// A screened risk or an unstable event, as registered (排查登记).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskRequest {
    /// `risk` (风险隐患, default) or `unstable_event` (不稳定事件).
    #[serde(default = "default_kind")]
    pub kind: String,
    /// dispute, safety, public_order, stability, group_incident, extreme
    pub category: String,
    /// Where it was found (排查来源): grid_patrol, visit, phone, hotline, web, leader, other …
    #[schema(value_type = String, example = "grid_patrol")]
    pub channel: Channel,
    pub title: String,
    pub content: String,
    pub node_id: i64,
    #[serde(default)]
    pub address: Option<String>,
    /// A grade id of the deployment's scheme (`GET /api/v1/risks/grades`).
    pub grade: String,
    /// How many people are involved (涉及人数).
    #[serde(default)]
    pub people_involved: u32,
    /// The responsible unit (责任单位), if already known.
    #[serde(default)]
    pub department_id: Option<i64>,
    /// The responsible leader (包保领导): required for the most serious grade.
    #[serde(default)]
    pub leader_id: Option<i64>,
    /// People involved (encrypted, masked).
    #[serde(default)]
    pub parties: Vec<PartyInput>,
    /// The petition, dispute or other case it came from (转自): linked to it in the same commit.
    #[serde(default)]
    pub from_case_id: Option<i64>,
}

fn default_kind() -> String {
    KIND.into()
}

/// A new grade and why (研判).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeRequest {
    pub grade: String,
    pub reason: String,
}

/// A risk's grade as the register shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GradeView {
    pub id: String,
    pub label: String,
    pub color: String,
    pub rank: u32,
}

impl From<&rules::Grade> for GradeView {
    fn from(g: &rules::Grade) -> Self {
        GradeView {
            id: g.id.clone(),
            label: g.label.clone(),
            color: g.color.clone(),
            rank: g.rank,
        }
    }
}

pub fn is_risk(c: &CaseRow) -> bool {
    c.kind == KIND || c.kind == EVENT_KIND
}

impl<S: Store> App<S> {
    fn grade_of(&self, field: &str, id: &str) -> AppResult<&rules::Grade> {
        self.mechanisms.grade(id.trim()).ok_or_else(|| {
            let ids: Vec<_> = self
                .mechanisms
                .risk_grades
                .iter()
                .map(|g| g.id.as_str())
                .collect();
            AppError::invalid(field, format!("unknown grade `{id}` ({})", ids.join(", ")))
        })
    }

    /// A case's current grade, if it is a risk with a known one.
    pub fn risk_grade(&self, c: &CaseRow) -> Option<&rules::Grade> {
        c.details
            .get("grade")
            .and_then(|g| g.as_str())
            .and_then(|g| self.mechanisms.grade(g))
    }

    /// Register a risk or an unstable event; a leader named is put in charge (包保, through
    /// 领导包案) until the risk's own deadline.
    pub async fn register_risk(&self, who: &Principal, req: RiskRequest) -> AppResult<CaseRow> {
        if req.kind != KIND && req.kind != EVENT_KIND {
            return Err(AppError::invalid("kind", "risk or unstable_event"));
        }
        if rules::category_label(req.category.trim()).is_none() {
            let ids: Vec<_> = rules::CATEGORIES.iter().map(|c| c.0).collect();
            return Err(AppError::invalid(
                "category",
                format!("unknown category ({})", ids.join(", ")),
            ));
        }
        // The case it came from must be one the caller can see.
        let from = match req.from_case_id {
            Some(id) => Some(self.case_for(who, id).await.map_err(|e| {
                if e.status == axum::http::StatusCode::NOT_FOUND {
                    AppError::invalid("from_case_id", "no such case you may see")
                } else {
                    e
                }
            })?),
            None => None,
        };
        let grade = self.grade_of("grade", &req.grade)?.clone();
        let top = rules::top(&self.mechanisms.risk_grades).is_some_and(|t| t.id == grade.id);
        let title = text("title", &req.title, 1, 200)?;
        if let Some(leader) = req.leader_id {
            // Checked before anything is written: the leader, and the caller's right to name one.
            let node = self
                .node_ref(req.node_id)
                .await
                .map_err(|_| AppError::invalid("node_id", "no such org node"))?;
            let scope = zhili_domain::org::Scope {
                node_path: &node.path,
                department_id: None,
            };
            if !who
                .roles_in(scope)
                .iter()
                .any(|r| matches!(r, Role::Leader | Role::PetitionOfficer | Role::Admin))
            {
                return Err(AppError::forbidden(
                    "only a leader, petition officer or admin names the responsible leader",
                ));
            }
            let grants: Vec<_> = match self.store.user_grants(leader).await {
                Ok(g) => g.iter().map(|g| g.to_grant()).collect(),
                Err(_) => Vec::new(),
            };
            if !zhili_domain::org::roles_in(&grants, scope).contains(&Role::Leader) {
                return Err(AppError::invalid(
                    "leader_id",
                    "the responsible leader must be a leader over the place",
                ));
            }
        }
        // The most serious grade without a leader named waits for one (待领导包保).
        let details = serde_json::json!({
            "grade": grade.id,
            "people_involved": req.people_involved,
            "needs_leader": top && req.leader_id.is_none(),
            "grades": [{"grade": grade.id, "at": self.now(), "by": who.user.id}],
        });
        let made = self
            .create_case_with(
                who,
                CreateCaseRequest {
                    kind: req.kind.clone(),
                    category: Some(req.category.trim().into()),
                    channel: req.channel,
                    priority: if top {
                        Priority::Urgent
                    } else {
                        Priority::Normal
                    },
                    title,
                    content: req.content,
                    address: req.address,
                    lat: None,
                    lon: None,
                    node_id: Some(req.node_id),
                    // Registered from a case, the unit that holds it keeps it until control
                    // measures are assigned (a committee's mediator may so report, 第25条).
                    department_id: req
                        .department_id
                        .or(from.as_ref().and_then(|c| c.department_id)),
                    parties: req.parties,
                    attachment_ids: vec![],
                },
                CaseExtra {
                    details: Some(details),
                    repeat_of: None,
                    related_to: from.as_ref().map(|c| c.id),
                },
            )
            .await?;
        let mut c = made.case;
        if let Some(leader) = req.leader_id {
            let due = c
                .clocks
                .overall_due()
                .unwrap_or_else(|| self.now() + chrono::Duration::days(30));
            let day = zhili_domain::clock::to_local(due - chrono::Duration::seconds(1))
                .date()
                .format("%Y-%m-%d")
                .to_string();
            c = self
                .assign_lead(
                    who,
                    c.id,
                    crate::oversight::LeadRequest {
                        leader_id: leader,
                        plan: format!("包保{}：{}", grade.label, c.title),
                        deadline: day,
                    },
                )
                .await?;
        }
        Ok(c)
    }

    /// A new grade (研判); a rise is an escalation (升级): recorded as such, and a risk that
    /// reaches the most serious grade without a leader in charge is marked as needing one.
    pub async fn regrade_risk(
        &self,
        who: &Principal,
        id: i64,
        req: GradeRequest,
    ) -> AppResult<CaseRow> {
        let c = self.case_for(who, id).await?;
        if !is_risk(&c) {
            return Err(AppError::not_found("risk"));
        }
        check_not_recused(who, &c)?;
        let roles = who.roles_in(scope_of(&c));
        if !roles.iter().any(|r| {
            matches!(
                r,
                Role::Dispatcher
                    | Role::PetitionOfficer
                    | Role::Leader
                    | Role::GridWorker
                    | Role::Admin
            )
        }) {
            return Err(AppError::forbidden(
                "only the command centre, a grid worker or a leader grades risks",
            ));
        }
        if c.ended_at.is_some() {
            return Err(AppError::new(
                axum::http::StatusCode::CONFLICT,
                "ended",
                "this risk has ended",
            ));
        }
        let new = self.grade_of("grade", &req.grade)?.clone();
        let reason = text("reason", &req.reason, 1, 1000)?;
        let old = self.risk_grade(&c).cloned().unwrap_or_else(|| new.clone());
        let change = rules::change(&old, &new);
        if change == Change::Same {
            return Err(AppError::invalid(
                "grade",
                format!("the risk is {} already", new.label),
            ));
        }
        let top = rules::top(&self.mechanisms.risk_grades).is_some_and(|t| t.id == new.id);
        let led = crate::oversight::oversight_of(&c)
            .lead
            .is_some_and(|l| l.reported_at.is_none());
        let now = self.now();
        let mut d = c.details.clone();
        if !d.is_object() {
            d = serde_json::json!({});
        }
        d["grade"] = serde_json::json!(new.id);
        d["needs_leader"] = serde_json::json!(top && !led);
        let entry =
            serde_json::json!({"grade": new.id, "at": now, "by": who.user.id, "reason": reason});
        match d.get_mut("grades").and_then(|v| v.as_array_mut()) {
            Some(list) => list.push(entry),
            None => d["grades"] = serde_json::json!([entry]),
        }
        let kind = if change == Change::Up {
            "risk_escalated"
        } else {
            "risk_regraded"
        };
        Ok(self
            .store
            .set_details(
                c.id,
                c.version,
                d,
                CaseMarks::of(&c),
                NewEvent {
                    kind: kind.into(),
                    actor_id: Some(who.user.id),
                    at: now,
                    data: serde_json::json!({
                        "from": old.id, "from_label": old.label,
                        "to": new.id, "to_label": new.label,
                        "change": change, "reason": reason,
                        "needs_leader": top && !led,
                    }),
                },
            )
            .await?)
    }
}
