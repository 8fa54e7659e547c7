#!/usr/bin/env bash
# Precision and recall of grouping near-duplicate recommendations against the labelled
# pairs in rec-groups.toml (issue 10). See EVALUATION.md. --verbose lists every pair.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec cargo run --quiet --example rec_groups -- "$@"
