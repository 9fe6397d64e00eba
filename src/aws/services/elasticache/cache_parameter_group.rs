//! An ElastiCache parameter group with its values (its family and `cluster-enabled` must match
//! the replication group). Its name is unique per account and region; its ARN is its id. Its
//! read lists the account's groups and reads the user-set values of each one that is ours.

use std::collections::BTreeMap;

use aws_sdk_elasticache::types::{CacheParameterGroup as Listed, ParameterNameValue};

use super::elasticache::{
    ElastiCacheTags, cache_arn, cache_tags, desired_named, group_outputs_by_name,
    in_use_is_conflict, tags_of,
};
use super::parameters::{self, OwnedGroup};
use super::stages::{Read, TAGGED, after, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, already_made_is_ok, deleted,
    not_found_as_none, sync_tags,
};
use crate::apply::StepError;
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::cache::CacheParameterGroupProps;

pub(crate) struct CacheParameterGroup;

/// The kind's name in its ARNs.
const ARN_KIND: &str = "parametergroup";

impl Adapter for CacheParameterGroup {
    // The values beside the group's own tag read (declared with the subnet group's reads).
    const READS: &'static [Read] = &[
        first(("elasticache", "DescribeCacheParameterGroups")),
        after(
            ("elasticache", "DescribeCacheParameters"),
            &[("elasticache", "DescribeCacheParameterGroups"), TAGGED],
        ),
    ];

    /// Parameter groups named for the blueprint, each owned one with its user-set values
    /// (DescribeCacheParameters takes one group): every group's at once.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let ec = &read.clients().elasticache;
        let groups = all_items!(
            ec.describe_cache_parameter_groups().max_records(100),
            cache_parameter_groups
        )
        .into_iter();
        let found =
            futures::future::try_join_all(groups.map(|g| parameter_group_found(read, g))).await?;
        Ok(found.into_iter().flatten().collect())
    }

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
        already_made_is_ok(result, |e| e.code.contains("AlreadyExists"))?;
        set_parameters(step, &props.name, &props.parameters).await?;
        Ok(group_outputs_by_name(step, ARN_KIND, &props.name))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: CacheParameterGroupProps = step.props()?;
        let name = props.name.as_str();
        if step.changed_any(K::CacheParameterGroup.in_place()) {
            let (changed, removed) = parameters::changes(step, &props.parameters);
            set_parameters(step, name, &changed).await?;
            let removed: Vec<ParameterNameValue> = removed
                .iter()
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
        match sync_tags::<ElastiCacheTags>(step, &cache_arn(step.conn, ARN_KIND, name)).await {
            Err(e) if e.code != "InvalidARN" => return Err(e),
            _ => {}
        }
        Ok(group_outputs_by_name(step, ARN_KIND, name))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_name();
        let elasticache = &step.clients().elasticache;
        deleted(
            elasticache
                .delete_cache_parameter_group()
                .cache_parameter_group_name(name)
                .send()
                .await
                .aws()
                .map_err(in_use_is_conflict),
        )
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

async fn parameter_group_found(read: &AwsRead<'_>, g: Listed) -> Result<Option<Found>, StepError> {
    let ec = &read.clients().elasticache;
    let prefix = read.name_prefix();
    let Some(name) = g.cache_parameter_group_name() else {
        return Ok(None);
    };
    let desired = desired_named(read, K::CacheParameterGroup, name);
    if desired.is_none() && !name.starts_with(&prefix) {
        return Ok(None);
    }
    let arn = cache_arn(read.conn, ARN_KIND, name);
    // The values (settings: not for destroy) are read beside the group's own tag read where
    // the tagging API's answer does not list it.
    let values = || async {
        if read.inventory {
            return Ok(Vec::new());
        }
        Ok::<_, StepError>(all_pages!(
            ec.describe_cache_parameters()
                .cache_parameter_group_name(name)
                .source("user")
                .into_paginator()
                .send()
        ))
    };
    // Whose it is: the tagging API's answer, else (for the blueprint's own name) the group's
    // own tag read.
    let resolve = async {
        if let Some(tags) = read.tagged().await?.get(&arn).cloned() {
            return Ok::<_, StepError>(read.owned(&tags).map(|address| (tags, address)));
        }
        let Some(d) = desired else {
            return Ok(None);
        };
        match not_found_as_none(tags_of(read, &arn).await) {
            Ok(Some(tags)) => Ok(read.owned(&tags).map(|address| (tags, address))),
            Ok(None) => Ok(None),
            // An endpoint that cannot tag parameter groups (the emulator answers InvalidARN)
            // leaves the blueprint's derived name as the only sign of ownership: read by name.
            Err(e) if e.code == "InvalidARN" => Ok(Some((
                tags::from_properties(&d.properties),
                d.address.clone(),
            ))),
            Err(e) => Err(e),
        }
    };
    // The blueprint's own group's values are read at once, beside that; another's only once its
    // tags say it is ours.
    let ((tags, address), pages) = if desired.is_some() {
        let (resolved, pages) = futures::join!(resolve, values());
        let Some(resolved) = resolved? else {
            return Ok(None);
        };
        (resolved, pages?)
    } else {
        let Some(resolved) = resolve.await? else {
            return Ok(None);
        };
        (resolved, values().await?)
    };
    let owned = OwnedGroup {
        kind: K::CacheParameterGroup,
        arn: &arn,
        address,
        name,
        family: g.cache_parameter_group_family().unwrap_or_default(),
        description: g.description().unwrap_or_default(),
        tags: &tags,
    };
    let values = pages
        .into_iter()
        .flat_map(|p| p.parameters.unwrap_or_default());
    Ok(Some(owned.found(
        values.map(|p| (p.parameter_name, p.parameter_value)),
    )))
}
