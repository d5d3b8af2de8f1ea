//! Workflow definitions (流程定义) as data, and the rules of taking a transition.
//!
//! A definition is a TOML file: states, transitions (who may take them, what they need) and
//! clocks. It is validated when loaded; every error names the file and, where it can, the line.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::clock::{Span, TimeUnit};
use crate::org::Role;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct WorkflowError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// A clock in a definition: an amount, a unit, and when the warning starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockDef {
    pub amount: u32,
    pub unit: TimeUnit,
    /// Share of the time left when the warning (临期) starts; default 0.2.
    #[serde(default = "default_warn_ratio")]
    pub warn_ratio: f64,
}

fn default_warn_ratio() -> f64 {
    0.2
}

impl ClockDef {
    pub fn span(&self) -> Span {
        Span::new(self.amount, self.unit)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDef {
    pub id: String,
    pub name: String,
    pub name_en: String,
    /// The stage clock (环节时限) that starts when the case enters this state.
    #[serde(default)]
    pub clock: Option<ClockDef>,
    /// The stage (环节) whose limit a case may set for itself instead of `clock`: for 数字城管
    /// the subclass's `verify`, `register`, `dispatch`, `handle` or `check` limit.
    #[serde(default)]
    pub stage: Option<String>,
    /// Clocks stand still in this state (挂账, awaiting material).
    #[serde(default)]
    pub paused: bool,
    #[serde(default)]
    pub terminal: bool,
    /// Reaching this state counts as closing the case (结案) for the indicators.
    #[serde(default)]
    pub closes: bool,
    /// Reaching this state counts as handled (处置完成, 处置反馈) for the indicators.
    #[serde(default)]
    pub handled: bool,
    /// The case is not yet registered (立案) in this state: intake, on-site verification (核实).
    #[serde(default)]
    pub before_registration: bool,
    /// The stage clock is a window (期间) for someone to act in — a petitioner's 30 days to ask
    /// for review (复查), a unit's 5 working days to object to a misrouted item — not a duty
    /// deadline: its end is never "overdue"; transitions say whether they need it open or closed.
    #[serde(default)]
    pub window: bool,
}

impl StateDef {
    /// Entering this state registers (立案) the case, if it was not already: any state after
    /// intake except an end. A report rejected (不予立案), fixed on the spot (自行处置) or
    /// cancelled before registration is never registered.
    pub fn registers(&self) -> bool {
        !self.before_registration && !self.terminal
    }
}

/// Fields a transition can require. The list is closed so that a typo in a definition is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The department the case is sent to.
    Department,
    /// The handler (a user) the case is assigned to.
    Handler,
    /// A written note or result.
    Note,
    /// A reason (for returning, rejecting, parking, cancelling).
    Reason,
    /// An amount of extension, in the unit of the workflow's extension rule.
    Extension,
    /// The case (by number) a duplicate report is merged into.
    MergeInto,
    /// A written decision (信访处理意见书, 复查/复核意见书): request, facts, decision, legal basis.
    Letter,
    /// A mediation agreement (调解协议书): facts, content, manner and deadline of performance.
    Agreement,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Department => "department_id",
            Field::Handler => "handler_id",
            Field::Note => "note",
            Field::Reason => "reason",
            Field::Extension => "extension",
            Field::MergeInto => "merge_into",
            Field::Letter => "letter",
            Field::Agreement => "agreement",
        }
    }
}

/// What a photo shows (现场照片): before or after handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Before,
    After,
}

impl EvidenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Before => "before",
            EvidenceKind::After => "after",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            EvidenceKind::Before => "处置前",
            EvidenceKind::After => "处置后",
        }
    }
}

/// When a transition may be taken, with regard to the window (期间) of a `window` state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowRule {
    /// Only while the window is open (申请复查 within 30 日, 异议 within 5 工作日).
    Open,
    /// Only once the window has passed (归档 after nobody asked for review).
    Closed,
}

/// What a transition does besides changing the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    #[default]
    None,
    /// Extend the running clocks by the approved amount (延期), within the cap.
    Extend,
    /// Counted as a rework (返工) in indicators.
    Rework,
    /// Counted as a return (退单) in indicators; the owner department is cleared.
    Return,
    /// Urging (催办) or formal supervision (督办): no state change, an escalation event.
    Urge,
    /// A record without a state change: a follow-up visit (跟踪回访), a control measure taken.
    Record,
    /// A duplicate report merged into the case handling the same matter (合并): it ends here,
    /// linked as its duplicate, counted once in the indicators, its reporter following that case.
    Merge,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionDef {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub from: Vec<String>,
    /// Target state; absent means the state does not change (an action such as 催办).
    #[serde(default)]
    pub to: Option<String>,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub requires: Vec<Field>,
    /// An attachment (photo, document) must come with the transition.
    #[serde(default)]
    pub evidence: bool,
    /// What the transition's photos show: the situation before handling (处置前) or the result
    /// (处置后). Attachments given at intake show the situation before.
    #[serde(default)]
    pub evidence_kind: Option<EvidenceKind>,
    #[serde(default)]
    pub effect: Effect,
    /// The stage clock keeps running instead of restarting in the target state.
    #[serde(default)]
    pub keep_stage_clock: bool,
    /// The transition needs the current state's window open, or passed.
    #[serde(default)]
    pub window: Option<WindowRule>,
    /// The document (文书) the transition issues, by kind (e.g. `decision_letter`); it is
    /// rendered from the transition's record in the timeline.
    #[serde(default)]
    pub document: Option<String>,
    /// Whoever takes it (as a handler or mediator) becomes the case's handler (签收, 受理).
    #[serde(default)]
    pub takes: bool,
    /// What the parties must be told when it is taken (告知), e.g. the routes left after a
    /// failed mediation (人民调解法 第26条); recorded with the transition and shown to them.
    #[serde(default)]
    pub notice: Option<String>,
}

/// The cap on extensions (延期): how many, and how much in total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRule {
    pub max_times: u32,
    pub max_total: u32,
    pub unit: TimeUnit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub id: String,
    pub name: String,
    pub name_en: String,
    /// The case kinds that follow this workflow.
    pub kinds: Vec<String>,
    pub initial: String,
    /// The overall clock (办理时限), from registration to closing.
    #[serde(default)]
    pub clock: Option<ClockDef>,
    #[serde(default)]
    pub extension: Option<ExtensionRule>,
    /// Roles that may see the personal data of this workflow's parties in clear (each reveal
    /// logged). Absent: every role that may see personal data at all.
    #[serde(default)]
    pub reveal: Option<Vec<Role>>,
    pub states: Vec<StateDef>,
    pub transitions: Vec<TransitionDef>,
}

/// Why a transition cannot be taken. Each maps to a 4xx for the caller.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TransitionError {
    #[error("unknown action `{0}`")]
    UnknownAction(String),
    #[error("action `{action}` is not allowed in state `{state}`")]
    NotFromState { action: String, state: String },
    #[error("action `{action}` needs one of the roles {roles}")]
    Forbidden { action: String, roles: String },
    #[error("action `{action}` requires the field `{field}`")]
    MissingField { action: String, field: &'static str },
    #[error("action `{0}` requires an attachment as evidence")]
    MissingEvidence(String),
    #[error("extension refused: {0}")]
    ExtensionCap(String),
    #[error("action `{action}` is only possible within the {window} (ended {ended})")]
    WindowClosed {
        action: String,
        window: String,
        ended: String,
    },
    #[error("action `{action}` is only possible after the {window} has ended ({ends})")]
    WindowOpen {
        action: String,
        window: String,
        ends: String,
    },
}

impl TransitionError {
    /// The request field the error is about, for API errors.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            TransitionError::UnknownAction(_) | TransitionError::NotFromState { .. } => {
                Some("action")
            }
            TransitionError::MissingField { field, .. } => Some(field),
            TransitionError::MissingEvidence(_) => Some("attachment_ids"),
            TransitionError::ExtensionCap(_) => Some("extension"),
            TransitionError::WindowClosed { .. } | TransitionError::WindowOpen { .. } => {
                Some("action")
            }
            TransitionError::Forbidden { .. } => None,
        }
    }
}

/// What a caller brings to a transition.
#[derive(Debug, Clone, Default)]
pub struct TransitionInput {
    pub present: BTreeSet<Field>,
    pub has_evidence: bool,
    pub extension: Option<u32>,
    /// Whether the current state's window is still open, and when it ends (local time, for
    /// messages); `None` when the state has no window.
    pub window: Option<(bool, String)>,
}

fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

impl Workflow {
    /// Parse and validate a definition.
    pub fn parse(file: &str, text: &str) -> Result<Workflow, WorkflowError> {
        let wf: Workflow = toml::from_str(text).map_err(|e| WorkflowError {
            file: file.to_string(),
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1)),
            message: e.message().to_string(),
        })?;
        wf.validate().map_err(|(needle, message)| WorkflowError {
            file: file.to_string(),
            line: needle.and_then(|n| line_of(text, &n)),
            message,
        })?;
        Ok(wf)
    }

    fn validate(&self) -> Result<(), (Option<String>, String)> {
        let quoted = |id: &str| Some(format!("\"{id}\""));
        let mut ids = BTreeSet::new();
        for s in &self.states {
            if !ids.insert(s.id.as_str()) {
                return Err((quoted(&s.id), format!("state `{}` is defined twice", s.id)));
            }
            if let Some(c) = &s.clock
                && c.amount == 0
            {
                return Err((
                    quoted(&s.id),
                    format!("state `{}` has a clock of 0 {}", s.id, c.unit.as_str()),
                ));
            }
            if s.terminal && s.paused {
                return Err((
                    quoted(&s.id),
                    format!("state `{}` cannot be both terminal and paused", s.id),
                ));
            }
        }
        if let Some(c) = &self.clock
            && c.amount == 0
        {
            return Err((None, "the workflow clock has an amount of 0".into()));
        }
        if self.kinds.is_empty() {
            return Err((None, "the workflow names no case kinds".into()));
        }
        if !ids.contains(self.initial.as_str()) {
            return Err((
                quoted(&self.initial),
                format!("initial state `{}` is not defined", self.initial),
            ));
        }
        let mut tids = BTreeSet::new();
        let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for t in &self.transitions {
            if !tids.insert(t.id.as_str()) {
                return Err((
                    quoted(&t.id),
                    format!("transition `{}` is defined twice", t.id),
                ));
            }
            if t.roles.is_empty() {
                return Err((
                    quoted(&t.id),
                    format!("transition `{}` names no roles", t.id),
                ));
            }
            if t.from.is_empty() {
                return Err((
                    quoted(&t.id),
                    format!("transition `{}` has no `from`", t.id),
                ));
            }
            for f in &t.from {
                if !ids.contains(f.as_str()) {
                    return Err((
                        quoted(&t.id),
                        format!("transition `{}` starts from unknown state `{f}`", t.id),
                    ));
                }
                if self.state(f).is_some_and(|s| s.terminal) {
                    return Err((
                        quoted(&t.id),
                        format!("transition `{}` leaves terminal state `{f}`", t.id),
                    ));
                }
            }
            match &t.to {
                Some(to) if !ids.contains(to.as_str()) => {
                    return Err((
                        quoted(&t.id),
                        format!("transition `{}` goes to unknown state `{to}`", t.id),
                    ));
                }
                Some(to) => {
                    for f in &t.from {
                        edges.entry(f.as_str()).or_default().push(to.as_str());
                    }
                }
                None if !matches!(t.effect, Effect::Urge | Effect::Record) => {
                    return Err((
                        quoted(&t.id),
                        format!(
                            "transition `{}` has no `to` (only effect = \"urge\" or \"record\" may stay)",
                            t.id
                        ),
                    ));
                }
                None => {}
            }
            if t.window.is_some() {
                for f in &t.from {
                    if !self.state(f).is_some_and(|s| s.window && s.clock.is_some()) {
                        return Err((
                            quoted(&t.id),
                            format!(
                                "transition `{}` has a window rule but `{f}` is not a state with a window clock",
                                t.id
                            ),
                        ));
                    }
                }
            }
            if t.effect == Effect::Extend {
                if self.extension.is_none() {
                    return Err((
                        quoted(&t.id),
                        format!(
                            "transition `{}` extends but the workflow has no [extension] rule",
                            t.id
                        ),
                    ));
                }
                if !t.requires.contains(&Field::Extension) {
                    return Err((
                        quoted(&t.id),
                        format!(
                            "transition `{}` extends but does not require `extension`",
                            t.id
                        ),
                    ));
                }
            }
        }
        // Every state is reachable from the initial one.
        let mut seen = BTreeSet::from([self.initial.as_str()]);
        let mut queue = VecDeque::from([self.initial.as_str()]);
        while let Some(s) = queue.pop_front() {
            for n in edges.get(s).into_iter().flatten() {
                if seen.insert(n) {
                    queue.push_back(n);
                }
            }
        }
        for s in &self.states {
            if !seen.contains(s.id.as_str()) {
                return Err((
                    quoted(&s.id),
                    format!("state `{}` cannot be reached from `{}`", s.id, self.initial),
                ));
            }
            if !s.terminal && !edges.contains_key(s.id.as_str()) {
                return Err((
                    quoted(&s.id),
                    format!(
                        "state `{}` is not terminal but no transition leaves it",
                        s.id
                    ),
                ));
            }
        }
        if !self.states.iter().any(|s| s.terminal) {
            return Err((None, "the workflow has no terminal state".into()));
        }
        Ok(())
    }

    pub fn state(&self, id: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.id == id)
    }

    pub fn transition(&self, id: &str) -> Option<&TransitionDef> {
        self.transitions.iter().find(|t| t.id == id)
    }

    pub fn state_name(&self, id: &str) -> String {
        self.state(id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// Transitions that leave `state` and that one of `roles` may take.
    pub fn available(&self, state: &str, roles: &[Role]) -> Vec<&TransitionDef> {
        self.transitions
            .iter()
            .filter(|t| {
                t.from.iter().any(|f| f == state) && t.roles.iter().any(|r| roles.contains(r))
            })
            .collect()
    }

    /// Check that `action` may be taken from `state` by someone with `roles` and with `input`.
    pub fn check(
        &self,
        state: &str,
        action: &str,
        roles: &[Role],
        input: &TransitionInput,
        extensions_so_far: (u32, u32),
    ) -> Result<&TransitionDef, TransitionError> {
        let t = self
            .transition(action)
            .ok_or_else(|| TransitionError::UnknownAction(action.to_string()))?;
        if !t.from.iter().any(|f| f == state) {
            return Err(TransitionError::NotFromState {
                action: action.to_string(),
                state: state.to_string(),
            });
        }
        if !t.roles.iter().any(|r| roles.contains(r)) {
            let names: Vec<_> = t.roles.iter().map(|r| r.as_str()).collect();
            return Err(TransitionError::Forbidden {
                action: action.to_string(),
                roles: names.join(", "),
            });
        }
        for f in &t.requires {
            if !input.present.contains(f) {
                return Err(TransitionError::MissingField {
                    action: action.to_string(),
                    field: f.as_str(),
                });
            }
        }
        if t.evidence && !input.has_evidence {
            return Err(TransitionError::MissingEvidence(action.to_string()));
        }
        if let (Some(rule), Some((open, end))) = (t.window, &input.window) {
            let window = self
                .state(state)
                .map(|s| format!("{} period", s.name_en))
                .unwrap_or_default();
            match (rule, open) {
                (WindowRule::Open, false) => {
                    return Err(TransitionError::WindowClosed {
                        action: action.to_string(),
                        window,
                        ended: end.clone(),
                    });
                }
                (WindowRule::Closed, true) => {
                    return Err(TransitionError::WindowOpen {
                        action: action.to_string(),
                        window,
                        ends: end.clone(),
                    });
                }
                _ => {}
            }
        }
        if t.effect == Effect::Extend {
            let rule = self.extension.expect("validated at load");
            let amount = input.extension.unwrap_or(0);
            let (times, total) = extensions_so_far;
            if amount == 0 {
                return Err(TransitionError::ExtensionCap(
                    "the extension must be at least 1".into(),
                ));
            }
            if times >= rule.max_times {
                return Err(TransitionError::ExtensionCap(format!(
                    "already extended {times} time(s), the most allowed is {}",
                    rule.max_times
                )));
            }
            if total + amount > rule.max_total {
                return Err(TransitionError::ExtensionCap(format!(
                    "{} {} in all would pass the cap of {} {}",
                    total + amount,
                    rule.unit.label_zh(),
                    rule.max_total,
                    rule.unit.label_zh()
                )));
            }
        }
        Ok(t)
    }
}

/// A set of workflows, found by case kind.
#[derive(Debug, Clone, Default)]
pub struct Workflows {
    by_id: BTreeMap<String, Workflow>,
    by_kind: BTreeMap<String, String>,
}

impl Workflows {
    /// Load definitions; a later file with the same id replaces an earlier one (deployment
    /// overrides).
    pub fn load<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Workflows, WorkflowError> {
        let mut w = Workflows::default();
        for (file, text) in files {
            let wf = Workflow::parse(file, text)?;
            for k in &wf.kinds {
                if let Some(other) = w.by_kind.get(k)
                    && *other != wf.id
                {
                    return Err(WorkflowError {
                        file: file.to_string(),
                        line: line_of(text, "kinds"),
                        message: format!("case kind `{k}` already belongs to workflow `{other}`"),
                    });
                }
                w.by_kind.insert(k.clone(), wf.id.clone());
            }
            w.by_id.insert(wf.id.clone(), wf);
        }
        Ok(w)
    }

    pub fn for_kind(&self, kind: &str) -> Option<&Workflow> {
        self.by_kind.get(kind).and_then(|id| self.by_id.get(id))
    }

    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.by_kind.keys().map(String::as_str)
    }

    pub fn all(&self) -> impl Iterator<Item = &Workflow> {
        self.by_id.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general() -> Workflow {
        crate::builtin::workflows()
            .for_kind("general")
            .unwrap()
            .clone()
    }

    #[test]
    fn builtin_general_workflow_is_valid() {
        let wf = general();
        assert_eq!(wf.initial, "registered");
        assert!(wf.state("closed").unwrap().terminal);
        let roles = [Role::Dispatcher];
        let acts: Vec<_> = wf
            .available("registered", &roles)
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        assert!(acts.contains(&"dispatch"), "{acts:?}");
    }

    #[test]
    fn check_rules() {
        let wf = general();
        let mut input = TransitionInput::default();
        let e = wf
            .check("registered", "dispatch", &[Role::Handler], &input, (0, 0))
            .unwrap_err();
        assert!(matches!(e, TransitionError::Forbidden { .. }));
        let e = wf
            .check(
                "registered",
                "dispatch",
                &[Role::Dispatcher],
                &input,
                (0, 0),
            )
            .unwrap_err();
        assert_eq!(e.field(), Some("department_id"));
        input.present.insert(Field::Department);
        assert!(
            wf.check(
                "registered",
                "dispatch",
                &[Role::Dispatcher],
                &input,
                (0, 0)
            )
            .is_ok()
        );
        let e = wf
            .check("closed", "dispatch", &[Role::Dispatcher], &input, (0, 0))
            .unwrap_err();
        assert!(matches!(e, TransitionError::NotFromState { .. }));
        assert!(matches!(
            wf.check("registered", "fly", &[Role::Admin], &input, (0, 0)),
            Err(TransitionError::UnknownAction(_))
        ));
    }

    #[test]
    fn extension_cap() {
        let wf = general();
        let rule = wf.extension.unwrap();
        let mut input = TransitionInput::default();
        input.present.insert(Field::Extension);
        input.extension = Some(rule.max_total + 1);
        let e = wf
            .check(
                "extension_requested",
                "approve_extension",
                &[Role::Dispatcher],
                &input,
                (0, 0),
            )
            .unwrap_err();
        assert!(matches!(e, TransitionError::ExtensionCap(_)), "{e}");
        input.extension = Some(1);
        assert!(
            wf.check(
                "extension_requested",
                "approve_extension",
                &[Role::Dispatcher],
                &input,
                (rule.max_times, 1)
            )
            .is_err()
        );
        assert!(
            wf.check(
                "extension_requested",
                "approve_extension",
                &[Role::Dispatcher],
                &input,
                (0, 0)
            )
            .is_ok()
        );
    }

    const MINI: &str = r#"
id = "mini"
name = "小"
name_en = "mini"
kinds = ["mini"]
initial = "a"

[[states]]
id = "a"
name = "A"
name_en = "A"

[[states]]
id = "b"
name = "B"
name_en = "B"
terminal = true

[[transitions]]
id = "go"
name = "走"
name_en = "go"
from = ["a"]
to = "b"
roles = ["dispatcher"]
"#;

    #[test]
    fn validation_errors_name_file_and_line() {
        assert!(Workflow::parse("mini.toml", MINI).is_ok());
        let e =
            Workflow::parse("mini.toml", &MINI.replace("to = \"b\"", "to = \"c\"")).unwrap_err();
        assert_eq!(e.file, "mini.toml");
        assert!(e.message.contains("unknown state `c`"), "{e}");
        assert!(e.line.is_some());
        let unreachable = format!(
            "{MINI}\n[[states]]\nid = \"z\"\nname = \"Z\"\nname_en = \"Z\"\nterminal = true\n"
        );
        let e = Workflow::parse("mini.toml", &unreachable).unwrap_err();
        assert!(e.message.contains("cannot be reached"), "{e}");
        let line = unreachable.lines().nth(e.line.unwrap() - 1).unwrap();
        assert_eq!(line, "id = \"z\"");
        let e = Workflow::parse(
            "mini.toml",
            &MINI.replace("name = \"B\"", "name = \"B\"\nclock = { amount = 3 }"),
        )
        .unwrap_err();
        assert!(e.message.contains("unit"), "{e}");
        assert!(e.to_string().starts_with("mini.toml:"), "{e}");
        let e = Workflow::parse(
            "mini.toml",
            &MINI.replace(
                "name = \"B\"",
                "name = \"B\"\nclock = { amount = 3, unit = \"fortnight\" }",
            ),
        )
        .unwrap_err();
        assert!(e.message.contains("fortnight"), "{e}");
        let dead = MINI.replace("terminal = true", "");
        let e = Workflow::parse("mini.toml", &dead).unwrap_err();
        assert!(e.message.contains("no transition leaves"), "{e}");
    }
}
