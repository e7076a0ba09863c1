//! Exact-PC sampling (Linux x86_64): a pacing thread sends `SIGPROF` to the guest thread every
//! interval of wall-clock (or the guest's CPU) time; the handler reads the interrupted program
//! counter, stack pointer and frame pointer from the `ucontext` and walks the frame-pointer chain
//! (wasmtime's code always keeps frame pointers) while return addresses lie in the modules'
//! compiled code. The leaf is the instruction that was running — not the next epoch check.
//!
//! For CPU time the pacing thread reads the guest thread's CPU clock every interval and signals it
//! when it has used another interval of CPU. A CPU-time POSIX timer would be simpler, but Linux
//! checks those only at the scheduler tick (4 ms at HZ=250); and a wall timer that the handler
//! filters would wake a sleeping guest at every tick, and those wake-ups would show up as CPU time
//! in host calls. Why not a wall-clock POSIX timer either: see [`Pacer`].
//!
//! The handler allocates nothing, takes no lock and reads only memory it has bounds-checked: code
//! bytes inside the modules' text, and stack words inside the guest thread's stack. It writes into
//! a preallocated single-producer ring; a full ring drops the sample and counts it.
//!
//! What depends on the CPU — reading the interrupted registers, and where a function in its
//! prologue or epilogue keeps its return address — is in one module per architecture (`x86_64`).
//! A port (aarch64: `pc`, `sp`, `regs[29]` and the link register `regs[30]` from `mcontext`; a leaf
//! at its `stp x29, x30` or `ret` has its return address in the link register) adds such a module
//! and widens the `cfg` that selects this sampler; frame records are the same pair
//! `[fp] = caller's fp, [fp + 8] = return address` on both.
//!
//! This is the one module where `unsafe` is allowed; every block says why it is sound.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::code_map::CodeMap;
use super::live::{ExactSample, LiveSamples};
use crate::guest::GuestCode;
use crate::spans::SpanBeacon;
use crate::SampleClock;
use wobs_events::{RawFrame, SpanId};
#[cfg(target_arch = "x86_64")]
use x86_64 as arch;

#[cfg(target_arch = "x86_64")]
mod x86_64;

/// Frames kept per sample.
pub(crate) const MAX_DEPTH: usize = 128;
/// Samples the ring holds before the reader empties it (~4 MB).
const RING: usize = 4096;
/// Frame-pointer hops allowed through host (non-wasm) code before a wasm frame is found.
const MAX_HOST_HOPS: usize = 64;
/// Intervals one sample may stand for; ticks beyond (a process stopped with Ctrl-Z for minutes)
/// are counted as ticks without a sample rather than copied into the profile.
const MAX_WEIGHT: u64 = 10_000;

/// One sample as the handler writes it.
#[derive(Clone, Copy)]
pub(crate) struct Record {
    /// Frames in `pcs`, innermost first.
    pub len: usize,
    /// The guest was in host code: `pcs` holds the wasm frames that called out.
    pub host: bool,
    /// `CLOCK_MONOTONIC`, ns.
    pub time_ns: u64,
    /// The innermost open span (0: the run makes no spans).
    pub span: u64,
    /// The pacer's ticks this sample stands for (see [`Shared::ticks`]).
    pub weight: u64,
    /// The leaf's exact PC, then return addresses.
    pub pcs: [usize; MAX_DEPTH],
}

/// What the handler reads: set up before the first signal, torn down after the last.
struct Shared {
    /// The guest thread (the handler ignores signals that land elsewhere).
    tid: libc::pid_t,
    /// Compiled code of each module, `[start, end)`.
    text: Vec<(usize, usize)>,
    /// The guest thread's stack, `[low, high)`.
    stack: (usize, usize),
    slots: Box<[UnsafeCell<Record>]>,
    /// Written only by the handler.
    head: AtomicUsize,
    /// Written only by the reader.
    tail: AtomicUsize,
    dropped: AtomicU64,
    /// Intervals the pacer counted and no handler has taken yet. A signal sent while one is
    /// already pending is merged into it by the kernel — on a loaded machine, every interval
    /// that a runnable guest spends waiting for a core — so the handler takes every tick owed and
    /// its sample stands for all of them: the thread was at that PC the whole time. Without
    /// this, time spent waiting for a core would vanish from wall-clock profiles (and sleeps,
    /// woken promptly, would look longer than busy code), and a starved pacer would lose CPU time.
    ticks: Arc<AtomicU64>,
    /// Samples taken in host code whose frames could not be walked (a host function that keeps
    /// no frame pointer, e.g. in libc, or a build without `.cargo/config.toml`'s frame pointers):
    /// the guest thread gives them the wasm stack when the host call returns. Shared with
    /// [`LiveSamples`], which counts them if the run is ended from outside first.
    pending_host: Arc<AtomicU64>,
    /// The tracer's innermost open span, when the run makes spans.
    beacon: Option<Arc<SpanBeacon>>,
}

// SAFETY: `slots[i]` is written only by the handler (one producer: SIGPROF is blocked while its
// handler runs, and only the guest thread records) and read by the reader only after the handler
// published it through `head` (release/acquire) and before it frees it through `tail`.
unsafe impl Sync for Shared {}

/// The handler's view of the running sampler; null when none runs.
static ACTIVE: AtomicPtr<Shared> = AtomicPtr::new(std::ptr::null_mut());

/// A running exact-PC sampler.
pub(crate) struct SignalSampler {
    shared: Arc<Shared>,
    /// `CLOCK_MONOTONIC` when sampling started: sample times count from here.
    started: u64,
    /// The guest thread's CPU clock when sampling started.
    cpu_started: u64,
    stop: Arc<AtomicBool>,
    pacer: Option<Pacer>,
    reader: Option<JoinHandle<()>>,
    live: LiveSamples,
}

/// What a finished sampler took.
pub(crate) struct ExactSamples {
    pub samples: Vec<ExactSample>,
    /// Lost to a full ring.
    pub dropped: u64,
    /// CPU time the guest thread used from start to finish, ns.
    pub guest_cpu_ns: u64,
}

impl SignalSampler {
    /// Starts sampling the calling thread every `interval` of `clock`, in the compiled code of
    /// `code`. Fails (with the reason) when another sampler runs or the handler or the timer
    /// cannot be set up.
    pub fn start(
        interval: Duration,
        clock: SampleClock,
        code: &GuestCode,
        live: LiveSamples,
        beacon: Option<Arc<SpanBeacon>>,
    ) -> Result<SignalSampler, String> {
        let text = code.text_ranges();
        let stack = current_stack().ok_or("cannot read the guest thread's stack bounds")?;
        // SAFETY: every field of `Record` (integers, a bool, an array of integers) is valid as all
        // zero bytes, and `UnsafeCell` has its content's layout. Zeroed pages come from the OS
        // untouched, so an unused ring costs no memory.
        let slots: Box<[UnsafeCell<Record>]> =
            unsafe { Box::<[UnsafeCell<Record>]>::new_zeroed_slice(RING).assume_init() };
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as libc::pid_t;
        let shared = Arc::new(Shared {
            tid,
            text,
            stack,
            slots,
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
            ticks: Arc::new(AtomicU64::new(0)),
            pending_host: live.pending_host(),
            beacon,
        });
        let pointer = Arc::as_ptr(&shared) as *mut Shared;
        if ACTIVE
            .compare_exchange(
                std::ptr::null_mut(),
                pointer,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            return Err("another exact sampler is running in this process".into());
        }
        let pacer = install_handler()
            .and_then(|()| Pacer::start(tid, interval, clock, shared.ticks.clone()));
        let pacer = match pacer {
            Ok(pacer) => pacer,
            Err(err) => {
                ACTIVE.store(std::ptr::null_mut(), Ordering::Release);
                return Err(err);
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let reader_shared = shared.clone();
        let reader_stop = stop.clone();
        let started = monotonic_ns();
        let reader_live = live.clone();
        let reader_code = code.clone();
        let interval_ns = interval.as_nanos().min(u128::from(u64::MAX)) as u64;
        let reader = std::thread::Builder::new()
            .name("wobs-samples".into())
            .spawn(move || {
                lower_priority();
                // Built here, off the guest thread: reading the address maps takes a while.
                let code = CodeMap::new(&reader_code);
                let mut samples = Vec::new();
                loop {
                    let done = reader_stop.load(Ordering::Acquire);
                    drain(&reader_shared, |record| {
                        let stack = code.stack(&record.pcs[..record.len]);
                        if stack.is_empty() && !record.host {
                            return;
                        }
                        // A sample standing for several ticks covers the intervals before it.
                        let time_ns = record.time_ns.saturating_sub(started);
                        for earlier in (0..record.weight).rev() {
                            samples.push(ExactSample {
                                stack: stack.clone(),
                                time_ns: time_ns.saturating_sub(earlier * interval_ns),
                                host: record.host,
                                span: SpanId(record.span),
                            });
                        }
                    });
                    reader_live.append(&mut samples);
                    if done {
                        return;
                    }
                    // Woken early by `finish`.
                    std::thread::park_timeout(Duration::from_millis(20));
                }
            })
            .ok();
        Ok(SignalSampler {
            shared,
            started,
            cpu_started: clock_ns(libc::CLOCK_THREAD_CPUTIME_ID),
            stop,
            pacer: Some(pacer),
            reader,
            live,
        })
    }

    /// Where the guest thread's call hook hands over the samples of host calls.
    pub fn host_calls(&self) -> HostCallSamples {
        HostCallSamples {
            pending: self.shared.pending_host.clone(),
            live: self.live.clone(),
            started: self.started,
        }
    }

    /// Stops sampling (call on the guest thread) and hands over every sample.
    pub fn finish(mut self) -> ExactSamples {
        let guest_cpu_ns = clock_ns(libc::CLOCK_THREAD_CPUTIME_ID).saturating_sub(self.cpu_started);
        self.stop_signals();
        self.stop.store(true, Ordering::Release);
        if let Some(reader) = self.reader.take() {
            reader.thread().unpark();
            let _ = reader.join();
        }
        ExactSamples {
            samples: self.live.take(),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            guest_cpu_ns,
        }
    }

    fn stop_signals(&mut self) {
        // Stopped on the guest thread: a signal already sent to this thread is handled before
        // the stopping call returns, so none is left to run against the freed state. The handler
        // sees null from now on.
        drop(self.pacer.take());
        ACTIVE.store(std::ptr::null_mut(), Ordering::Release);
    }
}

impl Drop for SignalSampler {
    fn drop(&mut self) {
        self.stop_signals();
        self.stop.store(true, Ordering::Release);
    }
}

/// A helper thread that sends `SIGPROF` to the guest thread: every interval of wall-clock time,
/// or each time the guest thread has used another interval of CPU time (checked every interval of
/// wall-clock time). Dropping it stops the signals.
///
/// Why a thread and not a POSIX timer: a timer's expiry runs where it was last re-armed, and the
/// kernel re-arms a periodic timer when the signal is taken — on the guest's CPU, which then takes
/// a timer interrupt for every sample on top of the signal. In a VM each interrupt is a VM exit:
/// measured here (Firecracker, `bench/signal-floor.sh`), an empty handler paced by a timer costs a
/// busy thread 1.036× at 1 ms and 1.304× at 0.1 ms; paced by a thread, 1.020× and 1.145×.
struct Pacer {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Pacer {
    /// Call on the guest thread, `tid`.
    fn start(
        tid: libc::pid_t,
        interval: Duration,
        clock: SampleClock,
        ticks: Arc<AtomicU64>,
    ) -> Result<Pacer, String> {
        let paced_by = match clock {
            SampleClock::Wall => libc::CLOCK_MONOTONIC,
            SampleClock::Cpu => {
                let mut id: libc::clockid_t = 0;
                // SAFETY: pthread_getcpuclockid writes the calling thread's CPU-time clock id.
                if unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) } != 0 {
                    return Err("cannot read the guest thread's CPU clock".into());
                }
                id
            }
        };
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        let interval_ns = (interval.as_nanos() as u64).max(1);
        let mut charged = clock_ns(paced_by);
        let stop = Arc::new(AtomicBool::new(false));
        let handle = super::periodic("wobs-pacer", interval, stop.clone(), move || {
            // Every whole interval that passed on the clock is a tick, however late this thread
            // woke: the ticks are exact whatever the load, only their samples' PCs are drawn.
            // (The clock of a thread that has exited reads 0: nothing is sent then.)
            let owed = clock_ns(paced_by).saturating_sub(charged) / interval_ns;
            if owed == 0 {
                return;
            }
            charged += owed * interval_ns;
            ticks.fetch_add(owed, Ordering::Relaxed);
            // SAFETY: tgkill only sends a signal; a thread that has exited makes it fail with
            // ESRCH, which is ignored.
            unsafe {
                libc::syscall(libc::SYS_tgkill, pid, tid, libc::SIGPROF);
            }
        });
        match handle {
            Some(handle) => Ok(Pacer {
                stop,
                handle: Some(handle),
            }),
            None => Err("cannot start the sampling thread".into()),
        }
    }
}

impl Drop for Pacer {
    fn drop(&mut self) {
        super::stop_periodic(&self.stop, self.handle.take());
    }
}

/// Samples the handler took in host calls where it could not walk the stack up to the wasm
/// frames: it only counts them, and the guest thread, which can capture the wasm stack that made
/// the call when the call returns, adds them here. (wobs's own build keeps frame pointers, so this
/// is the exception: 2 of 166 host samples on `sleepy.wasm`, 4 of 11 in CPython start-up.)
pub(crate) struct HostCallSamples {
    pending: Arc<AtomicU64>,
    live: LiveSamples,
    started: u64,
}

impl HostCallSamples {
    /// Takes the count of samples waiting for their stack.
    pub fn take_pending(&self) -> u64 {
        self.pending.swap(0, Ordering::Relaxed)
    }

    /// Now, in sample time.
    pub fn now_ns(&self) -> u64 {
        monotonic_ns().saturating_sub(self.started)
    }

    /// Adds `count` samples of a host call made by `stack`'s leaf (root first), which ran from
    /// `from_ns` until now; their times are spread evenly over the call.
    pub fn add(&self, stack: Vec<RawFrame>, count: u64, from_ns: u64, span: SpanId) {
        let to_ns = self.now_ns().max(from_ns);
        let step = (to_ns - from_ns) / count.max(1);
        let mut samples: Vec<ExactSample> = (0..count)
            .map(|i| ExactSample {
                stack: stack.clone(),
                time_ns: from_ns + step * i + step / 2,
                host: true,
                span,
            })
            .collect();
        self.live.append(&mut samples);
    }
}

/// Hands every published record to `take` and frees its slot.
fn drain(shared: &Shared, mut take: impl FnMut(&Record)) {
    let head = shared.head.load(Ordering::Acquire);
    let mut tail = shared.tail.load(Ordering::Relaxed);
    while tail < head {
        // SAFETY: slots below `head` were published by the handler, which does not touch them
        // again until `tail` passes them.
        let record = unsafe { &*shared.slots[tail % RING].get() };
        take(record);
        tail += 1;
        shared.tail.store(tail, Ordering::Release);
    }
}

/// Makes the calling helper thread yield the CPU to the guest: on a busy machine the samples are
/// about the guest's time, not the sampler's.
fn lower_priority() {
    // SAFETY: gettid and setpriority have no preconditions; a failure leaves the priority as is.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

fn install_handler() -> Result<(), String> {
    // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handler is an
    // `extern "C"` function with the SA_SIGINFO signature.
    let installed = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigprof as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGPROF, &action, std::ptr::null_mut()) == 0
    };
    match installed {
        true => Ok(()),
        false => Err(format!(
            "cannot install the SIGPROF handler: {}",
            std::io::Error::last_os_error()
        )),
    }
}

/// The calling thread's stack bounds.
fn current_stack() -> Option<(usize, usize)> {
    // SAFETY: pthread_getattr_np fills `attr` for the calling thread; it is destroyed after use.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut base: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut base, &mut size) == 0;
        libc::pthread_attr_destroy(&mut attr);
        ok.then(|| (base as usize, base as usize + size))
    }
}

fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given; it is async-signal-safe.
    unsafe { libc::clock_gettime(clock, &mut now) };
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

extern "C" fn on_sigprof(_: libc::c_int, _: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let shared = ACTIVE.load(Ordering::Acquire);
    if shared.is_null() || context.is_null() {
        return;
    }
    // SAFETY: ACTIVE points at a live `Shared` until the sampler is dropped, which happens on the
    // guest thread after the last signal was sent (see `Drop`).
    let shared = unsafe { &*shared };
    // SAFETY: gettid has no preconditions.
    if unsafe { libc::syscall(libc::SYS_gettid) } as libc::pid_t != shared.tid {
        return;
    }
    // SAFETY: for an SA_SIGINFO handler the kernel passes a valid ucontext_t.
    let regs = unsafe { arch::registers(&*(context as *const libc::ucontext_t)) };
    let ticks = shared.ticks.swap(0, Ordering::Relaxed);
    if ticks == 0 {
        // An earlier handler took this signal's tick (the pacer counted it before sending).
        return;
    }
    let weight = ticks.min(MAX_WEIGHT);
    let head = shared.head.load(Ordering::Relaxed);
    if head - shared.tail.load(Ordering::Acquire) >= RING {
        shared.dropped.fetch_add(ticks, Ordering::Relaxed);
        return;
    }
    shared.dropped.fetch_add(ticks - weight, Ordering::Relaxed);
    // SAFETY: the slot at `head` is not visible to the reader until `head` is published below.
    let record = unsafe { &mut *shared.slots[head % RING].get() };
    let walker = Walker { shared };
    let (len, host) = walker.walk(&regs, &mut record.pcs);
    if len == 0 && host {
        shared.pending_host.fetch_add(weight, Ordering::Relaxed);
        return;
    }
    record.len = len;
    record.host = host;
    record.weight = weight;
    record.span = shared.beacon.as_ref().map_or(0, |b| b.label_sample());
    record.time_ns = monotonic_ns();
    shared.head.store(head + 1, Ordering::Release);
}

/// The frame-pointer walk, with every read bounds-checked.
struct Walker<'a> {
    shared: &'a Shared,
}

impl Walker<'_> {
    fn in_text(&self, pc: usize) -> bool {
        self.shared.text.iter().any(|&(lo, hi)| pc >= lo && pc < hi)
    }

    /// The word at `at` on the guest thread's stack, if `at` is an aligned stack address.
    fn stack_word(&self, at: usize) -> Option<usize> {
        let (low, high) = self.shared.stack;
        if !at.is_multiple_of(8) || at < low || at.checked_add(8)? > high {
            return None;
        }
        // SAFETY: `at` is an aligned address inside the guest thread's mapped stack.
        Some(unsafe { std::ptr::read_volatile(at as *const usize) })
    }

    /// The code byte at `pc`, if `pc` is in compiled wasm code.
    fn code_byte(&self, pc: usize) -> Option<u8> {
        if !self.in_text(pc) {
            return None;
        }
        // SAFETY: `pc` is inside a module's text section, which stays mapped (readable and
        // executable) while the module is alive, and the run holds the module.
        Some(unsafe { std::ptr::read_volatile(pc as *const u8) })
    }

    /// Fills `out` innermost first; returns the frame count and whether the guest was in host code.
    fn walk(&self, regs: &arch::Registers, out: &mut [usize; MAX_DEPTH]) -> (usize, bool) {
        let mut n = 0;
        let (mut ra, mut fp, host) = if self.in_text(regs.pc) {
            out[0] = regs.pc;
            n = 1;
            let (ra, next) = arch::leaf_return(self, regs);
            (ra, next, false)
        } else {
            // In host code (WASI, or wasmtime's runtime for `memory.grow` and the like): follow
            // frame pointers until a return address lands in wasm code. This needs every host
            // frame in between to keep its frame pointer: std does, and wobs builds its
            // dependencies so (`.cargo/config.toml`).
            let mut fp = regs.fp;
            let mut found = None;
            for _ in 0..MAX_HOST_HOPS {
                let (Some(ra), Some(next)) = (self.stack_word(fp + 8), self.stack_word(fp)) else {
                    break;
                };
                if self.in_text(ra) {
                    found = Some((ra, next));
                    break;
                }
                if next <= fp {
                    break;
                }
                fp = next;
            }
            match found {
                Some((ra, next)) => (Some(ra), next, true),
                None => return (0, true),
            }
        };
        while let Some(addr) = ra {
            if n == MAX_DEPTH || !self.in_text(addr) {
                break;
            }
            out[n] = addr;
            n += 1;
            let (Some(next_ra), Some(next_fp)) = (self.stack_word(fp + 8), self.stack_word(fp))
            else {
                break;
            };
            // The stack grows down: each caller's frame is above its callee's.
            if next_fp != 0 && next_fp <= fp {
                break;
            }
            ra = Some(next_ra);
            fp = next_fp;
        }
        (n, host)
    }
}
