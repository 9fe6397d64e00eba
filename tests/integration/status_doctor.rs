//! `shinyctl status` and `shinyctl doctor` against the emulator, as whole commands: their exit
//! codes, their JSON and snapshots of their human output (account ids, ARNs' random parts and
//! the emulator's port filtered out).

use serde_json::Value;

use super::e2e::{Account, boto3};

/// A platform with a cluster, a load balancer and the proxy on it.
const PLATFORM: &str = "apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: NAME
  region: us-east-1
network:
  cidr: 10.40.0.0/16
  availabilityZones: 2
  natGateway: single
cluster:
  version: \"1.35\"
  fargateProfiles:
    - name: apps
      selectors: [{namespace: shinyproxy}, {namespace: shiny-apps}]
ingress:
  type: alb
  domain: shiny.example.com
  listeners:
    - LISTENER
monitoring:
  alarmEmail: ops@example.com
  canaries:
    - name: login
      path: /login
      every: 5m
  alarms:
    - {metric: unhealthyTargets, threshold: 1, period: 5m}
proxy:
  kind: shinyproxy
  version: \"3.1.1\"
  namespace: shinyproxy
  authentication:
    type: AUTH
  apps:
    - id: hello
      image: openanalytics/shinyproxy-demo:latest
      port: 3838
";

fn platform(name: &str, listener: &str, auth: &str) -> String {
    PLATFORM
        .replace("NAME", name)
        .replace("LISTENER", listener)
        .replace("AUTH", auth)
}

fn settings(account: &Account) -> insta::Settings {
    let mut settings = account.scratch.settings();
    settings.add_filter(&account.id, "[ACCOUNT]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    settings.add_filter(r"certificate/[0-9a-f-]{36}", "certificate/[CERTIFICATE]");
    settings
}

fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}"))
}

#[test]
fn status_says_what_exists_and_how_it_is() {
    let account = Account::new();
    let blueprint = account.write(
        "status.yaml",
        &platform("stat", "{port: 80, protocol: HTTP}", "none"),
    );

    let before = account.run(&["status", "-f", &blueprint]);
    assert_eq!(before.code, 3, "nothing exists yet\n{before}");
    settings(&account).bind(|| insta::assert_snapshot!("status_before_apply", before.stdout));

    let applied = account.apply(&blueprint);
    assert_eq!(applied.code, 0, "apply\n{applied}");

    // Everything exists; no target is registered (the emulator runs no controllers).
    let after = account.run(&["status", "-f", &blueprint]);
    assert_eq!(after.code, 4, "no healthy targets yet\n{after}");
    settings(&account).bind(|| insta::assert_snapshot!("status_after_apply", after.stdout));
    let doc = json_of(&account.run(&["status", "-f", &blueprint, "--json"]).stdout);
    assert_eq!(doc["overall"], "degraded");
    assert_eq!(doc["exit_code"], 4);
    assert_eq!(doc["resources"]["missing"], serde_json::json!([]));
    assert_eq!(doc["rollout"]["state"], "complete", "{doc:#}");
    let verdict = |address: &str| {
        doc["health"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["address"] == address)
            .map(|h| h["verdict"].as_str().unwrap().to_string())
    };
    assert_eq!(verdict("cluster.eks_cluster").as_deref(), Some("healthy"));
    assert_eq!(
        verdict("ingress.target_group").as_deref(),
        Some("unhealthy")
    );
    assert!(
        doc["entry_points"]["url"]
            .as_str()
            .is_some_and(|u| u == "http://shiny.example.com"),
        "{doc:#}"
    );

    // What the load balancer controller would do: register the proxy's pod.
    boto3(
        &account,
        "us-east-1",
        r#"
elb = client("elbv2")
tg = elb.describe_target_groups(Names=[args[0]])["TargetGroups"][0]["TargetGroupArn"]
elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.40.100.10", "Port": 8080}])
"#,
        &[&target_group_name(&blueprint)],
    );
    let healthy = account.run(&["status", "-f", &blueprint, "--json"]);
    let doc = json_of(&healthy.stdout);
    assert_eq!(healthy.code, 0, "{doc:#}");
    assert_eq!(doc["overall"], "healthy");
    // A canary that has not run and an alarm without data are unknown, not failures.
    let kinds = |kind: &str| {
        doc["health"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["kind"] == kind)
            .map(|h| {
                (
                    h["state"].as_str().unwrap().to_string(),
                    h["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds("canary"),
        vec![("no runs yet".to_string(), "unknown".to_string())]
    );
    assert_eq!(kinds("cloudwatch_alarm").len(), 1, "{doc:#}");

    // The alarm goes off: degraded, with CloudWatch's reason.
    boto3(
        &account,
        "us-east-1",
        r#"
cw = client("cloudwatch")
for alarm in cw.describe_alarms()["MetricAlarms"]:
    cw.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue="ALARM", StateReason="1 unhealthy target")
"#,
        &[],
    );
    let alarmed = account.run(&["status", "-f", &blueprint, "--json"]);
    assert_eq!(alarmed.code, 4, "{alarmed}");
    let doc = json_of(&alarmed.stdout);
    let alarm = doc["health"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "cloudwatch_alarm")
        .cloned()
        .unwrap();
    assert_eq!(
        (&alarm["state"], &alarm["verdict"], &alarm["detail"]),
        (
            &serde_json::json!("ALARM"),
            &serde_json::json!("unhealthy"),
            &serde_json::json!("1 unhealthy target")
        )
    );

    // Something deleted behind shinyctl's back: incomplete again.
    boto3(
        &account,
        "us-east-1",
        r#"
elb = client("elbv2")
for lb in elb.describe_load_balancers()["LoadBalancers"]:
    for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
"#,
        &[],
    );
    let partial = account.run(&["status", "-f", &blueprint, "--json"]);
    assert_eq!(partial.code, 3, "{partial}");
    assert_eq!(
        json_of(&partial.stdout)["resources"]["missing"],
        serde_json::json!(["ingress.listener[80]"])
    );
    assert_eq!(account.destroy(&blueprint).code, 0, "destroy");
}

/// The name of the blueprint's target group.
fn target_group_name(blueprint: &str) -> String {
    let loaded = shinyctl::load::load_file(std::path::Path::new(blueprint)).expect("loads");
    loaded
        .resources
        .iter()
        .find(|r| r.kind == shinyctl::plan::ResourceKind::TargetGroup)
        .expect("a target group")
        .name
        .clone()
}

/// Sets the account's applied Service Quotas values in the emulator (`/_emulator/quotas`).
fn quotas(account: &Account, values: &str) {
    boto3(
        account,
        "us-east-1",
        r#"
import requests
requests.put(endpoint + "/_emulator/quotas", params={"account": account}, data=args[0], timeout=10).raise_for_status()
"#,
        &[values],
    );
}

#[test]
fn doctor_reports_each_problem_with_its_fix() {
    let account = Account::new();
    // An unissued certificate: ACM's own, pending DNS validation (for its first 60 s in moto).
    let certificate = boto3(
        &account,
        "us-east-1",
        r#"print(client("acm").request_certificate(DomainName="shiny.example.com", ValidationMethod="DNS")["CertificateArn"])"#,
        &[],
    );
    // A permission denied: the caller (the emulator's `moto` user) may do anything but create a cluster.
    boto3(
        &account,
        "us-east-1",
        r#"
import json
iam = client("iam")
iam.create_user(UserName="moto")
iam.put_user_policy(UserName="moto", PolicyName="deploy", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                  {"Effect": "Deny", "Action": "eks:CreateCluster", "Resource": "*"}]}))
"#,
        &[],
    );
    // A quota exhausted: one VPC allowed, and the region's default VPC uses it.
    quotas(&account, r#"{"vpc/L-F678F1CE": 1}"#);
    // A missing secret: the blueprint names one nobody created.
    let text = platform(
        "doc",
        &format!("{{port: 443, protocol: HTTPS, certificateArn: \"{certificate}\"}}"),
        "openid\n    openid:\n      authUrl: https://login.example.com/authorize\n      \
         tokenUrl: https://login.example.com/token\n      jwksUrl: https://login.example.com/jwks\n      \
         clientId: shinyproxy\n      clientSecretRef: secretsmanager:doc/oidc-client-secret",
    );
    let blueprint = account.write("doctor.yaml", &text);

    let run = account.run(&["doctor", "-f", &blueprint]);
    assert_eq!(run.code, 3, "{run}");
    settings(&account).bind(|| insta::assert_snapshot!("doctor_four_problems", run.stdout));

    let doc = json_of(&account.run(&["doctor", "-f", &blueprint, "--json"]).stdout);
    assert_eq!(doc["exit_code"], 3);
    let errors: Vec<(String, String, bool)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["level"] == "error")
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_string(),
                f["about"].as_str().unwrap().to_string(),
                f["fix"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            ("quotas".into(), "vpc/L-F678F1CE".into(), true),
            ("permissions".into(), "eks:CreateCluster".into(), true),
            (
                "certificates".into(),
                "ingress.listeners[0].certificateArn".into(),
                true
            ),
            (
                "secrets".into(),
                "proxy.authentication.openid.clientSecretRef".into(),
                true
            ),
        ],
        "{doc:#}"
    );

    // The plan itself warns about the certificate and the secret its changes use.
    let (_, plan) = account.plan(&blueprint);
    let notes: Vec<&str> = plan["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["about"].as_str().unwrap())
        .collect();
    assert!(
        notes.contains(&"ingress.listeners[0].certificateArn")
            && notes.contains(&"proxy.authentication.openid.clientSecretRef"),
        "{notes:?}"
    );

    // Fixed: the secret exists, the quota is raised, the deny is gone; the certificate is
    // still pending and is the one error left.
    boto3(
        &account,
        "us-east-1",
        r#"
client("secretsmanager").create_secret(Name="doc/oidc-client-secret", SecretString="s3cret-value")
client("iam").delete_user_policy(UserName="moto", PolicyName="deploy")
import json
client("iam").put_user_policy(UserName="moto", PolicyName="deploy", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
"#,
        &[],
    );
    quotas(&account, "{}");
    let after = account.run(&["doctor", "-f", &blueprint, "--json"]);
    assert!(
        !after.stdout.contains("s3cret-value"),
        "never a secret value"
    );
    let doc = json_of(&after.stdout);
    let left: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["level"] == "error")
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    // (moto issues a requested certificate after 60 s: on a very slow run none is left.)
    assert!(left.iter().all(|check| *check == "certificates"), "{doc:#}");
}
