//! `ingress`: the load balancer (ALB or NLB) in front of ShinyProxy, its security group, the
//! target group (IP targets: the ShinyProxy pods) and the listeners.

use serde::{Deserialize, Serialize};

use super::security::{Peer, Rule, group};
use super::{Catalog, Client, addresses as a};
use crate::blueprint::model::{
    HealthCheck, Ingress, ListenerProtocol, LoadBalancerType, Scheme, Stickiness, StickinessType,
};
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "ingress";
/// ShinyProxy's HTTP port: what the target group sends traffic to.
pub(crate) const PROXY_PORT: u16 = 8080;
/// TLS 1.3 with 1.2 fallback: AWS's recommended policy for new HTTPS listeners.
const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// A load balancer's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoadBalancerProps {
    pub(crate) name: String,
    /// `application` or `network`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// `internet-facing` or `internal`.
    pub(crate) scheme: String,
    /// `ipv4` or `dualstack` (changes in place).
    pub(crate) ip_address_type: String,
    /// The subnets' addresses.
    pub(crate) subnets: Vec<String>,
    /// The security groups' addresses.
    pub(crate) security_groups: Vec<String>,
    /// An ALB's idle timeout (an NLB's is its TCP listeners' attribute).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) idle_timeout_seconds: Option<u32>,
}

/// A target group's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TargetGroupProps {
    pub(crate) name: String,
    /// `HTTP` (behind an ALB) or `TCP` (behind an NLB).
    pub(crate) protocol: String,
    pub(crate) port: u16,
    /// `ip`: the targets are pods' addresses.
    pub(crate) target_type: String,
    /// The VPC's address.
    pub(crate) vpc: String,
    pub(crate) health_check: HealthCheckProps,
    /// Like the deregistration delay: always given by the catalog; `None` only in destroy's
    /// inventory, which reads no attributes (left absent, not guessed off).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) stickiness: Option<StickinessProps>,
    /// Always given by the catalog; `None` only in destroy's inventory, which reads no
    /// attributes (left absent).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) deregistration_delay_seconds: Option<u64>,
}

/// A target group's health check (ModifyTargetGroup's fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HealthCheckProps {
    pub(crate) protocol: String,
    pub(crate) path: String,
    /// `traffic-port`: the target's own port.
    pub(crate) port: String,
    pub(crate) interval_seconds: u32,
    pub(crate) timeout_seconds: u32,
    pub(crate) healthy_threshold: u32,
    pub(crate) unhealthy_threshold: u32,
    /// The HTTP codes that mean healthy (`200-399`).
    pub(crate) matcher: String,
}

/// A target group's stickiness: `{"enabled": false}`, or the kind of stickiness with its
/// duration (not for `source_ip`) and an application cookie's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StickinessProps {
    pub(crate) enabled: bool,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none", default)]
    pub(crate) kind: Option<StickinessKind>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) duration_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) cookie_name: Option<String>,
}

impl StickinessProps {
    /// No stickiness.
    pub(crate) const OFF: StickinessProps = StickinessProps {
        enabled: false,
        kind: None,
        duration_seconds: None,
        cookie_name: None,
    };
}

/// A target group's kind of stickiness, as AWS names it (botocore `elbv2` TargetGroupAttribute
/// `stickiness.type`: "lb_cookie and app_cookie for Application Load Balancers. source_ip for
/// Network Load Balancers. source_ip_dest_ip and source_ip_dest_ip_proto for Gateway Load
/// Balancers"). A blueprint sets one of the first three ([`StickinessType`]); the Gateway Load
/// Balancer's are only ever read, as is a kind AWS adds later ([`StickinessKind::Other`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub(crate) enum StickinessKind {
    LbCookie,
    AppCookie,
    SourceIp,
    SourceIpDestIp,
    SourceIpDestIpProto,
    /// A kind not named above, as AWS names it.
    Other(String),
}

impl StickinessKind {
    const NAMED: [StickinessKind; 5] = [
        StickinessKind::LbCookie,
        StickinessKind::AppCookie,
        StickinessKind::SourceIp,
        StickinessKind::SourceIpDestIp,
        StickinessKind::SourceIpDestIpProto,
    ];

    /// AWS's name: the `stickiness.type` attribute's value.
    pub(crate) fn aws_name(&self) -> &str {
        match self {
            StickinessKind::LbCookie => "lb_cookie",
            StickinessKind::AppCookie => "app_cookie",
            StickinessKind::SourceIp => "source_ip",
            StickinessKind::SourceIpDestIp => "source_ip_dest_ip",
            StickinessKind::SourceIpDestIpProto => "source_ip_dest_ip_proto",
            StickinessKind::Other(name) => name,
        }
    }
}

impl From<String> for StickinessKind {
    fn from(name: String) -> Self {
        let mut named = StickinessKind::NAMED.into_iter();
        named
            .find(|kind| kind.aws_name() == name)
            .unwrap_or(StickinessKind::Other(name))
    }
}

impl From<StickinessKind> for String {
    fn from(kind: StickinessKind) -> Self {
        kind.aws_name().to_string()
    }
}

impl From<StickinessType> for StickinessKind {
    fn from(kind: StickinessType) -> Self {
        match kind {
            StickinessType::LbCookie => StickinessKind::LbCookie,
            StickinessType::AppCookie => StickinessKind::AppCookie,
            StickinessType::SourceIp => StickinessKind::SourceIp,
        }
    }
}

/// A listener's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListenerProps {
    /// The load balancer's address.
    pub(crate) load_balancer: String,
    pub(crate) port: u16,
    /// `HTTP`, `HTTPS`, `TCP` or `TLS`.
    pub(crate) protocol: String,
    /// A TCP listener's idle timeout (NLBs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) idle_timeout_seconds: Option<u32>,
    /// The certificates' ARNs (HTTPS and TLS listeners).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) certificates: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) ssl_policy: Option<String>,
    /// Always given by the catalog; `None` only where a read found a listener without one (AWS
    /// requires it: botocore `elbv2` CreateListenerInput DefaultActions), left absent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) default_action: Option<ActionProps>,
}

/// A listener rule's properties: what matches (path patterns, host headers; none given, none
/// sent) and what it does. Made by `routes.rs` (a workload's `http` path).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListenerRuleProps {
    /// The listener's address.
    pub(crate) listener: String,
    pub(crate) priority: i32,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub(crate) path_patterns: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub(crate) host_headers: Vec<String>,
    /// `None` only where a read found a rule without one (AWS requires it: botocore `elbv2`
    /// CreateRuleInput Actions), left absent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) action: Option<ActionProps>,
}

/// One target registered in a target group: an EC2 instance on a port, made by the servers'
/// builder for a fixed server (AWS keys a registration by its group, target id and port:
/// botocore `elbv2` TargetDescription).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TargetGroupAttachmentProps {
    /// The target group's address.
    pub(crate) target_group: String,
    /// The instance: its address, or its id where no resource of the blueprint makes it.
    pub(crate) target: String,
    pub(crate) port: u16,
}

/// A listener's or rule's action: forward to a target group, or redirect (the parts not given
/// keep the request's own, as AWS's `#{...}` placeholders do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum ActionProps {
    Forward {
        /// The target group's address.
        #[serde(rename = "targetGroup")]
        target_group: String,
    },
    #[serde(rename_all = "camelCase")]
    Redirect {
        #[serde(skip_serializing_if = "Option::is_none", default)]
        protocol: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        port: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        host: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        path: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        query: Option<String>,
        /// `HTTP_301` (permanent) or `HTTP_302`.
        status_code: String,
    },
}

pub(crate) fn build(catalog: &mut Catalog) {
    let Some(ingress) = catalog.bp.ingress.clone() else {
        return;
    };
    let alb = ingress.kind == LoadBalancerType::Alb;
    security(catalog, &ingress);

    let internet_facing = ingress.scheme == Scheme::InternetFacing;
    let name = catalog.names.load_balancer(if alb { "alb" } else { "nlb" });
    let tier = if internet_facing { "public" } else { "private" };
    let mut lb = Resource::new(a::LOAD_BALANCER, K::LoadBalancer, name.clone(), ORIGIN).props(
        &LoadBalancerProps {
            name,
            kind: if alb { "application" } else { "network" }.into(),
            scheme: if internet_facing {
                "internet-facing"
            } else {
                "internal"
            }
            .into(),
            ip_address_type: "ipv4".into(),
            subnets: catalog.subnets(tier),
            security_groups: vec![a::LB_SG.into()],
            idle_timeout_seconds: alb.then(|| ingress.idle_timeout()),
        },
    );
    // An internet-facing load balancer needs its subnets' route to the internet.
    if internet_facing {
        lb = lb.after(&crate::plan::Address::new(a::PUBLIC_DEFAULT_ROUTE));
    }
    catalog.push(lb);
    // Without a cluster, a server group may take `/`: its target group is the default.
    let default_target = super::routes::root_target_group(catalog.bp);
    if default_target.is_none() {
        target_group(catalog, &ingress, alb);
    }
    listeners(
        catalog,
        &ingress,
        default_target.as_deref().unwrap_or(a::TARGET_GROUP),
    );
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

/// A target group's stickiness from the blueprint's (the ingress's or a server group's).
pub(crate) fn stickiness_props(stickiness: Option<&Stickiness>) -> StickinessProps {
    match stickiness {
        None => StickinessProps::OFF,
        Some(s) => StickinessProps {
            enabled: true,
            kind: Some(s.kind.into()),
            duration_seconds: (s.kind != StickinessType::SourceIp).then_some(s.duration_seconds),
            cookie_name: s.cookie_name.clone(),
        },
    }
}

/// A target group's HTTP health check on the traffic port from the blueprint's.
pub(crate) fn health_check_props(hc: &HealthCheck) -> HealthCheckProps {
    HealthCheckProps {
        protocol: "HTTP".into(),
        path: hc.path.clone(),
        port: "traffic-port".into(),
        interval_seconds: hc.interval_seconds,
        timeout_seconds: hc.timeout_seconds,
        healthy_threshold: hc.healthy_threshold,
        unhealthy_threshold: hc.unhealthy_threshold,
        matcher: "200-399".into(),
    }
}

fn target_group(catalog: &mut Catalog, ingress: &Ingress, alb: bool) {
    let resource = Resource::new(
        a::TARGET_GROUP,
        K::TargetGroup,
        catalog.names.target_group(),
        ORIGIN,
    )
    .props(&TargetGroupProps {
        name: catalog.names.target_group(),
        protocol: if alb { "HTTP" } else { "TCP" }.into(),
        port: PROXY_PORT,
        target_type: "ip".into(),
        vpc: a::VPC.into(),
        health_check: health_check_props(&ingress.health_check),
        stickiness: Some(stickiness_props(ingress.stickiness.as_ref())),
        deregistration_delay_seconds: Some(deregistration_delay_seconds(catalog.bp)),
    });
    catalog.push(resource);
}

fn listeners(catalog: &mut Catalog, ingress: &Ingress, target_group: &str) {
    for (i, listener) in ingress.listeners.iter().enumerate() {
        let default_action = match listener.redirect_to {
            Some(port) => ActionProps::Redirect {
                protocol: Some("HTTPS".into()),
                port: Some(port.to_string()),
                host: None,
                path: None,
                query: None,
                status_code: "HTTP_301".into(),
            },
            None => ActionProps::Forward {
                target_group: target_group.into(),
            },
        };
        // An NLB's idle timeout is a TCP listener's attribute (`tcp.idle_timeout.seconds`,
        // 60-6000 s; TLS listeners keep a fixed 350 s and UDP ones have none: ELB docs, "Update
        // the TCP idle timeout for your Network Load Balancer listener").
        let tcp_idle =
            ingress.kind == LoadBalancerType::Nlb && listener.protocol == ListenerProtocol::Tcp;
        let tls = listener.protocol.needs_certificate();
        let resource = Resource::new(
            a::listener(listener.port),
            K::Listener,
            catalog.names.listener(listener.port),
            format!("ingress.listeners[{i}]"),
        )
        .props(&ListenerProps {
            load_balancer: a::LOAD_BALANCER.into(),
            port: listener.port,
            protocol: listener.protocol.aws_name().into(),
            idle_timeout_seconds: tcp_idle.then(|| ingress.idle_timeout()),
            certificates: tls.then(|| listener.certificate_arn.iter().cloned().collect()),
            ssl_policy: tls.then(|| SSL_POLICY.into()),
            default_action: Some(default_action),
        });
        catalog.push(resource);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<LoadBalancerProps>(K::LoadBalancer);
        check_spec_fields::<TargetGroupProps>(K::TargetGroup);
        check_spec_fields::<ListenerProps>(K::Listener);
        check_spec_fields::<ListenerRuleProps>(K::ListenerRule);
        check_spec_fields::<TargetGroupAttachmentProps>(K::TargetGroupAttachment);
    }

    #[test]
    fn a_kind_of_stickiness_is_its_aws_name() {
        // A blueprint's kind plans into the same name it always did.
        for kind in [
            StickinessType::LbCookie,
            StickinessType::AppCookie,
            StickinessType::SourceIp,
        ] {
            assert_eq!(
                serde_json::to_value(StickinessKind::from(kind)).unwrap(),
                serde_json::to_value(kind).unwrap()
            );
        }
        // Every kind AWS names, and one it may add, reads back as itself.
        let names = [
            "lb_cookie",
            "app_cookie",
            "source_ip",
            "source_ip_dest_ip",
            "source_ip_dest_ip_proto",
            "new_kind",
        ];
        for name in names {
            let kind: StickinessKind = serde_json::from_value(json!(name)).unwrap();
            assert_eq!(kind.aws_name(), name);
            assert_eq!(serde_json::to_value(&kind).unwrap(), json!(name));
        }
        assert_eq!(
            StickinessKind::from("source_ip_dest_ip".to_string()),
            StickinessKind::SourceIpDestIp
        );
        assert_eq!(
            StickinessKind::from("new_kind".to_string()),
            StickinessKind::Other("new_kind".into())
        );
    }

    #[test]
    fn an_action_a_read_lacks_stays_absent() {
        // The listener's and rule's reads fill these structs: no action read, no key.
        let listener = ListenerProps {
            load_balancer: "arn:lb".into(),
            port: 80,
            protocol: "HTTP".into(),
            idle_timeout_seconds: None,
            certificates: None,
            ssl_policy: None,
            default_action: None,
        };
        assert_eq!(
            serde_json::to_value(&listener).unwrap(),
            json!({"loadBalancer": "arn:lb", "port": 80, "protocol": "HTTP"})
        );
        let rule = ListenerRuleProps {
            listener: "arn:listener".into(),
            priority: 3,
            path_patterns: vec![],
            host_headers: vec![],
            action: None,
        };
        assert_eq!(
            serde_json::to_value(&rule).unwrap(),
            json!({"listener": "arn:listener", "priority": 3})
        );
    }

    #[test]
    fn actions_serialise_in_the_catalogs_shape() {
        let redirect = ActionProps::Redirect {
            protocol: Some("HTTPS".into()),
            port: Some("443".into()),
            host: None,
            path: None,
            query: None,
            status_code: "HTTP_301".into(),
        };
        assert_eq!(
            serde_json::to_string(&redirect).unwrap(),
            r#"{"type":"redirect","protocol":"HTTPS","port":"443","statusCode":"HTTP_301"}"#
        );
        let forward = ActionProps::Forward {
            target_group: a::TARGET_GROUP.into(),
        };
        let value = serde_json::to_value(&forward).unwrap();
        assert_eq!(
            value,
            json!({"type": "forward", "targetGroup": a::TARGET_GROUP})
        );
        assert_eq!(
            serde_json::from_value::<ActionProps>(value).unwrap(),
            forward
        );
    }
}
