//! A PostgreSQL connection from a host: the server the URL names, as the host sees it (its
//! `localhost`, its socket directory `host=/var/run/postgresql`), reached through a forward of
//! the host's SSH master to a port of 127.0.0.1. The client connects to that port
//! (`hostaddr`) while `host` stays the name in the URL, so TLS (`sslmode=verify-full`,
//! `sslrootcert`) checks the original name.

use super::address::{redact, without_server};
use crate::ssh::forward::RemoteAddress;
use std::net::SocketAddr;
use std::str::FromStr as _;
use tokio_postgres::config::Host;

/// PostgreSQL's port when a URL names none.
const DEFAULT_PORT: u16 = 5432;

/// The server a PostgreSQL URL names, as the host connects to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub address: RemoteAddress,
    /// The name TLS checks: the URL's host name (`localhost` for a socket directory).
    name: String,
}

impl Server {
    /// The one server of `url` (as tokio-postgres reads it, TLS options removed).
    pub fn of(url: &str) -> Result<Server, String> {
        let config =
            tokio_postgres::Config::from_str(url).map_err(|e| format!("`{}`: {e}", redact(url)))?;
        let [host] = config.get_hosts() else {
            return Err(format!(
                "`{}`: from a host, a database URL names one server (give `via: \"local\"` to \
                 connect from this machine)",
                redact(url)
            ));
        };
        let port = match config.get_ports() {
            [] => DEFAULT_PORT,
            [port] => *port,
            _ => return Err(format!("`{}`: one port for one server", redact(url))),
        };
        Ok(match host {
            Host::Tcp(name) => Server {
                address: RemoteAddress::Tcp {
                    host: config
                        .get_hostaddrs()
                        .first()
                        .map_or_else(|| name.clone(), ToString::to_string),
                    port,
                },
                name: name.clone(),
            },
            Host::Unix(dir) => Server {
                address: RemoteAddress::Unix(dir.join(format!(".s.PGSQL.{port}"))),
                name: "localhost".into(),
            },
        })
    }

    /// The client's configuration for `url` through a forward listening at `local`.
    pub fn through(&self, url: &str, local: SocketAddr) -> Result<tokio_postgres::Config, String> {
        let mut config = tokio_postgres::Config::from_str(&without_server(url))
            .map_err(|e| format!("`{}`: {e}", redact(url)))?;
        config
            .host(&self.name)
            .hostaddr(local.ip())
            .port(local.port());
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn finds_the_server_as_the_host_sees_it() {
        let server = Server::of("postgres://app:pw@localhost:5999/shop").unwrap();
        assert_eq!(
            server.address,
            RemoteAddress::Tcp {
                host: "localhost".into(),
                port: 5999
            }
        );
        let socket = Server::of("postgres://app@/shop?host=%2Fvar%2Frun%2Fpostgresql").unwrap();
        assert_eq!(
            socket.address,
            RemoteAddress::Unix("/var/run/postgresql/.s.PGSQL.5432".into())
        );
        let by_address = Server::of("postgres://db.internal:6000/x?hostaddr=10.0.0.7").unwrap();
        assert_eq!(
            by_address.address,
            RemoteAddress::Tcp {
                host: "10.0.0.7".into(),
                port: 6000
            }
        );
        assert!(Server::of("postgres://a,b/x").is_err());
    }

    #[test]
    fn connects_to_the_forward_under_the_original_name() {
        let url = "postgres://app:pw@db.internal:6000/shop?hostaddr=10.0.0.7&application_name=x";
        let server = Server::of(url).unwrap();
        let config = server
            .through(url, SocketAddr::from((Ipv4Addr::LOCALHOST, 40000)))
            .unwrap();
        assert_eq!(config.get_hosts(), [Host::Tcp("db.internal".into())]);
        assert_eq!(
            config.get_hostaddrs(),
            [std::net::IpAddr::from(Ipv4Addr::LOCALHOST)]
        );
        assert_eq!(config.get_ports(), [40000]);
        assert_eq!(config.get_password(), Some("pw".as_bytes()));
        assert_eq!(config.get_dbname(), Some("shop"));
        assert_eq!(config.get_application_name(), Some("x"));
    }
}
