//! A progress line for slow steps (compiling tens of MB), shown only on a terminal and only once
//! the step has taken longer than a second.

use std::io::{IsTerminal, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs `work`, showing `what… Ns` on stderr while it runs if stderr is a terminal and it takes
/// more than a second.
pub fn with_progress<T>(what: &str, work: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let (done, wait) = mpsc::channel::<()>();
    let what = what.to_string();
    let spinner = std::thread::spawn(move || {
        let start = Instant::now();
        if wait.recv_timeout(Duration::from_secs(1)).is_ok() {
            return;
        }
        let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        for tick in 0usize.. {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r\x1b[2K{} {what}… {}s",
                frames[tick % frames.len()],
                start.elapsed().as_secs()
            );
            let _ = err.flush();
            drop(err);
            if wait.recv_timeout(Duration::from_millis(100)).is_ok() {
                break;
            }
        }
        eprint!("\r\x1b[2K");
    });
    let result = work();
    let _ = done.send(());
    let _ = spinner.join();
    result
}
