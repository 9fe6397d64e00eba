//! rds: DB subnet groups, parameter groups (instance and cluster) with their values, a DB
//! instance, or an Aurora cluster with its instances (serverless v2 scaling). Each kind's
//! adapter, with its read, is in its own file beside this one; here are the tagging calls and
//! what the kinds share: the parameter groups' calls and read, an instance's update, delete and
//! waits, and the reads' helpers.
//!
//! The master password is always generated and kept in Secrets Manager by RDS
//! (`ManageMasterUserPassword`): shinyctl never sees, sends or logs one. Identifiers are unique
//! per account and region, so creates look them up first. Deletes take a final snapshot unless
//! the operator's [`DataPolicy`](crate::aws::operator::DataPolicy) says not to, and turn deletion
//! protection off only when the user allowed losing data.
//!
//! Ids are ARNs throughout (a subnet group, a parameter group and the instance share one name,
//! and the reader maps ids back to addresses).

use std::collections::BTreeMap;

use aws_sdk_rds::types::{ApplyMethod, Parameter, Tag};
use serde::Serialize;
use serde_json::Value;

use super::parameters::{self, OwnedGroup};
use super::{AwsRead, AwsResult, AwsStep, Found, deleted, first_found, outputs, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::aws::config::Connection;
use crate::aws::tags::{self, TagSet};
use crate::plan::catalog::database::DbParameterGroupProps;
use crate::plan::{Resource, ResourceKind as K};

/// RDS's AddTagsToResource and RemoveTagsFromResource, by ARN (every RDS kind).
pub(crate) struct RdsTags;

super::tag_api!(
    RdsTags,
    rds,
    add_tags_to_resource / remove_tags_from_resource,
    resource_name,
    rds_tags
);

super::sdk_tags!(pub(super) rds_tags, Tag);

/// The ARN of the RDS resource of `kind` (`subgrp`, `pg`, `cluster-pg`, ...) named `name`.
pub(super) fn rds_arn(conn: &Connection, kind: &str, name: &str) -> String {
    conn.arn(
        "rds",
        &conn.region,
        &conn.account,
        &format!("{kind}:{name}"),
    )
}

/// A list of references (addresses), each resolved to its id.
pub(super) fn resolve_all(
    step: &AwsStep<'_>,
    addresses: &[String],
) -> Result<Vec<String>, StepError> {
    addresses.iter().map(|a| step.resolve(a)).collect()
}

/// A property's integer as RDS's 32-bit integer; a value that does not fit is not sent.
pub(super) fn int(n: impl TryInto<i32>) -> Option<i32> {
    n.try_into().ok()
}

/// RDS says "in use" with codes the engine does not know as conflicts.
pub(super) fn in_use_is_conflict(e: StepError) -> StepError {
    if e.code.starts_with("Invalid") && e.code.contains("State") {
        StepError::conflict(e.code, e.message)
    } else {
        e
    }
}

/// A status, shown while waiting.
pub(super) struct Status(pub(super) String);

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub(super) fn is_available(s: Option<&Status>) -> bool {
    s.is_some_and(|s| s.0 == "available")
}

pub(super) fn is_gone(s: Option<&Status>) -> bool {
    s.is_none()
}

// --- parameter groups (both kinds) ---------------------------------------------------------

/// Which of RDS's two parameter-group APIs a kind uses: the same calls, named `…DBParameter…`
/// or `…DBClusterParameter…`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ParameterGroup {
    /// A DB instance's (`db_parameter_group`).
    Instance,
    /// An Aurora cluster's (`db_cluster_parameter_group`).
    Cluster,
}

impl ParameterGroup {
    /// The resource type in the group's ARN.
    fn arn_kind(self) -> &'static str {
        match self {
            ParameterGroup::Instance => "pg",
            ParameterGroup::Cluster => "cluster-pg",
        }
    }

    fn kind(self) -> K {
        match self {
            ParameterGroup::Instance => K::DbParameterGroup,
            ParameterGroup::Cluster => K::DbClusterParameterGroup,
        }
    }
}

/// Sends one of the parameter-group calls in `$group`'s API — `$cluster`
/// (`…DBClusterParameterGroup`) or `$instance` (`…DBParameterGroup`) — for the group named
/// `$name`, with what `|$call| $with` adds (both APIs take their other fields under the same
/// names). Evaluates to `Result<(), StepError>`.
macro_rules! group_call {
    ($step:expr, $group:expr, $cluster:ident / $instance:ident, $name:expr, |$call:ident| $with:expr) => {
        match $group {
            ParameterGroup::Cluster => {
                let $call = $step
                    .clients()
                    .rds
                    .$cluster()
                    .db_cluster_parameter_group_name($name);
                $with.send().await.aws().map(drop)
            }
            ParameterGroup::Instance => {
                let $call = $step
                    .clients()
                    .rds
                    .$instance()
                    .db_parameter_group_name($name);
                $with.send().await.aws().map(drop)
            }
        }
    };
}

fn parameter_group_outputs(step: &AwsStep<'_>, group: ParameterGroup, name: &str) -> Outputs {
    let arn = rds_arn(step.conn, group.arn_kind(), name);
    outputs(&arn, Some(&arn), Some(name))
}

/// Sets parameters 20 at a time (RDS's limit), applied immediately where the parameter is
/// dynamic and at the next reboot where RDS says it is static.
async fn set_parameters(
    step: &AwsStep<'_>,
    group: ParameterGroup,
    name: &str,
    values: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    let entries: Vec<(&String, &String)> = values.iter().collect();
    for chunk in entries.chunks(20) {
        for method in [ApplyMethod::Immediate, ApplyMethod::PendingReboot] {
            let parameters: Vec<Parameter> = chunk
                .iter()
                .map(|(k, v)| {
                    Parameter::builder()
                        .parameter_name(*k)
                        .parameter_value(*v)
                        .apply_method(method.clone())
                        .build()
                })
                .collect();
            let result = group_call!(
                step,
                group,
                modify_db_cluster_parameter_group / modify_db_parameter_group,
                name,
                |call| call.set_parameters(Some(parameters))
            );
            match result {
                Ok(()) => break,
                // A static parameter cannot apply immediately: try again at the next reboot.
                Err(e)
                    if method == ApplyMethod::Immediate
                        && e.code.starts_with("InvalidParameter") =>
                {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Back to the family's defaults for parameters the blueprint no longer sets.
async fn reset_parameters(
    step: &AwsStep<'_>,
    group: ParameterGroup,
    name: &str,
    keys: &[String],
) -> Result<(), StepError> {
    for chunk in keys.chunks(20) {
        let parameters: Vec<Parameter> = chunk
            .iter()
            .map(|k| {
                Parameter::builder()
                    .parameter_name(k)
                    .apply_method(ApplyMethod::PendingReboot)
                    .build()
            })
            .collect();
        group_call!(
            step,
            group,
            reset_db_cluster_parameter_group / reset_db_parameter_group,
            name,
            |call| call.set_parameters(Some(parameters))
        )?;
    }
    Ok(())
}

/// Creates a parameter group of either kind (or finds the one an earlier attempt made) and
/// sets its values.
pub(super) async fn create_parameter_group(
    step: &AwsStep<'_>,
    group: ParameterGroup,
) -> Result<Outputs, StepError> {
    let props: DbParameterGroupProps = step.props()?;
    let tags = rds_tags(&step.tags());
    let result = group_call!(
        step,
        group,
        create_db_cluster_parameter_group / create_db_parameter_group,
        &props.name,
        |call| call
            .db_parameter_group_family(&props.family)
            .description(&props.description)
            .set_tags(Some(tags))
    );
    match result {
        Ok(()) => {}
        // Made by an earlier attempt: its values are set again below.
        Err(e) if e.code.contains("AlreadyExists") => {}
        Err(e) => return Err(e),
    }
    set_parameters(step, group, &props.name, &props.parameters).await?;
    Ok(parameter_group_outputs(step, group, &props.name))
}

/// Sets the values that changed, resets those the blueprint no longer sets, syncs the tags.
pub(super) async fn update_parameter_group(
    step: &AwsStep<'_>,
    group: ParameterGroup,
) -> Result<Outputs, StepError> {
    let props: DbParameterGroupProps = step.props()?;
    if step.changed_any(group.kind().in_place()) {
        let (changed, removed) = parameters::changes(step, &props.parameters);
        set_parameters(step, group, &props.name, &changed).await?;
        reset_parameters(step, group, &props.name, &removed).await?;
    }
    let out = parameter_group_outputs(step, group, &props.name);
    if let Some(Value::String(arn)) = out.get("arn") {
        sync_tags::<RdsTags>(step, arn).await?;
    }
    Ok(out)
}

/// Deletes a parameter group of either kind; one still in use is a conflict (retried after
/// its instance or cluster is gone).
pub(super) async fn delete_parameter_group(
    step: &AwsStep<'_>,
    group: ParameterGroup,
) -> Result<Outputs, StepError> {
    let name = step.existing_name();
    let result = group_call!(
        step,
        group,
        delete_db_cluster_parameter_group / delete_db_parameter_group,
        name,
        |call| call
    );
    deleted(result.map_err(in_use_is_conflict))
}

/// The parameter groups of `group`'s kind named for the blueprint (or desired) and tagged for
/// it, each owned one with its user-set values (DescribeDBParameters and
/// DescribeDBClusterParameters take one group: one call per group, all at once). Each kind's
/// read: the two listings are not waited for together.
pub(super) async fn read_parameter_groups(
    read: &AwsRead<'_>,
    group: ParameterGroup,
) -> Result<Vec<Found>, StepError> {
    let rds = &read.clients().rds;
    let prefix = read.name_prefix();
    let kind = group.kind();
    // Each listed group's name, family and description.
    let listed: Vec<(String, Option<String>, Option<String>)> = match group {
        ParameterGroup::Instance => {
            all_items!(rds.describe_db_parameter_groups(), db_parameter_groups)
                .into_iter()
                .filter_map(|g| {
                    let name = g.db_parameter_group_name?;
                    Some((name, g.db_parameter_group_family, g.description))
                })
                .collect()
        }
        ParameterGroup::Cluster => all_items!(
            rds.describe_db_cluster_parameter_groups(),
            db_cluster_parameter_groups
        )
        .into_iter()
        .filter_map(|g| {
            let name = g.db_cluster_parameter_group_name?;
            Some((name, g.db_parameter_group_family, g.description))
        })
        .collect(),
    };
    let candidates = listed.into_iter().filter(|(name, _, _)| {
        desired_named(read, kind, name).is_some() || name.starts_with(&prefix)
    });
    let found =
        futures::future::try_join_all(candidates.map(|(name, family, description)| async move {
            let desired = desired_named(read, kind, &name).is_some();
            read_parameter_group(read, group, &name, family, description, desired).await
        }))
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// One listed parameter group, if ours: its tags and its user-set values.
async fn read_parameter_group(
    read: &AwsRead<'_>,
    group: ParameterGroup,
    name: &str,
    family: Option<String>,
    description: Option<String>,
    desired: bool,
) -> Result<Option<Found>, StepError> {
    let arn = rds_arn(read.conn, group.arn_kind(), name);
    let Some((address, tags, values)) = read
        .owned_with(
            &arn,
            desired,
            || tags_of(read, &arn),
            || parameter_values(read, group, name),
        )
        .await?
    else {
        return Ok(None);
    };
    let owned = OwnedGroup {
        kind: group.kind(),
        arn: &arn,
        address,
        name,
        family: family.as_deref().unwrap_or_default(),
        description: description.as_deref().unwrap_or_default(),
        tags: &tags,
    };
    Ok(Some(
        owned.found(
            values
                .into_iter()
                .map(|p| (p.parameter_name, p.parameter_value)),
        ),
    ))
}

/// A parameter group's user-set values (settings: not read for destroy).
async fn parameter_values(
    read: &AwsRead<'_>,
    group: ParameterGroup,
    name: &str,
) -> Result<Vec<Parameter>, StepError> {
    let rds = &read.clients().rds;
    if read.inventory {
        return Ok(Vec::new());
    }
    let parameters = match group {
        ParameterGroup::Cluster => all_items!(
            rds.describe_db_cluster_parameters()
                .db_cluster_parameter_group_name(name)
                .source("user"),
            parameters
        ),
        ParameterGroup::Instance => all_items!(
            rds.describe_db_parameters()
                .db_parameter_group_name(name)
                .source("user"),
            parameters
        ),
    };
    Ok(parameters)
}

// --- instances (both kinds) ----------------------------------------------------------------

pub(super) async fn describe_instance(
    step: &AwsStep<'_>,
    id: &str,
) -> Result<Option<aws_sdk_rds::types::DbInstance>, StepError> {
    let result = step
        .clients()
        .rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .aws();
    first_found(result, |r| r.db_instances)
}

pub(super) fn instance_outputs(i: &aws_sdk_rds::types::DbInstance) -> Outputs {
    let id = i.db_instance_identifier().unwrap_or_default();
    let arn = i.db_instance_arn().unwrap_or(id);
    let mut out = outputs(arn, Some(arn), Some(id));
    if let Some(endpoint) = i.endpoint() {
        if let Some(address) = endpoint.address() {
            out.insert("endpoint".into(), Value::from(address));
        }
        if let Some(port) = endpoint.port() {
            out.insert("port".into(), Value::from(port));
        }
    }
    // Where the generated password lives (a reference, never the password).
    if let Some(secret) = i.master_user_secret().and_then(|s| s.secret_arn()) {
        out.insert("masterUserSecretArn".into(), Value::from(secret));
    }
    out
}

/// The instance's status; `None` once it is gone.
pub(super) async fn instance_status(
    step: &AwsStep<'_>,
    id: &str,
) -> Result<Option<Status>, StepError> {
    Ok(describe_instance(step, id)
        .await?
        .map(|i| Status(i.db_instance_status().unwrap_or_default().to_string())))
}

/// Waits until the instance is `available` (a `failed` or `incompatible-parameters` one is
/// fatal) and returns its outputs.
pub(super) async fn wait_instance(step: &AwsStep<'_>, id: &str) -> Result<Outputs, StepError> {
    step.wait_until(
        || async {
            let status = instance_status(step, id).await?;
            if let Some(s) = &status {
                if s.0 == "failed" || s.0 == "incompatible-parameters" {
                    return Err(StepError::fatal(
                        "InstanceFailed",
                        format!("DB instance {id} is {}", s.0),
                    ));
                }
            }
            Ok(status)
        },
        is_available,
    )
    .await?;
    let instance = describe_instance(step, id).await?;
    Ok(instance.map_or_else(|| outputs(id, None, Some(id)), |i| instance_outputs(&i)))
}

/// The desired values of what `update_instance` changes in place (ModifyDBInstance: the
/// instance kinds' spec rows say which), from either instance kind's properties: an Aurora
/// instance has only its class and visibility (its cluster holds the rest).
#[derive(Default)]
pub(super) struct InstanceSettings<'a> {
    pub(crate) instance_class: Option<&'a str>,
    pub(crate) allocated_storage: Option<u32>,
    pub(crate) multi_az: Option<bool>,
    pub(crate) backup_retention_period: Option<u32>,
    pub(crate) deletion_protection: Option<bool>,
    pub(crate) engine_version: Option<&'a str>,
    pub(crate) publicly_accessible: Option<bool>,
    pub(crate) port: Option<u16>,
    /// Addresses.
    pub(crate) vpc_security_groups: Option<&'a [String]>,
    /// An address.
    pub(crate) db_parameter_group: Option<&'a str>,
    /// An address.
    pub(crate) db_subnet_group: Option<&'a str>,
    pub(crate) manage_master_user_password: Option<bool>,
}

/// One ModifyDBInstance (applied immediately) with what the step changes, the wait for
/// `available`, then the tags.
pub(super) async fn update_instance(
    step: &AwsStep<'_>,
    id: &str,
    desired: &InstanceSettings<'_>,
) -> Result<Outputs, StepError> {
    if step.changed_any(step.request.kind().in_place()) {
        let mut request = step
            .clients()
            .rds
            .modify_db_instance()
            .db_instance_identifier(id)
            .apply_immediately(true);
        if step.changed("instanceClass") {
            request = request.set_db_instance_class(desired.instance_class.map(str::to_string));
        }
        if step.changed("allocatedStorage") {
            request = request.set_allocated_storage(desired.allocated_storage.and_then(int));
        }
        if step.changed("multiAz") {
            request = request.set_multi_az(desired.multi_az);
        }
        if step.changed("backupRetentionPeriod") {
            request =
                request.set_backup_retention_period(desired.backup_retention_period.and_then(int));
        }
        if step.changed("deletionProtection") {
            request = request.set_deletion_protection(desired.deletion_protection);
        }
        if step.changed("engineVersion") {
            request = request
                .set_engine_version(desired.engine_version.map(str::to_string))
                .allow_major_version_upgrade(true);
        }
        if step.changed("publiclyAccessible") {
            request = request.set_publicly_accessible(desired.publicly_accessible);
        }
        if step.changed("port") {
            request = request.set_db_port_number(desired.port.and_then(int));
        }
        if let Some(groups) = desired.vpc_security_groups
            && step.changed("vpcSecurityGroups")
        {
            request = request.set_vpc_security_group_ids(Some(resolve_all(step, groups)?));
        }
        if let Some(group) = desired.db_parameter_group
            && step.changed("dbParameterGroup")
        {
            request = request.db_parameter_group_name(step.name_of(group)?);
        }
        if let Some(group) = desired.db_subnet_group
            && step.changed("dbSubnetGroup")
        {
            request = request.db_subnet_group_name(step.name_of(group)?);
        }
        if step.changed("manageMasterUserPassword") {
            request = request.set_manage_master_user_password(desired.manage_master_user_password);
        }
        request.send().await.aws().map_err(in_use_is_conflict)?;
    }
    let out = wait_instance(step, id).await?;
    if let Some(Value::String(arn)) = out.get("arn") {
        sync_tags::<RdsTags>(step, arn).await?;
    }
    Ok(out)
}

/// The final snapshot's name: the identifier and the time, so each destroy keeps its own.
fn final_snapshot_name(id: &str) -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{id}-final-{seconds}")
}

/// The final snapshot a delete takes, if the operator's data policy asks for one.
pub(super) fn final_snapshot(step: &AwsStep<'_>, id: &str) -> Option<String> {
    step.data.final_snapshot.then(|| final_snapshot_name(id))
}

/// Whether AWS's deletion protection stops the delete, and whether we may lift it.
pub(super) async fn lift_deletion_protection(
    step: &AwsStep<'_>,
    id: &str,
    cluster: bool,
) -> Result<(), StepError> {
    let protected = if cluster {
        describe_cluster(step, id)
            .await?
            .and_then(|c| c.deletion_protection)
            .unwrap_or(false)
    } else {
        describe_instance(step, id)
            .await?
            .and_then(|i| i.deletion_protection)
            .unwrap_or(false)
    };
    if !protected {
        return Ok(());
    }
    if !step.data.allow_data_loss {
        return Err(StepError::fatal(
            "DeletionProtected",
            format!("{id} has deletion protection; destroy with --allow-data-loss to lift it"),
        ));
    }
    if cluster {
        step.clients()
            .rds
            .modify_db_cluster()
            .db_cluster_identifier(id)
            .deletion_protection(false)
            .apply_immediately(true)
            .send()
            .await
            .aws()?;
    } else {
        step.clients()
            .rds
            .modify_db_instance()
            .db_instance_identifier(id)
            .deletion_protection(false)
            .apply_immediately(true)
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

/// Deletes an instance and waits until it is gone. A standalone instance first has its
/// deletion protection lifted (only with `--allow-data-loss`) and keeps a final snapshot unless
/// the data policy says not to; an Aurora cluster's instance (`member`) has no snapshots of its
/// own: the cluster's is taken.
pub(super) async fn delete_instance(
    step: &AwsStep<'_>,
    member: bool,
) -> Result<Outputs, StepError> {
    let id = step.existing_name();
    if !member {
        lift_deletion_protection(step, id, false).await?;
    }
    let mut request = step
        .clients()
        .rds
        .delete_db_instance()
        .db_instance_identifier(id);
    request = match final_snapshot(step, id).filter(|_| !member) {
        Some(snapshot) => request.final_db_snapshot_identifier(snapshot),
        None => request.skip_final_snapshot(true),
    };
    let result = request.send().await.aws();
    match result {
        Ok(_) => {}
        Err(e) if super::is_not_found(&e) => return Ok(Outputs::new()),
        // Already being deleted (an earlier attempt).
        Err(e)
            if e.code.starts_with("InvalidDBInstanceState") && e.message.contains("deleting") => {}
        Err(e) => return Err(in_use_is_conflict(e)),
    }
    step.wait_until(|| instance_status(step, id), is_gone)
        .await?;
    Ok(Outputs::new())
}

// --- Aurora clusters (shared with the deletes) ---------------------------------------------

pub(super) async fn describe_cluster(
    step: &AwsStep<'_>,
    id: &str,
) -> Result<Option<aws_sdk_rds::types::DbCluster>, StepError> {
    let result = step
        .clients()
        .rds
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
        .aws();
    first_found(result, |r| r.db_clusters)
}

/// The cluster's status; `None` once it is gone.
pub(super) async fn cluster_status(
    step: &AwsStep<'_>,
    id: &str,
) -> Result<Option<Status>, StepError> {
    Ok(describe_cluster(step, id)
        .await?
        .map(|c| Status(c.status().unwrap_or_default().to_string())))
}

pub(super) fn cluster_outputs(c: &aws_sdk_rds::types::DbCluster) -> Outputs {
    let id = c.db_cluster_identifier().unwrap_or_default();
    let arn = c.db_cluster_arn().unwrap_or(id);
    let mut out = outputs(arn, Some(arn), Some(id));
    if let Some(endpoint) = c.endpoint() {
        out.insert("endpoint".into(), Value::from(endpoint));
    }
    if let Some(reader) = c.reader_endpoint() {
        out.insert("readerEndpoint".into(), Value::from(reader));
    }
    if let Some(port) = c.port() {
        out.insert("port".into(), Value::from(port));
    }
    if let Some(secret) = c.master_user_secret().and_then(|s| s.secret_arn()) {
        out.insert("masterUserSecretArn".into(), Value::from(secret));
    }
    out
}

// --- reading (what the kinds' reads share) -------------------------------------------------

/// One resource's tags (ListTagsForResource); see [`AwsRead::tags_for`] for when it is needed.
pub(super) async fn tags_of(read: &AwsRead<'_>, arn: &str) -> Result<TagSet, StepError> {
    tags_by_arn!(read, "rds", rds, resource_name, tag_list, arn, |t| {
        Some((t.key?, t.value.unwrap_or_default()))
    })
}

fn tag_list(list: &[Tag]) -> TagSet {
    tags::from_pairs(
        list.iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
    )
}

/// Security group ids, sorted (the catalog lists them in a stable order; RDS in any).
pub(super) fn sorted<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut ids: Vec<String> = ids.map(str::to_string).collect();
    ids.sort();
    ids
}

/// The desired resource of `kind` whose AWS name (its `name` property, else its name) is `name`.
pub(super) fn desired_named<'a>(read: &AwsRead<'a>, kind: K, name: &str) -> Option<&'a Resource> {
    read.desired_named(kind, &["name"], name)
}

/// The listed instances or clusters (which carry their tags) that are tagged for the blueprint
/// and not being deleted, each as `found` makes it.
pub(super) fn owned_and_kept<T>(
    read: &AwsRead<'_>,
    listed: impl Iterator<Item = T>,
    tags_of: impl Fn(&T) -> &[Tag],
    status: impl Fn(&T) -> Option<&str>,
    found: impl Fn(&T, crate::plan::Address, &TagSet) -> Found,
) -> Vec<Found> {
    listed
        .filter_map(|item| {
            let tags = tag_list(tags_of(&item));
            let address = read.owned(&tags)?;
            (status(&item) != Some("deleting")).then(|| found(&item, address, &tags))
        })
        .collect()
}

/// A found resource's properties from its kind's properties struct ([`Found::props`]).
pub(super) fn with_props<T: Serialize>(found: Found, props: &T) -> Found {
    found.props(props)
}

/// RDS's integers (never negative for these) as the properties' unsigned ones.
pub(super) fn unsigned<T: TryFrom<i32> + Default>(n: Option<i32>) -> T {
    n.and_then(|n| T::try_from(n).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_snapshots_are_named_after_the_resource() {
        assert!(final_snapshot_name("demo-db").starts_with("demo-db-final-"));
    }

    #[test]
    fn in_use_codes_become_conflicts() {
        let e = in_use_is_conflict(StepError::fatal("InvalidDBParameterGroupState", "in use"));
        assert_eq!(e.class, crate::apply::ErrorClass::Conflict);
        let e = in_use_is_conflict(StepError::fatal("InvalidParameterValue", "bad"));
        assert_eq!(e.class, crate::apply::ErrorClass::Fatal);
    }
}
