//! What runs on a server, split by how a change reaches it (issue 14's two update paths):
//! - the **user data** installs packages at first boot only: a change makes a new launch-template
//!   version and replaces the servers;
//! - the **configuration document** (SSM, applied by a State Manager association one server at a
//!   time) writes the mounts, the endpoints file, the files and nginx's site, then reloads nginx
//!   and runs the group's commands: a change rolls through the servers without replacing one.
//!
//! Neither holds a secret: user data is readable through DescribeLaunchTemplateVersions and by
//! every process on the instance, a document by whoever may read SSM documents.

use super::nginx;
use crate::blueprint::model::{Blueprint, ServerConnection, ServerGroup};
use crate::blueprint::partition::Partition;
use crate::plan::catalog::addresses as a;

/// Where the data services' endpoints are written on every server.
pub(crate) const ENDPOINTS_FILE: &str = "/etc/shinyctl/endpoints.env";
/// How long one server's configuration may take (SSM `aws:runShellScript` `timeoutSeconds`;
/// its default is 3600).
const CONFIGURE_TIMEOUT_SECONDS: u32 = 900;

/// The first-boot script: nginx, the EFS client and the AWS CLI from the image's own package
/// manager (Amazon Linux 2023: dnf, which has `amazon-efs-utils` for mounts over TLS and the
/// CLI already; Ubuntu: apt, NFS client and CLI v1), then nginx enabled. The SSM agent comes with
/// both families' AWS images.
pub(crate) fn user_data(bp: &Blueprint, group: &ServerGroup, document: &str) -> String {
    format!(
        "#!/bin/bash\n\
         # shinyctl: server group `{group}` of blueprint `{blueprint}`. Packages only: the configuration\n\
         # (mounts, files, endpoints, nginx) comes from the SSM document `{document}`.\n\
         set -euxo pipefail\n\
         if command -v dnf >/dev/null; then\n\
         \x20 dnf install -y nginx amazon-efs-utils\n\
         else\n\
         \x20 export DEBIAN_FRONTEND=noninteractive\n\
         \x20 apt-get update\n\
         \x20 apt-get install -y nginx nfs-common awscli{extra}\n\
         \x20 rm -f /etc/nginx/sites-enabled/default\n\
         fi\n\
         systemctl enable --now nginx\n",
        group = group.name,
        blueprint = bp.metadata.name,
        extra = if group.workbench.is_some() {
            format!(" {}", super::workbench::PACKAGES)
        } else {
            String::new()
        },
    )
}

/// The configuration document's content (SSM Command document, schema 2.2): one shell step.
/// The SSM agent runs `runCommand` with `sh` (dash on Ubuntu), so the script is POSIX sh.
/// References to the file system and the data services' endpoints are embedded (`${...}`): the
/// document's adapter fills them in when it writes the document.
pub(crate) fn configure_document(
    bp: &Blueprint,
    group: &ServerGroup,
    partition: Partition,
    bucket_name: impl Fn(&str) -> String,
    product: Vec<String>,
) -> String {
    let mut lines: Vec<String> = vec!["set -eu".into()];
    let region = &bp.metadata.region;
    for mount in &group.mounts {
        let fs = a::embed(a::EFS, None);
        let efs_path = &mount.efs_path;
        let at = &mount.path;
        // amazon-efs-utils mounts over TLS; without it (Ubuntu's packages), NFS 4.1 with the
        // options the EFS user guide recommends ("Mounting on Amazon EC2 Linux instances").
        lines.extend([
            format!("mkdir -p '{at}'"),
            "if command -v mount.efs >/dev/null; then".into(),
            format!("  line='{fs}:{efs_path} {at} efs _netdev,noresvport,tls,nofail 0 0'"),
            "else".into(),
            format!(
                "  line='{fs}.efs.{region}.{suffix}:{efs_path} {at} nfs4 nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev,nofail 0 0'",
                suffix = partition.dns_suffix()
            ),
            "fi".into(),
            format!("sed -i '\\# {at} #d' /etc/fstab"),
            "echo \"$line\" >> /etc/fstab".into(),
            // A changed `efsPath` takes effect now: the path mounted from another directory of
            // the file system (findmnt's SOURCE ends `:<efs path>`, over NFS and efs-utils' TLS
            // tunnel alike) is unmounted — lazily when busy (umount(8) `-l`: detached at once,
            // open files keep the old directory until closed) — and mounted from the new one.
            format!("src=$(findmnt -n -o SOURCE --mountpoint '{at}' || true)"),
            format!("case \"$src\" in ''|*':{efs_path}') ;; *) umount '{at}' || umount -l '{at}' ;; esac"),
            format!("mountpoint -q '{at}' || mount '{at}'"),
        ]);
    }
    lines.push("mkdir -p /etc/shinyctl".into());
    lines.push(format!("cat > {ENDPOINTS_FILE} <<'SHINYCTL_EOF'"));
    lines.extend(endpoints(bp, group));
    lines.push("SHINYCTL_EOF".into());
    for file in &group.files {
        if let Some((bucket, key)) = file.bucket_source() {
            let path = &file.path;
            lines.push(format!("mkdir -p \"$(dirname '{path}')\""));
            lines.push(format!(
                "aws s3 cp 's3://{}/{key}' '{path}' --region {region} --only-show-errors",
                bucket_name(bucket)
            ));
        }
    }
    if let Some(site) = &group.nginx {
        lines.push(format!(
            "cat > {} <<'SHINYCTL_EOF'",
            nginx::site_path(&group.name)
        ));
        lines.extend(
            nginx::site(&group.name, &bp.metadata.name, site)
                .lines()
                .map(str::to_string),
        );
        lines.push("SHINYCTL_EOF".into());
        lines.push("nginx -t".into());
        lines.push("systemctl reload nginx || systemctl restart nginx".into());
    }
    // The product's own part (Workbench's node configuration), then the group's commands.
    lines.extend(product);
    lines.extend(group.run.iter().cloned());
    // Compact, as the document's reader gives AWS's text back (`ssm_document.rs`).
    super::workbench::command_document(
        &format!(
            "shinyctl: configuration of server group {} of blueprint {}",
            group.name, bp.metadata.name
        ),
        "configure",
        CONFIGURE_TIMEOUT_SECONDS,
        lines,
    )
}

/// `KEY=value` lines for the data services the group connects to: hosts and ports, never a
/// password (the database's is in Secrets Manager, managed by RDS).
fn endpoints(bp: &Blueprint, group: &ServerGroup) -> Vec<String> {
    let mut lines = Vec::new();
    for connection in &group.connect {
        match connection {
            ServerConnection::Database => {
                let Some(db) = &bp.database else { continue };
                let address = if db.engine.is_aurora() {
                    a::DB_CLUSTER
                } else {
                    a::DB_INSTANCE
                };
                lines.push(format!(
                    "DATABASE_HOST={}",
                    a::embed(address, Some("endpoint"))
                ));
                lines.push(format!("DATABASE_PORT={}", db.engine.port()));
                if let Some(name) = &db.database_name {
                    lines.push(format!("DATABASE_NAME={name}"));
                }
            }
            ServerConnection::Cache => {
                if bp.cache.is_none() {
                    continue;
                }
                lines.push(format!(
                    "CACHE_HOST={}",
                    a::embed(a::CACHE_REPLICATION_GROUP, Some("endpoint"))
                ));
                lines.push(format!("CACHE_PORT={}", super::super::cache::REDIS_PORT));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// EC2's limit on user data: 16 KiB before base64 (EC2 user guide, "Run commands when you
    /// launch an EC2 instance with user data input"). The user data is packages only, its size
    /// fixed but for the names in its comment.
    const USER_DATA_LIMIT: usize = 16 * 1024;

    #[test]
    fn user_data_stays_far_within_ec2s_limit() {
        let bp = crate::plan::catalog::tests::lowcode_servers();
        let text = user_data(&bp, &bp.servers[0], "lowcode-srv-app");
        assert!(text.len() < USER_DATA_LIMIT / 4, "{} bytes", text.len());
        assert!(text.starts_with("#!/bin/bash\n"));
    }

    #[test]
    fn the_document_is_a_command_document_with_its_references_embedded() {
        let bp = crate::plan::catalog::tests::lowcode_servers();
        let text = configure_document(
            &bp,
            &bp.servers[0],
            Partition::AwsCn,
            |b| format!("lowcode-{b}"),
            vec![],
        );
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["schemaVersion"], "2.2");
        let script = doc["mainSteps"][0]["inputs"]["runCommand"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        insta::assert_snapshot!(script);
    }
}
