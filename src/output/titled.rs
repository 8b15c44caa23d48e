//! A name with its title, said once: an untitled step or procedure is titled by its id, and
//! `prepare — prepare` says nothing the id did not.

/// ` — Deploy the release` to follow `deploy`, or nothing when the title is the id.
pub fn titled(id: &str, title: &str) -> String {
    if title == id {
        String::new()
    } else {
        format!(" — {title}")
    }
}
