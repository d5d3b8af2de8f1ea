//! The org tree (组织树) and roles (角色).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Level of a node in the org tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// 市/县
    City,
    /// 镇/街道
    Town,
    /// 村/社区
    Village,
    /// 网格
    Grid,
}

impl NodeKind {
    pub const ALL: [NodeKind; 4] = [
        NodeKind::City,
        NodeKind::Town,
        NodeKind::Village,
        NodeKind::Grid,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::City => "city",
            NodeKind::Town => "town",
            NodeKind::Village => "village",
            NodeKind::Grid => "grid",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            NodeKind::City => "市/县",
            NodeKind::Town => "镇/街道",
            NodeKind::Village => "村/社区",
            NodeKind::Grid => "网格",
        }
    }
    /// The kind a child of this node must have.
    pub fn child(self) -> Option<NodeKind> {
        match self {
            NodeKind::City => Some(NodeKind::Town),
            NodeKind::Town => Some(NodeKind::Village),
            NodeKind::Village => Some(NodeKind::Grid),
            NodeKind::Grid => None,
        }
    }
}

impl FromStr for NodeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        NodeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown node kind `{s}` (city, town, village, grid)"))
    }
}

/// Materialized path of a node: `/1/5/23/`. A node's subtree is every path with this prefix.
pub fn child_path(parent_path: &str, id: i64) -> String {
    format!("{parent_path}{id}/")
}

pub fn path_contains(scope_path: &str, node_path: &str) -> bool {
    node_path.starts_with(scope_path)
}

/// Roles a user can hold, each on an org subtree or a department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员
    Admin,
    /// 受理员/派遣员/值班长
    Dispatcher,
    /// 承办人
    Handler,
    /// 部门负责人
    DeptHead,
    /// 网格员/监督员
    GridWorker,
    /// 镇领导
    Leader,
    /// 信访工作人员: registers, routes and follows petitions (信访).
    PetitionOfficer,
    /// 法律顾问
    LegalAdvisor,
    /// 调解员
    Mediator,
    /// 执法检查人员
    Inspector,
    /// 审计/上级监督（只读）
    Auditor,
    /// 上报终端: an Open311 client or kiosk that reports cases in its area and does nothing else.
    Reporter,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::Admin,
        Role::Dispatcher,
        Role::Handler,
        Role::DeptHead,
        Role::GridWorker,
        Role::Leader,
        Role::PetitionOfficer,
        Role::LegalAdvisor,
        Role::Mediator,
        Role::Inspector,
        Role::Auditor,
        Role::Reporter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dispatcher => "dispatcher",
            Role::Handler => "handler",
            Role::DeptHead => "dept_head",
            Role::GridWorker => "grid_worker",
            Role::Leader => "leader",
            Role::PetitionOfficer => "petition_officer",
            Role::LegalAdvisor => "legal_advisor",
            Role::Mediator => "mediator",
            Role::Inspector => "inspector",
            Role::Auditor => "auditor",
            Role::Reporter => "reporter",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Dispatcher => "受理派遣员",
            Role::Handler => "承办人",
            Role::DeptHead => "部门负责人",
            Role::GridWorker => "网格员",
            Role::Leader => "镇领导",
            Role::PetitionOfficer => "信访工作人员",
            Role::LegalAdvisor => "法律顾问",
            Role::Mediator => "调解员",
            Role::Inspector => "执法检查员",
            Role::Auditor => "审计监督员",
            Role::Reporter => "上报终端",
        }
    }

    /// Roles whose grants are on a department rather than an org subtree.
    pub fn is_departmental(self) -> bool {
        matches!(self, Role::Handler | Role::DeptHead)
    }

    /// May register (立案) new cases in its scope.
    pub fn may_register(self) -> bool {
        matches!(
            self,
            Role::Admin
                | Role::Dispatcher
                | Role::GridWorker
                | Role::Leader
                | Role::PetitionOfficer
                | Role::Mediator
                | Role::Reporter
        )
    }

    /// May reveal (查看明文) the personal data of parties, each reveal logged. Everyone else sees
    /// masked values only.
    pub fn may_reveal_personal_data(self) -> bool {
        matches!(
            self,
            Role::Admin
                | Role::Dispatcher
                | Role::Handler
                | Role::DeptHead
                | Role::Leader
                | Role::PetitionOfficer
                | Role::LegalAdvisor
                | Role::Mediator
        )
    }

    /// May manage users, org nodes and tokens.
    pub fn may_administer(self) -> bool {
        matches!(self, Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role `{s}` ({})", all.join(", "))
            })
    }
}

/// A role granted on a subtree (by its path) or on a department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    /// Path of the org node the grant covers (with its subtree).
    pub node_path: Option<String>,
    pub department_id: Option<i64>,
}

/// What a grant must match: where the case is and which department owns it.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub node_path: &'a str,
    pub department_id: Option<i64>,
}

impl Grant {
    pub fn covers(&self, scope: Scope<'_>) -> bool {
        if let Some(p) = &self.node_path
            && path_contains(p, scope.node_path)
        {
            return true;
        }
        matches!((self.department_id, scope.department_id), (Some(a), Some(b)) if a == b)
    }
}

/// The roles a set of grants gives in a scope.
pub fn roles_in(grants: &[Grant], scope: Scope<'_>) -> Vec<Role> {
    let mut r: Vec<Role> = grants
        .iter()
        .filter(|g| g.covers(scope))
        .map(|g| g.role)
        .collect();
    r.sort();
    r.dedup();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_cover_subtrees_and_departments() {
        let town = Grant {
            role: Role::Dispatcher,
            node_path: Some("/1/2/".into()),
            department_id: None,
        };
        let dept = Grant {
            role: Role::Handler,
            node_path: None,
            department_id: Some(7),
        };
        let inside = Scope {
            node_path: "/1/2/9/",
            department_id: Some(7),
        };
        let outside = Scope {
            node_path: "/1/3/",
            department_id: Some(8),
        };
        assert!(town.covers(inside));
        assert!(!town.covers(outside));
        assert!(dept.covers(inside));
        assert!(!dept.covers(outside));
        assert_eq!(
            roles_in(&[town.clone(), dept], inside),
            vec![Role::Dispatcher, Role::Handler]
        );
        // "/1/2/" must not cover "/1/23/".
        assert!(!town.covers(Scope {
            node_path: "/1/23/",
            department_id: None
        }));
    }

    #[test]
    fn role_parse_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("boss".parse::<Role>().unwrap_err().contains("dispatcher"));
    }
}
