//! A run's timeline as one self-contained HTML page (`runbook show RUN --format html`): styles
//! and the small script inline, nothing fetched, every value escaped by the template engine.

use super::event_row::duration;
use super::run_timeline::Timeline;
use minijinja::{AutoEscape, Environment, Value};

/// Ticks on the time axis.
const TICKS: u64 = 6;

/// The page, or why the template failed (a bug: the template is ours).
pub fn render(timeline: &Timeline) -> Result<String, String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let total = timeline.duration_ms.max(1);
    // Positions as percentages of the run, so the page scales with the window.
    env.add_function("pct", move |ms: u64| percent(ms, total));
    // A bar ends at the run's end at the latest (a wait cut short by a kill).
    env.add_function("width", move |start: u64, ms: u64| {
        percent(ms.min(total.saturating_sub(start)), total)
    });
    env.add_filter("duration", duration);
    env.add_template("timeline.html.j2", include_str!("timeline.html.j2"))
        .map_err(|e| e.to_string())?;
    let ticks: Vec<(String, String)> = (0..=TICKS)
        .map(|i| {
            let ms = total * i / TICKS;
            (percent(ms, total), format!("+{}", duration(ms)))
        })
        .collect();
    env.get_template("timeline.html.j2")
        .and_then(|t| {
            t.render(minijinja::context! {
                t => Value::from(minijinja::value::Serde(timeline)),
                ticks => ticks,
            })
        })
        .map_err(|e| e.to_string())
}

fn percent(ms: u64, total: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // a position on a screen
    let p = ms.min(total) as f64 * 100.0 / total as f64;
    format!("{p:.3}")
}
