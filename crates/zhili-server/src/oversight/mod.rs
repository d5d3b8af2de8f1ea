//! Local working mechanisms over cases (RULES.md §1.4): leader ownership (领导包案: one leader, a
//! written plan, a deadline, a closure report) and the tag-and-close ledger (挂牌销号: listed with
//! an owner and a deadline, taken off only when the deployment's closure criteria are met and a
//! leader or petition officer verifies it). First-receiver ownership (首访负责) is in the case
//! engine (an objection hands an item back to its first receiver). Each change is written with
//! its event in one commit.

pub mod api;
pub mod web;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhili_domain::org::Role;
use zhili_domain::oversight::Mechanisms;
use zhili_store::{CaseFilter, CaseMarks, CaseRow, DbError, NewEvent, Store};

use crate::App;
use crate::auth::Principal;
use crate::cases::{check_not_recused, scope_of, text};
use crate::error::{AppError, AppResult};

pub fn load_mechanisms(settings: &crate::config::Settings) -> Result<Mechanisms, String> {
    match &settings.mechanisms_file {
        None => Ok(Mechanisms::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Mechanisms::from_toml(&text).map_err(|e| format!("{}: {e}", p.display()))
        }
    }
}

/// 领导包案: a leader takes personal charge, with a written plan and a deadline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadRequest {
    pub leader_id: i64,
    /// The written plan (包案方案): investigation, measures, coordination.
    pub plan: String,
    /// Settle by this day (`YYYY-MM-DD`, China Standard Time, to 24:00).
    pub deadline: String,
}

/// The leader's closure report (结案报告), handed to the petition office.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadReportRequest {
    pub report: String,
}

/// A later deadline, with the head's consent (another leader or an admin) and a reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRequest {
    pub deadline: String,
    pub reason: String,
}

/// 挂牌: put a case on the ledger with the department that owns settling it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRequest {
    pub owner_department_id: i64,
    pub deadline: String,
    pub reason: String,
}

/// One closure criterion met, with what shows it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionRequest {
    /// The criterion's id (`GET /api/v1/ledger/criteria`).
    pub criterion: String,
    pub note: String,
}

/// 销号: the verifier's note.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelistRequest {
    pub note: String,
}

/// A case's oversight: who leads it and its ledger entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct Oversight {
    pub lead: Option<Lead>,
    pub ledger: Option<LedgerEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Lead {
    pub leader_id: i64,
    pub leader_name: String,
    pub plan: String,
    pub due_at: DateTime<Utc>,
    pub assigned_by: i64,
    pub assigned_at: DateTime<Utc>,
    #[serde(default)]
    pub extensions: Vec<String>,
    pub report: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CriterionState {
    pub id: String,
    pub label: String,
    pub met: bool,
    pub note: Option<String>,
    pub by: Option<i64>,
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LedgerEntry {
    pub owner_department_id: i64,
    pub owner_name: String,
    pub reason: String,
    pub due_at: DateTime<Utc>,
    pub listed_by: i64,
    pub listed_at: DateTime<Utc>,
    pub criteria: Vec<CriterionState>,
    pub delisted_at: Option<DateTime<Utc>>,
    pub verified_by: Option<i64>,
    pub verify_note: Option<String>,
}

/// A case's oversight as kept in its details.
pub fn oversight_of(c: &CaseRow) -> Oversight {
    Oversight {
        lead: c
            .details
            .get("lead")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok()),
        ledger: c
            .details
            .get("ledger")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok()),
    }
}

fn conflict(code: &'static str, msg: impl Into<String>) -> AppError {
    AppError::new(axum::http::StatusCode::CONFLICT, code, msg)
}

/// A deadline day: today or later, to 24:00 of that day.
fn deadline(field: &str, s: &str, now: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, format!("`{s}` is not a date (YYYY-MM-DD)")))?;
    let due = zhili_domain::clock::end_of_local_day(d);
    if due <= now {
        return Err(AppError::invalid(field, "the deadline has already passed"));
    }
    Ok(due)
}

impl<S: Store> App<S> {
    /// The case, for a user with one of `roles` on it who is not recused from it.
    async fn case_with_role(&self, who: &Principal, id: i64, roles: &[Role]) -> AppResult<CaseRow> {
        let c = self.case_for(who, id).await?;
        check_not_recused(who, &c)?;
        if !who.roles_in(scope_of(&c)).iter().any(|r| roles.contains(r)) {
            let names: Vec<_> = roles.iter().map(|r| r.label_zh()).collect();
            return Err(AppError::forbidden(format!(
                "only {} may do this here",
                names.join("、")
            )));
        }
        Ok(c)
    }

    async fn write_oversight(
        &self,
        c: &CaseRow,
        o: &Oversight,
        marks: CaseMarks,
        who: &Principal,
        kind: &str,
        data: serde_json::Value,
    ) -> AppResult<CaseRow> {
        let mut d = c.details.clone();
        if !d.is_object() {
            d = serde_json::json!({});
        }
        d["lead"] = serde_json::to_value(&o.lead).map_err(AppError::internal)?;
        if o.lead.as_ref().is_some_and(|l| l.reported_at.is_none())
            && d.get("needs_leader").is_some()
        {
            // A risk waiting for a responsible leader has one now.
            d["needs_leader"] = serde_json::json!(false);
        }
        d["ledger"] = serde_json::to_value(&o.ledger).map_err(AppError::internal)?;
        Ok(self
            .store
            .set_details(
                c.id,
                c.version,
                d,
                marks,
                NewEvent {
                    kind: kind.into(),
                    actor_id: Some(who.user.id),
                    at: self.now(),
                    data,
                },
            )
            .await?)
    }

    /// 领导包案: put a leader in personal charge of a case.
    pub async fn assign_lead(
        &self,
        who: &Principal,
        id: i64,
        req: LeadRequest,
    ) -> AppResult<CaseRow> {
        if !self.mechanisms.leader_ownership {
            return Err(conflict(
                "not_used",
                "leader ownership (领导包案) is not used here",
            ));
        }
        let c = self
            .case_with_role(who, id, &[Role::Leader, Role::PetitionOfficer, Role::Admin])
            .await?;
        let mut o = oversight_of(&c);
        if o.lead.as_ref().is_some_and(|l| l.reported_at.is_none()) {
            return Err(conflict(
                "already_led",
                "a leader is already in charge of this case",
            ));
        }
        let plan = text("plan", &req.plan, 1, 5000)?;
        let now = self.now();
        let due = deadline("deadline", &req.deadline, now)?;
        let leader = match self.store.get_user(req.leader_id).await {
            Ok(u) => u,
            Err(DbError::NotFound(_)) => {
                return Err(AppError::invalid("leader_id", "no such user"));
            }
            Err(e) => return Err(e.into()),
        };
        let grants: Vec<_> = self
            .store
            .user_grants(leader.id)
            .await?
            .iter()
            .map(|g| g.to_grant())
            .collect();
        let leads_here = zhili_domain::org::roles_in(&grants, scope_of(&c)).contains(&Role::Leader);
        if !leads_here || leader.disabled {
            return Err(AppError::invalid(
                "leader_id",
                format!("{} is not a leader over this case", leader.username),
            ));
        }
        if crate::cases::recused_ids(&c).contains(&leader.id) {
            return Err(AppError::invalid(
                "leader_id",
                format!("{} is recused from this case", leader.username),
            ));
        }
        o.lead = Some(Lead {
            leader_id: leader.id,
            leader_name: leader.display_name.clone(),
            plan: plan.clone(),
            due_at: due,
            assigned_by: who.user.id,
            assigned_at: now,
            extensions: Vec::new(),
            report: None,
            reported_at: None,
        });
        let marks = CaseMarks {
            lead_id: Some(leader.id),
            lead_due_at: Some(due),
            ..CaseMarks::of(&c)
        };
        self.write_oversight(&c, &o, marks, who, "lead_assigned",
            serde_json::json!({"leader_id": leader.id, "leader_name": leader.display_name, "plan": plan, "due_at": due}))
            .await
    }

    /// The leader in charge hands in the closure report (结案报告).
    pub async fn report_lead(
        &self,
        who: &Principal,
        id: i64,
        req: LeadReportRequest,
    ) -> AppResult<CaseRow> {
        let c = self.case_for(who, id).await?;
        check_not_recused(who, &c)?;
        let mut o = oversight_of(&c);
        let Some(lead) = o.lead.as_mut().filter(|l| l.reported_at.is_none()) else {
            return Err(conflict("not_led", "no leader is in charge of this case"));
        };
        if lead.leader_id != who.user.id {
            return Err(AppError::forbidden(
                "only the leader in charge reports (包案领导)",
            ));
        }
        let report = text("report", &req.report, 1, 10_000)?;
        let now = self.now();
        lead.report = Some(report.clone());
        lead.reported_at = Some(now);
        let on_time = now <= lead.due_at;
        let marks = CaseMarks {
            lead_due_at: None,
            ..CaseMarks::of(&c)
        };
        self.write_oversight(
            &c,
            &o,
            marks,
            who,
            "lead_reported",
            serde_json::json!({"report": report, "on_time": on_time}),
        )
        .await
    }

    /// A later deadline for the leader in charge: with the head's consent (another leader, or an
    /// admin), and a reason.
    pub async fn extend_lead(
        &self,
        who: &Principal,
        id: i64,
        req: DeadlineRequest,
    ) -> AppResult<CaseRow> {
        let c = self
            .case_with_role(who, id, &[Role::Leader, Role::Admin])
            .await?;
        let mut o = oversight_of(&c);
        let Some(lead) = o.lead.as_mut().filter(|l| l.reported_at.is_none()) else {
            return Err(conflict("not_led", "no leader is in charge of this case"));
        };
        if lead.leader_id == who.user.id {
            return Err(AppError::forbidden(
                "the leader in charge does not extend their own deadline",
            ));
        }
        let reason = text("reason", &req.reason, 1, 1000)?;
        let due = deadline("deadline", &req.deadline, self.now())?;
        if due <= lead.due_at {
            return Err(AppError::invalid(
                "deadline",
                "the new deadline must be later",
            ));
        }
        lead.due_at = due;
        lead.extensions.push(reason.clone());
        let marks = CaseMarks {
            lead_due_at: Some(due),
            ..CaseMarks::of(&c)
        };
        self.write_oversight(
            &c,
            &o,
            marks,
            who,
            "lead_extended",
            serde_json::json!({"due_at": due, "reason": reason}),
        )
        .await
    }

    /// 挂牌: list a case on the ledger.
    pub async fn list_on_ledger(
        &self,
        who: &Principal,
        id: i64,
        req: ListRequest,
    ) -> AppResult<CaseRow> {
        if self.mechanisms.ledger_criteria.is_empty() {
            return Err(conflict(
                "not_used",
                "the tag-and-close ledger (挂牌销号) is not used here",
            ));
        }
        let c = self
            .case_with_role(who, id, &[Role::Leader, Role::PetitionOfficer, Role::Admin])
            .await?;
        let mut o = oversight_of(&c);
        if o.ledger.as_ref().is_some_and(|l| l.delisted_at.is_none()) {
            return Err(conflict(
                "already_listed",
                "this case is on the ledger already",
            ));
        }
        let reason = text("reason", &req.reason, 1, 1000)?;
        let now = self.now();
        let due = deadline("deadline", &req.deadline, now)?;
        let owner = self
            .store
            .list_departments()
            .await?
            .into_iter()
            .find(|d| d.id == req.owner_department_id)
            .ok_or_else(|| AppError::invalid("owner_department_id", "no such department"))?;
        o.ledger = Some(LedgerEntry {
            owner_department_id: owner.id,
            owner_name: owner.name.clone(),
            reason: reason.clone(),
            due_at: due,
            listed_by: who.user.id,
            listed_at: now,
            criteria: self
                .mechanisms
                .ledger_criteria
                .iter()
                .map(|k| CriterionState {
                    id: k.id.clone(),
                    label: k.label.clone(),
                    met: false,
                    note: None,
                    by: None,
                    at: None,
                })
                .collect(),
            delisted_at: None,
            verified_by: None,
            verify_note: None,
        });
        let marks = CaseMarks {
            ledger_due_at: Some(due),
            ..CaseMarks::of(&c)
        };
        self.write_oversight(&c, &o, marks, who, "ledger_listed",
            serde_json::json!({"owner_department_id": owner.id, "owner_name": owner.name, "due_at": due, "reason": reason}))
            .await
    }

    /// A closure criterion met: by the owning department's handler or head, or a petition
    /// officer or leader.
    pub async fn meet_criterion(
        &self,
        who: &Principal,
        id: i64,
        req: CriterionRequest,
    ) -> AppResult<CaseRow> {
        let c = self.case_for(who, id).await?;
        check_not_recused(who, &c)?;
        let mut o = oversight_of(&c);
        let Some(entry) = o.ledger.as_mut().filter(|l| l.delisted_at.is_none()) else {
            return Err(conflict("not_listed", "this case is not on the ledger"));
        };
        let owner = entry.owner_department_id;
        let may = who.grants.iter().any(|g| {
            (g.department_id == Some(owner) && matches!(g.role, Role::Handler | Role::DeptHead))
                || (matches!(g.role, Role::PetitionOfficer | Role::Leader | Role::Admin)
                    && g.covers(scope_of(&c)))
        });
        if !may {
            return Err(AppError::forbidden(
                "only the owning department, a petition officer or a leader records criteria",
            ));
        }
        let note = text("note", &req.note, 1, 2000)?;
        let Some(k) = entry
            .criteria
            .iter_mut()
            .find(|k| k.id == req.criterion.trim())
        else {
            let ids: Vec<_> = entry.criteria.iter().map(|k| k.id.as_str()).collect();
            return Err(AppError::invalid(
                "criterion",
                format!("unknown criterion ({})", ids.join(", ")),
            ));
        };
        if k.met {
            return Err(conflict(
                "already_met",
                format!("「{}」 is met already", k.label),
            ));
        }
        k.met = true;
        k.note = Some(note.clone());
        k.by = Some(who.user.id);
        k.at = Some(self.now());
        let data = serde_json::json!({"criterion": k.id, "label": k.label, "note": note});
        self.write_oversight(&c, &o, CaseMarks::of(&c), who, "ledger_criterion_met", data)
            .await
    }

    /// 销号: take a case off the ledger once every criterion is met; the one who does it
    /// verifies them.
    pub async fn delist(&self, who: &Principal, id: i64, req: DelistRequest) -> AppResult<CaseRow> {
        let c = self
            .case_with_role(who, id, &[Role::Leader, Role::PetitionOfficer, Role::Admin])
            .await?;
        let mut o = oversight_of(&c);
        let Some(entry) = o.ledger.as_mut().filter(|l| l.delisted_at.is_none()) else {
            return Err(conflict("not_listed", "this case is not on the ledger"));
        };
        let unmet: Vec<_> = entry
            .criteria
            .iter()
            .filter(|k| !k.met)
            .map(|k| k.label.as_str())
            .collect();
        if !unmet.is_empty() {
            return Err(conflict(
                "criteria_unmet",
                format!("not yet met: {}", unmet.join("、")),
            ));
        }
        let note = text("note", &req.note, 1, 2000)?;
        let now = self.now();
        entry.delisted_at = Some(now);
        entry.verified_by = Some(who.user.id);
        entry.verify_note = Some(note.clone());
        let on_time = now <= entry.due_at;
        self.write_oversight(
            &c,
            &o,
            CaseMarks::of(&c),
            who,
            "ledger_delisted",
            serde_json::json!({"note": note, "on_time": on_time}),
        )
        .await
    }

    /// Cases a leader took charge of that the user may see: open ones first, the overdue first,
    /// then by deadline.
    pub async fn leads_of(&self, who: &Principal, leader_id: i64) -> AppResult<Vec<CaseRow>> {
        let mut rows = self
            .store
            .list_cases(&CaseFilter {
                visibility: who.visibility(),
                lead_id: Some(leader_id),
                limit: 500,
                ..Default::default()
            })
            .await?;
        rows.sort_by_key(|c| (c.lead_due_at.is_none(), c.lead_due_at, c.id));
        Ok(rows)
    }

    /// The ledger: cases listed now (or ever, with `all`), by deadline.
    pub async fn ledger(&self, who: &Principal, all: bool) -> AppResult<Vec<CaseRow>> {
        let mut rows = self
            .store
            .list_cases(&CaseFilter {
                visibility: who.visibility(),
                listed: Some(true),
                limit: 1000,
                ..Default::default()
            })
            .await?;
        rows.retain(|c| {
            all || oversight_of(c)
                .ledger
                .is_some_and(|l| l.delisted_at.is_none())
        });
        rows.sort_by_key(|c| (c.ledger_due_at.is_none(), c.ledger_due_at, c.id));
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_sets_its_own_mechanisms() {
        let dir = std::env::temp_dir().join(format!("zhili-mech-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("mechanisms.toml");
        std::fs::write(
            &file,
            "first_receiver = false\n[[ledger_criterion]]\nid = \"solved\"\nlabel = \"问题已解决\"\n",
        )
        .unwrap();
        let mut s = crate::config::Settings::default();
        assert_eq!(load_mechanisms(&s).unwrap(), Mechanisms::default());
        s.mechanisms_file = Some(file.clone());
        let m = load_mechanisms(&s).unwrap();
        assert!(!m.first_receiver);
        assert_eq!(m.ledger_criteria.len(), 1);
        std::fs::write(&file, "ledger_criterion = 3").unwrap();
        let e = load_mechanisms(&s).unwrap_err();
        assert!(e.contains("mechanisms.toml"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
