//! A DB instance's parameter group (MySQL, PostgreSQL). Its calls are the cluster parameter
//! group's under other names: both kinds share them in `rds` ([`ParameterGroup::Instance`]).
//! Its values are set 20 at a time, immediately where dynamic and at the next reboot where
//! static; a description is fixed at create.

use super::rds::{self, ParameterGroup};
use super::{Adapter, AwsStep, StepResult};

pub struct DbParameterGroup;

impl Adapter for DbParameterGroup {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        rds::create_parameter_group(step, ParameterGroup::Instance).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        rds::update_parameter_group(step, ParameterGroup::Instance).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        rds::delete_parameter_group(step, ParameterGroup::Instance).await
    }
}
