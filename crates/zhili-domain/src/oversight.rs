//! Local working mechanisms (地方工作机制) over cases, configurable per deployment (RULES.md §1.4,
//! ⚠ no national definition): first-receiver ownership (首访负责), leader ownership (领导包案) and
//! the tag-and-close ledger (挂牌销号) with its closure criteria.

use serde::{Deserialize, Serialize};

/// One closure criterion of the ledger: a listed case is taken off (销号) only when every one is
/// met and a leader or petition officer verifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub label: String,
}

/// The mechanisms a deployment runs, from its `mechanisms_file`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mechanisms {
    /// 首访负责: the unit that first receives an item owns it until it is formally handed on;
    /// an objection to a hand-over gives it back to that unit.
    #[serde(default = "yes")]
    pub first_receiver: bool,
    /// 领导包案: leaders may take personal charge of cases.
    #[serde(default = "yes")]
    pub leader_ownership: bool,
    /// 挂牌销号: the ledger's closure criteria; empty turns the ledger off.
    #[serde(default = "five_nots", rename = "ledger_criterion")]
    pub ledger_criteria: Vec<Criterion>,
    /// The risk grading scheme (风险分级), default 红/黄/绿.
    #[serde(default = "crate::risk::default_grades", rename = "risk_grade")]
    pub risk_grades: Vec<crate::risk::Grade>,
    /// The per-case subsidy table (以案定补), ⚠ local amounts.
    #[serde(
        default = "crate::mediation::default_subsidy_grades",
        rename = "subsidy_grade"
    )]
    pub subsidy_grades: Vec<crate::mediation::SubsidyGrade>,
}

fn yes() -> bool {
    true
}

/// The "五不结案" practice (RULES.md §1.4, [S]): not closed while the facts are unclear, the
/// handling improper, the problem unsolved, the citizen dissatisfied, or not approved.
pub fn five_nots() -> Vec<Criterion> {
    [
        ("facts_clear", "事实已查清"),
        ("handled_properly", "处理已到位"),
        ("problem_solved", "问题已解决"),
        ("citizen_satisfied", "群众已满意"),
        ("approved", "领导已审批"),
    ]
    .into_iter()
    .map(|(id, label)| Criterion {
        id: id.into(),
        label: label.into(),
    })
    .collect()
}

impl Default for Mechanisms {
    fn default() -> Self {
        Mechanisms {
            first_receiver: true,
            leader_ownership: true,
            ledger_criteria: five_nots(),
            risk_grades: crate::risk::default_grades(),
            subsidy_grades: crate::mediation::default_subsidy_grades(),
        }
    }
}

impl Mechanisms {
    /// Parse a deployment's file; criteria ids must be unique and non-empty.
    pub fn from_toml(text: &str) -> Result<Mechanisms, String> {
        let m: Mechanisms = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::BTreeSet::new();
        for c in &m.ledger_criteria {
            if c.id.trim().is_empty() || c.label.trim().is_empty() {
                return Err("a ledger criterion needs an id and a label".into());
            }
            if !seen.insert(c.id.as_str()) {
                return Err(format!("ledger criterion `{}` is defined twice", c.id));
            }
        }
        crate::risk::check_grades(&m.risk_grades)?;
        Ok(m)
    }

    pub fn grade(&self, id: &str) -> Option<&crate::risk::Grade> {
        self.risk_grades.iter().find(|g| g.id == id)
    }

    pub fn criterion(&self, id: &str) -> Option<&Criterion> {
        self.ledger_criteria.iter().find(|c| c.id == id)
    }

    /// The criteria not yet met, given the ids that are.
    pub fn unmet<'a>(&'a self, met: &[String]) -> Vec<&'a Criterion> {
        self.ledger_criteria
            .iter()
            .filter(|c| !met.contains(&c.id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_a_deployments_own_criteria() {
        let d = Mechanisms::default();
        assert_eq!(d.ledger_criteria.len(), 5);
        assert_eq!(Mechanisms::from_toml("").unwrap(), d);
        let m = Mechanisms::from_toml(
            "first_receiver = false\n[[ledger_criterion]]\nid = \"solved\"\nlabel = \"问题解决\"\n",
        )
        .unwrap();
        assert!(!m.first_receiver);
        assert_eq!(m.ledger_criteria.len(), 1);
        assert_eq!(m.unmet(&[]).len(), 1);
        assert!(m.unmet(&["solved".into()]).is_empty());
        let twice = "[[ledger_criterion]]\nid = \"a\"\nlabel = \"A\"\n[[ledger_criterion]]\nid = \"a\"\nlabel = \"B\"\n";
        assert!(Mechanisms::from_toml(twice).unwrap_err().contains("twice"));
        assert!(Mechanisms::from_toml("nonsense = 1").is_err());
    }
}
