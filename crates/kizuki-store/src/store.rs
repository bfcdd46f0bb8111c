//! Opening the store.

use crate::error::StoreError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};
use std::path::Path;
use std::str::FromStr;

/// Which database is behind the store.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The back end behind a connection.
    pub(crate) fn of(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

/// The store.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The URL with any password replaced, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens the SQLite store in a data directory (`DIR/kizuki.db`),
    /// creating it when absent.
    pub async fn open_dir(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            url: dir.display().to_string(),
            source: sqlx::Error::Io(e),
        })?;
        let path = dir.join("kizuki.db");
        Store::open(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Opens a store by URL: `sqlite://PATH?mode=rwc`, `sqlite::memory:`
    /// or `postgres://user:password@host/db`. The schema is brought up to
    /// date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let open_err = |source| StoreError::Open {
            url: redact(url),
            source,
        };
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let options = AnyConnectOptions::from_str(url)
            .map_err(open_err)?
            .disable_statement_logging();
        let mut pool = AnyPoolOptions::new().max_connections(match backend {
            // One writer: SQLite serialises writes anyway, and one
            // connection avoids "database is locked" between our own.
            Backend::Sqlite => 1,
            Backend::Postgres => 8,
        });
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(options).await.map_err(open_err)?;
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool, backend })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Creates a new, empty database on the PostgreSQL server `url` points
    /// at (its user must be allowed to create databases), named after the
    /// process and the clock, and opens it. For tests and rehearsals that
    /// must not touch a shared database.
    pub async fn open_fresh_postgres(url: &str) -> Result<Store, StoreError> {
        use sqlx::Connection;
        let name = format!(
            "kizuki_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let open_err = |source| StoreError::Open {
            url: redact(url),
            source,
        };
        let mut admin = sqlx::PgConnection::connect(url).await.map_err(open_err)?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await?;
        let base = url.rsplit_once('/').map_or(url, |x| x.0);
        Store::open(&format!("{base}/{name}")).await
    }
}

/// Microseconds since 1970 now.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://kizuki:secret@127.0.0.1/db"),
            "postgres://kizuki:***@127.0.0.1/db"
        );
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
