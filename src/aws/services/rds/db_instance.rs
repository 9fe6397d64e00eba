//! A DB instance (MySQL, PostgreSQL): it holds data. Its identifier is unique per account and
//! region, so create looks it up first; create and update wait until it is `available`. Update
//! and delete are an Aurora instance's too, shared in `rds`: the delete lifts deletion
//! protection only with `--allow-data-loss` and keeps a final snapshot unless the data policy
//! says not to.

use super::rds::{self, InstanceSettings, describe_instance, int, rds_tags, reference_name};
use super::{Adapter, AwsResult, AwsStep, StepResult};
use crate::plan::catalog::database::DbInstanceProps;

pub struct DbInstance;

impl Adapter for DbInstance {
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
                .db_subnet_group_name(reference_name(step, &props.db_subnet_group)?)
                .db_parameter_group_name(reference_name(step, &props.db_parameter_group)?);
            match request.send().await.aws() {
                Ok(_) => {}
                Err(e) if e.code == "DBInstanceAlreadyExists" => {}
                Err(e) => return Err(e),
            }
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
