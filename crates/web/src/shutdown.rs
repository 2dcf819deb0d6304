//! One stop notice for the whole process: Ctrl-C or SIGTERM stops every server it runs.

/// The process-wide stop notice: set once Ctrl-C or SIGTERM arrives.
static STOP: std::sync::OnceLock<tokio::sync::watch::Sender<bool>> = std::sync::OnceLock::new();

/// Install the Ctrl-C and SIGTERM handlers for the whole process, once (later calls do
/// nothing). Call it inside the runtime before announcing that a server listens: from then on a
/// signal is never lost, whichever server is already waiting for it, and the process never dies
/// of the signal's default action. `serve` calls it too.
pub fn listen_for_shutdown() {
    STOP.get_or_init(|| {
        let (tx, _) = tokio::sync::watch::channel(false);
        let notify = tx.clone();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            // Registered here, synchronously: the handlers are in place when this returns.
            let term = signal(SignalKind::terminate()).ok();
            let int = signal(SignalKind::interrupt()).ok();
            tokio::spawn(async move {
                let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                    match s {
                        Some(mut s) => {
                            s.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                tokio::select! {
                    () = wait(term) => {}
                    () = wait(int) => {}
                }
                notify.send_replace(true);
            });
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            notify.send_replace(true);
        });
        tx
    });
}

/// Resolves on Ctrl-C or SIGTERM (what process managers send): the server then stops taking
/// connections and finishes the requests in flight. Every server of the process sees the same
/// signal (see [`listen_for_shutdown`]).
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    listen_for_shutdown();
    let rx = STOP.get().map(tokio::sync::watch::Sender::subscribe);
    async move {
        match rx {
            Some(mut rx) => {
                let _ = rx.wait_for(|stop| *stop).await;
            }
            None => std::future::pending::<()>().await,
        }
    }
}
