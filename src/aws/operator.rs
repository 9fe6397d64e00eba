//! [`AwsOperator`]: the executor's [`Operator`] for AWS, dispatching each step by kind and
//! operation to its service adapter (see `aws::services` for the adapters' rules).

use crate::apply::{Operation, Operator, Outputs, Step, StepContext, StepError, StepRequest};
use crate::plan::ResourceKind as K;

use super::config::Connection;
use super::services::{
    Cx, cloudwatch, ec2, ecr, efs, eks, elasticache, elbv2, iam, rds, s3, sns, synthetics,
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
    /// from every earlier run's (see `services::Cx::client_token`).
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
        let cx = Cx {
            conn: &self.conn,
            blueprint: &self.blueprint,
            run: &self.run,
            data: self.data,
            request,
            ctx,
        };
        dispatch(&cx).await
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
async fn dispatch(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    use Operation::*;
    match (cx.request.kind(), cx.request.operation()) {
        (K::Vpc, Create) => Box::pin(ec2::create_vpc(cx)).await,
        (K::Vpc, Update) => Box::pin(ec2::update_vpc(cx)).await,
        (K::Vpc, Delete) => Box::pin(ec2::delete_vpc(cx)).await,
        (K::Subnet, Create) => Box::pin(ec2::create_subnet(cx)).await,
        (K::Subnet, Update) => Box::pin(ec2::update_subnet(cx)).await,
        (K::Subnet, Delete) => Box::pin(ec2::delete_subnet(cx)).await,
        (K::InternetGateway, Create) => Box::pin(ec2::create_internet_gateway(cx)).await,
        (K::InternetGateway, Update) => Box::pin(ec2::update_tags(cx)).await,
        (K::InternetGateway, Delete) => Box::pin(ec2::delete_internet_gateway(cx)).await,
        (K::ElasticIp, Create) => Box::pin(ec2::create_elastic_ip(cx)).await,
        (K::ElasticIp, Update) => Box::pin(ec2::update_tags(cx)).await,
        (K::ElasticIp, Delete) => Box::pin(ec2::delete_elastic_ip(cx)).await,
        (K::NatGateway, Create) => Box::pin(ec2::create_nat_gateway(cx)).await,
        (K::NatGateway, Update) => Box::pin(ec2::update_tags(cx)).await,
        (K::NatGateway, Delete) => Box::pin(ec2::delete_nat_gateway(cx)).await,
        (K::RouteTable, Create) => Box::pin(ec2::create_route_table(cx)).await,
        (K::RouteTable, Update) => Box::pin(ec2::update_tags(cx)).await,
        (K::RouteTable, Delete) => Box::pin(ec2::delete_route_table(cx)).await,
        (K::RouteTableAssociation, Create) => Box::pin(ec2::create_association(cx)).await,
        (K::RouteTableAssociation, Update) => Box::pin(ec2::update_association(cx)).await,
        (K::RouteTableAssociation, Delete) => Box::pin(ec2::delete_association(cx)).await,
        (K::Route, Create) => Box::pin(ec2::create_route(cx)).await,
        (K::Route, Update) => Box::pin(ec2::create_route(cx)).await,
        (K::Route, Delete) => Box::pin(ec2::delete_route(cx)).await,
        (K::SecurityGroup, Create) => Box::pin(ec2::create_security_group(cx)).await,
        (K::SecurityGroup, Update) => Box::pin(ec2::update_tags(cx)).await,
        (K::SecurityGroup, Delete) => Box::pin(ec2::delete_security_group(cx)).await,
        (K::SecurityGroupRule, Create) => Box::pin(ec2::create_security_group_rule(cx)).await,
        (K::SecurityGroupRule, Update) => Box::pin(ec2::update_security_group_rule(cx)).await,
        (K::SecurityGroupRule, Delete) => Box::pin(ec2::delete_security_group_rule(cx)).await,

        (K::IamRole, Create) => Box::pin(iam::create_role(cx)).await,
        (K::IamRole, Update) => Box::pin(iam::update_role(cx)).await,
        (K::IamRole, Delete) => Box::pin(iam::delete_role(cx)).await,
        (K::IamRolePolicyAttachment, Create | Update) => Box::pin(iam::attach_policy(cx)).await,
        (K::IamRolePolicyAttachment, Delete) => Box::pin(iam::detach_policy(cx)).await,
        (K::IamOidcProvider, Create) => Box::pin(iam::create_oidc_provider(cx)).await,
        (K::IamOidcProvider, Update) => Box::pin(iam::update_oidc_provider(cx)).await,
        (K::IamOidcProvider, Delete) => Box::pin(iam::delete_oidc_provider(cx)).await,

        (K::EksCluster, Create) => Box::pin(eks::create_cluster(cx)).await,
        (K::EksCluster, Update) => Box::pin(eks::update_cluster(cx)).await,
        (K::EksCluster, Delete) => Box::pin(eks::delete_cluster(cx)).await,
        (K::FargateProfile, Create) => Box::pin(eks::create_fargate_profile(cx)).await,
        (K::FargateProfile, Update) => Box::pin(eks::update_fargate_profile(cx)).await,
        (K::FargateProfile, Delete) => Box::pin(eks::delete_fargate_profile(cx)).await,
        (K::NodeGroup, Create) => Box::pin(eks::create_node_group(cx)).await,
        (K::NodeGroup, Update) => Box::pin(eks::update_node_group(cx)).await,
        (K::NodeGroup, Delete) => Box::pin(eks::delete_node_group(cx)).await,
        (K::EksAddon, Create) => Box::pin(eks::create_addon(cx)).await,
        (K::EksAddon, Update) => Box::pin(eks::update_addon(cx)).await,
        (K::EksAddon, Delete) => Box::pin(eks::delete_addon(cx)).await,

        (K::EcrRepository, Create) => Box::pin(ecr::create_repository(cx)).await,
        (K::EcrRepository, Update) => Box::pin(ecr::update_repository(cx)).await,
        (K::EcrRepository, Delete) => Box::pin(ecr::delete_repository(cx)).await,
        (K::EcrLifecyclePolicy, Create | Update) => Box::pin(ecr::put_lifecycle_policy(cx)).await,
        (K::EcrLifecyclePolicy, Delete) => Box::pin(ecr::delete_lifecycle_policy(cx)).await,
        (K::SnsTopic, Create) => Box::pin(sns::create_topic(cx)).await,
        (K::SnsTopic, Update) => Box::pin(sns::update_topic(cx)).await,
        (K::SnsTopic, Delete) => Box::pin(sns::delete_topic(cx)).await,
        (K::SnsSubscription, Create) => Box::pin(sns::subscribe(cx)).await,
        (K::SnsSubscription, Update) => Box::pin(sns::update_subscription(cx)).await,
        (K::SnsSubscription, Delete) => Box::pin(sns::unsubscribe(cx)).await,
        (K::CloudWatchAlarm, Create | Update) => Box::pin(cloudwatch::put_alarm(cx)).await,
        (K::CloudWatchAlarm, Delete) => Box::pin(cloudwatch::delete_alarm(cx)).await,
        // Kubernetes objects are deployed by `ops` with kube-rs, never scheduled here.
        (K::KubernetesObject, _) => Err(StepError::new(
            crate::apply::ErrorClass::Fatal,
            "NotAnAwsResource",
            "Kubernetes objects are deployed by the workload step, not the AWS executor",
        )),

        (K::LoadBalancer, Create) => Box::pin(elbv2::create_load_balancer(cx)).await,
        (K::LoadBalancer, Update) => Box::pin(elbv2::update_load_balancer(cx)).await,
        (K::LoadBalancer, Delete) => Box::pin(elbv2::delete_load_balancer(cx)).await,
        (K::TargetGroup, Create) => Box::pin(elbv2::create_target_group(cx)).await,
        (K::TargetGroup, Update) => Box::pin(elbv2::update_target_group(cx)).await,
        (K::TargetGroup, Delete) => Box::pin(elbv2::delete_target_group(cx)).await,
        (K::Listener, Create) => Box::pin(elbv2::create_listener(cx)).await,
        (K::Listener, Update) => Box::pin(elbv2::update_listener(cx)).await,
        (K::Listener, Delete) => Box::pin(elbv2::delete_listener(cx)).await,
        (K::ListenerRule, Create) => Box::pin(elbv2::create_listener_rule(cx)).await,
        (K::ListenerRule, Update) => Box::pin(elbv2::update_listener_rule(cx)).await,
        (K::ListenerRule, Delete) => Box::pin(elbv2::delete_listener_rule(cx)).await,

        (K::EfsFileSystem, Create) => Box::pin(efs::create_file_system(cx)).await,
        (K::EfsFileSystem, Update) => Box::pin(efs::update_file_system(cx)).await,
        (K::EfsFileSystem, Delete) => Box::pin(efs::delete_file_system(cx)).await,
        (K::EfsMountTarget, Create) => Box::pin(efs::create_mount_target(cx)).await,
        (K::EfsMountTarget, Update) => Box::pin(efs::update_mount_target(cx)).await,
        (K::EfsMountTarget, Delete) => Box::pin(efs::delete_mount_target(cx)).await,
        (K::EfsAccessPoint, Create) => Box::pin(efs::create_access_point(cx)).await,
        (K::EfsAccessPoint, Update) => Box::pin(efs::update_access_point(cx)).await,
        (K::EfsAccessPoint, Delete) => Box::pin(efs::delete_access_point(cx)).await,

        (K::DbSubnetGroup, Create) => Box::pin(rds::create_subnet_group(cx)).await,
        (K::DbSubnetGroup, Update) => Box::pin(rds::update_subnet_group(cx)).await,
        (K::DbSubnetGroup, Delete) => Box::pin(rds::delete_subnet_group(cx)).await,
        (K::DbParameterGroup | K::DbClusterParameterGroup, Create) => {
            Box::pin(rds::create_parameter_group(cx)).await
        }
        (K::DbParameterGroup | K::DbClusterParameterGroup, Update) => {
            Box::pin(rds::update_parameter_group(cx)).await
        }
        (K::DbParameterGroup | K::DbClusterParameterGroup, Delete) => {
            Box::pin(rds::delete_parameter_group(cx)).await
        }
        (K::DbInstance, Create) => Box::pin(rds::create_instance(cx)).await,
        (K::DbInstance | K::DbClusterInstance, Update) => Box::pin(rds::update_instance(cx)).await,
        (K::DbInstance | K::DbClusterInstance, Delete) => Box::pin(rds::delete_instance(cx)).await,
        (K::DbCluster, Create) => Box::pin(rds::create_cluster(cx)).await,
        (K::DbCluster, Update) => Box::pin(rds::update_cluster(cx)).await,
        (K::DbCluster, Delete) => Box::pin(rds::delete_cluster(cx)).await,
        (K::DbClusterInstance, Create) => Box::pin(rds::create_cluster_instance(cx)).await,

        (K::CacheSubnetGroup, Create) => Box::pin(elasticache::create_subnet_group(cx)).await,
        (K::CacheSubnetGroup, Update) => Box::pin(elasticache::update_subnet_group(cx)).await,
        (K::CacheSubnetGroup, Delete) => Box::pin(elasticache::delete_subnet_group(cx)).await,
        (K::CacheParameterGroup, Create) => Box::pin(elasticache::create_parameter_group(cx)).await,
        (K::CacheParameterGroup, Update) => Box::pin(elasticache::update_parameter_group(cx)).await,
        (K::CacheParameterGroup, Delete) => Box::pin(elasticache::delete_parameter_group(cx)).await,
        (K::CacheReplicationGroup, Create) => {
            Box::pin(elasticache::create_replication_group(cx)).await
        }
        (K::CacheReplicationGroup, Update) => {
            Box::pin(elasticache::update_replication_group(cx)).await
        }
        (K::CacheReplicationGroup, Delete) => {
            Box::pin(elasticache::delete_replication_group(cx)).await
        }

        (K::Canary, Create) => Box::pin(synthetics::create_canary(cx)).await,
        (K::Canary, Update) => Box::pin(synthetics::update_canary(cx)).await,
        (K::Canary, Delete) => Box::pin(synthetics::delete_canary(cx)).await,

        (K::S3Bucket, Create) => Box::pin(s3::create_bucket(cx)).await,
        (K::S3Bucket, Update) => Box::pin(s3::update_bucket(cx)).await,
        (K::S3Bucket, Delete) => Box::pin(s3::delete_bucket(cx)).await,
    }
}
