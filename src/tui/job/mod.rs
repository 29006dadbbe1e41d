//! Background jobs: long work (an import, building the dashboard, a ticket list over every
//! ticket) on threads of their own beside the worker, so that searches and saves never queue
//! behind it and input never waits. A job shares the store with the worker (the store is
//! `Send + Sync`, and sled serves threads of one process), reports through the same channel
//! as the worker, and is stopped and joined when the TUI quits.
//!
//! A panic inside a job is caught and becomes a status-line error; the terminal's panic hook
//! leaves job threads alone (see [`is_job_thread`]), so the screen stays as it is.

pub mod dashboard;
pub mod import;
pub mod work;

use super::{Clock, Event};
use crate::app::{Msg, RequestId};
use crate::ops::Ops;
use crate::store::Store;
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;

/// Job threads' names start with this.
const THREAD_PREFIX: &str = "rapport-job";

/// True on a job thread, whose panics the job itself reports.
pub fn is_job_thread() -> bool {
    std::thread::current()
        .name()
        .is_some_and(|n| n.starts_with(THREAD_PREFIX))
}

/// What a job sees besides the operations: whether to stop, and where to report progress.
pub struct JobContext {
    cancel: Arc<AtomicBool>,
    replies: Sender<Event>,
}

impl JobContext {
    /// True once the TUI is quitting: stop at the next safe point.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Sends a message to the TUI (progress); false once nobody listens.
    pub fn send(&self, msg: Msg) -> bool {
        self.replies.send(Event::Reply(msg)).is_ok()
    }
}

struct Running {
    handle: JoinHandle<()>,
    cancel: Arc<AtomicBool>,
}

/// The jobs started by the worker.
pub struct Jobs {
    store: Arc<dyn Store>,
    user: String,
    clock: Clock,
    replies: Sender<Event>,
    running: Vec<Running>,
}

/// A panic's message.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}

impl Jobs {
    /// Jobs on `store`, acting as `user`, answering on `replies`.
    pub fn new(store: Arc<dyn Store>, user: String, clock: Clock, replies: Sender<Event>) -> Jobs {
        Jobs {
            store,
            user,
            clock,
            replies,
            running: Vec::new(),
        }
    }

    /// Starts `work` on a thread of its own; its answer (or its panic, as an error about
    /// `what`) goes to the TUI as a reply to `request`.
    pub fn spawn(
        &mut self,
        what: &'static str,
        request: RequestId,
        work: impl FnOnce(&Ops, &JobContext) -> Msg + Send + 'static,
    ) {
        self.running.retain(|r| !r.handle.is_finished());
        let cancel = Arc::new(AtomicBool::new(false));
        let context = JobContext {
            cancel: cancel.clone(),
            replies: self.replies.clone(),
        };
        let store = self.store.clone();
        let user = self.user.clone();
        let now = self.clock.now();
        let spawned = std::thread::Builder::new()
            .name(format!("{THREAD_PREFIX}-{what}"))
            .spawn(move || {
                let ops = Ops::new(store.as_ref(), user, now);
                let msg = catch_unwind(AssertUnwindSafe(|| work(&ops, &context))).unwrap_or_else(
                    |payload| Msg::Failed {
                        request: Some(request),
                        message: format!(
                            "{what} failed: internal error: {} (nothing after the last saved batch was written)",
                            panic_text(payload.as_ref())
                        ),
                    },
                );
                context.send(msg);
            });
        match spawned {
            Ok(handle) => self.running.push(Running { handle, cancel }),
            Err(e) => {
                let _ = self.replies.send(Event::Reply(Msg::Failed {
                    request: Some(request),
                    message: format!("{what}: cannot start a thread: {e}"),
                }));
            }
        }
    }

    /// Asks every job to stop and waits for them, so that the store is closed after them.
    pub fn finish(&mut self) {
        for job in &self.running {
            job.cancel.store(true, Ordering::Relaxed);
        }
        for job in self.running.drain(..) {
            let _ = job.handle.join();
        }
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;
    use std::sync::mpsc;

    #[test]
    fn a_panicking_job_becomes_an_error_reply_and_the_others_carry_on() {
        let (tx, rx) = mpsc::channel();
        let clock = Clock::from_env().unwrap();
        let mut jobs = Jobs::new(Arc::new(MemoryStore::empty()), "ann".into(), clock, tx);
        jobs.spawn("building the dashboard", RequestId(3), |_, _| {
            panic!("index out of bounds")
        });
        jobs.spawn("import", RequestId(4), |ops, _| Msg::Failed {
            request: Some(RequestId(4)),
            message: format!("ran as {}", ops.user),
        });
        jobs.finish();
        let mut replies: Vec<(RequestId, String)> = rx
            .try_iter()
            .map(|e| match e {
                Event::Reply(Msg::Failed {
                    request: Some(r),
                    message,
                }) => (r, message),
                _ => panic!("unexpected event"),
            })
            .collect();
        replies.sort();
        assert_eq!(replies.len(), 2);
        assert!(
            replies[0]
                .1
                .starts_with("building the dashboard failed: internal error: index out of bounds"),
            "{replies:?}"
        );
        assert_eq!(replies[1].1, "ran as ann");
    }
}
