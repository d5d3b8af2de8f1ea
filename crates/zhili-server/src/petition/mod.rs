//! Petitions (信访) as a service: intake with the petitioner's details and group visits, repeat
//! detection, the written documents, first-receiver ownership, and the petitioner following and
//! rating the petition with its number and code. The workflow and its statutory clocks are
//! `data/workflows/petition.toml`; the rules are `zhili_domain::petition`.

pub mod api;
pub mod web;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use zhili_domain::case::{Channel, Priority};
use zhili_domain::petition::{self as rules, Category, Earlier, KIND, Rating};
use zhili_store::{CaseRow, EventRow, NewEvent, Store};

use crate::App;
use crate::auth::Principal;
use crate::cases::{CaseExtra, CaseView, CreateCaseRequest, PartyInput, text};
use crate::error::{AppError, AppResult};

/// The channels a petition comes in by (第17条).
pub const CHANNELS: [Channel; 5] = [
    Channel::Letter,
    Channel::Visit,
    Channel::Phone,
    Channel::Web,
    Channel::Fax,
];

/// A petition as registered (登记).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PetitionRequest {
    /// letter (来信), visit (来访), phone (电话), web (网上) or fax (传真)
    #[schema(value_type = String, example = "visit")]
    pub channel: Channel,
    /// suggestion (建议意见类), accusation (检举控告类) or appeal (申诉求决类)
    pub category: String,
    /// The matter in a line.
    pub title: String,
    /// The request, facts and reasons as the petitioner gives them (第19条).
    pub content: String,
    /// The village or town the matter is in.
    pub node_id: i64,
    #[serde(default)]
    pub address: Option<String>,
    /// The unit that first received the petitioner (首访负责), if not the petition office.
    #[serde(default)]
    pub department_id: Option<i64>,
    /// The petitioners (at least one): name, ID number, phone, address — encrypted at rest.
    pub petitioners: Vec<PartyInput>,
    /// How many people came (a group visit, 集体访).
    #[serde(default = "one")]
    pub group_size: u32,
    /// The representatives a group chose: at most five (第20条).
    #[serde(default)]
    pub representatives: Vec<PartyInput>,
    #[serde(default)]
    pub attachment_ids: Vec<i64>,
}

fn one() -> u32 {
    1
}

/// An earlier petition of the same person on the same matter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RepeatView {
    pub id: i64,
    pub case_no: String,
    pub state_name: String,
    /// Share of words in common, 0–1.
    pub similarity: f64,
    /// The earlier one ended after re-review (复核终结): the same facts and reasons are not
    /// accepted again (第36条).
    pub after_final: bool,
}

/// A petition just registered: its code is shown once, for the petitioner to follow it online.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PetitionCreated {
    pub case: CaseView,
    /// Given to the petitioner with the number; only its hash is kept.
    pub tracking_code: String,
    pub repeat_of: Option<RepeatView>,
}

/// The alphabet of tracking codes: no 0/O, 1/I/L.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn new_code() -> String {
    crate::crypto::random_bytes::<8>()
        .iter()
        .map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char)
        .collect()
}

fn code_hash(salt: &str, code: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{salt}:{}", code.trim().to_uppercase()).as_bytes(),
    ))
}

/// The category label of a petition, or its raw value.
pub fn category_label(c: &CaseRow) -> String {
    c.category
        .as_deref()
        .and_then(|k| k.parse::<Category>().ok())
        .map(|k| k.label_zh().to_string())
        .or_else(|| c.category.clone())
        .unwrap_or_else(|| "—".into())
}

impl<S: Store> App<S> {
    /// Register a petition (登记): petitioners encrypted, group rules checked, the same person's
    /// earlier petition on the same matter found and linked, a tracking code made.
    pub async fn register_petition(
        &self,
        who: &Principal,
        req: PetitionRequest,
    ) -> AppResult<PetitionCreated> {
        if !CHANNELS.contains(&req.channel) {
            return Err(AppError::invalid(
                "channel",
                "a petition comes by letter, visit, phone, web or fax",
            ));
        }
        let category: Category = req
            .category
            .trim()
            .parse()
            .map_err(|e: String| AppError::invalid("category", e))?;
        if req.petitioners.is_empty() {
            return Err(AppError::invalid(
                "petitioners",
                "name at least one petitioner (信访人)",
            ));
        }
        if req.group_size == 0 || req.group_size > 10_000 {
            return Err(AppError::invalid(
                "group_size",
                "group_size is the number of people, 1 or more",
            ));
        }
        rules::check_group(req.channel, req.group_size, req.representatives.len())
            .map_err(|e| AppError::invalid("representatives", e))?;
        let title = text("title", &req.title, 1, 200)?;
        let content = text("content", &req.content, 1, 20_000)?;
        let mut parties = Vec::new();
        for (role, list) in [
            ("petitioner", &req.petitioners),
            ("representative", &req.representatives),
        ] {
            for p in list {
                parties.push(PartyInput {
                    role: role.into(),
                    ..p.clone()
                });
            }
        }
        // The same person's earlier petitions: by the blind index of their ID number or phone.
        let mut earlier: Vec<CaseRow> = Vec::new();
        for (i, p) in parties.iter().enumerate() {
            if let Some(key) = self.encrypt_party(p, i)?.person_key {
                for c in self.store.person_cases(KIND, &key).await? {
                    if !earlier.iter().any(|e| e.id == c.id) {
                        earlier.push(c);
                    }
                }
            }
        }
        let matter = format!("{title}\n{content}");
        let found = rules::repeat_of(
            &matter,
            &earlier
                .iter()
                .map(|c| Earlier {
                    id: c.id,
                    text: format!("{}\n{}", c.title, c.content),
                })
                .collect::<Vec<_>>(),
        );
        let repeat = found.and_then(|(id, sim)| {
            earlier
                .iter()
                .find(|c| c.id == id)
                .map(|c| (c.clone(), sim))
        });
        let code = new_code();
        let salt = hex::encode(crate::crypto::random_bytes::<8>());
        let details = serde_json::json!({
            "group_size": req.group_size,
            "first_receiver": {
                "department_id": req.department_id,
                "node_id": req.node_id,
                "user_id": who.user.id,
            },
            "code_salt": salt,
            "code_hash": code_hash(&salt, &code),
            "repeat_similarity": repeat.as_ref().map(|r| (r.1 * 100.0).round() / 100.0),
            "after_final": repeat.as_ref().is_some_and(|r| r.0.state == "final"),
        });
        let made = self
            .create_case_with(
                who,
                CreateCaseRequest {
                    kind: KIND.into(),
                    category: Some(category.as_str().into()),
                    channel: req.channel,
                    priority: if req.group_size >= 5 {
                        Priority::High
                    } else {
                        Priority::Normal
                    },
                    title,
                    content,
                    address: req.address,
                    lat: None,
                    lon: None,
                    node_id: Some(req.node_id),
                    department_id: req.department_id,
                    parties,
                    attachment_ids: req.attachment_ids,
                },
                CaseExtra {
                    details: Some(details),
                    repeat_of: repeat.as_ref().map(|r| r.0.id),
                    related_to: None,
                },
            )
            .await?;
        let wf = self.workflows.for_kind(KIND);
        Ok(PetitionCreated {
            case: CaseView::new(&made.case, wf),
            tracking_code: code,
            repeat_of: repeat.map(|(c, sim)| RepeatView {
                id: c.id,
                case_no: c.case_no.clone(),
                state_name: wf
                    .map(|w| w.state_name(&c.state))
                    .unwrap_or_else(|| c.state.clone()),
                similarity: (sim * 100.0).round() / 100.0,
                after_final: c.state == "final",
            }),
        })
    }

    /// Find a petition by its number and the code the petitioner was given. Wrong number and
    /// wrong code look the same.
    ///
    /// After ten wrong codes for one number in an hour, that number is refused (429) until the
    /// hour is over: the code cannot be guessed.
    pub async fn petition_by_code(&self, case_no: &str, code: &str) -> AppResult<CaseRow> {
        let nf = || AppError::not_found("petition with this number and code");
        let key = case_no.trim().to_uppercase();
        let now = self.now();
        if let Err(until) = self.code_guesses.check(&key, now) {
            return Err(crate::throttle::refused(until));
        }
        let found = match self.store.case_by_no(&key).await {
            Ok(c) => {
                let salt = c.details.get("code_salt").and_then(|v| v.as_str());
                let hash = c.details.get("code_hash").and_then(|v| v.as_str());
                match (c.kind.as_str(), salt, hash) {
                    (KIND, Some(salt), Some(hash)) if code_hash(salt, code) == hash => Some(c),
                    _ => None,
                }
            }
            Err(zhili_store::DbError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        found.ok_or_else(|| {
            self.code_guesses.fail(&key, now);
            nf()
        })
    }

    /// The petitioner's view of their petition: state, dates, what they must be told (the
    /// reasons for an extension or a refusal, the decisions), no staff names or notes.
    pub async fn public_petition(&self, c: &CaseRow) -> AppResult<PublicPetition> {
        let wf = self.workflows.for_kind(KIND);
        let now = self.now();
        let mut steps = Vec::new();
        for e in self.store.timeline(c.id).await? {
            if let Some(s) = public_step(wf, &e) {
                steps.push(s);
            }
        }
        let window = c.clocks.window(now);
        Ok(PublicPetition {
            case_no: c.case_no.clone(),
            title: c.title.clone(),
            category: category_label(c),
            channel: c.channel.label_zh(),
            state: c.state.clone(),
            state_name: wf
                .map(|w| w.state_name(&c.state))
                .unwrap_or_else(|| c.state.clone()),
            received_at: c.created_at,
            accepted_at: c.registered_at,
            reply_due_at: if c.closed_at.is_none() && c.ended_at.is_none() {
                c.clocks.overall_due()
            } else {
                None
            },
            replied_at: c.closed_at,
            decision: c
                .details
                .get("decision")
                .and_then(|v| v.as_str())
                .and_then(|d| d.parse::<rules::Decision>().ok())
                .map(|d| d.label_zh()),
            window_ends_at: window.filter(|w| w.0).map(|w| w.1),
            rating: c
                .details
                .get("rating")
                .and_then(|v| v.as_str())
                .and_then(|r| r.parse::<Rating>().ok())
                .map(|r| r.label_zh()),
            may_rate: rules::may_rate(&c.state) && c.details.get("rating").is_none(),
            steps,
        })
    }

    /// The petitioner rates the handling (评价), once, after a written reply.
    pub async fn rate_petition(
        &self,
        c: &CaseRow,
        rating: &str,
        comment: Option<&str>,
    ) -> AppResult<CaseRow> {
        let rating: Rating = rating
            .trim()
            .parse()
            .map_err(|e: String| AppError::invalid("rating", e))?;
        let comment = match comment.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(text("comment", s, 1, 500)?),
            None => None,
        };
        if !rules::may_rate(&c.state) {
            return Err(AppError::new(
                axum::http::StatusCode::CONFLICT,
                "not_yet",
                "a petition is rated once it has a written reply",
            ));
        }
        if c.details.get("rating").is_some() {
            return Err(AppError::new(
                axum::http::StatusCode::CONFLICT,
                "already_rated",
                "this petition has been rated",
            ));
        }
        let mut d = c.details.clone();
        d["rating"] = serde_json::json!(rating);
        d["rating_comment"] = serde_json::json!(comment);
        Ok(self
            .store
            .set_details(
                c.id,
                c.version,
                d,
                zhili_store::CaseMarks::of(c),
                NewEvent {
                    kind: "rated".into(),
                    actor_id: None,
                    at: self.now(),
                    data: serde_json::json!({"rating": rating, "comment": comment}),
                },
            )
            .await?)
    }
}

/// One step of the petitioner's view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicStep {
    pub at: DateTime<Utc>,
    pub name: String,
    /// What the petitioner must be told: the reason of an extension or refusal, where it was
    /// sent, the decision.
    pub detail: String,
}

/// What a petitioner sees with their number and code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicPetition {
    pub case_no: String,
    pub title: String,
    pub category: String,
    pub channel: &'static str,
    pub state: String,
    pub state_name: String,
    pub received_at: DateTime<Utc>,
    /// 受理
    pub accepted_at: Option<DateTime<Utc>>,
    /// The written reply is due (60日 from acceptance, with an approved extension).
    pub reply_due_at: Option<DateTime<Utc>>,
    pub replied_at: Option<DateTime<Utc>>,
    pub decision: Option<&'static str>,
    /// Until when the petitioner may ask for review (复查) or re-review (复核).
    pub window_ends_at: Option<DateTime<Utc>>,
    pub rating: Option<&'static str>,
    pub may_rate: bool,
    pub steps: Vec<PublicStep>,
}

/// The actions whose reason or note the petitioner is told.
const TOLD: &[&str] = &[
    "approve_extension",
    "transfer",
    "redirect",
    "reject",
    "settle",
    "request_review",
    "request_rereview",
];

fn public_step(wf: Option<&zhili_domain::workflow::Workflow>, e: &EventRow) -> Option<PublicStep> {
    let s = |k: &str| e.data.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    let (name, detail) = match e.kind.as_str() {
        "created" => ("登记".to_string(), String::new()),
        "transition" => {
            let action = s("action");
            let mut detail = Vec::new();
            if TOLD.contains(&action) {
                for k in ["reason", "note"] {
                    if !s(k).is_empty() {
                        detail.push(s(k).to_string());
                    }
                }
            }
            if let Some(x) = e.data.get("extension").and_then(|v| v.as_u64())
                && action == "approve_extension"
            {
                detail.insert(0, format!("延长{x}日"));
            }
            if let Some(d) = e
                .data
                .get("letter")
                .and_then(|l| l.get("decision"))
                .and_then(|d| d.as_str())
                .and_then(|d| d.parse::<rules::Decision>().ok())
            {
                detail.push(d.label_zh().to_string());
            }
            let to = wf.map(|w| w.state_name(s("to"))).unwrap_or_default();
            let name = format!("{}（{}）", s("action_name"), to);
            (name, detail.join("；"))
        }
        "rated" => (
            "评价".to_string(),
            s("rating")
                .parse::<Rating>()
                .map(|r| r.label_zh().to_string())
                .unwrap_or_default(),
        ),
        _ => return None,
    };
    Some(PublicStep {
        at: e.at,
        name,
        detail,
    })
}
