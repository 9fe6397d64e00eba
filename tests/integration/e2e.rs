//! End to end through the real `shinyctl` binary against the emulator (zero latency profile), one
//! emulator account per test: apply on an empty account, plan shows no changes, change the
//! blueprint, plan shows exactly those changes, apply, destroy, nothing tagged remains. Plus
//! drift, SIGKILL mid-apply, throttling, and a failing resource that skips only its dependents.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::emulator;
use super::support::{Run, Scratch, repo_root, shinyctl_with_env};

/// One emulator account and a scratch directory for blueprints and plans.
pub(super) struct Account {
    pub(super) endpoint: String,
    pub(super) id: String,
    pub(super) scratch: Scratch,
}

impl Account {
    pub(super) fn new() -> Account {
        Account {
            endpoint: emulator::shared().endpoint.clone(),
            id: emulator::account(),
            scratch: Scratch::new(),
        }
    }

    pub(super) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("SHINYCTL_EMULATOR_ACCOUNT", self.id.clone()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            // The zero profile answers at once: poll at a hundredth of AWS's pace.
            ("SHINYCTL_TIME_SCALE", "0.01".into()),
            // Price List answers are cached per test, never in the user's cache.
            (
                "SHINYCTL_CACHE_DIR",
                self.scratch
                    .path()
                    .join("cache")
                    .to_string_lossy()
                    .into_owned(),
            ),
        ]
    }

    /// `shinyctl ARGS` against this account.
    pub(super) fn run(&self, args: &[&str]) -> Run {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        shinyctl_with_env(args, &env)
    }

    /// Writes `text` into the scratch directory; returns its path.
    pub(super) fn write(&self, name: &str, text: &str) -> String {
        let path = self.scratch.path().join(name);
        std::fs::write(&path, text).expect("write a scratch file");
        path.to_string_lossy().into_owned()
    }

    pub(super) fn apply(&self, blueprint: &str) -> Run {
        self.run(&["apply", "-f", blueprint, "--auto-approve"])
    }

    /// `apply`, as a user who follows its advice: when it stops before deploying the workload
    /// because images its pods pull are not in the blueprint's ECR (issue 19 item 5), the images
    /// it names are put there ([`put_missing_images`]) and apply runs again.
    pub(super) fn apply_mirroring(&self, blueprint: &str) -> Run {
        let first = self.apply(blueprint);
        if first.code == 0 || put_missing_images(self, &first).is_empty() {
            return first;
        }
        self.apply(blueprint)
    }

    pub(super) fn destroy(&self, blueprint: &str) -> Run {
        self.run(&[
            "destroy",
            "-f",
            blueprint,
            "--auto-approve",
            "--allow-data-loss",
            "--skip-final-snapshot",
        ])
    }

    /// The live plan as JSON and its exit code under `--detailed-exitcode`.
    pub(super) fn plan(&self, blueprint: &str) -> (i32, Value) {
        let run = self.run(&["plan", "-f", blueprint, "--json", "--detailed-exitcode"]);
        assert!(run.code == 0 || run.code == 2, "plan failed\n{run}");
        let plan = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{run}"));
        (run.code, plan)
    }

    /// Sets the emulator's faults for this account only (replacing every rule: callers hold
    /// [`FAULTS`]).
    pub(super) fn faults(&self, rules: Value) {
        let mut rules = rules;
        for rule in rules.as_array_mut().expect("a list of rules") {
            rule["account"] = Value::String(self.id.clone());
        }
        let body = serde_json::json!({ "seed": 7, "rules": rules }).to_string();
        emulator::put("/_emulator/faults", &body);
    }

    pub(super) fn successful_calls(&self, operation: &str) -> usize {
        emulator::count(&self.id, operation)
    }
}

/// Tests that set faults run one at a time: the emulator holds one rule list.
pub(crate) static FAULTS: Mutex<()> = Mutex::new(());

/// The pending changes of a JSON plan: address -> action (`create`, `update`, `delete+create`,
/// `delete`).
pub(super) fn changes(plan: &Value) -> BTreeMap<String, String> {
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| {
            let action: Vec<&str> = c["action"]
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let address = c["address"].as_str()?.to_string();
            (action != ["no-op"]).then(|| (address, action.join("+")))
        })
        .collect()
}

/// The names of the properties an update changes.
fn changed_properties(plan: &Value, address: &str) -> Vec<String> {
    plan["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["address"] == address)
        .flat_map(|c| {
            c["changed_properties"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect()
}

pub(super) fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The whole cycle on `blueprint`; `change` edits its text and `expected` lists exactly the
/// changes that edit plans (address -> action).
fn full_cycle(blueprint: &str, change: impl Fn(&str) -> String, expected: &[(&str, &str)]) {
    let account = Account::new();
    let original = std::fs::read_to_string(repo_root().join(blueprint)).expect("blueprint");
    let changed = account.write("changed.yaml", &change(&original));
    cycle(&account, blueprint, &changed, expected);
    let (_, plan) = account.plan(&changed);
    assert_eq!(
        plan["summary"]["unchanged"], 0,
        "nothing of the blueprint remains"
    );
}

const MINIMAL: &str = "blueprints/minimal.yaml";

#[test]
fn minimal_full_cycle() {
    full_cycle(
        MINIMAL,
        |text| {
            text.replace("keepLastImages: 10", "keepLastImages: 5") + "    - name: shiny/second\n"
        },
        &[
            ("registry.ecr_lifecycle_policy[shiny/hello]", "update"),
            ("registry.ecr_repository[shiny/second]", "create"),
        ],
    );
}

/// `count` repositories in one blueprint (each with a lifecycle policy): many independent steps.
pub(super) fn registry_blueprint(name: &str, count: usize) -> String {
    let mut text = format!(
        "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: {name}\n  \
         region: us-east-1\nregistry:\n  repositories:\n"
    );
    for i in 0..count {
        text.push_str(&format!(
            "    - name: apps/app{i:02}\n      keepLastImages: 5\n"
        ));
    }
    text
}

/// The `finished` event's summary from `--output json` progress.
fn summary(run: &Run) -> Value {
    run.stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|event| event["type"] == "finished")
        .map(|event| event["summary"].clone())
        .unwrap_or_else(|| panic!("no finished event\n{run}"))
}

/// A runtime for a test that calls the library's async functions from a plain `#[test]`.
pub(super) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn drift_made_outside_shinyctl_shows_in_the_plan() {
    let account = Account::new();
    assert_eq!(account.apply(MINIMAL).code, 0);
    runtime().block_on(async {
        let target = shinyctl::aws::Target::emulator(&account.endpoint, "us-east-1", &account.id);
        let conn = shinyctl::aws::connect(&target).await.expect("connect");
        conn.clients
            .ecr
            .put_image_tag_mutability()
            .repository_name("tiny/shiny/hello")
            .image_tag_mutability(aws_sdk_ecr::types::ImageTagMutability::Immutable)
            .send()
            .await
            .expect("change the repository behind shinyctl's back");
    });
    let (code, plan) = account.plan(MINIMAL);
    assert_eq!(code, 2);
    assert_eq!(
        changes(&plan),
        expect(&[("registry.ecr_repository[shiny/hello]", "update")])
    );
    let changed = changed_properties(&plan, "registry.ecr_repository[shiny/hello]");
    assert!(changed == ["imageTagMutability"], "{changed:?}");
    assert_eq!(account.apply(MINIMAL).code, 0, "apply repairs the drift");
    assert_eq!(account.plan(MINIMAL).0, 0);
    assert_eq!(account.destroy(MINIMAL).code, 0);
}

#[test]
fn a_saved_plan_applies_only_while_it_is_current() {
    let account = Account::new();
    let out = account.scratch.path().join("plan.json");
    let out = out.to_string_lossy();
    account
        .run(&["plan", "-f", MINIMAL, "--out", &out])
        .expect_code(0);
    // Someone else applies first: the saved plan (two creates) is out of date.
    let other = registry_blueprint("tiny", 0).replace(
        "repositories:\n",
        "repositories:\n    - name: shiny/hello\n      keepLastImages: 7\n",
    );
    let other = account.write("other.yaml", &other);
    assert_eq!(account.apply(&other).code, 0);
    let stale = account.run(&["apply", "-f", MINIMAL, "--plan", &out]);
    assert_eq!(stale.code, 1, "{stale}");
    assert!(
        stale.stderr.contains("the saved plan is out of date"),
        "{stale}"
    );
    assert!(stale.stderr.contains("nothing was changed"), "{stale}");
    // A fresh plan applies.
    account
        .run(&["plan", "-f", MINIMAL, "--out", &out])
        .expect_code(0);
    let applied = account.run(&["apply", "-f", MINIMAL, "--plan", &out]);
    assert_eq!(applied.code, 0, "{applied}");
    assert_eq!(account.plan(MINIMAL).0, 0);
    assert_eq!(account.destroy(MINIMAL).code, 0);
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let account = Account::new();
    let run = account.run(&["apply", "-f", MINIMAL]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("--auto-approve"), "{run}");
    assert_eq!(account.successful_calls("CreateRepository"), 0);
}

/// `shinyctl apply -f BLUEPRINT --auto-approve --parallelism 2 ARGS` started in the background,
/// each CreateRepository held 0.4 s by a slow fault (callers hold [`FAULTS`]); returned once
/// `created` repositories exist: the apply is under way, more creates in flight. Its stdout and
/// stderr go to `output()`.
fn apply_under_way(
    account: &Account,
    blueprint: &str,
    args: &[&str],
    output: fn() -> Stdio,
    created: usize,
) -> Child {
    account.faults(serde_json::json!([
        {"kind": "slow", "service": "ecr", "operation": "CreateRepository", "delay_seconds": 0.4}
    ]));
    let child = Command::new(env!("CARGO_BIN_EXE_shinyctl"))
        .args([
            "apply",
            "-f",
            blueprint,
            "--auto-approve",
            "--parallelism",
            "2",
        ])
        .args(args)
        .envs(account.env())
        .current_dir(repo_root())
        .stdout(output())
        .stderr(output())
        .spawn()
        .expect("start shinyctl");
    let started = Instant::now();
    while account.successful_calls("CreateRepository") < created {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "apply never got going"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn sigkill_mid_apply_then_rerun_converges_without_duplicates() {
    const REPOSITORIES: usize = 16;
    let _faults = FAULTS.lock().unwrap_or_else(|e| e.into_inner());
    let account = Account::new();
    let blueprint = account.write("many.yaml", &registry_blueprint("killed", REPOSITORIES));
    // Slow creates, so the process is killed with creates done, in flight and not started.
    let mut child = apply_under_way(&account, &blueprint, &[], Stdio::null, 4);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    // Calls the killed process had in flight still land (the slow fault holds them 0.4 s, longer
    // on a loaded machine), as on AWS: re-run once the call log is quiet.
    let mut seen = account.successful_calls("CreateRepository");
    let waiting_since = Instant::now();
    let mut last_change = Instant::now();
    while last_change.elapsed() < Duration::from_secs(1)
        && waiting_since.elapsed() < Duration::from_secs(15)
    {
        std::thread::sleep(Duration::from_millis(100));
        let now = account.successful_calls("CreateRepository");
        if now != seen {
            seen = now;
            last_change = Instant::now();
        }
    }
    account.faults(serde_json::json!([]));

    // The killed run left its lock: a plain re-run says who holds it and how to break it.
    let locked = account.apply(&blueprint);
    assert_eq!(locked.code, 1, "{locked}");
    assert!(locked.stderr.contains("--break-lock"), "{locked}");
    let rerun = account.run(&["apply", "-f", &blueprint, "--auto-approve", "--break-lock"]);
    assert_eq!(rerun.code, 0, "{rerun}");
    assert!(
        rerun.stderr.contains("Broke the lock held by apply by"),
        "{rerun}"
    );
    assert_eq!(account.plan(&blueprint).0, 0, "converged");
    // Every repository was created exactly once across both runs (the call log proves it).
    let creates: Vec<u64> = emulator::calls(&account.id)
        .into_iter()
        .filter(|c| c.operation == "CreateRepository")
        .map(|c| c.status)
        .collect();
    assert_eq!(
        creates.len(),
        REPOSITORIES,
        "no duplicate creates (statuses: {creates:?})"
    );
    assert_eq!(account.destroy(&blueprint).code, 0);
}

#[test]
fn a_lock_put_whose_answer_was_lost_is_still_ours() {
    let _faults = FAULTS.lock().unwrap_or_else(|e| e.into_inner());
    let account = Account::new();
    let blueprint = MINIMAL;
    assert_eq!(account.apply(blueprint).code, 0);
    // The lock's conditional put takes effect but its answer never comes: the SDK's retry then
    // finds the lock there, and it is this run's own.
    account.faults(serde_json::json!([{
        "kind": "lost_answer", "service": "s3", "operation": "PutObject", "count": 1
    }]));
    let run = account.apply(blueprint);
    account.faults(serde_json::json!([]));
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(account.destroy(blueprint).code, 0);
}

#[test]
fn apply_converges_under_20_percent_throttling() {
    let _faults = FAULTS.lock().unwrap_or_else(|e| e.into_inner());
    let account = Account::new();
    let blueprint = account.write("throttled.yaml", &registry_blueprint("throttled", 8));
    account.faults(serde_json::json!([{"kind": "throttle", "rate": 0.2}]));
    let applied = account.apply(&blueprint);
    let (code, _) = account.plan(&blueprint);
    let destroyed = account.destroy(&blueprint);
    let throttled = emulator::calls(&account.id)
        .iter()
        .filter(|c| c.status >= 400)
        .count();
    account.faults(serde_json::json!([]));
    assert_eq!(applied.code, 0, "{applied}");
    assert_eq!(code, 0, "converged");
    assert_eq!(destroyed.code, 0, "{destroyed}");
    assert!(throttled > 0, "the faults were in effect");
}

#[test]
fn a_failing_resource_skips_only_its_dependents() {
    let _faults = FAULTS.lock().unwrap_or_else(|e| e.into_inner());
    let account = Account::new();
    let blueprint = account.write("two.yaml", &registry_blueprint("failing", 2));
    // The first CreateRepository fails with an error no retry can fix.
    account.faults(serde_json::json!([{
        "kind": "throttle", "service": "ecr", "operation": "CreateRepository",
        "code": "InvalidParameterException", "status": 400, "count": 1
    }]));
    let run = account.run(&[
        "apply",
        "-f",
        &blueprint,
        "--auto-approve",
        "--parallelism",
        "1",
        "--output",
        "json",
    ]);
    account.faults(serde_json::json!([]));
    assert_eq!(run.code, 1, "{run}");
    let summary = summary(&run);
    let failed = summary["failed"].as_array().expect("failed");
    assert_eq!(failed.len(), 1, "{summary:#}");
    assert_eq!(failed[0]["error"]["code"], "InvalidParameterException");
    let failed_address = failed[0]["address"].as_str().expect("address").to_string();
    let policy = failed_address.replace("ecr_repository", "ecr_lifecycle_policy");
    let skipped = summary["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 1, "{summary:#}");
    assert_eq!(skipped[0]["address"], policy.as_str());
    assert_eq!(skipped[0]["because"], failed_address.as_str());
    assert_eq!(
        summary["created"].as_array().map(Vec::len),
        Some(2),
        "the other repository and its policy: {summary:#}"
    );
    // The next apply continues from there.
    assert_eq!(account.apply(&blueprint).code, 0);
    assert_eq!(account.plan(&blueprint).0, 0);
    assert_eq!(account.destroy(&blueprint).code, 0);
}

/// apply `base` on an empty account -> no changes -> `changed` plans exactly `expected` -> apply
/// -> no changes -> destroy -> nothing remains -> apply again the same day (a CI pipeline's
/// ephemeral environment: no client token of the first run may be reused) -> no changes ->
/// destroy -> nothing remains.
fn cycle(account: &Account, base: &str, changed: &str, expected: &[(&str, &str)]) {
    let applied = account.apply_mirroring(base);
    assert_eq!(applied.code, 0, "apply on an empty account\n{applied}");
    // Apply ends with where the platform is (its URL, when it has an ingress).
    let has_ingress = std::fs::read_to_string(base).is_ok_and(|t| t.contains("\ningress:"));
    if has_ingress {
        assert!(
            applied.stdout.contains("Where things are:") && applied.stdout.contains("URL:"),
            "{applied}"
        );
    }
    let (code, plan) = account.plan(base);
    assert_eq!(code, 0, "no changes after apply: {:#?}", changes(&plan));
    let (code, plan) = account.plan(changed);
    assert_eq!(code, 2, "the edit shows as changes");
    assert_eq!(
        changes(&plan),
        expect(expected),
        "exactly the edit's changes"
    );
    let applied = account.apply(changed);
    assert_eq!(applied.code, 0, "apply the edit\n{applied}");
    let (code, plan) = account.plan(changed);
    assert_eq!(code, 0, "no changes after the edit: {:#?}", changes(&plan));
    let policy_calls = || {
        ["GetLifecyclePolicy", "DeleteLifecyclePolicy"].map(|op| emulator::count(&account.id, op))
    };
    let before = policy_calls();
    let destroyed = account.destroy(changed);
    assert_eq!(destroyed.code, 0, "destroy\n{destroyed}");
    assert!(
        destroyed.stdout.contains("Verified: nothing tagged"),
        "{destroyed}"
    );
    // Destroy reads what exists, not settings: a repository's lifecycle policy goes with it.
    assert_eq!(
        policy_calls(),
        before,
        "destroy asked about lifecycle policies"
    );
    let again = account.apply_mirroring(changed);
    assert_eq!(again.code, 0, "apply again the same day\n{again}");
    let (code, plan) = account.plan(changed);
    assert_eq!(
        code,
        0,
        "no changes after the second apply: {:#?}",
        changes(&plan)
    );
    let destroyed = account.destroy(changed);
    assert_eq!(destroyed.code, 0, "destroy again\n{destroyed}");
    assert!(
        destroyed.stdout.contains("Verified: nothing tagged"),
        "{destroyed}"
    );
}

#[test]
fn ctrl_c_lets_in_flight_steps_finish_reports_and_releases_the_lock() {
    const REPOSITORIES: usize = 12;
    let _faults = FAULTS.lock().unwrap_or_else(|e| e.into_inner());
    let account = Account::new();
    let blueprint = account.write(
        "many.yaml",
        &registry_blueprint("interrupted", REPOSITORIES),
    );
    let child = apply_under_way(&account, &blueprint, &["--output", "json"], Stdio::piped, 2);
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    let output = child.wait_with_output().expect("shinyctl ends");
    account.faults(serde_json::json!([]));
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("Interrupted"), "{run}");
    let summary = summary(&run);
    assert_eq!(summary["interrupted"], true, "{summary:#}");
    let created = summary["created"].as_array().map_or(0, Vec::len);
    assert!(created < 2 * REPOSITORIES, "stopped early: {summary:#}");
    // The lock was released: the next apply needs no --break-lock and finishes the job.
    let rerun = account.apply(&blueprint);
    assert_eq!(rerun.code, 0, "{rerun}");
    assert_eq!(account.plan(&blueprint).0, 0);
    assert_eq!(account.destroy(&blueprint).code, 0);
}

/// Runs `script` with boto3 from the emulator's virtualenv as `account` in `region`: the script
/// gets `client(service)` and `args` (the extra arguments); returns its stdout, trimmed.
pub(super) fn boto3(account: &Account, region: &str, script: &str, args: &[&str]) -> String {
    let python = repo_root().join(".cache/emulator-venv/bin/python");
    let prelude = include_str!("../emulator/boto3_prelude.py");
    let output = Command::new(python)
        .arg("-c")
        .arg(format!("{prelude}{script}"))
        .args([&account.endpoint, region, &account.id])
        .args(args)
        .output()
        .expect("python from the emulator's virtualenv");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The images a stopped apply says are not in the blueprint's ECR (`<account>.dkr.ecr.<region>.
/// amazonaws.com(.cn)/<repository>:<tag>`), put into the account's ECR as `shinyctl images mirror`
/// would copy them (with `PutImage`: without a test's local registry the emulator serves no
/// registry API). Returns them; none when the run did not stop at the image check.
pub(super) fn put_missing_images(account: &Account, run: &Run) -> Vec<String> {
    if !run.stdout.contains("not in the blueprint's ECR")
        && !run.stderr.contains("not in the blueprint's ECR")
    {
        return Vec::new();
    }
    let prefix = format!("{}.dkr.ecr.", account.id);
    let mut images: Vec<String> = run
        .stdout
        .split_whitespace()
        .chain(run.stderr.split_whitespace())
        .filter(|word| word.starts_with(&prefix))
        .map(|word| word.trim_end_matches([',', '.', '`']).to_string())
        .collect();
    images.sort();
    images.dedup();
    for image in &images {
        let (host, rest) = image.split_once('/').expect("a repository");
        let region = host.split('.').nth(3).expect("the region in the host");
        let (repository, tag) = rest.rsplit_once(':').expect("a tag");
        boto3(
            account,
            region,
            r#"
import json
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2,
                       "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
            "layers": []}
client("ecr").put_image(repositoryName=args[0], imageTag=args[1], imageManifest=json.dumps(manifest))
"#,
            &[repository, tag],
        );
    }
    images
}

/// A copy of `text` whose HTTPS listeners name a certificate the emulator issued to `account`.
pub(super) fn with_emulator_certificate(account: &Account, text: &str, region: &str) -> String {
    if !text.contains("certificateArn:") {
        return text.to_string();
    }
    let arn = boto3(
        account,
        region,
        r#"print(client("acm").request_certificate(DomainName="shiny.example.com")["CertificateArn"])"#,
        &[],
    );
    text.lines()
        .map(|line| match line.find("certificateArn:") {
            Some(at) => {
                let tail = line[at..].find('}').map_or("", |end| &line[at + end..]);
                format!("{}certificateArn: \"{arn}\"{tail}\n", &line[..at])
            }
            None => format!("{line}\n"),
        })
        .collect()
}

/// What a team stores before its first apply: every `secretsmanager:NAME` a blueprint refers to,
/// created in `account` with `value`.
pub(super) fn plant_secrets(account: &Account, text: &str, region: &str, value: &str) {
    for name in text
        .split("secretsmanager:")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
    {
        boto3(
            account,
            region,
            r#"client("secretsmanager").create_secret(Name=args[0], SecretString=args[1])"#,
            &[name, value],
        );
    }
}

/// The full cycle on a shipped blueprint (made runnable in the emulator first).
pub(super) fn shipped_cycle(
    blueprint: &str,
    region: &str,
    change: impl Fn(&str) -> String,
    expected: &[(&str, &str)],
) {
    let account = Account::new();
    let original = std::fs::read_to_string(repo_root().join(blueprint)).expect("blueprint");
    let runnable = with_emulator_certificate(&account, &original, region);
    plant_secrets(&account, &runnable, region, "planted-secret-value");
    let base = account.write("base.yaml", &runnable);
    let changed = account.write("changed.yaml", &change(&runnable));
    cycle(&account, &base, &changed, expected);
}

#[test]
fn shinyproxy_eks_full_cycle() {
    shipped_cycle(
        "blueprints/shinyproxy-eks.yaml",
        "cn-northwest-1",
        |text| {
            text.replace("      desired: 2\n", "      desired: 3\n")
                .replace(
                    "healthCheck: {path: /login,",
                    "healthCheck: {path: /health,",
                )
                .replace(
                    "log_min_duration_statement: \"500\"",
                    "log_min_duration_statement: \"1000\"",
                )
                .replace(
                    "      keepLastImages: 20\n",
                    "      keepLastImages: 20\n    - name: shiny/second\n",
                )
        },
        &[
            ("cluster.node_group[proxy]", "update"),
            ("database.db_cluster_parameter_group", "update"),
            ("ingress.target_group", "update"),
            ("registry.ecr_repository[shiny/second]", "create"),
        ],
    );
}

#[test]
fn lowcode_ha_full_cycle() {
    shipped_cycle(
        "blueprints/lowcode-ha.yaml",
        "cn-northwest-1",
        |text| {
            text.replace(
                "healthCheck: {path: /UserService/ManagementPage/LoginPage,",
                "healthCheck: {path: /UserService/health,",
            )
            // nginx's routes: the configuration rolls through the association, no server
            // is replaced.
            .replace("{path: /app_e/, to: 8005}", "{path: /app_e/, to: 8006}")
            .replace(
                "log_bin_trust_function_creators: \"1\"",
                "log_bin_trust_function_creators: \"0\"",
            ) + "\nregistry:\n  repositories:\n    - name: lowcode/app\n"
        },
        &[
            ("database.db_parameter_group", "update"),
            ("registry.ecr_repository[lowcode/app]", "create"),
            ("servers.ssm_association[app]", "update"),
            ("servers.ssm_document[app]", "update"),
            ("servers.target_group[app]", "update"),
        ],
    );
}

#[test]
fn dolphinscheduler_fargate_full_cycle() {
    shipped_cycle(
        "blueprints/dolphinscheduler-fargate.yaml",
        "us-east-1",
        |text| {
            text.replace(
                "healthCheck: {path: /dolphinscheduler/actuator/health,",
                "healthCheck: {path: /actuator/health,",
            ) + "\nregistry:\n  repositories:\n    - name: dolphin/worker\n"
        },
        &[
            ("ingress.target_group", "update"),
            ("registry.ecr_repository[dolphin/worker]", "create"),
        ],
    );
}

/// Seed 001 with an Auto Scaling group: a new configuration rolls through the association, a
/// bigger group is changed in place.
#[test]
fn lowcode_asg_full_cycle() {
    shipped_cycle(
        "blueprints/lowcode-asg.yaml",
        "cn-northwest-1",
        |text| {
            text.replace("{path: /app_e/, to: 8005}", "{path: /app_e/, to: 8006}")
                .replace(
                    "count: {min: 2, desired: 2, max: 6}",
                    "count: {min: 2, desired: 3, max: 6}",
                )
        },
        &[
            ("servers.autoscaling_group[app]", "update"),
            ("servers.ssm_association[app]", "update"),
            ("servers.ssm_document[app]", "update"),
        ],
    );
}

/// Seed 001's servers get a new instance type: the plan replaces both (data loss: refused
/// without `--allow-data-loss`), and the apply rolls them — the second server is drained from
/// the target group only once the first is back in it and healthy.
#[test]
fn lowcode_servers_roll_one_at_a_time() {
    let account = Account::new();
    let original =
        std::fs::read_to_string(repo_root().join("blueprints/lowcode-ha.yaml")).expect("blueprint");
    let runnable = with_emulator_certificate(&account, &original, "cn-northwest-1");
    let base = account.write("base.yaml", &runnable);
    let bigger = account.write(
        "bigger.yaml",
        &runnable.replace("instanceType: t3.medium", "instanceType: t3.large"),
    );
    assert_eq!(account.apply(&base).code, 0, "apply on an empty account");
    let refused = account.apply(&bigger);
    assert_ne!(
        refused.code, 0,
        "replacing servers needs --allow-data-loss\n{refused}"
    );
    let rolled = account.run(&[
        "apply",
        "-f",
        &bigger,
        "--auto-approve",
        "--allow-data-loss",
    ]);
    assert_eq!(rolled.code, 0, "{rolled}");
    let at = |event: &str| {
        rolled
            .stdout
            .find(event)
            .unwrap_or_else(|| panic!("`{event}` in\n{rolled}"))
    };
    let first_back = at("servers.target_group_attachment[app-a1] (replace): created");
    let second_drained = at("servers.target_group_attachment[app-b1] (replace): deleting");
    assert!(
        first_back < second_drained,
        "a1 is back before b1 is drained\n{rolled}"
    );
    assert!(
        at("servers.ec2_instance[app-a1] (replace): deleting") < first_back,
        "a1 goes first\n{rolled}"
    );
    let (code, plan) = account.plan(&bigger);
    assert_eq!(code, 0, "no changes after the roll: {:#?}", changes(&plan));
    assert_eq!(account.destroy(&bigger).code, 0);
}

/// A server added to seed 001's group, then removed: the new one is launched, configured and
/// registered; the removed one is drained from the target group before it is terminated (and,
/// holding local state, only with `--allow-data-loss`).
#[test]
fn lowcode_servers_added_and_removed() {
    let account = Account::new();
    let original =
        std::fs::read_to_string(repo_root().join("blueprints/lowcode-ha.yaml")).expect("blueprint");
    let runnable = with_emulator_certificate(&account, &original, "cn-northwest-1");
    let base = account.write("base.yaml", &runnable);
    let three = account.write(
        "three.yaml",
        &runnable.replace(
            "instances: [{zone: a}, {zone: b}]",
            "instances: [{zone: a}, {zone: b}, {zone: a}]",
        ),
    );
    assert_eq!(account.apply(&base).code, 0, "apply on an empty account");
    let (code, plan) = account.plan(&three);
    assert_eq!(code, 2);
    assert_eq!(
        changes(&plan),
        expect(&[
            ("servers.cloudwatch_alarm[app-a2]", "create"),
            ("servers.ec2_instance[app-a2]", "create"),
            ("servers.target_group_attachment[app-a2]", "create"),
        ])
    );
    assert_eq!(account.apply(&three).code, 0);
    let refused = account.apply(&base);
    assert_ne!(
        refused.code, 0,
        "removing a server needs --allow-data-loss\n{refused}"
    );
    let removed = account.run(&["apply", "-f", &base, "--auto-approve", "--allow-data-loss"]);
    assert_eq!(removed.code, 0, "{removed}");
    // Untagged, the registration is found in the target group, matched to no attachment.
    let line_of = |needle: &dyn Fn(&str) -> bool| {
        removed
            .stdout
            .lines()
            .position(needle)
            .unwrap_or_else(|| panic!("no such line in\n{removed}"))
    };
    let drained = line_of(&|l| {
        l.starts_with("servers.target_group[app].registration[") && l.contains(": deleted after")
    });
    let terminating = line_of(&|l| l.starts_with("servers.ec2_instance[app-a2]: deleting"));
    assert!(
        drained < terminating,
        "drained before it is terminated\n{removed}"
    );
    let (code, plan) = account.plan(&base);
    assert_eq!(code, 0, "no changes: {:#?}", changes(&plan));
    assert_eq!(account.destroy(&base).code, 0);
}
