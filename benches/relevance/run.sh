#!/usr/bin/env bash
# heard's relevance evaluation (issue 10): recommendation extraction and evidence choice,
# measured against the hand labels in this folder. See EVALUATION.md at the repository root.
#
#   benches/relevance/run.sh              # the tables
#   benches/relevance/run.sh --json       # the same, for machines
#   benches/relevance/run.sh --verbose    # every miss and every question
#   HEARD_SAMPLES=/path/to/samples benches/relevance/run.sh
#
# The three public sample documents are read from $HEARD_SAMPLES or ../shared/samples beside
# the repository; without them only the demo library is scored (the report says so).
# Other arguments go to examples/relevance.rs (--keep keeps the temporary libraries).
# Environment: SKIP_BUILD=1 uses what is already built; CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-target}")
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release --bin heard --example relevance >&2
fi
exec "$TARGET/release/examples/relevance" --heard "$TARGET/release/heard" "$@"
