//! `file://` URIs, as clients name documents, to the paths `check` resolves modules against.

use std::path::PathBuf;

/// The path a `file://` URI names (percent-decoded); `None` for another scheme or bad escapes.
pub fn to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///x` or `file://localhost/x`: the path starts at the first `/`.
    let path = &rest[rest.find('/')?..];
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).ok().map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_become_paths_and_others_none() {
        assert_eq!(
            to_path("file:///srv/d%C3%A9ploiement/my%20app.rb42"),
            Some(PathBuf::from("/srv/déploiement/my app.rb42"))
        );
        assert_eq!(
            to_path("file://localhost/a.rb42"),
            Some(PathBuf::from("/a.rb42"))
        );
        assert_eq!(to_path("untitled:Untitled-1"), None);
        assert_eq!(to_path("file:///bad%zz"), None);
        assert_eq!(to_path("file:///cut%4"), None);
    }
}
