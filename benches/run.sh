#!/usr/bin/env bash
# heard's scale benchmarks: 1k to 1M documents, side by side with ripgrep and bare tantivy.
# See benches/README.md. This is its own command, never part of `cargo test`.
#
#   benches/run.sh                          # SIZES="1000 10000 100000 1000000"
#   SIZES="1000 10000" benches/run.sh       # some sizes only
#   REPORT_ONLY=1 SIZES="1000 10000 100000 1000000" benches/run.sh   # table from stored results
#
# Environment: SIZES, SEED (42), BENCH_DIR (/tmp/heard-bench), RUNS (hyperfine runs, default
# by size), COLD=1 (also time a refresh with the page cache dropped: needs root),
# SKIP_BUILD=1, OUT (the Markdown file, default benches/results-<date>.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SIZES=${SIZES:-"1000 10000 100000 1000000"}
SEED=${SEED:-42}
BENCH_DIR=${BENCH_DIR:-/tmp/heard-bench}
OUT=${OUT:-$ROOT/benches/results-$(date +%F).md}
QUERIES=$ROOT/benches/queries.txt
CONSULTATION=responses/national-evidence-2026
# The binaries are copied here after the build, so that a rebuild of target/ while the
# benchmark runs cannot change what is measured.
BIN=$BENCH_DIR/bin
HEARD=$BIN/heard
EX=$BIN
export NO_COLOR=1 RUST_BACKTRACE=0
RESULTS=${RESULTS:-$BENCH_DIR/results}
mkdir -p "$RESULTS"

need() { command -v "$1" >/dev/null || { echo "error: $1 is missing: $2" >&2; exit 2; }; }
need hyperfine "apt-get install -y hyperfine"
need rg "apt-get install -y ripgrep"
need jq "apt-get install -y jq"
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is missing: apt-get install -y time" >&2; exit 2; }

src_hash() { find "$ROOT/src" -name '*.rs' | sort | xargs cat | sha256sum | cut -c1-16; }
built_hash() { cat "$BIN/src-sha256" 2>/dev/null || echo '?'; }
log() { printf '\n== %s\n' "$*" >&2; }

# Single-quote a word for hyperfine -N (which splits commands like a POSIX shell).
sq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

# Peak RSS (MB) from a /usr/bin/time -v log.
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$1"; }

# Run a command under /usr/bin/time -v; echo "seconds rss_mb" (seconds from the clock, as
# /usr/bin/time rounds to 10 ms). Exit codes 0 and 1 are ok (`heard index` exits 1 when
# files have problems).
timed() {
  local log=$1; shift
  local rc=0 t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -v "$@" >"$log.out" 2>"$log" || rc=$?
  t1=$(date +%s%N)
  if [ "$rc" -gt 1 ]; then
    echo "error: $* exited $rc; see $log" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}') $(rss_mb "$log")"
}

# Peak anonymous and file-backed RSS (MB) of the child of process $1 (the program run by
# /usr/bin/time), sampled every 0.2 s until it exits: "anon_mb file_mb" into $2. File-backed
# pages are mostly tantivy's memory-mapped segment files, which the kernel can drop.
sample_rss() {
  local tp=$1 out=$2 child="" anon=0 file=0 a f
  while kill -0 "$tp" 2>/dev/null; do
    [ -z "$child" ] && child=$(pgrep -P "$tp" | head -1)
    if [ -n "$child" ]; then
      read -r a f < <(awk '/^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print a+0, f+0}' \
        "/proc/$child/status" 2>/dev/null || echo "0 0")
      [ "${a:-0}" -gt "$anon" ] && anon=$a
      [ "${f:-0}" -gt "$file" ] && file=$f
    fi
    sleep 0.2
  done
  awk -v a="$anon" -v f="$file" 'BEGIN {printf "%.1f %.1f\n", a / 1024, f / 1024}' >"$out"
}

# As `timed`, also sampling the RSS split (see sample_rss) into $log.rss.
timed_sampled() {
  local log=$1; shift
  local rc=0 t0 t1 tp sp
  t0=$(date +%s%N)
  /usr/bin/time -v "$@" >"$log.out" 2>"$log" &
  tp=$!
  sample_rss "$tp" "$log.rss" &
  sp=$!
  wait "$tp" || rc=$?
  t1=$(date +%s%N)
  wait "$sp" || true
  if [ "$rc" -gt 1 ]; then
    echo "error: $* exited $rc; see $log" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}') $(rss_mb "$log")"
}

# Percentile p (0-100) of all run times (seconds) in hyperfine JSON files, in ms.
pct_ms() {
  local p=$1; shift
  jq -s --argjson p "$p" '[.[].results[].times[]] | sort |
      .[((length - 1) * $p / 100 | round)] * 1000' "$@"
}
mean_ms() { jq -s '[.[].results[].mean] | add / length * 1000' "$@"; }
median_of_means_ms() { jq -s '[.[].results[].mean] | sort | .[(length - 1) / 2 | floor] * 1000' "$@"; }

machine() {
  local cpu
  cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
  echo "- CPU: $(nproc) cores ($cpu)"
  echo "- Memory: $(free -h | awk '/^Mem:/ {print $2}') RAM, $(free -h | awk '/^Swap:/ {print $2}') swap"
  echo "- Disk: $(df -h "$BENCH_DIR" | awk 'NR==2 {print $1", "$2" ("$5" used)"}'), rotational=$(cat /sys/block/"$(basename "$(df "$BENCH_DIR" | awk 'NR==2 {print $1}')")"/queue/rotational 2>/dev/null || echo '?'), filesystem $(df -T "$BENCH_DIR" | awk 'NR==2 {print $2}')"
  echo "- Kernel: $(uname -sr); $(rustc --version 2>/dev/null || echo rustc ?); hyperfine $(hyperfine --version | awk '{print $2}'); $(rg --version | head -1)"
}

report() {
  {
    echo "# heard scale benchmark results ($(date +%F))"
    echo
    echo "Generated by \`benches/run.sh\` (seed $SEED) from heard's source as it was at build time"
    echo "(sha256 of src/**/*.rs: \`$(built_hash)\`, built $(date -r "$HEARD" '+%F %T' 2>/dev/null || echo '?')). Machine:"
    echo
    machine
    echo
    echo "Times are wall-clock, with the corpus in the page cache unless marked cold."
    echo "\"process\" = a whole \`heard\` process (hyperfine); \"in-process\" = the library API"
    echo "(examples/search_latency.rs). Ratios: heard/bare = heard's full build time over the bare"
    echo "tantivy floor's (examples/bare_tantivy.rs); rg/heard = ripgrep's time over heard's for the"
    echo "same sample queries (median of per-query means)."
    echo
    echo "| docs | corpus MB | build s | MB/s | build peak RSS MB (anon / file) | bare tantivy s | heard/bare | index MB | no-op refresh ms (process / in-process / walk only) | cold no-op refresh ms | touch 1 file ms | change 1 file ms | change 1% s (files) | search p50 / p99 ms in-process | search p50 / p99 ms process | same, refresh=folders | search peak RSS MB | rg -i -l ms | rg/heard process | rg/heard in-process | draft 10q in-process ms | draft 10q process ms | draft peak RSS MB |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
    for n in $SIZES; do
      local f=$RESULTS/s$SEED-n$n.json
      [ -f "$f" ] || continue
      jq -r '
        def r(x; d): if x == null then "–" else (x * pow(10; d) | round) / pow(10; d) | tostring end;
        "| \(.docs) | \(r(.corpus_mb; 1)) | \(r(.build_s; 2)) | \(r(.build_mb_s; 1)) | \(r(.build_rss_mb; 0)) (\(r(.build_rss_anon_mb; 0)) / \(r(.build_rss_file_mb; 0))) | \(r(.bare_s; 2)) | \(r(.heard_over_bare; 2)) | \(r(.index_mb; 0)) | \(r(.noop_process_ms; 0)) / \(r(.noop_inproc_ms; 0)) / \(r(.walk_ms; 0)) | \(r(.noop_cold_ms; 0)) | \(r(.touch1_ms; 0)) | \(r(.change1_ms; 0)) | \(r(.change1pct_s; 2)) (\(.change1pct_files)) | \(r(.search_p50_ms; 2)) / \(r(.search_p99_ms; 2)) | \(r(.proc_p50_ms; 0)) / \(r(.proc_p99_ms; 0)) | \(r(.folders_p50_ms; 0)) / \(r(.folders_p99_ms; 0)) | \(r(.search_rss_mb; 0)) | \(r(.rg_ms; 0)) | \(r(.rg_over_proc; 1)) | \(r(.rg_over_inproc; 0)) | \(r(.draft_inproc_ms; 0)) | \(r(.draft_proc_ms; 0)) | \(r(.draft_rss_mb; 0)) |"' "$f"
    done
    echo
    echo "Bare tantivy search floor (same queries, text only, top 10 + count, in-process):"
    echo
    for n in $SIZES; do
      local f=$RESULTS/s$SEED-n$n.json
      [ -f "$f" ] || continue
      jq -r '"- \(.docs) docs: p50 \(.bare_search.p50_ms * 1000 | round / 1000) ms, p99 \(.bare_search.p99_ms * 1000 | round / 1000) ms; bare build peak RSS \(.bare_rss_mb) MB, \(.bare_mb_s * 10 | round / 10) MB/s"' "$f"
    done
    echo
    echo "Slowest in-process queries (p50 over rounds is in the table; these are single runs):"
    echo
    for n in $SIZES; do
      local f=$RESULTS/s$SEED-n$n.json
      [ -f "$f" ] || continue
      jq -r '"- \(.docs) docs: " + ([.inproc.search.slowest[] | "`\(.query)` \(.ms * 10 | round / 10) ms"] | join("; "))' "$f"
    done
    echo
    echo "Raw results: \`$RESULTS/s$SEED-n<N>.json\` (and hyperfine JSON beside them)."
  } >"$OUT"
  cat "$OUT"
}

if [ "${REPORT_ONLY:-0}" = 1 ]; then
  report
  exit 0
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building (cargo build --release --examples --bins)"
  cargo build --release --examples --bins >&2
fi
mkdir -p "$BIN"
if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -x "$HEARD" ]; then
  cp target/release/heard target/release/examples/{gen_corpus,bare_tantivy,search_latency} "$BIN/"
  src_hash >"$BIN/src-sha256"
fi

for n in $SIZES; do
  lib=$BENCH_DIR/lib-s$SEED-n$n
  res=$RESULTS/s$SEED-n$n
  mkdir -p "$res"
  # At 1M a search process takes seconds (see BENCHMARKS.md): fewer runs, no warm-up (the
  # steps before leave the page cache warm), so that the whole size runs in about 30 min.
  warm=$([ "$n" -ge 1000000 ] && echo 0 || echo 1)
  runs=${RUNS:-$(if [ "$n" -le 1000 ]; then echo 20; elif [ "$n" -le 10000 ]; then echo 10; elif [ "$n" -le 100000 ]; then echo 5; else echo 3; fi)}

  # --- corpus (cached by seed and size)
  if [ ! -f "$lib/.complete" ]; then
    log "generating $n documents (seed $SEED) in $lib"
    rm -rf "$lib"
    "$EX/gen_corpus" --docs "$n" --seed "$SEED" --out "$lib" >"$res/gen.json"
    touch "$lib/.complete"
  fi
  corpus_bytes=$(jq .corpus_bytes "$lib/bench-corpus.json")
  (cd "$lib" && find corpus -name '*.md' | sort) >"$res/files.txt"
  log "n=$n: $(wc -l <"$res/files.txt") files, $((corpus_bytes / 1000000)) MB; load: $(cut -d' ' -f1-3 /proc/loadavg)"

  # Read every file once so that both builds start with the same (warm) page cache.
  rg -l -g '*.md' zzzzqqqq "$lib/corpus" >/dev/null || true

  # --- bare tantivy floor
  log "n=$n: bare tantivy index"
  read -r bare_s bare_rss < <(timed "$res/bare-index.time" "$EX/bare_tantivy" index "$lib" "$BENCH_DIR/bare-index-n$n")
  bare_json=$(cat "$res/bare-index.time.out")
  "$EX/bare_tantivy" search "$BENCH_DIR/bare-index-n$n" "$QUERIES" >"$res/bare-search.json"
  rm -rf "$BENCH_DIR/bare-index-n$n"

  # --- full build
  log "n=$n: heard full index build"
  rm -rf "$lib/.heard"
  read -r build_s build_rss < <(timed_sampled "$res/build.time" "$HEARD" -C "$lib" index)
  read -r build_anon build_file <"$res/build.time.rss"
  tail -2 "$res/build.time" >&2 || true
  index_mb=$(du -sm "$lib/.heard/index" | cut -f1)
  manifest_mb=$(du -m "$lib/.heard/manifest.json" | cut -f1)

  # --- the stat walk: a refresh with nothing changed
  log "n=$n: no-op refresh (heard index, nothing changed)"
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$res/noop.json" \
    "$HEARD -C $lib index" >&2
  noop_cold=null
  if [ "${COLD:-0}" = 1 ]; then
    hyperfine -N --runs 3 --prepare "sh -c 'sync; echo 3 > /proc/sys/vm/drop_caches'" \
      --export-json "$res/noop-cold.json" "$HEARD -C $lib index" >&2
    noop_cold=$(mean_ms "$res/noop-cold.json")
    rg -l -g '*.md' zzzzqqqq "$lib/corpus" >/dev/null || true
  fi

  # --- incremental updates
  one=$lib/$(grep -m1 '^corpus/testimonies/' "$res/files.txt")
  one_size=$(stat -c %s "$one")
  log "n=$n: touch 1 file"
  hyperfine -N --runs "$runs" --prepare "touch $one" --export-json "$res/touch1.json" \
    "$HEARD -C $lib index" >&2
  log "n=$n: change 1 file"
  hyperfine --shell=bash --runs "$runs" \
    --prepare "echo \"Added in review \$RANDOM\$RANDOM: the tenancy support worker phoned back.\" >> $one" \
    --export-json "$res/change1.json" "$HEARD -C $lib index" >&2
  truncate -s "$one_size" "$one"
  "$HEARD" -C "$lib" index >/dev/null 2>&1 || true

  # 1%: every 100th file, changed again before each run.
  awk 'NR % 100 == 50' "$res/files.txt" >"$res/pct-files.txt"
  pct_n=$(wc -l <"$res/pct-files.txt")
  (cd "$lib" && xargs stat -c '%s %n' <"$res/pct-files.txt") >"$res/pct-sizes.txt"
  cat >"$res/mutate.sh" <<EOF
#!/usr/bin/env bash
# Append a line to each of the 1% files (a new paragraph: every file's content changes).
cd "$lib"
tag=\$RANDOM\$RANDOM
while read -r f; do echo "Added in review \$tag: the outreach team followed up." >>"\$f"; done <"$res/pct-files.txt"
EOF
  chmod +x "$res/mutate.sh"
  log "n=$n: change 1% ($pct_n files)"
  pct_runs=$((runs < 5 ? runs : 5))
  hyperfine -N --runs "$pct_runs" --prepare "$res/mutate.sh" --export-json "$res/change1pct.json" \
    "$HEARD -C $lib index" >&2
  read -r _ pct_rss < <("$res/mutate.sh"; timed "$res/change1pct.time" "$HEARD" -C "$lib" index)
  (cd "$lib" && while read -r size f; do truncate -s "$size" "$f"; done <"$res/pct-sizes.txt")
  "$HEARD" -C "$lib" index >/dev/null 2>&1 || true

  # --- search: in-process (all queries) and draft in-process
  log "n=$n: in-process search and draft (examples/search_latency)"
  "$EX/search_latency" "$lib" "$QUERIES" --rounds 5 --refreshes "$runs" \
    --draft "$CONSULTATION" --draft-runs 3 >"$res/inproc.json"
  jq -c '{search: .search | {p50_ms, p99_ms, max_ms}, noop_refresh_ms, walk_ms, draft: .draft.median_ms}' "$res/inproc.json" >&2

  # --- search: whole processes, and rg for the same queries (every 5th query)
  log "n=$n: heard search processes and rg"
  rm -f "$res"/proc-*.json "$res"/rg-*.json "$res"/procrg-*.json
  proc_runs=${PROC_RUNS:-$([ "$n" -ge 1000000 ] && echo 2 || echo "$runs")}
  i=0
  # Every 5th query; fields split on \x1f so that empty ones survive `read`.
  awk -F'\t' '!/^#/ && !/^[[:space:]]*$/ { if (n++ % 5 == 0) printf "%s\x1f%s\x1f%s\n", $1, $2, $3 }' "$QUERIES" |
    while IFS=$'\x1f' read -r q flags pattern; do
    i=$((i + 1))
    cmd="$HEARD -C $lib search"
    [ -n "$q" ] && cmd="$cmd $(sq "$q")"
    [ -n "$flags" ] && cmd="$cmd $flags"
    hyperfine -N --warmup "$warm" --runs "$proc_runs" --export-json "$res/proc-$i.json" "$cmd" >/dev/null
    if [ -n "$pattern" ]; then
      hyperfine -N -i --warmup "$warm" --runs "$(((proc_runs + 1) / 2))" --export-json "$res/rg-$i.json" \
        "rg -i -l -g '*.md' -e $(sq "$pattern") $lib/corpus" >/dev/null
      cp "$res/proc-$i.json" "$res/procrg-$i.json"
    fi
    printf '  %-60s heard %7.1f ms   rg %s\n' "$q $flags" \
      "$(jq '.results[0].mean * 1000' "$res/proc-$i.json")" \
      "$( [ -n "$pattern" ] && jq '.results[0].mean * 1000 | round | tostring + " ms"' -r "$res/rg-$i.json" || echo '-')" >&2
  done
  read -r _ search_rss < <(timed "$res/search.time" "$HEARD" -C "$lib" search '"temporary accommodation"' --tag housing)

  # --- the same searches with `refresh = "folders"` in heard.toml (only folders whose
  # contents changed are looked into), when this heard has the setting; and whether an
  # in-place edit is then seen by the next search (it is not, until `heard index`).
  folders_p50=null folders_p99=null folders_stale=null
  cp "$lib/heard.toml" "$res/heard.toml.orig"
  printf '\nrefresh = "folders"\n' >>"$lib/heard.toml"
  if "$HEARD" -C "$lib" search eviction >/dev/null 2>&1; then
    log "n=$n: heard search processes with refresh = \"folders\""
    rm -f "$res"/folders-*.json
    j=0
    awk -F'\t' '!/^#/ && !/^[[:space:]]*$/ { if (n++ % 5 == 0) printf "%s\x1f%s\n", $1, $2 }' "$QUERIES" |
      while IFS=$'\x1f' read -r q flags; do
        j=$((j + 1))
        cmd="$HEARD -C $lib search"
        [ -n "$q" ] && cmd="$cmd $(sq "$q")"
        [ -n "$flags" ] && cmd="$cmd $flags"
        hyperfine -N --warmup 1 --runs "$runs" --export-json "$res/folders-$j.json" "$cmd" >/dev/null
      done
    folders_p50=$(pct_ms 50 "$res"/folders-*.json)
    folders_p99=$(pct_ms 99 "$res"/folders-*.json)
    one_size=$(stat -c %s "$one")
    echo "Added in review: zyxwvutsr." >>"$one"
    hits=$("$HEARD" -C "$lib" search zyxwvutsr --json 2>/dev/null | jq '.total')
    folders_stale=$([ "$hits" = 0 ] && echo true || echo false)
    truncate -s "$one_size" "$one"
    echo "  p50 $folders_p50 ms, p99 $folders_p99 ms; an in-place edit unseen by the next search: $folders_stale" >&2
  fi
  cp "$res/heard.toml.orig" "$lib/heard.toml"
  "$HEARD" -C "$lib" index >/dev/null 2>&1 || true

  # --- draft, whole process
  log "n=$n: heard draft (10 questions)"
  hyperfine -N --warmup 1 --runs "$((runs < 5 ? runs : 5))" --export-json "$res/draft.json" \
    "$HEARD -C $lib draft $CONSULTATION" >&2
  read -r _ draft_rss < <(timed "$res/draft.time" "$HEARD" -C "$lib" draft "$CONSULTATION")

  # --- collect
  jq -n \
    --argjson docs "$n" --argjson corpus_bytes "$corpus_bytes" \
    --argjson build_s "$build_s" --argjson build_rss "$build_rss" \
    --argjson build_anon "$build_anon" --argjson build_file "$build_file" \
    --argjson bare "$bare_json" --argjson bare_s "$bare_s" --argjson bare_rss "$bare_rss" \
    --slurpfile bare_search "$res/bare-search.json" \
    --argjson index_mb "$index_mb" --argjson manifest_mb "$manifest_mb" \
    --argjson noop "$(mean_ms "$res/noop.json")" --argjson noop_cold "$noop_cold" \
    --argjson touch1 "$(mean_ms "$res/touch1.json")" \
    --argjson change1 "$(mean_ms "$res/change1.json")" \
    --argjson change1pct "$(mean_ms "$res/change1pct.json")" --argjson pct_n "$pct_n" \
    --argjson pct_rss "$pct_rss" \
    --slurpfile inproc "$res/inproc.json" \
    --argjson proc_p50 "$(pct_ms 50 "$res"/proc-*.json)" \
    --argjson proc_p99 "$(pct_ms 99 "$res"/proc-*.json)" \
    --argjson proc_rg_med "$(median_of_means_ms "$res"/procrg-*.json)" \
    --argjson rg_med "$(median_of_means_ms "$res"/rg-*.json)" \
    --argjson search_rss "$search_rss" \
    --argjson folders_p50 "$folders_p50" --argjson folders_p99 "$folders_p99" \
    --argjson folders_stale "$folders_stale" \
    --argjson draft_proc "$(mean_ms "$res/draft.json")" --argjson draft_rss "$draft_rss" \
    --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --arg src "$(built_hash)" \
    '{
      docs: $docs, corpus_mb: ($corpus_bytes / 1e6),
      build_s: $build_s, build_mb_s: ($corpus_bytes / 1e6 / $build_s), build_rss_mb: $build_rss,
      build_rss_anon_mb: $build_anon, build_rss_file_mb: $build_file,
      bare_s: $bare_s, bare_wall_s: $bare.seconds, bare_mb_s: $bare.mb_per_s, bare_rss_mb: $bare_rss,
      heard_over_bare: ($build_s / $bare_s),
      bare_search: $bare_search[0],
      index_mb: $index_mb, manifest_mb: $manifest_mb,
      noop_process_ms: $noop, noop_cold_ms: $noop_cold,
      noop_inproc_ms: $inproc[0].noop_refresh_ms.p50, walk_ms: $inproc[0].walk_ms.p50,
      touch1_ms: $touch1, change1_ms: $change1,
      change1pct_s: ($change1pct / 1000), change1pct_files: $pct_n, change1pct_rss_mb: $pct_rss,
      search_p50_ms: $inproc[0].search.p50_ms, search_p99_ms: $inproc[0].search.p99_ms,
      proc_p50_ms: $proc_p50, proc_p99_ms: $proc_p99, search_rss_mb: $search_rss,
      folders_p50_ms: $folders_p50, folders_p99_ms: $folders_p99, folders_stale: $folders_stale,
      rg_ms: $rg_med, proc_rg_ms: $proc_rg_med,
      rg_over_proc: ($rg_med / $proc_rg_med),
      rg_over_inproc: ($rg_med / $inproc[0].search.p50_ms),
      draft_inproc_ms: $inproc[0].draft.median_ms, draft_proc_ms: $draft_proc, draft_rss_mb: $draft_rss,
      inproc: $inproc[0], load_after: $load, src_sha256: $src
    }' >"$RESULTS/s$SEED-n$n.json"
  log "n=$n: done"
  jq -c 'del(.inproc, .bare_search)' "$RESULTS/s$SEED-n$n.json" >&2
done

report
