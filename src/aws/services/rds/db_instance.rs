//! A DB instance (MySQL, PostgreSQL): it holds data. Its identifier is unique per account and
//! region, so create looks it up first; create and update wait until it is `available`. Update
//! and delete are an Aurora instance's too, shared in `rds`: the delete lifts deletion
//! protection only with `--allow-data-loss` and keeps a final snapshot unless the data policy
//! says not to. Its read lists the instances of both kinds (one DescribeDBInstances answer holds
//! them, with their tags): an Aurora cluster's instances are read here.

use super::rds::{
    self, InstanceSettings, describe_instance, instance_outputs, int, owned_and_kept, rds_arn,
    rds_tags, sorted, unsigned, with_props,
};
use super::stages::{Read, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, already_made_is_ok};
use crate::apply::StepError;
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::database::{DbClusterInstanceProps, DbInstanceProps};

pub(crate) struct DbInstance;

impl Adapter for DbInstance {
    const READS: &'static [Read] = &[first(("rds", "DescribeDBInstances"))];

    /// Instances (of either kind) tagged for the blueprint.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let listed =
            all_items!(read.clients().rds.describe_db_instances(), db_instances).into_iter();
        Ok(owned_and_kept(
            read,
            listed,
            |i| i.tag_list(),
            |i| i.db_instance_status(),
            |i, address, tags| instance_found(read, i, address, tags),
        ))
    }

    /// The master password is generated and kept by RDS (`ManageMasterUserPassword`).
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: DbInstanceProps = step.props()?;
        let id = &props.identifier;
        if describe_instance(step, id).await?.is_none() {
            let request = step
                .clients()
                .rds
                .create_db_instance()
                .db_instance_identifier(id)
                .db_instance_class(&props.instance_class)
                .engine(&props.engine)
                .engine_version(&props.engine_version)
                .set_db_name(props.db_name.clone())
                .master_username(&props.master_username)
                .manage_master_user_password(true)
                .storage_encrypted(props.storage_encrypted)
                .set_port(int(props.port))
                .set_allocated_storage(int(props.allocated_storage))
                .multi_az(props.multi_az)
                .publicly_accessible(props.publicly_accessible)
                .set_backup_retention_period(int(props.backup_retention_period))
                .deletion_protection(props.deletion_protection)
                .set_vpc_security_group_ids(Some(rds::resolve_all(
                    step,
                    &props.vpc_security_groups,
                )?))
                .set_tags(Some(rds_tags(&step.tags())))
                .db_subnet_group_name(step.name_of(&props.db_subnet_group)?)
                .db_parameter_group_name(step.name_of(&props.db_parameter_group)?);
            already_made_is_ok(request.send().await.aws(), |e| {
                e.code == "DBInstanceAlreadyExists"
            })?;
        }
        rds::wait_instance(step, id).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: DbInstanceProps = step.props()?;
        let desired = InstanceSettings {
            instance_class: Some(&props.instance_class),
            allocated_storage: Some(props.allocated_storage),
            multi_az: Some(props.multi_az),
            backup_retention_period: Some(props.backup_retention_period),
            deletion_protection: Some(props.deletion_protection),
            engine_version: Some(&props.engine_version),
            publicly_accessible: Some(props.publicly_accessible),
            port: Some(props.port),
            vpc_security_groups: Some(&props.vpc_security_groups),
            db_parameter_group: Some(&props.db_parameter_group),
            db_subnet_group: Some(&props.db_subnet_group),
            manage_master_user_password: Some(props.manage_master_user_password),
        };
        rds::update_instance(step, &props.identifier, &desired).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        rds::delete_instance(step, false).await
    }
}

fn instance_found(
    read: &AwsRead<'_>,
    i: &aws_sdk_rds::types::DbInstance,
    address: crate::plan::Address,
    tags: &TagSet,
) -> Found {
    let id = i.db_instance_identifier().unwrap_or_default();
    let kind = if i.db_cluster_identifier().is_some() {
        K::DbClusterInstance
    } else {
        K::DbInstance
    };
    let found = Found::new(kind, i.db_instance_arn().unwrap_or(id))
        .at(Some(address.clone()))
        .named(id);
    let mut f = if let Some(cluster) = i.db_cluster_identifier() {
        // Shown only where the blueprint pins it (multi-AZ: one instance per zone).
        let pinned = read
            .desired_of(K::DbClusterInstance)
            .any(|d| d.address == address && d.properties.contains_key("availabilityZone"));
        with_props(
            found,
            &DbClusterInstanceProps {
                identifier: id.to_string(),
                cluster: rds_arn(read.conn, "cluster", cluster),
                engine: i.engine().unwrap_or_default().to_string(),
                instance_class: i.db_instance_class().unwrap_or_default().to_string(),
                publicly_accessible: i.publicly_accessible().unwrap_or(false),
                availability_zone: i.availability_zone().filter(|_| pinned).map(str::to_string),
            },
        )
    } else {
        let subnet_group = i
            .db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .unwrap_or_default();
        let parameter_group = i
            .db_parameter_groups()
            .first()
            .and_then(|g| g.db_parameter_group_name())
            .unwrap_or_default();
        with_props(
            found,
            &DbInstanceProps {
                identifier: id.to_string(),
                instance_class: i.db_instance_class().unwrap_or_default().to_string(),
                allocated_storage: unsigned(i.allocated_storage()),
                multi_az: i.multi_az().unwrap_or(false),
                publicly_accessible: i.publicly_accessible().unwrap_or(false),
                db_parameter_group: rds_arn(read.conn, "pg", parameter_group),
                engine: i.engine().unwrap_or_default().to_string(),
                engine_version: i.engine_version().unwrap_or_default().to_string(),
                db_name: i.db_name().filter(|n| !n.is_empty()).map(str::to_string),
                master_username: i.master_username().unwrap_or_default().to_string(),
                manage_master_user_password: i.master_user_secret().is_some(),
                storage_encrypted: i.storage_encrypted().unwrap_or(false),
                port: unsigned(i.endpoint().and_then(|e| e.port()).or(i.db_instance_port())),
                db_subnet_group: rds_arn(read.conn, "subgrp", subnet_group),
                vpc_security_groups: sorted(
                    i.vpc_security_groups()
                        .iter()
                        .filter_map(|g| g.vpc_security_group_id()),
                ),
                backup_retention_period: unsigned(i.backup_retention_period()),
                deletion_protection: i.deletion_protection().unwrap_or(false),
            },
        )
    };
    f = f.with("tags", tags::to_value(tags));
    f.outputs = instance_outputs(i);
    f
}
