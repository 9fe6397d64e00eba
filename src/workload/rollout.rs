//! Rollouts that do not drop users: what the Deployment and the target group need so that a new
//! configuration replaces the old pods while every user keeps a pod to talk to (docs/workload.md,
//! "Rollouts").
//!
//! - `PROXY_VERSION`: containerproxy 1.2.0's `IdentifierService` reads `proxy.version` (a number;
//!   Spring maps the environment variable to it) and `RedisCheckLatestConfigService` keeps the
//!   highest version seen in Redis: a server whose version is lower steps out of the leader
//!   election, so the pods of the previous configuration stop running the background work (app
//!   pre-initialisation, scaling, cleanup) the moment a newer one runs. The ShinyProxy operator
//!   sets it to the time its new configuration was made, in milliseconds
//!   (`PodTemplateSpecFactory`); so does shinyctl, when the pod template changes, and keeps it
//!   while the template is the same (so an unchanged platform plans no change).
//! - A drain ([`drain_seconds`]): the pod sleeps in `preStop` while the load balancer controller
//!   deregisters it and the ALB stops sending it requests; the target group's deregistration
//!   delay is the same, so the ALB holds a draining pod's connections exactly as long as it
//!   serves them.

use serde_json::Value;

use crate::blueprint::Blueprint;

use super::facts::KNOWN_AFTER_APPLY;
use super::fingerprint;

/// The environment variable containerproxy reads as `proxy.version`.
pub(crate) const PROXY_VERSION_ENV: &str = "PROXY_VERSION";
/// Pod-template annotation: the fingerprint of the template without the version, so that a
/// later plan can tell whether the template (config, image, resources, secrets) changed.
pub(crate) const TEMPLATE_HASH: &str = "shinyctl.dev/template-hash";
/// Pod-template annotation: the fingerprint of the current version of every secret value the
/// pods read (never a value), so a new value (a rotation) rolls them and the new pods read it.
pub(crate) const SECRET_VERSIONS: &str = "shinyctl.dev/secret-versions";
/// What an offline render sets: a number ShinyProxy accepts; apply sets the real one.
pub(crate) const OFFLINE_VERSION: &str = "0";

/// ShinyProxy's default heartbeat rate; shinyctl's is at most this (see `shinyproxy.rs`).
pub(crate) const DEFAULT_HEARTBEAT_RATE_MS: u64 = 10_000;
/// The load balancer controller reacts to a terminating pod and the ALB stops routing to the
/// deregistered target within seconds; this much is always allowed for it.
const MIN_DRAIN_SECONDS: u64 = 15;
/// Spring Boot's default `spring.lifecycle.timeout-per-shutdown-phase` (30 s): how long the
/// graceful shutdown after the drain may take before the kubelet kills the pod.
pub(crate) const SHUTDOWN_SECONDS: u64 = 30;

/// How often ShinyProxy sends heartbeats: half the load balancer's idle timeout, at most
/// ShinyProxy's default, at least 1 s.
pub(crate) fn heartbeat_rate_ms(bp: &Blueprint) -> u64 {
    match &bp.ingress {
        Some(ingress) => {
            (u64::from(ingress.idle_timeout()) * 1000 / 2).clamp(1000, DEFAULT_HEARTBEAT_RATE_MS)
        }
        None => DEFAULT_HEARTBEAT_RATE_MS,
    }
}

/// Seconds a terminating ShinyProxy pod keeps serving (its `preStop` sleep) and the target
/// group's deregistration delay: two heartbeat intervals, at least [`MIN_DRAIN_SECONDS`]. Within
/// it every open app page sends a heartbeat (a new request, which the ALB routes to a pod that
/// stays) at least once after the ALB stopped routing new requests here, so the user's session
/// already lives on in another pod (sessions and apps are in Redis) when this one closes its
/// websockets and the browser reconnects.
pub(crate) fn drain_seconds(bp: &Blueprint) -> u64 {
    (2 * heartbeat_rate_ms(bp))
        .div_ceil(1000)
        .max(MIN_DRAIN_SECONDS)
}

/// The rendered Deployment's `PROXY_VERSION` value, if it has one.
pub fn version_of(deployment: &Value) -> Option<&str> {
    containers(deployment)
        .iter()
        .flat_map(|c| c["env"].as_array().map(Vec::as_slice).unwrap_or(&[]))
        .find(|e| e["name"] == PROXY_VERSION_ENV)
        .and_then(|e| e["value"].as_str())
}

fn containers(deployment: &Value) -> &[Value] {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Sets `PROXY_VERSION` on every Deployment of `objects` that has it.
pub(crate) fn set_version(objects: &mut [Value], version: &str) {
    for object in objects.iter_mut().filter(|o| o["kind"] == "Deployment") {
        let Some(containers) = object["spec"]["template"]["spec"]["containers"].as_array_mut()
        else {
            continue;
        };
        for env in containers
            .iter_mut()
            .filter_map(|c| c["env"].as_array_mut())
            .flatten()
            .filter(|e| e["name"] == PROXY_VERSION_ENV)
        {
            env["value"] = Value::from(version);
        }
    }
}

/// Sets [`SECRET_VERSIONS`] on every Deployment that has it, from `versions` (key -> current
/// version of its source; a key without one counts as unknown), and renews [`TEMPLATE_HASH`].
pub(crate) fn set_secret_versions(
    objects: &mut [Value],
    keys: &[String],
    versions: &std::collections::BTreeMap<String, String>,
) {
    let lines: Vec<String> = keys
        .iter()
        .map(|k| format!("{k}={}", versions.get(k).map_or("?", String::as_str)))
        .collect();
    let value = fingerprint(&lines.join("\n"));
    for object in objects.iter_mut().filter(|o| o["kind"] == "Deployment") {
        let template = &mut object["spec"]["template"];
        if template["metadata"]["annotations"]
            .get(SECRET_VERSIONS)
            .is_none()
        {
            continue;
        }
        template["metadata"]["annotations"][SECRET_VERSIONS] = Value::from(value.clone());
        let hash = template_fingerprint(template);
        template["metadata"]["annotations"][TEMPLATE_HASH] = Value::from(hash);
    }
}

/// The fingerprint of a pod template with the version blanked (what [`TEMPLATE_HASH`] holds).
pub(super) fn template_fingerprint(template: &Value) -> String {
    let mut template = template.clone();
    let mut wrapper = serde_json::json!({"kind": "Deployment", "spec": {"template": {}}});
    std::mem::swap(&mut wrapper["spec"]["template"], &mut template);
    set_version(std::slice::from_mut(&mut wrapper), "");
    if let Some(annotations) =
        wrapper["spec"]["template"]["metadata"]["annotations"].as_object_mut()
    {
        annotations.remove(TEMPLATE_HASH);
    }
    fingerprint(&wrapper["spec"]["template"].to_string())
}

fn template_hash(deployment: &Value) -> Option<&str> {
    deployment["spec"]["template"]["metadata"]["annotations"][TEMPLATE_HASH].as_str()
}

/// The live object with `rendered`'s kind, name and namespace.
fn live_counterpart<'a>(rendered: &Value, live: &'a [Value]) -> Option<&'a Value> {
    let meta = &rendered["metadata"];
    live.iter().find(|o| {
        o["kind"] == rendered["kind"]
            && o["metadata"]["name"] == meta["name"]
            && o["metadata"]["namespace"] == meta["namespace"]
    })
}

/// The live Deployment's version when the rendered pod template is the live one (nothing to
/// roll out, so nothing changes); `None` when it differs or there is no live Deployment.
fn kept_version(rendered: &Value, deployment: &Value) -> Option<String> {
    let same =
        template_hash(deployment).is_some() && template_hash(deployment) == template_hash(rendered);
    version_of(deployment)
        .filter(|v| same && v.parse::<u64>().is_ok())
        .map(str::to_string)
}

/// For a plan: the live version where the pod template is unchanged; otherwise the version is
/// `(known after apply)` (apply sets it when it deploys: [`stamp`]).
pub(crate) fn plan_version(objects: &mut [Value], live: &[Value]) {
    stamp_with(objects, live, |_| KNOWN_AFTER_APPLY.to_string());
}

/// For a deploy: the live version where the pod template is unchanged; otherwise `now_ms` (the
/// operator's choice), or one more than the live version if the clock is behind it, so a new
/// configuration always outranks the one it replaces.
pub fn stamp(objects: &mut [Value], live: &[Value], now_ms: u64) {
    stamp_with(objects, live, |previous| {
        let previous = previous.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        now_ms.max(previous + 1).to_string()
    });
}

fn stamp_with(objects: &mut [Value], live: &[Value], new: impl Fn(Option<&str>) -> String) {
    for object in objects.iter_mut() {
        if object["kind"] != "Deployment" || version_of(object).is_none() {
            continue;
        }
        let running = live_counterpart(object, live);
        let version = running
            .and_then(|d| kept_version(object, d))
            .unwrap_or_else(|| new(running.and_then(version_of)));
        set_version(std::slice::from_mut(object), &version);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(image: &str, version: &str) -> Value {
        let mut template = json!({
            "metadata": {"annotations": {}},
            "spec": {"containers": [{"name": "shinyproxy", "image": image,
                "env": [{"name": PROXY_VERSION_ENV, "value": version}]}]},
        });
        template["metadata"]["annotations"][TEMPLATE_HASH] = json!(template_fingerprint(&template));
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "shinyproxy", "namespace": "shinyproxy"},
               "spec": {"template": template}})
    }

    #[test]
    fn the_version_is_not_part_of_the_template_hash() {
        assert_eq!(
            template_hash(&deployment("sp:3.2.0", "1")),
            template_hash(&deployment("sp:3.2.0", "2"))
        );
        assert_ne!(
            template_hash(&deployment("sp:3.2.0", "1")),
            template_hash(&deployment("sp:3.2.1", "1"))
        );
    }

    #[test]
    fn an_unchanged_template_keeps_its_version_a_changed_one_gets_a_new_one_at_apply() {
        let live = [deployment("sp:3.2.0", "1700000000000")];
        let mut same = [deployment("sp:3.2.0", KNOWN_AFTER_APPLY)];
        plan_version(&mut same, &live);
        assert_eq!(version_of(&same[0]), Some("1700000000000"));

        let mut changed = [deployment("sp:3.2.1", KNOWN_AFTER_APPLY)];
        plan_version(&mut changed, &live);
        assert_eq!(version_of(&changed[0]), Some(KNOWN_AFTER_APPLY));
        stamp(&mut changed, &live, 1_800_000_000_000);
        assert_eq!(version_of(&changed[0]), Some("1800000000000"));

        // A clock behind the running version still outranks it.
        let mut behind = [deployment("sp:3.2.1", KNOWN_AFTER_APPLY)];
        stamp(&mut behind, &live, 5);
        assert_eq!(version_of(&behind[0]), Some("1700000000001"));

        // Nothing on the cluster yet: now.
        let mut first = [deployment("sp:3.2.0", KNOWN_AFTER_APPLY)];
        stamp(&mut first, &[], 42);
        assert_eq!(version_of(&first[0]), Some("42"));
    }
}
