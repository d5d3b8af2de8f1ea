//! The written documents (文书) a case issues: a petition's 受理告知书, 信访处理意见书, 复查/复核意见书,
//! and a mediation's 人民调解协议书. A transition's `document` names what it issues; the document
//! is rendered as Word (.docx) from the transition's record in the timeline, which the audit chain
//! keeps unchanged, so the same document comes out every time. Parties' names are masked unless a
//! role that may see them asks to reveal them (logged).

pub mod api;
mod docx;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use zhili_domain::mediation::{self, Agreement};
use zhili_domain::petition::{Decision, DocumentKind, Letter};
use zhili_store::{CaseRow, EventRow, NewEvent, Store};

use crate::App;
use crate::auth::Principal;
use crate::cases::fmt_local;
use crate::error::{AppError, AppResult};

/// What a transition's `document` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    Petition(DocumentKind),
    /// 人民调解协议书
    Agreement,
}

impl Issued {
    pub fn parse(s: &str) -> Option<Issued> {
        if s == mediation::AGREEMENT_DOCUMENT {
            return Some(Issued::Agreement);
        }
        DocumentKind::parse(s).map(Issued::Petition)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Issued::Petition(k) => k.as_str(),
            Issued::Agreement => mediation::AGREEMENT_DOCUMENT,
        }
    }
    /// The title of the document the event `data` issued (an oral agreement's record is not a
    /// 调解协议书).
    pub fn title_zh(self, data: &serde_json::Value) -> &'static str {
        match self {
            Issued::Petition(k) => k.title_zh(),
            Issued::Agreement => agreement_of(data).unwrap_or_default().title_zh(),
        }
    }
    /// The parties the document names: the petitioners, or every party to a dispute.
    fn names(self, role: &str) -> bool {
        match self {
            Issued::Petition(_) => role == "petitioner",
            Issued::Agreement => true,
        }
    }
}

fn agreement_of(data: &serde_json::Value) -> Option<Agreement> {
    serde_json::from_value(data.get("agreement")?.clone()).ok()
}

/// A written document a case issued.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentRef {
    /// The timeline event that issued it.
    pub event_id: i64,
    /// acceptance_notice, decision_letter, review_decision, rereview_decision,
    /// mediation_agreement
    pub kind: &'static str,
    pub title: &'static str,
    pub issued_at: DateTime<Utc>,
    /// Download (Word .docx); parties' names are masked unless `?reveal=true` by a role that may
    /// see them (logged).
    pub url: String,
    /// 予以支持 / 解释说明 / 不予支持, for a petition's decisions.
    pub decision: Option<&'static str>,
}

/// The documents in a case's timeline.
pub fn documents_of(c: &CaseRow, timeline: &[EventRow]) -> Vec<DocumentRef> {
    timeline
        .iter()
        .filter_map(|e| {
            let kind = Issued::parse(e.data.get("document")?.as_str()?)?;
            Some(DocumentRef {
                event_id: e.id,
                kind: kind.as_str(),
                title: kind.title_zh(&e.data),
                issued_at: e.at,
                url: format!("/api/v1/cases/{}/documents/{}", c.id, e.id),
                decision: e
                    .data
                    .get("letter")
                    .and_then(|l| l.get("decision"))
                    .and_then(|d| d.as_str())
                    .and_then(|d| d.parse::<Decision>().ok())
                    .map(|d| d.label_zh()),
            })
        })
        .collect()
}

impl<S: Store> App<S> {
    /// The documents a case issued, from its timeline.
    pub async fn documents(&self, who: &Principal, id: i64) -> AppResult<Vec<DocumentRef>> {
        let c = self.case_for(who, id).await?;
        Ok(documents_of(&c, &self.store.timeline(id).await?))
    }

    /// One document as Word (.docx). Parties' names are masked unless `reveal` is asked by a
    /// role that may see them; that reveal is logged like any other.
    pub async fn document_docx(
        &self,
        who: &Principal,
        id: i64,
        event_id: i64,
        reveal: bool,
    ) -> AppResult<(String, Vec<u8>)> {
        let c = self.case_for(who, id).await?;
        let timeline = self.store.timeline(id).await?;
        let ev = timeline
            .iter()
            .find(|e| e.id == event_id)
            .ok_or_else(|| AppError::not_found("document"))?;
        let kind = ev
            .data
            .get("document")
            .and_then(|v| v.as_str())
            .and_then(Issued::parse)
            .ok_or_else(|| AppError::not_found("document"))?;
        let parties: Vec<_> = self
            .store
            .parties(id)
            .await?
            .into_iter()
            .filter(|p| kind.names(&p.role))
            .collect();
        let mut named = Vec::new();
        if reveal {
            if !self.may_reveal(who, &c) {
                return Err(AppError::forbidden(
                    "your role may not see the personal data of this case's parties",
                ));
            }
            for p in &parties {
                let clear = self.decrypt_party(p)?;
                named.push(docx::Named {
                    role: zhili_domain::case::party_role_label_in(&c.kind, &p.role).to_string(),
                    name: clear.name,
                    id_number: clear.id_number,
                    address: clear.address,
                });
            }
            self.store
                .case_event(
                    id,
                    NewEvent {
                        kind: "personal_data_revealed".into(),
                        actor_id: Some(who.user.id),
                        at: self.now(),
                        data: serde_json::json!({"document_event_id": event_id, "by": who.user.username}),
                    },
                )
                .await?;
            self.metrics.reveals.inc();
        } else {
            named = parties
                .iter()
                .map(|p| docx::Named {
                    role: zhili_domain::case::party_role_label_in(&c.kind, &p.role).to_string(),
                    name: p.name_masked.clone(),
                    id_number: p.id_number_masked.clone(),
                    address: None,
                })
                .collect();
        }
        let issuer = match c.department_id {
            Some(d) => self
                .store
                .list_departments()
                .await?
                .into_iter()
                .find(|x| x.id == d)
                .map(|x| x.name),
            None => None,
        };
        let issuer = match issuer {
            Some(n) => n,
            None => self.node_ref(c.node_id).await?.name,
        };
        let head = docx::Head {
            title: kind.title_zh(&ev.data),
            number: format!("{}-{}", c.case_no, ev.seq),
            issuer: &issuer,
            issued: zhili_domain::clock::to_local(ev.at)
                .format("%Y年%m月%d日")
                .to_string(),
        };
        let field = |k: &str| ev.data.get(k).cloned();
        let bytes = match kind {
            Issued::Petition(kind) => docx::petition(
                &head,
                &docx::PetitionDoc {
                    kind,
                    petitioners: named
                        .iter()
                        .map(|n| n.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、"),
                    received: fmt_local(c.created_at),
                    channel: c.channel.label_zh(),
                    title: &c.title,
                    category: crate::petition::category_label(&c),
                    letter: field("letter").and_then(|l| serde_json::from_value::<Letter>(l).ok()),
                },
            ),
            Issued::Agreement => {
                let agreement =
                    agreement_of(&ev.data).ok_or_else(|| AppError::not_found("document"))?;
                docx::agreement(
                    &head,
                    &docx::AgreementDoc {
                        parties: &named,
                        mediator: ev.actor_name.as_deref().unwrap_or_default(),
                        agreement: &agreement,
                    },
                )
            }
        }
        .map_err(AppError::internal)?;
        Ok((format!("{}-{}.docx", c.case_no, kind.as_str()), bytes))
    }
}
