//! A value computed on its own thread and awaited by whichever thread needs it first.

use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

/// The result of a background computation, shared by several consumers.
pub(crate) struct Deferred<T> {
    thread: Mutex<Option<JoinHandle<T>>>,
    value: OnceLock<Option<T>>,
}

impl<T: Send + 'static> Deferred<T> {
    /// Starts computing `f` on a new thread.
    pub(crate) fn spawn(f: impl FnOnce() -> T + Send + 'static) -> Deferred<T> {
        Deferred {
            thread: Mutex::new(Some(std::thread::spawn(f))),
            value: OnceLock::new(),
        }
    }

    /// The value, waiting for it if needed; `None` if the computation panicked.
    pub(crate) fn get(&self) -> Option<&T> {
        self.value
            .get_or_init(|| {
                let thread = self.thread.lock().ok()?.take()?;
                thread.join().ok()
            })
            .as_ref()
    }
}
