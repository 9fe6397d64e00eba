//! An ElastiCache subnet group (the data subnets). Its name is unique per account and region;
//! its ARN is its id.

use super::elasticache::{
    ElastiCacheTags, cache_tags, cx_arn, group_outputs_by_name, in_use_is_conflict,
};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::cache::CacheSubnetGroupProps;

pub struct CacheSubnetGroup;

/// What [`CacheSubnetGroup::update`] changes in place (ModifyCacheSubnetGroup); tags aside.
pub(crate) const IN_PLACE: &[&str] = &["subnets", "description"];

/// The kind's name in its ARNs.
const ARN_KIND: &str = "subnetgroup";

impl Adapter for CacheSubnetGroup {
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
        match created {
            Ok(_) => {}
            Err(e) if e.code == "CacheSubnetGroupAlreadyExists" => {}
            Err(e) => return Err(e),
        }
        Ok(group_outputs_by_name(step, ARN_KIND, &props.name))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: CacheSubnetGroupProps = step.props()?;
        if step.changed_any(IN_PLACE) {
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
        sync_tags::<ElastiCacheTags>(step, &cx_arn(step, ARN_KIND, &props.name)).await?;
        Ok(group_outputs_by_name(step, ARN_KIND, &props.name))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing("name").unwrap_or(step.name()).to_string();
        let result = step
            .clients()
            .elasticache
            .delete_cache_subnet_group()
            .cache_subnet_group_name(&name)
            .send()
            .await
            .aws();
        not_found_as_none(result.map_err(in_use_is_conflict))?;
        Ok(Outputs::new())
    }
}

fn subnet_ids(step: &AwsStep<'_>, props: &CacheSubnetGroupProps) -> Result<Vec<String>, StepError> {
    props.subnets.iter().map(|s| step.resolve(s)).collect()
}
