//! The emulator as the bench (and `cargo xtask demo`) uses it: a child process with a latency
//! profile, its call log and its faults, over plain HTTP/1.0 on 127.0.0.1 (no HTTP client crate
//! needed).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A running emulator, stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Emulator {
    child: Child,
    pub endpoint: String,
    /// `host:port`, for raw HTTP.
    address: String,
    /// The virtualenv's python (it has boto3).
    pub python: PathBuf,
}

impl Emulator {
    pub fn start(profile: &Path) -> Result<Emulator> {
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
        // Keep reading its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = lines.read_to_end(&mut Vec::new());
        });
        let endpoint = first.trim().strip_prefix("endpoint: ").map(str::to_string);
        let mut emulator = Emulator {
            child,
            endpoint: String::new(),
            address: String::new(),
            python,
        };
        emulator.endpoint =
            endpoint.with_context(|| format!("the emulator said {first:?}, not its endpoint"))?;
        emulator.address = emulator
            .endpoint
            .strip_prefix("http://")
            .unwrap_or(&emulator.endpoint)
            .trim_end_matches('/')
            .to_string();
        Ok(emulator)
    }

    /// One request; answers the body of a 2xx response.
    fn request(&self, method: &str, path: &str, body: Option<&str>) -> Result<String> {
        let mut stream = TcpStream::connect(&self.address)
            .with_context(|| format!("connecting to the emulator at {}", self.address))?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        let body = body.unwrap_or("");
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        )?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        let answer = String::from_utf8_lossy(&answer);
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head.split_whitespace().nth(1).unwrap_or("0");
        if !status.starts_with('2') {
            bail!("{method} {path}: HTTP {status}: {}", body.trim());
        }
        Ok(body.to_string())
    }

    /// The calls `account` made, in arrival order.
    pub fn calls(&self, account: &str) -> Result<Vec<Call>> {
        let body = self.request("GET", &format!("/_emulator/calls?account={account}"), None)?;
        let doc: Value = serde_json::from_str(&body).context("the call log is not JSON")?;
        Ok(doc["calls"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| Call {
                service: c["service"].as_str().unwrap_or("?").to_string(),
                operation: c["operation"].as_str().unwrap_or("?").to_string(),
                ok: c["result"].as_str() == Some("ok"),
                fault: c["fault"].as_str().map(str::to_string),
                started: c["started"].as_f64().unwrap_or(0.0),
                answered: c["time"].as_f64().unwrap_or(0.0),
            })
            .collect())
    }

    /// A full garbage collection in the emulator now, what survives it kept out of later ones
    /// (`POST /_emulator/gc`): asked before each timed run, so that none of its calls waits
    /// for a full collection of the state earlier runs left (100-250 ms once many accounts
    /// have run).
    pub fn collect_garbage(&self) -> Result<()> {
        self.request("POST", "/_emulator/gc", None).map(drop)
    }

    /// Forgets `account`'s calls.
    pub fn clear_calls(&self, account: &str) -> Result<()> {
        self.request(
            "DELETE",
            &format!("/_emulator/calls?account={account}"),
            None,
        )
        .map(drop)
    }

    /// Replaces the fault rules (`{"rules": []}` for none).
    pub fn set_faults(&self, faults: &Value) -> Result<()> {
        self.request("PUT", "/_emulator/faults", Some(&faults.to_string()))
            .map(drop)
    }

    /// An ACM certificate in `account` (HTTPS listeners need one that exists), via boto3.
    pub fn request_certificate(&self, region: &str, account: &str) -> Result<String> {
        self.boto3(
            region,
            account,
            REQUEST_CERTIFICATE,
            &[],
            "request a certificate",
        )
    }

    /// Calls, in `account`, each service a destroy's sweep uses and a plan does not (Lambda's
    /// functions and layers, EC2's network interfaces): the emulator builds a service's backend on
    /// its first call (a third of a second for Lambda), which is no part of what AWS or shinyctl
    /// costs and would otherwise land inside the first timed destroy.
    pub fn warm_sweep_services(&self, region: &str, account: &str) -> Result<()> {
        self.boto3(
            region,
            account,
            WARM_SWEEP_SERVICES,
            &[],
            "warm the Lambda and EC2 backends",
        )
        .map(drop)
    }

    /// A Secrets Manager secret named `name` in `account` (a blueprint's `secretsmanager:NAME`
    /// reference must exist for the workload to be deployed), via boto3.
    pub fn create_secret(&self, region: &str, account: &str, name: &str) -> Result<()> {
        let what = format!("create the secret {name}");
        self.boto3(region, account, CREATE_SECRET, &[name], &what)
            .map(drop)
    }

    fn boto3(
        &self,
        region: &str,
        account: &str,
        script: &str,
        args: &[&str],
        what: &str,
    ) -> Result<String> {
        crate::emulator::boto3(
            &self.python,
            &self.endpoint,
            region,
            account,
            script,
            args,
            what,
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
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

const CREATE_SECRET: &str =
    r#"client("secretsmanager").create_secret(Name=args[0], SecretString="stand-in-secret-value")"#;

const WARM_SWEEP_SERVICES: &str = r#"
client("lambda").list_functions()
client("lambda").list_layers()
client("ec2").describe_network_interfaces()
"#;

const REQUEST_CERTIFICATE: &str =
    r#"print(client("acm").request_certificate(DomainName="shiny.example.com")["CertificateArn"])"#;

/// One entry of the call log.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: String,
    pub operation: String,
    pub ok: bool,
    pub fault: Option<String>,
    /// When the request arrived and when it was answered (Unix seconds).
    pub started: f64,
    pub answered: f64,
}

/// Calls counted per service, and in total.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallCount {
    pub total: usize,
    pub per_service: BTreeMap<String, usize>,
    pub per_operation: BTreeMap<String, usize>,
    /// Calls answered with an injected fault.
    pub faulted: usize,
    /// Calls answered with an error (injected or not).
    pub errors: usize,
}

impl CallCount {
    pub fn of(calls: &[Call]) -> CallCount {
        let mut count = CallCount::default();
        for call in calls {
            count.total += 1;
            *count.per_service.entry(call.service.clone()).or_insert(0) += 1;
            *count
                .per_operation
                .entry(format!("{}:{}", call.service, call.operation))
                .or_insert(0) += 1;
            count.faulted += usize::from(call.fault.is_some());
            count.errors += usize::from(!call.ok);
        }
        count
    }
}

/// A fresh 12-digit account id per run, so runs never see each other's resources or calls.
pub fn account(run: u64) -> String {
    let base = 200_000_000_000 + u64::from(std::process::id() % 10_000) * 10_000;
    format!("{:012}", base + run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_per_service_and_operation() {
        let call = |service: &str, operation: &str, fault: Option<&str>| Call {
            service: service.into(),
            operation: operation.into(),
            ok: fault.is_none(),
            fault: fault.map(str::to_string),
            started: 0.0,
            answered: 0.0,
        };
        let count = CallCount::of(&[
            call("ec2", "DescribeVpcs", None),
            call("ec2", "DescribeVpcs", Some("throttle")),
            call("eks", "DescribeCluster", None),
        ]);
        assert_eq!(count.total, 3);
        assert_eq!(count.per_service["ec2"], 2);
        assert_eq!(count.per_operation["ec2:DescribeVpcs"], 2);
        assert_eq!(count.faulted, 1);
        assert_eq!(count.errors, 1);
    }

    #[test]
    fn accounts_are_twelve_digits_and_distinct() {
        assert_eq!(account(1).len(), 12);
        assert_ne!(account(1), account(2));
    }
}
