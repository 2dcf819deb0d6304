//! Password hashing off the async executor, with bounded concurrency and memory.
//!
//! Argon2id with OWASP's parameters takes 12-19 MiB and tens of milliseconds per hash. Run on the
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

/// The most Argon2 memory a stored hash may ask for (64 MiB); a PHC string asking for more is
/// refused rather than allocated.
const MAX_KIB: usize = 64 * 1024;

thread_local! {
    /// Each worker's Argon2 memory, allocated once and reused for every check: allocating and
    /// freeing 19 MiB per check made the allocator keep tens of MiB per thread arena.
    static SCRATCH: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`crate::verify_password`] with this thread's reusable memory (constant time in the
/// password's hash; `false` for a malformed stored hash).
fn verify_with_scratch(password: &str, phc: &str) -> bool {
    use argon2::password_hash::PasswordHash;
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        argon2::Algorithm::try_from(hash.algorithm),
        argon2::Params::try_from(&hash),
    ) else {
        return false;
    };
    let version = match hash.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let blocks = params.block_count();
    if blocks > MAX_KIB {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let ok = SCRATCH.with(|cell| {
        let mut memory = cell.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        let slice = memory.get_mut(..blocks).unwrap_or_default();
        argon2::Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, slice)
            .is_ok()
    });
    ok && aws_lc_rs::constant_time::verify_slices_are_equal(&out, expected.as_bytes()).is_ok()
}

/// [`crate::verify_password`] on a worker, with the worker's reusable memory.
pub async fn verify(password: &str, phc: &str) -> Result<bool, Busy> {
    let (password, phc) = (password.to_string(), phc.to_string());
    run(move || verify_with_scratch(&password, &phc)).await
}

/// A password check that may also upgrade the stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub ok: bool,
    /// A new hash of the password when it matched a hash made with older parameters
    /// ([`crate::needs_rehash`]); the caller stores it (best effort).
    pub upgraded: Option<String>,
}

/// [`verify`], and when the password matches a hash with older parameters, a new hash of it, in
/// the same worker job (one queue slot, the worker's own memory).
pub async fn verify_upgrading(password: &str, phc: &str) -> Result<Checked, Busy> {
    let (password, phc) = (password.to_string(), phc.to_string());
    run(move || {
        let ok = verify_with_scratch(&password, &phc);
        let upgraded = (ok && crate::needs_rehash(&phc))
            .then(|| hash_with_scratch(&password).ok())
            .flatten();
        Checked { ok, upgraded }
    })
    .await
}

/// [`crate::hash_password`] in this thread's reusable memory.
fn hash_with_scratch(password: &str) -> Result<String, crate::SecretError> {
    SCRATCH.with(|cell| {
        let mut memory = cell.borrow_mut();
        let blocks = crate::ARGON2_M_KIB as usize;
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        crate::hash_password_with(password, &mut memory)
    })
}

/// [`crate::hash_password`] on a worker, in the worker's reusable memory.
pub async fn hash(password: &str) -> Result<Result<String, crate::SecretError>, Busy> {
    let password = password.to_string();
    run(move || hash_with_scratch(&password)).await
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
        // The same verdicts as the library's own verifier, on its own hashes and odd inputs.
        for (pw, stored) in [
            ("correct horse", phc.as_str()),
            ("x", phc.as_str()),
            ("a", "not a phc string"),
            (
                "a",
                "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
        ] {
            assert_eq!(
                verify(pw, stored).await.unwrap(),
                crate::verify_password(pw, stored),
                "{stored}"
            );
        }
        // A stored hash that asks for ~100 GB is refused, not allocated (the library's own
        // verifier aborts the process on it).
        let huge = "$argon2id$v=19$m=99999999,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(!verify("a", huge).await.unwrap());
        // (In this test: the pool is shared, and the queue's bound above must not see others.)
        new_hashes_use_12_mib_and_3_passes_and_older_ones_still_verify().await;
    }

    async fn new_hashes_use_12_mib_and_3_passes_and_older_ones_still_verify() {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let phc = hash("correct horse").await.unwrap().unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=12288,t=3,p=1$"), "{phc}");
        assert!(crate::verify_password("correct horse", &phc));
        // A hash made with the former parameters (19 MiB, 2 passes: argon2's default) verifies
        // on the workers, whose memory grows to fit it.
        let old = argon2::Argon2::default()
            .hash_password(
                b"battery staple",
                &SaltString::encode_b64(b"0123456789abcdef").unwrap(),
            )
            .unwrap()
            .to_string();
        assert!(old.contains("m=19456,t=2"), "{old}");
        assert!(verify("battery staple", &old).await.unwrap());
        assert!(!verify("battery stapler", &old).await.unwrap());
        assert!(
            crate::needs_rehash(&old),
            "the former parameters are upgraded"
        );
        assert!(!crate::needs_rehash(&phc));
        assert!(
            !crate::needs_rehash("not a phc string"),
            "nothing to upgrade from garbage"
        );
        assert!(!crate::needs_rehash(crate::DUMMY_HASH));
        assert!(!verify("anything", crate::DUMMY_HASH).await.unwrap());
        // The library's own verifier agrees on the new format.
        let sync = crate::hash_password("correct horse").unwrap();
        assert!(verify("correct horse", &sync).await.unwrap());
        assert_ne!(sync, phc, "a fresh salt each time");
    }
}
