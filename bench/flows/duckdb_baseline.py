#!/usr/bin/env python3
"""DuckDB baseline for `kizuki bench flows` (kizuki-flows' bulk matcher).

Loads the same nfdump 1.7 CSV (`flows.csv`) and Feodo Tracker CSV
(`feodo.csv`) the Rust benchmark generates, and runs the equivalent join:

    flow.dstAddr = c2.ip
    AND (c2.port IS NULL OR flow.dstPort = c2.port)
    AND flow.start <= c2.valid_to AND flow.end >= c2.valid_from

where a C2 entry is valid from first_seen through the end of its
last_online day (UTC); without last_online it is open-ended when online,
else 30 days from first_seen; a flow spans firstSeen .. firstSeen +
duration. Times in the generated file are UTC.

Two figures per thread count, best of --repeat runs:
  * csv: read and parse the CSV and join, end to end (what kizuki's figure
    measures);
  * table: the join alone, on the flows already loaded into a table.

Prints one JSON object on stdout (rows/s and the match count).
"""
import argparse
import json
import os
import sys
import time

import duckdb

FLOW_COLUMNS = (
    "{'firstSeen': 'TIMESTAMP', 'duration': 'DOUBLE', 'proto': 'INTEGER', "
    "'srcAddr': 'VARCHAR', 'srcPort': 'INTEGER', 'dstAddr': 'VARCHAR', "
    "'dstPort': 'VARCHAR', 'packets': 'BIGINT', 'bytes': 'BIGINT', 'flows': 'INTEGER'}"
)


def c2_sql(path):
    return f"""
        SELECT column1 AS ip,
               CAST(NULLIF(column2, '') AS VARCHAR) AS port,
               CAST(column0 AS TIMESTAMP) AS valid_from,
               CASE
                 WHEN NULLIF(column4, '') IS NOT NULL THEN
                   greatest(CAST(column4 AS DATE) + INTERVAL 1 DAY - INTERVAL 1 MICROSECOND,
                            CAST(column0 AS TIMESTAMP))
                 WHEN lower(column3) = 'online' THEN TIMESTAMP '9999-12-31 23:59:59'
                 ELSE CAST(column0 AS TIMESTAMP) + INTERVAL 30 DAY
               END AS valid_to
        FROM read_csv('{path}', delim = ',', comment = '#', header = false, quote = '"',
                      auto_detect = false, columns = {{'column0': 'VARCHAR',
                      'column1': 'VARCHAR', 'column2': 'VARCHAR', 'column3': 'VARCHAR',
                      'column4': 'VARCHAR', 'column5': 'VARCHAR'}})
    """


def join_sql(flows_from):
    return f"""
        WITH f AS (
            SELECT dstAddr, dstPort, firstSeen AS s,
                   firstSeen + to_microseconds(CAST(round(duration * 1000000) AS BIGINT)) AS e
            FROM {flows_from}
        )
        SELECT count(*), count(DISTINCT f.s::VARCHAR || f.dstAddr) FROM f
        JOIN c2 ON f.dstAddr = c2.ip
              AND (c2.port IS NULL OR f.dstPort = c2.port)
              AND f.s <= c2.valid_to AND f.e >= c2.valid_from
    """


def best(con, sql, repeat):
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        n, _ = con.execute(sql).fetchone()
        secs = time.perf_counter() - t
        if out is None or secs < out["seconds"]:
            out = {"seconds": secs, "matches": int(n)}
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "kizuki-bench-flows"))
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    flows = os.path.join(a.dir, "flows.csv")
    feodo = os.path.join(a.dir, "feodo.csv")
    for f in (flows, feodo):
        if not os.path.exists(f):
            sys.exit(f"{f} is missing: run the kizuki flows benchmark first (it generates the data)")
    rows = None
    out = {"duckdb_version": duckdb.__version__, "flows": flows, "csv": {}, "table": {}}
    csv_from = (f"read_csv('{flows}', delim = ',', header = true, auto_detect = false, "
                f"columns = {FLOW_COLUMNS}, timestampformat = '%Y-%m-%d %H:%M:%S.%g')")
    for t in [int(x) for x in a.threads.split(",") if x]:
        con = duckdb.connect()
        con.execute(f"SET threads = {t}")
        con.execute(f"CREATE TABLE c2 AS {c2_sql(feodo)}")
        if rows is None:
            rows = con.execute(f"SELECT count(*) FROM {csv_from}").fetchone()[0]
            out["rows"] = int(rows)
            out["c2_entries"] = int(con.execute("SELECT count(*) FROM c2").fetchone()[0])
        r = best(con, join_sql(csv_from), a.repeat)
        r["rows_per_sec"] = rows / r["seconds"]
        out["csv"][str(t)] = r
        print(f"DuckDB {t} thread(s), from CSV: {r['seconds']:.2f} s, "
              f"{r['rows_per_sec'] / 1e6:.2f} M rows/s, {r['matches']} matches", file=sys.stderr)
        t0 = time.perf_counter()
        con.execute(f"CREATE TABLE flows AS SELECT * FROM {csv_from}")
        load = time.perf_counter() - t0
        r = best(con, join_sql("flows"), a.repeat)
        r["rows_per_sec"] = rows / r["seconds"]
        r["load_seconds"] = load
        out["table"][str(t)] = r
        print(f"DuckDB {t} thread(s), loaded table: {r['seconds']:.2f} s join "
              f"(+{load:.2f} s load), {r['matches']} matches", file=sys.stderr)
        con.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
