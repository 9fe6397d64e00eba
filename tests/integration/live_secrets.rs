//! A Secrets Manager secret whose value shinyctl has generated and never sees (issue 15's
//! Workbench cookie key) through the SDK on the emulator: created (GetRandomPassword into
//! CreateSecret) with its recipe kept in a tag; the value — read here by the test alone, with
//! GetSecretValue, which shinyctl never calls — is nowhere in the plan, the observed state, the
//! outputs or the run's events; read back with nothing to change; its description changed in
//! place (the value stays); a new recipe replaces it (a new value); destroyed, and made again at
//! once with the same name while Secrets Manager still deletes the old one in the background.

use serde_json::json;
use shinyctl::apply::{EventSink, Executor, Schedule, Summary};
use shinyctl::aws::{AwsOperator, Connection};
use shinyctl::plan::{Plan, Resource, ResourceKind as K};

use super::emulator;
use super::live::read;
use super::live_autoscaling::tagged;
use super::live_common::{assert_complete, assert_counts, connect, execute, fast_config, pending};

const SECRET: &str = "servers.secretsmanager_secret.app";
const SECRET_NAME: &str = "livenet-srv-app-cookie-key";

fn secret(description: &str, length: i64) -> Vec<Resource> {
    vec![
        Resource::new(SECRET, K::SecretsmanagerSecret, SECRET_NAME, "servers")
            .with("name", SECRET_NAME)
            .with("description", description)
            .with(
                "generate",
                json!({"length": length, "excludePunctuation": true}),
            )
            .with("tags", tagged(SECRET, json!({}))),
    ]
}

/// Plans against what exists and applies it, with every event of the run as text.
async fn converge(conn: &Connection, desired: &[Resource]) -> (Plan, Summary, String) {
    let live = read(conn, desired).await;
    let plan = shinyctl::plan::diff(desired, &live.observed);
    let schedule = Schedule::from_plan(&plan, desired, true).expect("schedule");
    let executor = Executor::new(AwsOperator::new(conn.clone(), "livenet"), fast_config(7));
    let (sink, mut events) = EventSink::channel();
    let summary = executor
        .run(&schedule, live.outputs, &sink, std::future::pending())
        .await;
    drop(sink);
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(format!("{event:?}"));
    }
    (plan, summary, seen.join("\n"))
}

/// The secret's current value: what only its readers (and this test) ever see.
async fn value(conn: &Connection) -> String {
    conn.clients
        .secretsmanager
        .get_secret_value()
        .secret_id(SECRET_NAME)
        .send()
        .await
        .expect("the secret has a value")
        .secret_string()
        .expect("a string")
        .to_string()
}

/// Whether `text` holds the value anywhere.
fn leaks(text: &str, value: &str) -> bool {
    text.contains(value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_secret_is_made_read_changed_and_made_again_without_its_value() {
    let account = emulator::account();
    // Secrets Manager's background deletion after ForceDeleteWithoutRecovery: the name stays
    // held this long (see docs/emulator.md).
    emulator::set_durations(&account, &[("secretsmanager_secret_delete", 0.5)]);
    let conn = connect(&account).await;

    let desired = secret("RStudio Workbench secure cookie key", 48);
    let (plan, summary, events) = converge(&conn, &desired).await;
    assert_eq!(plan.summary.add, 1, "{:?}", pending(&plan));
    assert_complete(&summary);
    assert_eq!(
        emulator::count(&account, "GetSecretValue"),
        0,
        "shinyctl never reads the value"
    );
    let first = value(&conn).await;
    assert_eq!(first.len(), 48);
    assert!(
        first.chars().all(|c| c.is_ascii_alphanumeric()),
        "no punctuation"
    );

    // Nowhere: not in the plan, the run's events, the observed state or the outputs.
    let live = read(&conn, &desired).await;
    let observed = serde_json::to_string(&live.observed).expect("observed JSON");
    let outputs = format!("{:?}", live.outputs);
    for (what, text) in [
        ("plan", serde_json::to_string(&plan).expect("plan JSON")),
        ("events", events),
        ("observed state", observed.clone()),
        ("outputs", outputs),
    ] {
        assert!(!leaks(&text, &first), "the value is in the {what}");
    }
    // Read back: nothing to change; the recipe from its tag, which is not among the tags.
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );
    let found = &live.observed.resources[0];
    assert_eq!(found.address.as_str(), SECRET);
    assert!(
        found.id.starts_with("arn:aws:secretsmanager:us-east-1:"),
        "{}",
        found.id
    );
    assert_eq!(
        found.properties["generate"],
        json!({"length": 48, "excludePunctuation": true})
    );
    assert!(
        found.properties["tags"]
            .get("shinyctl.dev/generated")
            .is_none()
    );
    let arn = found.id.clone();
    assert_eq!(live.outputs[&found.address]["arn"], arn.as_str());

    // A new description: in place, the value kept.
    let described = secret("the Workbench cookie key", 48);
    let (plan, summary, _) = converge(&conn, &described).await;
    assert_counts(&plan, (1, 0));
    assert_complete(&summary);
    let now = conn
        .clients
        .secretsmanager
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .expect("described");
    assert_eq!(now.description(), Some("the Workbench cookie key"));
    assert_eq!(value(&conn).await, first);

    // A new recipe: replaced (deleted, then made again with the same name at once), a new value.
    let longer = secret("the Workbench cookie key", 64);
    let (plan, summary, events) = converge(&conn, &longer).await;
    assert_eq!(plan.summary.replace, 1, "{:?}", pending(&plan));
    assert_eq!(
        plan.changes[0].replaced_because.as_deref(),
        Some("generate.length")
    );
    assert_complete(&summary);
    let second = value(&conn).await;
    assert_eq!(second.len(), 64);
    assert_ne!(second, first);
    assert!(!leaks(&events, &second));
    assert_eq!(emulator::count(&account, "DeleteSecret"), 1);

    // Destroyed, then made again at once: the name is free once the step says it is gone.
    let live = read(&conn, &longer).await;
    let plan = shinyctl::plan::diff(&[], &live.observed);
    let operator = AwsOperator::new(conn.clone(), "livenet");
    let summary = execute(operator, fast_config(7), &plan, &longer, live.outputs).await;
    assert_complete(&summary);
    assert!(read(&conn, &longer).await.observed.resources.is_empty());
    let (plan, summary, _) = converge(&conn, &longer).await;
    assert_eq!(plan.summary.add, 1, "{:?}", pending(&plan));
    assert_complete(&summary);
    assert_ne!(value(&conn).await, second);
}
