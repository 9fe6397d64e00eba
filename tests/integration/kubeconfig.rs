//! `shinyctl kubeconfig` and `shinyctl token` against the emulator: the entry is merged into an
//! existing file, only the blueprint's own cluster gets one, and the exec plugin it names makes a
//! token the cluster's Kubernetes API (the emulator's stand-in) accepts.

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::{Value, json};

use super::e2e::{Account, boto3};
use shinyctl::render::kubeconfig::parse_existing;

const BLUEPRINT: &str = "apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: NAME
  region: us-east-1
network:
  cidr: 10.40.0.0/16
  availabilityZones: 2
cluster:
  version: \"1.34\"
  fargateProfiles:
    - name: apps
      selectors: [{namespace: apps}]
";

/// Makes EKS cluster `name` by hand, tagged as blueprint `owner`'s when given.
fn make_cluster(account: &Account, name: &str, owner: Option<&str>) {
    boto3(
        account,
        "us-east-1",
        r#"
import json
ec2 = client("ec2")
vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.41.{i}.0/24",
                             AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
           for i, z in enumerate("ab")]
client("eks").create_cluster(
    name=args[0], roleArn="arn:aws:iam::" + account + ":role/eks-cluster",
    resourcesVpcConfig={"subnetIds": subnets}, tags=json.loads(args[1]))
"#,
        &[
            name,
            &owner
                .map_or(
                    json!({"team": "someone-else"}),
                    |o| json!({"shinyctl.dev/blueprint": o}),
                )
                .to_string(),
        ],
    );
}

fn kubeconfig_of(path: &str) -> Value {
    let text = std::fs::read_to_string(path).expect("the kubeconfig was written");
    parse_existing(&text)
        .expect("valid YAML")
        .expect("not empty")
}

/// GET `url` with a bearer token; returns the status line.
fn get_with_token(url: &str, token: &str) -> String {
    let rest = url
        .strip_prefix("http://")
        .expect("the stand-in speaks plain HTTP");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = TcpStream::connect(host).expect("the stand-in answers");
    write!(
        stream,
        "GET /{path}/version HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("an answer");
    response.lines().next().unwrap_or_default().to_string()
}

#[test]
fn kubeconfig_merges_an_entry_whose_token_the_cluster_accepts() {
    let account = Account::new();
    let blueprint = account.write("kc.yaml", &BLUEPRINT.replace("NAME", "kc"));
    let config = account.write(
        "config",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: dev\n  cluster: {server: 'https://127.0.0.1:6443'}\ncontexts:\n- name: dev\n  context: {cluster: dev, user: dev}\nusers:\n- name: dev\n  user: {token: keep}\ncurrent-context: dev\n",
    );

    let missing = account.run(&["kubeconfig", "-f", &blueprint, "--out", &config]);
    assert_eq!(missing.code, 1, "{missing}");
    assert!(missing.stderr.contains("does not exist"), "{missing}");
    assert!(missing.stderr.contains("shinyctl apply"), "{missing}");

    make_cluster(&account, "kc", Some("kc"));
    let wrote = account.run(&["kubeconfig", "-f", &blueprint, "--out", &config]);
    assert_eq!(wrote.code, 0, "{wrote}");
    let merged = kubeconfig_of(&config);
    let arn = format!("arn:aws:eks:us-east-1:{}:cluster/kc", account.id);
    assert_eq!(merged["current-context"], json!(arn));
    assert_eq!(merged["clusters"].as_array().unwrap().len(), 2);
    assert_eq!(merged["users"][0]["user"]["token"], json!("keep"));
    let server = merged["clusters"][1]["cluster"]["server"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(server.starts_with(&account.endpoint), "{server}");
    let exec = &merged["users"][1]["user"]["exec"];
    assert_eq!(exec["command"], json!("shinyctl"));

    // What kubectl would run: the exec plugin's own arguments.
    let exec_args: Vec<&str> = exec["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let token = super::support::shinyctl_with_env(&exec_args, &env);
    assert_eq!(token.code, 0, "{token}");
    let credential: Value = serde_json::from_str(&token.stdout).expect("ExecCredential JSON");
    assert_eq!(credential["kind"], json!("ExecCredential"));
    let bearer = credential["status"]["token"].as_str().unwrap();
    assert!(bearer.starts_with("k8s-aws-v1."));
    assert!(get_with_token(&server, bearer).contains(" 200"));
    assert!(get_with_token(&server, "wrong").contains(" 401"));

    // Again: the same file, no duplicate entries.
    assert_eq!(
        account
            .run(&["kubeconfig", "-f", &blueprint, "--out", &config])
            .code,
        0
    );
    assert_eq!(kubeconfig_of(&config), merged);
}

#[test]
fn a_cluster_the_blueprint_does_not_own_gets_no_entry() {
    let account = Account::new();
    let blueprint = account.write("other.yaml", &BLUEPRINT.replace("NAME", "other"));
    make_cluster(&account, "other", None);
    let config = account.scratch.file("config");
    let refused = account.run(&["kubeconfig", "-f", &blueprint, "--out", &config]);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("is not blueprint"), "{refused}");
    assert!(!std::path::Path::new(&config).exists());
}
