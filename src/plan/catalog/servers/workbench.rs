//! The `workbench` preset of a server group (issue 15, seed 002): Posit Workbench load-balanced
//! over the group's servers. On top of the group it adds
//! - the secure cookie key, generated into Secrets Manager (never in the plan: the servers read
//!   it at run time);
//! - the **cluster document** and its association, run on every server at once: Workbench's
//!   version, the cookie key and the licence, which every node must share ("Load balancing:
//!   Configuration", Posit Workbench admin guide: same version, same `/etc/rstudio`). A change to
//!   it is a whole-cluster restart (`Resource::restarts`), which apply makes only with
//!   `--allow-cluster-restart`;
//! - this server's part, in the group's configuration document (rolled one server at a time):
//!   `load-balancer` with the strategy and the node's own address, `rserver.conf` with the shared
//!   storage and the health check, `database.conf` with the password read from the RDS-managed
//!   secret, the service started only once `/home` is mounted, and on an Auto Scaling group the
//!   drain unit;
//! - node-to-node rules (the server's port and the launcher's), and on an Auto Scaling group a
//!   termination lifecycle hook the drain unit completes once the server's sessions are suspended
//!   to shared storage.
//!
//! Neither document holds a secret: both name where a secret is, and the server's role may read
//! exactly those.

use serde_json::{Value, json};

use super::super::addresses as a;
use crate::blueprint::model::{Blueprint, ServerGroup, Workbench};
use crate::blueprint::partition::Partition;

/// Marks a server whose Workbench is installed (the cluster document) and one whose node
/// configuration is written (the configuration document): whichever runs second starts the
/// service, so the two associations may reach a new server in either order.
const INSTALLED: &str = "/etc/shinyctl/workbench-installed";
const CONFIGURED: &str = "/etc/shinyctl/workbench-configured";
/// How long the cluster document waits between stopping the service and starting it again:
/// every server runs it at once, and Posit's rule for a change every node shares is "bring all
/// nodes offline, then reconfigure each node; the first back defines the cluster".
const SETTLE_SECONDS: u32 = 30;
/// The cluster document's time limit: downloading and installing Workbench.
const CLUSTER_TIMEOUT_SECONDS: u32 = 1800;
/// AWS's default drain when the group sets none: the target group's deregistration delay
/// (botocore `elbv2` `deregistration_delay.timeout_seconds`).
pub(crate) const DEFAULT_DRAIN_SECONDS: u32 = 300;
const IMDS: &str = "http://169.254.169.254/latest";

/// Where each Workbench secret is: the generated cookie key's secret, or a reference the
/// blueprint gives (`secretsmanager:NAME`, `ssm:/PARAMETER`).
pub(crate) struct Secrets {
    /// `${<secret address>#arn}`, or the blueprint's reference.
    pub(crate) cookie_key: String,
    /// The RDS-managed master user secret: `${<db address>#masterUserSecretArn}`.
    pub(crate) database: String,
}

/// The names the scripts use.
pub(crate) struct Names<'n> {
    pub(crate) autoscaling_group: Option<&'n str>,
    pub(crate) hook: &'n str,
}

/// A shell command that prints a secret's text: Secrets Manager by ARN or name, or an SSM
/// parameter (decrypted). Its output goes to a file or a pipe, never to the command's output.
fn read_secret(reference: &str, region: &str) -> String {
    if let Some(parameter) = reference.strip_prefix("ssm:") {
        format!(
            "aws ssm get-parameter --region {region} --with-decryption --name '{parameter}' --query Parameter.Value --output text"
        )
    } else {
        let id = reference
            .strip_prefix("secretsmanager:")
            .unwrap_or(reference);
        format!(
            "aws secretsmanager get-secret-value --region {region} --secret-id '{id}' --query SecretString --output text"
        )
    }
}

/// The IAM resources the server reads its Workbench secrets from.
pub(crate) fn secret_resources(
    bp: &Blueprint,
    wb: &Workbench,
    secrets: &Secrets,
    partition: Partition,
) -> (Vec<String>, Vec<String>) {
    let region = &bp.metadata.region;
    let mut secrets_manager = vec![secrets.database.clone()];
    let mut parameters = Vec::new();
    let references = [
        Some(secrets.cookie_key.as_str()),
        wb.license_file_ref.as_deref(),
        wb.license_key_ref.as_deref(),
    ];
    for reference in references.into_iter().flatten() {
        match super::super::iam::secret_arn(partition, region, reference) {
            Some(super::super::iam::SecretArn::Secret(arn)) => secrets_manager.push(arn),
            Some(super::super::iam::SecretArn::Parameter(arn)) => parameters.push(arn),
            // The generated key's ARN, embedded.
            None => secrets_manager.push(reference.to_string()),
        }
    }
    (secrets_manager, parameters)
}

/// The servers' own policy for Workbench: read its secrets, and on an Auto Scaling group
/// complete the termination hook (the drain unit).
pub(crate) fn policy(
    bp: &Blueprint,
    wb: &Workbench,
    secrets: &Secrets,
    names: &Names,
    partition: Partition,
) -> Value {
    let (secrets_manager, parameters) = secret_resources(bp, wb, secrets, partition);
    let mut statements = vec![json!({
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": secrets_manager,
    })];
    if !parameters.is_empty() {
        statements.push(json!({
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": parameters,
        }));
    }
    if let Some(group) = names.autoscaling_group {
        statements.push(json!({
            "Effect": "Allow",
            "Action": "autoscaling:CompleteLifecycleAction",
            // Auto Scaling's resource ARN for a group, by name ("Actions, resources, and
            // condition keys for Amazon EC2 Auto Scaling", Service Authorization Reference).
            "Resource": format!(
                "{}:autoscaling:{}:*:autoScalingGroup:*:autoScalingGroupName/{group}",
                partition.arn_prefix(),
                bp.metadata.region
            ),
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The cluster document's content: installs the version, writes the cookie key and the
/// licence, restarts. Every server runs it at once.
pub(crate) fn cluster_document(
    bp: &Blueprint,
    group: &ServerGroup,
    wb: &Workbench,
    secrets: &Secrets,
) -> String {
    let region = &bp.metadata.region;
    let version = &wb.version;
    // Posit's package file names the release with `-` for `+` ("Install Workbench", Ubuntu
    // 22.04 "jammy", amd64).
    let package = format!("rstudio-workbench-{}-amd64.deb", version.replace('+', "-"));
    let mut lines: Vec<String> = vec![
        "set -eu".into(),
        "export DEBIAN_FRONTEND=noninteractive".into(),
        "mkdir -p /etc/rstudio /etc/shinyctl".into(),
        // Every server stops first: the cluster is redefined by the first node back.
        "systemctl stop rstudio-server 2>/dev/null || true".into(),
        format!("want='{version}'"),
        "have=$(dpkg -s rstudio-server 2>/dev/null | sed -n 's/^Version: //p')".into(),
        "if [ \"$have\" != \"$want\" ]; then".into(),
        format!("  package={package}"),
        "  curl -fsSL --retry 5 -o \"/tmp/$package\" \"https://download2.rstudio.org/server/jammy/amd64/$package\"".into(),
        "  apt-get install -y \"/tmp/$package\"".into(),
        "  rm -f \"/tmp/$package\"".into(),
        "  systemctl stop rstudio-server 2>/dev/null || true".into(),
        "fi".into(),
        "umask 077".into(),
        format!(
            "{} > /etc/rstudio/secure-cookie-key.new",
            read_secret(&secrets.cookie_key, region)
        ),
        "chmod 0600 /etc/rstudio/secure-cookie-key.new".into(),
        "mv /etc/rstudio/secure-cookie-key.new /etc/rstudio/secure-cookie-key".into(),
    ];
    if let Some(reference) = &wb.license_file_ref {
        lines.push(format!(
            "{} > /etc/rstudio/license.lic",
            read_secret(reference, region)
        ));
        lines.push("rstudio-server license-manager activate-file /etc/rstudio/license.lic".into());
    } else if let Some(reference) = &wb.license_key_ref {
        lines.push(format!(
            "rstudio-server license-manager activate \"$({})\"",
            read_secret(reference, region)
        ));
    } else if let Some(server) = &wb.license_server {
        lines.push(format!(
            "rstudio-server license-manager license-server '{server}'"
        ));
    }
    lines.extend([
        "umask 022".into(),
        format!("touch {INSTALLED}"),
        format!("sleep {SETTLE_SECONDS}"),
        format!("if [ -e {CONFIGURED} ]; then systemctl start rstudio-server; fi"),
    ]);
    command_document(
        &format!(
            "shinyctl: Workbench {version} on every server of group {} of blueprint {} (all at once)",
            group.name, bp.metadata.name
        ),
        "workbench",
        CLUSTER_TIMEOUT_SECONDS,
        lines,
    )
}

/// This server's part of the configuration, appended to the group's configuration document
/// (after its mounts and endpoints).
pub(crate) fn node_lines(
    bp: &Blueprint,
    group: &ServerGroup,
    wb: &Workbench,
    secrets: &Secrets,
    names: &Names,
    bucket_name: impl Fn(&str) -> String,
) -> Vec<String> {
    let region = &bp.metadata.region;
    let port = group.http.as_ref().map_or(8787, |h| h.port);
    let storage = &wb.shared_storage_path;
    let mounts: Vec<&str> = group.mounts.iter().map(|m| m.path.as_str()).collect();
    let mut lines: Vec<String> = vec![
        "# Posit Workbench: this server's part of the cluster".into(),
        "mkdir -p /etc/rstudio /etc/shinyctl /etc/systemd/system/rstudio-server.service.d".into(),
        "cat > /etc/systemd/system/rstudio-server.service.d/shinyctl.conf <<'SHINYCTL_EOF'".into(),
        "[Unit]".into(),
        // Sessions and the cluster's shared storage are on EFS: never start without them.
        format!("RequiresMountsFor={}", mounts.join(" ")),
        "After=chrony.service".into(),
        "SHINYCTL_EOF".into(),
        "systemctl daemon-reload".into(),
        // The clocks must agree (file locks across nodes): chrony on the Amazon Time Sync
        // Service ("Set the time for your Linux instance", EC2 user guide).
        "grep -q 169.254.169.123 /etc/chrony/chrony.conf || echo 'server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4' >> /etc/chrony/chrony.conf".into(),
        "systemctl enable chrony && systemctl restart chrony".into(),
        format!("mkdir -p '{storage}'"),
        format!("chmod 1777 '{storage}'"),
        format!("token=$(curl -sf -X PUT {IMDS}/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')"),
        format!("address=$(curl -sf -H \"X-aws-ec2-metadata-token: $token\" {IMDS}/meta-data/local-ipv4)"),
        // The node registers itself in the database under this address (2021.09 and later).
        "cat > /etc/rstudio/load-balancer <<SHINYCTL_EOF".into(),
        format!("balancer={}", wb.balancer.as_str()),
        "www-host-name=$address".into(),
        "SHINYCTL_EOF".into(),
        "cat > /etc/rstudio/rserver.conf <<'SHINYCTL_EOF'".into(),
        format!("www-port={port}"),
        format!("server-shared-storage-path={storage}"),
        "server-health-check-enabled=1".into(),
        "SHINYCTL_EOF".into(),
    ];
    if let Some(db) = &bp.database {
        let host = a::embed(
            if db.engine.is_aurora() {
                a::DB_CLUSTER
            } else {
                a::DB_INSTANCE
            },
            Some("endpoint"),
        );
        let database = db.database_name.as_deref().unwrap_or("rstudio");
        lines.extend([
            "umask 077".into(),
            format!("secret=$({})", read_secret(&secrets.database, region)),
            "{".into(),
            format!(
                "  printf 'provider=postgresql\\nhost=%s\\nport=%s\\ndatabase=%s\\n' '{host}' {} '{database}'",
                db.engine.port()
            ),
            // The RDS-managed secret is JSON with `username` and `password` ("Password
            // management with Amazon RDS and AWS Secrets Manager", RDS user guide).
            "  printf '%s' \"$secret\" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(\"username=\" + s[\"username\"]); print(\"password=\" + s[\"password\"])'".into(),
            "} > /etc/rstudio/database.conf.new".into(),
            "unset secret".into(),
            "chmod 0600 /etc/rstudio/database.conf.new".into(),
            "mv /etc/rstudio/database.conf.new /etc/rstudio/database.conf".into(),
            "umask 022".into(),
        ]);
    }
    if let Some((bucket, key)) = wb
        .custom_balancer
        .as_deref()
        .and_then(crate::blueprint::model::bucket_source)
    {
        lines.extend([
            "mkdir -p /usr/lib/rstudio-server/bin".into(),
            format!(
                "aws s3 cp 's3://{}/{key}' /usr/lib/rstudio-server/bin/rserver-balancer --region {region} --only-show-errors",
                bucket_name(bucket)
            ),
            "chmod 0755 /usr/lib/rstudio-server/bin/rserver-balancer".into(),
        ]);
    }
    if let Some(autoscaling_group) = names.autoscaling_group {
        lines.extend(drain_unit(region, autoscaling_group, names.hook));
    }
    lines.extend([
        format!("touch {CONFIGURED}"),
        format!("if [ -e {INSTALLED} ]; then systemctl restart rstudio-server; fi"),
    ]);
    lines
}

/// The drain unit: a timer that asks the instance metadata for the server's target lifecycle
/// state ("Retrieve the target lifecycle state through instance metadata", Auto Scaling user
/// guide); at `Terminated` it suspends every session to shared storage (users resume on another
/// server), stops Workbench and completes the lifecycle action, so the server goes only then.
fn drain_unit(region: &str, autoscaling_group: &str, hook: &str) -> Vec<String> {
    vec![
        "cat > /usr/local/sbin/shinyctl-drain <<'SHINYCTL_EOF'".into(),
        "#!/bin/sh".into(),
        "# shinyctl: suspend this server's Workbench sessions before Auto Scaling terminates it."
            .into(),
        format!(
            "token=$(curl -sf -X PUT {IMDS}/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60') || exit 0"
        ),
        format!(
            "state=$(curl -sf -H \"X-aws-ec2-metadata-token: $token\" {IMDS}/meta-data/autoscaling/target-lifecycle-state) || exit 0"
        ),
        "[ \"$state\" = Terminated ] || exit 0".into(),
        format!(
            "instance=$(curl -sf -H \"X-aws-ec2-metadata-token: $token\" {IMDS}/meta-data/instance-id)"
        ),
        "rstudio-server suspend-all || true".into(),
        "rstudio-server stop || true".into(),
        format!(
            "exec aws autoscaling complete-lifecycle-action --region {region} --auto-scaling-group-name '{autoscaling_group}' --lifecycle-hook-name '{hook}' --instance-id \"$instance\" --lifecycle-action-result CONTINUE"
        ),
        "SHINYCTL_EOF".into(),
        "chmod 0755 /usr/local/sbin/shinyctl-drain".into(),
        "cat > /etc/systemd/system/shinyctl-drain.service <<'SHINYCTL_EOF'".into(),
        "[Unit]".into(),
        "Description=shinyctl: drain Workbench before Auto Scaling terminates this server".into(),
        "[Service]".into(),
        "Type=oneshot".into(),
        "ExecStart=/usr/local/sbin/shinyctl-drain".into(),
        "SHINYCTL_EOF".into(),
        "cat > /etc/systemd/system/shinyctl-drain.timer <<'SHINYCTL_EOF'".into(),
        "[Timer]".into(),
        "OnBootSec=60".into(),
        "OnUnitActiveSec=10".into(),
        "[Install]".into(),
        "WantedBy=timers.target".into(),
        "SHINYCTL_EOF".into(),
        "systemctl daemon-reload".into(),
        "systemctl enable --now shinyctl-drain.timer".into(),
    ]
}

/// An SSM Command document (schema 2.2) of one shell step, compact as the reader gives it back.
pub(crate) fn command_document(
    description: &str,
    step: &str,
    timeout_seconds: u32,
    lines: Vec<String>,
) -> String {
    json!({
        "schemaVersion": "2.2",
        "description": description,
        "mainSteps": [{
            "action": "aws:runShellScript",
            "name": step,
            "inputs": {
                "timeoutSeconds": timeout_seconds.to_string(),
                "runCommand": lines,
            }
        }]
    })
    .to_string()
}

/// The packages a Workbench server installs at first boot besides nginx's: R, the time sync
/// daemon, and what the documents use (curl, python3).
pub(crate) const PACKAGES: &str = "r-base chrony curl python3";

/// Whether the catalog's reference to the cookie key is the generated secret.
pub(crate) fn generates_cookie_key(wb: &Workbench) -> bool {
    wb.secure_cookie_key == "generated"
}

#[cfg(test)]
mod tests {
    use super::super::rendered_files;
    use crate::plan::catalog::tests::rstudio_lb;

    fn file(files: &[(String, String)], name: &str) -> String {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| text.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn the_node_and_cluster_configuration_render_as_posit_documents_them() {
        let files = rendered_files(&rstudio_lb());
        insta::assert_snapshot!(
            "workbench_configure",
            file(&files, "servers/rsw/configure.sh")
        );
        insta::assert_snapshot!(
            "workbench_cluster",
            file(&files, "servers/rsw/workbench.sh")
        );
        insta::assert_snapshot!(
            "workbench_user_data",
            file(&files, "servers/rsw/user-data.sh")
        );
    }

    /// Debian's `sh` (dash, as the SSM agent's `runShellScript` on Ubuntu) parses every script.
    #[test]
    fn every_rendered_script_is_valid_sh() {
        for (name, text) in rendered_files(&rstudio_lb()) {
            if !name.ends_with(".sh") {
                continue;
            }
            let out = std::process::Command::new("sh")
                .arg("-n")
                .arg("-c")
                .arg(&text)
                .output()
                .expect("sh runs");
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    #[test]
    fn no_document_names_a_secret_value_only_where_it_is() {
        let files = rendered_files(&rstudio_lb());
        let cluster = file(&files, "servers/rsw/workbench.sh");
        assert!(cluster.contains("--secret-id '${servers.secretsmanager_secret[rsw]#arn}'"));
        assert!(cluster.contains("--secret-id 'rsw/license-file'"));
        let node = file(&files, "servers/rsw/configure.sh");
        assert!(node.contains("${database.db_instance#masterUserSecretArn}"));
        assert!(!node.contains("set -x") && !cluster.contains("set -x"));
    }
}
