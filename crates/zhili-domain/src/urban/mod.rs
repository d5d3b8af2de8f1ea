//! Digital urban management (数字城管): the component and event taxonomy and its rules
//! (RULES.md §3).

pub mod duplicates;
pub mod taxonomy;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::builtin;
    use crate::org::Role;
    use crate::workflow::{Field, TransitionInput};

    fn input(fields: &[Field], evidence: bool) -> TransitionInput {
        TransitionInput {
            present: fields.iter().copied().collect::<BTreeSet<_>>(),
            has_evidence: evidence,
            extension: fields.contains(&Field::Extension).then_some(2),
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
        use Field::{Department, Extension, Note, Reason};
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
        ];
        let ends = ["closed", "self_handled", "rejected", "cancelled"];
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
}
