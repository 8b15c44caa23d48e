//! The host the code on this thread acts on: set by the runner around a body that runs `on`
//! a host, read by the remote primitives. Fan-out evaluates each host's body on its own
//! thread, so the setting is per thread.

use std::cell::RefCell;

thread_local! {
    static CURRENT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The host bodies on this thread act on, if any.
pub fn current() -> Option<String> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Acts on `host` until the returned guard is dropped.
pub fn enter(host: Option<&str>) -> Acting {
    let previous = CURRENT.with(|c| c.replace(host.map(str::to_string)));
    Acting { previous }
}

/// Restores the previous host when dropped.
pub struct Acting {
    previous: Option<String>,
}

impl Drop for Acting {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}
