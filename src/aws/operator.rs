//! [`AwsOperator`]: the executor's [`Operator`] for AWS, dispatching each step by kind and
//! operation to its service adapter (see `aws::services` for the adapters' rules).

use crate::apply::{Operation, Operator, Outputs, Step, StepContext, StepError, StepRequest};
use crate::plan::ResourceKind as K;

use super::config::Connection;
use super::services::{
    AwsStep, cloudwatch, ec2, ecr, efs, eks, elasticache, iam, rds, s3, synthetics,
};

/// Performs steps against AWS for one blueprint.
#[derive(Debug, Clone)]
pub struct AwsOperator {
    pub conn: Connection,
    /// The blueprint's `metadata.name` (the ownership tag's value).
    pub blueprint: String,
    /// How deletes treat databases and caches.
    pub data: DataPolicy,
    /// Random per operator, that is per apply or destroy: the run's idempotency tokens differ
    /// from every earlier run's (see `services::AwsStep::client_token`).
    pub run: String,
}

/// What deleting a data-holding resource (RDS instance or cluster, ElastiCache replication
/// group) does. The schedule already refuses such deletes without `--allow-data-loss`; this says
/// how far the adapters may go once one is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataPolicy {
    /// Take a final snapshot before deleting (RDS `FinalDBSnapshotIdentifier`, ElastiCache
    /// `FinalSnapshotIdentifier`). On unless told not to.
    pub final_snapshot: bool,
    /// The user explicitly allowed losing data (`--allow-data-loss`): only then is AWS's deletion
    /// protection turned off to let the delete through.
    pub allow_data_loss: bool,
}

impl Default for DataPolicy {
    fn default() -> Self {
        DataPolicy {
            final_snapshot: true,
            allow_data_loss: false,
        }
    }
}

impl AwsOperator {
    pub fn new(conn: Connection, blueprint: impl Into<String>) -> Self {
        AwsOperator {
            conn,
            blueprint: blueprint.into(),
            data: DataPolicy::default(),
            run: super::services::random_token(),
        }
    }

    /// Sets how deletes treat databases and caches.
    pub fn with_data_policy(mut self, data: DataPolicy) -> Self {
        self.data = data;
        self
    }
}

impl Operator for AwsOperator {
    async fn perform(
        &self,
        request: &StepRequest,
        ctx: &StepContext<'_>,
    ) -> Result<Outputs, StepError> {
        let step = AwsStep {
            conn: &self.conn,
            blueprint: &self.blueprint,
            run: &self.run,
            data: self.data,
            request,
            engine: ctx,
        };
        super::services::perform(&step).await
    }

    /// The serialisations AWS imposes, from the kind's spec row (one Fargate-profile operation
    /// at a time per cluster: EKS rejects concurrent ones).
    fn serialisation_key(&self, step: &Step) -> Option<String> {
        step.kind
            .spec()
            .serialisation_key(step.desired.as_ref(), step.observed.as_ref())
    }
}

/// Each adapter's future is boxed: together they would make one future too large for a
/// thread's stack in debug builds (the SDK's futures are big).
pub(crate) async fn legacy_dispatch(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    use Operation::*;
    match (step.request.kind(), step.request.operation()) {
        (K::Vpc, Create) => Box::pin(ec2::create_vpc(step)).await,
        (K::Vpc, Update) => Box::pin(ec2::update_vpc(step)).await,
        (K::Vpc, Delete) => Box::pin(ec2::delete_vpc(step)).await,
        (K::Subnet, Create) => Box::pin(ec2::create_subnet(step)).await,
        (K::Subnet, Update) => Box::pin(ec2::update_subnet(step)).await,
        (K::Subnet, Delete) => Box::pin(ec2::delete_subnet(step)).await,
        (K::InternetGateway, Create) => Box::pin(ec2::create_internet_gateway(step)).await,
        (K::InternetGateway, Update) => Box::pin(ec2::update_tags(step)).await,
        (K::InternetGateway, Delete) => Box::pin(ec2::delete_internet_gateway(step)).await,
        (K::ElasticIp, Create) => Box::pin(ec2::create_elastic_ip(step)).await,
        (K::ElasticIp, Update) => Box::pin(ec2::update_tags(step)).await,
        (K::ElasticIp, Delete) => Box::pin(ec2::delete_elastic_ip(step)).await,
        (K::NatGateway, Create) => Box::pin(ec2::create_nat_gateway(step)).await,
        (K::NatGateway, Update) => Box::pin(ec2::update_tags(step)).await,
        (K::NatGateway, Delete) => Box::pin(ec2::delete_nat_gateway(step)).await,
        (K::RouteTable, Create) => Box::pin(ec2::create_route_table(step)).await,
        (K::RouteTable, Update) => Box::pin(ec2::update_tags(step)).await,
        (K::RouteTable, Delete) => Box::pin(ec2::delete_route_table(step)).await,
        (K::RouteTableAssociation, Create) => Box::pin(ec2::create_association(step)).await,
        (K::RouteTableAssociation, Update) => Box::pin(ec2::update_association(step)).await,
        (K::RouteTableAssociation, Delete) => Box::pin(ec2::delete_association(step)).await,
        (K::Route, Create) => Box::pin(ec2::create_route(step)).await,
        (K::Route, Update) => Box::pin(ec2::create_route(step)).await,
        (K::Route, Delete) => Box::pin(ec2::delete_route(step)).await,
        (K::SecurityGroup, Create) => Box::pin(ec2::create_security_group(step)).await,
        (K::SecurityGroup, Update) => Box::pin(ec2::update_tags(step)).await,
        (K::SecurityGroup, Delete) => Box::pin(ec2::delete_security_group(step)).await,
        (K::SecurityGroupRule, Create) => Box::pin(ec2::create_security_group_rule(step)).await,
        (K::SecurityGroupRule, Update) => Box::pin(ec2::update_security_group_rule(step)).await,
        (K::SecurityGroupRule, Delete) => Box::pin(ec2::delete_security_group_rule(step)).await,

        (K::IamRole, Create) => Box::pin(iam::create_role(step)).await,
        (K::IamRole, Update) => Box::pin(iam::update_role(step)).await,
        (K::IamRole, Delete) => Box::pin(iam::delete_role(step)).await,
        (K::IamRolePolicyAttachment, Create | Update) => Box::pin(iam::attach_policy(step)).await,
        (K::IamRolePolicyAttachment, Delete) => Box::pin(iam::detach_policy(step)).await,
        (K::IamOidcProvider, Create) => Box::pin(iam::create_oidc_provider(step)).await,
        (K::IamOidcProvider, Update) => Box::pin(iam::update_oidc_provider(step)).await,
        (K::IamOidcProvider, Delete) => Box::pin(iam::delete_oidc_provider(step)).await,

        (K::EksCluster, Create) => Box::pin(eks::create_cluster(step)).await,
        (K::EksCluster, Update) => Box::pin(eks::update_cluster(step)).await,
        (K::EksCluster, Delete) => Box::pin(eks::delete_cluster(step)).await,
        (K::FargateProfile, Create) => Box::pin(eks::create_fargate_profile(step)).await,
        (K::FargateProfile, Update) => Box::pin(eks::update_fargate_profile(step)).await,
        (K::FargateProfile, Delete) => Box::pin(eks::delete_fargate_profile(step)).await,
        (K::NodeGroup, Create) => Box::pin(eks::create_node_group(step)).await,
        (K::NodeGroup, Update) => Box::pin(eks::update_node_group(step)).await,
        (K::NodeGroup, Delete) => Box::pin(eks::delete_node_group(step)).await,
        (K::EksAddon, Create) => Box::pin(eks::create_addon(step)).await,
        (K::EksAddon, Update) => Box::pin(eks::update_addon(step)).await,
        (K::EksAddon, Delete) => Box::pin(eks::delete_addon(step)).await,

        (K::EcrRepository, Create) => Box::pin(ecr::create_repository(step)).await,
        (K::EcrRepository, Update) => Box::pin(ecr::update_repository(step)).await,
        (K::EcrRepository, Delete) => Box::pin(ecr::delete_repository(step)).await,
        (K::EcrLifecyclePolicy, Create | Update) => Box::pin(ecr::put_lifecycle_policy(step)).await,
        (K::EcrLifecyclePolicy, Delete) => Box::pin(ecr::delete_lifecycle_policy(step)).await,
        (K::CloudWatchAlarm, Create | Update) => Box::pin(cloudwatch::put_alarm(step)).await,
        (K::CloudWatchAlarm, Delete) => Box::pin(cloudwatch::delete_alarm(step)).await,
        // Kubernetes objects are deployed by `ops` with kube-rs, never scheduled here.
        (K::KubernetesObject, _) => Err(StepError::new(
            crate::apply::ErrorClass::Fatal,
            "NotAnAwsResource",
            "Kubernetes objects are deployed by the workload step, not the AWS executor",
        )),

        (K::EfsFileSystem, Create) => Box::pin(efs::create_file_system(step)).await,
        (K::EfsFileSystem, Update) => Box::pin(efs::update_file_system(step)).await,
        (K::EfsFileSystem, Delete) => Box::pin(efs::delete_file_system(step)).await,
        (K::EfsMountTarget, Create) => Box::pin(efs::create_mount_target(step)).await,
        (K::EfsMountTarget, Update) => Box::pin(efs::update_mount_target(step)).await,
        (K::EfsMountTarget, Delete) => Box::pin(efs::delete_mount_target(step)).await,
        (K::EfsAccessPoint, Create) => Box::pin(efs::create_access_point(step)).await,
        (K::EfsAccessPoint, Update) => Box::pin(efs::update_access_point(step)).await,
        (K::EfsAccessPoint, Delete) => Box::pin(efs::delete_access_point(step)).await,

        (K::DbSubnetGroup, Create) => Box::pin(rds::create_subnet_group(step)).await,
        (K::DbSubnetGroup, Update) => Box::pin(rds::update_subnet_group(step)).await,
        (K::DbSubnetGroup, Delete) => Box::pin(rds::delete_subnet_group(step)).await,
        (K::DbParameterGroup | K::DbClusterParameterGroup, Create) => {
            Box::pin(rds::create_parameter_group(step)).await
        }
        (K::DbParameterGroup | K::DbClusterParameterGroup, Update) => {
            Box::pin(rds::update_parameter_group(step)).await
        }
        (K::DbParameterGroup | K::DbClusterParameterGroup, Delete) => {
            Box::pin(rds::delete_parameter_group(step)).await
        }
        (K::DbInstance, Create) => Box::pin(rds::create_instance(step)).await,
        (K::DbInstance | K::DbClusterInstance, Update) => {
            Box::pin(rds::update_instance(step)).await
        }
        (K::DbInstance | K::DbClusterInstance, Delete) => {
            Box::pin(rds::delete_instance(step)).await
        }
        (K::DbCluster, Create) => Box::pin(rds::create_cluster(step)).await,
        (K::DbCluster, Update) => Box::pin(rds::update_cluster(step)).await,
        (K::DbCluster, Delete) => Box::pin(rds::delete_cluster(step)).await,
        (K::DbClusterInstance, Create) => Box::pin(rds::create_cluster_instance(step)).await,

        (K::CacheSubnetGroup, Create) => Box::pin(elasticache::create_subnet_group(step)).await,
        (K::CacheSubnetGroup, Update) => Box::pin(elasticache::update_subnet_group(step)).await,
        (K::CacheSubnetGroup, Delete) => Box::pin(elasticache::delete_subnet_group(step)).await,
        (K::CacheParameterGroup, Create) => {
            Box::pin(elasticache::create_parameter_group(step)).await
        }
        (K::CacheParameterGroup, Update) => {
            Box::pin(elasticache::update_parameter_group(step)).await
        }
        (K::CacheParameterGroup, Delete) => {
            Box::pin(elasticache::delete_parameter_group(step)).await
        }
        (K::CacheReplicationGroup, Create) => {
            Box::pin(elasticache::create_replication_group(step)).await
        }
        (K::CacheReplicationGroup, Update) => {
            Box::pin(elasticache::update_replication_group(step)).await
        }
        (K::CacheReplicationGroup, Delete) => {
            Box::pin(elasticache::delete_replication_group(step)).await
        }

        (K::Canary, Create) => Box::pin(synthetics::create_canary(step)).await,
        (K::Canary, Update) => Box::pin(synthetics::update_canary(step)).await,
        (K::Canary, Delete) => Box::pin(synthetics::delete_canary(step)).await,

        (K::S3Bucket, Create) => Box::pin(s3::create_bucket(step)).await,
        (K::S3Bucket, Update) => Box::pin(s3::update_bucket(step)).await,
        (K::S3Bucket, Delete) => Box::pin(s3::delete_bucket(step)).await,
        // Kinds with an adapter file (`services::perform`) never reach this table.
        (kind, _) => Err(StepError::fatal(
            "NoAdapter",
            format!("no adapter performs {}", kind.as_str()),
        )),
    }
}
