//! An Aurora cluster's instance: created into its cluster, which holds the data (its delete
//! takes no snapshot of its own: the cluster's is taken). Only its class and visibility change
//! in place; update and delete are a DB instance's, shared in `rds`, and so is its read: the DB
//! instance's read finds it (DescribeDBInstances lists both kinds).

use super::rds::{self, InstanceSettings, describe_instance, rds_tags};
use super::{Adapter, AwsResult, AwsStep, StepResult, already_made_is_ok};
use crate::plan::ResourceKind;
use crate::plan::catalog::database::DbClusterInstanceProps;

pub(crate) struct DbClusterInstance;

impl Adapter for DbClusterInstance {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::DbInstance);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: DbClusterInstanceProps = step.props()?;
        let id = &props.identifier;
        if describe_instance(step, id).await?.is_none() {
            let cluster = step.name_of(&props.cluster)?;
            let result = step
                .clients()
                .rds
                .create_db_instance()
                .db_instance_identifier(id)
                .db_cluster_identifier(cluster)
                .engine(&props.engine)
                .db_instance_class(&props.instance_class)
                .publicly_accessible(props.publicly_accessible)
                .set_availability_zone(props.availability_zone.clone())
                .set_tags(Some(rds_tags(&step.tags())))
                .send()
                .await
                .aws();
            already_made_is_ok(result, |e| e.code == "DBInstanceAlreadyExists")?;
        }
        rds::wait_instance(step, id).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: DbClusterInstanceProps = step.props()?;
        let desired = InstanceSettings {
            instance_class: Some(&props.instance_class),
            publicly_accessible: Some(props.publicly_accessible),
            ..InstanceSettings::default()
        };
        rds::update_instance(step, &props.identifier, &desired).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        rds::delete_instance(step, true).await
    }
}
