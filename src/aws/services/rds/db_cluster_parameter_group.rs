//! An Aurora cluster's parameter group. Its calls are the DB parameter group's under other
//! names: both kinds share them, and their read, in `rds` ([`ParameterGroup::Cluster`]).
//! Its values are set 20 at a time, immediately where dynamic and at the next reboot where
//! static; a description is fixed at create.

use super::rds::{self, ParameterGroup};
use super::stages::{Read, TAGGED, after, first};
use super::{Adapter, AwsRead, AwsStep, Found, StepResult};
use crate::apply::StepError;

pub(crate) struct DbClusterParameterGroup;

impl Adapter for DbClusterParameterGroup {
    // The values beside the group's own tag read (declared with the subnet group's reads).
    const READS: &'static [Read] = &[
        first(("rds", "DescribeDBClusterParameterGroups")),
        after(
            ("rds", "DescribeDBClusterParameters"),
            &[("rds", "DescribeDBClusterParameterGroups"), TAGGED],
        ),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        rds::read_parameter_groups(read, ParameterGroup::Cluster).await
    }

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
