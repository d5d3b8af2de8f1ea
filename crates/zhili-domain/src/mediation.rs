//! People's mediation (人民调解, 人民调解法 2010), court-linked pre-filing mediation (诉前联调, 人民法院
//! 在线调解规则 2021) and labour-arbitration referrals (劳动争议调解仲裁法): committees, the
//! agreement (调解协议书), how a case starts, and the per-case subsidy
//! (以案定补). Sources: RULES.md §4. The workflows with their clocks are data:
//! `data/workflows/mediation.toml`, `court_mediation.toml`, `labour_arbitration.toml`.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// 人民调解 cases.
pub const KIND: &str = "mediation";
/// 诉前联调: disputes the court entrusts before filing.
pub const COURT_KIND: &str = "court_mediation";
/// 劳动争议仲裁 referrals (兼职仲裁员).
pub const ARBITRATION_KIND: &str = "labour_arbitration";

/// A committee has 3 to 9 members (第9条).
pub const MIN_MEMBERS: usize = 3;
pub const MAX_MEMBERS: usize = 9;
/// A committee's term: three years, renewable (第9条).
pub const TERM_YEARS: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
}

/// A committee's members: 3–9, a chair among them, and at least one woman (第9条).
pub fn check_committee(members: &[Gender], has_chair: bool) -> Result<(), String> {
    if !(MIN_MEMBERS..=MAX_MEMBERS).contains(&members.len()) {
        return Err(format!(
            "a mediation committee has {MIN_MEMBERS} to {MAX_MEMBERS} members (人民调解法 第九条), not {}",
            members.len()
        ));
    }
    if !members.contains(&Gender::Female) {
        return Err(
            "a mediation committee has at least one woman member (人民调解法 第九条)".into(),
        );
    }
    if !has_chair {
        return Err("a mediation committee has a chair (主任) among its members".into());
    }
    Ok(())
}

/// How a mediation started (第17条): a party applied, or the committee took it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    Application,
    Committee,
}

impl Start {
    pub const ALL: [Start; 2] = [Start::Application, Start::Committee];
    pub fn as_str(self) -> &'static str {
        match self {
            Start::Application => "application",
            Start::Committee => "committee",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Start::Application => "当事人申请",
            Start::Committee => "调委会主动调解",
        }
    }
}

parse_by_as_str!(Start, "start");

/// The kinds of dispute (纠纷类型) as the mediation statistics count them.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("marriage_family", "婚姻家庭纠纷"),
    ("neighbour", "邻里纠纷"),
    ("homestead_land", "宅基地及土地纠纷"),
    ("debt", "民间借贷纠纷"),
    ("contract", "合同纠纷"),
    ("labour", "劳动争议"),
    ("damages", "损害赔偿纠纷"),
    ("traffic", "道路交通事故纠纷"),
    ("property", "物业纠纷"),
    ("other", "其他纠纷"),
];

pub fn category_label(id: &str) -> Option<&'static str> {
    CATEGORIES.iter().find(|c| c.0 == id).map(|c| c.1)
}

/// A dispute has parties on both sides: at least one applicant (申请人) — or, when the committee
/// takes it up, one party — and one other party (被申请人).
pub fn check_parties(start: Start, roles: &[&str]) -> Result<(), String> {
    if roles.len() < 2 {
        return Err("a dispute has at least two parties".into());
    }
    let has = |r: &str| roles.contains(&r);
    if start == Start::Application && !has("applicant") {
        return Err("an application names its applicant (申请人)".into());
    }
    if !has("respondent") {
        return Err("a dispute names the other party (被申请人, role `respondent`)".into());
    }
    Ok(())
}

/// The transition's document that is the agreement (调解协议书, 第28–29条).
pub const AGREEMENT_DOCUMENT: &str = "mediation_agreement";

/// The agreement (第28–29条): written (调解协议书), or oral and recorded by the mediator (第30条),
/// with the facts, issues and responsibilities, what was agreed, and how and by when it is
/// performed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    /// 口头协议 (第30条): reached orally, in effect when reached; the mediator's record of it is
    /// issued instead of a 调解协议书.
    #[serde(default)]
    pub oral: bool,
    /// 纠纷的主要事实、争议事项以及各方当事人的责任
    pub facts: String,
    /// 当事人达成调解协议的内容
    pub content: String,
    /// 履行方式
    pub performance: String,
    /// 履行期限
    pub deadline: NaiveDate,
}

impl Agreement {
    /// The document's title.
    pub fn title_zh(&self) -> &'static str {
        if self.oral {
            "人民调解口头协议记录"
        } else {
            "人民调解协议书"
        }
    }

    /// What the document tells the parties of its effect (第30、31、33条).
    pub fn effect_zh(&self) -> &'static str {
        if self.oral {
            "本口头调解协议自各方当事人达成协议之日起生效（人民调解法第三十条），具有法律约束力，当事人应当按照约定履行。"
        } else {
            "本协议自双方当事人签名（盖章）、人民调解员签名并加盖人民调解委员会印章之日起生效，具有法律约束力，当事人应当按照约定履行。双方当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。"
        }
    }

    /// Trimmed and checked; an error names the field (`agreement.content`).
    pub fn checked(self, today: NaiveDate) -> Result<Agreement, (&'static str, String)> {
        let part = |field: &'static str, v: String| {
            let t = v.trim().to_string();
            if t.is_empty() {
                return Err((field, format!("{field} must not be empty")));
            }
            if t.chars().count() > 10_000 {
                return Err((field, format!("{field} is longer than 10000 characters")));
            }
            Ok(t)
        };
        if self.deadline < today {
            return Err((
                "agreement.deadline",
                "the performance deadline has already passed".into(),
            ));
        }
        Ok(Agreement {
            oral: self.oral,
            facts: part("agreement.facts", self.facts)?,
            content: part("agreement.content", self.content)?,
            performance: part("agreement.performance", self.performance)?,
            deadline: self.deadline,
        })
    }
}

/// One grade of the per-case subsidy table (以案定补): by difficulty, people and amount at stake.
/// The amounts are local (RULES.md §4.4 ⚠: Qingxi's own not found).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsidyGrade {
    pub id: String,
    pub label: String,
    /// In fen (分).
    pub amount_fen: i64,
}

/// ⚠ Defaults for illustration: set the deployment's own table.
pub fn default_subsidy_grades() -> Vec<SubsidyGrade> {
    [
        ("simple", "简易纠纷", 10_000),
        ("ordinary", "一般纠纷", 30_000),
        ("complex", "复杂疑难纠纷", 60_000),
        ("major", "重大纠纷", 100_000),
    ]
    .into_iter()
    .map(|(id, label, amount_fen)| SubsidyGrade {
        id: id.into(),
        label: label.into(),
        amount_fen,
    })
    .collect()
}

/// The subsidy of a case: only a successful mediation earns one (以案定补), by its grade.
pub fn subsidy(grades: &[SubsidyGrade], grade: &str, succeeded: bool) -> Result<i64, String> {
    if !succeeded {
        return Err("only a successful mediation earns a subsidy (以案定补)".into());
    }
    grades
        .iter()
        .find(|g| g.id == grade)
        .map(|g| g.amount_fen)
        .ok_or_else(|| {
            let ids: Vec<_> = grades.iter().map(|g| g.id.as_str()).collect();
            format!("unknown subsidy grade `{grade}` ({})", ids.join(", "))
        })
}

/// Yuan as shown: `¥300.00`.
pub fn yuan(fen: i64) -> String {
    format!("¥{}.{:02}", fen / 100, (fen % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CaseClocks;
    use crate::clock::{Deadlines, OfficeHours};
    use crate::org::Role;
    use crate::workflow::{Field, TransitionError, TransitionInput};

    use crate::testdata::{at, local};

    #[test]
    fn committees_and_subsidies() {
        use Gender::*;
        assert!(check_committee(&[Female, Male, Male], true).is_ok());
        assert!(
            check_committee(&[Male, Male, Male], true)
                .unwrap_err()
                .contains("woman")
        );
        assert!(
            check_committee(&[Female, Male], true)
                .unwrap_err()
                .contains("3 to 9")
        );
        assert!(check_committee(&[Female; 10], true).is_err());
        assert!(check_committee(&[Female, Male, Male], false).is_err());
        let g = default_subsidy_grades();
        assert_eq!(subsidy(&g, "complex", true), Ok(60_000));
        assert!(subsidy(&g, "complex", false).is_err());
        assert!(subsidy(&g, "huge", true).unwrap_err().contains("simple"));
        assert_eq!(yuan(60_000), "¥600.00");
        let today = NaiveDate::from_ymd_opt(2021, 5, 1).unwrap();
        let a = Agreement {
            oral: false,
            facts: "邻里漏水纠纷".into(),
            content: "甲方赔偿乙方维修费2000元".into(),
            performance: "一次性现金支付".into(),
            deadline: NaiveDate::from_ymd_opt(2021, 5, 15).unwrap(),
        };
        assert!(a.clone().checked(today).is_ok());
        let e = Agreement {
            content: " ".into(),
            ..a.clone()
        }
        .checked(today)
        .unwrap_err();
        assert_eq!(e.0, "agreement.content");
        let late = Agreement {
            deadline: NaiveDate::from_ymd_opt(2021, 4, 1).unwrap(),
            ..a
        };
        assert_eq!(late.checked(today).unwrap_err().0, "agreement.deadline");
    }

    #[test]
    fn how_a_case_starts_and_who_is_in_it() {
        assert_eq!("committee".parse::<Start>(), Ok(Start::Committee));
        assert!(
            "court"
                .parse::<Start>()
                .unwrap_err()
                .contains("application")
        );
        assert!(check_parties(Start::Application, &["applicant", "respondent"]).is_ok());
        assert!(check_parties(Start::Application, &["applicant"]).is_err());
        assert!(
            check_parties(Start::Application, &["respondent", "respondent"])
                .unwrap_err()
                .contains("申请人")
        );
        // The committee takes up a dispute nobody applied for: both sides are parties.
        assert!(check_parties(Start::Committee, &["party", "respondent"]).is_ok());
        assert!(check_parties(Start::Committee, &["party", "party"]).is_err());
        // A failed mediation tells the parties their routes (第26条): the workflow says so.
        let wf = crate::builtin::workflows();
        for (kind, routes) in [(KIND, "仲裁、行政、司法"), (COURT_KIND, "立案")] {
            let fail = wf
                .for_kind(kind)
                .unwrap()
                .transitions
                .iter()
                .find(|t| t.id == "fail")
                .unwrap();
            assert!(fail.notice.as_deref().unwrap().contains(routes), "{kind}");
        }
    }

    /// 人民调解: the month to settle (⚠ 司法部规定), the 30日 to apply for judicial confirmation
    /// from the agreement (人民调解法 第33条) on the 2021 calendar.
    #[test]
    fn peoples_mediation_clocks() {
        let cal = crate::builtin::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let wfs = crate::builtin::workflows();
        let wf = wfs.for_kind(KIND).unwrap();
        let t = |id| wf.transition(id).unwrap();
        let mut c = CaseClocks::start(wf, at("2021-09-28 10:00"), &dl);
        assert!(c.overall.is_none(), "the month runs from acceptance");
        // Accepted Wed 09-29: a month of 30日 ends 10-29 (Fri).
        c.on_transition(wf, t("accept"), at("2021-09-29 10:00"), None, &dl);
        assert_eq!(local(c.overall_due().unwrap()), "2021-10-30 00:00");
        // Refusal by a party ends it without mediation (第17条) — from the application only.
        assert!(
            wf.transition("refuse")
                .unwrap()
                .from
                .contains(&"applied".to_string())
        );
        c.on_transition(wf, t("session"), at("2021-10-08 10:00"), None, &dl);
        // Agreement Mon 10-11: judicial confirmation may be applied for until 11-10 (Wed).
        c.on_transition(wf, t("succeed"), at("2021-10-11 16:00"), None, &dl);
        assert_eq!(c.on_time(), Some(true));
        let (open, end) = c.window(at("2021-11-10 20:00")).unwrap();
        assert!(open);
        assert_eq!(local(end), "2021-11-11 00:00");
        let mut input = TransitionInput {
            window: Some((false, local(end))),
            present: [Field::Note].into(),
            ..Default::default()
        };
        let e = wf
            .check(
                "agreed",
                "apply_confirmation",
                &[Role::Mediator],
                &input,
                (0, 0),
            )
            .unwrap_err();
        assert!(matches!(e, TransitionError::WindowClosed { .. }), "{e}");
        input.window = Some((true, local(end)));
        assert!(
            wf.check(
                "agreed",
                "apply_confirmation",
                &[Role::Mediator],
                &input,
                (0, 0)
            )
            .is_ok()
        );
        // The court decides within 15日 of accepting the application (3日 to accept).
        c.on_transition(
            wf,
            t("apply_confirmation"),
            at("2021-10-20 10:00"),
            None,
            &dl,
        );
        assert_eq!(local(c.stage.unwrap().due_at), "2021-11-09 00:00");
    }

    /// 诉前联调: 3 工作日 to confirm the entrustment, 30日 from acceptance, extendable with the
    /// parties' consent (人民法院在线调解规则 第12、24条).
    #[test]
    fn court_mediation_clocks() {
        let cal = crate::builtin::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let wfs = crate::builtin::workflows();
        let wf = wfs.for_kind(COURT_KIND).unwrap();
        let t = |id| wf.transition(id).unwrap();
        // Entrusted Thu 09-30: 3 working days → 10-08, 10-09 (make-up Saturday), 10-11.
        let mut c = CaseClocks::start(wf, at("2021-09-30 15:00"), &dl);
        assert_eq!(local(c.stage.unwrap().due_at), "2021-10-12 00:00");
        c.on_transition(wf, t("accept"), at("2021-10-08 09:00"), None, &dl);
        // 30日 from 10-08 → 11-07 (Sunday) → Mon 11-08.
        assert_eq!(local(c.overall_due().unwrap()), "2021-11-09 00:00");
        c.on_transition(
            wf,
            t("request_extension"),
            at("2021-11-01 09:00"),
            None,
            &dl,
        );
        c.on_transition(
            wf,
            t("approve_extension"),
            at("2021-11-01 10:00"),
            Some(15),
            &dl,
        );
        // 45日 from 10-08 → 11-22 (Mon).
        assert_eq!(local(c.overall_due().unwrap()), "2021-11-23 00:00");
    }

    /// 劳动争议仲裁: acceptance decided within 5日, the award within 45日 of acceptance, once
    /// extended by at most 15日 with the chair's approval (劳动争议调解仲裁法 第29、43条).
    #[test]
    fn labour_arbitration_clocks() {
        let cal = crate::builtin::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let wfs = crate::builtin::workflows();
        let wf = wfs.for_kind(ARBITRATION_KIND).unwrap();
        let t = |id| wf.transition(id).unwrap();
        // Applied Fri 2021-04-30 before 劳动节: 5日 → 05-05 (holiday) → Thu 05-06.
        let mut c = CaseClocks::start(wf, at("2021-04-30 10:00"), &dl);
        assert_eq!(local(c.stage.unwrap().due_at), "2021-05-07 00:00");
        c.on_transition(wf, t("accept"), at("2021-05-06 10:00"), None, &dl);
        // 45日 from 05-06 → 06-20 (Sunday) → Mon 06-21.
        assert_eq!(local(c.overall_due().unwrap()), "2021-06-22 00:00");
        c.on_transition(
            wf,
            t("request_extension"),
            at("2021-06-10 10:00"),
            None,
            &dl,
        );
        let mut ext = TransitionInput::default();
        ext.present.extend([Field::Extension, Field::Reason]);
        ext.extension = Some(16);
        assert!(
            wf.check(
                "extension_requested",
                "approve_extension",
                &[Role::Leader],
                &ext,
                (0, 0)
            )
            .is_err(),
            "at most 15日"
        );
        c.on_transition(
            wf,
            t("approve_extension"),
            at("2021-06-11 10:00"),
            Some(15),
            &dl,
        );
        // 60日 from 05-06 → 07-05 (Mon).
        assert_eq!(local(c.overall_due().unwrap()), "2021-07-06 00:00");
        c.on_transition(wf, t("award"), at("2021-07-01 10:00"), None, &dl);
        assert_eq!(c.on_time(), Some(true));
    }
}
