//! The load balancer's routes to server groups and services (`servers[].http`,
//! `ecs.services[].http`): the listeners' default target group, and a listener rule per routed
//! path, most specific first across both sections.

use super::ingress::{ActionProps, ListenerRuleProps};
use super::{Catalog, addresses as a};
use crate::blueprint::Blueprint;
use crate::blueprint::model::{Route, RouteTarget};
use crate::plan::{Resource, ResourceKind as K};

/// The target group a route sends to.
pub(crate) fn target_group(route: &Route) -> String {
    match route.target {
        RouteTarget::Servers(group) => a::server("target_group", &group.name),
        RouteTarget::Service(service) => a::ecs("target_group", &service.name),
    }
}

/// The target group of the server group or service that takes `/`, when it is the listeners'
/// default (a blueprint without a cluster: ShinyProxy's target group does not exist).
pub(crate) fn root_target_group(bp: &Blueprint) -> Option<String> {
    if bp.cluster.is_some() {
        return None;
    }
    bp.routes().iter().find(|r| r.path == "/").map(target_group)
}

/// What forwards to a route's target group: the forwarding listeners themselves for `/` (their
/// default action), else the route's rule on each of them. A service needs one before it is
/// made (ECS refuses a target group no load balancer uses).
pub(crate) fn forwarders(bp: &Blueprint, route: &Route) -> Vec<String> {
    let Some(ingress) = &bp.ingress else {
        return Vec::new();
    };
    ingress
        .listeners
        .iter()
        .filter(|l| l.redirect_to.is_none())
        .map(|l| {
            if route.path == "/" {
                a::listener(l.port)
            } else {
                rule_address(route, l.port)
            }
        })
        .collect()
}

fn rule_address(route: &Route, port: u16) -> String {
    let section = match route.target {
        RouteTarget::Servers(_) => "servers",
        RouteTarget::Service(_) => "ecs",
    };
    format!("{section}.listener_rule[{}_{port}]", route.name())
}

/// A rule per forwarding listener for each route under a path, most specific first (longer
/// paths take lower priorities, which the ALB evaluates first), whichever section it is in.
pub(crate) fn build(catalog: &mut Catalog) {
    let bp = catalog.bp;
    let Some(ingress) = &bp.ingress else { return };
    let mut routed: Vec<Route> = bp.routes().into_iter().filter(|r| r.path != "/").collect();
    routed.sort_by(|x, y| {
        y.path
            .len()
            .cmp(&x.path.len())
            .then(x.path.cmp(y.path))
            .then(x.name().cmp(y.name()))
    });
    for (priority, route) in routed.iter().enumerate() {
        for listener in ingress.listeners.iter().filter(|l| l.redirect_to.is_none()) {
            catalog.push(
                Resource::new(
                    rule_address(route, listener.port),
                    K::ListenerRule,
                    catalog
                        .names
                        .label(&format!("{}-{}", route.name(), listener.port)),
                    format!("{}.path", route.at),
                )
                .props(&ListenerRuleProps {
                    listener: a::listener(listener.port),
                    priority: i32::try_from(priority + 1).unwrap_or(i32::MAX),
                    path_patterns: vec![route.path.to_string(), format!("{}/*", route.path)],
                    host_headers: vec![],
                    action: Some(ActionProps::Forward {
                        target_group: target_group(route),
                    }),
                }),
            );
        }
    }
}
