//! `cargo xtask demo`: the whole product in a few minutes, against the local emulator.
//!
//! Starts the emulator with the default latency profile (AWS's published times divided by 60),
//! builds shinyctl, then runs plan -> apply -> plan (no changes) -> destroy on
//! `blueprints/shinyproxy-eks.yaml`, showing the live progress. The emulator is stopped at the end,
//! also when a step fails.
//!
//! shinyctl talks to it through its ordinary flags and environment: `AWS_ENDPOINT_URL` (the
//! endpoint), `SHINYCTL_EMULATOR_ACCOUNT` (a fresh emulator account per demo) and
//! `SHINYCTL_TIME_SCALE` (1/60, matching the profile, so waits poll at the emulator's pace).

use crate::mirror_stand_in;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const USAGE: &str = "\
usage: cargo xtask demo [--blueprint FILE] [--profile FILE]

Starts the emulator, then runs shinyctl plan, apply, plan and destroy on the blueprint
(default: blueprints/shinyproxy-eks.yaml) with the latency profile
(default: tests/emulator/profiles/default.json, AWS's times divided by 60).
";

/// The default profile's durations are AWS's divided by this.
const PROFILE_SPEEDUP: f64 = 60.0;

pub fn run(args: &[String]) -> Result<()> {
    let root = crate::project_root();
    let mut blueprint = root.join("blueprints/shinyproxy-eks.yaml");
    let mut profile = root.join("tests/emulator/profiles/default.json");
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            "--blueprint" | "--profile" => {
                let value = it.next().with_context(|| format!("{arg} needs a value"))?;
                let path = std::fs::canonicalize(value).with_context(|| value.clone())?;
                if arg == "--blueprint" {
                    blueprint = path;
                } else {
                    profile = path;
                }
            }
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }

    banner("building shinyctl");
    crate::ci::step(
        "cargo build --bin shinyctl",
        Command::new("cargo")
            .args(["build", "--quiet", "--bin", "shinyctl"])
            .current_dir(&root),
    )?;
    let shinyctl = crate::target_dir(&root).join("debug").join("shinyctl");

    banner("starting the emulator (latency profile: AWS's times / 60)");
    let emulator = Emulator::start(&profile)?;
    eprintln!("emulator: {}", emulator.endpoint);

    let account = format!("{:012}", 100_000_000_000 + u64::from(std::process::id()));
    let blueprint = prepare(&blueprint, &emulator, &account)?;
    let time_scale = format!("{}", 1.0 / PROFILE_SPEEDUP);
    let command = |args: &[&str]| {
        let mut command = Command::new(&shinyctl);
        command
            .args(args)
            .env("AWS_ENDPOINT_URL", &emulator.endpoint)
            .env("SHINYCTL_EMULATOR_ACCOUNT", &account)
            .env("SHINYCTL_TIME_SCALE", &time_scale)
            .current_dir(&root);
        command
    };
    let shinyctl = |title: &str, args: &[&str], ok: &[i32]| -> Result<()> {
        banner(title);
        eprintln!("$ shinyctl {}", args.join(" "));
        let status = command(args).status().context("could not run shinyctl")?;
        match status.code() {
            Some(code) if ok.contains(&code) => Ok(()),
            _ => bail!("shinyctl {} ended with {status}", args[0]),
        }
    };
    shinyctl(
        "1/4 plan: what would be created",
        &["plan", "-f", &blueprint, "--detailed-exitcode"],
        &[2],
    )?;
    let apply = ["apply", "-f", &blueprint, "--auto-approve"];
    if shinyctl("2/4 apply", &apply, &[0]).is_err() {
        // A blueprint that pulls from its own ECR stops before the workload until the images are
        // there (apply names `shinyctl images mirror`); the plan's warning lists them all.
        let planned = command(&["plan", "-f", &blueprint, "--json"])
            .stderr(Stdio::inherit())
            .output()
            .context("could not run shinyctl plan")?;
        let images =
            mirror_stand_in::missing_images(&String::from_utf8_lossy(&planned.stdout), &account);
        if images.is_empty() {
            bail!("shinyctl apply failed");
        }
        banner(
            "2/4 the images are not in the blueprint's ECR yet: mirrored (stand-in), apply again",
        );
        mirror_stand_in::put_images(&emulator.python, &emulator.endpoint, &account, &images)?;
        shinyctl("2/4 apply again", &apply, &[0])?;
    }
    shinyctl(
        "3/4 plan again: AWS matches the blueprint",
        &["plan", "-f", &blueprint, "--detailed-exitcode"],
        &[0],
    )?;
    shinyctl(
        "4/4 destroy (the demo's data may go: --allow-data-loss --skip-final-snapshot)",
        &[
            "destroy",
            "-f",
            &blueprint,
            "--auto-approve",
            "--allow-data-loss",
            "--skip-final-snapshot",
        ],
        &[0],
    )?;
    banner("demo complete; stopping the emulator");
    Ok(())
}

/// Makes the account ready for the blueprint, as a team would before its first apply: the secrets
/// it refers to (`secretsmanager:NAME`, e.g. the OIDC client secret) exist with a demo value, and
/// an HTTPS listener names a certificate the emulator issued (the demo then runs on a copy of the
/// blueprint that names it; blueprints without `certificateArn` are used as they are).
fn prepare(blueprint: &std::path::Path, emulator: &Emulator, account: &str) -> Result<String> {
    let text = std::fs::read_to_string(blueprint)
        .with_context(|| format!("reading {}", blueprint.display()))?;
    let region = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("region:"))
        .and_then(|rest| rest.split('#').next())
        .map(str::trim)
        .context("the blueprint has no metadata.region")?
        .to_string();
    let boto3 = |script: &str, args: &[&str]| -> Result<String> {
        let output = Command::new(&emulator.python)
            .arg("-c")
            .arg(format!("{BOTO3_PRELUDE}{script}"))
            .args([emulator.endpoint.as_str(), region.as_str(), account])
            .args(args)
            .stderr(Stdio::inherit())
            .output()
            .context("could not run python (boto3) against the emulator")?;
        if !output.status.success() {
            bail!("preparing the emulator account failed");
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    for name in text
        .split("secretsmanager:")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
    {
        boto3(CREATE_SECRET, &[name, "demo-secret-value"])?;
        eprintln!("demo: created the secret {name} in the emulator's Secrets Manager");
    }
    if !text.contains("certificateArn:") {
        return Ok(blueprint.to_string_lossy().into_owned());
    }
    let arn = boto3(REQUEST_CERTIFICATE, &[])?;
    let copy: String = text
        .lines()
        .map(|line| match line.find("certificateArn:") {
            Some(at) => {
                let (head, rest) = line.split_at(at);
                let tail = rest.find('}').map_or("", |end| &rest[end..]);
                format!("{head}certificateArn: \"{arn}\"{tail}\n")
            }
            None => format!("{line}\n"),
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("shinyctl-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let name = blueprint.file_name().context("a blueprint file name")?;
    let path = dir.join(name);
    std::fs::write(&path, copy).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("demo: using {} (certificate {arn})", path.display());
    Ok(path.to_string_lossy().into_owned())
}

/// `client(service)` for the emulator account; `args` are the script's own arguments.
const BOTO3_PRELUDE: &str = r#"
import sys, boto3
endpoint, region, account = sys.argv[1:4]
args = sys.argv[4:]
def client(service):
    c = boto3.client(service, endpoint_url=endpoint, region_name=region,
                     aws_access_key_id="testing", aws_secret_access_key="testing")
    c.meta.events.register("before-sign.*.*",
        lambda request, **kw: request.headers.__setitem__("x-moto-account-id", account))
    return c
"#;

const REQUEST_CERTIFICATE: &str =
    r#"print(client("acm").request_certificate(DomainName="shiny.example.com")["CertificateArn"])"#;

const CREATE_SECRET: &str =
    r#"client("secretsmanager").create_secret(Name=args[0], SecretString=args[1])"#;

fn banner(text: &str) {
    eprintln!("\n==> {text}\n");
}


/// The emulator as a child process, stopped (SIGTERM, then kill) when dropped.
struct Emulator {
    child: Child,
    endpoint: String,
    /// The virtualenv's python (it has boto3).
    python: PathBuf,
}

impl Emulator {
    fn start(profile: &std::path::Path) -> Result<Emulator> {
        let python = crate::emulator::ensure_venv()?;
        let mut child = Command::new(&python)
            .env(
                "PYTHONPATH",
                crate::project_root().join("tests").join("emulator"),
            )
            .env("PYTHONUNBUFFERED", "1")
            .args(["-m", "shinyemu", "--profile"])
            .arg(profile)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("could not start the emulator")?;
        let stdout = child.stdout.take().context("no emulator stdout")?;
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines.read_line(&mut first)?;
        let mut emulator = Emulator {
            child,
            endpoint: String::new(),
            python,
        };
        emulator.endpoint = first
            .trim()
            .strip_prefix("endpoint: ")
            .with_context(|| format!("the emulator said {first:?} instead of its endpoint"))?
            .to_string();
        // Keep reading its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = lines.read_to_end(&mut Vec::new());
        });
        Ok(emulator)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGTERM lets it shut down cleanly; kill() (SIGKILL) if that is not possible.
        let terminated = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !terminated {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
