//! The live plan: connect, read what exists for the blueprint (in AWS, and the workload on its
//! cluster), diff it against the blueprint.

use crate::aws::{self, Connection, LiveState, Target};
use crate::blueprint::Loaded;
use crate::plan::Plan;
use crate::workload;

use super::workload::{ClusterState, facts, full_plan, read_cluster};
use super::{Result, target_for};

/// A plan made against AWS, with what it was made from (for apply to execute it).
#[derive(Debug, Clone)]
pub struct LivePlan {
    pub conn: Connection,
    pub live: LiveState,
    pub plan: Plan,
    /// Warnings about the workload (its cluster could not be read).
    pub notes: Vec<String>,
}

/// `shinyctl plan -f F`: what would change in AWS to make it match `loaded`. Changes nothing.
pub async fn plan_live(loaded: &Loaded, target: Target) -> Result<LivePlan> {
    let (conn, target, loaded) = connect(loaded, target).await?;
    let (live, plan, cluster) = read_plan(&conn, &target, &loaded).await?;
    Ok(LivePlan {
        conn,
        live,
        plan,
        notes: cluster.note().into_iter().collect(),
    })
}

/// Connects to the blueprint's region (see [`target_for`]); the target is kept for the cluster's
/// token, which is signed with the same credentials. The blueprint comes back with its resources
/// derived for the connection's account ([`Loaded::in_account`]: global bucket names hold it).
pub async fn connect(loaded: &Loaded, target: Target) -> Result<(Connection, Target, Loaded)> {
    let target = target_for(&loaded.blueprint, target)?;
    let conn = aws::connect(&target).await?;
    let loaded = loaded.in_account(&conn.account);
    Ok((conn, target, loaded))
}

/// Reads what exists for `loaded` (AWS, then the workload on its cluster when there is a proxy)
/// and plans the changes that make it match.
pub async fn read_plan(
    conn: &Connection,
    target: &Target,
    loaded: &Loaded,
) -> Result<(LiveState, Plan, ClusterState)> {
    let bp = &loaded.blueprint;
    // The command's buckets: the executor that may follow spends from the same ones.
    let live = aws::read_limited(conn, &bp.metadata.name, &loaded.resources, &conn.limiter).await?;
    let rendered = workload::render(bp, &facts(bp, conn, &live));
    // Read even without a proxy: what shinyctl applied earlier is then listed, to be deleted.
    let cluster = read_cluster(conn, target, &bp.metadata.name, &live).await;
    let plan = full_plan(loaded, &live.observed, rendered.as_ref(), &cluster);
    Ok((live, plan, cluster))
}

/// Warnings about resources that carry an address another resource already has (left by a
/// crash outside shinyctl's idempotency, or copied by hand): they are not managed, so say so.
pub fn duplicate_warnings(live: &LiveState) -> Vec<String> {
    live.duplicates
        .iter()
        .map(|(address, id)| {
            format!(
                "warning: {id} also carries the address {address}; shinyctl manages only one of \
                 them and leaves {id} alone (delete it by hand if it is a leftover)"
            )
        })
        .collect()
}
