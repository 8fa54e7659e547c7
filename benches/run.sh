#!/usr/bin/env bash
# heard's scale benchmarks: 1k to 1M documents, side by side with ripgrep and bare tantivy,
# measuring every target of issues 5 and 12 in one run (ratios taken in the same run).
# See benches/README.md. This is its own command, never part of `cargo test`.
#
#   benches/run.sh                          # SIZES="1000 10000 100000 1000000"
#   SIZES="1000 10000" benches/run.sh       # some sizes only (a size can be re-run alone)
#   FULL=1 SIZES=1000000 benches/run.sh     # 1M with everything (over an hour here)
#   REPORT_ONLY=1 benches/run.sh            # the tables from stored results
#
# Environment: SIZES (each at most 1000000), SEED (42), BENCH_DIR (/tmp/heard-bench), RUNS
# (hyperfine runs, default by size), FULL=1 (at 1M, also what takes long: see the README),
# COLD=1 (also time a refresh with the page cache dropped: needs root), SKIP_BUILD=1, OUT
# (the Markdown file, default benches/results-<date>.md), RESULTS, MIN_FREE_GB (12),
# WATCH_WAIT (seconds to wait for `heard watch` to be ready), CLEAN=1 (delete each library
# and its index once measured).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SIZES=${SIZES:-"1000 10000 100000 1000000"}
SEED=${SEED:-42}
BENCH_DIR=${BENCH_DIR:-/tmp/heard-bench}
OUT=${OUT:-$ROOT/benches/results-$(date +%F).md}
QUERIES=$ROOT/benches/queries.txt
CONSULTATION=responses/national-evidence-2026
FULL=${FULL:-0}
MIN_FREE_GB=${MIN_FREE_GB:-12}
# `heard index` embeds every text not yet in .heard/embeddings/ (the meaning model): about
# 13 ms of CPU a text, some 6.5 texts a source, so hours from 10k sources on. Above
# EMBED_MAX sources (all sizes with FULL=1) the refreshes are timed with a `heard search`
# for a word in no file (the same refresh, which never embeds) instead of `heard index`.
# Drafts are measured at every size: above 2,000 texts without a meaning (heard's
# EMBED_ALL_BELOW) a draft embeds only the candidates it looks at (the first draft of a
# library some thousands of texts, the next ones only what is new) and says how much of the
# library's meaning is known; so are check and export of the draft.
EMBED_MAX=${EMBED_MAX:-$([ "$FULL" = 1 ] && echo 1000000 || echo 1000)}
# The binaries are copied here after the build, so that a rebuild of target/ while the
# benchmark runs cannot change what is measured.
BIN=$BENCH_DIR/bin
HEARD=$BIN/heard
EX=$BIN
export NO_COLOR=1 RUST_BACKTRACE=0
RESULTS=${RESULTS:-$BENCH_DIR/results}
mkdir -p "$RESULTS"

for n in $SIZES; do
  case $n in
    *[!0-9]*) echo "error: SIZES must be numbers of documents, got \`$n\`" >&2; exit 2 ;;
  esac
  if [ "$n" -gt 1000000 ]; then
    echo "error: SIZES=\"$SIZES\": sizes are capped at 1000000 (a 1M run takes about 45 minutes on 2 cores; more would not fit this machine's disk and time). Use 1000000 or less." >&2
    exit 2
  fi
done

need() { command -v "$1" >/dev/null || { echo "error: $1 is missing: $2" >&2; exit 2; }; }
need hyperfine "apt-get install -y hyperfine"
need rg "apt-get install -y ripgrep"
need jq "apt-get install -y jq"
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is missing: apt-get install -y time" >&2; exit 2; }

src_hash() { find "$ROOT/src" -name '*.rs' | sort | xargs cat | sha256sum | cut -c1-16; }
built_hash() { cat "$BIN/src-sha256" 2>/dev/null || echo '?'; }
built_commit() { cat "$BIN/commit" 2>/dev/null || echo '?'; }
log() { printf '\n== %s\n' "$*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
now_ns() { date +%s%N; }

# Single-quote a word for hyperfine -N (which splits commands like a POSIX shell).
sq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

# Peak RSS (MB) from a /usr/bin/time -v log.
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$1"; }

# Run a command under /usr/bin/time -v; echo "seconds rss_mb" (seconds from the clock, as
# /usr/bin/time rounds to 10 ms); its exit code goes to $log.rc. Exit codes 0 and 1 are ok
# (`heard index` and `heard check` exit 1 when they find problems).
timed() {
  local log=$1; shift
  local rc=0 t0 t1
  t0=$(now_ns)
  /usr/bin/time -v "$@" >"$log.out" 2>"$log" </dev/null || rc=$?
  t1=$(now_ns)
  echo "$rc" >"$log.rc"
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
  t0=$(now_ns)
  /usr/bin/time -v "$@" >"$log.out" 2>"$log" </dev/null &
  tp=$!
  sample_rss "$tp" "$log.rss" &
  sp=$!
  wait "$tp" || rc=$?
  t1=$(now_ns)
  wait "$sp" || true
  echo "$rc" >"$log.rc"
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
  [ $# -gt 0 ] || { echo null; return; }
  jq -s --argjson p "$p" '[.[].results[].times[]] | sort |
      .[((length - 1) * $p / 100 | round)] * 1000' "$@"
}
mean_ms() { jq -s '[.[].results[].mean] | add / length * 1000' "$@"; }
median_of_means_ms() {
  [ $# -gt 0 ] || { echo null; return; }
  jq -s '[.[].results[].mean] | sort | .[(length - 1) / 2 | floor] * 1000' "$@"
}
# p50, p99 and max of a file of numbers (one a line) as JSON, or null when it is empty.
stats_json() {
  jq -s 'if length == 0 then null else sort as $s | {
      p50_ms: $s[((length - 1) / 2 | round)], p99_ms: $s[((length - 1) * 0.99 | round)],
      max_ms: $s[-1], runs: length } end' "$1"
}

# Record one field of this size's results (a JSON value) in $res/parts.jsonl.
put() { jq -cn --arg k "$1" --argjson v "$2" '{($k): $v}' >>"$res/parts.jsonl"; }
# JSON number or null from a shell word.
num() { if [ -n "${1:-}" ] && [ "$1" != null ]; then echo "$1"; else echo null; fi; }

# rg over the corpus / `heard search` as a process, for the sampled queries that have a
# ripgrep pattern and were run in MODE (median of per-query means, each side).
rg_ratio() {
  local mode=$1 i rgs=() heards=()
  for f in "$res"/rg-*.json; do
    [ -f "$f" ] || continue
    i=${f##*/rg-}; i=${i%.json}
    [ -f "$res/$mode-$i.json" ] || continue
    rgs+=("$f"); heards+=("$res/$mode-$i.json")
  done
  [ ${#rgs[@]} -gt 0 ] || { echo "null null"; return; }
  echo "$(median_of_means_ms "${rgs[@]}") $(median_of_means_ms "${heards[@]}")"
}

# `heard search` processes for the sampled queries ($res/sample.txt), into $res/MODE-<i>.json.
# With "some", only every 4th sampled query (at 1M, where each takes seconds).
search_procs() {
  local mode=$1 runs=$2 warm=$3 which=${4:-all} i=0 q flags pattern cmd
  rm -f "$res/$mode"-*.json
  while IFS=$'\x1f' read -r q flags pattern; do
    i=$((i + 1))
    [ "$which" = some ] && [ $(((i - 1) % 4)) -ne 0 ] && continue
    cmd="$HEARD -C $lib search"
    [ -n "$q" ] && cmd="$cmd $(sq "$q")"
    [ -n "$flags" ] && cmd="$cmd $flags"
    hyperfine -N --warmup "$warm" --runs "$runs" --export-json "$res/$mode-$i.json" "$cmd" \
      </dev/null >/dev/null
    printf '  %-8s %-60s %8.1f ms\n' "$mode" "$q $flags" "$(jq '.results[0].mean * 1000' "$res/$mode-$i.json")" >&2
  done <"$res/sample.txt"
}

# Append a line with a new word to FILE, then run `heard search WORD` as a process until a
# search finds it (at most MAX_S seconds): echo "ms searches" (ms from the write to the end
# of the search that saw it), or "null searches" when none did in time.
reflect_once() {
  local file=$1 word=$2 max_s=$3 t0 t1 n=0 hits
  t0=$(now_ns)
  printf 'Added in review: the worker noted %s.\n' "$word" >>"$file"
  while :; do
    n=$((n + 1))
    hits=$("$HEARD" -C "$lib" search "$word" --json 2>/dev/null </dev/null | jq '.hits | length' 2>/dev/null || echo 0)
    t1=$(now_ns)
    [ "${hits:-0}" -gt 0 ] && break
    if [ $(((t1 - t0) / 1000000000)) -ge "$max_s" ]; then echo "null $n"; return; fi
    sleep 0.02
  done
  echo "$(((t1 - t0) / 1000000)) $n"
}

# A word no generated file holds, different for each call: letters only, so that every
# analyzer keeps it whole.
probe_word() { printf 'zyxq%s' "$(printf '%06d' "$1" | tr 0-9 a-j)"; }
PROBE=0

# reflect MODE RUNS MAX_S: edit one testimony RUNS times and time each edit until a search
# sees it; results into $res/reflect-MODE.txt (ms a line) and field reflect_MODE.
reflect() {
  local mode=$1 runs=$2 max_s=$3 size k ms n first=true missed=0 searches=0
  size=$(stat -c %s "$one")
  : >"$res/reflect-$mode.txt"
  for k in $(seq "$runs"); do
    PROBE=$((PROBE + 1))
    read -r ms n < <(reflect_once "$one" "$(probe_word "$PROBE")" "$max_s")
    searches=$((searches + n))
    [ "$n" -gt 1 ] && first=false
    if [ "$ms" = null ]; then missed=$((missed + 1)); else echo "$ms" >>"$res/reflect-$mode.txt"; fi
    sleep 0.3
  done
  truncate -s "$size" "$one"
  put "reflect_$mode" "$(stats_json "$res/reflect-$mode.txt" | jq -c \
    --argjson first "$first" --argjson missed "$missed" --argjson searches "$searches" \
    '(. // {}) + {seen_by_first_search: $first, missed: $missed, searches: $searches}')"
  jq -c . <(tail -1 "$res/parts.jsonl") >&2
}

# syscalls NAME ARGS...: one `heard ARGS...` under `strace -f -c` (not timed: strace slows it
# down), and the calls that show how much of the library a command looks at: stat-like
# calls, files opened, reads and directory listings. Instruction-free, so not disturbed by
# the load of a shared machine. Skipped when strace is missing.
syscalls() {
  local name=$1; shift
  command -v strace >/dev/null || return 0
  strace -f -c -o "$res/strace-$name.txt" "$HEARD" -C "$lib" "$@" >/dev/null 2>&1 </dev/null || true
  put "syscalls_$name" "$(awk '
    $NF ~ /^(statx|newfstatat|stat|lstat|fstat|fstatat64)$/ {s += $4}
    $NF ~ /^(open|openat|openat2)$/ {o += $4}
    $NF ~ /^(read|pread64|readv|preadv|preadv2)$/ {r += $4}
    $NF ~ /^getdents(64)?$/ {d += $4}
    END {printf "{\"stat\":%d,\"open\":%d,\"read\":%d,\"getdents\":%d}", s, o, r, d}' "$res/strace-$name.txt")"
}

WATCH_TP=""
WATCH_SP=""
# Start `heard watch` under /usr/bin/time -v (its peak RSS over its life), and wait until it
# has said something (its start-up line) or WATCH_WAIT seconds have passed.
watch_start() {
  local wait_s=${WATCH_WAIT:-$([ "$n" -ge 1000000 ] && echo 900 || echo 60)} t0
  : >"$res/watch.out"
  /usr/bin/time -v "$HEARD" -C "$lib" watch >"$res/watch.out" 2>"$res/watch.time" </dev/null &
  WATCH_TP=$!
  sample_rss "$WATCH_TP" "$res/watch.rss" &
  WATCH_SP=$!
  t0=$(now_ns)
  while kill -0 "$WATCH_TP" 2>/dev/null; do
    [ -s "$res/watch.out" ] || [ -s "$res/watch.time" ] && break
    [ $((($(now_ns) - t0) / 1000000000)) -ge "$wait_s" ] && break
    sleep 0.1
  done
  put watch_said_ms "$((($(now_ns) - t0) / 1000000))"
  kill -0 "$WATCH_TP" 2>/dev/null
}
# Stop the watcher (SIGINT, as Ctrl-C; then SIGTERM) and wait for /usr/bin/time's report.
watch_stop() {
  [ -n "$WATCH_TP" ] || return 0
  local child k
  child=$(pgrep -P "$WATCH_TP" | head -1 || true)
  if [ -n "$child" ]; then
    kill -INT "$child" 2>/dev/null || true
    for k in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.2; done
    kill -TERM "$child" 2>/dev/null || true
  fi
  wait "$WATCH_TP" 2>/dev/null || true
  wait "$WATCH_SP" 2>/dev/null || true
  WATCH_TP="" WATCH_SP=""
}
trap watch_stop EXIT

machine() {
  local cpu
  cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
  echo "- CPU: $(nproc) cores ($cpu)"
  echo "- Memory: $(free -h | awk '/^Mem:/ {print $2}') RAM, $(free -h | awk '/^Swap:/ {print $2}') swap"
  echo "- Disk: $(df -h "$BENCH_DIR" | awk 'NR==2 {print $1", "$2" ("$5" used)"}'), rotational=$(cat /sys/block/"$(basename "$(df "$BENCH_DIR" | awk 'NR==2 {print $1}')")"/queue/rotational 2>/dev/null || echo '?'), filesystem $(df -T "$BENCH_DIR" | awk 'NR==2 {print $2}')"
  echo "- Kernel: $(uname -sr); $(rustc --version 2>/dev/null || echo rustc ?); hyperfine $(hyperfine --version | awk '{print $2}'); $(rg --version 2>/dev/null | head -1)"
}

# The report: every size with results in $RESULTS (so a size re-run alone still gives the
# whole table), one column per size.
REPORT_JQ='
def r(d): if . == null then "–" else (. * pow(10; d) | round) / pow(10; d) | tostring end;
def x(d): if . == null then "–" else "\(r(d))x" end;
def two(a; b; d): if a == null and b == null then "–" else "\(a | r(d)) / \(b | r(d))" end;
def k: if . >= 1000000 then "\(. / 1000000)M" elif . >= 1000 then "\(. / 1000)k" else tostring end;
def rss(k; legacy): (.rss[k] // legacy);
def cmds: [
  ["index_build", "first refresh, building the word index"], ["index_embed", "`heard index`, embedding every text"],
  ["index_noop", "`heard index`, nothing changed"], ["refresh_noop", "`heard search`, nothing changed (above EMBED_MAX)"],
  ["search", "`heard search`"], ["search_folders", "`heard search`, refresh = \"folders\""],
  ["search_watch", "`heard search`, `heard watch` running"], ["watch", "`heard watch` (whole life)"],
  ["draft", "`heard draft`"], ["check", "`heard check`"], ["export", "`heard export --to docx`"],
  ["quotes", "`heard quotes`"], ["quotes_csv", "`heard quotes --to csv`"], ["recs", "`heard recs`"],
  ["recs_csv", "`heard recs --to csv`"], ["tags", "`heard tags`"], ["verify", "`heard verify`"]];
def allrss: (.rss // {}) + ({index_build: .build_rss_mb, search: .search_rss_mb, draft: .draft_rss_mb}
  | with_entries(select(.value != null))) ;
def maxrss: (allrss | to_entries | max_by(.value)) as $m | if $m == null then null else $m end;
def refl(m): (.["reflect_" + m]) as $x | if $x == null then "–"
  elif $x.p50_ms == null then "never (\($x.missed) of \($x.missed) edits unseen)"
  else "\($x.p50_ms | r(0)) / \($x.max_ms | r(0))" + (if $x.missed > 0 then " (\($x.missed) unseen)" else "" end)
    + (if $x.seen_by_first_search then "" else " (after \($x.searches) searches)" end) end;
def scalls(c): if c == null then "–" else "\(c.stat) / \(c.open) / \(c.read) / \(c.getdents)" end;
def watchcell(v): if .has_watch == false then "no `heard watch`" else v end;
def rows: [
  ["corpus MB / files", "\(.corpus_mb | r(0)) / \(.docs)"],
  ["load average at start → end", "\(.load_before // "–") → \(.load_after // "–")"],
  ["heard source (sha256 of src/**/*.rs) / commit", "`\(.src_sha256 // "?")` / `\((.commit // "?")[0:10])`"],
  ["**Build**", ""],
  ["word index build (first refresh, no embedding), s", (.build_s | r(1))],
  ["+ embedding every text (`heard index` after it), s", (if .embeds == false then "not run (> EMBED_MAX)" else (.embed_s | r(1)) end)],
  ["bare tantivy build (floor), s", (.bare_s | r(2))],
  ["heard / bare: words only / with embedding", "\(.heard_over_bare | x(1)) / \(.index_full_over_bare | x(0))"],
  ["build throughput, MB/s", (.build_mb_s | r(1))],
  ["index MB (`.heard/index`)", (.index_mb | r(0))],
  ["**Refresh and change**", ""],
  ["no-op refresh ms: process / in-process / stat walk", "\(.noop_process_ms | r(0)) / \(.noop_inproc_ms | r(0)) / \(.walk_ms | r(0))"],
  ["no-op refresh, page cache dropped, ms", (.noop_cold_ms | r(0))],
  ["the refresh command timed (`heard index` embeds new texts)", "`\(.refresh_cmd // "heard index")`"],
  ["touch 1 file, then the refresh, ms", (.touch1_ms | r(0))],
  ["change 1 file, then the refresh, ms", (.change1_ms | r(0))],
  ["change 1% of files (how many), then the refresh, s", "\(.change1pct_s | r(2)) (\(.change1pct_files // "–"))"],
  ["1 file edited → next `heard search` sees it, ms p50 / max: default settings", refl("files")],
  ["… with `heard watch` running", watchcell(refl("watch"))],
  ["… `refresh = \"folders\"`", (if .folders_stale == true then "never (until `heard index`)" elif .folders_stale == false then "seen" else "–" end)],
  ["**Search**", ""],
  ["in-process p50 / p99 ms (`LibraryIndex::search`)", two(.search_p50_ms; .search_p99_ms; 1)],
  ["bare tantivy p50 / p99 ms (text only)", two(.bare_search.p50_ms; .bare_search.p99_ms; 2)],
  ["`heard search` process p50 / p99 ms: default settings", two(.proc_p50_ms; .proc_p99_ms; 0)],
  ["… `refresh = \"folders\"`", two(.folders_p50_ms; .folders_p99_ms; 0)],
  ["… `heard watch` running", watchcell(two(.watch_p50_ms; .watch_p99_ms; 0))],
  ["`rg -i -l` ms (median of per-query means)", (.rg_ms | r(0))],
  ["rg / heard process: default settings", (.rg_over_proc | x(1))],
  ["rg / heard process: `refresh = \"folders\"`", (.rg_over_folders | x(1))],
  ["rg / heard process: `heard watch` running", watchcell(.rg_over_watch | x(1))],
  ["rg / heard in-process", (.rg_over_inproc | x(0))],
  ["one `heard search` process, stat / open / read / getdents calls: default settings", scalls(.syscalls_search)],
  ["… `refresh = \"folders\"`", scalls(.syscalls_search_folders)],
  ["… `heard watch` running", watchcell(scalls(.syscalls_search_watch))],
  ["no-op refresh, the same calls", scalls(.syscalls_index_noop)],
  ["**Drafting**", ""],
  ["draft of 10 questions in-process, ms: median" + (if .draft_inproc_runs_ms == null then "" else " (first / second / third)" end),
    (.draft_inproc_ms | r(0)) + (if .draft_inproc_runs_ms == null then "" else " (\(.draft_inproc_runs_ms | map(r(0)) | join(" / ")))" end)],
  ["`heard draft` process, ms: default settings", (.draft_proc_ms | r(0))],
  ["… `heard watch` running (after the drafts above)", watchcell(.draft_watch_ms | r(0))],
  ["meaning known to the draft, texts", (if .draft_meaning == null then (if .draft_proc_ms == null then "–" else "all" end) else "\(.draft_meaning.known) of \(.draft_meaning.texts)" end)],
  ["**Peak RSS, MB** (`/usr/bin/time -v`)", ""]
] + [cmds[] as [$key, $lab] | [$lab, (allrss[$key] | r(0))
      + (if $key == "index_build" and .build_rss_anon_mb != null then " (anon \(.build_rss_anon_mb | r(0)) / file \(.build_rss_file_mb | r(0)))" else "" end)]]
  + [["largest of all", (maxrss | if . == null then "–" else "\(.value | r(0)) (\(.key))" end)]];
def at(n): (map(select(.docs == n)) | .[0]);
def met(v; ok): if v == null then "not measured" elif ok then "yes" else "**no**" end;
def targets: [
  ["`heard search` process ≥ 50x faster than `rg -l`, at 100k: default settings", (.rg_over_proc | x(1)), 100000, (.rg_over_proc), (.rg_over_proc >= 50)],
  ["… with `heard watch` running", (.rg_over_watch | x(1)), 100000, (.rg_over_watch), (.rg_over_watch >= 50)],
  ["`heard search` process p99 < 50 ms at 1M: default settings", (.proc_p99_ms | r(0)), 1000000, (.proc_p99_ms), (.proc_p99_ms < 50)],
  ["… with `heard watch` running", (.watch_p99_ms | r(0)), 1000000, (.watch_p99_ms), (.watch_p99_ms < 50)],
  ["search p99 < 20 ms in-process at 1M", (.search_p99_ms | r(1)), 1000000, (.search_p99_ms), (.search_p99_ms < 20)],
  ["peak RSS < 500 MB, every command, every size", (maxrss | if . == null then "–" else "\(.value | r(0)) (\(.key))" end), 0, (maxrss.value), (maxrss.value < 500)],
  ["1 file change reflected < 300 ms at 100k (p50): default settings", (.reflect_files.p50_ms | r(0)), 100000, (.reflect_files.p50_ms), (.reflect_files.p50_ms < 300)],
  ["… with `heard watch` running", (.reflect_watch.p50_ms | r(0)), 100000, (.reflect_watch.p50_ms), (.reflect_watch.p50_ms < 300)],
  ["full indexing within 2x the bare tantivy floor, every size: words only", (.heard_over_bare | x(1)), 0, (.heard_over_bare), (.heard_over_bare <= 2)],
  ["… with embedding (`heard index`)", (.index_full_over_bare | x(0)), 0, (.index_full_over_bare), (.index_full_over_bare <= 2)],
  ["stretch: `heard draft` of 10 questions < 2 s at 1M: default settings", (.draft_proc_ms | r(0)), 1000000, (.draft_proc_ms), (.draft_proc_ms < 2000)],
  ["… with `heard watch` running", (.draft_watch_ms | r(0)), 1000000, (.draft_watch_ms), (.draft_watch_ms < 2000)]
];
sort_by(.docs) as $s
| ($s | map(.docs | k)) as $names
| "| issue 12 target | " + ($names | join(" | ")) + " | met? |",
  "|---|" + ($names | map("---:") | join("|")) + "|---|",
  ([range(0; ($s[0] | targets | length))] | .[] as $i
    | ($s | map(targets[$i])) as $t
    | ($t[0][2]) as $where
    | (if $where == 0 then
         ($t | map(select(.[3] != null))) as $m
         | if ($m | length) == 0 then "not measured"
           elif ($m | all(.[4])) then (if ($s | map(.docs) | max) < 1000000 then "so far (1M not measured)" else "yes" end)
           else "**no**" end
       else ($s | map(select(.docs == $where)) | .[0]) as $d
         | if $d == null then "not measured" else met($d | targets[$i][3]; $d | targets[$i][4]) end
       end) as $met
    | "| \($t[0][0]) | " + ($t | map(.[1]) | join(" | ")) + " | \($met) |"),
  "",
  "| | " + ($names | join(" | ")) + " |",
  "|---|" + ($names | map("---:") | join("|")) + "|",
  ([range(0; ($s[0] | rows | length))] | .[] as $i
    | "| \($s[0] | rows[$i][0]) | " + ($s | map(rows[$i][1]) | join(" | ")) + " |")
'

report() {
  local files=()
  mapfile -t files < <(ls "$RESULTS"/s"$SEED"-n*.json 2>/dev/null | sort -t n -k2 -n)
  {
    echo "# heard scale benchmark results ($(date +%F))"
    echo
    echo "Generated by \`benches/run.sh\` (seed $SEED) from heard's source as it was at build time"
    echo "(commit \`$(built_commit)\`, sha256 of src/**/*.rs \`$(built_hash)\`, built $(date -r "$HEARD" '+%F %T' 2>/dev/null || echo '?'));"
    echo "each size records the source it measured (below). Machine:"
    echo
    machine
    echo
    echo "Times are wall-clock, with the corpus in the page cache unless marked cold."
    echo "\"process\" = a whole \`heard\` process (hyperfine); \"in-process\" = the library API"
    echo "(examples/search_latency.rs). Ratios are taken in the same run: heard/bare = heard's full"
    echo "build time over the bare tantivy floor's (examples/bare_tantivy.rs); rg/heard = ripgrep's"
    echo "time over heard's for the same sample queries (median of per-query means, each side)."
    echo "\"Default settings\" = \`refresh\` not set in heard.toml (every file is checked)."
    echo "\"1 file edited → seen\": from appending a line with a new word to one testimony to the"
    echo "end of the first \`heard search WORD\` process that finds it (with the watcher: searched"
    echo "again every 20 ms until found). A 1M run without FULL=1 skips some steps (\"–\")."
    echo
    if [ ${#files[@]} -gt 0 ]; then
      jq -s -r "$REPORT_JQ" "${files[@]}"
    else
      echo "No results in $RESULTS."
    fi
    echo
    echo "Bare tantivy search floor (same queries, text only, top 10 + count, in-process):"
    echo
    for f in "${files[@]}"; do
      jq -r '"- \(.docs) docs: p50 \(.bare_search.p50_ms * 1000 | round / 1000) ms, p99 \(.bare_search.p99_ms * 1000 | round / 1000) ms; bare build peak RSS \(.bare_rss_mb) MB, \(.bare_mb_s * 10 | round / 10) MB/s"' "$f"
    done
    echo
    echo "Slowest in-process queries (p50 over rounds is in the table; these are single runs):"
    echo
    for f in "${files[@]}"; do
      jq -r '"- \(.docs) docs: " + ([.inproc.search.slowest[] | "`\(.query)` \(.ms * 10 | round / 10) ms"] | join("; "))' "$f"
    done
    echo
    echo "\`heard watch\` at each size (its first words, and whether it was still running after the"
    echo "measurements):"
    echo
    for f in "${files[@]}"; do
      jq -r 'if .has_watch == true then "- \(.docs) docs: said \"\(.watch_first_line // "")\" after \(.watch_said_ms) ms; alive at the end: \(.watch_alive)"
        elif .has_watch == false then "- \(.docs) docs: this heard has no `heard watch` (skipped)"
        else "- \(.docs) docs: not measured" end' "$f"
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

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building (cargo build --release --examples --bins)"
  cargo build --release --examples --bins >&2
fi
mkdir -p "$BIN"
if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -x "$HEARD" ]; then
  cp "$TARGET_DIR"/release/heard "$TARGET_DIR"/release/examples/{gen_corpus,bare_tantivy,search_latency} "$BIN/"
  src_hash >"$BIN/src-sha256"
  commit=$(git rev-parse HEAD 2>/dev/null || echo '?')
  git diff --quiet HEAD -- src 2>/dev/null || commit="$commit+uncommitted-src"
  echo "$commit" >"$BIN/commit"
fi
HAS_WATCH=false
"$HEARD" watch --help >/dev/null 2>&1 && HAS_WATCH=true
[ "$HAS_WATCH" = true ] || log "this heard has no \`heard watch\`: the watcher's measurements are skipped"

for n in $SIZES; do
  lib=$BENCH_DIR/lib-s$SEED-n$n
  res=$RESULTS/s$SEED-n$n
  rm -rf "$res"
  mkdir -p "$res"
  : >"$res/parts.jsonl"
  put docs "$n"
  put load_before "\"$(loadavg)\""
  put src_sha256 "\"$(built_hash)\""
  put commit "\"$(built_commit)\""
  put has_watch "$HAS_WATCH"
  # At 1M, what takes long is skipped unless FULL=1 (see benches/README.md), so that a 1M
  # size runs in about 45 minutes here.
  quick=$([ "$n" -ge 1000000 ] && [ "$FULL" != 1 ] && echo true || echo false)
  put quick "$quick"
  embeds=$([ "$n" -le "$EMBED_MAX" ] && echo true || echo false)
  put embeds "$embeds"
  # The refresh every command does first: `heard index` (which also embeds new texts), or
  # above EMBED_MAX a search for a word in no file (the same refresh, nothing embedded).
  if [ "$embeds" = true ]; then refresh=index; else refresh="search zzzzqqqqnowhere"; fi
  put refresh_cmd "\"heard $refresh\""
  # At 1M a search process takes seconds (see BENCHMARKS.md): fewer runs, no warm-up (the
  # steps before leave the page cache warm).
  warm=$([ "$n" -ge 1000000 ] && echo 0 || echo 1)
  runs=${RUNS:-$(if [ "$n" -le 1000 ]; then echo 20; elif [ "$n" -le 10000 ]; then echo 10; elif [ "$n" -le 100000 ]; then echo 5; else echo 3; fi)}

  # --- disk: the corpus is about 2.1 KB a document, heard's index about 4 KB, the bare index
  # about 0.6 KB while it is measured; keep MIN_FREE_GB free for everything else.
  need_mb=$((n * 7 / 1000 + 50))
  [ -f "$lib/.complete" ] && need_mb=$((n * 5 / 1000 + 50))
  [ -d "$lib/.heard/index" ] && need_mb=$((need_mb - $(du -sm "$lib/.heard/index" | cut -f1)))
  mkdir -p "$BENCH_DIR"
  avail_mb=$(df -Pm "$BENCH_DIR" | awk 'NR==2 {print $4}')
  if [ $((avail_mb - need_mb)) -lt $((MIN_FREE_GB * 1024)) ]; then
    echo "error: n=$n needs about $((need_mb / 1024 + 1)) GB in $BENCH_DIR and only $((avail_mb / 1024)) GB are free; $MIN_FREE_GB GB must stay free (MIN_FREE_GB). Free some disk or run smaller SIZES." >&2
    exit 2
  fi

  # --- corpus (cached by seed and size)
  if [ ! -f "$lib/.complete" ]; then
    log "generating $n documents (seed $SEED) in $lib"
    rm -rf "$lib"
    "$EX/gen_corpus" --docs "$n" --seed "$SEED" --out "$lib" >"$res/gen.json"
    touch "$lib/.complete"
  fi
  corpus_bytes=$(jq .corpus_bytes "$lib/bench-corpus.json")
  put corpus_mb "$(jq -n "$corpus_bytes / 1e6")"
  (cd "$lib" && find corpus -name '*.md' | sort) >"$res/files.txt"
  log "n=$n: $(wc -l <"$res/files.txt") files, $((corpus_bytes / 1000000)) MB; load: $(loadavg)$([ "$quick" = true ] && echo '; quick 1M run (FULL=1 for everything)')"
  one=$lib/$(grep -m1 '^corpus/testimonies/' "$res/files.txt")
  # Leftovers of an interrupted run (a heard.toml with refresh set, probe lines) are undone
  # by regenerating; here only check the setting.
  if grep -q '^refresh' "$lib/heard.toml"; then
    echo "error: $lib/heard.toml sets refresh (an interrupted run?): delete $lib and run again" >&2
    exit 2
  fi

  # Read every file once so that both builds start with the same (warm) page cache.
  rg -l -g '*.md' zzzzqqqq "$lib/corpus" >/dev/null || true

  # --- bare tantivy floor
  log "n=$n: bare tantivy index"
  read -r bare_s bare_rss < <(timed "$res/bare-index.time" "$EX/bare_tantivy" index "$lib" "$BENCH_DIR/bare-index-n$n")
  "$EX/bare_tantivy" search "$BENCH_DIR/bare-index-n$n" "$QUERIES" >"$res/bare-search.json"
  rm -rf "$BENCH_DIR/bare-index-n$n"
  put bare_s "$bare_s"
  put bare_rss_mb "$bare_rss"
  put bare_wall_s "$(jq .seconds "$res/bare-index.time.out")"
  put bare_mb_s "$(jq .mb_per_s "$res/bare-index.time.out")"
  put bare_search "$(jq -c . "$res/bare-search.json")"

  # --- full build
  log "n=$n: heard full index build"
  rm -rf "$lib/.heard"
  # First the word index, as the first command on a library without .heard/ builds it (a
  # search: no embedding), then, when embedding is measured, `heard index` (the meaning of
  # every text). The first is what the bare floor and issue 5's figures compare with.
  read -r build_s build_rss < <(timed_sampled "$res/build.time" "$HEARD" -C "$lib" search zzzzqqqqnowhere)
  read -r build_anon build_file <"$res/build.time.rss"
  tail -2 "$res/build.time" >&2 || true
  if [ "$embeds" = true ]; then
    log "n=$n: heard index (embedding every text)"
    read -r embed_s embed_rss < <(timed "$res/embed.time" "$HEARD" -C "$lib" index)
    tail -3 "$res/embed.time.out" "$res/embed.time" 2>/dev/null | grep -v '^\s*$' | head -3 >&2 || true
    put embed_s "$embed_s"
    put index_full_s "$(jq -n "$build_s + $embed_s")"
    put index_full_over_bare "$(jq -n "($build_s + $embed_s) / $bare_s")"
  fi
  put build_s "$build_s"
  put build_mb_s "$(jq -n "$corpus_bytes / 1e6 / $build_s")"
  put heard_over_bare "$(jq -n "$build_s / $bare_s")"
  put build_rss_mb "$build_rss"
  put build_rss_anon_mb "$build_anon"
  put build_rss_file_mb "$build_file"
  put index_mb "$(du -sm "$lib/.heard/index" | cut -f1)"
  [ -f "$lib/.heard/manifest.json" ] && put manifest_mb "$(du -m "$lib/.heard/manifest.json" | cut -f1)"
  # Peak RSS of each command, "name seconds rss_mb exit_code" a line.
  echo "index_build $build_s $build_rss $(cat "$res/build.time.rc")" >"$res/cmds.txt"
  [ "$embeds" = true ] && echo "index_embed $embed_s $embed_rss $(cat "$res/embed.time.rc")" >>"$res/cmds.txt"
  # run_cmd NAME ARGS...: one run of `heard ARGS...` under /usr/bin/time -v, into cmds.txt.
  run_cmd() {
    local name=$1 s rss; shift
    read -r s rss < <(timed "$res/cmd-$name.time" "$HEARD" -C "$lib" "$@")
    echo "$name $s $rss $(cat "$res/cmd-$name.time.rc")" >>"$res/cmds.txt"
    printf '  %-14s %8.2f s %8.1f MB  exit %s\n' "$name" "$s" "$rss" "$(cat "$res/cmd-$name.time.rc")" >&2
  }

  # --- the stat walk: a refresh with nothing changed
  log "n=$n: no-op refresh (heard $refresh, nothing changed)"
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$res/noop.json" \
    "$HEARD -C $lib $refresh" >&2
  put noop_process_ms "$(mean_ms "$res/noop.json")"
  if [ "$embeds" = true ]; then
    run_cmd index_noop index
    syscalls index_noop index
  else
    run_cmd refresh_noop $refresh
    syscalls index_noop $refresh
  fi
  if [ "${COLD:-0}" = 1 ]; then
    hyperfine -N --runs 3 --prepare "sh -c 'sync; echo 3 > /proc/sys/vm/drop_caches'" \
      --export-json "$res/noop-cold.json" "$HEARD -C $lib $refresh" >&2
    put noop_cold_ms "$(mean_ms "$res/noop-cold.json")"
    rg -l -g '*.md' zzzzqqqq "$lib/corpus" >/dev/null || true
  fi

  # --- incremental updates
  one_size=$(stat -c %s "$one")
  if [ "$quick" = false ]; then
    log "n=$n: touch 1 file"
    hyperfine -N --runs "$runs" --prepare "touch $one" --export-json "$res/touch1.json" \
      "$HEARD -C $lib $refresh" >&2
    put touch1_ms "$(mean_ms "$res/touch1.json")"
  fi
  log "n=$n: change 1 file"
  hyperfine --shell=bash --runs "$runs" \
    --prepare "echo \"Added in review \$RANDOM\$RANDOM: the tenancy support worker phoned back.\" >> $one" \
    --export-json "$res/change1.json" "$HEARD -C $lib $refresh" >&2
  put change1_ms "$(mean_ms "$res/change1.json")"
  truncate -s "$one_size" "$one"
  "$HEARD" -C "$lib" $refresh >/dev/null 2>&1 || true

  if [ "$quick" = false ]; then
    # 1%: every 100th file, changed again before each run.
    awk 'NR % 100 == 50' "$res/files.txt" >"$res/pct-files.txt"
    pct_n=$(wc -l <"$res/pct-files.txt")
    (cd "$lib" && xargs stat -c '%s %n' <"$res/pct-files.txt") >"$res/pct-sizes.txt"
    cat >"$res/mutate.sh" <<EOS
#!/usr/bin/env bash
# Append a line to each of the 1% files (a new paragraph: every file's content changes).
cd "$lib"
tag=\$RANDOM\$RANDOM
while read -r f; do echo "Added in review \$tag: the outreach team followed up." >>"\$f"; done <"$res/pct-files.txt"
EOS
    chmod +x "$res/mutate.sh"
    log "n=$n: change 1% ($pct_n files)"
    pct_runs=$((runs < 5 ? runs : 5))
    hyperfine -N --runs "$pct_runs" --prepare "$res/mutate.sh" --export-json "$res/change1pct.json" \
      "$HEARD -C $lib $refresh" >&2
    read -r _ pct_rss < <("$res/mutate.sh"; timed "$res/change1pct.time" "$HEARD" -C "$lib" $refresh)
    (cd "$lib" && while read -r size f; do truncate -s "$size" "$f"; done <"$res/pct-sizes.txt")
    "$HEARD" -C "$lib" $refresh >/dev/null 2>&1 || true
    put change1pct_s "$(jq -n "$(mean_ms "$res/change1pct.json") / 1000")"
    put change1pct_files "$pct_n"
    put change1pct_rss_mb "$pct_rss"
  fi

  # --- search: in-process (all queries) and draft in-process
  log "n=$n: in-process search and draft (examples/search_latency)"
  # Three drafts, the median reported: the first may embed the candidates it looks at.
  draft_args=(--draft "$CONSULTATION" --draft-runs 3)
  "$EX/search_latency" "$lib" "$QUERIES" --rounds "$([ "$quick" = true ] && echo 3 || echo 5)" \
    --refreshes "$runs" "${draft_args[@]}" >"$res/inproc.json"
  jq -c '{search: .search | {p50_ms, p99_ms, max_ms}, noop_refresh_ms, walk_ms, draft: .draft.median_ms}' "$res/inproc.json" >&2
  put inproc "$(jq -c . "$res/inproc.json")"
  put search_p50_ms "$(jq .search.p50_ms "$res/inproc.json")"
  put search_p99_ms "$(jq .search.p99_ms "$res/inproc.json")"
  put noop_inproc_ms "$(jq .noop_refresh_ms.p50 "$res/inproc.json")"
  put walk_ms "$(jq .walk_ms.p50 "$res/inproc.json")"
  put draft_inproc_ms "$(jq '.draft.median_ms // null' "$res/inproc.json")"
  put draft_inproc_runs_ms "$(jq -c '.draft.runs_ms // null' "$res/inproc.json")"

  # --- the sampled queries (every 5th of queries.txt; fields split on \x1f so that empty
  # ones survive `read`), and ripgrep for those with a pattern
  awk -F'\t' '!/^#/ && !/^[[:space:]]*$/ { if (n++ % 5 == 0) printf "%s\x1f%s\x1f%s\n", $1, $2, $3 }' \
    "$QUERIES" >"$res/sample.txt"
  some=$([ "$quick" = true ] && echo some || echo all)
  log "n=$n: rg -i -l for the sampled queries ($some)"
  i=0
  while IFS=$'\x1f' read -r q flags pattern; do
    i=$((i + 1))
    [ -n "$pattern" ] || continue
    [ "$some" = some ] && [ $(((i - 1) % 4)) -ne 0 ] && continue
    hyperfine -N -i --warmup "$warm" --runs "$([ "$quick" = true ] && echo 1 || echo $(((runs + 1) / 2)))" \
      --export-json "$res/rg-$i.json" "rg -i -l -g '*.md' -e $(sq "$pattern") $lib/corpus" </dev/null >/dev/null
    printf '  %-8s %-60s %8.1f ms\n' rg "$pattern" "$(jq '.results[0].mean * 1000' "$res/rg-$i.json")" >&2
  done <"$res/sample.txt"
  put rg_ms "$(median_of_means_ms "$res"/rg-*.json)"
  put rg_over_inproc "$(jq -n "$(median_of_means_ms "$res"/rg-*.json) / $(jq .search.p50_ms "$res/inproc.json")")"

  # --- mode 1: default settings (every file is checked before each search)
  log "n=$n: heard search processes, default settings"
  search_procs proc "$([ "$n" -ge 1000000 ] && echo 2 || echo "$runs")" "$warm" "$some"
  put proc_p50_ms "$(pct_ms 50 "$res"/proc-*.json)"
  put proc_p99_ms "$(pct_ms 99 "$res"/proc-*.json)"
  read -r rg_med heard_med < <(rg_ratio proc)
  put proc_rg_ms "$(num "$heard_med")"
  put rg_over_proc "$(jq -n "if $rg_med == null then null else $rg_med / $heard_med end")"
  run_cmd search search '"temporary accommodation"' --tag housing
  syscalls search search '"temporary accommodation"' --tag housing
  log "n=$n: one file edited, then searched for (default settings)"
  reflect files "$((runs < 5 ? runs : 5))" "$([ "$n" -ge 1000000 ] && echo 120 || echo 30)"
  "$HEARD" -C "$lib" $refresh >/dev/null 2>&1 || true

  # --- mode 2: `refresh = "folders"` in heard.toml (only folders whose contents changed are
  # looked into), when this heard has the setting; and whether an in-place edit is then seen
  # by the next search (it is not, until `heard index`).
  cp "$lib/heard.toml" "$res/heard.toml.orig"
  printf '\nrefresh = "folders"\n' >>"$lib/heard.toml"
  if "$HEARD" -C "$lib" search eviction >/dev/null 2>&1; then
    log "n=$n: heard search processes with refresh = \"folders\""
    search_procs folders "$runs" 1 all
    put folders_p50_ms "$(pct_ms 50 "$res"/folders-*.json)"
    put folders_p99_ms "$(pct_ms 99 "$res"/folders-*.json)"
    read -r rg_med heard_med < <(rg_ratio folders)
    put rg_over_folders "$(jq -n "if $rg_med == null then null else $rg_med / $heard_med end")"
    run_cmd search_folders search '"temporary accommodation"' --tag housing
    syscalls search_folders search '"temporary accommodation"' --tag housing
    one_size=$(stat -c %s "$one")
    echo "Added in review: zyxwvutsr." >>"$one"
    hits=$("$HEARD" -C "$lib" search zyxwvutsr --json 2>/dev/null | jq '.hits | length')
    put folders_stale "$([ "$hits" = 0 ] && echo true || echo false)"
    truncate -s "$one_size" "$one"
  fi
  cp "$res/heard.toml.orig" "$lib/heard.toml"
  "$HEARD" -C "$lib" $refresh >/dev/null 2>&1 || true

  # --- mode 3: `heard watch` running in the background (default settings), when this heard
  # has it: searches, an edit until a search sees it, and the watcher's own peak RSS.
  if [ "$HAS_WATCH" = true ]; then
    log "n=$n: heard watch in the background"
    if watch_start; then
      put watch_first_line "$(head -1 "$res/watch.out" "$res/watch.time" 2>/dev/null | grep -v '^==>' | grep -m1 . | jq -Rs 'rtrimstr("\n")')"
      # The first edit also waits for the watcher to have caught up after starting.
      t0=$(now_ns)
      PROBE=$((PROBE + 1))
      read -r ms _ < <(reflect_once "$one" "$(probe_word "$PROBE")" "${WATCH_WAIT:-600}")
      put watch_ready_ms "$(( ($(now_ns) - t0) / 1000000 ))"
      truncate -s "$one_size" "$one"
      sleep 1
      search_procs watch "$runs" 1 all
      put watch_p50_ms "$(pct_ms 50 "$res"/watch-*.json)"
      put watch_p99_ms "$(pct_ms 99 "$res"/watch-*.json)"
      read -r rg_med heard_med < <(rg_ratio watch)
      put rg_over_watch "$(jq -n "if $rg_med == null then null else $rg_med / $heard_med end")"
      run_cmd search_watch search '"temporary accommodation"' --tag housing
      syscalls search_watch search '"temporary accommodation"' --tag housing
      log "n=$n: one file edited, then searched for (heard watch running)"
      reflect watch "$((runs < 5 ? runs : 5))" 60
      # A draft whose refresh is the watcher's journal, not a check of every file; after
      # the drafts above, so the meaning of what it looks at is known (the first draft of
      # a large library reads it: see the in-process runs).
      log "n=$n: heard draft (10 questions), heard watch running"
      hyperfine -N --warmup 1 --runs 3 --export-json "$res/draft-watch.json" \
        "$HEARD -C $lib draft $CONSULTATION" >&2
      put draft_watch_ms "$(mean_ms "$res/draft-watch.json")"
      sleep 1
      put watch_alive "$(kill -0 "$WATCH_TP" 2>/dev/null && echo true || echo false)"
    else
      put watch_alive false
      echo "  heard watch exited at once; see $res/watch.time" >&2
    fi
    watch_stop
    watch_rss=$(rss_mb "$res/watch.time")
    echo "watch - ${watch_rss:-null} -" >>"$res/cmds.txt"
    "$HEARD" -C "$lib" $refresh >/dev/null 2>&1 || true
  fi

  # --- draft, whole process, then the commands that follow a draft. A draft embeds only
  # what it looks at when much of the library's meaning is unknown, so every size is
  # measured; the in-process drafts above have embedded what this one looks at.
  log "n=$n: heard draft (10 questions)"
  if [ "$quick" = false ]; then
    hyperfine -N --warmup 1 --runs "$((runs < 5 ? runs : 5))" --export-json "$res/draft.json" \
      "$HEARD -C $lib draft $CONSULTATION" >&2
    put draft_proc_ms "$(mean_ms "$res/draft.json")"
    run_cmd draft draft "$CONSULTATION"
  else
    run_cmd draft draft "$CONSULTATION"
    put draft_proc_ms "$(awk '$1 == "draft" {print $2 * 1000}' "$res/cmds.txt")"
  fi
  # What the draft knew of the library's meaning (provenance.json), for the report.
  put draft_meaning "$(jq -c '.meaning // null' "$lib/$CONSULTATION/provenance.json" 2>/dev/null || echo null)"
  run_cmd check check "$CONSULTATION"
  run_cmd export export "$CONSULTATION" --to docx --force --out "$res/response.docx"
  put export_written "$([ -s "$res/response.docx" ] && echo true || echo false)"
  log "n=$n: peak RSS of the other commands"
  run_cmd quotes quotes
  run_cmd quotes_csv quotes --to csv --out "$res/quotes.csv"
  run_cmd recs recs
  run_cmd recs_csv recs --to csv --out "$res/recs.csv"
  run_cmd tags tags
  run_cmd verify verify
  rm -f "$res/response.docx" "$res/quotes.csv" "$res/recs.csv"

  # --- collect
  put rss "$(awk '{printf "%s\t%s\n", $1, $3}' "$res/cmds.txt" | jq -Rn '[inputs | split("\t") | {(.[0]): (.[1] | tonumber? // null)}] | add')"
  put cmd_s "$(awk '$2 != "-" {printf "%s\t%s\n", $1, $2}' "$res/cmds.txt" | jq -Rn '[inputs | split("\t") | {(.[0]): (.[1] | tonumber? // .)}] | add')"
  put search_rss_mb "$(num "$(awk '$1 == "search" {print $3}' "$res/cmds.txt")")"
  put draft_rss_mb "$(num "$(awk '$1 == "draft" {print $3}' "$res/cmds.txt")")"
  put load_after "\"$(loadavg)\""
  jq -s 'add' "$res/parts.jsonl" >"$RESULTS/s$SEED-n$n.json"
  log "n=$n: done"
  jq -c 'del(.inproc, .bare_search)' "$RESULTS/s$SEED-n$n.json" >&2
  if [ "${CLEAN:-0}" = 1 ]; then
    log "n=$n: deleting $lib (CLEAN=1)"
    rm -rf "$lib"
  fi
done

report
