//! Issue 14's configuration delivery through the real AWS SDK on the emulator: an SSM Command
//! document and the State Manager associations that apply it to a server group's instances (tag
//! `shinyctl.dev/servers`), built by hand as a `servers:` section will build them. Made and run
//! (one target at a time, the wait seeing `Success`); read back with nothing to change; a new
//! content is a new default version in place, and the next plan updates the association in place,
//! which runs it again; a target that fails makes the apply fail naming the instance and where to
//! see why, and the failed association is replaced (run again) once the cause is gone; destroyed,
//! nothing left. The instances are made through the SDK (the `ec2_instance` kind has its own
//! tests) and are not the blueprint's.

use serde_json::json;
use shinyctl::aws::Connection;
use shinyctl::plan::{Resource, ResourceKind as K};

use super::emulator;
use super::live::{converge, read, settle_then_destroy};
use super::live_common::{assert_complete, assert_counts, connect, pending};

const DOCUMENT: &str = "servers.ssm_document.app";
const ASSOCIATION: &str = "servers.ssm_association.app";
/// An association on a group no instance is in: nothing to run, `Success` at once.
const EMPTY: &str = "servers.ssm_association.empty";
const GROUP_TAG: &str = "shinyctl.dev/servers";

fn owned(address: &str) -> serde_json::Value {
    json!({
        "shinyctl.dev/address": address,
        "shinyctl.dev/blueprint": "livenet",
    })
}

/// A Command document writing nginx's site configuration and reloading it.
fn document(site: &str) -> Resource {
    let content = json!({
        "schemaVersion": "2.2",
        "description": "nginx configuration of the app servers",
        "mainSteps": [{
            "action": "aws:runShellScript",
            "name": "nginx",
            "inputs": {"runCommand": [
                format!("printf '%s\\n' '{site}' > /etc/nginx/conf.d/app.conf"),
                "nginx -t && systemctl reload nginx",
            ]},
        }],
    });
    // The keys of `SsmDocumentProps` (src/plan/catalog/servers.rs), in its order.
    Resource::new(DOCUMENT, K::SsmDocument, "livenet-app-nginx", "servers")
        .with("name", "livenet-app-nginx")
        .with("documentFormat", "JSON")
        .with("content", content.to_string())
        .with("tags", owned(DOCUMENT))
}

fn association(address: &str, name: &str, group: &str) -> Resource {
    // The keys of `SsmAssociationProps` (src/plan/catalog/servers.rs), in its order.
    Resource::new(address, K::SsmAssociation, name, "servers")
        .with("associationName", name)
        .with("document", DOCUMENT)
        .with("documentVersion", format!("${{{DOCUMENT}#version}}"))
        .with(
            "targets",
            json!([{"key": format!("tag:{GROUP_TAG}"), "values": [group]}]),
        )
        .with("maxConcurrency", "1")
        .with("maxErrors", "0")
        .with("tags", owned(address))
        .after(&shinyctl::plan::Address::new(DOCUMENT))
}

fn desired(site: &str) -> Vec<Resource> {
    vec![
        document(site),
        association(ASSOCIATION, "livenet-app", "app"),
        association(EMPTY, "livenet-empty", "nobody"),
    ]
}

/// Two running instances of the server group `app` (the zero profile: running at once).
async fn servers(conn: &Connection) -> Vec<String> {
    let tag = aws_sdk_ec2::types::Tag::builder()
        .key(GROUP_TAG)
        .value("app")
        .build();
    let launched = conn
        .clients
        .ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(2)
        .max_count(2)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                .tags(tag)
                .build(),
        )
        .send()
        .await
        .expect("instances");
    let mut ids: Vec<String> = launched
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

/// The association's id and its description's (document version, overview status, counts).
async fn described(conn: &Connection, name: &str) -> (String, String, String, String) {
    let ssm = &conn.clients.ssm;
    let listed = ssm.list_associations().send().await.expect("associations");
    let id = listed
        .associations()
        .iter()
        .find(|a| a.association_name() == Some(name))
        .and_then(|a| a.association_id())
        .unwrap_or_else(|| panic!("association {name} exists"))
        .to_string();
    let d = ssm
        .describe_association()
        .association_id(&id)
        .send()
        .await
        .expect("described");
    let d = d.association_description().expect("a description");
    let overview = d.overview().expect("an overview");
    let mut counts: Vec<String> = overview
        .association_status_aggregated_count()
        .map(|c| c.iter().map(|(k, v)| format!("{k}={v}")).collect())
        .unwrap_or_default();
    counts.sort();
    (
        id,
        d.document_version().unwrap_or_default().to_string(),
        overview.status().unwrap_or_default().to_string(),
        counts.join(","),
    )
}

/// How many times the association ran.
async fn executions(conn: &Connection, id: &str) -> usize {
    conn.clients
        .ssm
        .describe_association_executions()
        .association_id(id)
        .send()
        .await
        .expect("executions")
        .association_executions()
        .len()
}

/// Marks `instances` failing: their runs from now on end `Failed` (docs/emulator.md).
fn fail_on(account: &str, instances: &[&str]) {
    emulator::put(
        &format!("/_emulator/ssm/failing?account={account}"),
        &json!({ "instances": instances }).to_string(),
    );
}

/// Plans and applies; asserts the plan's (change, replace) counts and the apply's success.
async fn converge_counting(conn: &Connection, desired: &[Resource], counts: (usize, usize)) {
    let (plan, summary) = converge(conn, desired).await;
    assert_counts(&plan, counts);
    assert_complete(&summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_and_association_apply_read_update_fail_destroy() {
    let account = emulator::account();
    // State Manager with time: dispatch, then each server one at a time.
    emulator::set_durations(
        &account,
        &[
            ("ssm_association_dispatch", 0.3),
            ("ssm_association_target", 0.3),
        ],
    );
    let conn = connect(&account).await;
    let instances = servers(&conn).await;

    // Made, and each association waited for until it ran on its servers.
    let (plan, summary) = converge(&conn, &desired("listen 80;")).await;
    assert_eq!(plan.summary.add, 3, "{:?}", pending(&plan));
    assert_complete(&summary);
    let (id, version, status, counts) = described(&conn, "livenet-app").await;
    assert_eq!(
        (version.as_str(), status.as_str(), counts.as_str()),
        ("1", "Success", "Success=2")
    );
    let (empty, _, status, counts) = described(&conn, "livenet-empty").await;
    assert_eq!((status.as_str(), counts.as_str()), ("Success", ""));

    // Read back: nothing to change; the document's default version is the association's.
    let live = read(&conn, &desired("listen 80;")).await;
    assert_eq!(
        pending(&shinyctl::plan::diff(
            &desired("listen 80;"),
            &live.observed
        )),
        Vec::<String>::new()
    );
    let found = live
        .observed
        .resources
        .iter()
        .find(|r| r.kind == K::SsmAssociation && r.address.as_str() == ASSOCIATION)
        .expect("the association is read back");
    assert_eq!(found.properties["document"], DOCUMENT);
    assert_eq!(
        found.properties["documentVersion"],
        format!("${{{DOCUMENT}#version}}")
    );

    // New content: a new default version, in place, and in the same apply the associations follow
    // it in place (`updated_attributes`) and run again.
    converge_counting(&conn, &desired("listen 8080;"), (3, 0)).await;
    let document_version = conn
        .clients
        .ssm
        .describe_document()
        .name("livenet-app-nginx")
        .send()
        .await
        .expect("the document")
        .document()
        .and_then(|d| d.default_version())
        .map(str::to_string);
    assert_eq!(document_version.as_deref(), Some("2"));
    let (same, version, status, counts) = described(&conn, "livenet-app").await;
    assert_eq!(same, id, "updated in place, not replaced");
    assert_eq!(
        (version.as_str(), status.as_str(), counts.as_str()),
        ("2", "Success", "Success=2")
    );
    assert_eq!(executions(&conn, &id).await, 2);

    // A server the configuration fails on: the apply fails naming it and where to look.
    fail_on(&account, &[instances[0].as_str()]);
    let (plan, summary) = converge(&conn, &desired("listen 8081;")).await;
    assert_eq!(plan.summary.change, 3, "{:?}", pending(&plan));
    let failure = summary
        .failed
        .iter()
        .find(|f| f.step.address.as_str() == ASSOCIATION)
        .unwrap_or_else(|| panic!("the association's update fails: {:#?}", summary.failed));
    assert_eq!(failure.error.code, "AssociationFailed");
    for needed in [
        instances[0].as_str(),
        "aws ssm describe-association-executions",
        id.as_str(),
    ] {
        assert!(
            failure.error.message.contains(needed),
            "{needed:?} missing from {}",
            failure.error.message
        );
    }
    // MaxErrors 0: the second server was never sent the new version.
    assert!(!failure.error.message.contains(&instances[1]));
    assert_eq!(summary.failed.len(), 1, "{:#?}", summary.failed);

    // The cause gone, the next plan replaces the failed association, which runs it again.
    fail_on(&account, &[]);
    converge_counting(&conn, &desired("listen 8081;"), (0, 1)).await;
    let (replacement, version, status, counts) = described(&conn, "livenet-app").await;
    assert_ne!(replacement, id);
    assert_eq!(
        (version.as_str(), status.as_str(), counts.as_str()),
        ("3", "Success", "Success=2")
    );
    assert!(!empty.is_empty());

    settle_then_destroy(&conn, &desired("listen 8081;")).await;
    let left = conn
        .clients
        .ssm
        .list_associations()
        .send()
        .await
        .expect("associations");
    assert!(left.associations().is_empty());
    let documents = conn
        .clients
        .ssm
        .list_documents()
        .filters(
            aws_sdk_ssm::types::DocumentKeyValuesFilter::builder()
                .key("Owner")
                .values("Self")
                .build(),
        )
        .send()
        .await
        .expect("documents");
    assert!(documents.document_identifiers().is_empty());
}
