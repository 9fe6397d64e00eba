//! The platform's entry points after apply (`ops::entry_points`), for people and as JSON.

use serde_json::{Value, json};
use std::fmt::Write;

use crate::ops::entry_points::{Endpoint, EntryPoints};

/// The lines apply ends with.
pub fn human(entry: &EntryPoints) -> String {
    let mut out = String::from("\nWhere things are:\n");
    if let Some(url) = &entry.url {
        let _ = writeln!(out, "  URL:       {url}");
    }
    if let Some(cname) = &entry.cname {
        let _ = writeln!(
            out,
            "  DNS:       create the record  {}  CNAME  {}  (the URL works once it resolves)",
            cname.name, cname.target
        );
    }
    if let Some(cluster) = &entry.cluster {
        let _ = writeln!(
            out,
            "  Cluster:   {} in {}; kubectl access: {}",
            cluster.name, cluster.region, cluster.kubeconfig_command
        );
    }
    if let Some(db) = &entry.database {
        let _ = writeln!(
            out,
            "  Database:  {}{} (credentials in Secrets Manager, never shown here)",
            endpoint(db),
            db.reader_host
                .as_ref()
                .map_or(String::new(), |r| format!(", readers at {r}"))
        );
    }
    if let Some(cache) = &entry.cache {
        let _ = writeln!(out, "  Cache:     {}", endpoint(cache));
    }
    for server in &entry.servers {
        let _ = writeln!(
            out,
            "  Server:    {} ({}), no SSH: {}",
            server.name, server.instance_id, server.session_command
        );
        for (port, command) in &server.port_commands {
            let _ = writeln!(out, "             localhost:{port}: {command}");
        }
    }
    out
}

/// One JSON line for `--output json` (`"type": "entry_points"`, next to the progress events).
pub fn json(entry: &EntryPoints) -> Value {
    let endpoint =
        |e: &Endpoint| json!({"host": e.host, "port": e.port, "reader_host": e.reader_host});
    json!({
        "type": "entry_points",
        "url": entry.url,
        "cname": entry.cname.as_ref().map(|c| json!({"name": c.name, "target": c.target})),
        "cluster": entry.cluster.as_ref().map(|c| json!({
            "name": c.name,
            "region": c.region,
            "kubeconfig_command": c.kubeconfig_command,
        })),
        "database": entry.database.as_ref().map(endpoint),
        "cache": entry.cache.as_ref().map(endpoint),
        "servers": entry.servers.iter().map(|s| json!({
            "name": s.name,
            "instance_id": s.instance_id,
            "session_command": s.session_command,
            "port_commands": s.port_commands.iter()
                .map(|(port, command)| json!({"port": port, "command": command}))
                .collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn endpoint(e: &Endpoint) -> String {
    match e.port {
        Some(port) => format!("{}:{port}", e.host),
        None => e.host.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::entry_points::{ClusterAccess, Cname, ServerAccess};

    fn example() -> EntryPoints {
        EntryPoints {
            url: Some("https://shiny.example.com".into()),
            cname: Some(Cname {
                name: "shiny.example.com".into(),
                target: "analytics-alb-1.elb.example".into(),
            }),
            cluster: Some(ClusterAccess {
                name: "analytics".into(),
                region: "eu-west-1".into(),
                kubeconfig_command: "shinyctl kubeconfig -f analytics.yaml".into(),
            }),
            database: Some(Endpoint {
                host: "db.example".into(),
                port: Some(5432),
                reader_host: Some("db-ro.example".into()),
            }),
            cache: Some(Endpoint {
                host: "cache.example".into(),
                port: Some(6379),
                reader_host: None,
            }),
            servers: vec![ServerAccess {
                name: "analytics-srv-app-a1".into(),
                instance_id: "i-0123456789abcdef0".into(),
                session_command: "aws ssm start-session --target i-0123456789abcdef0 --region eu-west-1".into(),
                port_commands: vec![(
                    22345,
                    "aws ssm start-session --target i-0123456789abcdef0 --region eu-west-1 --document-name AWS-StartPortForwardingSession --parameters portNumber=22345,localPortNumber=22345".into(),
                )],
            }],
        }
    }

    #[test]
    fn human_and_json() {
        insta::assert_snapshot!("entry_points_human", human(&example()));
        insta::assert_json_snapshot!("entry_points_json", json(&example()));
    }
}
