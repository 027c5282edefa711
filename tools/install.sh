#!/usr/bin/env bash
# Install elseg and its OpenMMLab stack into the current Python environment.
#
# Idempotent: a second run only checks and takes seconds. Order matters:
#   1. torch (an installed torch is kept; otherwise TORCH_SPEC, default torch==2.13.0)
#   2. build tools (setuptools>=77,<81: mmcv 2.1.0's setup.py imports pkg_resources)
#   3. mmcv 2.1.0 built from source WITH its compiled ops against that torch
#      (about 10 minutes on 2 cores; pip caches the wheel, so a reinstall is fast)
#   4. mmengine / mmsegmentation pins and the runtime requirements
#   5. elseg itself, editable
# Environment:
#   PYTHON       interpreter to use (default: python3)
#   TORCH_SPEC   torch requirement used only if torch is missing (default torch==2.13.0)
#   MMCV_WITH_OPS / FORCE_CUDA / TORCH_CUDA_ARCH_LIST are passed to the mmcv build
#                (a CUDA torch builds the CUDA ops automatically when nvcc is found).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
say() { printf '[elseg install] %s\n' "$*"; }
start=$(date +%s)

if "$PY" -c 'import torch' 2>/dev/null; then
  say "torch $("$PY" -c 'import torch; print(torch.__version__)') already installed: keeping it"
else
  say "installing $TORCH_SPEC"
  "$PY" -m pip install -q --root-user-action=ignore "$TORCH_SPEC"
fi

if ! "$PY" -c 'import setuptools, sys; v = tuple(int(x) for x in setuptools.__version__.split(".")[:2]); sys.exit(not ((77, 0) <= v < (81, 0)))' 2>/dev/null \
   || ! "$PY" -c 'import wheel, ninja' 2>/dev/null; then
  say "installing build tools (requirements/build.txt)"
  "$PY" -m pip install -q --root-user-action=ignore -r requirements/build.txt
fi

mmcv_ok() {
  "$PY" - <<'PY' 2>/dev/null
import mmcv, mmcv.ops  # noqa: F401  (mmcv.ops needs the compiled mmcv._ext)
import sys
sys.exit(0 if mmcv.__version__ == '2.1.0' else 1)
PY
}
if mmcv_ok; then
  say "mmcv 2.1.0 with compiled ops already installed"
else
  say "building mmcv 2.1.0 with ops from source against the installed torch (about 10 min on 2 cores; cached afterwards)"
  log=$(mktemp -t mmcv-build-XXXX.log)
  if ! MMCV_WITH_OPS=${MMCV_WITH_OPS:-1} MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "$PY" -m pip install --no-build-isolation mmcv==2.1.0 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    cat >&2 <<MSG
[elseg install] ERROR: building mmcv 2.1.0 from source failed (full log: $log).
  Usual causes and fixes:
  - no C++ compiler: install gcc/g++ (Debian: apt-get install build-essential)
  - setuptools too new (no pkg_resources): pip install 'setuptools>=77,<81'
  - torch missing or installed after mmcv: install torch first, then rerun this script
  - CUDA torch without a matching nvcc: install the CUDA toolkit of torch.version.cuda,
    or build CPU-only ops with FORCE_CUDA=0
MSG
    exit 1
  fi
  mmcv_ok || { say "ERROR: mmcv installed but 'import mmcv.ops' fails; see $log"; exit 1; }
fi

say "installing OpenMMLab pins and runtime requirements"
"$PY" -m pip install -q --root-user-action=ignore -r requirements/mminstall.txt -r requirements/runtime.txt -r requirements/tests.txt
"$PY" -m pip install -q --root-user-action=ignore --no-deps --no-build-isolation -e .

"$PY" - <<'PY'
import mmcv, mmcv.ops, mmengine, mmseg, torch  # noqa: F401
import elseg
print(f'[elseg install] OK: import mmseg, mmcv.ops, elseg works '
      f'(torch {torch.__version__}, mmcv {mmcv.__version__}, mmengine '
      f'{mmengine.__version__}, mmseg {mmseg.__version__}, elseg {elseg.__version__}, '
      f'CUDA ops {"yes" if torch.cuda.is_available() else "no (CPU torch)"})')
PY
say "done in $(( $(date +%s) - start )) s"
