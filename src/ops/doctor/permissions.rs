//! The IAM actions a plan's steps call: what `doctor` asks the policy simulator about. Pure.
//! Each kind's actions are in its spec row (`plan::kind::Permissions`, with their sources).

use std::collections::BTreeSet;

use crate::plan::{Action, Plan};

/// What every live plan reads, whatever it changes.
const READS: &[&str] = &["sts:GetCallerIdentity", "tag:GetResources"];

/// Every IAM action `plan`'s execution calls, reads included, sorted.
pub(crate) fn needed(plan: &Plan) -> Vec<String> {
    let mut out: BTreeSet<&'static str> = READS.iter().copied().collect();
    for change in &plan.changes {
        let per = change.kind.spec().permissions;
        out.extend(per.reads);
        match change.action {
            Action::NoOp => {}
            Action::Create => out.extend(per.creates),
            Action::Update => out.extend(per.updates),
            Action::Replace => out.extend(per.deletes.iter().chain(per.creates)),
            Action::Delete => out.extend(per.deletes),
        }
    }
    out.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{ObservedState, diff};

    #[test]
    fn a_first_apply_needs_creates_and_reads_and_no_deletes() {
        let loaded = crate::load::shipped("shinyproxy-eks.yaml");
        let plan = diff(
            &loaded.resources,
            &ObservedState::empty("analytics", "cn-northwest-1"),
        );
        let actions = needed(&plan);
        for wanted in [
            "ec2:CreateVpc",
            "eks:CreateCluster",
            "iam:PassRole",
            "elasticloadbalancing:CreateLoadBalancer",
            "tag:GetResources",
        ] {
            assert!(
                actions.iter().any(|a| a == wanted),
                "{wanted} in {actions:?}"
            );
        }
        assert!(!actions.iter().any(|a| a == "ec2:DeleteVpc"));
    }
}
