//! The case engine as a service: registering cases, taking transitions, revealing personal
//! data. The API, the web pages and the demo generator all go through here.

pub mod api;
pub mod export;
pub mod web;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhili_domain::case::{CaseClocks, Channel, Priority};
use zhili_domain::clock::ClockStatus;
use zhili_domain::org::{Role, Scope};
use zhili_domain::privacy::{self, IdNumber, Phone};
use zhili_domain::workflow::{
    Effect, EvidenceKind, Field, TransitionDef, TransitionInput, Workflow,
};
use zhili_store::{CaseChange, CaseRow, DbError, NewCase, NewEvent, NewParty, PartyRow, Store};

use crate::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};

/// A party (当事人/信访人/反映人) as given at registration.
#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// complainant (反映人), respondent (被反映人), party (当事人), representative (代表) …
    #[serde(default = "default_party_role")]
    pub role: String,
    pub name: String,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

fn default_party_role() -> String {
    "complainant".into()
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    /// Case kind; each kind follows a workflow (default `general`).
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default)]
    pub category: Option<String>,
    #[schema(value_type = String, example = "hotline")]
    pub channel: Channel,
    #[serde(default = "default_priority")]
    #[schema(value_type = String, example = "normal")]
    pub priority: Priority,
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// The org node (village, grid cell …) where the case is; without it, the grid cell (or
    /// village, town) that `lon`/`lat` fall in.
    #[serde(default)]
    pub node_id: Option<i64>,
    #[serde(default)]
    pub department_id: Option<i64>,
    #[serde(default)]
    pub parties: Vec<PartyInput>,
    /// Attachments uploaded beforehand with `POST /api/v1/attachments`.
    #[serde(default)]
    pub attachment_ids: Vec<i64>,
}

fn default_kind() -> String {
    "general".into()
}
fn default_priority() -> Priority {
    Priority::Normal
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The transition's id, e.g. `dispatch`, `sign`, `report`.
    pub action: String,
    /// The case version the caller saw; a different current version is a 409.
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub department_id: Option<i64>,
    #[serde(default)]
    pub handler_id: Option<i64>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Extension amount, in the unit of the workflow's extension rule.
    #[serde(default)]
    pub extension: Option<u32>,
    /// For `merge`: the number of the case that handles the same matter.
    #[serde(default)]
    pub merge_into: Option<String>,
    /// For transitions that issue a written decision (信访处理意见书, 复查/复核意见书).
    #[serde(default)]
    pub letter: Option<LetterInput>,
    /// For a mediation that reaches agreement (调解协议书).
    #[serde(default)]
    pub agreement: Option<AgreementInput>,
    #[serde(default)]
    pub attachment_ids: Vec<i64>,
}

/// A written decision (第32条): the request, the facts and reasons found, the decision and its
/// legal basis.
#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LetterInput {
    /// 信访请求
    pub request: String,
    /// 查明的事实和理由
    pub facts: String,
    /// support (予以支持), explain (解释说明) or reject (不予支持)
    pub decision: String,
    /// 法律政策依据
    pub basis: String,
}

impl LetterInput {
    fn checked(self) -> AppResult<zhili_domain::petition::Letter> {
        let decision = self
            .decision
            .trim()
            .parse()
            .map_err(|e: String| AppError::invalid("letter.decision", e))?;
        zhili_domain::petition::Letter {
            request: self.request,
            facts: self.facts,
            decision,
            basis: self.basis,
        }
        .checked()
        .map_err(|(field, msg)| AppError::invalid(field, msg))
    }
}

/// A mediation agreement (调解协议书, 人民调解法 第28–29条).
#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    /// 纠纷的主要事实、争议事项以及各方当事人的责任
    pub facts: String,
    /// 调解协议的内容
    pub content: String,
    /// 履行方式
    pub performance: String,
    /// 履行期限 (`YYYY-MM-DD`)
    pub deadline: String,
    /// An oral agreement (口头协议, 第30条) the mediator records, instead of a written one.
    #[serde(default)]
    pub oral: bool,
}

impl AgreementInput {
    fn checked(self, today: chrono::NaiveDate) -> AppResult<zhili_domain::mediation::Agreement> {
        let deadline = chrono::NaiveDate::parse_from_str(self.deadline.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::invalid("agreement.deadline", "a date (YYYY-MM-DD)"))?;
        zhili_domain::mediation::Agreement {
            oral: self.oral,
            facts: self.facts,
            content: self.content,
            performance: self.performance,
            deadline,
        }
        .checked(today)
        .map_err(|(field, msg)| AppError::invalid(field, msg))
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// duplicate_of, repeat_of, child_of or related: how this case relates to the other.
    pub kind: String,
    #[serde(default)]
    pub other_case_id: Option<i64>,
    /// The other case by its number, instead of its id.
    #[serde(default)]
    pub other_case_no: Option<String>,
}

/// Personal data in clear, after a logged reveal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyClear {
    pub id: i64,
    pub role: String,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

pub fn text(field: &str, v: &str, min: usize, max: usize) -> AppResult<String> {
    let t = v.trim();
    let n = t.chars().count();
    if n < min {
        return Err(AppError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if n > max {
        return Err(AppError::invalid(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(t.to_string())
}

fn opt_text(field: &str, v: &Option<String>, max: usize) -> AppResult<Option<String>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => text(field, s, 1, max).map(Some),
    }
}

impl<S: Store> App<S> {
    fn workflow(&self, kind: &str) -> AppResult<&Workflow> {
        self.workflows.for_kind(kind).ok_or_else(|| {
            let kinds: Vec<_> = self.workflows.kinds().collect();
            AppError::invalid(
                "kind",
                format!("unknown case kind `{kind}` ({})", kinds.join(", ")),
            )
        })
    }

    /// A case the user may see; others are reported as not found.
    pub async fn case_for(&self, who: &Principal, id: i64) -> AppResult<CaseRow> {
        let c = self.store.get_case(id).await?;
        if who.roles_in(scope_of(&c)).is_empty() {
            return Err(AppError::not_found("case"));
        }
        Ok(c)
    }

    /// The transitions the user may take on a case now.
    pub fn actions_for<'a>(&'a self, who: &Principal, c: &'a CaseRow) -> Vec<&'a TransitionDef> {
        let roles = who.roles_in(scope_of(c));
        match self.workflows.for_kind(&c.kind) {
            Some(wf) => wf.available(&c.state, &roles),
            None => Vec::new(),
        }
    }

    pub(crate) fn encrypt_party(&self, p: &PartyInput, i: usize) -> AppResult<NewParty> {
        let f = |name: &str| format!("parties[{i}].{name}");
        let role = text(&f("role"), &p.role, 1, 30)?;
        let name = text(&f("name"), &p.name, 1, 50)?;
        let id_number = match p
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => Some(
                s.parse::<IdNumber>()
                    .map_err(|e| AppError::invalid(&f("id_number"), e))?,
            ),
            None => None,
        };
        let phone = match p.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(
                s.parse::<Phone>()
                    .map_err(|e| AppError::invalid(&f("phone"), e))?,
            ),
            None => None,
        };
        let address = opt_text(&f("address"), &p.address, 200)?;
        let c = &self.crypto;
        Ok(NewParty {
            role,
            name_enc: c.encrypt(&name),
            name_masked: privacy::mask_name(&name),
            id_number_enc: id_number.as_ref().map(|v| c.encrypt(v.as_str())),
            id_number_masked: id_number
                .as_ref()
                .map(|v| privacy::mask_id_number(v.as_str())),
            phone_enc: phone.as_ref().map(|v| c.encrypt(v.as_str())),
            phone_masked: phone.as_ref().map(|v| privacy::mask_phone(v.as_str())),
            address_enc: address.as_ref().map(|v| c.encrypt(v)),
            address_masked: address.as_deref().map(privacy::mask_address),
            person_key: match (&id_number, &phone) {
                (Some(v), _) => Some(c.person_key("id", v.as_str())),
                (None, Some(v)) => Some(c.person_key("phone", v.as_str())),
                (None, None) => None,
            },
        })
    }

    async fn check_own_uploads(&self, who: &Principal, ids: &[i64]) -> AppResult<()> {
        if ids.len() > 50 {
            return Err(AppError::invalid(
                "attachment_ids",
                "at most 50 attachments at once",
            ));
        }
        for id in ids {
            let a = match self.store.get_attachment(*id).await {
                Ok(a) => a,
                Err(DbError::NotFound(_)) => {
                    return Err(AppError::invalid(
                        "attachment_ids",
                        format!("attachment {id} does not exist"),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            if a.uploaded_by != who.user.id || a.case_id.is_some() {
                return Err(AppError::invalid(
                    "attachment_ids",
                    format!("attachment {id} is not an unused upload of yours"),
                ));
            }
        }
        Ok(())
    }

    /// A department named in a request must exist.
    async fn check_department(&self, id: Option<i64>) -> AppResult<()> {
        let Some(id) = id else { return Ok(()) };
        if self
            .store
            .list_departments()
            .await?
            .iter()
            .any(|d| d.id == id)
        {
            Ok(())
        } else {
            Err(AppError::invalid(
                "department_id",
                format!("department {id} does not exist"),
            ))
        }
    }

    /// Register (登记/立案) a case.
    pub async fn create_case(
        &self,
        who: &Principal,
        req: CreateCaseRequest,
    ) -> AppResult<zhili_store::CreatedCase> {
        if crate::mediation::KINDS.contains(&req.kind.trim()) {
            return Err(AppError::invalid(
                "kind",
                "a mediation is registered with POST /api/v1/mediations (how it started, both parties)",
            ));
        }
        self.create_case_with(who, req, CaseExtra::default()).await
    }

    /// Register a case with a module's own fields (a petition's details, the earlier petition it
    /// repeats).
    pub(crate) async fn create_case_with(
        &self,
        who: &Principal,
        req: CreateCaseRequest,
        extra: CaseExtra,
    ) -> AppResult<zhili_store::CreatedCase> {
        let wf = self.workflow(&req.kind)?;
        let title = text("title", &req.title, 1, 200)?;
        let content = text("content", &req.content, 1, 20_000)?;
        let address = opt_text("address", &req.address, 200)?;
        let category = opt_text("category", &req.category, 100)?;
        match (req.lat, req.lon) {
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) {
                    return Err(AppError::invalid(
                        "lat",
                        "latitude must be between -90 and 90",
                    ));
                }
                if !(-180.0..=180.0).contains(&lon) {
                    return Err(AppError::invalid(
                        "lon",
                        "longitude must be between -180 and 180",
                    ));
                }
            }
            (None, None) => {}
            (Some(_), None) => return Err(AppError::invalid("lon", "give lon together with lat")),
            (None, Some(_)) => return Err(AppError::invalid("lat", "give lat together with lon")),
        }
        if req.parties.len() > 20 {
            return Err(AppError::invalid("parties", "at most 20 parties"));
        }
        if req.kind == crate::urban::URBAN_KIND
            && self
                .urban_subclass(&req.kind, category.as_deref())
                .is_none()
        {
            return Err(AppError::invalid(
                "category",
                match &category {
                    Some(c) => format!("no subclass `{c}` in the taxonomy (e.g. event:0102)"),
                    None => "an urban case needs its subclass, e.g. event:0102".into(),
                },
            ));
        }
        let node_id = match (req.node_id, req.lon, req.lat) {
            (Some(id), _, _) => id,
            (None, Some(lon), Some(lat)) => {
                let p = self.locate(lon, lat).await?;
                p.grid.or(p.village).or(p.town).ok_or_else(|| {
                    AppError::invalid("lon", "the location is outside every area of the town")
                })?
            }
            (None, _, _) => {
                return Err(AppError::invalid(
                    "node_id",
                    "give the org node or a location (lon, lat)",
                ));
            }
        };
        let node = match self.node_ref(node_id).await {
            Ok(n) => n,
            Err(DbError::NotFound(_)) => {
                return Err(AppError::invalid("node_id", "no such org node"));
            }
            Err(e) => return Err(e.into()),
        };
        // Registering in a place, or for one's own department (a mediation committee's mediator).
        let roles = who.roles_in(Scope {
            node_path: &node.path,
            department_id: req.department_id,
        });
        if !roles.iter().any(|r| r.may_register()) {
            return Err(AppError::forbidden(format!(
                "you may not register cases in {}",
                node.name
            )));
        }
        let parties = req
            .parties
            .iter()
            .enumerate()
            .map(|(i, p)| self.encrypt_party(p, i))
            .collect::<AppResult<Vec<_>>>()?;
        self.check_own_uploads(who, &req.attachment_ids).await?;
        self.check_department(req.department_id).await?;
        let now = self.now();
        let limits = self.case_limits(&req.kind, category.as_deref());
        let clocks = CaseClocks::start_with(wf, &limits, now, &self.deadlines());
        let initial = wf.state(&wf.initial).expect("validated workflow");
        let event_data = serde_json::json!({
            "kind": req.kind,
            "category": category,
            "channel": req.channel,
            "priority": req.priority,
            "title": title,
            "node_id": node.id,
            "department_id": req.department_id,
            "state": wf.initial,
            "parties": parties.iter().map(|p| serde_json::json!({"role": p.role, "name": p.name_masked})).collect::<Vec<_>>(),
            "attachment_ids": req.attachment_ids,
            "evidence": (!req.attachment_ids.is_empty()).then_some(EvidenceKind::Before),
            "overall_due_at": clocks.overall_due(),
        });
        let new = NewCase {
            kind: req.kind.clone(),
            category,
            channel: req.channel,
            priority: req.priority,
            state: wf.initial.clone(),
            title,
            content,
            address,
            lat: req.lat,
            lon: req.lon,
            node_id: node.id,
            department_id: req.department_id,
            created_by: Some(who.user.id),
            at: now,
            registered: initial.registers(),
            clocks,
            parties,
            attachment_ids: req.attachment_ids,
            event_data,
            details: extra.details,
            repeat_of: extra.repeat_of,
            related_to: extra.related_to,
        };
        let made = self.store.create_case(new).await?;
        self.metrics
            .cases_created
            .get_or_create(&crate::metrics::KindLabels {
                kind: made.case.kind.clone(),
            })
            .inc();
        Ok(made)
    }

    /// Take a transition on a case.
    pub async fn transition(
        &self,
        who: &Principal,
        id: i64,
        req: TransitionRequest,
    ) -> AppResult<CaseRow> {
        let case = self.case_for(who, id).await?;
        if let Some(v) = req.version
            && v != case.version
        {
            return Err(DbError::Stale.into());
        }
        check_not_recused(who, &case)?;
        let wf = self.workflow(&case.kind)?;
        let mut req = req;
        let mut suggested = false;
        if req.department_id.is_none()
            && let (Some(category), Some(t)) = (&case.category, wf.transition(&req.action))
            && t.requires.contains(&Field::Department)
            && self.urban_subclass(&case.kind, Some(category)).is_some()
        {
            // 派遣 without a department: the subclass's owning department.
            let path = self.node_ref(case.node_id).await?.path;
            req.department_id = self
                .suggested_department(category, &path)
                .await?
                .map(|d| d.id);
            suggested = req.department_id.is_some();
        }
        self.check_department(req.department_id).await?;
        let note = opt_text("note", &req.note, 2000)?;
        let reason = opt_text("reason", &req.reason, 2000)?;
        let letter = req.letter.take().map(LetterInput::checked).transpose()?;
        let now = self.now();
        let today = zhili_domain::clock::to_local(now).date();
        let agreement = req.agreement.take().map(|a| a.checked(today)).transpose()?;
        let mut input = TransitionInput {
            has_evidence: !req.attachment_ids.is_empty(),
            extension: req.extension,
            window: case
                .clocks
                .window(now)
                .map(|(open, end)| (open, fmt_local(end))),
            ..Default::default()
        };
        for (present, field) in [
            (req.department_id.is_some(), Field::Department),
            (req.handler_id.is_some(), Field::Handler),
            (note.is_some(), Field::Note),
            (reason.is_some(), Field::Reason),
            (req.extension.is_some(), Field::Extension),
            (letter.is_some(), Field::Letter),
            (agreement.is_some(), Field::Agreement),
            (
                req.merge_into
                    .as_deref()
                    .is_some_and(|s| !s.trim().is_empty()),
                Field::MergeInto,
            ),
        ] {
            if present {
                input.present.insert(field);
            }
        }
        let roles = who.roles_in(scope_of(&case));
        let t = wf.check(
            &case.state,
            &req.action,
            &roles,
            &input,
            (case.clocks.extensions, case.clocks.extended_total),
        )?;
        self.check_own_uploads(who, &req.attachment_ids).await?;
        let merged_into = match t.effect {
            Effect::Merge => Some(
                self.merge_target(who, &case, req.merge_into.as_deref())
                    .await?,
            ),
            _ => None,
        };
        let mut clocks = case.clocks.clone();
        let limits = self.case_limits(&case.kind, case.category.as_deref());
        clocks.on_transition_with(wf, &limits, t, now, req.extension, &self.deadlines());
        let to = t.to.clone().unwrap_or_else(|| case.state.clone());
        let to_def = wf.state(&to).expect("validated workflow");
        let (department_id, handler_id) = match t.effect {
            // Back to the unit that first received it (首访负责), if one did; else to nobody.
            Effect::Return => (
                first_receiver(&case).filter(|_| self.mechanisms.first_receiver),
                None,
            ),
            _ => {
                let dept = req.department_id.or(case.department_id);
                let signer = (t.takes
                    && roles
                        .iter()
                        .any(|r| matches!(r, Role::Handler | Role::Mediator)))
                .then_some(who.user.id);
                // A new department means a new handler.
                let keep = if req.department_id.is_some() && req.department_id != case.department_id
                {
                    None
                } else {
                    case.handler_id
                };
                (dept, req.handler_id.or(signer).or(keep))
            }
        };
        let data = serde_json::json!({
            "action": t.id,
            "action_name": t.name,
            "from": case.state,
            "to": to,
            "note": note,
            "reason": reason,
            "department_id": department_id,
            "handler_id": handler_id,
            "extension": req.extension,
            "department_suggested": suggested,
            "merged_into": merged_into.as_ref().map(|m| m.id),
            "merged_into_no": merged_into.as_ref().map(|m| m.case_no.clone()),
            "attachment_ids": req.attachment_ids,
            "evidence": (!req.attachment_ids.is_empty()).then_some(t.evidence_kind).flatten(),
            "document": t.document,
            "notice": t.notice,
            "letter": letter,
            "agreement": agreement,
            "deadline_status": clocks.status(),
            "overall_due_at": clocks.overall_due(),
            "stage_due_at": clocks.stage.map(|c| c.due_at),
        });
        let change = CaseChange {
            case_id: case.id,
            expected_version: case.version,
            state: to.clone(),
            department_id,
            handler_id,
            clocks,
            registered: to_def.registers(),
            closed: to_def.closes,
            ended: to_def.terminal,
            rework: t.effect == Effect::Rework,
            returned: t.effect == Effect::Return,
            merged_into: merged_into.map(|m| m.id),
            details: letter.as_ref().map(|l| {
                // The latest decision (处理意见, then 复查, 复核) is the case's decision.
                let mut d = case.details.clone();
                if !d.is_object() {
                    d = serde_json::json!({});
                }
                d["decision"] = serde_json::json!(l.decision);
                d
            }),
            attachment_ids: req.attachment_ids,
            event: NewEvent {
                kind: if t.effect == Effect::Urge {
                    "urged"
                } else {
                    "transition"
                }
                .into(),
                actor_id: Some(who.user.id),
                at: now,
                data,
            },
        };
        let row = self.store.apply_change(change).await?;
        self.metrics
            .transitions
            .get_or_create(&crate::metrics::TransitionLabels {
                kind: row.kind.clone(),
                action: req.action.clone(),
            })
            .inc();
        Ok(row)
    }

    /// Which step attached each of a case's files (`created` or a transition's id) and what its
    /// photo shows (`before`/`after`), from the timeline.
    pub async fn attachment_steps(
        &self,
        case_id: i64,
    ) -> AppResult<std::collections::HashMap<i64, (String, Option<String>)>> {
        let mut steps = std::collections::HashMap::new();
        for e in self.store.timeline(case_id).await? {
            let step = match e.kind.as_str() {
                "created" => "created".to_string(),
                _ => match e.data.get("action").and_then(|a| a.as_str()) {
                    Some(a) => a.to_string(),
                    None => continue,
                },
            };
            let evidence = e
                .data
                .get("evidence")
                .and_then(|v| v.as_str())
                .map(String::from);
            for a in e.data["attachment_ids"].as_array().into_iter().flatten() {
                if let Some(a) = a.as_i64() {
                    steps.insert(a, (step.clone(), evidence.clone()));
                }
            }
        }
        Ok(steps)
    }

    /// The case a duplicate is merged into: visible to the user, of the same kind, still open,
    /// not itself merged, and not the case itself.
    async fn merge_target(
        &self,
        who: &Principal,
        case: &CaseRow,
        no: Option<&str>,
    ) -> AppResult<CaseRow> {
        let no = no.map(str::trim).unwrap_or_default().to_uppercase();
        let bad = |m: &str| AppError::invalid("merge_into", m.to_string());
        let other = self
            .store
            .case_by_no(&no)
            .await
            .map_err(|_| bad("no such case"))?;
        if who.roles_in(scope_of(&other)).is_empty() {
            return Err(bad("no such case"));
        }
        if other.id == case.id {
            return Err(bad("a case cannot be merged into itself"));
        }
        if other.kind != case.kind {
            return Err(bad("merge into a case of the same kind"));
        }
        if other.ended_at.is_some() || other.merged_into.is_some() {
            return Err(bad("that case has ended; merge into an open one"));
        }
        Ok(other)
    }

    /// Link a case to another (duplicate-of, repeat-of, child-of, related). Both must be visible
    /// to the user, who must be able to register cases where the first one is.
    pub async fn link_cases(
        &self,
        who: &Principal,
        id: i64,
        req: LinkRequest,
    ) -> AppResult<zhili_store::LinkRow> {
        let kind: zhili_domain::case::LinkKind = req
            .kind
            .parse()
            .map_err(|e: String| AppError::invalid("kind", e))?;
        let case = self.case_for(who, id).await?;
        if !who
            .roles_in(scope_of(&case))
            .iter()
            .any(|r| r.may_register())
        {
            return Err(AppError::forbidden("your role may not link cases here"));
        }
        let other = match req
            .other_case_no
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(no) => self
                .store
                .case_by_no(no)
                .await
                .map_err(|_| AppError::invalid("other_case_no", "no such case"))?,
            None => match req.other_case_id {
                Some(o) => self
                    .store
                    .get_case(o)
                    .await
                    .map_err(|_| AppError::invalid("other_case_id", "no such case"))?,
                None => {
                    return Err(AppError::invalid(
                        "other_case_id",
                        "name the other case by id or number",
                    ));
                }
            },
        };
        if who.roles_in(scope_of(&other)).is_empty() {
            return Err(AppError::invalid("other_case_id", "no such case"));
        }
        if other.id == case.id {
            return Err(AppError::invalid(
                "other_case_id",
                "a case cannot be linked to itself",
            ));
        }
        Ok(self
            .store
            .add_link(
                case.id,
                other.id,
                kind.as_str(),
                Some(who.user.id),
                self.now(),
            )
            .await?)
    }

    /// Keep an uploaded file (type recognised from its bytes, size capped) for a later case or
    /// transition of the same user.
    pub async fn save_attachment(
        &self,
        who: &Principal,
        filename: &str,
        data: &[u8],
    ) -> AppResult<zhili_store::AttachmentRow> {
        let max = self.settings.max_upload_mib * 1024 * 1024;
        if data.is_empty() {
            return Err(AppError::invalid("file", "the file is empty"));
        }
        if data.len() as u64 > max {
            return Err(AppError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("files are limited to {} MiB", self.settings.max_upload_mib),
            )
            .with_field("file"));
        }
        let Some(mime) = crate::blobs::sniff_mime(data) else {
            return Err(AppError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                "only JPEG, PNG, GIF, WebP, PDF, MP4 and ZIP-based documents are accepted",
            )
            .with_field("file"));
        };
        let sha = self.blobs.put(data).await.map_err(AppError::internal)?;
        let filename: String = filename
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        Ok(self
            .store
            .add_attachment(zhili_store::NewAttachment {
                sha256: sha,
                size: data.len() as i64,
                mime: mime.into(),
                filename: if filename.is_empty() {
                    "file".into()
                } else {
                    filename
                },
                uploaded_by: who.user.id,
                at: self.now(),
            })
            .await?)
    }

    /// Reveal a party's personal data to a role that may see it; the reveal is written to the
    /// case's audit chain before anything is returned.
    pub async fn reveal_party(
        &self,
        who: &Principal,
        case_id: i64,
        party_id: i64,
    ) -> AppResult<PartyClear> {
        let case = self.case_for(who, case_id).await?;
        if !self.may_reveal(who, &case) {
            return Err(AppError::forbidden(
                "your role may not see the personal data of this case's parties",
            ));
        }
        let parties = self.store.parties(case_id).await?;
        let p = parties
            .iter()
            .find(|p| p.id == party_id)
            .ok_or_else(|| AppError::not_found("party"))?;
        let clear = self.decrypt_party(p)?;
        self.store
            .case_event(
                case_id,
                NewEvent {
                    kind: "personal_data_revealed".into(),
                    actor_id: Some(who.user.id),
                    at: self.now(),
                    data: serde_json::json!({"party_id": party_id, "by": who.user.username}),
                },
            )
            .await?;
        self.metrics.reveals.inc();
        Ok(clear)
    }

    /// Mark a staff member as recused from a case (回避, 信访工作条例 第28条): a leader,
    /// petition officer, dispatcher or admin over the case may do it, and anyone for themselves.
    pub async fn recuse(
        &self,
        who: &Principal,
        id: i64,
        user_id: i64,
        reason: &str,
    ) -> AppResult<CaseRow> {
        let c = self.case_for(who, id).await?;
        let reason = text("reason", reason, 1, 500)?;
        let roles = who.roles_in(scope_of(&c));
        let may = user_id == who.user.id
            || roles.iter().any(|r| {
                matches!(
                    r,
                    Role::Leader | Role::PetitionOfficer | Role::Dispatcher | Role::Admin
                )
            });
        if !may {
            return Err(AppError::forbidden(
                "only a leader, petition officer or dispatcher marks others as recused",
            ));
        }
        let user = match self.store.get_user(user_id).await {
            Ok(u) => u,
            Err(DbError::NotFound(_)) => {
                return Err(AppError::invalid("user_id", "no such user"));
            }
            Err(e) => return Err(e.into()),
        };
        if recused_ids(&c).contains(&user_id) {
            return Err(AppError::new(
                axum::http::StatusCode::CONFLICT,
                "already_recused",
                format!("{} is already recused from this case", user.username),
            ));
        }
        let now = self.now();
        let mut d = c.details.clone();
        if !d.is_object() {
            d = serde_json::json!({});
        }
        let entry = serde_json::json!({"user_id": user_id, "username": user.username, "reason": reason, "by": who.user.id, "at": now});
        match d.get_mut("recused").and_then(|v| v.as_array_mut()) {
            Some(list) => list.push(entry),
            None => d["recused"] = serde_json::json!([entry]),
        }
        Ok(self
            .store
            .set_details(
                c.id,
                c.version,
                d,
                zhili_store::CaseMarks::of(&c),
                NewEvent {
                    kind: "recused".into(),
                    actor_id: Some(who.user.id),
                    at: now,
                    data: serde_json::json!({"user_id": user_id, "username": user.username, "reason": reason}),
                },
            )
            .await?)
    }

    /// Whether the user may see this case's parties in clear: a role that may see personal data
    /// at all, that the case's workflow lets see its parties (a petition's: RULES.md §1; an
    /// accuser never to the handling unit), and not recused from the case.
    pub fn may_reveal(&self, who: &Principal, case: &CaseRow) -> bool {
        if recused(who, case) {
            return false;
        }
        let roles = who.roles_in(scope_of(case));
        let allowed: Vec<Role> = match self
            .workflows
            .for_kind(&case.kind)
            .and_then(|w| w.reveal.as_deref())
        {
            Some(list) if case.kind == zhili_domain::petition::KIND => {
                zhili_domain::petition::reveal_roles(case.category.as_deref(), list)
            }
            Some(list) => list.to_vec(),
            None => Role::ALL.to_vec(),
        };
        roles
            .iter()
            .any(|r| r.may_reveal_personal_data() && allowed.contains(r))
    }

    pub(crate) fn decrypt_party(&self, p: &PartyRow) -> AppResult<PartyClear> {
        let d = |v: &str| self.crypto.decrypt(v).map_err(AppError::internal);
        Ok(PartyClear {
            id: p.id,
            role: p.role.clone(),
            name: d(&p.name_enc)?,
            id_number: p.id_number_enc.as_deref().map(d).transpose()?,
            phone: p.phone_enc.as_deref().map(d).transpose()?,
            address: p.address_enc.as_deref().map(d).transpose()?,
        })
    }
}

/// What a module adds to a case at registration.
#[derive(Debug, Clone, Default)]
pub(crate) struct CaseExtra {
    pub details: Option<serde_json::Value>,
    pub repeat_of: Option<i64>,
    /// The case it came from, linked as related (转自).
    pub related_to: Option<i64>,
}

/// A case's category as people read it, by its kind: the urban subclass with its code, a
/// petition's, mediation's or risk's category label, or the raw value.
pub(crate) fn category_label<S: Store>(app: &App<S>, c: &CaseRow) -> String {
    match app.urban_subclass(&c.kind, c.category.as_deref()) {
        Some(sub) => format!("{}（{}）", sub.path(), sub.key()),
        None if c.kind == zhili_domain::petition::KIND => crate::petition::category_label(c),
        None if crate::mediation::KINDS.contains(&c.kind.as_str()) => c
            .category
            .as_deref()
            .and_then(zhili_domain::mediation::category_label)
            .unwrap_or("—")
            .to_string(),
        None if crate::risk::is_risk(c) => c
            .category
            .as_deref()
            .and_then(zhili_domain::risk::category_label)
            .unwrap_or("—")
            .to_string(),
        None => c.category.clone().unwrap_or_else(|| "—".into()),
    }
}

/// A local time as shown in messages: `2021-10-12 00:00`.
pub fn fmt_local(t: DateTime<Utc>) -> String {
    zhili_domain::clock::to_local(t)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The staff marked as having an interest in the case (回避, 信访工作条例 第28条).
pub fn recused_ids(c: &CaseRow) -> Vec<i64> {
    c.details
        .get("recused")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("user_id").and_then(|v| v.as_i64()))
        .collect()
}

fn recused(who: &Principal, c: &CaseRow) -> bool {
    recused_ids(c).contains(&who.user.id)
}

/// A recused staff member may not act on the case.
pub(crate) fn check_not_recused(who: &Principal, c: &CaseRow) -> AppResult<()> {
    if recused(who, c) {
        return Err(AppError::forbidden(
            "you are recused from this case (回避) and may not act on it",
        ));
    }
    Ok(())
}

/// The unit that first received the case (首访负责), which owns it until it is handed on.
pub fn first_receiver(c: &CaseRow) -> Option<i64> {
    c.details
        .get("first_receiver")
        .and_then(|v| v.get("department_id"))
        .and_then(|v| v.as_i64())
}

pub fn scope_of(c: &CaseRow) -> Scope<'_> {
    Scope {
        node_path: &c.node_path,
        department_id: c.department_id,
    }
}

/// A case as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub case_no: String,
    pub kind: String,
    pub category: Option<String>,
    pub channel: String,
    pub priority: String,
    pub state: String,
    pub state_name: String,
    pub title: String,
    pub content: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub node_id: i64,
    pub department_id: Option<i64>,
    pub handler_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub registered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// normal, warning (临期) or overdue (超期): the worst of the case's clocks.
    pub deadline_status: String,
    pub overall_due_at: Option<DateTime<Utc>>,
    pub stage_due_at: Option<DateTime<Utc>>,
    pub paused: bool,
    pub extensions: u32,
    pub reworks: i64,
    pub returns: i64,
    /// The case this duplicate was merged into.
    pub merged_into: Option<i64>,
}

impl CaseView {
    pub fn new(c: &CaseRow, wf: Option<&Workflow>) -> CaseView {
        CaseView {
            id: c.id,
            case_no: c.case_no.clone(),
            kind: c.kind.clone(),
            category: c.category.clone(),
            channel: c.channel.as_str().into(),
            priority: c.priority.as_str().into(),
            state: c.state.clone(),
            state_name: wf
                .map(|w| w.state_name(&c.state))
                .unwrap_or_else(|| c.state.clone()),
            title: c.title.clone(),
            content: c.content.clone(),
            address: c.address.clone(),
            lat: c.lat,
            lon: c.lon,
            node_id: c.node_id,
            department_id: c.department_id,
            handler_id: c.handler_id,
            created_by: c.created_by,
            created_at: c.created_at,
            registered_at: c.registered_at,
            closed_at: c.closed_at,
            updated_at: c.updated_at,
            version: c.version,
            deadline_status: if c.ended_at.is_some() {
                ClockStatus::Normal.as_str().into()
            } else {
                c.clocks.status().as_str().into()
            },
            overall_due_at: c.clocks.overall_due(),
            stage_due_at: c.clocks.stage.map(|s| s.due_at),
            paused: c.clocks.paused_since.is_some(),
            extensions: c.clocks.extensions,
            reworks: c.reworks,
            returns: c.returns,
            merged_into: c.merged_into,
        }
    }
}

/// A party as shown without a reveal: masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyView {
    pub id: i64,
    pub role: String,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

impl From<&PartyRow> for PartyView {
    fn from(p: &PartyRow) -> Self {
        PartyView {
            id: p.id,
            role: p.role.clone(),
            name: p.name_masked.clone(),
            id_number: p.id_number_masked.clone(),
            phone: p.phone_masked.clone(),
            address: p.address_masked.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionView {
    pub id: String,
    pub name: String,
    pub name_en: String,
    /// Fields the action needs: department_id, handler_id, note, reason, extension.
    pub requires: Vec<String>,
    /// An attachment must come with it.
    pub evidence: bool,
}

impl From<&TransitionDef> for ActionView {
    fn from(t: &TransitionDef) -> Self {
        ActionView {
            id: t.id.clone(),
            name: t.name.clone(),
            name_en: t.name_en.clone(),
            requires: t.requires.iter().map(|f| f.as_str().to_string()).collect(),
            evidence: t.evidence,
        }
    }
}
