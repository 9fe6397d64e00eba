//! An ElastiCache parameter group with its values (its family and `cluster-enabled` must match
//! the replication group). Its name is unique per account and region; its ARN is its id.

use std::collections::BTreeMap;

use aws_sdk_elasticache::types::ParameterNameValue;

use super::elasticache::{
    ElastiCacheTags, cache_tags, cx_arn, group_outputs_by_name, in_use_is_conflict, parameter_map,
};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::cache::CacheParameterGroupProps;

pub struct CacheParameterGroup;

/// What [`CacheParameterGroup::update`] changes in place (Modify/ResetCacheParameterGroup);
/// tags aside.
pub(crate) const IN_PLACE: &[&str] = &["parameters"];

/// The kind's name in its ARNs.
const ARN_KIND: &str = "parametergroup";

impl Adapter for CacheParameterGroup {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: CacheParameterGroupProps = step.props()?;
        let result = step
            .clients()
            .elasticache
            .create_cache_parameter_group()
            .cache_parameter_group_name(&props.name)
            .cache_parameter_group_family(&props.family)
            .description(&props.description)
            .set_tags(Some(cache_tags(&step.tags())))
            .send()
            .await
            .aws();
        match result {
            Ok(_) => {}
            Err(e) if e.code.contains("AlreadyExists") => {}
            Err(e) => return Err(e),
        }
        set_parameters(step, &props.name, &props.parameters).await?;
        Ok(group_outputs_by_name(step, ARN_KIND, &props.name))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: CacheParameterGroupProps = step.props()?;
        let name = props.name.as_str();
        if step.changed_any(IN_PLACE) {
            let desired = &props.parameters;
            let observed = parameter_map(
                step.request
                    .step
                    .observed
                    .as_ref()
                    .and_then(|o| o.get("parameters")),
            );
            let changed: BTreeMap<String, String> = desired
                .iter()
                .filter(|(k, v)| observed.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            set_parameters(step, name, &changed).await?;
            let removed: Vec<ParameterNameValue> = observed
                .keys()
                .filter(|k| !desired.contains_key(*k))
                .map(|k| ParameterNameValue::builder().parameter_name(k).build())
                .collect();
            if !removed.is_empty() {
                step.clients()
                    .elasticache
                    .reset_cache_parameter_group()
                    .cache_parameter_group_name(name)
                    .set_parameter_name_values(Some(removed))
                    .send()
                    .await
                    .aws()?;
            }
        }
        match sync_tags::<ElastiCacheTags>(step, &cx_arn(step, ARN_KIND, name)).await {
            Err(e) if e.code != "InvalidARN" => return Err(e),
            _ => {}
        }
        Ok(group_outputs_by_name(step, ARN_KIND, name))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing("name").unwrap_or(step.name()).to_string();
        let result = step
            .clients()
            .elasticache
            .delete_cache_parameter_group()
            .cache_parameter_group_name(&name)
            .send()
            .await
            .aws();
        not_found_as_none(result.map_err(in_use_is_conflict))?;
        Ok(Outputs::new())
    }
}

/// Sets `values` on group `name`, 20 to a ModifyCacheParameterGroup call.
async fn set_parameters(
    step: &AwsStep<'_>,
    name: &str,
    values: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    let entries: Vec<(&String, &String)> = values.iter().collect();
    for chunk in entries.chunks(20) {
        let values: Vec<ParameterNameValue> = chunk
            .iter()
            .map(|(k, v)| {
                ParameterNameValue::builder()
                    .parameter_name(*k)
                    .parameter_value(*v)
                    .build()
            })
            .collect();
        step.clients()
            .elasticache
            .modify_cache_parameter_group()
            .cache_parameter_group_name(name)
            .set_parameter_name_values(Some(values))
            .send()
            .await
            .aws()?;
    }
    Ok(())
}
