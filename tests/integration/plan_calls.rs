//! The API calls of a no-change live plan, counted from the emulator's call log: after applying
//! a shipped blueprint, `shinyctl plan` must stay within the bench's budget
//! (`xtask/src/bench/budget.rs`, compiled in here so both use the same figures, over the kinds
//! the binary's `kinds --json` prints) in every service.
//! Counts only, never time.

use std::collections::BTreeMap;

use super::e2e::{Account, plant_secrets, registry_blueprint, runtime, with_emulator_certificate};
use super::emulator;
use super::support::{repo_root, shinyctl};

#[path = "../../xtask/src/bench/budget.rs"]
#[allow(dead_code)]
mod budget;

/// Successful calls since the log held `from` entries, per service and per `service:operation`.
fn calls_since(account: &str, from: usize) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let mut services = BTreeMap::new();
    let mut operations = BTreeMap::new();
    for call in emulator::calls(account).into_iter().skip(from) {
        *services.entry(call.service.clone()).or_insert(0) += 1;
        *operations
            .entry(format!("{}:{}", call.service, call.operation))
            .or_insert(0) += 1;
    }
    (services, operations)
}

/// The AWS kinds the binary reads, as the bench takes them (`shinyctl kinds --json`).
fn aws_kinds() -> Vec<budget::KindReads> {
    let run = shinyctl(&["kinds", "--json"]);
    assert_eq!(run.code, 0, "kinds --json\n{run}");
    budget::aws_kinds_from_json(&run.stdout).expect("kinds --json parses")
}

#[test]
fn the_bench_reads_every_kind_the_reader_reads_from_the_binary() {
    let names: Vec<String> = aws_kinds().into_iter().map(|k| k.kind).collect();
    let expected: Vec<&str> = shinyctl::plan::ResourceKind::ALL
        .iter()
        .filter(|k| k.spec().reads.is_some())
        .map(|k| k.as_str())
        .collect();
    assert_eq!(names, expected);
    assert!(!names.iter().any(|k| k == "kubernetes_object"));
}

fn kind_counts(path: &str) -> BTreeMap<String, usize> {
    let loaded = shinyctl::load::load_file(std::path::Path::new(path)).expect("loads");
    let mut counts = BTreeMap::new();
    for r in &loaded.resources {
        *counts.entry(r.kind.as_str().to_string()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn a_no_change_plan_stays_within_its_call_budget() {
    let account = Account::new();
    let region = "cn-northwest-1";
    let original = std::fs::read_to_string(repo_root().join("blueprints/shinyproxy-eks.yaml"))
        .expect("blueprint");
    let runnable = with_emulator_certificate(&account, &original, region);
    plant_secrets(&account, &runnable, region, "planted-secret-value");
    let base = account.write("base.yaml", &runnable);
    let applied = account.apply_mirroring(&base);
    assert_eq!(applied.code, 0, "apply\n{applied}");

    let before = emulator::calls(&account.id).len();
    let plan = account.run(&["plan", "-f", &base, "--json", "--detailed-exitcode"]);
    let (services, operations) = calls_since(&account.id, before);
    assert_eq!(plan.code, 0, "no changes after apply\n{plan}");

    let budget = budget::plan_call_budget(&aws_kinds(), &kind_counts(&base));
    let report = format!(
        "calls per operation: {operations:#?}\nper service: {services:?}\nbudget: {:?}",
        budget.per_service
    );
    eprintln!("{report}");
    for (service, calls) in &services {
        let allowed = budget
            .per_service
            .get(service.as_str())
            .copied()
            .unwrap_or(0);
        assert!(
            *calls <= allowed,
            "{service}: {calls} calls, budget {allowed}\n{report}"
        );
    }
    assert_eq!(account.destroy(&base).code, 0, "destroy");
}

/// The call log's name for the services whose rate-limit buckets go by their SDK name.
fn logged_service(service: &str) -> &str {
    match service {
        "tagging" => "resourcegroupstaggingapi",
        other => other,
    }
}

/// Many repositories: their tags come from one tagging-API call, not one call each, and every
/// call the reader makes first takes a rate-limit token.
#[test]
fn repositories_are_read_in_batches_and_every_call_takes_a_token() {
    const REPOSITORIES: usize = 12;
    let account = Account::new();
    let text = registry_blueprint("callsreg", REPOSITORIES);
    let path = account.write("registry.yaml", &text);
    assert_eq!(account.apply(&path).code, 0, "apply");
    let desired = shinyctl::load::load_str("registry.yaml", &text)
        .expect("loads")
        .resources;

    let runtime = runtime();
    let before = emulator::calls(&account.id).len();
    let (live, spent) = runtime.block_on(async {
        let target =
            shinyctl::aws::Target::emulator(&emulator::shared().endpoint, "us-east-1", &account.id);
        let conn = shinyctl::aws::connect(&target).await.expect("connects");
        let live = shinyctl::aws::read(&conn, "callsreg", &desired)
            .await
            .expect("reads");
        (live, conn.limiter.spent())
    });
    assert_eq!(live.observed.resources.len(), 2 * REPOSITORIES);
    let (_, operations) = calls_since(&account.id, before);

    let count = |op: &str| operations.get(op).copied().unwrap_or(0);
    assert_eq!(count("ecr:ListTagsForResource"), 0, "{operations:#?}");
    assert_eq!(count("resourcegroupstaggingapi:GetResources"), 1);
    assert_eq!(count("ecr:DescribeRepositories"), 1);
    assert_eq!(count("ecr:GetLifecyclePolicy"), REPOSITORIES);

    let spent: BTreeMap<String, u64> = spent
        .into_iter()
        .map(|((service, action), n)| (format!("{}:{action}", logged_service(&service)), n))
        .collect();
    for (operation, calls) in &operations {
        let tokens = spent.get(operation).copied().unwrap_or(0);
        assert!(
            tokens >= *calls as u64,
            "{operation}: {calls} calls but {tokens} tokens\ncalls: {operations:#?}\ntokens: {spent:#?}"
        );
    }
    assert_eq!(account.destroy(&path).code, 0, "destroy");
}

/// `--call-log` notes every AWS call the emulator answered, by the same names, each answered
/// after it was sent: what the bench counts round trips from.
#[test]
fn the_call_log_holds_every_call_the_plan_made() {
    let account = Account::new();
    let path = account.write("registry.yaml", &registry_blueprint("calllog", 3));
    assert_eq!(account.apply(&path).code, 0, "apply");
    let log = std::path::Path::new(&path).with_file_name("calls.jsonl");
    let log_arg = log.to_string_lossy().into_owned();

    let before = emulator::calls(&account.id).len();
    let plan = account.run(&[
        "plan",
        "-f",
        &path,
        "--detailed-exitcode",
        "--call-log",
        &log_arg,
    ]);
    assert_eq!(plan.code, 0, "no changes after apply\n{plan}");
    let (_, operations) = calls_since(&account.id, before);

    let mut logged: BTreeMap<String, usize> = BTreeMap::new();
    for line in std::fs::read_to_string(&log).expect("the call log").lines() {
        let call: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let service = call["service"].as_str().expect("a service");
        let operation = call["operation"].as_str().expect("an operation");
        let (sent, answered) = (call["sent"].as_f64(), call["answered"].as_f64());
        assert!(sent.expect("sent") <= answered.expect("answered"), "{line}");
        assert_eq!(call["status"], 200, "{line}");
        *logged
            .entry(format!("{}:{operation}", logged_service(service)))
            .or_insert(0) += 1;
    }
    assert_eq!(logged, operations);
    assert_eq!(account.destroy(&path).code, 0, "destroy");
}

/// Calls that read only a resource's settings, or parts that go with it: destroy's inventory
/// (`aws::read_inventory`) asks none of them, and neither do destroy's deletes.
const SETTINGS_READS: &[&str] = &[
    // An S3 bucket's aspects: the delete empties every object version whatever the versioning.
    "s3:GetBucketVersioning",
    "s3:GetBucketEncryption",
    "s3:GetPublicAccessBlock",
    // An SSM document's content: the delete takes its name.
    "ssm:GetDocument",
    // A mount target's security groups: its delete takes its id; the catalog orders it.
    "efs:DescribeMountTargetSecurityGroups",
    // A load balancer's and a TCP listener's idle timeouts.
    "elbv2:DescribeLoadBalancerAttributes",
    "elbv2:DescribeListenerAttributes",
    // What earlier rounds left out (issue 14).
    "ecr:GetLifecyclePolicy",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:DescribeVpcAttribute",
    "elbv2:DescribeTargetGroupAttributes",
    "elasticache:DescribeCacheParameters",
    "rds:DescribeDBParameters",
    "autoscaling:DescribeLifecycleHooks",
    "ssm:DescribeAssociation",
];

/// Destroy's inventory of a shipped blueprint, applied in the emulator: it finds what the full
/// read finds (the same addresses and ids), without [`SETTINGS_READS`] nor the blueprint's
/// `unasked` calls; the destroy leaves nothing and asks none of them either. Prints both reads'
/// calls per operation.
fn the_inventory_reads_what_exists(blueprint: &str, name: &str, unasked: &[&str]) {
    let account = Account::new();
    let region = "cn-northwest-1";
    let original = std::fs::read_to_string(repo_root().join(blueprint)).expect("blueprint");
    let runnable = with_emulator_certificate(&account, &original, region);
    plant_secrets(&account, &runnable, region, "planted-secret-value");
    let base = account.write("base.yaml", &runnable);
    let applied = account.apply(&base);
    assert_eq!(applied.code, 0, "apply\n{applied}");
    let desired = shinyctl::load::load_file(std::path::Path::new(&base))
        .expect("loads")
        .resources;

    let runtime = runtime();
    let target = shinyctl::aws::Target::emulator(&emulator::shared().endpoint, region, &account.id);
    let conn = runtime
        .block_on(shinyctl::aws::connect(&target))
        .expect("connects");
    let before = emulator::calls(&account.id).len();
    let inventory = runtime
        .block_on(shinyctl::aws::read_inventory(&conn, name, &desired))
        .expect("reads");
    let (_, inventory_calls) = calls_since(&account.id, before);
    let before = emulator::calls(&account.id).len();
    let full = runtime
        .block_on(shinyctl::aws::read(&conn, name, &desired))
        .expect("reads");
    let (_, full_calls) = calls_since(&account.id, before);
    let total = |calls: &BTreeMap<String, usize>| calls.values().sum::<usize>();
    eprintln!(
        "{blueprint}: inventory {} calls {inventory_calls:#?}\nfull read {} calls {full_calls:#?}",
        total(&inventory_calls),
        total(&full_calls)
    );
    let found = |live: &shinyctl::aws::LiveState| {
        live.observed
            .resources
            .iter()
            .map(|r| (r.address.to_string(), r.id.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(found(&inventory), found(&full), "the same resources");
    for kind in ["s3_bucket", "ssm_document", "efs_mount_target"] {
        assert!(
            inventory
                .observed
                .resources
                .iter()
                .any(|r| r.kind.as_str() == kind),
            "{blueprint} has a {kind}"
        );
    }
    for call in SETTINGS_READS.iter().chain(unasked) {
        assert!(
            !inventory_calls.contains_key(*call),
            "the inventory asked {call}: {inventory_calls:#?}"
        );
    }

    let before = emulator::calls(&account.id).len();
    let destroyed = account.destroy(&base);
    assert_eq!(destroyed.code, 0, "destroy\n{destroyed}");
    assert!(
        destroyed.stdout.contains("Verified: nothing tagged"),
        "{destroyed}"
    );
    let (_, destroy_calls) = calls_since(&account.id, before);
    for call in SETTINGS_READS.iter().chain(unasked) {
        assert!(
            !destroy_calls.contains_key(*call),
            "destroy asked {call}: {destroy_calls:#?}"
        );
    }
}

/// Its target group is the Auto Scaling group's to fill: no read asks for its registrations.
#[test]
fn destroys_inventory_of_lowcode_asg_reads_what_exists() {
    the_inventory_reads_what_exists(
        "blueprints/lowcode-asg.yaml",
        "lowcode-asg",
        &["elbv2:DescribeTargetHealth"],
    );
}

#[test]
fn destroys_inventory_of_lowcode_ha_reads_what_exists() {
    the_inventory_reads_what_exists("blueprints/lowcode-ha.yaml", "lowcode", &[]);
}
