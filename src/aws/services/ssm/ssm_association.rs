//! A State Manager association: applies a document's version to the instances its targets name,
//! `MaxConcurrency` at a time, stopping after `MaxErrors` failures. State Manager runs it as soon
//! as it is made or changed (botocore `ssm` UpdateAssociation: "the association immediately runs
//! against the specified targets"), so the create and the update wait until its overview says
//! `Success`, as the Terraform AWS provider's `aws_ssm_association` does with
//! `wait_for_success_timeout_seconds` (DescribeAssociation's `Overview.Status`: `Pending` until
//! it has run, then `Success` or `Failed`; botocore has no waiter for it). A failure names the
//! instances it failed on and where to see why. An association whose targets match no managed
//! node succeeds at once: on AWS an instance whose SSM agent has not registered yet is no node,
//! so the servers' association must come after their instances are up.
//!
//! UpdateAssociation "removes all optional parameters from the request and overwrites the
//! association with null values for those parameters" (botocore), so the update sends them all.
//!
//! An association whose last run failed is read with the marker `lastRun: Failed`: the plan
//! replaces it, which runs it again (fix the cause first: the failure says where to look).
//!
//! Read: ListAssociations (every association of the account and region, one call per page of 50;
//! no filter takes a name prefix), those named with the blueprint's prefix, their tags from the
//! tagging API's answer (ListTagsForResource with ResourceType `Association` for a desired one it
//! does not list) and, for the blueprint's, DescribeAssociation: the listing lacks the rate
//! controls.

use std::fmt;

use aws_sdk_ssm::types::{
    Association, AssociationDescription, AssociationExecutionTargetsFilter,
    AssociationExecutionTargetsFilterKey, AssociationFilter, AssociationFilterKey,
    ResourceTypeForTagging, Target,
};
use serde_json::Value;

use super::ssm::{AssociationTags, gone_as_none, ssm_tags};
use super::stages::{NOT_LISTED, Read, after, fallback, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted, outputs, sync_tags};
use crate::apply::wait::has;
use crate::apply::{Outputs, StepError};
use crate::aws::config::Connection;
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::servers::{SsmAssociationProps, SsmTarget};

pub(crate) struct SsmAssociation;

impl Adapter for SsmAssociation {
    const READS: &'static [Read] = &[
        first(("ssm", "ListAssociations")),
        fallback(
            ("ssm", "ListTagsForResource"),
            &[("ssm", "ListAssociations")],
            NOT_LISTED,
        ),
        after(
            ("ssm", "DescribeAssociation"),
            &[("ssm", "ListAssociations")],
        ),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let prefix = read.name_prefix();
        let named = all_items!(
            read.clients().ssm.list_associations().max_results(50),
            associations
        )
        .into_iter()
        .filter(|a| a.association_name().is_some_and(|n| n.starts_with(&prefix)));
        let found =
            futures::future::try_join_all(named.map(|a| association_found(read, a))).await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Adopts the association an interrupted run made (its name and this address's tag), else
    /// creates it tagged; then waits until it has run on every target.
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: SsmAssociationProps = step.props()?;
        let id = match made_before(step, &props.association_name).await? {
            Some(id) => id,
            None => create(step, &props).await?,
        };
        wait_for_success(step, &id, &props.association_name).await?;
        Ok(association_outputs(step.conn, &id, &props.association_name))
    }

    /// UpdateAssociation with every member (AWS clears what it leaves out), then the same wait:
    /// the new version runs at once.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: SsmAssociationProps = step.props()?;
        let id = step.existing_id()?;
        if step.changed_any(K::SsmAssociation.in_place()) {
            step.clients()
                .ssm
                .update_association()
                .association_id(id)
                .name(step.resolve(&props.document)?)
                .document_version(document_version(step, &props)?)
                .association_name(&props.association_name)
                .set_targets(Some(sdk_targets(&props.targets)))
                .max_concurrency(&props.max_concurrency)
                .max_errors(&props.max_errors)
                .set_schedule_expression(props.schedule_expression.clone())
                .send()
                .await
                .aws()?;
            wait_for_success(step, id, &props.association_name).await?;
        }
        sync_tags::<AssociationTags>(step, id).await?;
        Ok(association_outputs(step.conn, id, &props.association_name))
    }

    /// DeleteAssociation: gone at once. The instances keep the configuration last applied
    /// ("When you disassociate a document from a managed node, it doesn't change the
    /// configuration of the node", botocore DeleteAssociation).
    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        let ssm = &step.clients().ssm;
        deleted(gone_as_none(
            ssm.delete_association()
                .association_id(id)
                .send()
                .await
                .aws(),
        ))
    }
}

/// CreateAssociation with the ownership tags (ResourceTypeForTagging has `Association`).
async fn create(step: &AwsStep<'_>, props: &SsmAssociationProps) -> Result<String, StepError> {
    let created = step
        .clients()
        .ssm
        .create_association()
        .name(step.resolve(&props.document)?)
        .document_version(document_version(step, props)?)
        .association_name(&props.association_name)
        .set_targets(Some(sdk_targets(&props.targets)))
        .max_concurrency(&props.max_concurrency)
        .max_errors(&props.max_errors)
        .set_schedule_expression(props.schedule_expression.clone())
        .set_tags(Some(ssm_tags(&step.tags())))
        .send()
        .await
        .aws()?;
    created
        .association_description()
        .and_then(|d| d.association_id())
        .map(str::to_string)
        .ok_or_else(|| StepError::transient("NoId", "CreateAssociation answered no association id"))
}

/// The document version, references resolved (`${<document>#version}` → its default version).
fn document_version(step: &AwsStep<'_>, props: &SsmAssociationProps) -> Result<String, StepError> {
    Ok(step
        .resolve_embedded(&Value::from(props.document_version.as_str()))?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

fn sdk_targets(targets: &[SsmTarget]) -> Vec<Target> {
    targets
        .iter()
        .map(|t| {
            Target::builder()
                .key(&t.key)
                .set_values(Some(t.values.clone()))
                .build()
        })
        .collect()
}

/// `id` (the association id every call takes), `arn`, `name` (the association's name).
fn association_outputs(conn: &Connection, id: &str, name: &str) -> Outputs {
    outputs(id, Some(&association_arn(conn, id)), Some(name))
}

/// `arn:<partition>:ssm:<region>:<account>:association/<id>` (the ARN the tagging API lists).
fn association_arn(conn: &Connection, id: &str) -> String {
    conn.arn(
        "ssm",
        &conn.region,
        &conn.account,
        &format!("association/{id}"),
    )
}

/// The association named `name` that carries this step's address: what an interrupted run made.
async fn made_before(step: &AwsStep<'_>, name: &str) -> Result<Option<String>, StepError> {
    let filter = AssociationFilter::builder()
        .key(AssociationFilterKey::AssociationName)
        .value(name)
        .build()
        .map_err(|e| StepError::fatal("InvalidFilter", e.to_string()))?;
    let listed = step
        .clients()
        .ssm
        .list_associations()
        .association_filter_list(filter)
        .send()
        .await
        .aws()?;
    for id in listed
        .associations()
        .iter()
        .filter_map(Association::association_id)
    {
        let tags = association_tags(step.conn, id).await?;
        let at = tags
            .get(tags::ADDRESS_TAG)
            .is_some_and(|a| tags::is_address(a, step.address()));
        if at && tags.get(tags::BLUEPRINT_TAG).map(String::as_str) == Some(step.blueprint) {
            return Ok(Some(id.to_string()));
        }
    }
    Ok(None)
}

/// One association's tags (ListTagsForResource); none once it is gone.
async fn association_tags(conn: &Connection, id: &str) -> Result<TagSet, StepError> {
    let listed = gone_as_none(
        conn.clients
            .ssm
            .list_tags_for_resource()
            .resource_type(ResourceTypeForTagging::Association)
            .resource_id(id)
            .send()
            .await
            .aws(),
    )?;
    Ok(tags::from_pairs(
        listed
            .map(|l| l.tag_list.unwrap_or_default())
            .unwrap_or_default()
            .iter()
            .map(|t| (t.key(), t.value())),
    ))
}

/// What the wait sees of the association: its overview.
#[derive(Debug, Clone)]
struct Overview {
    status: String,
    detailed: String,
}

impl fmt::Display for Overview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.status, self.detailed)
    }
}

/// DescribeAssociation of one association; `None` once it is gone.
async fn describe(
    ssm: &aws_sdk_ssm::Client,
    id: &str,
) -> Result<Option<AssociationDescription>, StepError> {
    let described = gone_as_none(
        ssm.describe_association()
            .association_id(id)
            .send()
            .await
            .aws(),
    )?;
    Ok(described.and_then(|d| d.association_description))
}

async fn overview(step: &AwsStep<'_>, id: &str) -> Result<Option<Overview>, StepError> {
    let described = describe(&step.clients().ssm, id).await?;
    Ok(described.map(|d| {
        let overview = d.overview();
        Overview {
            status: overview
                .and_then(|o| o.status())
                .unwrap_or("Pending")
                .to_string(),
            detailed: overview
                .and_then(|o| o.detailed_status())
                .unwrap_or_default()
                .to_string(),
        }
    }))
}

/// Until the overview leaves `Pending` (the Terraform AWS provider's waitAssociationSuccess:
/// pending `Pending`, target `Success`); `Failed` is a fatal error that names the instances.
/// Looked at once first, as that `StateChangeConf` (no `Delay`) does: an association whose
/// targets match no node yet (the servers' group is made after it) has nothing to run.
async fn wait_for_success(step: &AwsStep<'_>, id: &str, name: &str) -> Result<(), StepError> {
    let done = step
        .engine
        .wait_until_looking_first(
            || overview(step, id),
            has(|o: &Overview| o.status != "Pending"),
        )
        .await?;
    match done {
        Some(o) if o.status == "Success" => Ok(()),
        Some(o) => Err(failure(step, id, name, &o).await),
        None => Err(StepError::fatal(
            "AssociationDoesNotExist",
            format!(
                "{}: association {name} ({id}) was deleted while it ran",
                step.address()
            ),
        )),
    }
}

/// The error of a failed run: which instances failed (the newest execution's targets with status
/// `Failed`) and the commands that show why.
async fn failure(step: &AwsStep<'_>, id: &str, name: &str, overview: &Overview) -> StepError {
    let execution = failed_targets(step, id).await.ok().flatten();
    let (execution_id, instances) = execution.unwrap_or_default();
    let on = if instances.is_empty() {
        String::new()
    } else {
        format!(" on {}", instances.join(", "))
    };
    let targets = if execution_id.is_empty() {
        String::new()
    } else {
        format!(
            " and `aws ssm describe-association-execution-targets --association-id {id} \
             --execution-id {execution_id}` (each target's OutputSource is the Run Command \
             invocation: `aws ssm get-command-invocation`)"
        )
    };
    StepError::fatal(
        "AssociationFailed",
        format!(
            "{}: association {name} ({id}) ended {}{on}; see why with `aws ssm \
             describe-association-executions --association-id {id}`{targets}",
            step.address(),
            overview.status,
        ),
    )
}

/// The newest execution's id and its failed targets' instance ids.
async fn failed_targets(
    step: &AwsStep<'_>,
    id: &str,
) -> Result<Option<(String, Vec<String>)>, StepError> {
    let ssm = &step.clients().ssm;
    let executions = ssm
        .describe_association_executions()
        .association_id(id)
        .send()
        .await
        .aws()?;
    let Some(execution) = executions
        .association_executions()
        .iter()
        .max_by_key(|e| e.created_time().map(|t| (t.secs(), t.subsec_nanos())))
        .and_then(|e| e.execution_id())
    else {
        return Ok(None);
    };
    let failed = AssociationExecutionTargetsFilter::builder()
        .key(AssociationExecutionTargetsFilterKey::Status)
        .value("Failed")
        .build()
        .map_err(|e| StepError::fatal("InvalidFilter", e.to_string()))?;
    let targets = ssm
        .describe_association_execution_targets()
        .association_id(id)
        .execution_id(execution)
        .filters(failed)
        .send()
        .await
        .aws()?;
    let instances = targets
        .association_execution_targets()
        .iter()
        .filter_map(|t| t.resource_id().map(str::to_string))
        .collect();
    Ok(Some((execution.to_string(), instances)))
}

/// A listed association, if the blueprint's, with its description (not for destroy's inventory).
async fn association_found(read: &AwsRead<'_>, a: Association) -> Result<Option<Found>, StepError> {
    let (Some(id), Some(name)) = (a.association_id(), a.association_name()) else {
        return Ok(None);
    };
    let arn = association_arn(read.conn, id);
    let desired = read
        .desired_named(K::SsmAssociation, &["associationName"], name)
        .is_some();
    let Some((address, tags, described)) = read
        .owned_with(
            &arn,
            desired,
            || association_tags(read.conn, id),
            || async {
                if read.inventory {
                    return Ok(None);
                }
                describe(&read.clients().ssm, id).await
            },
        )
        .await?
    else {
        return Ok(None);
    };
    let props = match &described {
        Some(d) => props_of(d),
        None => SsmAssociationProps {
            association_name: name.to_string(),
            document: a.name().unwrap_or_default().to_string(),
            document_version: a.document_version().unwrap_or_default().to_string(),
            targets: targets_of(a.targets()),
            max_concurrency: String::new(),
            max_errors: String::new(),
            schedule_expression: a.schedule_expression().map(str::to_string),
        },
    };
    let mut found = Found::new(K::SsmAssociation, id)
        .at(Some(address))
        .named(name)
        .props(&props);
    // The spec row's broken marker: its last run failed, so the plan replaces it (runs it again).
    let failed = a
        .overview()
        .and_then(|o| o.status())
        .is_some_and(|s| s == "Failed");
    if failed {
        found = found.with("lastRun", "Failed");
    }
    found = found.with("tags", tags::to_value(&tags));
    found.outputs = association_outputs(read.conn, id, name);
    Ok(Some(found))
}

/// A description in the catalog's shape; the document by its name (the reader turns it back
/// into the document's address), the version as AWS has it.
fn props_of(d: &AssociationDescription) -> SsmAssociationProps {
    SsmAssociationProps {
        association_name: d.association_name().unwrap_or_default().to_string(),
        document: d.name().unwrap_or_default().to_string(),
        document_version: d.document_version().unwrap_or_default().to_string(),
        targets: targets_of(d.targets()),
        max_concurrency: d.max_concurrency().unwrap_or_default().to_string(),
        max_errors: d.max_errors().unwrap_or_default().to_string(),
        schedule_expression: d.schedule_expression().map(str::to_string),
    }
}

fn targets_of(targets: &[Target]) -> Vec<SsmTarget> {
    targets
        .iter()
        .map(|t| SsmTarget {
            key: t.key().unwrap_or_default().to_string(),
            values: t.values().to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_go_to_aws_and_come_back_the_same() {
        let targets = vec![SsmTarget {
            key: "tag:shinyctl.dev/servers".into(),
            values: vec!["app".into()],
        }];
        assert_eq!(targets_of(&sdk_targets(&targets)), targets);
    }

    #[test]
    fn a_description_reads_as_the_catalog_writes_it() {
        let d = AssociationDescription::builder()
            .association_name("demo-app")
            .name("demo-app-nginx")
            .document_version("2")
            .targets(
                Target::builder()
                    .key("tag:shinyctl.dev/servers")
                    .values("app")
                    .build(),
            )
            .max_concurrency("1")
            .max_errors("0")
            .build();
        let props = props_of(&d);
        assert_eq!(
            serde_json::to_value(&props).expect("serialises"),
            serde_json::json!({
                "associationName": "demo-app",
                "document": "demo-app-nginx",
                "documentVersion": "2",
                "targets": [{"key": "tag:shinyctl.dev/servers", "values": ["app"]}],
                "maxConcurrency": "1",
                "maxErrors": "0",
            })
        );
    }
}
