#!/usr/bin/env python3
"""Baselines for `kizuki bench attribution`: the same join, on the same
normalized port-block intervals and observations, in DuckDB and in SQLite.

DuckDB reads Parquet (converted from the CSV once, untimed) and joins
    ip = ip AND start <= t < end AND lo <= port <= hi
with each thread count. SQLite gets the intervals in a table with an index
on (ip, start), the setup the issue names; it answers a sample of the
observations one by one (it is too slow for all of them) and its rate is
extrapolated. Prints one JSON object on stdout.
"""
import argparse
import csv
import json
import os
import sqlite3
import sys
import time

import duckdb


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--intervals", required=True)
    p.add_argument("--observations", required=True)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--sqlite-sample", type=int, default=20000)
    a = p.parse_args()
    iv_pq = a.intervals[: -len(".csv")] + ".parquet"
    ob_pq = a.observations[: -len(".csv")] + ".parquet"
    con = duckdb.connect()
    for src, dst, cols in (
        (a.intervals, iv_pq, "{'ip': 'UINTEGER', 'lo': 'USMALLINT', 'hi': 'USMALLINT', 'start': 'UINTEGER', 'end': 'UINTEGER', 'inside': 'UINTEGER'}"),
        (a.observations, ob_pq, "{'ip': 'UINTEGER', 'port': 'USMALLINT', 't': 'UINTEGER'}"),
    ):
        if not os.path.exists(dst):
            print(f"converting {src} to Parquet ...", file=sys.stderr)
            con.execute(f"COPY (SELECT * FROM read_csv('{src}', header = true, columns = {cols})) TO '{dst}' (FORMAT parquet)")
    out = {"duckdb_version": duckdb.__version__, "duckdb": {}, "sqlite": {}}
    query = f"""
        SELECT count(*), sum(iv.inside::UBIGINT)
        FROM read_parquet('{ob_pq}') o
        JOIN read_parquet('{iv_pq}') iv
          ON o.ip = iv.ip AND o.t >= iv.start AND o.t < iv."end" AND o.port BETWEEN iv.lo AND iv.hi
    """
    for t in [int(x) for x in a.threads.split(",") if x]:
        best = None
        for _ in range(3):
            con = duckdb.connect()
            con.execute(f"SET threads = {t}")
            start = time.perf_counter()
            n, s = con.execute(query).fetchone()
            secs = time.perf_counter() - start
            if best is None or secs < best["seconds"]:
                best = {"seconds": secs, "matches": int(n), "inside_sum": int(s or 0)}
        out["duckdb"][str(t)] = best
        print(f"DuckDB {t} thread(s): {best['seconds']:.2f} s", file=sys.stderr)

    # SQLite with an index on (ip, start).
    path = a.intervals[: -len(".csv")] + ".sqlite"
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute('CREATE TABLE iv (ip INTEGER, lo INTEGER, hi INTEGER, start INTEGER, "end" INTEGER, inside INTEGER)')
    start = time.perf_counter()
    with open(a.intervals, newline="") as f:
        r = csv.reader(f)
        next(r)
        batch = []
        for row in r:
            batch.append(tuple(int(x) for x in row))
            if len(batch) == 100000:
                db.executemany("INSERT INTO iv VALUES (?, ?, ?, ?, ?, ?)", batch)
                batch.clear()
        db.executemany("INSERT INTO iv VALUES (?, ?, ?, ?, ?, ?)", batch)
    db.execute("CREATE INDEX iv_ip_start ON iv (ip, start)")
    db.commit()
    load = time.perf_counter() - start
    obs = []
    with open(a.observations, newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            obs.append(tuple(int(x) for x in row))
            if len(obs) == a.sqlite_sample:
                break
    q = 'SELECT inside FROM iv WHERE ip = ? AND start <= ? AND "end" > ? AND lo <= ? AND hi >= ?'
    start = time.perf_counter()
    n = s = 0
    for ip, port, t in obs:
        for (inside,) in db.execute(q, (ip, t, t, port, port)):
            n += 1
            s += inside
    secs = time.perf_counter() - start
    total = sum(1 for _ in open(a.observations)) - 1
    out["sqlite"] = {
        "version": sqlite3.sqlite_version,
        "load_seconds": load,
        "sample": len(obs),
        "query_seconds": secs,
        "lookups_per_second": len(obs) / secs if secs else None,
        "seconds_for_all": secs / len(obs) * total if obs else None,
        "matches": n,
        "inside_sum": s,
    }
    db.close()
    os.remove(path)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
