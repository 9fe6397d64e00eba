//! `shinyctl status` and `shinyctl doctor` against the emulator, as whole commands: their exit
//! codes, their JSON and snapshots of their human output (account ids, ARNs' random parts and
//! the emulator's port filtered out).

use serde_json::Value;

use super::e2e::{Account, boto3, plant_secrets, with_emulator_certificate};
use super::emulator;
use super::support::repo_root;

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
    settings.add_filter(r"\bi-[0-9a-f]{17}\b", "i-[INSTANCE]");
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

/// The health entries of `kind` in a `status --json` document, by address.
fn health_of(doc: &Value, kind: &str) -> std::collections::BTreeMap<String, Value> {
    doc["health"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == kind)
        .map(|h| (h["address"].as_str().unwrap().to_string(), h.clone()))
        .collect()
}

/// Seed 003 on Fargate (issue 16): each service's tasks, its rollout and its task definition; a
/// deployment in progress is changing (exit 4), one the circuit breaker rolled back unhealthy.
#[test]
fn status_follows_ecs_services_and_their_rollouts() {
    let account = Account::new();
    let text = std::fs::read_to_string(repo_root().join("blueprints/saas-fargate.yaml"))
        .expect("blueprint");
    let text = with_emulator_certificate(&account, &text, "us-east-1");
    plant_secrets(&account, &text, "us-east-1", "planted-secret-value");
    let blueprint = account.write("saas.yaml", &text);
    let applied = account.apply(&blueprint);
    assert_eq!(applied.code, 0, "apply\n{applied}");

    let human = account.run(&["status", "-f", &blueprint]);
    assert_eq!(human.code, 0, "{human}");
    settings(&account).bind(|| insta::assert_snapshot!("status_ecs_fargate", human.stdout));
    let steady = account.run(&["status", "-f", &blueprint, "--json"]);
    let doc = json_of(&steady.stdout);
    assert_eq!(steady.code, 0, "{doc:#}");
    let services = health_of(&doc, "ecs_service");
    assert_eq!(
        services.keys().collect::<Vec<_>>(),
        [
            "ecs.ecs_service[app1]",
            "ecs.ecs_service[app2]",
            "ecs.ecs_service[web]"
        ]
    );
    for (address, h) in &services {
        let facts = &h["service"];
        assert_eq!(h["verdict"], "healthy", "{address}: {h:#}");
        assert_eq!(facts["rollout"], "COMPLETED", "{h:#}");
        assert_eq!(facts["running"], facts["desired"], "{h:#}");
        assert_eq!(facts["desired"], 2, "the minimum count: {h:#}");
        assert!(
            facts["task_definition"]
                .as_str()
                .is_some_and(|td| td.ends_with(":1")),
            "{h:#}"
        );
    }

    // app1: a revision whose image never starts, its deployment at once FAILED and rolled
    // back; then deployments that take 10 minutes: the rollback, and web's new one.
    emulator::put(
        &format!("/_emulator/ecs/failing?account={}", account.id),
        &serde_json::json!({ "images": ["registry.example.com/erp/broken:v9"] }).to_string(),
    );
    let cluster = boto3(
        &account,
        "us-east-1",
        r#"
ecs = client("ecs")
cluster = ecs.list_clusters()["clusterArns"][0]
svc = ecs.describe_services(cluster=cluster, services=["app1"])["services"][0]
described = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"], include=["TAGS"])
td = described["taskDefinition"]
keep = {k: td[k] for k in ("family", "containerDefinitions", "networkMode", "requiresCompatibilities",
                           "cpu", "memory", "executionRoleArn", "taskRoleArn") if k in td}
keep["containerDefinitions"][0]["image"] = "registry.example.com/erp/broken:v9"
# With the blueprint's tags, as shinyctl registers a revision: the family stays the blueprint's.
broken = ecs.register_task_definition(**keep, tags=described["tags"])["taskDefinition"]["taskDefinitionArn"]
ecs.update_service(cluster=cluster, service="app1", taskDefinition=broken)
print(cluster)
"#,
        &[],
    );
    emulator::set_durations(&account.id, &[("ecs_deployment_rollout", 600.0)]);
    boto3(
        &account,
        "us-east-1",
        r#"client("ecs").update_service(cluster=args[0], service="web", forceNewDeployment=True)"#,
        &[&cluster],
    );
    let rolling = account.run(&["status", "-f", &blueprint, "--json"]);
    let doc = json_of(&rolling.stdout);
    assert_eq!(rolling.code, 4, "{doc:#}");
    assert_eq!(doc["overall"], "degraded");
    let services = health_of(&doc, "ecs_service");
    let web = &services["ecs.ecs_service[web]"];
    assert_eq!(
        (&web["verdict"], &web["service"]["rollout"]),
        (
            &serde_json::json!("pending"),
            &serde_json::json!("IN_PROGRESS")
        ),
        "{web:#}"
    );
    let app1 = &services["ecs.ecs_service[app1]"];
    assert_eq!(app1["verdict"], "unhealthy", "{app1:#}");
    assert_eq!(
        app1["service"]["rolled_back"]["reason"],
        "ECS deployment circuit breaker: tasks failed to start.",
        "{app1:#}"
    );
    assert!(
        app1["service"]["rolled_back"]["task_definition"]
            .as_str()
            .is_some_and(|td| td.ends_with(":2")),
        "{app1:#}"
    );
    assert!(
        app1["service"]["task_definition"]
            .as_str()
            .is_some_and(|td| td.ends_with(":1")),
        "the rollback runs the revision before: {app1:#}"
    );
    assert_eq!(services["ecs.ecs_service[app2]"]["verdict"], "healthy");
    let human = account.run(&["status", "-f", &blueprint]);
    assert!(
        human
            .stdout
            .contains("failed and was rolled back: ECS deployment circuit breaker"),
        "{human}"
    );
    emulator::set_durations(&account.id, &[("ecs_deployment_rollout", 0.0)]);
    assert_eq!(account.destroy(&blueprint).code, 0, "destroy");
}

/// Issue 15's servers: an Auto Scaling group's instances in and out of service (an instance
/// refresh, one held in `Terminating:Wait` by a lifecycle hook) and a fixed server's state and
/// target health.
#[test]
fn status_follows_server_groups_and_fixed_servers() {
    let account = Account::new();
    let blueprint = account.write("servers.yaml", SERVERS);
    let applied = account.apply(&blueprint);
    assert_eq!(applied.code, 0, "apply\n{applied}");

    let steady = account.run(&["status", "-f", &blueprint]);
    assert_eq!(steady.code, 0, "{steady}");
    settings(&account).bind(|| insta::assert_snapshot!("status_servers", steady.stdout));
    let doc = json_of(&account.run(&["status", "-f", &blueprint, "--json"]).stdout);
    let group = &health_of(&doc, "autoscaling_group")["servers.autoscaling_group[pool]"];
    assert_eq!(
        (&group["group"]["in_service"], &group["group"]["desired"]),
        (&serde_json::json!(2), &serde_json::json!(2)),
        "{group:#}"
    );
    // The group's instance ids, which its Session Manager hint points to (format 1.2).
    let members = group["group"]["instances"].as_array().expect("instances");
    assert_eq!(members.len(), 2, "{group:#}");
    assert!(
        members
            .iter()
            .all(|i| i["id"].as_str().is_some_and(|id| id.starts_with("i-"))
                && i["lifecycle"] == "InService"
                && i["health"] == "Healthy"),
        "{group:#}"
    );
    assert_eq!(doc["format_version"], "1.2");
    let hint = &doc["entry_points"]["groups"][0];
    assert_eq!(hint["name"], group["name"], "{hint:#}");
    assert_eq!(
        hint["status_command"],
        format!("shinyctl status -f {blueprint}"),
        "{hint:#}"
    );
    assert_eq!(
        hint["session_command"], "aws ssm start-session --target <instance-id> --region us-east-1",
        "{hint:#}"
    );
    let fixed = &health_of(&doc, "ec2_instance")["servers.ec2_instance[fixed-a1]"];
    assert_eq!(fixed["server"]["state"], "running", "{fixed:#}");
    assert_eq!(
        fixed["server"]["targets"][0]["state"], "healthy",
        "registered and healthy in its group's target group: {fixed:#}"
    );

    // A hook that holds a leaving instance (for its whole heartbeat: the zero profile's scale
    // of 0 would apply its default result at once), then a scale-in: one instance waits.
    let group_name = group["name"].as_str().unwrap().to_string();
    emulator::set_durations(&account.id, &[("lifecycle_hook_scale", 1.0)]);
    boto3(
        &account,
        "us-east-1",
        r#"
asg = client("autoscaling")
asg.put_lifecycle_hook(LifecycleHookName="hold", AutoScalingGroupName=args[0],
                       LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
                       HeartbeatTimeout=3600, DefaultResult="CONTINUE")
asg.set_desired_capacity(AutoScalingGroupName=args[0], DesiredCapacity=1)
"#,
        &[&group_name],
    );
    let draining = account.run(&["status", "-f", &blueprint, "--json"]);
    let doc = json_of(&draining.stdout);
    assert_eq!(draining.code, 4, "{doc:#}");
    let group = &health_of(&doc, "autoscaling_group")["servers.autoscaling_group[pool]"];
    assert_eq!(group["verdict"], "pending", "{group:#}");
    assert_eq!(
        group["group"]["changing"],
        serde_json::json!({"Terminating:Wait": 1}),
        "{group:#}"
    );
    assert_eq!(group["group"]["in_service"], 1, "{group:#}");
    let waiting = boto3(
        &account,
        "us-east-1",
        r#"
asg = client("autoscaling")
group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[args[0]])["AutoScalingGroups"][0]
leaving = [i["InstanceId"] for i in group["Instances"] if i["LifecycleState"] == "Terminating:Wait"]
asg.complete_lifecycle_action(LifecycleHookName="hold", AutoScalingGroupName=args[0],
                              LifecycleActionResult="CONTINUE", InstanceId=leaving[0])
asg.delete_lifecycle_hook(LifecycleHookName="hold", AutoScalingGroupName=args[0])
print(leaving[0])
"#,
        &[&group_name],
    );
    assert!(waiting.starts_with("i-"), "{waiting}");
    emulator::set_durations(&account.id, &[("lifecycle_hook_scale", 0.0)]);
    let done = account.run(&["status", "-f", &blueprint, "--json"]);
    assert_eq!(done.code, 0, "the instance is gone: {}", done.stdout);

    // An instance refresh that has not started yet is a change under way.
    emulator::set_durations(&account.id, &[("autoscaling_refresh_start", 600.0)]);
    boto3(
        &account,
        "us-east-1",
        r#"client("autoscaling").start_instance_refresh(AutoScalingGroupName=args[0])"#,
        &[&group_name],
    );
    let refreshing = account.run(&["status", "-f", &blueprint, "--json"]);
    let doc = json_of(&refreshing.stdout);
    assert_eq!(refreshing.code, 4, "{doc:#}");
    let group = &health_of(&doc, "autoscaling_group")["servers.autoscaling_group[pool]"];
    assert_eq!(group["group"]["refresh"]["status"], "Pending", "{group:#}");
    emulator::set_durations(&account.id, &[("autoscaling_refresh_start", 0.0)]);
    assert_eq!(account.destroy(&blueprint).code, 0, "destroy");
}

/// A fixed server and a group of two behind one load balancer.
const SERVERS: &str = "apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: statsrv
  region: us-east-1
network:
  cidr: 10.42.0.0/16
  availabilityZones: 2
  natGateway: single
ingress:
  type: alb
  listeners:
    - {port: 80, protocol: HTTP}
servers:
  - name: fixed
    instances: [{zone: a}]
    instanceType: t3.medium
    ami: {family: ubuntu-22.04}
    run: [\"true\"]
    http: {port: 8080, path: /fixed}
  - name: pool
    count: {min: 1, desired: 2, max: 3}
    instanceType: t3.medium
    ami: {family: ubuntu-22.04}
    run: [\"true\"]
    http: {port: 8080, path: /}
";

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
