//! Document URIs, as clients name documents, to the paths `check` resolves modules against.
//! `url` reads a `file:` URI as the platform spells paths (percent-decoding, `localhost`, a
//! drive letter on Windows), which the hand-written decoder before it did for Unix only.

use lsp_types::Uri;
use percent_encoding::percent_decode_str;
use std::path::PathBuf;
use url::Url;

/// The local file `uri` names; `None` when it names none this machine can open: another scheme
/// (`untitled:Untitled-1`), a file on another host (`file://server/share/…`), or a Windows
/// drive on Unix, which `url` would read as the directory `/C:` of the root.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let url = Url::parse(uri.as_str()).ok()?;
    if url.scheme() != "file" || (cfg!(unix) && names_a_drive(&url)) {
        return None;
    }
    url.to_file_path().ok()
}

/// Whether the path of `url` starts with a Windows drive: `/C:/…`, or `/c%3A/…` as VS Code
/// writes it (`C|`, an old spelling, is no valid URI and does not reach here).
fn names_a_drive(url: &Url) -> bool {
    let first = url.path_segments().and_then(|mut s| s.next()).unwrap_or("");
    let first = percent_decode_str(first).decode_utf8_lossy();
    let mut chars = first.chars();
    matches!(
        (chars.next(), chars.next(), chars.next()),
        (Some(letter), Some(':' | '|'), None) if letter.is_ascii_alphabetic()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn path_of(uri: &str) -> Option<PathBuf> {
        to_path(&uri.parse().expect("a URI"))
    }

    #[test]
    fn percent_encoded_paths_decode_and_encode_back_to_the_same_uri() {
        let uri = "file:///srv/d%C3%A9ploiement/my%20app%20%E2%9C%93.rb42";
        let path = path_of(uri).expect("a local file");
        assert_eq!(path, Path::new("/srv/déploiement/my app ✓.rb42"));
        let back = Url::from_file_path(&path).expect("an absolute path");
        assert_eq!(back.as_str(), uri);
    }

    #[test]
    fn localhost_is_this_machine_and_other_hosts_and_schemes_are_not_files() {
        assert_eq!(path_of("file://localhost/a.rb42"), Some("/a.rb42".into()));
        assert_eq!(path_of("file://server/share/a.rb42"), None);
        assert_eq!(path_of("untitled:Untitled-1"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_windows_drive_is_no_path_on_unix_rather_than_a_directory_of_the_root() {
        assert_eq!(
            Url::parse("file:///C:/x/y.rb42")
                .expect("a URL")
                .to_file_path(),
            Ok(PathBuf::from("/C:/x/y.rb42")),
            "what url alone would make of it"
        );
        for uri in ["file:///C:/x/y.rb42", "file:///c%3A/x/y.rb42", "file:///d:"] {
            assert_eq!(path_of(uri), None, "{uri}");
        }
        assert_eq!(
            path_of("file:///C/x.rb42"),
            Some("/C/x.rb42".into()),
            "a one-letter directory is not a drive"
        );
        assert_eq!(path_of("file:///CD:/x.rb42"), Some("/CD:/x.rb42".into()));
    }
}
