//! Ctrl-C, SIGTERM and SIGHUP during a run: the first stops the running step (the runner then
//! rolls back), a second warns, a third abandons the rollbacks to `runbook rollback RUN`.

use crate::context::event::Level;
use crate::context::run_context::RunContext;
use crate::context::stop_signal::Press;
use std::sync::Arc;

/// Ctrl-C and SIGTERM interrupt the running step; the runner then rolls back.
pub fn listen_for_signals(ctx: &Arc<RunContext>) {
    use tokio::signal::unix::{SignalKind, signal};
    let ctx = Arc::clone(ctx);
    let runtime = ctx.runtime.clone();
    runtime.spawn(async move {
        let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        loop {
            let hangup = tokio::select! {
                _ = int.recv() => false,
                _ = term.recv() => false,
                _ = hup.recv() => true,
            };
            match ctx.stop.press(hangup) {
                Press::Interrupted => tracing::info!("interrupted: stopping the running step"),
                Press::Warned => ctx.log(
                    Level::Warn,
                    "rollbacks continue; interrupt again to stop them (they stay owed)",
                ),
                Press::Abandoned => ctx.log(
                    Level::Warn,
                    "rollbacks stopped: the rest is left for `runbook rollback RUN`",
                ),
            }
        }
    });
}
