//! People's mediation (人民调解) as a service: committees with their members and registered
//! mediators, and the per-case subsidy (以案定补) with its payment ledger. Mediation cases run on
//! their workflows (`data/workflows/mediation.toml`, `court_mediation.toml`,
//! `labour_arbitration.toml`); the rules are `zhili_domain::mediation`.

pub mod api;
pub mod web;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhili_domain::case::{Channel, Priority};
use zhili_domain::mediation::{self as rules, Gender, Start};
use zhili_domain::org::Role;
use zhili_store::{
    CaseMarks, CaseRow, CommitteeRow, DbError, MediatorRow, NewCommittee, NewEvent, NewMediator,
    Store,
};

use crate::App;
use crate::auth::Principal;
use crate::cases::{CaseExtra, CreateCaseRequest, PartyInput, check_not_recused, scope_of, text};
use crate::documents::{DocumentRef, documents_of};
use crate::error::{AppError, AppResult};

/// A committee member or registered mediator.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub name: String,
    /// female or male
    pub gender: String,
    /// Their account, if they work in zhili: it is given the mediator role on the committee.
    #[serde(default)]
    pub user_id: Option<i64>,
    /// The chair (主任); one member is.
    #[serde(default)]
    pub chair: bool,
}

/// A people's mediation committee (人民调解委员会) of a village or community.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitteeRequest {
    pub node_id: i64,
    /// The committee's department code, e.g. `twh-luoma`.
    pub code: String,
    pub name: String,
    /// The term's first day (`YYYY-MM-DD`); a term is three years (第9条).
    pub term_start: String,
    /// 3–9 members with a chair and at least one woman (第9条).
    pub members: Vec<PersonInput>,
}

/// A dispute registered for mediation (登记).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediationRequest {
    /// mediation (人民调解, the default), court_mediation (诉前联调: entrusted by the court) or
    /// labour_arbitration (劳动争议仲裁)
    #[serde(default = "default_kind")]
    pub kind: String,
    /// People's mediation only: application (当事人申请) or committee (调委会主动调解, 第17条).
    #[serde(default)]
    pub start: Option<String>,
    /// visit, phone, letter, web …
    #[schema(value_type = String, example = "visit")]
    pub channel: Channel,
    /// The kind of dispute (`GET /api/v1/mediation/categories`).
    #[serde(default)]
    pub category: Option<String>,
    pub title: String,
    /// The dispute and what is asked.
    pub content: String,
    /// The village or community the dispute is in.
    pub node_id: i64,
    /// The committee (its department) that mediates; for court-linked mediation and arbitration
    /// the unit, if not the town.
    #[serde(default)]
    pub department_id: Option<i64>,
    #[serde(default)]
    pub address: Option<String>,
    /// At least two: the applicant(s) (`applicant`) — or, taken up by the committee, a party
    /// (`party`) — and the other side (`respondent`). Encrypted at rest.
    pub parties: Vec<PartyInput>,
    #[serde(default)]
    pub attachment_ids: Vec<i64>,
}

fn default_kind() -> String {
    rules::KIND.into()
}

/// The subsidy for a successful case: its grade, after the case file (卷宗) is reviewed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubsidyRequest {
    /// A grade of the deployment's table (`GET /api/v1/mediation/subsidy-grades`).
    pub grade: String,
    /// The case-file review (卷宗审查).
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidRequest {
    pub note: String,
}

fn gender(field: &str, s: &str) -> AppResult<Gender> {
    match s.trim() {
        "female" | "女" => Ok(Gender::Female),
        "male" | "男" => Ok(Gender::Male),
        o => Err(AppError::invalid(
            field,
            format!("`{o}` is not female or male"),
        )),
    }
}

fn gender_str(g: Gender) -> &'static str {
    match g {
        Gender::Female => "female",
        Gender::Male => "male",
    }
}

/// What the mediation module keeps beside the case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MediationFacts {
    /// application or committee (people's mediation)
    pub start: Option<String>,
    /// 当事人申请 / 调委会主动调解 / 法院委派 / 当事人申请仲裁
    pub start_label: String,
    /// The kind of dispute.
    pub category_label: String,
    /// The committee or unit that mediates.
    pub committee: String,
    /// What the parties were told when it failed: the routes left to them (第26条).
    pub notice: Option<String>,
    /// While the judicial-confirmation period (30日, 第33条) runs, when it ends.
    pub window_ends_at: Option<DateTime<Utc>>,
    pub window_open: Option<bool>,
    pub subsidy: Option<SubsidyView>,
    /// The caller may see the parties in clear (each reveal logged).
    pub may_reveal: bool,
    pub documents: Vec<DocumentRef>,
}

/// A case's subsidy (以案定补).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubsidyView {
    pub grade: String,
    pub label: String,
    pub amount_fen: i64,
    /// ¥ as shown
    pub amount: String,
    pub paid_at: Option<DateTime<Utc>>,
}

/// The kinds this module registers.
pub const KINDS: [&str; 3] = [rules::KIND, rules::COURT_KIND, rules::ARBITRATION_KIND];

pub fn is_mediation(c: &CaseRow) -> bool {
    c.kind == rules::KIND || c.kind == rules::COURT_KIND
}

/// The subsidy of a case as the ledger shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubsidyRow {
    pub case_id: i64,
    pub case_no: String,
    pub title: String,
    pub committee: String,
    pub mediator: String,
    pub grade: String,
    pub amount_fen: i64,
    /// ¥ as shown
    pub amount: String,
    pub reviewed_at: Option<String>,
    pub paid_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl<S: Store> App<S> {
    /// The mediation facts of a case, from its row and timeline.
    pub async fn mediation_facts(&self, who: &Principal, c: &CaseRow) -> AppResult<MediationFacts> {
        let timeline = self.store.timeline(c.id).await?;
        let start = c.details.get("start").and_then(|v| v.as_str());
        let window = c.clocks.window(self.now());
        let sub = &c.details["subsidy"];
        let committee = match c.department_id {
            Some(d) => self
                .store
                .list_departments()
                .await?
                .into_iter()
                .find(|x| x.id == d)
                .map(|x| x.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        Ok(MediationFacts {
            start: start.map(String::from),
            start_label: match (c.kind.as_str(), start.and_then(|s| s.parse::<Start>().ok())) {
                (_, Some(s)) => s.label_zh().into(),
                (rules::COURT_KIND, None) => "法院委派".into(),
                (rules::ARBITRATION_KIND, None) => "当事人申请仲裁".into(),
                _ => "—".into(),
            },
            category_label: c
                .category
                .as_deref()
                .map(|k| rules::category_label(k).unwrap_or(k).to_string())
                .unwrap_or_else(|| "—".into()),
            committee,
            notice: timeline
                .iter()
                .rev()
                .find_map(|e| e.data.get("notice").and_then(|v| v.as_str()))
                .map(String::from),
            window_ends_at: window.map(|w| w.1),
            window_open: window.map(|w| w.0),
            subsidy: c.subsidy_fen.map(|fen| SubsidyView {
                grade: sub["grade"].as_str().unwrap_or_default().into(),
                label: sub["label"].as_str().unwrap_or_default().into(),
                amount_fen: fen,
                amount: rules::yuan(fen),
                paid_at: c.subsidy_paid_at,
            }),
            may_reveal: self.may_reveal(who, c),
            documents: documents_of(c, &timeline),
        })
    }

    /// Register a dispute for mediation: how it started (people's mediation), its parties on
    /// both sides (encrypted), its committee.
    pub async fn register_mediation(
        &self,
        who: &Principal,
        req: MediationRequest,
    ) -> AppResult<CaseRow> {
        let kind = req.kind.trim();
        if !KINDS.contains(&kind) {
            return Err(AppError::invalid(
                "kind",
                format!("`{kind}` is not one of {}", KINDS.join(", ")),
            ));
        }
        let start = match (kind == rules::KIND, req.start.as_deref().map(str::trim)) {
            (true, Some(s)) => s
                .parse::<Start>()
                .map_err(|e| AppError::invalid("start", e))?,
            (true, None) => {
                return Err(AppError::invalid(
                    "start",
                    "say how the mediation started: application (当事人申请) or committee (调委会主动调解)",
                ));
            }
            (false, Some(_)) => {
                return Err(AppError::invalid(
                    "start",
                    "only a people's mediation is started by application or by the committee",
                ));
            }
            (false, None) => Start::Application,
        };
        if kind == rules::KIND {
            let committees = self.store.committees().await?;
            if !req
                .department_id
                .is_some_and(|d| committees.iter().any(|c| c.department.id == d))
            {
                return Err(AppError::invalid(
                    "department_id",
                    "a people's mediation names its mediation committee (人民调解委员会)",
                ));
            }
        }
        let roles: Vec<&str> = req.parties.iter().map(|p| p.role.trim()).collect();
        rules::check_parties(start, &roles).map_err(|e| AppError::invalid("parties", e))?;
        let category = match req.category.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) if rules::category_label(c).is_some() => Some(c.to_string()),
            Some(c) => {
                let ids: Vec<_> = rules::CATEGORIES.iter().map(|c| c.0).collect();
                return Err(AppError::invalid(
                    "category",
                    format!("`{c}` is not one of {}", ids.join(", ")),
                ));
            }
        };
        let details = (kind == rules::KIND).then(|| serde_json::json!({"start": start.as_str()}));
        let created = self
            .create_case_with(
                who,
                CreateCaseRequest {
                    kind: kind.into(),
                    category,
                    channel: req.channel,
                    priority: Priority::Normal,
                    title: req.title,
                    content: req.content,
                    address: req.address,
                    lat: None,
                    lon: None,
                    node_id: Some(req.node_id),
                    department_id: req.department_id,
                    parties: req.parties,
                    attachment_ids: req.attachment_ids,
                },
                CaseExtra {
                    details,
                    ..Default::default()
                },
            )
            .await?;
        Ok(created.case)
    }

    fn admin_at(&self, who: &Principal, node_path: &str) -> AppResult<()> {
        let roles = who.roles_in(zhili_domain::org::Scope {
            node_path,
            department_id: None,
        });
        if !roles
            .iter()
            .any(|r| matches!(r, Role::Admin | Role::Leader))
        {
            return Err(AppError::forbidden(
                "only an admin or a leader keeps the mediation committees",
            ));
        }
        Ok(())
    }

    async fn person(&self, p: &PersonInput, i: usize, member: bool) -> AppResult<NewMediator> {
        let f = |k: &str| format!("members[{i}].{k}");
        if let Some(u) = p.user_id {
            match self.store.get_user(u).await {
                Ok(_) => {}
                Err(DbError::NotFound(_)) => {
                    return Err(AppError::invalid(&f("user_id"), "no such user"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(NewMediator {
            user_id: p.user_id,
            name: text(&f("name"), &p.name, 1, 50)?,
            gender: gender_str(gender(&f("gender"), &p.gender)?).into(),
            is_member: member,
            is_chair: member && p.chair,
        })
    }

    /// Set up a committee: its department, term, members; members with accounts get the
    /// mediator role on it.
    pub async fn create_committee(
        &self,
        who: &Principal,
        req: CommitteeRequest,
    ) -> AppResult<CommitteeRow> {
        let node = self
            .node_ref(req.node_id)
            .await
            .map_err(|_| AppError::invalid("node_id", "no such org node"))?;
        self.admin_at(who, &node.path)?;
        let genders = req
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| gender(&format!("members[{i}].gender"), &m.gender))
            .collect::<AppResult<Vec<_>>>()?;
        let chairs = req.members.iter().filter(|m| m.chair).count();
        if chairs > 1 {
            return Err(AppError::invalid(
                "members",
                "one chair (主任), not several",
            ));
        }
        rules::check_committee(&genders, chairs == 1)
            .map_err(|e| AppError::invalid("members", e))?;
        let start = NaiveDate::parse_from_str(req.term_start.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::invalid("term_start", "a date (YYYY-MM-DD)"))?;
        let end = start
            .with_year(start.year() + rules::TERM_YEARS)
            .unwrap_or(start)
            .pred_opt()
            .unwrap_or(start);
        let mut members = Vec::new();
        for (i, m) in req.members.iter().enumerate() {
            members.push(self.person(m, i, true).await?);
        }
        let code = text("code", &req.code, 1, 40)?;
        let name = text("name", &req.name, 1, 100)?;
        let now = self.now();
        let c = self
            .store
            .create_committee(NewCommittee {
                node_id: req.node_id,
                code,
                name,
                term_start: start.to_string(),
                term_end: end.to_string(),
                members,
                actor_id: Some(who.user.id),
                at: now,
            })
            .await?;
        for p in c.people.iter().filter_map(|p| p.user_id) {
            self.store
                .add_grant(
                    p,
                    Role::Mediator,
                    None,
                    Some(c.department.id),
                    Some(who.user.id),
                    now,
                )
                .await?;
        }
        Ok(c)
    }

    /// Register (备案) a mediator with a committee.
    pub async fn register_mediator(
        &self,
        who: &Principal,
        committee_id: i64,
        p: PersonInput,
    ) -> AppResult<MediatorRow> {
        let c = self
            .store
            .committees()
            .await?
            .into_iter()
            .find(|c| c.id == committee_id)
            .ok_or_else(|| AppError::not_found("committee"))?;
        let node = self.node_ref(c.department.node_id).await?;
        self.admin_at(who, &node.path)?;
        let m = self.person(&p, 0, false).await?;
        let now = self.now();
        let row = self.store.add_mediator(committee_id, m, now).await?;
        if let Some(u) = row.user_id {
            self.store
                .add_grant(
                    u,
                    Role::Mediator,
                    None,
                    Some(c.department.id),
                    Some(who.user.id),
                    now,
                )
                .await?;
        }
        Ok(row)
    }

    /// 以案定补: the subsidy of a successful case, from the grade table, after the case file is
    /// reviewed (a leader or admin).
    pub async fn approve_subsidy(
        &self,
        who: &Principal,
        id: i64,
        req: SubsidyRequest,
    ) -> AppResult<CaseRow> {
        let c = self.case_for(who, id).await?;
        if !is_mediation(&c) {
            return Err(AppError::not_found("mediation"));
        }
        check_not_recused(who, &c)?;
        if !who
            .roles_in(scope_of(&c))
            .iter()
            .any(|r| matches!(r, Role::Leader | Role::Admin))
        {
            return Err(AppError::forbidden(
                "a leader or admin approves subsidies after the case-file review",
            ));
        }
        if c.subsidy_fen.is_some() {
            return Err(AppError::new(
                axum::http::StatusCode::CONFLICT,
                "already_approved",
                "this case's subsidy is approved already",
            ));
        }
        let fen = rules::subsidy(
            &self.mechanisms.subsidy_grades,
            req.grade.trim(),
            c.closed_at.is_some(),
        )
        .map_err(|e| {
            if c.closed_at.is_none() {
                AppError::new(axum::http::StatusCode::CONFLICT, "not_succeeded", e)
            } else {
                AppError::invalid("grade", e)
            }
        })?;
        let note = text("note", &req.note, 1, 2000)?;
        let grade = self
            .mechanisms
            .subsidy_grades
            .iter()
            .find(|g| g.id == req.grade.trim())
            .expect("checked by subsidy()");
        let now = self.now();
        let mut d = c.details.clone();
        if !d.is_object() {
            d = serde_json::json!({});
        }
        d["subsidy"] = serde_json::json!({"grade": grade.id, "label": grade.label, "amount_fen": fen,
            "reviewed_by": who.user.id, "reviewed_at": now, "note": note});
        Ok(self
            .store
            .set_details(
                c.id,
                c.version,
                d,
                CaseMarks {
                    subsidy_fen: Some(fen),
                    ..CaseMarks::of(&c)
                },
                NewEvent {
                    kind: "subsidy_approved".into(),
                    actor_id: Some(who.user.id),
                    at: now,
                    data: serde_json::json!({"grade": grade.id, "label": grade.label, "amount_fen": fen, "note": note}),
                },
            )
            .await?)
    }

    /// The approved subsidy is paid (payment ledger).
    pub async fn pay_subsidy(
        &self,
        who: &Principal,
        id: i64,
        req: PaidRequest,
    ) -> AppResult<CaseRow> {
        let c = self.case_for(who, id).await?;
        if !who
            .roles_in(scope_of(&c))
            .iter()
            .any(|r| matches!(r, Role::Leader | Role::Admin))
        {
            return Err(AppError::forbidden("a leader or admin records payments"));
        }
        let conflict =
            |code, m: &str| AppError::new(axum::http::StatusCode::CONFLICT, code, m.to_string());
        let Some(fen) = c.subsidy_fen else {
            return Err(conflict(
                "not_approved",
                "no subsidy is approved for this case",
            ));
        };
        if c.subsidy_paid_at.is_some() {
            return Err(conflict("already_paid", "this subsidy is paid already"));
        }
        let note = text("note", &req.note, 1, 1000)?;
        let now = self.now();
        Ok(self
            .store
            .set_details(
                c.id,
                c.version,
                c.details.clone(),
                CaseMarks {
                    subsidy_paid_at: Some(now),
                    ..CaseMarks::of(&c)
                },
                NewEvent {
                    kind: "subsidy_paid".into(),
                    actor_id: Some(who.user.id),
                    at: now,
                    data: serde_json::json!({"amount_fen": fen, "note": note}),
                },
            )
            .await?)
    }

    /// The payment ledger: approved subsidies, unpaid first.
    pub async fn subsidy_ledger(&self, who: &Principal) -> AppResult<Vec<SubsidyRow>> {
        let rows = self
            .store
            .list_cases(&zhili_store::CaseFilter {
                visibility: who.visibility(),
                subsidized: Some(true),
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        let depts = self.store.list_departments().await?;
        let users = self.store.list_users().await?;
        let mut out: Vec<SubsidyRow> = rows
            .iter()
            .map(|c| {
                let s = |k: &str| {
                    c.details["subsidy"]
                        .get(k)
                        .and_then(|v| v.as_str())
                        .map(String::from)
                };
                let fen = c.subsidy_fen.unwrap_or(0);
                SubsidyRow {
                    case_id: c.id,
                    case_no: c.case_no.clone(),
                    title: c.title.clone(),
                    committee: depts
                        .iter()
                        .find(|d| Some(d.id) == c.department_id)
                        .map(|d| d.name.clone())
                        .unwrap_or_default(),
                    mediator: users
                        .iter()
                        .find(|u| Some(u.id) == c.handler_id)
                        .map(|u| u.display_name.clone())
                        .unwrap_or_default(),
                    grade: s("label").unwrap_or_default(),
                    amount_fen: fen,
                    amount: rules::yuan(fen),
                    reviewed_at: s("reviewed_at"),
                    paid_at: c.subsidy_paid_at,
                }
            })
            .collect();
        out.sort_by_key(|r| (r.paid_at.is_some(), r.case_id));
        Ok(out)
    }
}
