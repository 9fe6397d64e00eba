//! `ingress`: the load balancer (ALB or NLB) in front of ShinyProxy, its security group, the
//! target group (IP targets: the ShinyProxy pods) and the listeners.

use serde_json::{Value, json};

use super::security::{Peer, Rule, group};
use super::{Client, Ctx, addresses as a};
use crate::blueprint::model::{
    Ingress, ListenerProtocol, LoadBalancerType, Scheme, StickinessType,
};
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "ingress";
/// ShinyProxy's HTTP port: what the target group sends traffic to.
pub(crate) const PROXY_PORT: u16 = 8080;
/// TLS 1.3 with 1.2 fallback: AWS's recommended policy for new HTTPS listeners.
const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

pub(crate) fn build(cx: &mut Ctx) {
    let Some(ingress) = cx.bp.ingress.clone() else {
        return;
    };
    let alb = ingress.kind == LoadBalancerType::Alb;
    security(cx, &ingress);

    let internet_facing = ingress.scheme == Scheme::InternetFacing;
    let mut lb = Resource::new(
        a::LOAD_BALANCER,
        K::LoadBalancer,
        cx.names.load_balancer(if alb { "alb" } else { "nlb" }),
        ORIGIN,
    )
    .with(
        "name",
        cx.names.load_balancer(if alb { "alb" } else { "nlb" }),
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
        cx.subnets(if internet_facing { "public" } else { "private" }),
    )
    .with("securityGroups", json!([a::LB_SG]));
    if alb {
        lb = lb.with("idleTimeoutSeconds", ingress.idle_timeout_seconds);
    }
    // An internet-facing load balancer needs its subnets' route to the internet.
    if internet_facing {
        lb = lb.after(&crate::plan::Address::new(a::PUBLIC_DEFAULT_ROUTE));
    }
    cx.push(lb);
    target_group(cx, &ingress, alb);
    listeners(cx, &ingress);
}

fn security(cx: &mut Ctx, ingress: &Ingress) {
    let sg = group(cx, a::LB_SG, "lb", "load balancer", ORIGIN);
    cx.push(sg);
    let from = match (ingress.scheme, cx.vpc_cidr) {
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
            .build(cx),
        );
    }
    for client in cx.clients() {
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
            .build(cx),
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
                .build(cx),
            );
        }
    }
    for rule in rules {
        cx.push(rule);
    }
}

fn target_group(cx: &mut Ctx, ingress: &Ingress, alb: bool) {
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
    cx.push(
        Resource::new(
            a::TARGET_GROUP,
            K::TargetGroup,
            cx.names.target_group(),
            ORIGIN,
        )
        .with("name", cx.names.target_group())
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
        .with("stickiness", stickiness),
    );
}

fn listeners(cx: &mut Ctx, ingress: &Ingress) {
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
            cx.names.listener(listener.port),
            format!("ingress.listeners[{i}]"),
        )
        .with("loadBalancer", a::LOAD_BALANCER)
        .with("port", listener.port)
        .with("protocol", listener.protocol.aws_name());
        // An NLB's idle timeout is a TCP listener's attribute (`tcp.idle_timeout.seconds`,
        // 60-6000 s; TLS listeners keep a fixed 350 s and UDP ones have none: ELB docs, "Update
        // the TCP idle timeout for your Network Load Balancer listener").
        if ingress.kind == LoadBalancerType::Nlb && listener.protocol == ListenerProtocol::Tcp {
            resource = resource.with("idleTimeoutSeconds", ingress.idle_timeout_seconds);
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
        cx.push(resource.with("defaultAction", action));
    }
}
