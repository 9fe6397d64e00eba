//! logs: CloudWatch Logs log groups (the adapter and reader are `cloudwatch_log_group.rs`).
//!
//! Tags go on a log group's ARN without the trailing `:*` (`logGroupArn`, not `arn`): "For
//! the resourceArn ... don't include the trailing :*" (botocore `logs` TagResource and
//! ListTagsForResource, which replace the deprecated TagLogGroup and ListTagsLogGroup by name).
//! Tags are a map (botocore `logs` Tags), not a list of pairs.

use std::collections::HashMap;

use crate::aws::tags::TagSet;

/// CloudWatch Logs' TagResource and UntagResource, by the log group's ARN (without `:*`).
pub(crate) struct LogsTags;

super::tag_api!(
    LogsTags,
    logs,
    tag_resource / untag_resource,
    resource_arn,
    logs_tags
);

/// The desired tags as CloudWatch Logs takes them: a map.
pub(super) fn logs_tags(tags: &TagSet) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A log group's ARN as TagResource takes it: `arn:<partition>:logs:<region>:<account>:
/// log-group:<name>` (the `logGroupArn` DescribeLogGroups answers; its `arn` ends in `:*`).
pub(super) fn log_group_arn(arn_prefix: &str, region: &str, account: &str, name: &str) -> String {
    format!("{arn_prefix}:logs:{region}:{account}:log-group:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_groups_arn_has_no_trailing_wildcard() {
        assert_eq!(
            log_group_arn("arn:aws", "us-east-1", "123456789012", "/ecs/demo/web"),
            "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/demo/web"
        );
    }
}
