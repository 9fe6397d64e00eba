//! The controllers a blueprint's workload needs on its cluster, installed by shinyctl itself (no
//! Helm, no cert-manager): today the AWS Load Balancer Controller, which turns the
//! TargetGroupBinding into registered targets (ShinyProxy behind the ALB or NLB the catalog made).
//! Each is a set of objects rendered like the workload's, labelled [`PART_OF`] its name; apply
//! applies them first and waits for their Deployments ([`deployments`]) before anything that
//! needs them (the binding's webhook would refuse it, and nothing would register targets);
//! destroy removes them last, after what they manage.

pub(crate) mod load_balancer;
pub(crate) mod registry;
pub(crate) mod webhook_cert;

use serde_json::Value;

use crate::blueprint::Blueprint;
use crate::plan::catalog::Names;

use super::PlatformFacts;

/// `app.kubernetes.io/part-of`: the controller's name on each of its objects.
pub(crate) const PART_OF: &str = "app.kubernetes.io/part-of";
/// Every controller shinyctl can install.
pub(crate) const CONTROLLERS: &[&str] = &[load_balancer::NAME];

/// The objects of every controller the blueprint needs, in apply order. The load balancer
/// controller comes with a cluster behind an ingress, once its IRSA role is known.
pub(crate) fn objects(bp: &Blueprint, facts: &PlatformFacts) -> Vec<Value> {
    let Some(role) = &facts.load_balancer_controller_role_arn else {
        return Vec::new();
    };
    let cluster_name = Names::new(&bp.metadata.name).cluster();
    load_balancer::objects(&load_balancer::Install {
        blueprint: &bp.metadata.name,
        region: &bp.metadata.region,
        cluster_name: &cluster_name,
        vpc_id: &facts.vpc_id,
        role_arn: role,
    })
}

/// Whether `object` belongs to a controller (by its [`PART_OF`] label).
pub(crate) fn is_controller(object: &Value) -> bool {
    object["metadata"]["labels"][PART_OF]
        .as_str()
        .is_some_and(|name| CONTROLLERS.contains(&name))
}

/// The controllers' Deployments among `objects`, as `(namespace, name)`: what apply waits for.
pub(crate) fn deployments(objects: &[Value]) -> Vec<(String, String)> {
    objects
        .iter()
        .filter(|o| o["kind"] == "Deployment" && is_controller(o))
        .map(|o| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                text(&o["metadata"]["namespace"]),
                text(&o["metadata"]["name"]),
            )
        })
        .collect()
}
