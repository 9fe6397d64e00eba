//! The Resource Groups Tagging API's view of the blueprint: every resource in the region that
//! carries its ownership tag, with all its tags, in one paginated `GetResources` (100 per page)
//! instead of one `ListTagsForResource` per resource.
//!
//! The API is eventually consistent (a resource tagged seconds ago may be missing) and does not
//! cover every kind (IAM, EKS, Synthetics, some endpoints' parameter groups). So its answer
//! decides only for resources the blueprint does not ask for: listed means ours, unlisted means
//! not ours (no call made). A resource the blueprint asks for that is not listed has its tags
//! read the service's own way ([`AwsRead::tags_for`]).

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::{AwsRead, not_found_as_none};
use crate::apply::StepError;
use crate::aws::tags::{self, BLUEPRINT_TAG, TagSet};
use crate::plan::Address;

/// `GetResources` pages hold at most this many resources.
const PAGE: i32 = 100;

/// ARN -> tags of every resource tagged for `read.blueprint` that the tagging API lists.
pub(crate) async fn tagged(read: &AwsRead<'_>) -> Result<HashMap<String, TagSet>, StepError> {
    let filter = TagFilter::builder()
        .key(BLUEPRINT_TAG)
        .values(read.blueprint)
        .build();
    Ok(all_items!(
        read.clients()
            .tagging
            .get_resources()
            .tag_filters(filter)
            .resources_per_page(PAGE),
        resource_tag_mapping_list
    )
    .into_iter()
    .filter_map(|mapping| {
        let arn = mapping.resource_arn()?.to_string();
        let tags = tags::from_pairs(mapping.tags().iter().map(|t| (t.key(), t.value())));
        Some((arn, tags))
    })
    .collect())
}

impl AwsRead<'_> {
    /// The tags of the resource `arn` when it may be the blueprint's: from the tagging API's
    /// answer when that lists it; else, when the blueprint asks for it (`desired`), from
    /// `read_tags` (the service's own call; NotFound is `None`); else `None` without a call.
    pub(crate) async fn tags_for<F>(
        &self,
        arn: &str,
        desired: bool,
        read_tags: impl FnOnce() -> F,
    ) -> Result<Option<TagSet>, StepError>
    where
        F: Future<Output = Result<TagSet, StepError>>,
    {
        if let Some(tags) = self.tagged().await?.get(arn) {
            return Ok(Some(tags.clone()));
        }
        if !desired {
            return Ok(None);
        }
        not_found_as_none(read_tags().await)
    }

    /// A resource that may be ours, with a `detail` read of it that waits only for the listing
    /// that found it, never for the answer to whose it is, when the blueprint asks for it
    /// (`desired`): the detail starts at once, beside the wait for the tagging API's answer (read
    /// at the start of the read, [`super::AwsRead::prefetch`]) and, where that does not list it,
    /// the service's own tag read (`read_tags`); it is dropped (and its error too) if the tags
    /// say not ours. A resource the blueprint does not ask for is ours only where the tagging
    /// API's answer says so, and only then is its detail read. Answers the address, the tags and
    /// the detail.
    pub(crate) async fn owned_with<F, D, T>(
        &self,
        arn: &str,
        desired: bool,
        read_tags: impl FnOnce() -> F,
        detail: impl FnOnce() -> D,
    ) -> Result<Option<(Address, TagSet, T)>, StepError>
    where
        F: Future<Output = Result<TagSet, StepError>>,
        D: Future<Output = Result<T, StepError>>,
    {
        if desired {
            let tags = async {
                match self.tagged().await?.get(arn) {
                    Some(tags) => Ok(Some(tags.clone())),
                    None => not_found_as_none(read_tags().await),
                }
            };
            let (tags, detail) = futures::join!(tags, detail());
            let Some(tags) = tags? else {
                return Ok(None);
            };
            let Some(address) = self.owned(&tags) else {
                return Ok(None);
            };
            return Ok(Some((address, tags, detail?)));
        }
        if let Some(tags) = self.tagged().await?.get(arn) {
            let Some(address) = self.owned(tags) else {
                return Ok(None);
            };
            let tags = tags.clone();
            return Ok(Some((address, tags, detail().await?)));
        }
        Ok(None)
    }
}
