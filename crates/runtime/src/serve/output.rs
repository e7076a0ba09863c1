//! A request's stdout and stderr: each line printed with the request's prefix (as `wasmtime
//! serve` prints it) and handed to the observer, which turns it into a log record of the
//! request's trace.

use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wobs_events::{OutputStream, RequestTrace};

use super::RequestObserver;

/// One of a request's output streams.
#[derive(Clone)]
pub(crate) struct RequestOutput {
    pub(crate) id: u64,
    pub(crate) stream: OutputStream,
    pub(crate) trace: RequestTrace,
    pub(crate) observer: Arc<dyn RequestObserver>,
    /// `stdout [ID] :: `, or nothing.
    pub(crate) prefix: Arc<str>,
}

impl wasmtime_wasi::cli::IsTerminal for RequestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for RequestOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            output: self.clone(),
            partial: Vec::new(),
        })
    }
}

/// Splits what the guest writes into lines.
struct LineWriter {
    output: RequestOutput,
    /// The start of a line not yet ended.
    partial: Vec<u8>,
}

impl LineWriter {
    fn emit(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let out = &self.output;
        let printed = format!("{}{text}\n", out.prefix);
        // The terminal (or the log file the server's output goes to) gets whole lines, so the
        // lines of concurrent requests do not interleave mid-line.
        let _ = match out.stream {
            OutputStream::Stdout => std::io::stdout().lock().write_all(printed.as_bytes()),
            OutputStream::Stderr => std::io::stderr().lock().write_all(printed.as_bytes()),
        };
        out.observer.output(out.id, &out.trace, out.stream, &text);
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let line = match this.partial.is_empty() {
                true => rest[..end].to_vec(),
                false => {
                    let mut line = std::mem::take(&mut this.partial);
                    line.extend_from_slice(&rest[..end]);
                    line
                }
            };
            this.emit(&line);
            rest = &rest[end + 1..];
        }
        this.partial.extend_from_slice(rest);
        Poll::Ready(Ok(bytes.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if !this.partial.is_empty() {
            let line = std::mem::take(&mut this.partial);
            this.emit(&line);
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        // A last line without its newline is still the guest's output.
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.emit(&line);
        }
    }
}
