//! An Aurora cluster's parameter group. Its calls are the DB parameter group's under other
//! names: both kinds share them in `rds` ([`ParameterGroup::Cluster`]).
//! Its values are set 20 at a time, immediately where dynamic and at the next reboot where
//! static; a description is fixed at create.

use super::rds::{self, ParameterGroup};
use super::{Adapter, AwsStep, StepResult};

pub struct DbClusterParameterGroup;

impl Adapter for DbClusterParameterGroup {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        rds::create_parameter_group(step, ParameterGroup::Cluster).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        rds::update_parameter_group(step, ParameterGroup::Cluster).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        rds::delete_parameter_group(step, ParameterGroup::Cluster).await
    }
}
