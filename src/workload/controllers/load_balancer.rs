//! The AWS Load Balancer Controller, as its Helm chart installs it without cert-manager
//! (kubernetes-sigs/aws-load-balancer-controller, `helm/aws-load-balancer-controller` at
//! [`VERSION`]: `crds/crds.yaml`, `templates/{rbac,deployment,service,webhook}.yaml`, values
//! defaults), in kube-system, with the IRSA role shinyctl makes (`plan/catalog/iam.rs`, the
//! policy of the same release) and the image from the region's EKS registry (`registry.rs`;
//! EKS user guide "Install AWS Load Balancer Controller with Helm": `image.repository`
//! `<registry>/amazon/aws-load-balancer-controller` where public.ecr.aws is out of reach).
//!
//! What shinyctl needs of it is the TargetGroupBinding: so the CRDs are TargetGroupBinding and
//! IngressClassParams (the ones the controller watches with its default feature gates; the
//! Gateway API kinds are detected and skipped when absent, Global Accelerator and the ALB target
//! control agent are off by default), the ClusterRole has the rules for those and the core kinds,
//! and the webhooks are those of pods (readiness gates), TargetGroupBindings, IngressClassParams
//! and Ingresses. The CRD schemas are written here from the controller's API types: the spec
//! fields TargetGroupBinding has (`apis/elbv2/v1beta1`), nested objects kept as sent.

use serde_json::{Map, Value, json};

use super::registry::eks_registry;
use super::webhook_cert::{CA_FROM, CERTIFICATE_FOR};
use crate::workload::{BLUEPRINT_LABEL, MANAGED_BY, checkov_skip};

/// The pinned release (chart and image), the one `plan/catalog/iam.rs`'s policy follows.
pub(crate) const VERSION: &str = "v3.5.0";
/// The chart's name: Deployment, ServiceAccount, `app.kubernetes.io/name`.
pub(crate) const NAME: &str = "aws-load-balancer-controller";
pub(crate) const NAMESPACE: &str = "kube-system";
/// The webhook's Service and the Secret with its certificate (the chart's names).
pub(crate) const WEBHOOK_SERVICE: &str = "aws-load-balancer-webhook-service";
pub(crate) const WEBHOOK_SECRET: &str = "aws-load-balancer-tls";
const WEBHOOK_PORT: u16 = 9443;
const HEALTH_PORT: u16 = 61779;
/// The image's non-root user (the chart's `fsGroup`).
const RUN_AS: u32 = 65534;

/// What the controller is installed for.
pub(crate) struct Install<'a> {
    pub(crate) blueprint: &'a str,
    pub(crate) region: &'a str,
    pub(crate) cluster_name: &'a str,
    pub(crate) vpc_id: &'a str,
    /// The IRSA role its ServiceAccount carries.
    pub(crate) role_arn: &'a str,
}

/// Every object, in apply order: CRDs, ServiceAccount, RBAC, certificate Secret, webhook
/// Service, Deployment, webhook configurations.
pub(crate) fn objects(install: &Install) -> Vec<Value> {
    let mut out = vec![ingress_class_params_crd(), target_group_binding_crd()];
    out.push(service_account(install));
    out.extend(rbac());
    out.push(webhook_secret());
    out.push(webhook_service());
    out.push(deployment(install));
    out.extend(webhook_configurations());
    out.into_iter()
        .map(|o| with_labels(o, install.blueprint))
        .collect()
}

/// The ownership labels and the chart's own on every object.
fn with_labels(mut object: Value, blueprint: &str) -> Value {
    let mut labels = Map::new();
    labels.insert(MANAGED_BY.0.into(), json!(MANAGED_BY.1));
    labels.insert(BLUEPRINT_LABEL.into(), json!(blueprint));
    labels.insert(super::PART_OF.into(), json!(NAME));
    labels.insert("app.kubernetes.io/name".into(), json!(NAME));
    labels.insert("app.kubernetes.io/instance".into(), json!(NAME));
    labels.insert("app.kubernetes.io/version".into(), json!(VERSION));
    object["metadata"]["labels"] = Value::Object(labels);
    object
}

fn selector() -> Value {
    json!({"app.kubernetes.io/name": NAME, "app.kubernetes.io/instance": NAME})
}

fn meta(name: &str, namespaced: bool) -> Value {
    if namespaced {
        json!({"name": name, "namespace": NAMESPACE})
    } else {
        json!({"name": name})
    }
}

fn crd(plural: &str, kind: &str, scope: &str, versions: Value) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": meta(&format!("{plural}.elbv2.k8s.aws"), false),
        "spec": {
            "group": "elbv2.k8s.aws",
            "names": {
                "kind": kind,
                "listKind": format!("{kind}List"),
                "plural": plural,
                "singular": kind.to_ascii_lowercase(),
            },
            "scope": scope,
            "versions": versions,
        },
    })
}

fn string() -> Value {
    json!({"type": "string"})
}

/// An object kept as sent (its nested fields are the controller's to check).
fn open_object() -> Value {
    json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

fn target_group_binding_crd() -> Value {
    let spec = json!({
        "type": "object",
        "required": ["serviceRef"],
        "properties": {
            "assumeRoleExternalId": string(),
            "iamRoleArnToAssume": string(),
            "ipAddressType": {"type": "string", "enum": ["ipv4", "ipv6"]},
            "multiClusterTargetGroup": {"type": "boolean"},
            "networking": open_object(),
            "nodeSelector": open_object(),
            "serviceRef": {
                "type": "object",
                "required": ["name", "port"],
                "properties": {
                    "name": string(),
                    "port": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true},
                },
            },
            "targetGroupARN": string(),
            "targetGroupName": string(),
            "targetGroupProtocol": {"type": "string", "enum": ["HTTP", "HTTPS", "TCP", "TCP_UDP", "TCP_QUIC"]},
            "targetType": {"type": "string", "enum": ["instance", "ip"]},
            "vpcID": string(),
        },
    });
    let column = |name: &str, path: &str, priority: u32| {
        let mut c = json!({"name": name, "jsonPath": path, "type": "string"});
        if priority > 0 {
            c["priority"] = json!(priority);
        }
        c
    };
    crd(
        "targetgroupbindings",
        "TargetGroupBinding",
        "Namespaced",
        json!([{
            "name": "v1beta1",
            "served": true,
            "storage": true,
            "subresources": {"status": {}},
            "additionalPrinterColumns": [
                column("SERVICE-NAME", ".spec.serviceRef.name", 0),
                column("SERVICE-PORT", ".spec.serviceRef.port", 0),
                column("TARGET-TYPE", ".spec.targetType", 0),
                column("ARN", ".spec.targetGroupARN", 1),
                {"name": "AGE", "jsonPath": ".metadata.creationTimestamp", "type": "date"},
            ],
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "apiVersion": string(),
                    "kind": string(),
                    "metadata": {"type": "object"},
                    "spec": spec,
                    "status": open_object(),
                },
            }},
        }]),
    )
}

fn ingress_class_params_crd() -> Value {
    crd(
        "ingressclassparams",
        "IngressClassParams",
        "Cluster",
        json!([{
            "name": "v1beta1",
            "served": true,
            "storage": true,
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "apiVersion": string(),
                    "kind": string(),
                    "metadata": {"type": "object"},
                    "spec": open_object(),
                },
            }},
        }]),
    )
}

/// Annotated with the IRSA role: the controller calls ELB and EC2 with it.
fn service_account(install: &Install) -> Value {
    let mut metadata = meta(NAME, true);
    metadata["annotations"] = json!({"eks.amazonaws.com/role-arn": install.role_arn});
    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata})
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

/// The chart's ClusterRole without the Gateway API and Global Accelerator rules (those features
/// are off here) nor cluster-wide Secrets, its leader-election Role, and their bindings.
fn rbac() -> Vec<Value> {
    let account = json!([{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]);
    let read = ["get", "list", "watch"];
    let cluster_role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": meta(&format!("{NAME}-role"), false),
        "rules": [
            rule(&[""], &["configmaps"], &["create", "delete", "get", "update"]),
            rule(&[""], &["endpoints", "namespaces", "nodes", "pods"], &read),
            rule(&[""], &["events"], &["create", "patch"]),
            rule(&[""], &["pods/status", "services/status"], &["patch", "update"]),
            rule(&[""], &["services"], &["get", "list", "patch", "update", "watch"]),
            rule(&["discovery.k8s.io"], &["endpointslices"], &read),
            rule(&["elbv2.k8s.aws"], &["ingressclassparams"], &read),
            rule(&["elbv2.k8s.aws"], &["targetgroupbindings"], &["create", "delete", "get", "list", "patch", "update", "watch"]),
            rule(&["elbv2.k8s.aws"], &["targetgroupbindings/status"], &["patch", "update"]),
            rule(&["extensions", "networking.k8s.io"], &["ingresses"], &["get", "list", "patch", "update", "watch"]),
            rule(&["extensions", "networking.k8s.io"], &["ingresses/status"], &["patch", "update"]),
            rule(&["networking.k8s.io"], &["ingressclasses"], &read),
            // Not the chart's Secrets rule: only an Ingress with OIDC authentication makes the
            // controller read a Secret (pkg/k8s/secrets_manager.go watches just the ones such
            // Ingresses name; the manager's cache never holds Secrets, pkg/config/runtime_config.go).
        ],
    });
    let cluster_binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": meta(&format!("{NAME}-rolebinding"), false),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": format!("{NAME}-role")},
        "subjects": account.clone(),
    });
    let leader = format!("{NAME}-leader");
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": meta(&format!("{NAME}-leader-election-role"), true),
        "rules": [
            rule(&[""], &["configmaps"], &["create"]),
            {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [leader.as_str()], "verbs": ["get", "patch", "update"]},
            rule(&["coordination.k8s.io"], &["leases"], &["create"]),
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": [leader.as_str()], "verbs": ["get", "update", "patch"]},
        ],
    });
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": meta(&format!("{NAME}-leader-election-rolebinding"), true),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("{NAME}-leader-election-role")},
        "subjects": account,
    });
    vec![cluster_role, cluster_binding, role, binding]
}

/// The webhook Service's DNS names, as the chart's certificate has them.
pub(crate) fn webhook_dns_names() -> Vec<String> {
    vec![
        format!("{WEBHOOK_SERVICE}.{NAMESPACE}.svc"),
        format!("{WEBHOOK_SERVICE}.{NAMESPACE}.svc.cluster.local"),
    ]
}

/// No values when rendered: apply issues the certificate (`webhook_cert::fill`).
fn webhook_secret() -> Value {
    let mut metadata = meta(WEBHOOK_SECRET, true);
    metadata["annotations"] = json!({CERTIFICATE_FOR: webhook_dns_names().join(",")});
    json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": metadata})
}

fn webhook_service() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(WEBHOOK_SERVICE, true),
        "spec": {
            "selector": selector(),
            "ports": [{"name": "webhook-server", "port": 443, "targetPort": "webhook-server", "protocol": "TCP"}],
        },
    })
}

fn deployment(install: &Install) -> Value {
    let image = format!(
        "{}/amazon/aws-load-balancer-controller:{VERSION}",
        eks_registry(install.region)
    );
    let probe = |path: &str, initial_delay: u32| {
        json!({
            "httpGet": {"path": path, "port": HEALTH_PORT, "scheme": "HTTP"},
            "initialDelaySeconds": initial_delay,
            "timeoutSeconds": 10,
            "failureThreshold": 2,
        })
    };
    let container = json!({
        "name": NAME,
        "image": image,
        "imagePullPolicy": "Always",
        // Region and VPC given: on Fargate the controller has no instance metadata to ask.
        "args": [
            format!("--cluster-name={}", install.cluster_name),
            "--ingress-class=alb",
            format!("--aws-region={}", install.region),
            format!("--aws-vpc-id={}", install.vpc_id),
        ],
        "ports": [
            {"name": "webhook-server", "containerPort": WEBHOOK_PORT, "protocol": "TCP"},
            {"name": "metrics-server", "containerPort": 8080, "protocol": "TCP"},
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
        "livenessProbe": probe("/healthz", 30),
        "readinessProbe": probe("/readyz", 10),
        "securityContext": crate::workload::restricted_container(RUN_AS),
        "volumeMounts": [{"name": "cert", "mountPath": "/tmp/k8s-webhook-server/serving-certs", "readOnly": true}],
    });
    let mut object = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(NAME, true),
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": selector()},
            "template": {
                "metadata": {"labels": selector()},
                "spec": {
                    "serviceAccountName": NAME,
                    // It watches and updates the cluster through the API.
                    "automountServiceAccountToken": true,
                    "priorityClassName": "system-cluster-critical",
                    "terminationGracePeriodSeconds": 10,
                    "securityContext": crate::workload::restricted_pod(RUN_AS),
                    // The chart's default: the two replicas on different nodes where possible.
                    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                        "weight": 100,
                        "podAffinityTerm": {
                            "labelSelector": {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": [NAME]}]},
                            "topologyKey": "kubernetes.io/hostname",
                        },
                    }]}},
                    "containers": [container],
                    "volumes": [{"name": "cert", "secret": {"secretName": WEBHOOK_SECRET, "defaultMode": 0o440}}],
                },
            },
        },
    });
    checkov_skip(
        &mut object,
        "CKV_K8S_38",
        "the controller watches Services, pods and TargetGroupBindings through the Kubernetes API, so its pod needs the service account token",
    );
    checkov_skip(
        &mut object,
        "CKV_K8S_43",
        "the controller's image is pinned by its release tag in the EKS registry, as AWS's install instructions give it; resolving a digest needs the registry, which rendering does not reach",
    );
    object
}

/// One webhook on the controller's Service at `path`.
fn webhook(name: &str, path: &str, rules: Value) -> Value {
    json!({
        "name": name,
        "admissionReviewVersions": ["v1"],
        "clientConfig": {"service": {"name": WEBHOOK_SERVICE, "namespace": NAMESPACE, "path": path}},
        "failurePolicy": "Fail",
        "sideEffects": "None",
        "rules": rules,
    })
}

fn on(group: &str, version: &str, resource: &str, operations: &[&str]) -> Value {
    json!([{"apiGroups": [group], "apiVersions": [version], "operations": operations, "resources": [resource]}])
}

/// Never the controller's own pods (it could not start if it had to admit itself).
fn not_the_controller() -> Value {
    json!({"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "NotIn", "values": [NAME]}]})
}

fn webhook_configurations() -> Vec<Value> {
    let trusting = |kind: &str, webhooks: Vec<Value>| {
        let mut metadata = meta("aws-load-balancer-webhook", false);
        metadata["annotations"] = json!({CA_FROM: format!("{NAMESPACE}/{WEBHOOK_SECRET}")});
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": metadata, "webhooks": webhooks})
    };
    let mut pods = webhook(
        "mpod.elbv2.k8s.aws",
        "/mutate-v1-pod",
        on("", "v1", "pods", &["CREATE"]),
    );
    // Readiness gates only in namespaces that ask for them.
    pods["namespaceSelector"] = json!({"matchExpressions": [{"key": "elbv2.k8s.aws/pod-readiness-gate-inject", "operator": "In", "values": ["enabled"]}]});
    pods["objectSelector"] = not_the_controller();
    let bindings = ["CREATE", "UPDATE"];
    let mutating = vec![
        pods,
        webhook(
            "mtargetgroupbinding.elbv2.k8s.aws",
            "/mutate-elbv2-k8s-aws-v1beta1-targetgroupbinding",
            on("elbv2.k8s.aws", "v1beta1", "targetgroupbindings", &bindings),
        ),
    ];
    let mut params = webhook(
        "vingressclassparams.elbv2.k8s.aws",
        "/validate-elbv2-k8s-aws-v1beta1-ingressclassparams",
        on("elbv2.k8s.aws", "v1beta1", "ingressclassparams", &bindings),
    );
    params["objectSelector"] = not_the_controller();
    let mut ingresses = webhook(
        "vingress.elbv2.k8s.aws",
        "/validate-networking-v1-ingress",
        on("networking.k8s.io", "v1", "ingresses", &bindings),
    );
    ingresses["matchPolicy"] = json!("Equivalent");
    let validating = vec![
        params,
        webhook(
            "vtargetgroupbinding.elbv2.k8s.aws",
            "/validate-elbv2-k8s-aws-v1beta1-targetgroupbinding",
            on("elbv2.k8s.aws", "v1beta1", "targetgroupbindings", &bindings),
        ),
        ingresses,
    ];
    vec![
        trusting("MutatingWebhookConfiguration", mutating),
        trusting("ValidatingWebhookConfiguration", validating),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::object_id;

    fn install(region: &str) -> Vec<Value> {
        objects(&Install {
            blueprint: "analytics",
            region,
            cluster_name: "analytics",
            vpc_id: "vpc-0123",
            role_arn: "arn:aws:iam::123456789012:role/analytics-aws-load-balancer-controller",
        })
    }

    fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
        objects
            .iter()
            .find(|o| o["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    }

    #[test]
    fn crds_come_first_and_webhooks_last_all_labelled() {
        let objects = install("us-east-1");
        let ids: Vec<String> = objects.iter().map(object_id).collect();
        assert_eq!(
            ids[..2],
            [
                "apiextensions.k8s.io/v1/CustomResourceDefinition//ingressclassparams.elbv2.k8s.aws",
                "apiextensions.k8s.io/v1/CustomResourceDefinition//targetgroupbindings.elbv2.k8s.aws",
            ]
        );
        assert!(
            ids.last()
                .unwrap()
                .contains("ValidatingWebhookConfiguration")
        );
        for object in &objects {
            assert!(super::super::is_controller(object), "{}", object_id(object));
            assert_eq!(object["metadata"]["labels"][MANAGED_BY.0], MANAGED_BY.1);
        }
        // The binding's kind as the TargetGroupBinding the workload renders uses it.
        let crd = &objects[1]["spec"];
        assert_eq!(crd["group"], "elbv2.k8s.aws");
        assert_eq!(crd["versions"][0]["name"], "v1beta1");
        assert_eq!(crd["versions"][0]["storage"], true);
    }

    #[test]
    fn the_image_comes_from_the_regions_eks_registry() {
        let image = |region: &str| {
            find(&install(region), "Deployment")["spec"]["template"]["spec"]["containers"][0]
                ["image"]
                .clone()
        };
        assert_eq!(
            image("eu-west-1"),
            "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-load-balancer-controller:v3.5.0"
        );
        assert_eq!(
            image("cn-north-1"),
            "918309763551.dkr.ecr.cn-north-1.amazonaws.com.cn/amazon/aws-load-balancer-controller:v3.5.0"
        );
    }

    #[test]
    fn the_deployment_knows_its_cluster_region_and_vpc_and_uses_the_irsa_account() {
        let objects = install("us-east-1");
        let pod = &find(&objects, "Deployment")["spec"]["template"]["spec"];
        let args = &pod["containers"][0]["args"];
        for want in [
            "--cluster-name=analytics",
            "--aws-region=us-east-1",
            "--aws-vpc-id=vpc-0123",
        ] {
            assert!(args.as_array().unwrap().iter().any(|a| a == want), "{args}");
        }
        assert_eq!(pod["serviceAccountName"], NAME);
        let account = find(&objects, "ServiceAccount");
        assert_eq!(
            account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
            "arn:aws:iam::123456789012:role/analytics-aws-load-balancer-controller"
        );
    }

    #[test]
    fn webhooks_call_the_service_and_trust_the_generated_secret() {
        let objects = install("us-east-1");
        let secret = find(&objects, "Secret");
        assert!(secret.get("data").is_none(), "no values are rendered");
        assert_eq!(
            secret["metadata"]["annotations"][CERTIFICATE_FOR],
            "aws-load-balancer-webhook-service.kube-system.svc,aws-load-balancer-webhook-service.kube-system.svc.cluster.local"
        );
        for kind in [
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ] {
            let config = find(&objects, kind);
            assert_eq!(
                config["metadata"]["annotations"][CA_FROM],
                "kube-system/aws-load-balancer-tls"
            );
            for webhook in config["webhooks"].as_array().unwrap() {
                assert_eq!(webhook["clientConfig"]["service"]["name"], WEBHOOK_SERVICE);
                assert_eq!(webhook["failurePolicy"], "Fail");
            }
        }
        // The cluster role reads no Secrets and grants nothing with a wildcard.
        let role = find(&objects, "ClusterRole").to_string();
        assert!(
            !role.contains("secrets") && !role.contains("\"*\""),
            "{role}"
        );
    }
}
