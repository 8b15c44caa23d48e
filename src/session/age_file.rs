//! Files encrypted with age (rage's library, no shell-out): `secret db from file "db.age"` and
//! `--env-file secrets.env.age` are decrypted in memory, never written in clear. The identity
//! is a key file (`--age-identity`, `RUNBOOK_AGE_IDENTITY`); a file encrypted to a passphrase
//! (`age -p`) asks for it instead. `runbook secrets` encrypts to a recipients file.

use age::secrecy::SecretString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The environment variable naming the identity file.
pub const IDENTITY_VARIABLE: &str = "RUNBOOK_AGE_IDENTITY";

/// Whether a file is age-encrypted, by its name: `*.age`.
pub fn is_encrypted(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "age")
}

/// The identity file: the one given, else `RUNBOOK_AGE_IDENTITY`.
pub fn identity_file(given: Option<&Path>) -> Option<PathBuf> {
    given
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(IDENTITY_VARIABLE).map(PathBuf::from))
        .filter(|p| !p.as_os_str().is_empty())
}

/// Decrypts `path` in memory. A file encrypted to a passphrase asks `passphrase` for it;
/// any other needs the identity file.
pub fn decrypt(
    path: &Path,
    identity: Option<&Path>,
    passphrase: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<u8>, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let armored = age::armor::ArmoredReader::new(std::io::BufReader::new(file));
    let decryptor = age::Decryptor::new(armored)
        .map_err(|e| format!("{} is not an age file: {e}", path.display()))?;
    let identities: Vec<Box<dyn age::Identity>> = if decryptor.is_scrypt() {
        let question = format!("Passphrase for {}", path.display());
        let given = passphrase(&question).ok_or_else(|| {
            format!(
                "{} is encrypted to a passphrase, and there is no terminal to ask it on",
                path.display()
            )
        })?;
        vec![Box::new(age::scrypt::Identity::new(SecretString::from(
            given,
        )))]
    } else {
        read_identities(identity)?
    };
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref()))
        .map_err(|e| format!("cannot decrypt {}: {e}", path.display()))?;
    let mut plain = Vec::new();
    reader
        .read_to_end(&mut plain)
        .map_err(|e| format!("cannot decrypt {}: {e}", path.display()))?;
    Ok(plain)
}

fn read_identities(identity: Option<&Path>) -> Result<Vec<Box<dyn age::Identity>>, String> {
    let path = identity.ok_or_else(|| {
        format!(
            "it is age-encrypted: name the identity with --age-identity FILE or {IDENTITY_VARIABLE}"
        )
    })?;
    age::IdentityFile::from_file(path.display().to_string())
        .map_err(|e| format!("cannot read the age identity {}: {e}", path.display()))?
        .into_identities()
        .map_err(|e| format!("bad age identity {}: {e}", path.display()))
}

/// The recipients of a recipients file: one `age1…` public key a line, `#` comments.
pub fn read_recipients(path: &Path) -> Result<Vec<age::x25519::Recipient>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the recipients file {}: {e}", path.display()))?;
    let mut recipients = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        recipients.push(age::x25519::Recipient::from_str(line).map_err(|e| {
            format!(
                "{}:{}: not an age recipient: {e}",
                path.display(),
                number + 1
            )
        })?);
    }
    if recipients.is_empty() {
        return Err(format!("{} names no recipient", path.display()));
    }
    Ok(recipients)
}

/// `plain`, encrypted to `recipients`, ASCII-armored (so it diffs as text in git).
pub fn encrypt(plain: &[u8], recipients: &[age::x25519::Recipient]) -> Result<Vec<u8>, String> {
    let say = |e: &dyn std::fmt::Display| format!("cannot encrypt: {e}");
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| say(&e))?;
    let armor = age::armor::ArmoredWriter::wrap_output(Vec::new(), age::armor::Format::AsciiArmor)
        .map_err(|e| say(&e))?;
    let mut writer = encryptor.wrap_output(armor).map_err(|e| say(&e))?;
    writer.write_all(plain).map_err(|e| say(&e))?;
    writer
        .finish()
        .and_then(age::armor::ArmoredWriter::finish)
        .map_err(|e| say(&e))
}
