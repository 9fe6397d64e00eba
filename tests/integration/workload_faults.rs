//! The workload's AWS calls under the emulator's fault injection: with a third of the account's
//! calls throttled or failing with 5xx, cluster access (DescribeCluster, the token) and a deploy
//! converge — the SDK's retries at the target's time scale, without a retry quota that runs dry.

use std::time::Duration;

use serde_json::{Value, json};
use shinyctl::apply::wait::PollSchedule;
use shinyctl::aws::Target;
use shinyctl::blueprint::Blueprint;
use shinyctl::workload::deploy::{self, RolloutWait};
use shinyctl::workload::{self, PlatformFacts};

use crate::emulator;
use crate::support::repo_root;

/// Replaces the emulator's fault rules (callers hold `e2e::FAULTS`: there is one rule list).
fn set_faults(rules: Value) {
    emulator::put(
        "/_emulator/faults",
        &json!({ "seed": 11, "rules": rules }).to_string(),
    );
}

fn blueprint() -> Blueprint {
    let mut bp = shinyctl::load::load_file(&repo_root().join("blueprints/shinyproxy-eks.yaml"))
        .expect("the example loads")
        .blueprint;
    // Its own cluster name: other suites make the example's cluster in their own accounts.
    bp.metadata.name = "faulted-workload".into();
    bp
}

#[test]
fn cluster_access_and_deploy_converge_under_throttling_and_server_errors() {
    // Held for the whole test, outside the runtime (no lock across an await).
    let _faults = crate::e2e::FAULTS.lock().unwrap_or_else(|e| e.into_inner());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(converges());
}

async fn converges() {
    let bp = blueprint();
    let name = bp.metadata.name.clone();
    let account = emulator::account();
    // The emulator's profile is 60 times faster than AWS: so are the retries.
    let target =
        Target::emulator(&emulator::shared().endpoint, "us-east-1", &account).with_time_scale(0.01);
    let conn = shinyctl::aws::connect(&target)
        .await
        .expect("connects to the emulator");
    crate::workload::deploy::create_cluster(&conn, &name).await;
    // Compute for its pods, as a blueprint's cluster has.
    crate::workload::deploy::node_group(&conn, &name).await;

    // The bench's rules: a quarter of the account's calls fail, each with a retryable error.
    set_faults(json!([
        {"kind": "throttle", "rate": 0.2, "account": account},
        {"kind": "error", "status": 503, "rate": 0.03, "account": account},
        {"kind": "error", "status": 500, "rate": 0.02, "account": account},
    ]));
    let outcome = async {
        // DescribeCluster until the cluster is ACTIVE, then forty more (a run looks at its
        // cluster many times): not one may fail.
        let mut access = None;
        for _ in 0..200 {
            match shinyctl::aws::eks_token::cluster_access(&conn, &target, &name).await {
                Ok(found) if found.endpoint.contains("/_k8s/") => {
                    access = Some(found);
                    break;
                }
                Ok(_) => {}
                Err(e) if e.contains("no endpoint yet") => {}
                Err(e) => return Err(e),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut access = access.ok_or("the cluster never got an endpoint")?;
        for _ in 0..40 {
            access = shinyctl::aws::eks_token::cluster_access(&conn, &target, &name).await?;
        }
        let client = deploy::client_with_retries(
            &access.endpoint,
            access.certificate_authority_data.as_deref(),
            &access.token,
            target.call_retries(),
        )
        .await
        .map_err(|e| e.to_string())?;
        let rendered = workload::render(&bp, &PlatformFacts::placeholders(&bp)).ok_or("a proxy")?;
        // The usage-statistics user's Job runs too (its calls face the same faults).
        let values = crate::workload::deploy::secret_values();
        let wait = RolloutWait {
            timeout: Duration::from_secs(30),
            schedule: PollSchedule::every(Duration::from_millis(100)),
        };
        deploy::deploy(&client, &name, &rendered, &values, wait)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    }
    .await;
    set_faults(json!([]));
    outcome.expect("converges despite the faults");

    let faulted = emulator::calls(&account)
        .into_iter()
        .filter(|c| c.operation == "DescribeCluster" && c.status >= 400)
        .count();
    assert!(faulted > 0, "the faults were in effect");
}
