//! Digital urban management (数字城管): the component and event taxonomy and its rules
//! (RULES.md §3).

pub mod duplicates;
pub mod taxonomy;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::taxonomy;
    use crate::builtin;
    use crate::org::Role;
    use crate::workflow::{Field, TransitionInput};

    fn input(fields: &[Field], evidence: bool) -> TransitionInput {
        TransitionInput {
            present: fields.iter().copied().collect::<BTreeSet<_>>(),
            has_evidence: evidence,
            extension: fields.contains(&Field::Extension).then_some(2),
            window: None,
        }
    }

    /// Every branch of the urban workflow, each step checked by the engine from the state the
    /// previous one reached, with the role that takes it.
    #[test]
    fn every_branch_of_the_urban_workflow() {
        let wfs = builtin::workflows();
        let wf = wfs.for_kind("urban").unwrap();
        assert_eq!(wf.initial, "reported");
        assert!(wf.state("reported").unwrap().before_registration);
        use Field::{Department, Extension, MergeInto, Note, Reason};
        use Role::*;
        let all = |f: &[Field]| input(f, true);
        let paths: &[&[(&str, Role, &[Field])]] = &[
            // Citizen report: verified, registered, dispatched, returned, re-dispatched, signed,
            // extension asked and granted, parked and resumed, handled, rework, handled, checked, closed.
            &[
                ("verify_report", GridWorker, &[Note]),
                ("register", Dispatcher, &[]),
                ("dispatch", Dispatcher, &[Department]),
                ("return", Handler, &[Reason]),
                ("dispatch", Dispatcher, &[Department]),
                ("sign", Handler, &[]),
                ("request_extension", Handler, &[Reason, Extension]),
                ("approve_extension", Leader, &[Extension]),
                ("park", Leader, &[Reason]),
                ("unpark", Leader, &[]),
                ("supervise", Leader, &[Note]),
                ("urge", Dispatcher, &[Note]),
                ("report", Handler, &[Note]),
                ("rework", GridWorker, &[Reason]),
                ("report", Handler, &[Note]),
                ("check", GridWorker, &[Note]),
                ("close", Dispatcher, &[]),
            ],
            // A grid worker's own finding fixed on the spot.
            &[("self_handle", GridWorker, &[Note])],
            // Not registered after verification.
            &[
                ("verify_report", GridWorker, &[Note]),
                ("reject", Dispatcher, &[Reason]),
            ],
            // Registered at once, then cancelled.
            &[
                ("register", Dispatcher, &[]),
                ("cancel", Dispatcher, &[Reason]),
            ],
            // A duplicate merged into the case that handles the matter.
            &[("merge", Dispatcher, &[Reason, MergeInto])],
        ];
        let ends = ["closed", "self_handled", "rejected", "cancelled", "merged"];
        for (path, end) in paths.iter().zip(ends) {
            let mut state = wf.initial.clone();
            let mut ext = (0, 0);
            for (action, role, fields) in path.iter() {
                let t = wf
                    .check(&state, action, &[*role], &all(fields), ext)
                    .unwrap_or_else(|e| panic!("{action} from {state}: {e:?}"));
                if *action == "approve_extension" {
                    ext = (ext.0 + 1, ext.1 + 2);
                }
                if let Some(to) = &t.to {
                    state = to.clone();
                }
            }
            assert_eq!(state, end);
            assert!(wf.state(&state).unwrap().terminal);
        }
        // Wrong role, missing evidence, missing reason.
        assert!(
            wf.check("reported", "register", &[GridWorker], &all(&[]), (0, 0))
                .is_err()
        );
        assert!(
            wf.check(
                "reported",
                "self_handle",
                &[GridWorker],
                &input(&[Note], false),
                (0, 0)
            )
            .is_err()
        );
        assert!(
            wf.check("handled", "rework", &[GridWorker], &all(&[]), (0, 0))
                .is_err()
        );
        assert!(wf.state("self_handled").unwrap().closes);
        assert!(!wf.state("rejected").unwrap().closes);
    }

    /// The stage keys of the urban workflow are the taxonomy's stages, and every stage but 结案
    /// has one.
    #[test]
    fn urban_states_name_taxonomy_stages() {
        let wfs = builtin::workflows();
        let wf = wfs.for_kind("urban").unwrap();
        let names: BTreeSet<&str> = taxonomy::Stage::ALL.iter().map(|s| s.as_str()).collect();
        let used: BTreeSet<&str> = wf
            .states
            .iter()
            .filter_map(|s| s.stage.as_deref())
            .collect();
        assert_eq!(used, names);
    }

    /// A 暴露垃圾 report runs on its subclass's limits (1 工作时 each to verify, register,
    /// dispatch and check; 4 工作时 to handle), the overall clock from 立案.
    #[test]
    fn an_urban_case_runs_on_its_subclass_limits() {
        use crate::case::CaseClocks;
        use crate::clock::{Deadlines, OfficeHours, from_local, to_local};
        let at = |s: &str| {
            from_local(chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
        };
        let local = |t| to_local(t).format("%Y-%m-%d %H:%M").to_string();
        let cal = builtin::calendar();
        let oh = OfficeHours::default();
        let dl = Deadlines::new(&cal, &oh);
        let wfs = builtin::workflows();
        let wf = wfs.for_kind("urban").unwrap();
        let limits = builtin::urban_taxonomy()
            .by_key("event:0102")
            .unwrap()
            .case_limits();
        let step = |c: &mut CaseClocks, id: &str, when: &str| {
            c.on_transition_with(wf, &limits, wf.transition(id).unwrap(), at(when), None, &dl)
        };
        // Tuesday 2021-06-01; office hours 08:30–12:00, 14:00–17:30.
        let mut c = CaseClocks::start_with(wf, &limits, at("2021-06-01 09:00"), &dl);
        assert_eq!(c.overall, None, "no overall clock before 立案");
        assert_eq!(local(c.stage.unwrap().due_at), "2021-06-01 10:00");
        step(&mut c, "verify_report", "2021-06-01 09:40");
        assert_eq!(local(c.stage.unwrap().due_at), "2021-06-01 10:40");
        assert_eq!(c.overall, None);
        step(&mut c, "register", "2021-06-01 10:00");
        // 派遣 1 (to 11:00) + 处置 4 (11:00–12:00, 14:00–17:00) + 核查 1 (17:00–17:30, 08:30–09:00).
        assert_eq!(local(c.overall_due().unwrap()), "2021-06-02 09:00");
        assert_eq!(c.overall.unwrap().span.to_string(), "6工作时");
        assert_eq!(local(c.stage.unwrap().due_at), "2021-06-01 11:00");
        step(&mut c, "dispatch", "2021-06-01 10:30");
        assert_eq!(local(c.stage.unwrap().due_at), "2021-06-01 16:30");
        step(&mut c, "sign", "2021-06-01 11:00");
        assert_eq!(
            local(c.stage.unwrap().due_at),
            "2021-06-01 16:30",
            "处置 counts from 派遣"
        );
        step(&mut c, "report", "2021-06-01 16:00");
        assert_eq!(local(c.stage.unwrap().due_at), "2021-06-01 17:00");
        step(&mut c, "check", "2021-06-01 16:45");
        // 结案 has no subclass stage: the workflow's 1 工作时.
        assert_eq!(local(c.stage.unwrap().due_at), "2021-06-02 08:45");
        step(&mut c, "close", "2021-06-01 17:00");
        assert_eq!(c.on_time(), Some(true));

        // Without a subclass the workflow's defaults apply: 5 工作日 from 立案.
        let mut d = CaseClocks::start(wf, at("2021-06-01 09:00"), &dl);
        d.on_transition(
            wf,
            wf.transition("register").unwrap(),
            at("2021-06-01 10:00"),
            None,
            &dl,
        );
        assert_eq!(local(d.overall_due().unwrap()), "2021-06-09 00:00");
    }
}
