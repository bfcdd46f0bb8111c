//! The store under test: SQLite always, PostgreSQL when the test server is
//! set up (`.ci/services/postgres.sh` prints `KIZUKI_TEST_POSTGRES`).

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use kizuki_store::Store;

/// A fresh store of each back end.
pub async fn stores() -> Vec<(&'static str, Store, Option<tempfile::TempDir>)> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    out.push((
        "sqlite",
        Store::open_dir(dir.path()).await.unwrap(),
        Some(dir),
    ));
    match std::env::var("KIZUKI_TEST_POSTGRES") {
        Ok(url) => out.push(("postgres", fresh_postgres(&url).await, None)),
        Err(_) => {
            assert!(
                std::env::var_os("KIZUKI_REQUIRE_SERVICES").is_none(),
                "KIZUKI_TEST_POSTGRES is not set: run .ci/services/postgres.sh"
            );
            eprintln!(
                "skipped PostgreSQL: KIZUKI_TEST_POSTGRES is not set (run .ci/services/postgres.sh)"
            );
        }
    }
    out
}

/// A new, empty database on the test server.
pub async fn fresh_postgres(url: &str) -> Store {
    Store::open_fresh_postgres(url).await.unwrap()
}
