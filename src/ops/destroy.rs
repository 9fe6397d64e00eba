//! `shinyctl destroy`: delete everything this blueprint owns, and prove nothing is left.
//!
//! 1. Read what carries the blueprint's tags and plan its deletion: the diff against an empty
//!    blueprint, scheduled with the catalog's dependencies so dependents go first and independent
//!    branches go at once. Show it; ask unless `--auto-approve`. Data-holding resources (databases,
//!    caches, file systems, buckets) need `--allow-data-loss`; RDS takes a final snapshot unless
//!    `--skip-final-snapshot`.
//! 2. Under the lock: read again (the plan must be the one shown). Remove what Kubernetes
//!    controllers made for the cluster (load balancers, target groups, security groups, detached
//!    network interfaces: they block the VPC) and what canaries left, then run the deletes; sweep
//!    again afterwards (a deleted canary leaves its Lambda only then), and if the sweep freed
//!    something a delete was blocked on, run what is left once more.
//!    The workload goes first of all: the objects shinyctl applied to the cluster are deleted and
//!    their Service and TargetGroupBinding waited for, so the LB controller lets go of what it
//!    made; an unreachable or missing cluster is said and passed over.
//! 3. Read again: anything of the blueprint still there is listed, and the destroy fails.

use crate::apply::{Schedule, Summary};
use crate::aws::cleanup::{self, CanaryLambdas, Scope, Swept};
use crate::aws::operator::DataPolicy;
use crate::aws::{Connection, Target};
use crate::load::Loaded;
use crate::plan::{ObservedResource, Plan, ResourceKind, diff};
use crate::render::plan_json;

use super::apply::warn_duplicates;
use super::live::{Zoning, connect_unzoned};
use super::run::{release, run_schedule, take_lock, take_lock_beside};
use super::saved;
use super::workload::{
    ClusterState, aws_part, plan_resources, read_cluster, remove, workload_changes,
};
use super::{Approval, Console, Error, Execution, Interrupt, Result, console};

#[derive(Debug, Clone, PartialEq)]
pub struct DestroyOptions {
    /// [`Approval::Ask`] or [`Approval::Auto`] (a saved plan is for apply).
    pub approval: Approval,
    pub allow_data_loss: bool,
    /// `--skip-final-snapshot`: RDS instances and clusters go without a final snapshot.
    pub skip_final_snapshot: bool,
    pub break_lock: bool,
    pub execution: Execution,
}

/// How a destroy ended (errors aside). Made once per command, so the summary is not boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum DestroyOutcome {
    Declined,
    /// Ctrl-C before anything started; nothing was changed.
    Interrupted,
    /// The deletes ran (`None`: there was nothing to delete), then AWS was read again.
    Ran {
        summary: Option<Summary>,
        /// What still carries the blueprint's tags afterwards: (address or AWS id, kind).
        remaining: Vec<Remaining>,
    },
}

/// Something of the blueprint that is still in AWS after the destroy.
#[derive(Debug, Clone, PartialEq)]
pub struct Remaining {
    pub address: String,
    pub kind: String,
    pub id: String,
}

impl DestroyOutcome {
    pub fn is_success(&self) -> bool {
        match self {
            DestroyOutcome::Declined | DestroyOutcome::Interrupted => false,
            DestroyOutcome::Ran { summary, remaining } => {
                remaining.is_empty() && summary.as_ref().is_none_or(Summary::is_complete)
            }
        }
    }
}

/// The deletion of everything `observed` lists.
pub(crate) fn destroy_plan(observed: &crate::plan::ObservedState) -> Plan {
    diff(&[], observed)
}

/// Destroys `loaded` (see the module documentation for the steps).
pub async fn destroy(
    loaded: &Loaded,
    target: Target,
    options: &DestroyOptions,
    out: &mut dyn Console,
    interrupt: &Interrupt,
) -> Result<DestroyOutcome> {
    let (conn, target) = connect_unzoned(loaded, target).await?;
    // With a plan to show, the zones are asked beside its read; otherwise beside the lock.
    let zoning = Zoning::Ask {
        loaded,
        strict: false,
    };
    let (zoned, shown) = match options.approval {
        Approval::Ask => {
            let (_, plan, _, zoned) = read_destroy_plan(&conn, &target, zoning, out).await?;
            let loaded = &zoned;
            console(out.show_plan(&plan))?;
            if plan.has_changes() {
                Schedule::from_plan(&aws_part(&plan), &loaded.resources, options.allow_data_loss)?;
                if !console(out.confirm("Destroy everything listed above?"))? {
                    return Ok(DestroyOutcome::Declined);
                }
            }
            let shown = Some(plan_json::to_value(&plan));
            (Some(zoned), shown)
        }
        _ => (None, None),
    };
    if interrupt.is_requested() {
        return Ok(DestroyOutcome::Interrupted);
    }
    let name = &loaded.blueprint.metadata.name;
    let (zoned, lock) = match zoned {
        Some(zoned) => {
            let lock = take_lock(&conn, name, "destroy", options.break_lock, out).await?;
            (zoned, lock)
        }
        // No plan shown first: the zones are asked beside the lock (`take_lock_beside` says
        // why they may be, and the read may not).
        None => {
            let zones = zoning.settle(&conn);
            take_lock_beside(&conn, name, "destroy", options.break_lock, out, zones).await?
        }
    };
    let loaded = &zoned;
    if interrupt.is_requested() {
        // Ctrl-C while the lock was taken: nothing was changed.
        release(&conn, &lock).await?;
        return Ok(DestroyOutcome::Interrupted);
    }
    let summary = destroy_locked(&conn, &target, loaded, options, shown, out, interrupt).await;
    let summary = match summary {
        Ok(summary) if !summary.as_ref().is_some_and(|s| s.interrupted) => summary,
        other => {
            let released = release(&conn, &lock).await;
            let summary = other?;
            released?;
            // An interrupted run is reported as it stands; verifying would only list what was
            // left.
            return Ok(DestroyOutcome::Ran {
                summary,
                remaining: Vec::new(),
            });
        }
    };
    // The check reads what is left while the lock goes: neither waits for the other's answer.
    let (released, remaining) = futures::join!(release(&conn, &lock), remaining(&conn, loaded));
    released?;
    Ok(DestroyOutcome::Ran {
        summary,
        remaining: remaining?,
    })
}

async fn destroy_locked(
    conn: &Connection,
    target: &Target,
    loaded: &Loaded,
    options: &DestroyOptions,
    shown: Option<serde_json::Value>,
    out: &mut dyn Console,
    interrupt: &Interrupt,
) -> Result<Option<Summary>> {
    let (live, plan, cluster, _) =
        read_destroy_plan(conn, target, Zoning::Known(loaded), out).await?;
    match &shown {
        Some(shown) => {
            if let Err(e) = saved::check(shown, &plan) {
                return Err(Error::ChangedSinceShown(match e {
                    saved::SavedPlanError::Stale(found) => found.join("; "),
                    other => other.to_string(),
                }));
            }
        }
        None => console(out.show_plan(&plan))?,
    }
    if !plan.has_changes() {
        return Ok(None);
    }
    let schedule =
        Schedule::from_plan(&aws_part(&plan), &loaded.resources, options.allow_data_loss)?;
    if interrupt.is_requested() {
        return Ok(None);
    }
    let removed =
        remove_workload(conn, target, loaded, &live, &cluster, &plan, options, out).await?;
    let scope = sweep_scope(&live);
    sweep(conn, &scope, out).await?;
    let data = DataPolicy {
        final_snapshot: !options.skip_final_snapshot,
        allow_data_loss: options.allow_data_loss,
    };
    // Both passes run their schedule alike.
    let run = async |schedule: &Schedule, known, out: &mut dyn Console| {
        let name = &loaded.blueprint.metadata.name;
        let execution = &options.execution;
        run_schedule(
            conn, name, data, schedule, known, execution, "Destroy", out, interrupt, None,
        )
        .await
    };
    let mut summary = run(&schedule, live.outputs, out).await;
    summary.deleted.splice(0..0, removed);
    // Deleted canaries leave their Lambdas only now; and whatever blocked a delete may be gone.
    let swept = sweep(conn, &scope, out).await?;
    if summary.is_complete() || summary.interrupted || !swept {
        return Ok(Some(summary));
    }
    console(out.say("Deleting what is left, now that the leftovers are gone."))?;
    let (live, plan, _, _) = read_destroy_plan(conn, target, Zoning::Known(loaded), out).await?;
    let plan = aws_part(&plan);
    if !plan.has_changes() {
        return Ok(Some(summary));
    }
    let schedule = Schedule::from_plan(&plan, &loaded.resources, options.allow_data_loss)?;
    Ok(Some(run(&schedule, live.outputs, out).await))
}

/// What the cleanup sweep looks at: the blueprint's cluster, VPC and what its canaries ran on, as
/// read.
fn sweep_scope(live: &crate::aws::LiveState) -> Scope {
    let observed = &live.observed;
    let first = |kind: ResourceKind| observed.resources.iter().find(|r| r.kind == kind);
    let mut canary_lambdas = CanaryLambdas::default();
    for canary in observed
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Canary)
    {
        if let Some(outputs) = live.outputs.get(&canary.address) {
            canary_lambdas.extend(CanaryLambdas::from_outputs(outputs));
        }
    }
    Scope {
        cluster: first(ResourceKind::EksCluster).map(|r| r.name.clone()),
        vpc_id: first(ResourceKind::Vpc).map(|r| r.id.clone()),
        canary_lambdas,
    }
}

/// Removes what Kubernetes controllers and canaries left (not shinyctl's, so not in the plan) and
/// says what; true when something was removed. A failed sweep is a warning: the deletes it would
/// have unblocked fail visibly, and the final check lists what remains.
async fn sweep(conn: &Connection, scope: &Scope, out: &mut dyn Console) -> Result<bool> {
    if scope.cluster.is_none() && scope.vpc_id.is_none() && scope.canary_lambdas.is_empty() {
        return Ok(false);
    }
    match cleanup::sweep(conn, scope).await {
        Ok(swept) if swept.is_empty() => Ok(false),
        Ok(swept) => {
            console(out.say(&format!(
                "Removed what Kubernetes controllers and canaries left behind: {}.",
                describe_swept(&swept)
            )))?;
            Ok(true)
        }
        Err(e) => {
            console(out.say(&format!(
                "warning: could not remove what Kubernetes controllers and canaries left behind: {e}"
            )))?;
            Ok(false)
        }
    }
}

fn describe_swept(swept: &Swept) -> String {
    [
        (&swept.load_balancers, "load balancer"),
        (&swept.target_groups, "target group"),
        (&swept.security_groups, "security group"),
        (&swept.network_interfaces, "network interface"),
        (&swept.lambda_functions, "Lambda function"),
        (&swept.lambda_layers, "Lambda layer"),
    ]
    .iter()
    .filter(|(items, _)| !items.is_empty())
    .map(|(items, what)| {
        format!(
            "{} {what}{} ({})",
            items.len(),
            if items.len() == 1 { "" } else { "s" },
            items.join(", ")
        )
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// What destroy deletes: everything observed in AWS and the workload's objects on the cluster;
/// with the blueprint in the account's zones (asked beside the read when `zoning` says so).
async fn read_destroy_plan(
    conn: &Connection,
    target: &Target,
    zoning: Zoning<'_>,
    out: &mut dyn Console,
) -> Result<(crate::aws::LiveState, Plan, ClusterState, Loaded)> {
    let start = zoning.start(&conn.account);
    let name = start.blueprint.metadata.name.as_str();
    let (found, loaded) = futures::join!(
        crate::aws::reader::read_found(conn, name, &start.resources, true),
        zoning.settle(conn),
    );
    let loaded = loaded?;
    let live = crate::aws::reader::assemble(name, &conn.region, &loaded.resources, found?);
    let loaded = &loaded;
    warn_duplicates(&live, out)?;
    let cluster = read_cluster(conn, target, name, &live).await;
    if let Some(note) = cluster.note() {
        console(out.say(&note))?;
    }
    let (_, objects) = plan_resources(loaded, None, &cluster);
    let mut observed = live.observed.clone();
    observed.resources.extend(objects);
    let plan = destroy_plan(&observed);
    Ok((live, plan, cluster, loaded.clone()))
}

/// Destroy's first step: the workload goes before the cluster, so what the LB controller made
/// for it goes too. An unreachable or missing cluster is said and passed over. Returns the
/// addresses deleted.
#[allow(clippy::too_many_arguments)]
async fn remove_workload(
    conn: &Connection,
    target: &Target,
    loaded: &Loaded,
    live: &crate::aws::LiveState,
    cluster: &ClusterState,
    plan: &Plan,
    options: &DestroyOptions,
    out: &mut dyn Console,
) -> Result<Vec<crate::plan::Address>> {
    match cluster {
        ClusterState::NoCluster => return Ok(Vec::new()),
        ClusterState::Objects(objects) if objects.is_empty() => return Ok(Vec::new()),
        ClusterState::Unreachable(_) => {
            console(out.say(
                "The cluster could not be reached: its workload is left to go with it; \
                 continuing with the AWS resources.",
            ))?;
            return Ok(Vec::new());
        }
        ClusterState::Objects(_) => {}
    }
    let name = &loaded.blueprint.metadata.name;
    let time_scale = options.execution.time_scale;
    match remove(conn, target, name, live, time_scale).await {
        Ok(ids) => {
            console(out.say(&format!(
                "Removed the workload from the cluster first: {} object{}.",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" }
            )))?;
            Ok(workload_changes(plan)
                .into_iter()
                .map(|c| c.address.clone())
                .collect())
        }
        Err(why) => {
            console(out.say(&format!(
                "warning: could not remove the workload from the cluster ({why}); continuing \
                 with the AWS resources."
            )))?;
            Ok(Vec::new())
        }
    }
}

/// Everything of the blueprint still in AWS: what the reader finds, duplicates included.
async fn remaining(conn: &Connection, loaded: &Loaded) -> Result<Vec<Remaining>> {
    let name = &loaded.blueprint.metadata.name;
    let live = crate::aws::read_inventory(conn, name, &loaded.resources).await?;
    let mut left: Vec<Remaining> = live
        .observed
        .resources
        .iter()
        .map(|r: &ObservedResource| Remaining {
            address: r.address.to_string(),
            kind: r.kind.as_str().to_string(),
            id: r.id.clone(),
        })
        .collect();
    left.extend(live.duplicates.iter().map(|(address, id)| Remaining {
        address: address.to_string(),
        kind: "duplicate".into(),
        id: id.clone(),
    }));
    Ok(left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ObservedState;

    fn observed() -> ObservedState {
        ObservedState::from_json(
            r#"{"format_version": "1", "blueprint": "t", "region": "us-east-1", "resources": [
              {"address": "network.vpc", "kind": "vpc", "id": "vpc-1", "name": "t-vpc"},
              {"address": "database.instance", "kind": "db_instance", "id": "db", "name": "t-db"}
            ]}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_sweep_looks_at_the_observed_vpc_cluster_and_what_the_canaries_ran_on() {
        let mut state = observed();
        state.resources.push(
            serde_json::from_value(serde_json::json!({"address": "monitoring.canary[login]",
                "kind": "canary", "id": "arn:c", "name": "t-login"}))
            .unwrap(),
        );
        let outputs = serde_json::json!({"id": "arn:c", "lambdaFunction": "cwsyn-t-login-1",
            "lambdaLayer": "cwsyn-t-login-1"});
        let live = crate::aws::LiveState {
            observed: state,
            outputs: [(
                crate::plan::Address::new("monitoring.canary[login]"),
                outputs.as_object().unwrap().clone(),
            )]
            .into(),
            duplicates: Vec::new(),
        };
        let scope = sweep_scope(&live);
        assert_eq!(scope.vpc_id.as_deref(), Some("vpc-1"));
        assert_eq!(scope.cluster, None);
        assert_eq!(scope.canary_lambdas.functions, ["cwsyn-t-login-1"]);
        assert_eq!(scope.canary_lambdas.layers, ["cwsyn-t-login-1"]);
    }

    #[test]
    fn swept_leftovers_are_described() {
        let swept = Swept {
            load_balancers: vec!["k8s-a".into()],
            lambda_functions: vec!["cwsyn-x".into(), "cwsyn-y".into()],
            ..Swept::default()
        };
        assert_eq!(
            describe_swept(&swept),
            "1 load balancer (k8s-a), 2 Lambda functions (cwsyn-x, cwsyn-y)"
        );
    }

    #[test]
    fn destroy_deletes_everything_observed_and_flags_data() {
        let plan = destroy_plan(&observed());
        assert_eq!(plan.summary.destroy, 2);
        assert_eq!(plan.data_loss.len(), 1);
        assert!(Schedule::from_plan(&plan, &[], false).is_err());
        assert!(Schedule::from_plan(&plan, &[], true).is_ok());
    }
}
