//! [`AwsOperator`]: the executor's [`Operator`] for AWS, dispatching each step by kind and
//! operation to its service adapter (see `aws::services` for the adapters' rules).

use crate::apply::{Operation, Operator, Outputs, StepContext, StepError, StepRequest};
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
            data: self.data,
            request,
            ctx,
        };
        dispatch(&cx).await
    }
}

async fn dispatch(cx: &Cx<'_>) -> Result<Outputs, StepError> {
    use Operation::*;
    match (cx.request.kind(), cx.request.operation()) {
        (K::Vpc, Create) => ec2::create_vpc(cx).await,
        (K::Vpc, Update) => ec2::update_vpc(cx).await,
        (K::Vpc, Delete) => ec2::delete_vpc(cx).await,
        (K::Subnet, Create) => ec2::create_subnet(cx).await,
        (K::Subnet, Update) => ec2::update_subnet(cx).await,
        (K::Subnet, Delete) => ec2::delete_subnet(cx).await,
        (K::InternetGateway, Create) => ec2::create_internet_gateway(cx).await,
        (K::InternetGateway, Update) => ec2::update_tags(cx).await,
        (K::InternetGateway, Delete) => ec2::delete_internet_gateway(cx).await,
        (K::ElasticIp, Create) => ec2::create_elastic_ip(cx).await,
        (K::ElasticIp, Update) => ec2::update_tags(cx).await,
        (K::ElasticIp, Delete) => ec2::delete_elastic_ip(cx).await,
        (K::NatGateway, Create) => ec2::create_nat_gateway(cx).await,
        (K::NatGateway, Update) => ec2::update_tags(cx).await,
        (K::NatGateway, Delete) => ec2::delete_nat_gateway(cx).await,
        (K::RouteTable, Create) => ec2::create_route_table(cx).await,
        (K::RouteTable, Update) => ec2::update_tags(cx).await,
        (K::RouteTable, Delete) => ec2::delete_route_table(cx).await,
        (K::RouteTableAssociation, Create) => ec2::create_association(cx).await,
        (K::RouteTableAssociation, Update) => ec2::update_association(cx).await,
        (K::RouteTableAssociation, Delete) => ec2::delete_association(cx).await,
        (K::Route, Create) => ec2::create_route(cx).await,
        (K::Route, Update) => ec2::create_route(cx).await,
        (K::Route, Delete) => ec2::delete_route(cx).await,
        (K::SecurityGroup, Create) => ec2::create_security_group(cx).await,
        (K::SecurityGroup, Update) => ec2::update_tags(cx).await,
        (K::SecurityGroup, Delete) => ec2::delete_security_group(cx).await,
        (K::SecurityGroupRule, Create) => ec2::create_security_group_rule(cx).await,
        (K::SecurityGroupRule, Update) => ec2::update_security_group_rule(cx).await,
        (K::SecurityGroupRule, Delete) => ec2::delete_security_group_rule(cx).await,

        (K::IamRole, Create) => iam::create_role(cx).await,
        (K::IamRole, Update) => iam::update_role(cx).await,
        (K::IamRole, Delete) => iam::delete_role(cx).await,
        (K::IamRolePolicyAttachment, Create | Update) => iam::attach_policy(cx).await,
        (K::IamRolePolicyAttachment, Delete) => iam::detach_policy(cx).await,
        (K::IamOidcProvider, Create) => iam::create_oidc_provider(cx).await,
        (K::IamOidcProvider, Update) => iam::update_oidc_provider(cx).await,
        (K::IamOidcProvider, Delete) => iam::delete_oidc_provider(cx).await,

        (K::EksCluster, Create) => eks::create_cluster(cx).await,
        (K::EksCluster, Update) => eks::update_cluster(cx).await,
        (K::EksCluster, Delete) => eks::delete_cluster(cx).await,
        (K::FargateProfile, Create) => eks::create_fargate_profile(cx).await,
        (K::FargateProfile, Update) => eks::update_fargate_profile(cx).await,
        (K::FargateProfile, Delete) => eks::delete_fargate_profile(cx).await,
        (K::NodeGroup, Create) => eks::create_node_group(cx).await,
        (K::NodeGroup, Update) => eks::update_node_group(cx).await,
        (K::NodeGroup, Delete) => eks::delete_node_group(cx).await,

        (K::EcrRepository, Create) => ecr::create_repository(cx).await,
        (K::EcrRepository, Update) => ecr::update_repository(cx).await,
        (K::EcrRepository, Delete) => ecr::delete_repository(cx).await,
        (K::EcrLifecyclePolicy, Create | Update) => ecr::put_lifecycle_policy(cx).await,
        (K::EcrLifecyclePolicy, Delete) => ecr::delete_lifecycle_policy(cx).await,
        (K::SnsTopic, Create) => sns::create_topic(cx).await,
        (K::SnsTopic, Update) => sns::update_topic(cx).await,
        (K::SnsTopic, Delete) => sns::delete_topic(cx).await,
        (K::SnsSubscription, Create) => sns::subscribe(cx).await,
        (K::SnsSubscription, Update) => sns::update_subscription(cx).await,
        (K::SnsSubscription, Delete) => sns::unsubscribe(cx).await,
        (K::CloudWatchAlarm, Create | Update) => cloudwatch::put_alarm(cx).await,
        (K::CloudWatchAlarm, Delete) => cloudwatch::delete_alarm(cx).await,

        (K::LoadBalancer, Create) => elbv2::create_load_balancer(cx).await,
        (K::LoadBalancer, Update) => elbv2::update_load_balancer(cx).await,
        (K::LoadBalancer, Delete) => elbv2::delete_load_balancer(cx).await,
        (K::TargetGroup, Create) => elbv2::create_target_group(cx).await,
        (K::TargetGroup, Update) => elbv2::update_target_group(cx).await,
        (K::TargetGroup, Delete) => elbv2::delete_target_group(cx).await,
        (K::Listener, Create) => elbv2::create_listener(cx).await,
        (K::Listener, Update) => elbv2::update_listener(cx).await,
        (K::Listener, Delete) => elbv2::delete_listener(cx).await,
        (K::ListenerRule, Create) => elbv2::create_listener_rule(cx).await,
        (K::ListenerRule, Update) => elbv2::update_listener_rule(cx).await,
        (K::ListenerRule, Delete) => elbv2::delete_listener_rule(cx).await,

        (K::EfsFileSystem, Create) => efs::create_file_system(cx).await,
        (K::EfsFileSystem, Update) => efs::update_file_system(cx).await,
        (K::EfsFileSystem, Delete) => efs::delete_file_system(cx).await,
        (K::EfsMountTarget, Create) => efs::create_mount_target(cx).await,
        (K::EfsMountTarget, Update) => efs::update_mount_target(cx).await,
        (K::EfsMountTarget, Delete) => efs::delete_mount_target(cx).await,
        (K::EfsAccessPoint, Create) => efs::create_access_point(cx).await,
        (K::EfsAccessPoint, Update) => efs::update_access_point(cx).await,
        (K::EfsAccessPoint, Delete) => efs::delete_access_point(cx).await,

        (K::DbSubnetGroup, Create) => rds::create_subnet_group(cx).await,
        (K::DbSubnetGroup, Update) => rds::update_subnet_group(cx).await,
        (K::DbSubnetGroup, Delete) => rds::delete_subnet_group(cx).await,
        (K::DbParameterGroup | K::DbClusterParameterGroup, Create) => {
            rds::create_parameter_group(cx).await
        }
        (K::DbParameterGroup | K::DbClusterParameterGroup, Update) => {
            rds::update_parameter_group(cx).await
        }
        (K::DbParameterGroup | K::DbClusterParameterGroup, Delete) => {
            rds::delete_parameter_group(cx).await
        }
        (K::DbInstance, Create) => rds::create_instance(cx).await,
        (K::DbInstance | K::DbClusterInstance, Update) => rds::update_instance(cx).await,
        (K::DbInstance | K::DbClusterInstance, Delete) => rds::delete_instance(cx).await,
        (K::DbCluster, Create) => rds::create_cluster(cx).await,
        (K::DbCluster, Update) => rds::update_cluster(cx).await,
        (K::DbCluster, Delete) => rds::delete_cluster(cx).await,
        (K::DbClusterInstance, Create) => rds::create_cluster_instance(cx).await,

        (K::CacheSubnetGroup, Create) => elasticache::create_subnet_group(cx).await,
        (K::CacheSubnetGroup, Update) => elasticache::update_subnet_group(cx).await,
        (K::CacheSubnetGroup, Delete) => elasticache::delete_subnet_group(cx).await,
        (K::CacheParameterGroup, Create) => elasticache::create_parameter_group(cx).await,
        (K::CacheParameterGroup, Update) => elasticache::update_parameter_group(cx).await,
        (K::CacheParameterGroup, Delete) => elasticache::delete_parameter_group(cx).await,
        (K::CacheReplicationGroup, Create) => elasticache::create_replication_group(cx).await,
        (K::CacheReplicationGroup, Update) => elasticache::update_replication_group(cx).await,
        (K::CacheReplicationGroup, Delete) => elasticache::delete_replication_group(cx).await,

        (K::Canary, Create) => synthetics::create_canary(cx).await,
        (K::Canary, Update) => synthetics::update_canary(cx).await,
        (K::Canary, Delete) => synthetics::delete_canary(cx).await,

        (K::S3Bucket, Create) => s3::create_bucket(cx).await,
        (K::S3Bucket, Update) => s3::update_bucket(cx).await,
        (K::S3Bucket, Delete) => s3::delete_bucket(cx).await,
    }
}
