//! Everything that talks to AWS — the only module that uses the AWS SDK.
//!
//! - [`config`]: `connect(&Target) -> Connection` (region, profile, endpoint override, the
//!   standard credential chain, the account and partition; rustls on ring).
//! - [`clients`]: one SDK client per service (plus the emulator's account header when asked).
//! - [`doctor`]: the questions `doctor` asks (identity, services in the region, quotas and
//!   usage, the policy simulator, certificates, readable secrets).
//! - [`errors`]: SDK errors -> `StepError` (AWS's code and message, classified for retrying).
//! - [`iam_propagation`]: the errors that mean a role is not usable yet (retried, bounded).
//! - [`tags`]: ownership tags and tag sets in the catalog's shape.
//! - [`reader`]: `read(&Connection, blueprint, &desired) -> LiveState` (the observed state for
//!   `plan::diff` and the outputs the executor needs as `known`).
//! - [`operator`]: `AwsOperator`, the executor's `Operator` for AWS.
//! - [`lock`]: the apply lock (an S3 object written with a conditional put).
//! - [`secrets`]: resolves `secretsmanager:`/`ssm:` references to values, in memory only.
//! - [`services`]: the per-service adapters and the rules they follow.
//! - [`health`]: how the blueprint's resources are, for `status` (states, target health,
//!   canary runs, alarm states).
//! - [`versions`]: the live plan's version check (which versions AWS offers and supports).
//! - [`pricing`]: the live plan's prices (AWS Price List Query API, cached per region).
//!
//! A live apply, end to end:
//!
//! ```ignore
//! let conn = aws::config::connect(&Target { region: Some(bp.metadata.region.clone()), ..Default::default() }).await?;
//! let lock = aws::lock::acquire(&conn, &bp.metadata.name, "apply").await?;
//! let desired = plan::catalog::desired(&bp);
//! let live = aws::reader::read(&conn, &bp.metadata.name, &desired).await?;
//! let plan = plan::diff(&desired, &live.observed);
//! let schedule = /* Schedule from plan */;
//! let executor = apply::Executor::new(aws::operator::AwsOperator::new(conn.clone(), &bp.metadata.name), config);
//! let summary = executor.run(&schedule, live.outputs, &events, ctrl_c).await;
//! lock.release(&conn).await?;
//! ```

/// Every page of an SDK paginator (`$pages`: `….into_paginator().send()`), as a `Vec` of outputs.
/// SDK errors return from the enclosing function as `StepError`s.
macro_rules! all_pages {
    ($pages:expr) => {{
        let mut pages = $pages;
        let mut out = Vec::new();
        loop {
            match pages.next().await {
                Some(page) => out.push($crate::aws::errors::AwsResult::aws(page)?),
                None => break,
            }
        }
        out
    }};
}

/// Every item of a paged listing: `all_items!(request, field)` sends `request` page after page
/// and returns, in order, the items of each page's `field` (a page without it has none).
/// SDK errors return from the enclosing function as `StepError`s.
macro_rules! all_items {
    ($request:expr, $field:ident) => {
        all_pages!($request.into_paginator().send())
            .into_iter()
            .flat_map(|page| page.$field.unwrap_or_default())
            .collect::<Vec<_>>()
    };
}

pub mod cleanup;
pub(crate) mod clients;
pub mod config;
pub(crate) mod doctor;
pub(crate) mod ecr_auth;
pub(crate) mod ecr_images;
pub mod eks_token;
pub mod errors;
pub(crate) mod gate;
pub(crate) mod health;
pub(crate) mod iam_propagation;
pub mod lock;
pub mod operator;
pub(crate) mod pricing;
pub(crate) mod reader;
pub(crate) mod secrets;
pub mod services;
pub mod tags;
pub(crate) mod versions;
pub(crate) mod zones;

pub use config::{Connection, Target, connect};
pub use operator::AwsOperator;
pub use reader::{LiveState, ReadError, read, read_inventory};
