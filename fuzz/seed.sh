#!/usr/bin/env bash
# Seeds each fuzz target's corpus (fuzz/corpus/<target>/) with the
# project's own fixtures from crates/*/tests/data. Targets that read
# several formats take the format from the first byte, so each seed gets
# the byte that names its format.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../crates
corpus=$here/corpus

seed() { # target selector-byte file...
    local target=$1 pick=$2 f
    shift 2
    mkdir -p "$corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] || continue
        local out
        out="$corpus/$target/$(basename "$f")-$pick"
        if [ "$pick" = - ]; then
            cp "$f" "$out"
        else
            { printf "\\x$(printf %02x "$pick")"; cat "$f"; } > "$out"
        fi
    done
}

not_expected() { # dir: inputs only, no expected outputs or options
    find "$1" -maxdepth 1 -type f ! -name '*.expected*' ! -name '*.opts.toml' \
        ! -name '*.toml' ! -name 'README.md' ! -name '*.py' | sort
}

f=$data/kizuki-feeds/tests/data
# The indexes into FEED_NAMES in src/lib.rs.
seed feeds 0 $f/shadowserver-kizuki/*event4_sinkhole*.csv
seed feeds 1 $f/shadowserver-kizuki/*sinkhole_http*.csv
seed feeds 5 $f/shadowserver-kizuki/*botnet_drone*.csv
seed feeds 6 $f/feodo/ipblocklist.csv
seed feeds 7 $f/feodo/ipblocklist.json
seed feeds 8 $(not_expected $f/xarf | grep -v '\.eml$')
seed feeds 9 $f/xarf/*.eml
seed feeds 10 $(not_expected $f/intelmq)
seed feeds 11 $f/csv/police-emotet.csv
# Small generated reports, when a kizuki binary is named (KIZUKI=path):
# the fixtures above are few and odd on purpose; these are plain.
if [ -n "${KIZUKI:-}" ]; then
    g=$(mktemp -d)
    i=0
    for t in event4_sinkhole event4_sinkhole_http event6_sinkhole; do
        "$KIZUKI" gen feed --type $t --rows 20 --seed 1 --bad-share 0.2 -q -o "$g/$t.csv"
        seed feeds $i "$g/$t.csv"
        i=$((i + 1))
    done
    "$KIZUKI" gen feed --type ip-list --rows 20 --seed 1 -q -o "$g/ip-list.csv"
    seed feeds 11 "$g/ip-list.csv"
    rm -rf "$g"
fi
# The shared Shadowserver samples, for KIZUKI_FUZZ_SCHEMA runs: the first
# byte picks a name from the CSV files beside the schema, in byte order.
samples=$here/../../shared/samples/shadowserver
if [ -d "$samples" ]; then
    i=0
    for s in $(cd "$samples" && LC_ALL=C ls -- *.csv); do
        seed feeds-schema $i "$samples/$s"
        i=$((i + 1))
    done
fi
seed mail_notice - $f/mail/*.eml
seed dsn - $data/kizuki-notify/src/dsn/testdata/* $data/kizuki-notify/tests/data/dsn/*
seed emocheck 1 $(not_expected $data/kizuki-cases/tests/data/emocheck | grep -v json)
seed emocheck 2 $(not_expected $data/kizuki-cases/tests/data/emocheck | grep json)
# Format::ALL's order in kizuki-attribution.
a=$data/kizuki-attribution/tests/data
i=0
for d in radius-detail kea-lease4 kea-lease6 dhcpd-leases pba-juniper pba-a10 pba-nfware; do
    seed assignments $i $(not_expected $a/$d 2>/dev/null || true)
    i=$((i + 1))
done
i=0
for d in nfdump zeek srx fortigate; do
    seed flows $i $(not_expected $data/kizuki-flows/tests/data/$d)
    i=$((i + 1))
done
for t in "$corpus"/*; do echo "$(basename "$t"): $(ls "$t" | wc -l) inputs"; done
