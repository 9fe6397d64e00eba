//! `cluster`: security groups, the EKS cluster, Fargate profiles and managed node groups.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::security::{Peer, Rule, group};
use super::{Catalog, addresses as a};
use crate::blueprint::model::{CapacityType, Cluster, ControlPlaneLog};
use crate::plan::{Address, Resource, ResourceKind as K};

const ORIGIN: &str = "cluster";

/// An EKS cluster's properties. References are addresses (the role's `arn`, the subnets' and
/// security groups' ids once resolved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EksClusterProps {
    pub(crate) name: String,
    /// The Kubernetes version (the blueprint's, or its default).
    pub(crate) version: String,
    /// The cluster role's address.
    pub(crate) role: String,
    pub(crate) subnets: Vec<String>,
    pub(crate) security_groups: Vec<String>,
    pub(crate) endpoint_public_access: bool,
    pub(crate) endpoint_private_access: bool,
    /// Empty when the endpoint is private only.
    pub(crate) public_access_cidrs: Vec<String>,
    /// The control-plane log types sent to CloudWatch, sorted; the others are disabled.
    pub(crate) logging: Vec<String>,
}

/// A Fargate profile's properties: all but tags force a replacement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FargateProfileProps {
    pub(crate) name: String,
    /// The cluster's address.
    pub(crate) cluster: String,
    /// The pod execution role's address.
    pub(crate) pod_execution_role: String,
    pub(crate) subnets: Vec<String>,
    pub(crate) selectors: Vec<ProfileSelector>,
}

/// Which pods a Fargate profile runs: a namespace, and labels they must all have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ProfileSelector {
    pub(crate) namespace: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) labels: BTreeMap<String, String>,
}

/// A managed node group's properties. Its security groups and disk size go into the launch
/// template made for it (see `aws::services::node_group`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeGroupProps {
    pub(crate) name: String,
    /// The cluster's address.
    pub(crate) cluster: String,
    /// The node role's address.
    pub(crate) node_role: String,
    pub(crate) subnets: Vec<String>,
    pub(crate) security_groups: Vec<String>,
    pub(crate) instance_types: Vec<String>,
    pub(crate) disk_size_gib: u32,
    /// `ON_DEMAND` or `SPOT` (EKS's `CapacityTypes`).
    pub(crate) capacity_type: String,
    pub(crate) scaling: NodeGroupScaling,
    pub(crate) labels: BTreeMap<String, String>,
}

/// A node group's sizes (EKS's `NodegroupScalingConfig`). The catalog gives all three; a read
/// node group whose answer leaves one out (botocore `eks` NodegroupScalingConfig: none of its
/// members required) has it `null`, as its read always had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeGroupScaling {
    pub(crate) desired_size: Option<u32>,
    pub(crate) min_size: Option<u32>,
    pub(crate) max_size: Option<u32>,
}

/// An EKS add-on's properties (CoreDNS here, the EFS CSI driver in `storage.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EksAddonProps {
    /// The cluster's address.
    pub(crate) cluster: String,
    pub(crate) addon_name: String,
    /// The address of the role its service account runs as (IRSA), if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) service_account_role_arn: Option<String>,
    /// The add-on's configuration (JSON text matching `DescribeAddonConfiguration`'s schema).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) configuration_values: Option<String>,
}

pub(crate) fn build(catalog: &mut Catalog) {
    let Some(cluster) = catalog.bp.cluster.clone() else {
        return;
    };
    let has_nodes = !cluster.node_groups.is_empty();
    security_groups(catalog, has_nodes);

    let attachments = catalog.attachments_of(a::CLUSTER_ROLE);
    let mut eks = Resource::new(
        a::EKS_CLUSTER,
        K::EksCluster,
        catalog.names.cluster(),
        ORIGIN,
    )
    .props(&EksClusterProps {
        name: catalog.names.cluster(),
        version: cluster.version.clone(),
        role: a::CLUSTER_ROLE.to_string(),
        subnets: catalog.subnets("private"),
        security_groups: vec![a::CLUSTER_SG.to_string()],
        endpoint_public_access: cluster.endpoint_access.public,
        endpoint_private_access: cluster.endpoint_access.private,
        public_access_cidrs: if cluster.endpoint_access.public {
            cluster.endpoint_access.public_cidrs.clone()
        } else {
            Vec::new()
        },
        logging: logging(&cluster),
    });
    // EKS refuses a role that cannot yet do its job.
    for attachment in &attachments {
        eks = eks.after(attachment);
    }
    catalog.push(eks);

    fargate_profiles(catalog, &cluster);
    node_groups(catalog, &cluster);
    coredns_on_fargate(catalog, &cluster);
}

fn logging(cluster: &Cluster) -> Vec<String> {
    let mut types: Vec<&str> = cluster
        .logging
        .iter()
        .map(|log| match log {
            ControlPlaneLog::Api => "api",
            ControlPlaneLog::Audit => "audit",
            ControlPlaneLog::Authenticator => "authenticator",
            ControlPlaneLog::ControllerManager => "controllerManager",
            ControlPlaneLog::Scheduler => "scheduler",
        })
        .collect();
    types.sort_unstable();
    types.dedup();
    types.into_iter().map(str::to_string).collect()
}

fn security_groups(catalog: &mut Catalog, has_nodes: bool) {
    let sg = group(
        catalog,
        a::CLUSTER_SG,
        "cluster",
        "EKS control plane",
        ORIGIN,
    );
    catalog.push(sg);
    if !has_nodes {
        return;
    }
    let sg = group(
        catalog,
        a::NODES_SG,
        "nodes",
        "EKS worker nodes",
        "cluster.nodeGroups",
    );
    catalog.push(sg);
    let origin = "cluster.nodeGroups";
    let rules = [
        // The API server is reached by kubelets and pods on the nodes.
        Rule {
            section: ORIGIN,
            key: "cluster_from_nodes_https".into(),
            group: a::CLUSTER_SG,
            direction: "ingress",
            protocol: "tcp",
            from_port: 443,
            to_port: 443,
            peer: Peer::Group(a::NODES_SG),
            description: "Kubernetes API from the nodes".into(),
            origin,
        },
        // The control plane calls kubelets (10250) and webhooks/extension API servers (>1024).
        Rule {
            section: ORIGIN,
            key: "nodes_from_cluster".into(),
            group: a::NODES_SG,
            direction: "ingress",
            protocol: "tcp",
            from_port: 1025,
            to_port: 65535,
            peer: Peer::Group(a::CLUSTER_SG),
            description: "kubelet and webhooks from the control plane".into(),
            origin,
        },
        Rule {
            section: ORIGIN,
            key: "nodes_from_cluster_https".into(),
            group: a::NODES_SG,
            direction: "ingress",
            protocol: "tcp",
            from_port: 443,
            to_port: 443,
            peer: Peer::Group(a::CLUSTER_SG),
            description: "extension API servers from the control plane".into(),
            origin,
        },
        // The same two paths as egress of the control plane's group: shinyctl removes AWS's
        // default allow-all egress, so each group states the egress it needs.
        Rule {
            section: ORIGIN,
            key: "cluster_to_nodes".into(),
            group: a::CLUSTER_SG,
            direction: "egress",
            protocol: "tcp",
            from_port: 1025,
            to_port: 65535,
            peer: Peer::Group(a::NODES_SG),
            description: "kubelet and webhooks on the nodes".into(),
            origin,
        },
        Rule {
            section: ORIGIN,
            key: "cluster_to_nodes_https".into(),
            group: a::CLUSTER_SG,
            direction: "egress",
            protocol: "tcp",
            from_port: 443,
            to_port: 443,
            peer: Peer::Group(a::NODES_SG),
            description: "extension API servers on the nodes".into(),
            origin,
        },
        // Pod-to-pod traffic and cluster DNS cross nodes on any port and protocol.
        Rule {
            section: ORIGIN,
            key: "nodes_from_nodes".into(),
            group: a::NODES_SG,
            direction: "ingress",
            protocol: "-1",
            from_port: -1,
            to_port: -1,
            peer: Peer::Group(a::NODES_SG),
            description: "pods and DNS between nodes".into(),
            origin,
        },
        // Image pulls, AWS APIs and the apps' own outbound calls.
        Rule {
            section: ORIGIN,
            key: "nodes_egress".into(),
            group: a::NODES_SG,
            direction: "egress",
            protocol: "-1",
            from_port: -1,
            to_port: -1,
            peer: Peer::Cidr("0.0.0.0/0"),
            description: "outbound from the nodes".into(),
            origin,
        },
    ];
    for rule in rules {
        let rule = rule.build(catalog);
        catalog.push(rule);
    }
}

fn fargate_profiles(catalog: &mut Catalog, cluster: &Cluster) {
    let mut previous: Option<Address> = None;
    let waits = [
        catalog.attachments_of(a::FARGATE_ROLE),
        catalog.private_routes(),
    ]
    .concat();
    for (i, profile) in cluster.fargate_profiles.iter().enumerate() {
        let selectors = profile
            .selectors
            .iter()
            .map(|s| ProfileSelector {
                namespace: s.namespace.clone(),
                labels: s.labels.clone(),
            })
            .collect();
        let address = a::fargate_profile(&profile.name);
        let mut resource = Resource::new(
            address.clone(),
            K::FargateProfile,
            catalog.names.fargate_profile(&profile.name),
            format!("cluster.fargateProfiles[{i}]"),
        )
        .props(&FargateProfileProps {
            name: catalog.names.fargate_profile(&profile.name),
            cluster: a::EKS_CLUSTER.to_string(),
            pod_execution_role: a::FARGATE_ROLE.to_string(),
            subnets: catalog.subnets("private"),
            selectors,
        });
        for wait in &waits {
            resource = resource.after(wait);
        }
        // EKS rejects concurrent Fargate-profile operations on one cluster: one after the other.
        if let Some(previous) = &previous {
            resource = resource.after(previous);
        }
        previous = Some(resource.address.clone());
        catalog.push(resource);
    }
}

/// CoreDNS's labels in EKS's Deployment (`kube-system/coredns`).
const COREDNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");
/// The EKS add-on name of CoreDNS.
pub(crate) const COREDNS_ADDON: &str = "coredns";
/// The CoreDNS add-on's configuration that runs it on Fargate: its schema
/// (`DescribeAddonConfiguration`) has `computeType`; EKS then drops the
/// `eks.amazonaws.com/compute-type: ec2` annotation it otherwise puts on the pods, which keeps them
/// off Fargate (EKS user guide, "Get started with AWS Fargate", Update CoreDNS; eksctl's
/// `pkg/fargate/coredns` does the same by patching the Deployment).
pub(crate) const COREDNS_ON_FARGATE: &str = r#"{"computeType":"Fargate"}"#;

/// The labels of the AWS Load Balancer Controller's pods (`workload/controllers/load_balancer.rs`),
/// in kube-system: a blueprint with an ingress runs it.
const LB_CONTROLLER_LABEL: (&str, &str) =
    ("app.kubernetes.io/name", "aws-load-balancer-controller");
/// The profile shinyctl adds for kube-system's pods on a cluster without node groups.
pub(crate) const SYSTEM_PROFILE: &str = "kube-system";

/// On a cluster without node groups, CoreDNS (and the load balancer controller, with an
/// ingress) has nowhere to run unless Fargate takes it: a profile selecting those pods (unless
/// the blueprint's profiles already do) and the CoreDNS add-on configured for Fargate, after
/// every profile (EKS schedules the pods as soon as it is applied).
fn coredns_on_fargate(catalog: &mut Catalog, cluster: &Cluster) {
    if !cluster.node_groups.is_empty() || cluster.fargate_profiles.is_empty() {
        return;
    }
    let mut profiles: Vec<Address> = cluster
        .fargate_profiles
        .iter()
        .map(|p| Address::new(a::fargate_profile(&p.name)))
        .collect();
    let mut system = vec![COREDNS_LABEL];
    if catalog.bp.ingress.is_some() {
        system.push(LB_CONTROLLER_LABEL);
    }
    // A pod is the blueprint's profiles' when a kube-system selector asks only for its label.
    let selected = |label: &(&str, &str)| {
        cluster.fargate_profiles.iter().any(|p| {
            p.selectors.iter().any(|s| {
                s.namespace == "kube-system"
                    && s.labels
                        .iter()
                        .all(|(k, v)| (k.as_str(), v.as_str()) == *label)
            })
        })
    };
    let selectors: Vec<ProfileSelector> = system
        .iter()
        .filter(|label| !selected(label))
        .map(|(k, v)| ProfileSelector {
            namespace: "kube-system".into(),
            labels: BTreeMap::from([(k.to_string(), v.to_string())]),
        })
        .collect();
    if !selectors.is_empty() {
        let name = catalog.names.fargate_profile(SYSTEM_PROFILE);
        let mut profile = Resource::new(
            a::fargate_profile(SYSTEM_PROFILE),
            K::FargateProfile,
            name.clone(),
            ORIGIN,
        )
        .props(&FargateProfileProps {
            name,
            cluster: a::EKS_CLUSTER.to_string(),
            pod_execution_role: a::FARGATE_ROLE.to_string(),
            subnets: catalog.subnets("private"),
            selectors,
        });
        // One Fargate-profile operation at a time per cluster: after the blueprint's profiles.
        for previous in &profiles {
            profile = profile.after(previous);
        }
        profiles.push(profile.address.clone());
        catalog.push(profile);
    }
    let mut addon = Resource::new(
        a::eks_addon(COREDNS_ADDON),
        K::EksAddon,
        COREDNS_ADDON,
        ORIGIN,
    )
    .props(&EksAddonProps {
        cluster: a::EKS_CLUSTER.to_string(),
        addon_name: COREDNS_ADDON.to_string(),
        service_account_role_arn: None,
        configuration_values: Some(COREDNS_ON_FARGATE.to_string()),
    });
    for profile in &profiles {
        addon = addon.after(profile);
    }
    catalog.push(addon);
}

fn node_groups(catalog: &mut Catalog, cluster: &Cluster) {
    // Nodes that cannot reach ECR and the EKS API never join: wait for the role and the routes out.
    let waits = [
        catalog.attachments_of(a::NODE_ROLE),
        catalog.private_routes(),
    ]
    .concat();
    for (i, ng) in cluster.node_groups.iter().enumerate() {
        let mut resource = Resource::new(
            a::node_group(&ng.name),
            K::NodeGroup,
            catalog.names.node_group(&ng.name),
            format!("cluster.nodeGroups[{i}]"),
        )
        .props(&NodeGroupProps {
            name: catalog.names.node_group(&ng.name),
            cluster: a::EKS_CLUSTER.to_string(),
            node_role: a::NODE_ROLE.to_string(),
            subnets: catalog.subnets("private"),
            // A launch template naming security groups keeps EKS from adding the cluster
            // security group it makes (EKS user guide, launch-templates.html, "Security groups"),
            // and Fargate pods have only that group: the nodes carry it too, as eksctl's managed
            // launch templates do (pkg/cfn/builder/managed_launch_template.go,
            // `makeLaunchTemplateData`). Its allow-all-from-itself rule then lets ShinyProxy on
            // the nodes reach apps on Fargate, Fargate pods reach CoreDNS on the nodes, and the
            // nodes and control plane reach each other. (Sorted by address: a set, as the reader
            // reads it.)
            security_groups: vec![a::EKS_MADE_SG.to_string(), a::NODES_SG.to_string()],
            instance_types: ng.instance_types.clone(),
            disk_size_gib: ng.disk_size_gib,
            capacity_type: match ng.capacity_type {
                CapacityType::OnDemand => "ON_DEMAND",
                CapacityType::Spot => "SPOT",
            }
            .to_string(),
            scaling: NodeGroupScaling {
                desired_size: Some(ng.desired),
                min_size: Some(ng.min),
                max_size: Some(ng.max),
            },
            labels: ng.labels.clone(),
        });
        for wait in &waits {
            resource = resource.after(wait);
        }
        catalog.push(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn sizes_a_read_lacks_are_null() {
        // The node group's read fills this struct: a size EKS does not give stays `null`.
        let read = NodeGroupScaling {
            desired_size: Some(2),
            min_size: None,
            max_size: None,
        };
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            r#"{"desiredSize":2,"minSize":null,"maxSize":null}"#
        );
    }

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<EksClusterProps>(K::EksCluster);
        check_spec_fields::<FargateProfileProps>(K::FargateProfile);
        check_spec_fields::<NodeGroupProps>(K::NodeGroup);
        check_spec_fields::<EksAddonProps>(K::EksAddon);
    }
}
