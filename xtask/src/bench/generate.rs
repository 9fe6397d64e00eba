//! Generated blueprints for the scaling measurements: the ShinyProxy-on-EKS platform of
//! `blueprints/shinyproxy-eks.yaml` with `n` apps and `n` repositories (each app runs an image
//! from its own repository). Written to a temporary directory at run time.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The platform around the apps: network, cluster, storage, database, cache, ingress,
/// monitoring. HTTP only, so no ACM certificate is needed in the emulator's account.
const PLATFORM: &str = "\
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: NAME
  region: us-east-1
  tags:
    team: benchmarks

network:
  cidr: 10.20.0.0/16
  availabilityZones: 2
  natGateway: single

cluster:
  version: \"1.35\"
  fargateProfiles:
    - name: apps
      selectors: [{namespace: shiny-apps}]
  nodeGroups:
    - name: proxy
      instanceTypes: [m6i.large]
      desired: 2
      min: 2
      max: 4

storage:
  efs:
    encrypted: true
    accessPoints:
      - name: shared-data
        path: /shiny/data
        uid: 1000
        gid: 1000

database:
  engine: postgres
  version: \"17\"
  instanceClass: db.t4g.medium
  databaseName: shinyproxy
  deletionProtection: false

cache:
  engine: redis
  version: \"7.1\"
  nodeType: cache.t3.medium

ingress:
  type: alb
  scheme: internet-facing
  listeners:
    - {port: 80, protocol: HTTP}
  idleTimeoutSeconds: 3600
  healthCheck: {path: /login}

monitoring:
  alarmEmail: ops@example.com
  alarms:
    - {metric: unhealthyTargets, threshold: 1, period: 5m}
";

/// The blueprint text with `n` apps and `n` repositories, named `name`.
pub fn blueprint(name: &str, n: usize) -> String {
    let mut text = PLATFORM.replace("NAME", name);
    text.push_str("\nregistry:\n  repositories:\n");
    for i in 0..n {
        let _ = writeln!(
            text,
            "    - name: shiny/app-{i:04}\n      keepLastImages: 10"
        );
    }
    text.push_str(
        "\nproxy:\n  kind: shinyproxy\n  version: \"3.2.0\"\n  replicas: 2\n  \
         namespace: shinyproxy\n  appNamespace: shiny-apps\n  authentication:\n    type: none\n  \
         apps:\n",
    );
    for i in 0..n {
        let _ = writeln!(
            text,
            "    - id: app-{i:04}\n      image: registry:shiny/app-{i:04}:1.0.0\n      port: 3838"
        );
    }
    text
}

/// Writes the blueprint for `n` apps into `dir` and returns its path.
pub fn write(dir: &Path, n: usize) -> Result<PathBuf> {
    let path = dir.join(format!("generated-{n}-apps.yaml"));
    std::fs::write(&path, blueprint(&format!("gen{n}"), n))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_app_and_one_repository_per_index() {
        let text = blueprint("gen3", 3);
        assert_eq!(text.matches("- name: shiny/app-").count(), 3);
        assert_eq!(text.matches("image: registry:shiny/app-").count(), 3);
        assert!(text.contains("name: gen3"));
    }
}
