//! `shinyctl apply`: make AWS match the blueprint.
//!
//! 1. Plan against what exists and show it. With [`Approval::Ask`] the user approves this plan
//!    before anything is locked (nobody holds the lock while a person reads).
//! 2. Take the blueprint's lock, read again and plan again under it. The approved plan (shown, or
//!    saved with `plan --out`) must be exactly the fresh one; otherwise nothing is changed.
//! 3. Refuse data loss unless allowed, run the executor; once the AWS side succeeded, deploy the
//!    proxy workload onto the cluster (steps of their own: `workload.deployment[shinyproxy]`...),
//!    its facts taken from the read of step 2 with the run's results (AWS is not read a third
//!    time), release the lock, show where the platform is (URL, CNAME, cluster, endpoints:
//!    `entry_points`), return the summary.
//!
//! Under `--auto-approve` step 1 is skipped: the lock is taken first and AWS is read once.

use std::collections::BTreeMap;

use crate::apply::{Outputs, Schedule, Summary};
use crate::aws::operator::DataPolicy;
use crate::aws::pricing::Prefetched;
use crate::aws::{Connection, Target};
use crate::load::Loaded;
use crate::plan::{Address, Plan};
use crate::render::plan_json;

use super::entry_points::entry_points;
use super::live::{PlanRead, Zoning, connect_unzoned, duplicate_warnings, read_plan, zoned};
use super::run::{Then, release, run_schedule_with_outputs, take_lock};
use super::saved;
use super::workload::{ClusterState, DeployInput, aws_part, workload_changes};
use super::{Approval, Console, Error, Execution, Interrupt, Result, console};

#[derive(Debug, Clone, PartialEq)]
pub struct ApplyOptions {
    pub approval: Approval,
    /// `--allow-data-loss`: databases, caches, file systems and buckets may be replaced or deleted.
    pub allow_data_loss: bool,
    /// `--allow-cluster-restart`: a change every server of a cluster must take at once
    /// (Workbench's version, cookie key or licence) may restart them all together.
    pub allow_cluster_restart: bool,
    /// `--break-lock`.
    pub break_lock: bool,
    pub execution: Execution,
}

/// How an apply ended (errors aside). Made once per command, so the summary is not boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyOutcome {
    /// AWS already matches the blueprint.
    NoChanges,
    /// The user said no; nothing was changed.
    Declined,
    /// Ctrl-C before anything started; nothing was changed.
    Interrupted,
    /// The executor ran; the summary says what it did.
    Ran(Summary),
}

impl ApplyOutcome {
    /// Whether the command succeeded (exit code 0).
    pub fn is_success(&self) -> bool {
        match self {
            ApplyOutcome::NoChanges => true,
            ApplyOutcome::Declined | ApplyOutcome::Interrupted => false,
            ApplyOutcome::Ran(summary) => summary.is_complete(),
        }
    }
}

/// Applies `loaded` (see the module documentation for the steps).
pub async fn apply(
    loaded: &Loaded,
    target: Target,
    options: &ApplyOptions,
    out: &mut dyn Console,
    interrupt: &Interrupt,
) -> Result<ApplyOutcome> {
    let (conn, target) = connect_unzoned(loaded, target).await?;
    // With a plan to show, the zones are asked beside its read; otherwise first.
    let (zoned, approved) = match &options.approval {
        Approval::Ask => {
            let zoning = Zoning::Ask {
                loaded,
                strict: true,
            };
            let read = read_plan(&conn, &target, zoning).await?;
            let PlanRead {
                live,
                mut plan,
                cluster,
                loaded: zoned,
                prices,
            } = read;
            let loaded = &zoned;
            warn_duplicates(&live, out)?;
            warn_cluster(&cluster, out)?;
            show_priced(&conn, &mut plan, prices, out).await?;
            if !plan.has_changes() {
                show_entry_points(&conn, loaded, &live.outputs, out)?;
                return Ok(ApplyOutcome::NoChanges);
            }
            // Refuse data loss and restarts before asking: a yes must not lead to a refusal.
            Schedule::from_plan(&aws_part(&plan), &loaded.resources, options.allow_data_loss)?;
            Schedule::check_restarts(&plan, options.allow_cluster_restart)?;
            if !console(out.confirm("Apply these changes?"))? {
                return Ok(ApplyOutcome::Declined);
            }
            let approved = Some(plan_json::to_value(&plan));
            (zoned, approved)
        }
        Approval::Saved(saved) => (zoned(&conn, loaded, true).await?, Some(saved.clone())),
        Approval::Auto => (zoned(&conn, loaded, true).await?, None),
    };
    let loaded = &zoned;
    if interrupt.is_requested() {
        return Ok(ApplyOutcome::Interrupted);
    }
    let name = &loaded.blueprint.metadata.name;
    let lock = take_lock(&conn, name, "apply", options.break_lock, out).await?;
    let outcome = apply_locked(&conn, &target, loaded, options, approved, out, interrupt).await;
    let released = release(&conn, &lock).await;
    let outcome = outcome?;
    released?;
    Ok(outcome)
}

/// Shows the plan with its monthly cost (a warning first when the Price List could not be asked).
async fn show_priced(
    conn: &Connection,
    plan: &mut Plan,
    prices: Prefetched,
    out: &mut dyn Console,
) -> Result<()> {
    if let Some(warning) = super::live::price(conn, plan, prices).await {
        console(out.say(&warning))?;
    }
    console(out.show_plan(plan))
}

/// Steps 2 and 3, with the lock held.
async fn apply_locked(
    conn: &Connection,
    target: &Target,
    loaded: &Loaded,
    options: &ApplyOptions,
    approved: Option<serde_json::Value>,
    out: &mut dyn Console,
    interrupt: &Interrupt,
) -> Result<ApplyOutcome> {
    let PlanRead {
        live,
        mut plan,
        cluster,
        prices,
        ..
    } = read_plan(conn, target, Zoning::Known(loaded)).await?;
    warn_cluster(&cluster, out)?;
    match (&options.approval, &approved) {
        (Approval::Saved(_), Some(saved)) => {
            saved::check(saved, &plan)?;
            warn_duplicates(&live, out)?;
            show_priced(conn, &mut plan, prices, out).await?;
        }
        (_, Some(shown)) => {
            if let Err(e) = saved::check(shown, &plan) {
                return Err(Error::ChangedSinceShown(stale_reason(e)));
            }
        }
        (_, None) => {
            warn_duplicates(&live, out)?;
            show_priced(conn, &mut plan, prices, out).await?;
        }
    }
    if !plan.has_changes() {
        show_entry_points(conn, loaded, &live.outputs, out)?;
        return Ok(ApplyOutcome::NoChanges);
    }
    let schedule =
        Schedule::from_plan(&aws_part(&plan), &loaded.resources, options.allow_data_loss)?;
    Schedule::check_restarts(&plan, options.allow_cluster_restart)?;
    if interrupt.is_requested() {
        return Ok(ApplyOutcome::Interrupted);
    }
    let then = Then {
        deploy: DeployInput {
            conn,
            target,
            loaded,
            time_scale: options.execution.time_scale,
            live: None,
        },
        planned: workload_changes(&plan).into_iter().cloned().collect(),
        before: live,
    };
    let (summary, outputs) = run_schedule_with_outputs(
        conn,
        &loaded.blueprint.metadata.name,
        DataPolicy {
            final_snapshot: true,
            allow_data_loss: options.allow_data_loss,
        },
        &schedule,
        then.before.outputs.clone(),
        &options.execution,
        "Apply",
        out,
        interrupt,
        Some(&then),
    )
    .await;
    let bp = &loaded.blueprint;
    if bp.proxy.is_none() && (bp.cluster.is_none() || bp.ingress.is_none()) {
        console(out.say("No proxy section in the blueprint: no workload to deploy."))?;
    }
    if summary.is_complete() {
        show_entry_points(conn, loaded, &outputs, out)?;
    }
    Ok(ApplyOutcome::Ran(summary))
}

/// Ends an apply that left AWS matching the blueprint: where the platform is.
fn show_entry_points(
    conn: &Connection,
    loaded: &Loaded,
    outputs: &BTreeMap<Address, Outputs>,
    out: &mut dyn Console,
) -> Result<()> {
    let entry = entry_points(
        &loaded.blueprint,
        &loaded.source.name,
        &conn.region,
        &loaded.resources,
        outputs,
    );
    if !entry.is_empty() {
        console(out.show_entry_points(&entry))?;
    }
    Ok(())
}

pub(super) fn warn_duplicates(live: &crate::aws::LiveState, out: &mut dyn Console) -> Result<()> {
    for warning in duplicate_warnings(live) {
        console(out.say(&warning))?;
    }
    Ok(())
}

/// Says when the workload's cluster could not be read.
pub(super) fn warn_cluster(cluster: &ClusterState, out: &mut dyn Console) -> Result<()> {
    if let Some(note) = cluster.note() {
        console(out.say(&note))?;
    }
    Ok(())
}

/// The differences of a stale plan, without the advice meant for saved plans.
fn stale_reason(e: saved::SavedPlanError) -> String {
    match e {
        saved::SavedPlanError::Stale(found) => found.join("; "),
        other => other.to_string(),
    }
}
