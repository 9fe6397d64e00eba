//! `ingress`: the load balancer (ALB or NLB) in front of ShinyProxy, its security group, the
//! target group (IP targets: the ShinyProxy pods) and the listeners.

use serde_json::{Value, json};

use super::security::{Peer, Rule, group};
use super::{Catalog, Client, addresses as a};
use crate::blueprint::model::{
    Ingress, ListenerProtocol, LoadBalancerType, Scheme, StickinessType,
};
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "ingress";
/// ShinyProxy's HTTP port: what the target group sends traffic to.
pub(crate) const PROXY_PORT: u16 = 8080;
/// TLS 1.3 with 1.2 fallback: AWS's recommended policy for new HTTPS listeners.
const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

pub(crate) fn build(catalog: &mut Catalog) {
    let Some(ingress) = catalog.bp.ingress.clone() else {
        return;
    };
    let alb = ingress.kind == LoadBalancerType::Alb;
    security(catalog, &ingress);

    let internet_facing = ingress.scheme == Scheme::InternetFacing;
    let mut lb = Resource::new(
        a::LOAD_BALANCER,
        K::LoadBalancer,
        catalog.names.load_balancer(if alb { "alb" } else { "nlb" }),
        ORIGIN,
    )
    .with(
        "name",
        catalog.names.load_balancer(if alb { "alb" } else { "nlb" }),
    )
    .with("type", if alb { "application" } else { "network" })
    .with(
        "scheme",
        if internet_facing {
            "internet-facing"
        } else {
            "internal"
        },
    )
    .with("ipAddressType", "ipv4")
    .with(
        "subnets",
        catalog.subnets(if internet_facing { "public" } else { "private" }),
    )
    .with("securityGroups", json!([a::LB_SG]));
    if alb {
        lb = lb.with("idleTimeoutSeconds", ingress.idle_timeout());
    }
    // An internet-facing load balancer needs its subnets' route to the internet.
    if internet_facing {
        lb = lb.after(&crate::plan::Address::new(a::PUBLIC_DEFAULT_ROUTE));
    }
    catalog.push(lb);
    target_group(catalog, &ingress, alb);
    listeners(catalog, &ingress);
}

fn security(catalog: &mut Catalog, ingress: &Ingress) {
    let sg = group(catalog, a::LB_SG, "lb", "load balancer", ORIGIN);
    catalog.push(sg);
    let from = match (ingress.scheme, catalog.vpc_cidr) {
        (Scheme::Internal, Some(vpc)) => vpc.to_string(),
        _ => "0.0.0.0/0".to_string(),
    };
    let mut ports: Vec<u16> = ingress.listeners.iter().map(|l| l.port).collect();
    ports.sort_unstable();
    ports.dedup();
    let mut rules = Vec::new();
    for port in ports {
        rules.push(
            Rule {
                section: ORIGIN,
                key: format!("lb_from_clients_{port}"),
                group: a::LB_SG,
                direction: "ingress",
                protocol: "tcp",
                from_port: i32::from(port),
                to_port: i32::from(port),
                peer: Peer::Cidr(&from),
                description: format!("listener {port}"),
                origin: ORIGIN,
            }
            .build(catalog),
        );
    }
    for client in catalog.clients() {
        let (key, peer) = match &client {
            Client::Group(group) => ("nodes".to_string(), Peer::Group(group)),
            Client::Cidr { zone, cidr } => (format!("private_{zone}"), Peer::Cidr(cidr)),
        };
        rules.push(
            Rule {
                section: ORIGIN,
                key: format!("lb_to_{key}"),
                group: a::LB_SG,
                direction: "egress",
                protocol: "tcp",
                from_port: i32::from(PROXY_PORT),
                to_port: i32::from(PROXY_PORT),
                peer,
                description: "to ShinyProxy".into(),
                origin: ORIGIN,
            }
            .build(catalog),
        );
        if let Client::Group(group) = client {
            rules.push(
                Rule {
                    section: ORIGIN,
                    key: "nodes_from_lb".into(),
                    group,
                    direction: "ingress",
                    protocol: "tcp",
                    from_port: i32::from(PROXY_PORT),
                    to_port: i32::from(PROXY_PORT),
                    peer: Peer::Group(a::LB_SG),
                    description: "ShinyProxy from the load balancer".into(),
                    origin: ORIGIN,
                }
                .build(catalog),
            );
        }
    }
    // Targets on Fargate have only the cluster security group EKS makes, which lets in nothing
    // but itself (EKS user guide: sec-group-reqs.html, "Default cluster security group";
    // fargate-getting-started.html, step 1): open it to the load balancer on the target port,
    // as the AWS Load Balancer Controller opens its targets' groups to its own.
    if crate::plan::reach::targets_run_on(catalog.bp).fargate {
        rules.push(
            Rule {
                section: ORIGIN,
                key: "fargate_from_lb".into(),
                group: a::EKS_MADE_SG,
                direction: "ingress",
                protocol: "tcp",
                from_port: i32::from(PROXY_PORT),
                to_port: i32::from(PROXY_PORT),
                peer: Peer::Group(a::LB_SG),
                description: "targets on Fargate from the load balancer".into(),
                origin: ORIGIN,
            }
            .build(catalog),
        );
    }
    for rule in rules {
        catalog.push(rule);
    }
}

/// AWS's default deregistration delay (botocore `elbv2` TargetGroupAttribute).
const AWS_DEREGISTRATION_DELAY_SECONDS: u64 = 300;

/// How long the load balancer holds a deregistering target's connections. Behind ShinyProxy,
/// as long as a terminating pod keeps serving (its preStop drain), so the ALB closes them when
/// the pod does (`workload::rollout::drain_seconds`, docs/workload.md "Rollouts"); other
/// workloads keep AWS's default, written out so the plan compares it like any setting.
fn deregistration_delay_seconds(bp: &crate::blueprint::Blueprint) -> u64 {
    match bp.proxy {
        Some(_) => crate::workload::rollout::drain_seconds(bp),
        None => AWS_DEREGISTRATION_DELAY_SECONDS,
    }
}

fn target_group(catalog: &mut Catalog, ingress: &Ingress, alb: bool) {
    let hc = &ingress.health_check;
    let stickiness = match &ingress.stickiness {
        None => json!({"enabled": false}),
        Some(s) => {
            let kind = match s.kind {
                StickinessType::LbCookie => "lb_cookie",
                StickinessType::AppCookie => "app_cookie",
                StickinessType::SourceIp => "source_ip",
            };
            let mut value = json!({"enabled": true, "type": kind});
            if s.kind != StickinessType::SourceIp {
                value["durationSeconds"] = json!(s.duration_seconds);
            }
            if let Some(cookie) = &s.cookie_name {
                value["cookieName"] = json!(cookie);
            }
            value
        }
    };
    let resource = Resource::new(
        a::TARGET_GROUP,
        K::TargetGroup,
        catalog.names.target_group(),
        ORIGIN,
    )
    .with("name", catalog.names.target_group())
    .with("protocol", if alb { "HTTP" } else { "TCP" })
    .with("port", PROXY_PORT)
    .with("targetType", "ip")
    .with("vpc", a::VPC)
    .with(
        "healthCheck",
        json!({
            "protocol": "HTTP",
            "path": hc.path,
            "port": "traffic-port",
            "intervalSeconds": hc.interval_seconds,
            "timeoutSeconds": hc.timeout_seconds,
            "healthyThreshold": hc.healthy_threshold,
            "unhealthyThreshold": hc.unhealthy_threshold,
            "matcher": "200-399"
        }),
    )
    .with("stickiness", stickiness)
    .with(
        "deregistrationDelaySeconds",
        deregistration_delay_seconds(catalog.bp),
    );
    catalog.push(resource);
}

fn listeners(catalog: &mut Catalog, ingress: &Ingress) {
    for (i, listener) in ingress.listeners.iter().enumerate() {
        let action = match listener.redirect_to {
            Some(port) => json!({
                "type": "redirect",
                "protocol": "HTTPS",
                "port": port.to_string(),
                "statusCode": "HTTP_301"
            }),
            None => json!({"type": "forward", "targetGroup": a::TARGET_GROUP}),
        };
        let mut resource = Resource::new(
            a::listener(listener.port),
            K::Listener,
            catalog.names.listener(listener.port),
            format!("ingress.listeners[{i}]"),
        )
        .with("loadBalancer", a::LOAD_BALANCER)
        .with("port", listener.port)
        .with("protocol", listener.protocol.aws_name());
        // An NLB's idle timeout is a TCP listener's attribute (`tcp.idle_timeout.seconds`,
        // 60-6000 s; TLS listeners keep a fixed 350 s and UDP ones have none: ELB docs, "Update
        // the TCP idle timeout for your Network Load Balancer listener").
        if ingress.kind == LoadBalancerType::Nlb && listener.protocol == ListenerProtocol::Tcp {
            resource = resource.with("idleTimeoutSeconds", ingress.idle_timeout());
        }
        if listener.protocol.needs_certificate() {
            let certificates: Vec<Value> = listener
                .certificate_arn
                .iter()
                .map(|arn| json!(arn))
                .collect();
            resource = resource
                .with("certificates", Value::Array(certificates))
                .with("sslPolicy", SSL_POLICY);
        }
        catalog.push(resource.with("defaultAction", action));
    }
}
