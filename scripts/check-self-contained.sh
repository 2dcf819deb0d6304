#!/usr/bin/env bash
# Fails if a tracked file would make the project depend on something outside the repository: a
# path into a sibling `shared/` folder, or the old SYMBOLON_SHARED_DIR override. The fixtures
# live in `testdata/` (testdata/corpus/*/README.md say where each comes from). Prose may still
# name the team's design notes, so Markdown is checked for data paths only.
set -euo pipefail
cd "$(dirname "$0")/.."
self=scripts/check-self-contained.sh
code=$(git grep -n -I -E '\.\./shared|SYMBOLON_SHARED_DIR' -- . ":!*.md" ":!$self" ":!scripts/test.sh" || true)
docs=$(git grep -n -I -E 'shared/corpus|SYMBOLON_SHARED_DIR' -- "*.md" ":!CHANGELOG.md" || true)
if [ -n "$code$docs" ]; then
  echo "These lines reach outside the repository; move the data into testdata/ and point there:" >&2
  printf '%s\n' "$code" "$docs" | sed '/^$/d' >&2
  exit 1
fi
echo "no tracked file reads ../shared"
