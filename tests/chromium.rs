//! Headless Chromium (Debian's `chromium`, installed by scripts/test.sh) for the tests that look
//! at a page as a person would: the DOM after the page's scripts ran, and a screenshot.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a page may take to load, run its scripts and be drawn (a hang detector: on a busy
/// 2-core machine a start of chromium alone can take half a minute).
const DEADLINE: Duration = Duration::from_secs(240);

fn browser() -> PathBuf {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("chromium is not installed: scripts/test.sh installs it (apt-get install chromium)")
}

/// Runs chromium headless on `page` with `extra` arguments; its standard output.
fn run(page: &Path, profile: &Path, extra: &[String]) -> String {
    // Into a file: a DOM bigger than a pipe's buffer would block chromium while we wait for it.
    let stdout = profile.join("stdout");
    let mut child = Command::new(browser())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-extensions",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("chromium's output file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    loop {
        match child.try_wait().expect("wait for chromium") {
            Some(_) => break,
            None if started.elapsed() > DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium took more than {DEADLINE:?} on {}", page.display());
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    std::fs::read_to_string(&stdout).expect("chromium's output")
}

/// The page's DOM once its scripts ran.
pub fn dom(page: &Path) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    run(page, profile.path(), &["--dump-dom".to_string()])
}

/// A screenshot of the page (`width`×`height` window) at `png`; checks a picture was written.
pub fn screenshot(page: &Path, png: &Path, width: u32, height: u32) {
    let profile = tempfile::tempdir().expect("profile dir");
    let _ = std::fs::remove_file(png);
    run(
        page,
        profile.path(),
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
        ],
    );
    let bytes =
        std::fs::read(png).unwrap_or_else(|e| panic!("no screenshot {}: {e}", png.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // The IHDR chunk: width and height, big-endian, at bytes 16..24.
    let size = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), (width, height), "screenshot size");
    assert!(
        bytes.len() > 5_000,
        "an almost empty screenshot ({} bytes)",
        bytes.len()
    );
}

/// The text of the element `id` in a dumped DOM (unescaped as far as JSON text needs).
pub fn element_text(dom: &str, id: &str) -> Option<String> {
    let start = dom.find(&format!("id=\"{id}\""))?;
    let open = start + dom[start..].find('>')? + 1;
    let close = open + dom[open..].find("</")?;
    Some(
        dom[open..close]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// Copies a screenshot to `$RUNBOOK_SCREENSHOTS` when it is set (how docs/pictures is refreshed).
pub fn keep(png: &Path, name: &str) {
    if let Some(dir) = std::env::var_os("RUNBOOK_SCREENSHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::copy(png, dir.join(name)).expect("keep the screenshot");
    }
}
