//! Database URLs: `postgres://user:password@host:port/db?sslmode=require&sslrootcert=ca.pem`,
//! `sqlite:///abs/path.db`, `sqlite://relative.db`, `sqlite::memory:`. The password is a secret.
//!
//! A PostgreSQL URL is split the way libpq and tokio-postgres split it, not with `url`: the
//! WHATWG parser behind `url` refuses URLs they take (several hosts, `h1:5432,h2:5433`; a user
//! before an empty host, `app@/db?host=/run/postgresql`). Each part is then percent-decoded
//! with `percent-encoding`, the decoder `url` itself uses, and like libpq without reading `+`
//! as a space.

use percent_encoding::percent_decode_str;
use std::path::PathBuf;

/// Where a database is and how to reach it.
#[derive(Debug, Clone, PartialEq)]
pub enum Address {
    Postgres {
        /// The URL as tokio-postgres reads it (TLS options removed), still percent-encoded:
        /// tokio-postgres decodes it.
        url: String,
        tls: Tls,
        /// Decoded: the password the server gets.
        password: Option<String>,
    },
    Sqlite(SqlitePath),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SqlitePath {
    File(PathBuf),
    Memory,
}

/// TLS to PostgreSQL.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Tls {
    /// `sslmode=disable` (the default on loopback and without `sslmode`).
    #[default]
    Off,
    /// `sslmode=require|verify-full`: verified against the system roots and `sslrootcert`.
    Verified { root: Option<PathBuf> },
}

impl Address {
    pub fn parse(url: &str) -> Result<Address, String> {
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            return match rest {
                "" => Err(format!("`{url}`: no database file after sqlite://")),
                ":memory:" => Ok(Address::Sqlite(SqlitePath::Memory)),
                path => Ok(Address::Sqlite(SqlitePath::File(PathBuf::from(path)))),
            };
        }
        if !is_postgres(url) {
            return Err(format!(
                "`{}`: a database URL starts with postgres:// or sqlite://",
                redact(url)
            ));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let mut mode = "disable".to_string();
        let mut root = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match decode_lossy(key).as_ref() {
                "sslmode" => mode = decode("sslmode", value)?,
                "sslrootcert" => root = Some(PathBuf::from(decode("sslrootcert", value)?)),
                _ => kept.push(pair),
            }
        }
        let tls = match mode.as_str() {
            "disable" | "allow" | "prefer" => Tls::Off,
            "require" | "verify-ca" | "verify-full" => Tls::Verified { root },
            other => {
                return Err(format!(
                    "sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ));
            }
        };
        let url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(Address::Postgres {
            password: password(&url).map(|p| decode_lossy(&p).into_owned()),
            url,
            tls,
        })
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The parts of `scheme://user:password@hosts/database?key=value&…`, as written
/// (percent-encoded).
struct Parts<'a> {
    user: Option<&'a str>,
    password: Option<&'a str>,
    hosts: &'a str,
    database: &'a str,
    query: Vec<(&'a str, &'a str)>,
}

impl<'a> Parts<'a> {
    fn of(url: &'a str) -> Option<Self> {
        let rest = url.split_once("://")?.1;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, database) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => (Some(userinfo), hosts),
            None => (None, authority),
        };
        let (user, password) = match userinfo.map(|u| u.split_once(':').ok_or(u)) {
            Some(Ok((user, password))) => (Some(user), Some(password)),
            Some(Err(user)) => (Some(user), None),
            None => (None, None),
        };
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .collect();
        Some(Parts {
            user,
            password,
            hosts,
            database,
            query,
        })
    }

    /// The password: in the user part, or for PostgreSQL a `password=` parameter (libpq
    /// takes both).
    fn password(&self, url: &str) -> Option<&'a str> {
        let parameter = || {
            let (_, value) = self
                .query
                .iter()
                .find(|(key, _)| decode_lossy(key) == "password")?;
            is_postgres(url).then_some(*value)
        };
        self.password
            .filter(|p| !p.is_empty())
            .or_else(parameter)
            .filter(|p| !p.is_empty())
    }
}

/// The parts of a URL given as `pg_env` variables, by the names of libpq's parameters.
const LIBPQ_VARIABLES: &[(&str, &str)] = &[
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("host", "PGHOST"),
    ("port", "PGPORT"),
    ("dbname", "PGDATABASE"),
];

/// The parts of a PostgreSQL URL as libpq's environment variables name them (`PGHOST`, …),
/// decoded, so client tools get the password without it appearing on a command line. A
/// parameter of the query (`?host=%2Frun%2Fpostgresql`) overrides the part it names, as in
/// libpq, so that client tools reach the server the SQL primitives reach.
pub fn libpq_env(url: &str) -> Result<Vec<(&'static str, String)>, String> {
    let parts = Parts::of(url).ok_or_else(|| format!("`{}` is not a URL", redact(url)))?;
    let mut env: Vec<(&'static str, String)> = Vec::new();
    let mut set = |name: &'static str, value: String| {
        if let Some(entry) = env.iter_mut().find(|(n, _)| *n == name) {
            entry.1 = value;
        } else {
            env.push((name, value));
        }
    };
    if let Some(user) = parts.user {
        set("PGUSER", decode("the user", user)?);
    }
    if let Some(password) = parts.password.filter(|p| !p.is_empty()) {
        set("PGPASSWORD", decode("the password", password)?);
    }
    let (hosts, ports): (Vec<&str>, Vec<&str>) = parts.hosts.split(',').map(host_and_port).unzip();
    if hosts.iter().any(|h| !h.is_empty()) {
        set("PGHOST", decode("the host", &hosts.join(","))?);
    }
    if ports.iter().any(|p| !p.is_empty()) {
        set("PGPORT", decode("the port", &ports.join(","))?);
    }
    if !parts.database.is_empty() {
        set("PGDATABASE", decode("the database", parts.database)?);
    }
    for (key, value) in &parts.query {
        let key = decode_lossy(key);
        if let Some((_, name)) = LIBPQ_VARIABLES.iter().find(|(k, _)| *k == key) {
            set(name, decode(&key, value)?);
        }
    }
    Ok(env)
}

/// The URL without the server it names (hosts, ports and the `host`, `hostaddr` and `port`
/// parameters), for a client to be given another: user, password, database and the other
/// parameters stay as written.
pub fn without_server(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, database) = rest.split_once('/').unwrap_or((rest, ""));
    let userinfo = authority
        .rsplit_once('@')
        .map(|(userinfo, _)| format!("{userinfo}@"))
        .unwrap_or_default();
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split_once('=').map_or(*p, |(k, _)| k);
            !matches!(decode_lossy(key).as_ref(), "host" | "hostaddr" | "port")
        })
        .collect();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    format!("{scheme}://{userinfo}/{database}{query}")
}

/// The host and port of one `host:port` of a URL, either possibly empty; an IPv6 address is
/// written in brackets (`[::1]:5432`).
fn host_and_port(hostport: &str) -> (&str, &str) {
    if let Some(rest) = hostport.strip_prefix('[')
        && let Some((host, after)) = rest.split_once(']')
    {
        return (host, after.strip_prefix(':').unwrap_or(""));
    }
    hostport.split_once(':').unwrap_or((hostport, ""))
}

/// The password in `scheme://user:password@host…` (or a PostgreSQL URL's `password=`), as
/// written in the URL, percent-encoded: the form output shows when it prints the URL. The
/// masks add its encodings; the decoded password is `Address::Postgres`'s, masked from the
/// first statement on.
pub fn password(url: &str) -> Option<String> {
    let parts = Parts::of(url)?;
    parts.password(url).map(str::to_string)
}

/// The URL with its password replaced by `***`, for plans and messages.
pub fn redact(url: &str) -> String {
    let Some(parts) = Parts::of(url) else {
        return url.to_string();
    };
    let mut shown = url.to_string();
    if let Some(password) = parts.password.filter(|p| !p.is_empty()) {
        shown = shown.replacen(&format!(":{password}@"), ":***@", 1);
    }
    if is_postgres(url) {
        for (key, value) in &parts.query {
            if decode_lossy(key) == "password" && !value.is_empty() {
                shown = shown.replacen(&format!("{key}={value}"), &format!("{key}=***"), 1);
            }
        }
    }
    shown
}

/// `text` percent-decoded; an error naming `what` (never its value, which may be a password)
/// when the bytes are not UTF-8.
fn decode(what: &str, text: &str) -> Result<String, String> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| format!("{what} in the database URL is not UTF-8 once percent-decoded"))
}

fn decode_lossy(text: &str) -> std::borrow::Cow<'_, str> {
    percent_decode_str(text).decode_utf8_lossy()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn reads_postgres_and_sqlite_urls() {
        let a = Address::parse(
            "postgres://app:s3cr%t@127.0.0.1:5432/db?sslmode=require&application_name=x",
        )
        .unwrap();
        assert_eq!(
            a,
            Address::Postgres {
                url: "postgres://app:s3cr%t@127.0.0.1:5432/db?application_name=x".into(),
                tls: Tls::Verified { root: None },
                password: Some("s3cr%t".into()),
            }
        );
        assert_eq!(
            Address::parse("sqlite:///var/lib/app.db").unwrap(),
            Address::Sqlite(SqlitePath::File("/var/lib/app.db".into()))
        );
        assert_eq!(
            Address::parse("sqlite::memory:").unwrap(),
            Address::Sqlite(SqlitePath::Memory)
        );
        assert!(Address::parse("mysql://x").is_err());
        assert!(Address::parse("postgres://h/db?sslmode=maybe").is_err());
    }

    /// The URL tokio-postgres gets, read as tokio-postgres reads it.
    fn client_config(address: &Address) -> tokio_postgres::Config {
        let Address::Postgres { url, .. } = address else {
            panic!("not PostgreSQL: {address:?}");
        };
        tokio_postgres::Config::from_str(url).expect("tokio-postgres reads it")
    }

    fn tls_of(url: &str) -> Tls {
        match Address::parse(url) {
            Ok(Address::Postgres { tls, .. }) => tls,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_tls_parameters_are_read_percent_decoded_and_the_others_kept_for_the_client() {
        let a = Address::parse(
            "postgres://app@/shop?ssl%6Dode=verify%2Dfull&sslrootcert=%2Fetc%2Fssl%2Fmy%20ca%C3%A9.pem\
             &host=%2Fvar%2Frun%2Fpostgresql&options=-c%20search_path%3Dapp",
        )
        .expect("a PostgreSQL URL");
        let Address::Postgres { url, tls, .. } = &a else {
            panic!("{a:?}");
        };
        assert_eq!(
            *tls,
            Tls::Verified {
                root: Some("/etc/ssl/my caé.pem".into())
            }
        );
        assert_eq!(
            url,
            "postgres://app@/shop?host=%2Fvar%2Frun%2Fpostgresql&options=-c%20search_path%3Dapp",
            "the rest as written: the client decodes it"
        );
        let config = client_config(&a);
        assert_eq!(config.get_options(), Some("-c search_path=app"));
        assert_eq!(
            config.get_hosts(),
            [tokio_postgres::config::Host::Unix(
                "/var/run/postgresql".into()
            )]
        );
        assert_eq!(
            tls_of("postgres://h/db?sslmode=%72equire"),
            Tls::Verified { root: None }
        );
        assert_eq!(
            tls_of("postgres://h/db?sslrootcert=a+b.pem&sslmode=require"),
            Tls::Verified {
                root: Some("a+b.pem".into())
            },
            "`+` is not a space, as in libpq"
        );
    }

    #[test]
    fn a_percent_encoded_password_decodes_and_several_hosts_stay_readable() {
        let url = "postgres://app:p%40ss%3Aw%2Frd%20%C3%A9@db1:5432,db2:5433/shop";
        let a = Address::parse(url).expect("a PostgreSQL URL");
        let Address::Postgres { password, .. } = &a else {
            panic!("{a:?}");
        };
        assert_eq!(password.as_deref(), Some("p@ss:w/rd é"));
        assert_eq!(
            client_config(&a).get_password(),
            Some("p@ss:w/rd é".as_bytes()),
            "the password the server gets"
        );
        assert_eq!(
            super::password(url).as_deref(),
            Some("p%40ss%3Aw%2Frd%20%C3%A9"),
            "as output would show the URL"
        );
        assert_eq!(client_config(&a).get_ports(), [5432, 5433]);
    }

    #[test]
    fn splits_a_url_for_client_tools() {
        let env = libpq_env("postgres://app:pw@db.example.org:5433/shop?sslmode=require").unwrap();
        assert_eq!(
            env,
            vec![
                ("PGUSER", "app".to_string()),
                ("PGPASSWORD", "pw".to_string()),
                ("PGHOST", "db.example.org".to_string()),
                ("PGPORT", "5433".to_string()),
                ("PGDATABASE", "shop".to_string()),
            ]
        );
    }

    #[test]
    fn client_tools_get_each_part_decoded_and_the_query_overrides_the_part_it_names() {
        let env = libpq_env(
            "postgresql://%C3%A9quipe:p%40ss%20w@[::1]:5432,db2/d%C3%A9mo\
             ?host=%2Fvar%2Frun%2Fpostgresql&options=-c%20search_path%3Dapp&dbn%61me=x%2By",
        )
        .unwrap();
        assert_eq!(
            env,
            vec![
                ("PGUSER", "équipe".to_string()),
                ("PGPASSWORD", "p@ss w".to_string()),
                ("PGHOST", "/var/run/postgresql".to_string()),
                ("PGPORT", "5432,".to_string()),
                ("PGDATABASE", "x+y".to_string()),
            ]
        );
        assert_eq!(
            libpq_env("postgres://h1:1,h2/d%C3%A9mo").unwrap(),
            vec![
                ("PGHOST", "h1,h2".to_string()),
                ("PGPORT", "1,".to_string()),
                ("PGDATABASE", "démo".to_string()),
            ]
        );
        let refused = libpq_env("postgres://app:%FF%FE@h/x").expect_err("not UTF-8");
        assert_eq!(
            refused,
            "the password in the database URL is not UTF-8 once percent-decoded"
        );
    }

    #[test]
    fn redacts_the_password() {
        assert_eq!(
            redact("postgres://app:pw@h:5432/db"),
            "postgres://app:***@h:5432/db"
        );
        assert_eq!(redact("postgres://app@h/db"), "postgres://app@h/db");
        assert_eq!(
            redact("postgres://app:p%40ss%20w@h/db"),
            "postgres://app:***@h/db"
        );
        assert_eq!(
            redact("postgres://app@h/db?sslmode=require&pass%77ord=s%C3%A9cret&x=1"),
            "postgres://app@h/db?sslmode=require&pass%77ord=***&x=1"
        );
        assert_eq!(
            password("postgres://app@h/db?password=s%C3%A9cret").as_deref(),
            Some("s%C3%A9cret")
        );
        assert_eq!(
            password("https://example.org/reset?password=1"),
            None,
            "only a PostgreSQL URL has a password parameter"
        );
    }
}
