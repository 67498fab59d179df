#!/usr/bin/env bash
# Prepare, on this (networked, CPU) machine, what benchmarks/gpu_suite.sh needs on
# a device machine that cannot fetch anything. Both folders are git-ignored and
# travel with the working tree when named in the device tool's `carry`:
#   .whl/                  skorch's wheel for Python 3.12 (the device's python3),
#                          ClustPy's source tree as .whl/clustpy_src
#   .data/fashion-mnist/   the four Fashion-MNIST IDX .gz files (from the Debian
#                          package dataset-fashion-mnist, installed if missing)
# Usage: bash benchmarks/prepare_gpu.sh   (from the repository root; ~30 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .whl .data/fashion-mnist
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp -d .whl skorch==1.4.0
if [[ ! -d .whl/clustpy_src ]]; then
  # the sdist itself (pip download would build it): its link on PyPI's simple
  # index, checked against the index's sha256
  mkdir -p .whl/_sdist
  url=$(curl -sf https://pypi.org/simple/clustpy/ \
        | grep -o "https://[^\"]*clustpy-${CLUSTPY_VERSION:-0.0.3}\.tar\.gz#sha256=[0-9a-f]*")
  curl -sf -o .whl/_sdist/clustpy.tar.gz "${url%%#*}"
  echo "${url##*=}  .whl/_sdist/clustpy.tar.gz" | sha256sum -c --quiet
  tar -xzf .whl/_sdist/clustpy.tar.gz -C .whl/_sdist
  mv .whl/_sdist/clustpy-*/ .whl/clustpy_src && rm -rf .whl/_sdist
fi
SRC=/usr/share/datasets/fashion-mnist
if [[ ! -f $SRC/train-images-idx3-ubyte.gz ]]; then
  apt-get install -y -q dataset-fashion-mnist >/dev/null
fi
cp "$SRC"/*-ubyte.gz .data/fashion-mnist/
du -sh .whl .data
echo "carry: [\".whl\", \".data\"]; then: bash benchmarks/gpu_suite.sh \$OUT"
