#!/usr/bin/env bash
# Builds llama-cpp-python in the benchmark's OWN venv (bench/.venv-llamacpp), never in the
# app's environment: it is only the peer that bench_generation.py measures against.
# Compiling takes ~10 minutes on 2 cores; the venv is reused on later runs.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv-llamacpp
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# CPU-only build; native arch so the peer is as fast as llama.cpp can be on this machine.
CMAKE_ARGS="-DGGML_NATIVE=ON -DGGML_CUDA=OFF -DLLAMA_CURL=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 \
  "$VENV/bin/python" -m pip install -q --no-cache-dir "llama-cpp-python==0.3.36"
