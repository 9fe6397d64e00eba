//! An Aurora cluster: it holds the data (its instances are `db_cluster_instance`). Its
//! identifier is unique per account and region, so create looks it up first; create and update
//! wait until it is `available`. The delete lifts deletion protection only with
//! `--allow-data-loss` and keeps a final snapshot unless the data policy says not to. Its read
//! lists the account's clusters (with their tags) and keeps those tagged for the blueprint.

use aws_sdk_rds::types::ServerlessV2ScalingConfiguration;
use serde_json::{Value, json};

use super::rds::{
    self, RdsTags, cluster_outputs, cluster_status, describe_cluster, in_use_is_conflict, int,
    is_available, is_gone, owned_and_kept, rds_arn, rds_tags, resolve_all, sorted, unsigned,
    with_props,
};
use super::stages::{Read, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, already_made_is_ok, outputs, sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::database::{DbClusterProps, ServerlessV2Scaling};

pub(crate) struct DbCluster;

fn scaling(s: Option<ServerlessV2Scaling>) -> Option<ServerlessV2ScalingConfiguration> {
    let s = s?;
    Some(
        ServerlessV2ScalingConfiguration::builder()
            .min_capacity(s.min_capacity)
            .max_capacity(s.max_capacity)
            .build(),
    )
}

async fn wait_cluster(step: &AwsStep<'_>, id: &str) -> Result<Outputs, StepError> {
    step.wait_until(|| cluster_status(step, id), is_available)
        .await?;
    let cluster = describe_cluster(step, id).await?;
    Ok(cluster.map_or_else(|| outputs(id, None, Some(id)), |c| cluster_outputs(&c)))
}

impl Adapter for DbCluster {
    const READS: &'static [Read] = &[first(("rds", "DescribeDBClusters"))];

    /// Clusters tagged for the blueprint.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let listed = all_items!(read.clients().rds.describe_db_clusters(), db_clusters).into_iter();
        Ok(owned_and_kept(
            read,
            listed,
            |c| c.tag_list(),
            |c| c.status(),
            |c, address, tags| cluster_found(read, c, address, tags),
        ))
    }

    /// The master password is generated and kept by RDS (`ManageMasterUserPassword`).
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: DbClusterProps = step.props()?;
        let id = &props.identifier;
        if describe_cluster(step, id).await?.is_none() {
            let request = step
                .clients()
                .rds
                .create_db_cluster()
                .db_cluster_identifier(id)
                .engine(&props.engine)
                .engine_version(&props.engine_version)
                .set_database_name(props.db_name.clone())
                .master_username(&props.master_username)
                .manage_master_user_password(true)
                .storage_encrypted(props.storage_encrypted)
                .set_port(int(props.port))
                .set_backup_retention_period(int(props.backup_retention_period))
                .deletion_protection(props.deletion_protection)
                .set_vpc_security_group_ids(Some(resolve_all(step, &props.vpc_security_groups)?))
                .set_serverless_v2_scaling_configuration(scaling(props.serverless_v2_scaling))
                .set_tags(Some(rds_tags(&step.tags())))
                .db_subnet_group_name(step.name_of(&props.db_subnet_group)?)
                .db_cluster_parameter_group_name(step.name_of(&props.db_cluster_parameter_group)?);
            already_made_is_ok(request.send().await.aws(), |e| {
                e.code == "DBClusterAlreadyExistsFault"
            })?;
        }
        wait_cluster(step, id).await
    }

    /// One ModifyDBCluster (applied immediately) with what the step changes, the wait for
    /// `available`, then the tags.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: DbClusterProps = step.props()?;
        let id = &props.identifier;
        if step.changed_any(K::DbCluster.in_place()) {
            let mut request = step
                .clients()
                .rds
                .modify_db_cluster()
                .db_cluster_identifier(id)
                .apply_immediately(true);
            if step.changed("serverlessV2Scaling") {
                request = request
                    .set_serverless_v2_scaling_configuration(scaling(props.serverless_v2_scaling));
            }
            if step.changed("backupRetentionPeriod") {
                request = request.set_backup_retention_period(int(props.backup_retention_period));
            }
            if step.changed("deletionProtection") {
                request = request.deletion_protection(props.deletion_protection);
            }
            if step.changed("engineVersion") {
                request = request
                    .engine_version(&props.engine_version)
                    .allow_major_version_upgrade(true);
            }
            if step.changed("port") {
                request = request.set_port(int(props.port));
            }
            if step.changed("vpcSecurityGroups") {
                request = request.set_vpc_security_group_ids(Some(resolve_all(
                    step,
                    &props.vpc_security_groups,
                )?));
            }
            if step.changed("dbClusterParameterGroup") {
                request = request.db_cluster_parameter_group_name(
                    step.name_of(&props.db_cluster_parameter_group)?,
                );
            }
            if step.changed("manageMasterUserPassword") {
                request = request.manage_master_user_password(props.manage_master_user_password);
            }
            request.send().await.aws().map_err(in_use_is_conflict)?;
        }
        let out = wait_cluster(step, id).await?;
        if let Some(Value::String(arn)) = out.get("arn") {
            sync_tags::<RdsTags>(step, arn).await?;
        }
        Ok(out)
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_name();
        rds::lift_deletion_protection(step, id, true).await?;
        let mut request = step
            .clients()
            .rds
            .delete_db_cluster()
            .db_cluster_identifier(id);
        request = match rds::final_snapshot(step, id) {
            Some(snapshot) => request.final_db_snapshot_identifier(snapshot),
            None => request.skip_final_snapshot(true),
        };
        match request.send().await.aws() {
            Ok(_) => {}
            Err(e) if super::is_not_found(&e) => return Ok(Outputs::new()),
            Err(e) => return Err(in_use_is_conflict(e)),
        }
        step.wait_until(|| cluster_status(step, id), is_gone)
            .await?;
        Ok(Outputs::new())
    }
}

fn cluster_found(
    read: &AwsRead<'_>,
    c: &aws_sdk_rds::types::DbCluster,
    address: crate::plan::Address,
    tags: &TagSet,
) -> Found {
    let id = c.db_cluster_identifier().unwrap_or_default();
    let found = Found::new(K::DbCluster, c.db_cluster_arn().unwrap_or(id))
        .at(Some(address))
        .named(id);
    let props = DbClusterProps {
        identifier: id.to_string(),
        engine: c.engine().unwrap_or_default().to_string(),
        engine_version: c.engine_version().unwrap_or_default().to_string(),
        db_name: c
            .database_name()
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        master_username: c.master_username().unwrap_or_default().to_string(),
        manage_master_user_password: c.master_user_secret().is_some(),
        storage_encrypted: c.storage_encrypted().unwrap_or(false),
        port: unsigned(c.port()),
        db_subnet_group: rds_arn(read.conn, "subgrp", c.db_subnet_group().unwrap_or_default()),
        vpc_security_groups: sorted(
            c.vpc_security_groups()
                .iter()
                .filter_map(|g| g.vpc_security_group_id()),
        ),
        backup_retention_period: unsigned(c.backup_retention_period()),
        deletion_protection: c.deletion_protection().unwrap_or(false),
        db_cluster_parameter_group: rds_arn(
            read.conn,
            "cluster-pg",
            c.db_cluster_parameter_group().unwrap_or_default(),
        ),
        // Added below as RDS answers it (either capacity may be missing).
        serverless_v2_scaling: None,
    };
    let mut f = with_props(found, &props);
    if let Some(s) = c.serverless_v2_scaling_configuration() {
        f = f.with(
            "serverlessV2Scaling",
            json!({"minCapacity": s.min_capacity(), "maxCapacity": s.max_capacity()}),
        );
    }
    f = f.with("tags", tags::to_value(tags));
    f.outputs = cluster_outputs(c);
    f
}
