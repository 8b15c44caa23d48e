//! `listening_ports()`: the TCP sockets in the LISTEN state on the target, with the process
//! owning each where the target lets us see it.
//!
//! Read from the kernel's own tables, `/proc/net/tcp` and `/proc/net/tcp6`, and the
//! `socket:[INODE]` links of `/proc/PID/fd`, rather than from `ss -ltnp`: `/proc` is on every
//! Linux target, where `ss` (iproute2) is missing from many minimal images and its columns
//! change between versions. Both see the same processes: those of the connecting user, all of
//! them as root.

use super::Target;
use crate::primitives::Outcome;
use rhai::{Array, Dynamic, Map};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Prints the two socket tables, then `ls -l` of every process's descriptors (a `/proc/PID/fd:`
/// line before each), then `PATH:NAME` for each process's command name. What the user may not
/// read is left out silently.
const SCRIPT: &str = "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; echo '--'; \
     ls -l /proc/[0-9]*/fd 2>/dev/null; echo '--'; grep -sH '' /proc/[0-9]*/comm; exit 0";

/// One listening socket.
#[derive(Debug, PartialEq)]
pub struct Listener {
    pub port: u16,
    pub address: String,
    pub pid: Option<u32>,
    pub process: Option<String>,
}

pub fn listening(target: &Target<'_>) -> Outcome<Dynamic> {
    target.read(
        "listening_ports",
        "list the listening TCP ports (/proc/net/tcp, tcp6)",
        "listening TCP ports",
        |t| {
            let out = t.output("listening_ports", &["sh", "-c", SCRIPT], None)?;
            let rows: Array = parse(&out).into_iter().map(row).collect();
            Ok(rows.into())
        },
    )
}

/// `#{port, address, pid, process}`; `pid` and `process` are `()` where not visible.
fn row(l: Listener) -> Dynamic {
    let mut map = Map::new();
    map.insert("port".into(), i64::from(l.port).into());
    map.insert("address".into(), l.address.into());
    map.insert(
        "pid".into(),
        l.pid.map_or(Dynamic::UNIT, |p| i64::from(p).into()),
    );
    map.insert(
        "process".into(),
        l.process.map_or(Dynamic::UNIT, Dynamic::from),
    );
    map.into()
}

/// The listeners of the script's output, by port then address, each once.
pub fn parse(out: &str) -> Vec<Listener> {
    let mut sections = out.split("\n--\n");
    let tables = sections.next().unwrap_or_default();
    let owners = socket_owners(sections.next().unwrap_or_default());
    let names = command_names(sections.next().unwrap_or_default());
    let mut found: Vec<Listener> = tables
        .lines()
        .filter_map(listening_socket)
        .map(|(port, address, inode)| {
            let pid = owners.get(&inode).copied();
            Listener {
                port,
                address,
                pid,
                process: pid.and_then(|p| names.get(&p).cloned()),
            }
        })
        .collect();
    found.sort_by(|a, b| (a.port, &a.address).cmp(&(b.port, &b.address)));
    found.dedup_by(|a, b| a.port == b.port && a.address == b.address);
    found
}

/// `(port, address, inode)` of a table line in the LISTEN state (`0A`); `None` for the
/// header and every other line.
fn listening_socket(line: &str) -> Option<(u16, String, u64)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() < 10 || fields[3] != "0A" {
        return None;
    }
    let (address, port) = fields[1].split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let inode = fields[9].parse().ok()?;
    Some((port, address_text(address)?, inode))
}

/// The kernel prints an address as 32-bit words in the machine's byte order (little-endian on
/// the targets we know: x86, ARM).
fn address_text(hex: &str) -> Option<String> {
    let words: Option<Vec<[u8; 4]>> = (0..hex.len() / 8)
        .map(|i| {
            u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16)
                .ok()
                .map(u32::to_le_bytes)
        })
        .collect();
    let bytes: Vec<u8> = words?.concat();
    match bytes.len() {
        4 => Some(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string()),
        16 => {
            let octets: [u8; 16] = bytes.try_into().ok()?;
            Some(Ipv6Addr::from(octets).to_string())
        }
        _ => None,
    }
}

/// Socket inode → pid, from `ls -l /proc/*/fd`: a `/proc/PID/fd:` line, then its links.
fn socket_owners(listing: &str) -> HashMap<u64, u32> {
    let mut owners = HashMap::new();
    let mut pid = None;
    for line in listing.lines() {
        if let Some(dir) = line.strip_suffix("/fd:") {
            pid = dir.strip_prefix("/proc/").and_then(|p| p.parse().ok());
        } else if let (Some(p), Some(at)) = (pid, line.find("-> socket:[")) {
            let inode = line[at + "-> socket:[".len()..].trim_end_matches(']');
            if let Ok(inode) = inode.parse() {
                owners.entry(inode).or_insert(p);
            }
        }
    }
    owners
}

/// pid → command name, from `/proc/PID/comm:NAME` lines.
fn command_names(lines: &str) -> HashMap<u32, String> {
    lines
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("/proc/")?;
            let (pid, name) = rest.split_once("/comm:")?;
            Some((pid.parse().ok()?, name.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 100 0 0 10 0
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 78 1 0000000000000000 100 0 0 10 0
--
/proc/12/fd:
total 0
lrwx------ 1 me me 64 Dec  4 09:00 0 -> /dev/null
lrwx------ 1 me me 64 Dec  4 09:00 3 -> socket:[4242]

/proc/13/fd:
lrwx------ 1 me me 64 Dec  4 09:00 3 -> socket:[4343]
--
/proc/12/comm:python3
/proc/13/comm:curl
";

    #[test]
    fn listening_sockets_with_their_owner_where_visible() {
        let found = parse(OUTPUT);
        let shown: Vec<(u16, &str, Option<u32>, Option<&str>)> = found
            .iter()
            .map(|l| (l.port, l.address.as_str(), l.pid, l.process.as_deref()))
            .collect();
        assert_eq!(
            shown,
            [
                (22, "0.0.0.0", None, None),
                (22, "::1", None, None),
                (8080, "127.0.0.1", Some(12), Some("python3")),
            ]
        );
    }
}
