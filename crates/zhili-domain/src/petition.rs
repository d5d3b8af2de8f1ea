//! Petitions (信访): categories, routing, decisions, the written documents, group visits,
//! repeat detection and who may read a petitioner's identity. The workflow with its statutory
//! clocks is data (`data/workflows/petition.toml`); the rules here are the ones a TOML file
//! cannot say. Sources: RULES.md §1 (信访工作条例 2022).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::case::Channel;
use crate::org::Role;

/// The case kind of petitions.
pub const KIND: &str = "petition";

/// The three categories (第29–31条), stored as the case's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 建议意见类 (第29条): studied, adopted or not, answered.
    Suggestion,
    /// 检举控告类 (第30条): handled by 纪检监察 or the competent organ; the accuser's material is
    /// never passed to the accused.
    Accusation,
    /// 申诉求决类 (第31条): routed into a legal procedure, or handled to a 信访处理意见书.
    Appeal,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Suggestion, Category::Accusation, Category::Appeal];
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Suggestion => "suggestion",
            Category::Accusation => "accusation",
            Category::Appeal => "appeal",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Category::Suggestion => "建议意见类",
            Category::Accusation => "检举控告类",
            Category::Appeal => "申诉求决类",
        }
    }
    pub fn article(self) -> &'static str {
        match self {
            Category::Suggestion => "《信访工作条例》第二十九条",
            Category::Accusation => "《信访工作条例》第三十条",
            Category::Appeal => "《信访工作条例》第三十一条",
        }
    }
}

/// The outcome of a written decision (第32条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// 予以支持: the request is well founded.
    Support,
    /// 解释说明: the request is reasonable but cannot be met, or is explained.
    Explain,
    /// 不予支持: the request is not well founded.
    Reject,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Support, Decision::Explain, Decision::Reject];
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Support => "support",
            Decision::Explain => "explain",
            Decision::Reject => "reject",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Decision::Support => "予以支持",
            Decision::Explain => "解释说明",
            Decision::Reject => "不予支持",
        }
    }
}

parse_by_as_str!(Category, "category");
parse_by_as_str!(Decision, "decision");
parse_by_as_str!(Rating, "rating");

/// The written documents (文书) a petition produces, by the `document` of its transitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 受理告知书 (第23条)
    AcceptanceNotice,
    /// 信访处理意见书 (第32条)
    DecisionLetter,
    /// 复查意见书 (第35条)
    ReviewDecision,
    /// 复核意见书 (第36条)
    RereviewDecision,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [
        DocumentKind::AcceptanceNotice,
        DocumentKind::DecisionLetter,
        DocumentKind::ReviewDecision,
        DocumentKind::RereviewDecision,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::AcceptanceNotice => "acceptance_notice",
            DocumentKind::DecisionLetter => "decision_letter",
            DocumentKind::ReviewDecision => "review_decision",
            DocumentKind::RereviewDecision => "rereview_decision",
        }
    }
    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn title_zh(self) -> &'static str {
        match self {
            DocumentKind::AcceptanceNotice => "信访事项受理告知书",
            DocumentKind::DecisionLetter => "信访事项处理意见书",
            DocumentKind::ReviewDecision => "信访事项复查意见书",
            DocumentKind::RereviewDecision => "信访事项复核意见书",
        }
    }
    /// What the petitioner may do next, as the document tells them (第35、36条).
    pub fn remedy_zh(self) -> &'static str {
        match self {
            DocumentKind::AcceptanceNotice => {
                "本机关将自受理之日起六十日内办结；情况复杂的，经本机关负责人批准，可以适当延长办理期限，但延长期限不得超过三十日，并告知延期理由。"
            }
            DocumentKind::DecisionLetter => {
                "如对本处理意见不服，可以自收到本意见书之日起三十日内请求原办理机关的上一级机关复查。"
            }
            DocumentKind::ReviewDecision => {
                "如对本复查意见不服，可以自收到本意见书之日起三十日内向复查机关的上一级机关请求复核。"
            }
            DocumentKind::RereviewDecision => {
                "本复核意见为终结意见。信访人对复核意见不服，仍以同一事实和理由提出信访请求的，不再受理。"
            }
        }
    }
    /// Documents with a decision carry a [`Letter`].
    pub fn has_letter(self) -> bool {
        self != DocumentKind::AcceptanceNotice
    }
}

/// The content of a written decision (第32条): the request, the facts and reasons found, the
/// decision and its legal basis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Letter {
    /// 信访请求
    pub request: String,
    /// 查明的事实和理由
    pub facts: String,
    pub decision: Decision,
    /// 法律政策依据
    pub basis: String,
}

impl Letter {
    /// Trimmed and checked: every part present and within its length. An error names the field
    /// (`letter.facts`).
    pub fn checked(self) -> Result<Letter, (&'static str, String)> {
        let part = |field: &'static str, v: String, max: usize| {
            let t = v.trim().to_string();
            if t.is_empty() {
                return Err((field, format!("{field} must not be empty")));
            }
            if t.chars().count() > max {
                return Err((field, format!("{field} is longer than {max} characters")));
            }
            Ok(t)
        };
        Ok(Letter {
            request: part("letter.request", self.request, 2000)?,
            facts: part("letter.facts", self.facts, 10_000)?,
            decision: self.decision,
            basis: part("letter.basis", self.basis, 2000)?,
        })
    }
}

/// At most five representatives speak for a group visit (第20条).
pub const MAX_REPRESENTATIVES: usize = 5;

/// A group visit (多人走访) must choose representatives, no more than five (第20条). `people` is
/// how many came; `representatives` how many were named.
pub fn check_group(channel: Channel, people: u32, representatives: usize) -> Result<(), String> {
    if representatives > MAX_REPRESENTATIVES {
        return Err(format!(
            "a group chooses at most {MAX_REPRESENTATIVES} representatives (信访工作条例 第二十条), not {representatives}"
        ));
    }
    if channel == Channel::Visit && people > 1 && representatives == 0 {
        return Err(format!(
            "a group visit of {people} people names its representatives (1 to {MAX_REPRESENTATIVES})"
        ));
    }
    if people as usize > 1 && (representatives as u32) > people {
        return Err(format!(
            "{representatives} representatives for a group of {people} people"
        ));
    }
    Ok(())
}

/// Who may read the petitioners' identity in clear: the workflow's list, except that in an
/// accusation (检举控告) the handling departments — which may be the accused — never may (第30条).
pub fn reveal_roles(category: Option<&str>, workflow: &[Role]) -> Vec<Role> {
    let accusation = category == Some(Category::Accusation.as_str());
    workflow
        .iter()
        .copied()
        .filter(|r| !accusation || !matches!(r, Role::Handler | Role::DeptHead))
        .collect()
}

/// How alike two petitions' words must be to be the same matter raised again (重复信访) when
/// they come from the same person.
pub const REPEAT_SIMILARITY: f64 = 0.3;

/// An earlier petition of the same person, as repeat detection sees it.
#[derive(Debug, Clone)]
pub struct Earlier {
    pub id: i64,
    pub text: String,
}

/// The earlier petition the new one repeats, if any: the most alike of the same person's
/// earlier petitions, at least [`REPEAT_SIMILARITY`] alike. Returns the id and the similarity.
pub fn repeat_of(text: &str, earlier: &[Earlier]) -> Option<(i64, f64)> {
    earlier
        .iter()
        .map(|e| (e.id, crate::text::similarity(text, &e.text)))
        .filter(|(_, s)| *s >= REPEAT_SIMILARITY)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
}

/// The petitioner's rating of the handling (评价, 第21条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    Basic,
    Dissatisfied,
}

impl Rating {
    pub const ALL: [Rating; 3] = [Rating::Satisfied, Rating::Basic, Rating::Dissatisfied];
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Basic => "basic",
            Rating::Dissatisfied => "dissatisfied",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::Basic => "基本满意",
            Rating::Dissatisfied => "不满意",
        }
    }
}

/// The states after which a petitioner may rate: once a written reply exists.
pub fn may_rate(state: &str) -> bool {
    matches!(
        state,
        "replied"
            | "reviewing"
            | "reviewed"
            | "rereviewing"
            | "hearing"
            | "final"
            | "closed"
            | "settled"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseClocks, Channel};
    use crate::clock::{ClockStatus, Deadlines, OfficeHours};
    use crate::workflow::{Field, TransitionError, TransitionInput};

    use crate::testdata::{at, local};

    #[test]
    fn groups_choose_at_most_five_representatives() {
        assert!(check_group(Channel::Visit, 30, 5).is_ok());
        assert!(
            check_group(Channel::Visit, 30, 6)
                .unwrap_err()
                .contains("第二十条")
        );
        assert!(check_group(Channel::Visit, 8, 0).is_err());
        assert!(check_group(Channel::Letter, 8, 0).is_ok());
        assert!(check_group(Channel::Visit, 1, 0).is_ok());
        assert!(check_group(Channel::Visit, 2, 3).is_err());
    }

    #[test]
    fn accusers_are_hidden_from_the_handling_units() {
        let wf = [
            Role::PetitionOfficer,
            Role::Leader,
            Role::Handler,
            Role::DeptHead,
        ];
        assert_eq!(reveal_roles(Some("appeal"), &wf).len(), 4);
        assert_eq!(
            reveal_roles(Some("accusation"), &wf),
            vec![Role::PetitionOfficer, Role::Leader]
        );
    }

    #[test]
    fn letters_are_checked_part_by_part() {
        let l = Letter {
            request: " 要求退还押金 ".into(),
            facts: "经查属实".into(),
            decision: Decision::Support,
            basis: "《民法典》第五百七十七条".into(),
        };
        assert_eq!(l.clone().checked().unwrap().request, "要求退还押金");
        let e = Letter {
            facts: "  ".into(),
            ..l
        }
        .checked()
        .unwrap_err();
        assert_eq!(e.0, "letter.facts");
        assert_eq!("explain".parse::<Decision>().unwrap(), Decision::Explain);
        assert!("maybe".parse::<Decision>().unwrap_err().contains("support"));
    }

    #[test]
    fn repeats_are_the_same_persons_alike_matters() {
        let earlier = [
            Earlier {
                id: 1,
                text: "反映某工厂拖欠工资三个月，要求支付工资".into(),
            },
            Earlier {
                id: 2,
                text: "反映小区路灯不亮".into(),
            },
        ];
        let (id, s) =
            repeat_of("再次反映某工厂拖欠三个月工资问题，要求尽快支付", &earlier).unwrap();
        assert_eq!(id, 1);
        assert!(s >= REPEAT_SIMILARITY);
        assert!(repeat_of("咨询社保缴费年限", &earlier).is_none());
    }

    /// Every statutory clock of a petition on real dates of the official calendar, holidays
    /// included (2021: 国庆 10-01..07 with make-up working days 09-26 and 10-09).
    #[test]
    fn statutory_clocks_on_the_2021_calendar() {
        let cal = crate::builtin::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let wfs = crate::builtin::workflows();
        let wf = wfs.for_kind(KIND).unwrap();
        let t = |id| wf.transition(id).unwrap();

        // Registered Thu 2021-09-16: 15日 for routing ends 10-01, a holiday, so it moves to the
        // first working day after the holiday, 10-08.
        let mut c = CaseClocks::start(wf, at("2021-09-16 10:00"), &dl);
        assert!(c.overall.is_none(), "the 60日 run from 受理, not from 登记");
        assert_eq!(local(c.stage.unwrap().due_at), "2021-10-09 00:00");

        // 交办 on Tue 09-28: 5 working days to object: 09-29, 09-30, 10-08, 10-09 (make-up
        // Saturday), 10-11.
        c.on_transition(wf, t("assign"), at("2021-09-28 09:00"), None, &dl);
        assert_eq!(local(c.stage.unwrap().due_at), "2021-10-12 00:00");
        assert_eq!(c.window(at("2021-10-11 17:00")).map(|w| w.0), Some(true));
        assert_eq!(c.window(at("2021-10-12 08:00")).map(|w| w.0), Some(false));
        // A window never goes overdue.
        assert!(c.refresh(at("2021-10-20 08:00")).is_empty());
        assert_eq!(c.status(), ClockStatus::Normal);
        let mut input = TransitionInput::default();
        input.present.insert(Field::Reason);
        input.window = Some((false, "2021-10-12 00:00".into()));
        let e = wf
            .check("assigned", "object", &[Role::Handler], &input, (0, 0))
            .unwrap_err();
        assert!(matches!(e, TransitionError::WindowClosed { .. }), "{e}");
        input.window = Some((true, "2021-10-12 00:00".into()));
        assert!(
            wf.check("assigned", "object", &[Role::Handler], &input, (0, 0))
                .is_ok()
        );

        // 签收受理 Wed 10-13: the notice is due in 15日 (10-28), the reply in 60日 (12-12, a
        // Sunday, so Mon 12-13).
        c.on_transition(wf, t("sign"), at("2021-10-13 09:00"), None, &dl);
        assert_eq!(local(c.stage.unwrap().due_at), "2021-10-29 00:00");
        assert_eq!(local(c.overall_due().unwrap()), "2021-12-14 00:00");
        c.on_transition(wf, t("notify"), at("2021-10-20 09:00"), None, &dl);
        assert!(c.stage.is_none());

        // One extension of 30日 approved: 90日 from 受理 end on Tue 2022-01-11 (not 30 days
        // after the Monday the 60th day had moved to).
        c.on_transition(
            wf,
            t("request_extension"),
            at("2021-12-01 09:00"),
            None,
            &dl,
        );
        c.on_transition(
            wf,
            t("approve_extension"),
            at("2021-12-02 09:00"),
            Some(30),
            &dl,
        );
        assert_eq!(local(c.overall_due().unwrap()), "2022-01-12 00:00");
        let mut ext = TransitionInput::default();
        ext.present.extend([Field::Extension, Field::Reason]);
        ext.extension = Some(1);
        let e = wf
            .check(
                "extension_requested",
                "approve_extension",
                &[Role::Leader],
                &ext,
                (1, 30),
            )
            .unwrap_err();
        assert!(
            matches!(e, TransitionError::ExtensionCap(_)),
            "only once: {e}"
        );
        ext.extension = Some(31);
        assert!(
            wf.check(
                "extension_requested",
                "approve_extension",
                &[Role::Leader],
                &ext,
                (0, 0)
            )
            .is_err(),
            "at most 30日"
        );
        assert!(
            wf.check(
                "extension_requested",
                "approve_extension",
                &[Role::Handler],
                &ext,
                (0, 0)
            )
            .is_err(),
            "only the head approves"
        );

        // Reply Mon 2021-12-27: 办结 on time; the review period runs 30日 to 2022-01-26.
        c.on_transition(wf, t("reply"), at("2021-12-27 10:00"), None, &dl);
        assert_eq!(c.on_time(), Some(true));
        assert_eq!(local(c.stage.unwrap().due_at), "2022-01-27 00:00");
        // The 60日 clock has stopped: nothing goes overdue after the reply.
        assert!(c.refresh(at("2022-03-01 00:00")).is_empty());

        // Review asked on 01-20; the 复查 decision is due 30日 later: 02-19 is a Saturday but a
        // normal weekend, so Mon 02-21.
        c.on_transition(wf, t("request_review"), at("2022-01-20 10:00"), None, &dl);
        assert_eq!(local(c.stage.unwrap().due_at), "2022-02-22 00:00");
        c.on_transition(wf, t("review_decide"), at("2022-02-15 10:00"), None, &dl);
        // Re-review period: 30日 from 02-15 → 03-17.
        assert_eq!(local(c.stage.unwrap().due_at), "2022-03-18 00:00");
        c.on_transition(wf, t("request_rereview"), at("2022-03-10 10:00"), None, &dl);
        // 复核 due 30日 after 03-10 → 04-09 (Saturday) → Mon 04-11.
        assert_eq!(local(c.stage.unwrap().due_at), "2022-04-12 00:00");
        // A hearing from 03-20 to 03-30 is not counted: 30 + 10 日 from 03-10 → Tue 04-19.
        c.on_transition(wf, t("start_hearing"), at("2022-03-20 09:00"), None, &dl);
        assert_eq!(c.next_check(), None);
        c.on_transition(wf, t("end_hearing"), at("2022-03-30 09:00"), None, &dl);
        assert_eq!(local(c.stage.unwrap().due_at), "2022-04-20 00:00");
        c.on_transition(wf, t("rereview_decide"), at("2022-04-15 09:00"), None, &dl);
        assert!(wf.state("final").unwrap().terminal);
        assert!(c.finished_at.is_some());
        assert_eq!(c.closed_at.map(local).as_deref(), Some("2021-12-27 10:00"));
    }

    #[test]
    fn the_reply_is_overdue_after_sixty_days_and_filing_waits_for_the_period() {
        let cal = crate::builtin::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let wfs = crate::builtin::workflows();
        let wf = wfs.for_kind(KIND).unwrap();
        let t = |id| wf.transition(id).unwrap();
        // Accepted Fri 2021-04-30 (before 劳动节 05-01..05): 60日 → 06-29.
        let mut c = CaseClocks::start(wf, at("2021-04-29 10:00"), &dl);
        c.on_transition(wf, t("accept"), at("2021-04-30 10:00"), None, &dl);
        // Notice 15日 → 05-15 is a Saturday, 05-16 Sunday → Mon 05-17.
        assert_eq!(local(c.stage.unwrap().due_at), "2021-05-18 00:00");
        assert_eq!(local(c.overall_due().unwrap()), "2021-06-30 00:00");
        c.on_transition(wf, t("notify"), at("2021-05-06 10:00"), None, &dl);
        let ch = c.refresh(at("2021-06-30 00:01"));
        assert!(ch.iter().any(|x| x.status == ClockStatus::Overdue));
        c.on_transition(wf, t("reply"), at("2021-07-02 10:00"), None, &dl);
        assert_eq!(c.on_time(), Some(false));
        // The 30日 review period is open until 08-01 (Sunday) → 08-02.
        let (open, end) = c.window(at("2021-08-02 12:00")).unwrap();
        assert!(open);
        assert_eq!(local(end), "2021-08-03 00:00");
        let mut input = TransitionInput {
            window: Some((true, local(end))),
            ..Default::default()
        };
        let e = wf
            .check(
                "replied",
                "conclude",
                &[Role::PetitionOfficer],
                &input,
                (0, 0),
            )
            .unwrap_err();
        assert!(matches!(e, TransitionError::WindowOpen { .. }), "{e}");
        input.window = Some((false, local(end)));
        assert!(
            wf.check(
                "replied",
                "conclude",
                &[Role::PetitionOfficer],
                &input,
                (0, 0)
            )
            .is_ok()
        );
    }
}
