#!/usr/bin/env bash
# Run the test suite. pytest exits 5 when it collected no test: that is reported
# as its own error (an empty selection is neither a pass nor an ordinary failure).
cd "$(dirname "$0")/.." || exit 1
PY=${PYTHON:-python3}
"$PY" -m pytest tests "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "[elseg tests] ERROR: pytest collected no tests (exit code 5): check the test path or -k/-m selection." >&2
fi
exit "$rc"
