//! The address scheme, in one place: `<section>.<kind>[.<role>][<key>]`, where `<kind>` is the
//! kind's snake-case name, `<role>` tells apart several of one kind in a section, and `<key>` is a
//! zone letter (`a`), a blueprint id (`proxy`, `shiny/app`) or a port. Addresses never hold AWS
//! ids, so they survive re-creation; they are also the `shinyctl.dev/address` ownership tag.

pub const VPC: &str = "network.vpc";
pub const INTERNET_GATEWAY: &str = "network.internet_gateway";
pub const PUBLIC_ROUTE_TABLE: &str = "network.route_table.public";
pub const DATA_ROUTE_TABLE: &str = "network.route_table.data";
pub const PUBLIC_DEFAULT_ROUTE: &str = "network.route.public_default";

pub fn subnet(tier: &str, zone: &str) -> String {
    format!("network.subnet.{tier}[{zone}]")
}
pub fn nat_eip(zone: &str) -> String {
    format!("network.elastic_ip.nat[{zone}]")
}
pub fn nat_gateway(zone: &str) -> String {
    format!("network.nat_gateway[{zone}]")
}
pub fn private_route_table(zone: &str) -> String {
    format!("network.route_table.private[{zone}]")
}
pub fn private_default_route(zone: &str) -> String {
    format!("network.route.private_default[{zone}]")
}
pub fn route_table_association(tier: &str, zone: &str) -> String {
    format!("network.route_table_association.{tier}[{zone}]")
}

/// A security group of `section` (`cluster.security_group.nodes`, `database.security_group`).
pub fn security_group(section: &str, role: Option<&str>) -> String {
    match role {
        Some(role) => format!("{section}.security_group.{role}"),
        None => format!("{section}.security_group"),
    }
}
/// A rule of the security group at `group` address, e.g. `database.security_group_rule[from_nodes]`.
pub fn security_group_rule(section: &str, rule: &str) -> String {
    format!("{section}.security_group_rule[{rule}]")
}

pub fn iam_role(section: &str, role: &str) -> String {
    format!("{section}.iam_role.{role}")
}
pub fn iam_role_policy_attachment(section: &str, role: &str, policy: &str) -> String {
    format!("{section}.iam_role_policy_attachment.{role}[{policy}]")
}
pub const CLUSTER_ROLE: &str = "cluster.iam_role.cluster";
pub const NODE_ROLE: &str = "cluster.iam_role.node";
pub const FARGATE_ROLE: &str = "cluster.iam_role.fargate_pod_execution";
pub const CANARY_ROLE: &str = "monitoring.iam_role.canary";
/// IAM roles for Kubernetes service accounts (IRSA).
pub const LB_CONTROLLER_ROLE: &str = "cluster.iam_role.load_balancer_controller";
pub const EFS_CSI_DRIVER_ROLE: &str = "cluster.iam_role.efs_csi_driver";

pub const EKS_CLUSTER: &str = "cluster.eks_cluster";
pub const OIDC_PROVIDER: &str = "cluster.iam_oidc_provider";
pub const CLUSTER_SG: &str = "cluster.security_group.cluster";
pub const NODES_SG: &str = "cluster.security_group.nodes";
/// The cluster security group EKS makes itself (`eks-cluster-sg-<cluster>-<id>`): on the control
/// plane's network interfaces and every Fargate pod, and on managed nodes only when named in
/// their launch template.
pub const EKS_MADE_SG: &str = "cluster.eks_cluster#clusterSecurityGroup";
pub fn node_group(name: &str) -> String {
    format!("cluster.node_group[{name}]")
}
pub fn fargate_profile(name: &str) -> String {
    format!("cluster.fargate_profile[{name}]")
}
/// An EKS add-on by its AWS name (`cluster.eks_addon[aws-efs-csi-driver]`).
pub fn eks_addon(name: &str) -> String {
    format!("cluster.eks_addon[{name}]")
}

pub const EFS: &str = "storage.efs_file_system";
pub const EFS_SG: &str = "storage.security_group.efs";
pub fn efs_mount_target(zone: &str) -> String {
    format!("storage.efs_mount_target[{zone}]")
}
pub fn efs_access_point(name: &str) -> String {
    format!("storage.efs_access_point[{name}]")
}

pub fn s3_bucket(name: &str) -> String {
    format!("storage.s3_bucket[{name}]")
}

pub const DB_SUBNET_GROUP: &str = "database.db_subnet_group";
pub const DB_PARAMETER_GROUP: &str = "database.db_parameter_group";
pub const DB_CLUSTER_PARAMETER_GROUP: &str = "database.db_cluster_parameter_group";
pub const DB_INSTANCE: &str = "database.db_instance";
pub const DB_CLUSTER: &str = "database.db_cluster";
pub const DB_SG: &str = "database.security_group";
pub fn db_cluster_instance(number: usize) -> String {
    format!("database.db_cluster_instance[{number}]")
}

pub const CACHE_SUBNET_GROUP: &str = "cache.cache_subnet_group";
pub const CACHE_PARAMETER_GROUP: &str = "cache.cache_parameter_group";
pub const CACHE_REPLICATION_GROUP: &str = "cache.cache_replication_group";
pub const CACHE_SG: &str = "cache.security_group";

pub fn ecr_repository(name: &str) -> String {
    format!("registry.ecr_repository[{name}]")
}
pub fn ecr_lifecycle_policy(name: &str) -> String {
    format!("registry.ecr_lifecycle_policy[{name}]")
}

pub const LOAD_BALANCER: &str = "ingress.load_balancer";
pub const TARGET_GROUP: &str = "ingress.target_group";
pub const LB_SG: &str = "ingress.security_group";
pub fn listener(port: u16) -> String {
    format!("ingress.listener[{port}]")
}

/// A resource of server group `group` (`servers.launch_template[app]`).
pub fn server(kind: &str, group: &str) -> String {
    format!("servers.{kind}[{group}]")
}
/// A service's resource of `kind`: `ecs.target_group[web]`.
pub fn ecs(kind: &str, service: &str) -> String {
    format!("ecs.{kind}[{service}]")
}
/// A server of a group: `servers.ec2_instance[app-a1]`, the first server in zone `a`.
pub fn server_instance(group: &str, server: &str) -> String {
    format!("servers.ec2_instance[{group}-{server}]")
}

pub const ALARM_TOPIC: &str = "monitoring.sns_topic";
pub const CANARY_BUCKET: &str = "monitoring.s3_bucket.canary_artifacts";
pub fn alarm_subscription(endpoint: &str) -> String {
    format!("monitoring.sns_subscription[{endpoint}]")
}
pub fn canary(name: &str) -> String {
    format!("monitoring.canary[{name}]")
}
pub fn alarm(name: &str) -> String {
    format!("monitoring.cloudwatch_alarm[{name}]")
}

/// A reference embedded in a longer string or an object key: `${address}` or
/// `${address#attribute}` (see `embedded.rs`).
pub fn embed(address: &str, attribute: Option<&str>) -> String {
    super::embedded::token(address, attribute)
}

/// A reference to an attribute AWS assigns at creation (`cluster.eks_cluster#oidcIssuer`):
/// the executor resolves it once the resource exists; the plan shows it as written.
pub fn attribute(address: &str, attribute: &str) -> String {
    format!("{address}#{attribute}")
}
