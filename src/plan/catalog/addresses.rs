//! The address scheme, in one place: `<section>.<kind>[.<role>][<key>]`, where `<kind>` is the
//! kind's snake-case name, `<role>` tells apart several of one kind in a section, and `<key>` is a
//! zone letter (`a`), a blueprint id (`proxy`, `shiny/app`) or a port. Addresses never hold AWS
//! ids, so they survive re-creation; they are also the `shinyctl.dev/address` ownership tag.

pub(crate) const VPC: &str = "network.vpc";
pub(crate) const INTERNET_GATEWAY: &str = "network.internet_gateway";
pub(crate) const PUBLIC_ROUTE_TABLE: &str = "network.route_table.public";
pub(crate) const DATA_ROUTE_TABLE: &str = "network.route_table.data";
pub(crate) const PUBLIC_DEFAULT_ROUTE: &str = "network.route.public_default";

pub(crate) fn subnet(tier: &str, zone: &str) -> String {
    format!("network.subnet.{tier}[{zone}]")
}
pub(crate) fn nat_eip(zone: &str) -> String {
    format!("network.elastic_ip.nat[{zone}]")
}
pub(crate) fn nat_gateway(zone: &str) -> String {
    format!("network.nat_gateway[{zone}]")
}
pub(crate) fn private_route_table(zone: &str) -> String {
    format!("network.route_table.private[{zone}]")
}
pub(crate) fn private_default_route(zone: &str) -> String {
    format!("network.route.private_default[{zone}]")
}
pub(crate) fn route_table_association(tier: &str, zone: &str) -> String {
    format!("network.route_table_association.{tier}[{zone}]")
}

/// A security group of `section` (`cluster.security_group.nodes`, `database.security_group`).
pub(crate) fn security_group(section: &str, role: Option<&str>) -> String {
    match role {
        Some(role) => format!("{section}.security_group.{role}"),
        None => format!("{section}.security_group"),
    }
}
/// A rule of the security group at `group` address, e.g. `database.security_group_rule[from_nodes]`.
pub(crate) fn security_group_rule(section: &str, rule: &str) -> String {
    format!("{section}.security_group_rule[{rule}]")
}

pub(crate) fn iam_role(section: &str, role: &str) -> String {
    format!("{section}.iam_role.{role}")
}
pub(crate) fn iam_role_policy_attachment(section: &str, role: &str, policy: &str) -> String {
    format!("{section}.iam_role_policy_attachment.{role}[{policy}]")
}
pub(crate) const CLUSTER_ROLE: &str = "cluster.iam_role.cluster";
pub(crate) const NODE_ROLE: &str = "cluster.iam_role.node";
pub(crate) const FARGATE_ROLE: &str = "cluster.iam_role.fargate_pod_execution";
pub(crate) const CANARY_ROLE: &str = "monitoring.iam_role.canary";
/// IAM roles for Kubernetes service accounts (IRSA).
pub(crate) const LB_CONTROLLER_ROLE: &str = "cluster.iam_role.load_balancer_controller";
pub(crate) const EFS_CSI_DRIVER_ROLE: &str = "cluster.iam_role.efs_csi_driver";

pub(crate) const EKS_CLUSTER: &str = "cluster.eks_cluster";
pub(crate) const OIDC_PROVIDER: &str = "cluster.iam_oidc_provider";
pub(crate) const CLUSTER_SG: &str = "cluster.security_group.cluster";
pub(crate) const NODES_SG: &str = "cluster.security_group.nodes";
/// The cluster security group EKS makes itself (`eks-cluster-sg-<cluster>-<id>`): on the control
/// plane's network interfaces and every Fargate pod, and on managed nodes only when named in
/// their launch template.
pub(crate) const EKS_MADE_SG: &str = "cluster.eks_cluster#clusterSecurityGroup";
pub(crate) fn node_group(name: &str) -> String {
    format!("cluster.node_group[{name}]")
}
pub(crate) fn fargate_profile(name: &str) -> String {
    format!("cluster.fargate_profile[{name}]")
}
/// An EKS add-on by its AWS name (`cluster.eks_addon[aws-efs-csi-driver]`).
pub(crate) fn eks_addon(name: &str) -> String {
    format!("cluster.eks_addon[{name}]")
}

pub(crate) const EFS: &str = "storage.efs_file_system";
pub(crate) const EFS_SG: &str = "storage.security_group.efs";
pub(crate) fn efs_mount_target(zone: &str) -> String {
    format!("storage.efs_mount_target[{zone}]")
}
pub(crate) fn efs_access_point(name: &str) -> String {
    format!("storage.efs_access_point[{name}]")
}

pub(crate) fn s3_bucket(name: &str) -> String {
    format!("storage.s3_bucket[{name}]")
}

pub(crate) const DB_SUBNET_GROUP: &str = "database.db_subnet_group";
pub(crate) const DB_PARAMETER_GROUP: &str = "database.db_parameter_group";
pub(crate) const DB_CLUSTER_PARAMETER_GROUP: &str = "database.db_cluster_parameter_group";
pub(crate) const DB_INSTANCE: &str = "database.db_instance";
pub(crate) const DB_CLUSTER: &str = "database.db_cluster";
pub(crate) const DB_SG: &str = "database.security_group";
pub(crate) fn db_cluster_instance(number: usize) -> String {
    format!("database.db_cluster_instance[{number}]")
}

pub(crate) const CACHE_SUBNET_GROUP: &str = "cache.cache_subnet_group";
pub(crate) const CACHE_PARAMETER_GROUP: &str = "cache.cache_parameter_group";
pub(crate) const CACHE_REPLICATION_GROUP: &str = "cache.cache_replication_group";
pub(crate) const CACHE_SG: &str = "cache.security_group";

pub(crate) fn ecr_repository(name: &str) -> String {
    format!("registry.ecr_repository[{name}]")
}
pub(crate) fn ecr_lifecycle_policy(name: &str) -> String {
    format!("registry.ecr_lifecycle_policy[{name}]")
}

pub(crate) const LOAD_BALANCER: &str = "ingress.load_balancer";
pub(crate) const TARGET_GROUP: &str = "ingress.target_group";
pub(crate) const LB_SG: &str = "ingress.security_group";
pub(crate) fn listener(port: u16) -> String {
    format!("ingress.listener[{port}]")
}

/// A resource of server group `group` (`servers.launch_template[app]`).
pub(crate) fn server(kind: &str, group: &str) -> String {
    format!("servers.{kind}[{group}]")
}
/// A service's resource of `kind`: `ecs.target_group[web]`.
pub(crate) fn ecs(kind: &str, service: &str) -> String {
    format!("ecs.{kind}[{service}]")
}
/// A server of a group: `servers.ec2_instance[app-a1]`, the first server in zone `a`.
pub(crate) fn server_instance(group: &str, server: &str) -> String {
    format!("servers.ec2_instance[{group}-{server}]")
}

pub(crate) const ALARM_TOPIC: &str = "monitoring.sns_topic";
pub(crate) const CANARY_BUCKET: &str = "monitoring.s3_bucket.canary_artifacts";
pub(crate) fn alarm_subscription(endpoint: &str) -> String {
    format!("monitoring.sns_subscription[{endpoint}]")
}
pub(crate) fn canary(name: &str) -> String {
    format!("monitoring.canary[{name}]")
}
pub(crate) fn alarm(name: &str) -> String {
    format!("monitoring.cloudwatch_alarm[{name}]")
}

/// A reference embedded in a longer string or an object key: `${address}` or
/// `${address#attribute}` (see `embedded.rs`).
pub(crate) fn embed(address: &str, attribute: Option<&str>) -> String {
    super::embedded::token(address, attribute)
}

/// A reference to an attribute AWS assigns at creation (`cluster.eks_cluster#oidcIssuer`):
/// the executor resolves it once the resource exists; the plan shows it as written.
pub(crate) fn attribute(address: &str, attribute: &str) -> String {
    format!("{address}#{attribute}")
}
