//! Risk screening (矛盾风险隐患排查化解, RULES.md §2): a register of risks and of unstable events,
//! graded on a scheme the deployment chooses (红/黄/绿 or 高/中/低 …, ⚠ local), each with a
//! responsible unit and leader, control measures, follow-up and resolution; rising risks are
//! escalated. The workflow is data (`data/workflows/risk.toml`).

use serde::{Deserialize, Serialize};

/// Case kind of a screened risk (风险隐患).
pub const KIND: &str = "risk";
/// Case kind of an unstable event that happened (不稳定事件).
pub const EVENT_KIND: &str = "unstable_event";

/// What a risk is about (排查类别), stored as the case's category.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("dispute", "矛盾纠纷"),
    ("safety", "安全隐患"),
    ("public_order", "治安隐患"),
    ("stability", "不稳定因素"),
    ("group_incident", "群体性事件"),
    ("extreme", "个人极端事件"),
];

pub fn category_label(id: &str) -> Option<&'static str> {
    CATEGORIES.iter().find(|c| c.0 == id).map(|c| c.1)
}

/// One grade of the deployment's scheme; a higher `rank` is more serious.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub id: String,
    pub label: String,
    /// A CSS colour for badges.
    pub color: String,
    pub rank: u32,
}

/// 红/黄/绿 (重大/较大/一般), the most common local scheme.
pub fn default_grades() -> Vec<Grade> {
    [
        ("red", "红色（重大）", "#c62828", 3),
        ("yellow", "黄色（较大）", "#e6a100", 2),
        ("green", "绿色（一般）", "#2e7d32", 1),
    ]
    .into_iter()
    .map(|(id, label, color, rank)| Grade {
        id: id.into(),
        label: label.into(),
        color: color.into(),
        rank,
    })
    .collect()
}

/// Check a scheme: at least two grades, ids and ranks unique.
pub fn check_grades(grades: &[Grade]) -> Result<(), String> {
    if grades.len() < 2 {
        return Err("a risk grading scheme needs at least two grades".into());
    }
    for (i, g) in grades.iter().enumerate() {
        if g.id.trim().is_empty() || g.label.trim().is_empty() {
            return Err("a risk grade needs an id and a label".into());
        }
        if grades[..i].iter().any(|o| o.id == g.id || o.rank == g.rank) {
            return Err(format!("risk grade `{}` repeats an id or a rank", g.id));
        }
    }
    Ok(())
}

/// How a grade changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// 升级: the risk rose; it is escalated.
    Up,
    /// 降级
    Down,
    Same,
}

pub fn change(old: &Grade, new: &Grade) -> Change {
    match new.rank.cmp(&old.rank) {
        std::cmp::Ordering::Greater => Change::Up,
        std::cmp::Ordering::Less => Change::Down,
        std::cmp::Ordering::Equal => Change::Same,
    }
}

/// The most serious grade of a scheme: a leader must be responsible for risks of it.
pub fn top(grades: &[Grade]) -> Option<&Grade> {
    grades.iter().max_by_key(|g| g.rank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_rise_and_fall() {
        let g = default_grades();
        assert!(check_grades(&g).is_ok());
        let (red, yellow) = (&g[0], &g[1]);
        assert_eq!(change(yellow, red), Change::Up);
        assert_eq!(change(red, yellow), Change::Down);
        assert_eq!(change(red, red), Change::Same);
        assert_eq!(top(&g).unwrap().id, "red");
        let mut bad = g.clone();
        bad[1].rank = 3;
        assert!(check_grades(&bad).unwrap_err().contains("yellow"));
        assert!(check_grades(&g[..1]).is_err());
        assert_eq!(category_label("dispute"), Some("矛盾纠纷"));
    }

    #[test]
    fn the_risk_workflow_loads() {
        let wfs = crate::builtin::workflows();
        let wf = wfs.for_kind(KIND).unwrap();
        assert_eq!(wfs.for_kind(EVENT_KIND).unwrap().id, wf.id);
        assert!(wf.state("resolved").unwrap().closes);
        assert!(wf.transition("follow_up").unwrap().to.is_none());
    }
}
