//! A throwaway certificate authority and a server certificate for `127.0.0.1` and `localhost`,
//! made with the `openssl` command, for the TLS tests (PostgreSQL, HTTPS); and the plain
//! self-signed certificate a new user makes (`openssl req -x509`, marked CA:TRUE).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// The CA's certificate (PEM), what a client trusts.
pub const CA_FILE: &str = "ca.pem";
/// The server's certificate (PEM), signed by the CA.
pub const SERVER_CERT: &str = "server.pem";
/// The server's private key (PEM), mode 0600.
pub const SERVER_KEY: &str = "server.key";

/// Runs `openssl ARGS` in `dir`.
fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run openssl ({e})"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "openssl {} failed:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

/// Writes [`CA_FILE`], [`SERVER_CERT`] and [`SERVER_KEY`] (and their by-products) into `dir`.
pub fn make(dir: &Path) -> Result<(), String> {
    let openssl = |args: &[&str]| openssl(dir, args);
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let ca = [
        "-keyout",
        "ca.key",
        "-out",
        CA_FILE,
        "-days",
        "3",
        "-subj",
        "/CN=runbook test CA",
    ];
    openssl(&[&["req", "-x509"][..], &key, &ca].concat())?;
    let request = [
        "-keyout",
        SERVER_KEY,
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ];
    openssl(&[&["req"][..], &key, &request].concat())?;
    fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .map_err(|e| format!("write server.ext: {e}"))?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        CA_FILE,
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        SERVER_CERT,
        "-days",
        "3",
        "-extfile",
        "server.ext",
    ])?;
    let key = dir.join(SERVER_KEY);
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("chmod {}: {e}", key.display()))
}

/// Writes [`SERVER_CERT`] and [`SERVER_KEY`] into `dir`: one self-signed certificate for
/// `names` (`DNS:localhost,IP:127.0.0.1`), made the way the openssl manual shows, which marks
/// it CA:TRUE. Its own certificate is what a client pins.
pub fn make_self_signed(dir: &Path, names: &str) -> Result<(), String> {
    let names = format!("subjectAltName={names}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            SERVER_KEY,
            "-out",
            SERVER_CERT,
            "-days",
            "3",
            "-subj",
            "/CN=localhost",
            "-addext",
            &names,
        ],
    )
}

/// `openssl s_server`'s arguments for a page server on `accept` (`127.0.0.1:PORT`) with the
/// certificate and key written in its directory.
pub fn s_server_args(accept: &str) -> Vec<String> {
    [
        "s_server",
        "-quiet",
        "-www",
        "-cert",
        SERVER_CERT,
        "-key",
        SERVER_KEY,
        "-accept",
        accept,
    ]
    .map(str::to_string)
    .to_vec()
}
