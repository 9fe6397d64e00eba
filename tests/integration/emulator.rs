//! The emulator for live tests: one server per test binary, one AWS account per test.
//!
//! Started on first use with the zero latency profile, from the project's virtualenv
//! (`.cache/emulator-venv`, PYTHONPATH=tests/emulator) when it exists, else through
//! `cargo xtask emulator` (which builds the virtualenv). Its first stdout line is
//! `endpoint: http://127.0.0.1:P`. It runs under a small `sh` guard that reads the test process's
//! pipe: when the test binary exits — normally, by panic or killed — the pipe closes and the guard
//! stops the emulator, so no server outlives the tests.
//!
//! Tests never reset the server: each takes a fresh 12-digit account id ([`account`]) and the
//! emulator keeps every account's resources apart (moto's `x-moto-account-id` header, which
//! `Target::emulator` makes the SDK send).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::support::repo_root;

pub struct Emulator {
    /// `http://127.0.0.1:P`
    pub endpoint: String,
    _guard: Mutex<(Child, ChildStdin)>,
}

static EMULATOR: OnceLock<Result<Emulator, String>> = OnceLock::new();

/// The shared emulator, started on first call. Panics with the reason when it cannot start.
pub fn shared() -> &'static Emulator {
    match EMULATOR.get_or_init(start) {
        Ok(emulator) => emulator,
        Err(reason) => panic!("the emulator did not start: {reason}"),
    }
}

const GUARD: &str = r#""$@" & child=$!
cat >/dev/null
kill -TERM "$child" 2>/dev/null
wait "$child""#;

fn start() -> Result<Emulator, String> {
    let root = repo_root();
    let profile = root.join("tests/emulator/profiles/zero.json");
    let python = root.join(".cache/emulator-venv/bin/python");
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(GUARD).arg("shinyemu-guard");
    // AWS-managed IAM policies (AmazonEKSClusterPolicy, ...) exist in every account; moto only
    // loads them when asked.
    cmd.env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true");
    if python.exists() {
        cmd.arg(&python)
            .args(["-m", "shinyemu", "--profile"])
            .arg(&profile)
            .env("PYTHONPATH", root.join("tests/emulator"))
            .env("PYTHONUNBUFFERED", "1");
    } else {
        cmd.args(["cargo", "xtask", "emulator", "--profile"])
            .arg(&profile);
    }
    let log = std::fs::File::create(std::env::temp_dir().join("shinyctl-live-emulator.log"))
        .map_err(|e| e.to_string())?;
    let mut child = cmd
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout);
    let mut first = String::new();
    lines
        .read_line(&mut first)
        .map_err(|e| format!("reading its first line: {e}"))?;
    let endpoint = first
        .trim()
        .strip_prefix("endpoint: ")
        .ok_or_else(|| {
            format!(
                "first line was {first:?}; see {}",
                std::env::temp_dir()
                    .join("shinyctl-live-emulator.log")
                    .display()
            )
        })?
        .to_string();
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = lines.read_to_end(&mut sink);
    });
    wait_healthy(&endpoint)?;
    Ok(Emulator {
        endpoint,
        _guard: Mutex::new((child, stdin)),
    })
}

fn wait_healthy(endpoint: &str) -> Result<(), String> {
    for _ in 0..100 {
        if http(endpoint, "GET", "/_emulator/health").is_ok_and(|(status, _)| status == 200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{endpoint} never became healthy"))
}

/// A fresh account id for one test: 12 digits, unique within this process and unlikely to repeat
/// across processes sharing a server.
pub fn account() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("7{:05}{:06}", std::process::id() % 100_000, n % 1_000_000)
}

/// A minimal HTTP/1.1 request to the emulator's own endpoints: (status, body).
pub fn http(endpoint: &str, method: &str, path: &str) -> Result<(u16, String), String> {
    let host = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad response: {head}"))?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Ok((
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    ))
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// `PUT path` to the emulator's own endpoints with a JSON `body`; the test fails unless it
/// answers 200.
pub fn put(path: &str, body: &str) {
    let endpoint = &shared().endpoint;
    let host = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("the emulator answers");
    write!(
        stream,
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("an answer");
    assert!(
        response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
        "{response}"
    );
}

/// Sets transitional durations of `account`'s profile (`PUT /_emulator/profile?account=`, merged
/// over the server's; see docs/emulator.md): `[("iam_propagation", 1.5)]`.
pub fn set_durations(account: &str, durations: &[(&str, f64)]) {
    let durations: serde_json::Map<String, serde_json::Value> = durations
        .iter()
        .map(|(key, seconds)| (key.to_string(), serde_json::Value::from(*seconds)))
        .collect();
    let body = serde_json::json!({ "durations": durations }).to_string();
    put(&format!("/_emulator/profile?account={account}"), &body);
}

/// One recorded API call.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: String,
    pub operation: String,
    pub status: u64,
}

/// The calls `account` made, from `GET /_emulator/calls?account=`.
pub fn calls(account: &str) -> Vec<Call> {
    let emulator = shared();
    let (status, body) = http(
        &emulator.endpoint,
        "GET",
        &format!("/_emulator/calls?account={account}"),
    )
    .expect("call log");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("call log JSON");
    json["calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .map(|c| Call {
                    service: c["service"].as_str().unwrap_or_default().to_string(),
                    operation: c["operation"].as_str().unwrap_or_default().to_string(),
                    status: c["status"].as_u64().unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How many successful calls of `operation` `account` made.
pub fn count(account: &str, operation: &str) -> usize {
    calls(account)
        .iter()
        .filter(|c| c.operation == operation && c.status < 300)
        .count()
}
