//! Running a child process and measuring it: wall time, exit status and peak resident memory
//! (`wait4`'s `ru_maxrss`, which is per child, unlike `getrusage(RUSAGE_CHILDREN)`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// One finished run.
#[derive(Debug, Clone)]
pub struct Run {
    pub wall: Duration,
    /// Exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Peak resident set size in KiB.
    pub max_rss_kib: u64,
    /// Stopped by the time limit of [`run_with_limit`].
    pub timed_out: bool,
}

/// Runs `command` with stdout and stderr discarded and measures it.
pub fn run_quiet(command: &mut Command) -> Result<Run> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    run(command)
}

/// Runs `command` (its stdio as configured) and measures it.
pub fn run(command: &mut Command) -> Result<Run> {
    run_with_limit(command, None)
}

/// Like [`run`], but past `limit` the child gets SIGINT (shinyctl then starts nothing new and
/// reports), and SIGKILL ten seconds later.
pub fn run_with_limit(command: &mut Command, limit: Option<Duration>) -> Result<Run> {
    let start = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("could not start {:?}", command.get_program()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // Without a limit, block in wait4; with one, poll every few milliseconds.
    let flags = if limit.is_some() { libc::WNOHANG } else { 0 };
    let mut interrupted_at: Option<Instant> = None;
    loop {
        // SAFETY: pid is our own un-reaped child; status and usage are valid out-pointers. std's
        // Child is dropped without waiting, so nothing else reaps it.
        let reaped = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if reaped == pid {
            break;
        }
        if reaped < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                bail!("wait4 failed: {err}");
            }
            continue;
        }
        if let Some(limit) = limit {
            match interrupted_at {
                None if start.elapsed() > limit => {
                    // SAFETY: signalling our own child, which has not been reaped.
                    unsafe { libc::kill(pid, libc::SIGINT) };
                    interrupted_at = Some(Instant::now());
                }
                Some(at) if at.elapsed() > Duration::from_secs(10) => {
                    // SAFETY: as above.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let wall = start.elapsed();
    drop(child);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Ok(Run {
        wall,
        code,
        // Linux reports ru_maxrss in KiB.
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        timed_out: interrupted_at.is_some(),
    })
}

/// The median of `values` (the mean of the middle two for an even count); 0 when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn a_child_is_measured() {
        let run = run_quiet(&mut Command::new("true")).expect("true runs");
        assert_eq!(run.code, Some(0));
        assert!(run.max_rss_kib > 0);
        assert!(!run.timed_out);
    }

    #[test]
    fn a_child_past_its_limit_is_stopped() {
        let run = run_with_limit(
            Command::new("sleep").arg("30").stdout(Stdio::null()),
            Some(Duration::from_millis(50)),
        )
        .expect("sleep runs");
        assert!(run.timed_out);
        assert_eq!(run.code, None, "ended by a signal");
    }
}
