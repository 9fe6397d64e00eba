//! The live plan: connect, read what exists for the blueprint, diff it against the blueprint.

use crate::aws::{self, Connection, LiveState, Target};
use crate::blueprint::Loaded;
use crate::plan::{Plan, diff};

use super::{Result, target_for};

/// A plan made against AWS, with what it was made from (for apply to execute it).
#[derive(Debug, Clone)]
pub struct LivePlan {
    pub conn: Connection,
    pub live: LiveState,
    pub plan: Plan,
}

/// `shinyctl plan -f F`: what would change in AWS to make it match `loaded`. Changes nothing.
pub async fn plan_live(loaded: &Loaded, target: Target) -> Result<LivePlan> {
    let conn = connect(loaded, target).await?;
    let (live, plan) = read_plan(&conn, loaded).await?;
    Ok(LivePlan { conn, live, plan })
}

/// Connects to the blueprint's region (see [`target_for`]).
pub async fn connect(loaded: &Loaded, target: Target) -> Result<Connection> {
    let target = target_for(&loaded.blueprint, target)?;
    Ok(aws::connect(&target).await?)
}

/// Reads what exists for `loaded` and plans the changes that make it match.
pub async fn read_plan(conn: &Connection, loaded: &Loaded) -> Result<(LiveState, Plan)> {
    let live = aws::read(conn, &loaded.blueprint.metadata.name, &loaded.resources).await?;
    let plan = diff(&loaded.resources, &live.observed);
    Ok((live, plan))
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
