//! elasticache: cache subnet groups, parameter groups with their values, and the Redis
//! replication group (cluster mode on or off, transit and at-rest encryption). Each kind's
//! adapter, with its read, is in its own file beside this one; here are the tagging calls and
//! what the kinds share.
//!
//! Names are unique per account and region, so creates look them up first. The replication group
//! is waited on until `available`; deletes wait until it is gone, after a final snapshot unless
//! the operator's [`DataPolicy`](crate::aws::operator::DataPolicy) says not to. Ids are ARNs (the
//! subnet group and the replication group share one name). ElastiCache's describes carry no
//! tags: the reads take them from the tagging API's answer ([`AwsRead::tags_for`]).

use aws_sdk_elasticache::types::Tag;

use super::{AwsRead, AwsStep, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::config::Connection;
use crate::aws::tags::TagSet;
use crate::plan::{Resource, ResourceKind as K};

super::sdk_tags!(pub(super) cache_tags, Tag);

/// The ARN of the ElastiCache resource of `kind` (`subnetgroup`, `parametergroup`,
/// `replicationgroup`) named `name`.
pub(super) fn cache_arn(conn: &Connection, kind: &str, name: &str) -> String {
    conn.arn(
        "elasticache",
        &conn.region,
        &conn.account,
        &format!("{kind}:{name}"),
    )
}

/// "In use" and "wrong state" answers are worth retrying later.
pub(super) fn in_use_is_conflict(e: StepError) -> StepError {
    if e.code.contains("InUse") || (e.code.starts_with("Invalid") && e.code.contains("State")) {
        StepError::conflict(e.code, e.message)
    } else {
        e
    }
}

/// ElastiCache's AddTagsToResource and RemoveTagsFromResource, by ARN (subnet, parameter and
/// replication groups).
pub(crate) struct ElastiCacheTags;

super::tag_api!(
    ElastiCacheTags,
    elasticache,
    add_tags_to_resource / remove_tags_from_resource,
    resource_name,
    cache_tags
);

/// The outputs of a subnet or parameter group (`kind` as in its ARN): its ARN is its id.
pub(super) fn group_outputs_by_name(step: &AwsStep<'_>, kind: &str, name: &str) -> Outputs {
    let arn = cache_arn(step.conn, kind, name);
    outputs(&arn, Some(&arn), Some(name))
}

// --- reading (what the kinds' reads share) -------------------------------------------------

/// One resource's tags (ListTagsForResource); see [`AwsRead::tags_for`] for when it is needed.
pub(super) async fn tags_of(read: &AwsRead<'_>, arn: &str) -> Result<TagSet, StepError> {
    tags_by_arn!(
        read,
        "elasticache",
        elasticache,
        resource_name,
        tag_list,
        arn,
        |t| { Some((t.key?, t.value.unwrap_or_default())) }
    )
}

/// The desired resource of `kind` whose AWS name (its `name` or `replicationGroupId` property,
/// else its name) is `name`.
pub(super) fn desired_named<'a>(read: &AwsRead<'a>, kind: K, name: &str) -> Option<&'a Resource> {
    read.desired_named(kind, &["name", "replicationGroupId"], name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_use_is_a_conflict() {
        let e = in_use_is_conflict(StepError::fatal("CacheSubnetGroupInUse", "in use"));
        assert_eq!(e.class, crate::apply::ErrorClass::Conflict);
    }
}
