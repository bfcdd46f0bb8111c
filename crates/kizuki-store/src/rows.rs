//! Multi-row statements written once for both back ends.
//!
//! Placeholders are `?` on SQLite and `$n` on PostgreSQL. SQLite finds a
//! numbered parameter's name by walking the statement's list of names, and
//! sqlx asks for every parameter's name, so a statement of n numbered
//! parameters cost n² steps: most of a large import's time. Plain `?`
//! parameters have no name and bind in order.

use crate::store::Backend;
use sqlx::AnyConnection;

/// One bound value.
#[derive(Clone, Debug)]
pub(crate) enum V<'a> {
    /// An integer.
    I(i64),
    /// An integer or NULL.
    OI(Option<i64>),
    /// Text.
    T(&'a str),
    /// Text or NULL.
    OT(Option<&'a str>),
}

/// Rows per statement, far under both back ends' limits on parameters.
/// With numbered placeholders on SQLite a statement cost grew with the
/// square of its parameters (a notify run of 100k events wrote in 6.6 s
/// with 25 rows, 8.8 s with 100, 18.5 s with 400); with plain `?` it is
/// 4.9-5.3 s with 100 rows against 6.0 s with 25.
const ROWS: usize = 100;

/// `head` is `INSERT INTO t (a, b, c)`; `tail` follows the VALUES list
/// (`ON CONFLICT …` or empty). Returns the rows affected.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    head: &str,
    tail: &str,
    rows: &[Vec<V<'_>>],
) -> Result<u64, sqlx::Error> {
    let backend = Backend::of(conn);
    let mut affected = 0;
    for chunk in rows.chunks(ROWS) {
        let mut sql = String::with_capacity(head.len() + chunk.len() * 40);
        sql.push_str(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for j in 0..row.len() {
                if j > 0 {
                    sql.push(',');
                }
                n += 1;
                push_mark(&mut sql, backend, n);
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(tail);
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    V::I(x) => q.bind(*x),
                    V::OI(x) => q.bind(*x),
                    V::T(x) => q.bind(*x),
                    V::OT(x) => q.bind(*x),
                };
            }
        }
        affected += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(affected)
}

/// Appends the placeholder of the `n`th parameter (from 1).
pub(crate) fn push_mark(sql: &mut String, backend: Backend, n: usize) {
    match backend {
        Backend::Sqlite => sql.push('?'),
        Backend::Postgres => {
            sql.push('$');
            sql.push_str(&n.to_string());
        }
    }
}

/// Placeholders for parameters `from` to `from + count - 1`, comma-separated.
fn marks_from(backend: Backend, from: usize, count: usize) -> String {
    let mut sql = String::with_capacity(count * 4);
    for n in from..from + count {
        if n > from {
            sql.push(',');
        }
        push_mark(&mut sql, backend, n);
    }
    sql
}

/// Placeholders for parameters 1 to `n`.
pub(crate) fn marks(backend: Backend, n: usize) -> String {
    marks_from(backend, 1, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_per_back_end() {
        assert_eq!(marks(Backend::Sqlite, 3), "?,?,?");
        assert_eq!(marks(Backend::Postgres, 3), "$1,$2,$3");
        assert_eq!(marks_from(Backend::Postgres, 9, 2), "$9,$10");
        assert_eq!(marks_from(Backend::Sqlite, 9, 2), "?,?");
        assert_eq!(marks(Backend::Sqlite, 0), "");
    }

    /// A SQLite connection is known as one, so it gets plain `?`s (the
    /// PostgreSQL side is checked by every store test run on it).
    #[tokio::test(flavor = "current_thread")]
    async fn a_sqlite_connection_is_known() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open_dir(dir.path()).await.unwrap();
        let conn = store.pool.acquire().await.unwrap();
        assert_eq!(Backend::of(&conn), Backend::Sqlite);
        assert_eq!(store.backend(), Backend::Sqlite);
    }
}
