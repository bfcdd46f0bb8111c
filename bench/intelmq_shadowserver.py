#!/usr/bin/env python3
"""Run IntelMQ 3.5.0's Shadowserver parser in library mode (no Redis).

Two jobs:

* golden: parse CSV files and print, per file, the JSON lines IntelMQ's file
  output would write (flat keys, sorted, ``ensure_ascii=False``) plus the
  rejected lines. kizuki's golden files are generated with this and checked
  by hand.
* bench: time parse + validate + JSON serialization of one CSV file and print
  rows/s. This is the baseline for ``kizuki bench ingest``.

Usage (inside the venv made by bench/setup-intelmq.sh):

    python bench/intelmq_shadowserver.py golden --schema SCHEMA --out DIR FILE.csv...
    python bench/intelmq_shadowserver.py bench --schema SCHEMA FILE.csv
"""
import argparse
import base64
import json
import os
import sys
import time

OBSERVATION = "2026-01-01T00:00:00+00:00"


def pin_today():
    """IntelMQ's fuzzy date parser fills missing date parts from today's date
    (an empty ``convert_date_utc`` value becomes today at midnight). Pin
    "today" to the observation day so that the output is reproducible; kizuki
    uses the observation day for the same purpose."""
    import datetime
    import dateutil.parser
    import intelmq.lib.harmonization as harm

    real_parse = dateutil.parser.parse
    today = datetime.datetime.fromisoformat(OBSERVATION).replace(tzinfo=None)

    def parse(value, *args, **kwargs):
        kwargs.setdefault("default", today)
        return real_parse(value, *args, **kwargs)

    harm.dateutil.parser.parse = parse


def make_bot(schema_path):
    pin_today()
    import intelmq
    from intelmq.lib.bot import BotLibSettings
    import intelmq.bots.parsers.shadowserver._config as config
    from intelmq.bots.parsers.shadowserver.parser import ShadowserverParserBot

    # The parser reads its schema from a fixed path; point it at ours.
    conf = config.__dict__["__config"]
    conf.schema_file = os.path.abspath(schema_path)
    conf.schema_active = conf.schema_file
    conf.schema_mtime = 0.0
    bot = ShadowserverParserBot("shadowserver-parser", settings=BotLibSettings | {
        "logging_level": "CRITICAL",
    })
    return bot


def report_for(path, data):
    return {
        "__type": "Report",
        "raw": base64.b64encode(data).decode(),
        "extra.file_name": os.path.basename(path),
        "feed.provider": "Shadowserver",
        "time.observation": OBSERVATION,
    }


def run(bot, path, data):
    state = bot.process_message(report_for(path, data))
    events = state.get("output", [])
    errors = state.get("error", [])
    return events, errors


def golden(args):
    bot = make_bot(args.schema)
    os.makedirs(args.out, exist_ok=True)
    for path in args.files:
        with open(path, "rb") as fh:
            data = fh.read()
        try:
            events, errors = run(bot, path, data)
        except ValueError as exc:
            # the whole file is refused (e.g. unknown report type)
            print(f"{path}: refused: {exc}", file=sys.stderr)
            continue
        stem = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(args.out, stem + ".jsonl"), "w", encoding="utf-8") as out:
            for ev in events:
                out.write(ev.to_json(hierarchical=False, with_type=False) + "\n")
        with open(os.path.join(args.out, stem + ".rejects"), "w", encoding="utf-8") as out:
            for err in errors:
                raw = base64.b64decode(err["raw"]).decode("utf-8", "replace")
                # the last line of the recovered report is the offending row
                out.write(raw.splitlines()[-1] + "\n")
        print(f"{path}: {len(events)} events, {len(errors)} rejected", file=sys.stderr)


def bench(args):
    """Parse + validate + serialize every row of one file, in reports of
    ``--chunk`` rows (each with the header), so memory stays bounded; the
    per-row work is the same as one big report."""
    bot = make_bot(args.schema)
    with open(args.files[0], "rb") as fh:
        data = fh.read()
    header, _, body = data.partition(b"\n")
    lines = body.splitlines(keepends=True)
    rows = len(lines)
    sink = open(os.devnull, "w", encoding="utf-8")
    events = rejected = 0
    start = time.perf_counter()
    for i in range(0, rows, args.chunk):
        chunk = header + b"\n" + b"".join(lines[i:i + args.chunk])
        evs, errs = run(bot, args.files[0], chunk)
        for ev in evs:
            sink.write(ev.to_json(hierarchical=False, with_type=False) + "\n")
        events += len(evs)
        rejected += len(errs)
    elapsed = time.perf_counter() - start
    print(json.dumps({
        "file": args.files[0],
        "rows": rows,
        "events": events,
        "rejected": rejected,
        "seconds": round(elapsed, 3),
        "rows_per_second": round(rows / elapsed, 1),
    }))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["golden", "bench"])
    p.add_argument("--schema", required=True)
    p.add_argument("--out")
    p.add_argument("--chunk", type=int, default=10000, help="rows per report in bench mode")
    p.add_argument("files", nargs="+")
    args = p.parse_args()
    if args.mode == "golden":
        if not args.out:
            p.error("golden needs --out")
        golden(args)
    else:
        bench(args)


if __name__ == "__main__":
    main()
