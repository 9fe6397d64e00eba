//! An ElastiCache subnet group (the data subnets). Its name is unique per account and region;
//! its ARN is its id. Its read lists the account's groups and keeps those named and tagged for
//! the blueprint.

use super::elasticache::{
    ElastiCacheTags, cache_arn, cache_tags, desired_named, group_outputs_by_name,
    in_use_is_conflict, tags_of,
};
use super::stages::{NOT_LISTED, Read, fallback, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, already_made_is_ok, deleted, sync_tags,
};
use crate::apply::StepError;
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::cache::CacheSubnetGroupProps;

pub(crate) struct CacheSubnetGroup;

/// The kind's name in its ARNs.
const ARN_KIND: &str = "subnetgroup";

impl Adapter for CacheSubnetGroup {
    const READS: &'static [Read] = &[
        first(("elasticache", "DescribeCacheSubnetGroups")),
        // ElastiCache's one tag read, for all three kinds (their describes carry no tags):
        // declared once, here.
        fallback(
            ("elasticache", "ListTagsForResource"),
            &[
                ("elasticache", "DescribeCacheSubnetGroups"),
                ("elasticache", "DescribeCacheParameterGroups"),
                ("elasticache", "DescribeReplicationGroups"),
            ],
            NOT_LISTED,
        ),
        fallback(
            ("ec2", "DescribeSubnets"),
            &[("elasticache", "DescribeCacheSubnetGroups")],
            "a cache subnet group's subnets that are not the blueprint's",
        ),
    ];

    /// Subnet groups named for the blueprint and tagged for it.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let ec = &read.clients().elasticache;
        let prefix = read.name_prefix();
        let mut found = Vec::new();
        for g in all_items!(
            ec.describe_cache_subnet_groups().max_records(100),
            cache_subnet_groups
        ) {
            let Some(name) = g
                .cache_subnet_group_name()
                .filter(|n| n.starts_with(&prefix))
            else {
                continue;
            };
            let arn = cache_arn(read.conn, ARN_KIND, name);
            let desired = desired_named(read, K::CacheSubnetGroup, name).is_some();
            let Some(tags) = read.tags_for(&arn, desired, || tags_of(read, &arn)).await? else {
                continue;
            };
            let Some(address) = read.owned(&tags) else {
                continue;
            };
            let subnets: Vec<String> = g
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier().map(str::to_string))
                .collect();
            let subnets = super::eks::by_zone(read, subnets).await?;
            found.push(
                Found::new(K::CacheSubnetGroup, &arn)
                    .at(Some(address))
                    .named(name)
                    .props(&CacheSubnetGroupProps {
                        name: name.to_string(),
                        description: g
                            .cache_subnet_group_description()
                            .unwrap_or_default()
                            .to_string(),
                        subnets,
                    })
                    .with("tags", tags::to_value(&tags))
                    .output("arn", arn.as_str())
                    .output("name", name),
            );
        }

        Ok(found)
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: CacheSubnetGroupProps = step.props()?;
        // Create first and treat "already exists" as found (a re-run after a crash): the group
        // is on lowcode-ha's critical path, so no describe round trip before the create.
        let created = step
            .clients()
            .elasticache
            .create_cache_subnet_group()
            .cache_subnet_group_name(&props.name)
            .cache_subnet_group_description(&props.description)
            .set_subnet_ids(Some(subnet_ids(step, &props)?))
            .set_tags(Some(cache_tags(&step.tags())))
            .send()
            .await
            .aws();
        already_made_is_ok(created, |e| e.code == "CacheSubnetGroupAlreadyExists")?;
        Ok(group_outputs_by_name(step, ARN_KIND, &props.name))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: CacheSubnetGroupProps = step.props()?;
        if step.changed_any(K::CacheSubnetGroup.in_place()) {
            step.clients()
                .elasticache
                .modify_cache_subnet_group()
                .cache_subnet_group_name(&props.name)
                .cache_subnet_group_description(&props.description)
                .set_subnet_ids(Some(subnet_ids(step, &props)?))
                .send()
                .await
                .aws()?;
        }
        sync_tags::<ElastiCacheTags>(step, &cache_arn(step.conn, ARN_KIND, &props.name)).await?;
        Ok(group_outputs_by_name(step, ARN_KIND, &props.name))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_name();
        let elasticache = &step.clients().elasticache;
        deleted(
            elasticache
                .delete_cache_subnet_group()
                .cache_subnet_group_name(name)
                .send()
                .await
                .aws()
                .map_err(in_use_is_conflict),
        )
    }
}

fn subnet_ids(step: &AwsStep<'_>, props: &CacheSubnetGroupProps) -> Result<Vec<String>, StepError> {
    props.subnets.iter().map(|s| step.resolve(s)).collect()
}
