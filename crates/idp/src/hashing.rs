//! Password hashing off the async executor, with bounded concurrency and memory.
//!
//! Argon2id with OWASP's parameters takes 19 MiB and tens of milliseconds per hash. Run on the
//! request threads, every concurrent sign-in stalled the executor and grew the heap by another
//! 19 MiB that the allocator kept. Here a fixed set of worker threads (one per core) does every
//! hash, so at most that many hashes run (and hold memory) at once; requests wait in a bounded
//! queue, and beyond it are told to come back ([`Busy`]: HTTP 503 with `Retry-After`).

use std::sync::OnceLock;
use std::sync::mpsc::{SyncSender, TrySendError};

/// The queue is full: too many password checks are waiting. Answer 503 and `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks are in progress; try again in a moment")]
pub struct Busy;

/// Seconds a client is asked to wait after [`Busy`].
pub const RETRY_AFTER_SECS: u32 = 2;

/// Password checks that may wait for a worker before new ones are refused.
pub const QUEUE: usize = 64;

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Pool {
    tx: SyncSender<Job>,
    workers: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(QUEUE);
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..workers {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("symbolon-hash-{i}"))
                .spawn(move || {
                    loop {
                        let job = {
                            let guard = rx.lock().unwrap_or_else(|p| p.into_inner());
                            guard.recv()
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start a password-hashing thread: {e}");
            }
        }
        Pool { tx, workers }
    })
}

/// How many hashes may run at once (the worker threads).
pub fn workers() -> usize {
    pool().workers
}

/// Run `f` on a hashing worker and wait for its result without blocking the executor.
pub async fn run<T, F>(f: F) -> Result<T, Busy>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(f());
    });
    match pool().tx.try_send(job) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => return Err(Busy),
        Err(TrySendError::Disconnected(_)) => return Err(Busy),
    }
    result.await.map_err(|_| Busy)
}

/// [`crate::verify_password`] on a worker.
pub async fn verify(password: &str, phc: &str) -> Result<bool, Busy> {
    let (password, phc) = (password.to_string(), phc.to_string());
    run(move || crate::verify_password(&password, &phc)).await
}

/// [`crate::hash_password`] on a worker.
pub async fn hash(password: &str) -> Result<crate::Result<String>, Busy> {
    let password = password.to_string();
    run(move || crate::hash_password(&password)).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bounded_queue_refuses_beyond_it_and_recovers() {
        let gate = std::sync::Arc::new(std::sync::Barrier::new(workers() + 1));
        // Occupy every worker until the barrier opens.
        let mut held = Vec::new();
        for _ in 0..workers() {
            let g = gate.clone();
            held.push(tokio::spawn(run(move || {
                g.wait();
            })));
        }
        // Give the workers time to take their jobs, then fill the queue.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let mut queued = Vec::new();
        for _ in 0..QUEUE {
            queued.push(tokio::spawn(run(|| 1)));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(run(|| 2).await, Err(Busy), "beyond the queue: Busy");
        gate.wait();
        for h in held {
            h.await.unwrap().unwrap();
        }
        for q in queued {
            assert_eq!(q.await.unwrap(), Ok(1));
        }
        assert_eq!(run(|| 3).await, Ok(3), "usable again");
        let phc = hash("correct horse").await.unwrap().unwrap();
        assert!(verify("correct horse", &phc).await.unwrap());
        assert!(!verify("wrong horse", &phc).await.unwrap());
    }
}
