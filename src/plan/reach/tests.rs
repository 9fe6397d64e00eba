use serde_json::json;

use super::*;
use crate::plan::ResourceKind;
use crate::plan::catalog::desired;

const BLUEPRINTS: [&str; 5] = [
    "shinyproxy-eks.yaml",
    "lowcode-ha.yaml",
    "lowcode-asg.yaml",
    "dolphinscheduler-fargate.yaml",
    "minimal.yaml",
];

/// A shipped blueprint's model, read without the load pipeline (which runs this check).
fn blueprint(name: &str) -> Blueprint {
    let path = format!("{}/blueprints/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("blueprint");
    let (document, _) = crate::blueprint::yaml::parse(&text).expect("yaml");
    serde_json::from_value(document.value).expect("model")
}

fn planned(name: &str) -> (Blueprint, Vec<Resource>) {
    let bp = blueprint(name);
    let resources = desired(&bp);
    (bp, resources)
}

/// `shinyproxy-eks.yaml` with its node group as it was planned before: in its own security
/// group only, so EKS leaves its cluster security group off the nodes (a launch template with
/// security groups).
fn planned_with_nodes_in_their_own_group_only() -> (Blueprint, Vec<Resource>) {
    let (bp, mut resources) = planned("shinyproxy-eks.yaml");
    let ng = resources
        .iter_mut()
        .find(|r| r.kind == ResourceKind::NodeGroup)
        .expect("node group");
    ng.properties
        .insert("securityGroups".into(), json!([a::NODES_SG]));
    (bp, resources)
}

fn without(mut resources: Vec<Resource>, address: &str) -> Vec<Resource> {
    let before = resources.len();
    resources.retain(|r| r.address.as_str() != address);
    assert_eq!(resources.len() + 1, before, "{address} is planned");
    resources
}

fn rule(section: &str, key: &str) -> String {
    a::security_group_rule(section, key)
}

/// The one missing flow whose name starts with `flow`.
fn missing<'u>(found: &'u [Unreachable], flow: &str) -> &'u Unreachable {
    let matching: Vec<&Unreachable> = found.iter().filter(|u| u.flow.starts_with(flow)).collect();
    assert_eq!(matching.len(), 1, "{flow} in {found:#?}");
    matching[0]
}

#[test]
fn every_shipped_blueprint_allows_every_flow_it_needs() {
    for name in BLUEPRINTS {
        let (bp, resources) = planned(name);
        assert_eq!(check(&bp, &resources), [], "{name}");
    }
}

#[test]
fn the_flows_cover_the_platform() {
    let (bp, resources) = planned("shinyproxy-eks.yaml");
    let net = Network::of(&resources);
    let names: Vec<String> = flows::needed(&bp, &resources, &net)
        .iter()
        .map(Flow::name)
        .collect();
    let ng = "cluster.node_group[proxy]";
    for expected in [
        "clients on the internet -> the load balancer (tcp 443)".to_string(),
        format!("the load balancer -> ShinyProxy on {ng} (tcp 8080)"),
        "canary monitoring.canary[login] -> the load balancer (tcp 443)".into(),
        format!("ShinyProxy on {ng} -> apps on Fargate (tcp 3838)"),
        format!("pods on Fargate -> CoreDNS on {ng} (udp 53)"),
        format!("pods on Fargate -> CoreDNS on {ng} (tcp 53)"),
        format!("pods on {ng} -> the control plane (tcp 443)"),
        format!("the control plane -> pods on {ng} (tcp 10250)"),
        "apps on Fargate -> EFS at storage.efs_mount_target[b] (tcp 2049)".into(),
        format!("ShinyProxy on {ng} -> the database (tcp 5432)"),
        "apps on Fargate -> the cache (tcp 6379)".into(),
    ] {
        assert!(names.contains(&expected), "{expected} in {names:#?}");
    }
}

/// The node group as it was planned before cuts Fargate's pods off from it.
#[test]
fn nodes_without_the_cluster_security_group_cut_fargate_off() {
    let (bp, resources) = planned_with_nodes_in_their_own_group_only();
    let found = check(&bp, &resources);
    let to_apps = missing(
        &found,
        "ShinyProxy on cluster.node_group[proxy] -> apps on Fargate",
    );
    assert_eq!(
        to_apps.fixes,
        [
            "ingress tcp 3838 on cluster.eks_cluster#clusterSecurityGroup (the cluster security \
          group EKS makes) from security group cluster.security_group.nodes"
        ]
    );
    assert_eq!(to_apps.about, "proxy.apps[0]");
    let dns = missing(
        &found,
        "pods on Fargate -> CoreDNS on cluster.node_group[proxy] (udp 53)",
    );
    assert!(
        dns.reasons[0].starts_with("no ingress rule of cluster.security_group.nodes lets it in"),
        "{dns:?}"
    );
    assert_eq!(
        dns.fixes,
        [
            "ingress udp 53 on cluster.security_group.nodes from security group \
          cluster.eks_cluster#clusterSecurityGroup (the cluster security group EKS makes)"
        ]
    );
    missing(
        &found,
        "pods on Fargate -> CoreDNS on cluster.node_group[proxy] (tcp 53)",
    );
    // The nodes still reach the control plane through the rules of their own group.
    assert!(
        !found.iter().any(|u| u.flow.contains("the control plane")),
        "{found:#?}"
    );
}

#[test]
fn a_fargate_target_without_the_load_balancer_rule_is_caught() {
    let (bp, resources) = planned("dolphinscheduler-fargate.yaml");
    let resources = without(resources, &rule("ingress", "fargate_from_lb"));
    let found = check(&bp, &resources);
    let u = missing(&found, "the load balancer -> targets on Fargate (tcp 8080)");
    assert_eq!(u.about, "ingress");
    assert_eq!(
        u.fixes,
        [
            "ingress tcp 8080 on cluster.eks_cluster#clusterSecurityGroup (the cluster security \
          group EKS makes) from security group ingress.security_group"
        ]
    );
    assert_eq!(found.len(), 1, "{found:#?}");
}

#[test]
fn each_missing_rule_names_its_flow() {
    let ng = "cluster.node_group[proxy]";
    let cases: [(&str, String, String); 8] = [
        (
            "shinyproxy-eks.yaml",
            rule("ingress", "lb_from_clients_443"),
            "clients on the internet -> the load balancer (tcp 443)".into(),
        ),
        (
            "shinyproxy-eks.yaml",
            rule("ingress", "nodes_from_lb"),
            format!("the load balancer -> ShinyProxy on {ng} (tcp 8080)"),
        ),
        (
            "dolphinscheduler-fargate.yaml",
            rule("ingress", "lb_to_private_b"),
            "the load balancer -> targets on Fargate (tcp 8080)".into(),
        ),
        (
            "lowcode-ha.yaml",
            rule("storage", "from_servers_app"),
            "app servers app -> EFS at storage.efs_mount_target[a] (tcp 2049)".into(),
        ),
        (
            "shinyproxy-eks.yaml",
            rule("database", "from_private_b"),
            "apps on Fargate -> the database (tcp 5432)".into(),
        ),
        (
            "lowcode-ha.yaml",
            rule("cache", "from_servers_app"),
            "app servers app -> the cache (tcp 6379)".into(),
        ),
        (
            "lowcode-ha.yaml",
            rule("ingress", "lb_to_servers_app"),
            "the load balancer -> app servers app (tcp 8200)".into(),
        ),
        (
            "lowcode-ha.yaml",
            rule("servers", "app_from_lb"),
            "the load balancer -> app servers app (tcp 8200)".into(),
        ),
    ];
    for (name, address, flow) in cases {
        let (bp, resources) = planned(name);
        let found = check(&bp, &without(resources, &address));
        let u = missing(&found, &flow);
        assert!(!u.fixes.is_empty(), "{u:?}");
    }
}

#[test]
fn a_missing_zone_rule_names_the_zone_and_its_cidr() {
    let (bp, resources) = planned("shinyproxy-eks.yaml");
    let found = check(
        &bp,
        &without(resources, &rule("database", "from_private_b")),
    );
    let u = missing(&found, "apps on Fargate -> the database");
    assert_eq!(
        u.reasons,
        [
            "no ingress rule of database.security_group lets it in from apps on Fargate at \
          network.subnet.private[b] (10.9.64.0/18)"
        ]
    );
    assert_eq!(
        u.fixes,
        [
            "ingress tcp 5432 on database.security_group from security group \
          cluster.eks_cluster#clusterSecurityGroup (the cluster security group EKS makes)"
        ]
    );
}

#[test]
fn the_control_plane_needs_a_way_to_the_nodes() {
    let (bp, resources) = planned_with_nodes_in_their_own_group_only();
    let resources = without(resources, &rule("cluster", "nodes_from_cluster"));
    let found = check(&bp, &resources);
    let u = missing(
        &found,
        "the control plane -> pods on cluster.node_group[proxy] (tcp 10250)",
    );
    assert_eq!(u.about, "cluster.nodeGroups");
}

#[test]
fn canaries_cannot_reach_an_internal_load_balancer() {
    let (bp, mut resources) = planned("lowcode-ha.yaml");
    let lb = resources
        .iter_mut()
        .find(|r| r.kind == ResourceKind::LoadBalancer)
        .expect("load balancer");
    lb.properties.insert("scheme".into(), json!("internal"));
    let found = check(&bp, &resources);
    let u = missing(
        &found,
        "canary monitoring.canary[login-page] -> the load balancer",
    );
    assert_eq!(
        u.reasons,
        ["the load balancer has no address on the internet"]
    );
    assert_eq!(u.about, "monitoring.canaries[0]");
}

#[test]
fn a_public_load_balancer_needs_the_route_to_the_internet() {
    let (bp, resources) = planned("lowcode-ha.yaml");
    let found = check(&bp, &without(resources, a::PUBLIC_DEFAULT_ROUTE));
    let u = missing(
        &found,
        "clients on the internet -> the load balancer (tcp 8000)",
    );
    assert!(
        u.reasons[0].contains("network.subnet.public[a]") && u.reasons[0].contains("no route"),
        "{u:?}"
    );
}

#[test]
fn coredns_needs_somewhere_to_run() {
    let (mut bp, _) = planned("dolphinscheduler-fargate.yaml");
    let cluster = bp.cluster.as_mut().expect("cluster");
    cluster.fargate_profiles.retain(|p| p.name != "system");
    // The catalog then adds a kube-system profile for CoreDNS itself: without that one too,
    // nothing can run it.
    let resources = without(desired(&bp), "cluster.fargate_profile[kube-system]");
    let found = check(&bp, &resources);
    let u = missing(&found, "pods on Fargate -> CoreDNS (no node group");
    assert_eq!(u.about, "cluster");
}

#[test]
fn problems_are_errors_at_the_flow_s_yaml_path_with_the_rule_as_hint() {
    let (bp, resources) = planned("dolphinscheduler-fargate.yaml");
    let resources = without(resources, &rule("ingress", "fargate_from_lb"));
    let problems = problems(&bp, &resources);
    assert_eq!(problems.len(), 1);
    let p = &problems[0];
    assert!(p.is_error());
    assert_eq!(p.path, "ingress");
    assert!(
        p.message.starts_with(
            "the planned network does not allow the load balancer -> targets on Fargate (tcp 8080): \
             no ingress rule of cluster.eks_cluster#clusterSecurityGroup"
        ),
        "{}",
        p.message
    );
    assert!(
        p.hint
            .as_deref()
            .is_some_and(|h| h.starts_with("what would allow it: ingress tcp 8080")),
        "{:?}",
        p.hint
    );
}

#[test]
fn placement_follows_the_fargate_selectors() {
    let bp = blueprint("shinyproxy-eks.yaml");
    let on = |ns: &str| namespace_runs_on(&bp, ns);
    assert_eq!(
        on("shiny-apps"),
        Runs {
            nodes: false,
            fargate: true
        }
    );
    assert_eq!(
        on("shinyproxy"),
        Runs {
            nodes: true,
            fargate: false
        }
    );
    let mut labelled = bp.clone();
    let cluster = labelled.cluster.as_mut().expect("cluster");
    cluster.fargate_profiles[0].selectors[0]
        .labels
        .insert("tier".into(), "fargate".into());
    assert_eq!(
        namespace_runs_on(&labelled, "shiny-apps"),
        Runs {
            nodes: true,
            fargate: true
        },
        "a selector with labels takes only some of the namespace's pods"
    );
    assert!(targets_run_on(&blueprint("dolphinscheduler-fargate.yaml")).fargate);
}

#[test]
fn planning_commands_refuse_an_unreachable_flow_at_its_line_and_destroy_still_loads() {
    use crate::blueprint::Date;
    use crate::load::{LoadError, load_str, load_str_on};
    let text = include_str!("../../../blueprints/lowcode-ha.yaml")
        .replace("scheme: internet-facing", "scheme: internal");
    let today = Date::parse("2026-12-05").expect("date");
    let Err(LoadError::Invalid(found)) = load_str_on("b.yaml", &text, today) else {
        panic!("a canary cannot reach an internal load balancer");
    };
    assert_eq!(found.errors(), 1, "{:#?}", found.items);
    let d = &found.items[0];
    assert_eq!(d.path, "monitoring.canaries[0]");
    assert!(
        d.message.contains("has no address on the internet"),
        "{}",
        d.message
    );
    let line = text
        .lines()
        .position(|l| l.contains("- name: login-page"))
        .expect("line")
        + 1;
    assert_eq!(d.line, line);
    assert!(load_str("b.yaml", &text).is_ok(), "destroy loads it");
}
