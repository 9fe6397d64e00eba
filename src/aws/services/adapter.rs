//! The one interface every kind's adapter implements, and the one tagging interface every
//! service implements.
//!
//! A kind's adapter is a unit struct named as its [`ResourceKind`] variant, in its own file
//! `services/<service>/<kind>.rs` with `impl Adapter for <Kind>` at the start of a line: the
//! build script (`build.rs`) makes the file a module and a row of the adapter table
//! ([`super::perform`], [`super::readers`], [`super::declared_reads`]), so nothing else
//! lists it.
//!
//! [`ResourceKind`]: crate::plan::ResourceKind

use std::future::Future;

use serde::de::DeserializeOwned;

use super::stages::Read;
use super::{AwsRead, AwsStep, Found};
use crate::apply::{Operation, Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind;

/// What a step's adapter returns: the resource's outputs (ignored for deletes).
pub(crate) type StepResult = Result<Outputs, StepError>;

/// Reads, creates, updates and deletes one kind of resource, each change followed by its wait
/// for the state the step promises (see `services`' module docs for the rules every adapter
/// follows).
pub(crate) trait Adapter {
    /// The calls [`Adapter::read`] makes, each with the answers it waits for (`stages`).
    const READS: &'static [Read] = &[];
    /// The kind whose read finds this kind's resources too (a route table's read finds its
    /// routes and associations: one DescribeRouteTables answer holds them); `None` for a kind
    /// read by its own [`Adapter::read`].
    const READ_WITH: Option<ResourceKind> = None;
    /// What exists of this kind (and of the kinds read with it): the live read runs every
    /// kind's read at once.
    fn read(read: &AwsRead<'_>) -> impl Future<Output = Result<Vec<Found>, StepError>> + Send {
        let _ = read;
        async { Ok(Vec::new()) }
    }
    /// Makes the resource (or finds the one an earlier, interrupted run made) and waits until
    /// it is usable.
    fn create(step: &AwsStep<'_>) -> impl Future<Output = StepResult> + Send;
    /// Changes in place what the step's changes list (never a property of the kind's
    /// `replace_on`: those are replaced).
    fn update(step: &AwsStep<'_>) -> impl Future<Output = StepResult> + Send;
    /// Deletes the resource and waits until it is gone; a resource already gone is done.
    fn delete(step: &AwsStep<'_>) -> impl Future<Output = StepResult> + Send;
}

/// Runs the step's operation with adapter `A`. Each future is boxed: together they would make
/// one future too large for a thread's stack in debug builds (the SDK's futures are big).
pub(super) async fn run<A: Adapter>(step: &AwsStep<'_>) -> StepResult {
    match step.request.operation() {
        Operation::Create => Box::pin(A::create(step)).await,
        Operation::Update => Box::pin(A::update(step)).await,
        Operation::Delete => Box::pin(A::delete(step)).await,
    }
}

impl AwsStep<'_> {
    /// The step's properties as the kind's typed properties: the desired ones, or for a delete
    /// the observed ones. Deserialised once, at the start of the step.
    pub(crate) fn props<T: DeserializeOwned>(&self) -> Result<T, StepError> {
        let step = &self.request.step;
        let properties = step.desired.as_ref().or(step.observed.as_ref());
        let value = serde_json::Value::Object(properties.cloned().unwrap_or_default());
        serde_json::from_value(value).map_err(|e| {
            super::missing(format!(
                "{}: its properties do not fit its kind: {e}",
                self.address()
            ))
        })
    }
}

/// One service's tagging calls for one kind of resource, by id or ARN: the interface each
/// service implements once (EC2's CreateTags/DeleteTags, IAM's TagRole/UntagRole, ...), so the
/// logic of an update's tag change lives only in [`sync_tags`].
pub(crate) trait TagApi {
    /// Adds or overwrites `tags`.
    fn tag(
        step: &AwsStep<'_>,
        id: &str,
        tags: &TagSet,
    ) -> impl Future<Output = Result<(), StepError>> + Send;
    /// Removes the tags with these `keys`.
    fn untag(
        step: &AwsStep<'_>,
        id: &str,
        keys: Vec<String>,
    ) -> impl Future<Output = Result<(), StepError>> + Send;
}

/// The [`TagApi`] of a service whose tag calls take a resource by one identifier and a list of
/// keys to remove (`TagResource`/`UntagResource` by ARN, RDS's `AddTagsToResource` by name, …):
/// `tag_api!(SnsTags, sns, tag_resource / untag_resource, resource_arn, sns_tags)` — the client,
/// the two operations, the identifier's setter, and the service's SDK tag converter.
macro_rules! tag_api {
    ($api:ident, $client:ident, $tag:ident / $untag:ident, $by:ident, $convert:path) => {
        impl $crate::aws::services::TagApi for $api {
            async fn tag(
                step: &$crate::aws::services::AwsStep<'_>,
                id: &str,
                tags: &$crate::aws::tags::TagSet,
            ) -> Result<(), $crate::apply::StepError> {
                let call = step.clients().$client.$tag().$by(id);
                $crate::aws::errors::AwsResult::aws(
                    call.set_tags(Some($convert(tags))).send().await,
                )
                .map(drop)
            }

            async fn untag(
                step: &$crate::aws::services::AwsStep<'_>,
                id: &str,
                keys: Vec<String>,
            ) -> Result<(), $crate::apply::StepError> {
                let call = step.clients().$client.$untag().$by(id);
                $crate::aws::errors::AwsResult::aws(call.set_tag_keys(Some(keys)).send().await)
                    .map(drop)
            }
        }
    };
}
pub(crate) use tag_api;

/// A service's SDK tag converter, for an SDK whose `Tag` builds from a key and a value:
/// `sdk_tags!(pub(super) rds_tags, aws_sdk_rds::types::Tag)` writes
/// `fn rds_tags(&TagSet) -> Vec<Tag>`.
macro_rules! sdk_tags {
    ($vis:vis $name:ident, $tag:ty) => {
        $vis fn $name(tags: &$crate::aws::tags::TagSet) -> Vec<$tag> {
            tags.iter()
                .map(|(k, v)| <$tag>::builder().key(k).value(v).build())
                .collect()
        }
    };
}
pub(crate) use sdk_tags;

/// Makes the tags of resource `id` the desired ones when the step changes them: what is new or
/// different is tagged, what is gone is untagged (one call each, only when needed).
pub(crate) async fn sync_tags<T: TagApi>(step: &AwsStep<'_>, id: &str) -> Result<(), StepError> {
    if !step.changed("tags") {
        return Ok(());
    }
    let (set, remove) = tags::changes(&step.observed_tags(), &step.tags());
    if !set.is_empty() {
        T::tag(step, id, &set).await?;
    }
    if !remove.is_empty() {
        T::untag(step, id, remove).await?;
    }
    Ok(())
}
