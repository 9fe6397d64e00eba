//! A complete, valid blueprint for the unit tests: each test mutates one thing and looks at what
//! `validate` reports. Written as JSON so serde's defaults apply exactly as they do for YAML.

use crate::blueprint::model::Blueprint;
use crate::blueprint::problem::Problem;

const FULL: &str = r#"{
  "apiVersion": "shinyctl.dev/v1alpha1",
  "kind": "Blueprint",
  "metadata": {"name": "analytics", "region": "cn-northwest-1",
               "tags": {"team": "data-science", "cost-center": "4711"}},
  "network": {"cidr": "10.9.0.0/16", "availabilityZones": 2, "natGateway": "single"},
  "cluster": {
    "version": "1.31",
    "endpointAccess": {"public": true, "private": true, "publicCidrs": ["0.0.0.0/0"]},
    "logging": ["api", "audit"],
    "fargateProfiles": [{"name": "apps", "selectors": [{"namespace": "shiny-apps"}]}],
    "nodeGroups": [{"name": "proxy", "instanceTypes": ["m6i.large"], "desired": 2, "min": 2, "max": 4}]
  },
  "storage": {"efs": {"accessPoints": [{"name": "shared-data", "path": "/shiny/data", "uid": 1000, "gid": 1000}]}},
  "database": {"engine": "aurora-postgresql", "version": "16.4",
               "serverless": {"minCapacity": 0.5, "maxCapacity": 8}, "multiAz": true,
               "databaseName": "shinyproxy", "parameters": {"log_min_duration_statement": "500"}},
  "cache": {"version": "7.1", "nodeType": "cache.t3.medium", "clusterMode": "disabled",
            "replicasPerShard": 1},
  "registry": {"repositories": [{"name": "shiny/covid19-tracker", "keepLastImages": 20},
                                {"name": "openanalytics/shinyproxy", "mirrorOf": "docker.io/openanalytics/shinyproxy"},
                                {"name": "postgres", "mirrorOf": "docker.io/library/postgres"}]},
  "ingress": {
    "type": "alb",
    "domain": "shiny.example.com",
    "listeners": [
      {"port": 443, "protocol": "HTTPS", "certificateArn": "arn:aws-cn:acm:cn-northwest-1:123456789012:certificate/0f1e2d3c"},
      {"port": 80, "protocol": "HTTP", "redirectTo": 443}
    ],
    "idleTimeoutSeconds": 3600,
    "stickiness": {"type": "lb_cookie", "durationSeconds": 3600},
    "healthCheck": {"path": "/login", "intervalSeconds": 15, "healthyThreshold": 2}
  },
  "monitoring": {
    "alarmEmail": "ops@example.com",
    "canaries": [{"name": "login", "path": "/login", "every": "5m"}],
    "alarms": [{"metric": "canaryFailed", "threshold": 1, "period": "15m"},
               {"metric": "unhealthyTargets", "threshold": 1}]
  },
  "proxy": {
    "version": "3.2.0",
    "image": "registry:openanalytics/shinyproxy",
    "replicas": 2,
    "authentication": {"type": "openid", "openid": {
      "authUrl": "https://login.example.com/authorize", "tokenUrl": "https://login.example.com/token",
      "jwksUrl": "https://login.example.com/jwks", "clientId": "shinyproxy",
      "clientSecretRef": "secretsmanager:analytics/oidc-client-secret"}},
    "usageStats": "database",
    "usageStatsUser": {"name": "shinyproxy_usage", "passwordRef": "secretsmanager:usage-stats",
                       "image": "registry:postgres"},
    "apps": [{
      "id": "covid19", "image": "registry:shiny/covid19-tracker:1.4.0",
      "cpu": {"request": "0.5", "limit": "1"}, "memory": {"request": "1Gi", "limit": "2Gi"},
      "accessGroups": ["analysts"], "mounts": [{"accessPoint": "shared-data", "path": "/srv/data"}],
      "minimumSeatsAvailable": 1
    }]
  }
}"#;

/// The blueprint of seed 000 with every section filled in; valid.
pub(crate) fn full() -> Blueprint {
    serde_json::from_str(FULL).expect("the test fixture is a valid blueprint")
}

/// The problems `validate` reports after `change` is applied to `full()`.
pub(crate) fn problems_after(change: impl FnOnce(&mut Blueprint)) -> Vec<Problem> {
    let mut bp = full();
    change(&mut bp);
    super::validate(&bp)
}

/// The paths of those problems.
pub(crate) fn paths_after(change: impl FnOnce(&mut Blueprint)) -> Vec<String> {
    problems_after(change).into_iter().map(|p| p.path).collect()
}

/// Asserts that exactly one problem is reported, at `path`, and that its message contains `needle`.
pub(crate) fn assert_one(change: impl FnOnce(&mut Blueprint), path: &str, needle: &str) {
    let found = problems_after(change);
    assert_eq!(
        found.len(),
        1,
        "expected one problem at {path}, got {found:#?}"
    );
    assert_eq!(found[0].path, path, "{found:#?}");
    assert!(
        found[0].message.contains(needle),
        "message {:?} lacks {needle:?}",
        found[0].message
    );
    assert!(
        found[0].hint.is_some(),
        "every problem has a hint: {found:#?}"
    );
}
