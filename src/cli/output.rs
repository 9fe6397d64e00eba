//! Writing to stdout and stderr without panicking: `println!` panics when the reader has gone
//! (`shinyctl plan --offline -f F | head`); here a closed pipe just ends the output.

use std::io::{ErrorKind, Write};

/// Writes `text` to stdout.
pub fn stdout(text: &str) -> anyhow::Result<()> {
    write_to(std::io::stdout().lock(), text)
}

/// Writes `text` to stderr.
pub fn stderr(text: &str) -> anyhow::Result<()> {
    write_to(std::io::stderr().lock(), text)
}

/// Writes `value` to stdout as pretty JSON and a newline.
pub fn json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    stdout(&format!("{}\n", serde_json::to_string_pretty(value)?))
}

fn write_to(mut stream: impl Write, text: &str) -> anyhow::Result<()> {
    match stream
        .write_all(text.as_bytes())
        .and_then(|()| stream.flush())
    {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("cannot write the output: {e}"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed(ErrorKind);
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_not_an_error_but_a_full_disk_is() {
        assert!(write_to(Closed(ErrorKind::BrokenPipe), "plan").is_ok());
        assert!(write_to(Closed(ErrorKind::StorageFull), "plan").is_err());
    }
}
