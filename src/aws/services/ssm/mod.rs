//! ssm: the servers' configuration as a Systems Manager Command document, and the State Manager
//! association that applies it to a server group's instances (issue 14). Each kind's adapter is
//! its own file beside this one; this file holds what they share: SSM's tag calls, which take a
//! resource type beside the id (AddTagsToResource / RemoveTagsFromResource, botocore `ssm`
//! ResourceTypeForTagging), and SSM's not-found codes.

use aws_sdk_ssm::types::{ResourceTypeForTagging, Tag};

use super::{AwsResult, AwsStep, TagApi};
use crate::apply::StepError;
use crate::aws::tags::TagSet;

/// SSM's answers for a document or association that does not exist (botocore `ssm`:
/// `InvalidDocument` "The specified SSM document doesn't exist", `AssociationDoesNotExist`,
/// `InvalidResourceId` for tags of a missing resource).
const GONE: [&str; 3] = [
    "InvalidDocument",
    "AssociationDoesNotExist",
    "InvalidResourceId",
];

/// `Ok(None)` for SSM's not-found answers (which do not say `NotFound`).
pub(super) fn gone_as_none<T>(result: Result<T, StepError>) -> Result<Option<T>, StepError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if GONE.contains(&err.code.as_str()) || super::is_not_found(&err) => Ok(None),
        Err(err) => Err(err),
    }
}

pub(super) fn ssm_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// SSM's tag calls for one resource type: documents by name, associations by id.
async fn tag(
    step: &AwsStep<'_>,
    kind: ResourceTypeForTagging,
    id: &str,
    tags: &TagSet,
) -> Result<(), StepError> {
    step.clients()
        .ssm
        .add_tags_to_resource()
        .resource_type(kind)
        .resource_id(id)
        .set_tags(Some(ssm_tags(tags)))
        .send()
        .await
        .aws()
        .map(drop)
}

async fn untag(
    step: &AwsStep<'_>,
    kind: ResourceTypeForTagging,
    id: &str,
    keys: Vec<String>,
) -> Result<(), StepError> {
    step.clients()
        .ssm
        .remove_tags_from_resource()
        .resource_type(kind)
        .resource_id(id)
        .set_tag_keys(Some(keys))
        .send()
        .await
        .aws()
        .map(drop)
}

/// A document's tags, by its name.
pub(crate) struct DocumentTags;

impl TagApi for DocumentTags {
    async fn tag(step: &AwsStep<'_>, id: &str, tags: &TagSet) -> Result<(), StepError> {
        tag(step, ResourceTypeForTagging::Document, id, tags).await
    }

    async fn untag(step: &AwsStep<'_>, id: &str, keys: Vec<String>) -> Result<(), StepError> {
        untag(step, ResourceTypeForTagging::Document, id, keys).await
    }
}

/// An association's tags, by its id.
pub(crate) struct AssociationTags;

impl TagApi for AssociationTags {
    async fn tag(step: &AwsStep<'_>, id: &str, tags: &TagSet) -> Result<(), StepError> {
        tag(step, ResourceTypeForTagging::Association, id, tags).await
    }

    async fn untag(step: &AwsStep<'_>, id: &str, keys: Vec<String>) -> Result<(), StepError> {
        untag(step, ResourceTypeForTagging::Association, id, keys).await
    }
}
