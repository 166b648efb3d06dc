#!/usr/bin/env bash
# Build the shipped simulation library in the background and commit its progress.
#
#   nohup setsid bash scripts/library_background.sh 400 2 120 > runs/library_build.log 2>&1 &
#   (N design samples, W workers, K bodies with speed siblings)
#
# PID of this loop: runs/library_build.pid (stop: kill -- -$(cat runs/library_build.pid)).
# Every ~10 min it consolidates the parquet files and commits trialsim/data/library only
# (pathspec commit, so whatever else is staged in the shared index is left alone).
set -u
N=${1:-400}
WORKERS=${2:-1}
SIBLINGS=${3:-0}
cd "$(dirname "$0")/.."
mkdir -p runs trialsim/data/library
echo $$ > runs/library_build.pid
LIB=trialsim/data/library

commit() {
  .venv/bin/python -c "from trialsim.musculoskeletal.library import consolidate; consolidate('$LIB')" || return 0
  local n
  n=$(ls $LIB/sims 2>/dev/null | grep -c '\.json$')
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -e .git/index.lock ] && { sleep 2; continue; }
    git add $LIB/design.json $LIB/sims $LIB/solutions $LIB/metabolics $LIB/simulations.parquet $LIB/curves.parquet 2>/dev/null
    git commit -q -m "library: $n sims" -- $LIB && break
    sleep 2
  done
}

.venv/bin/python -c "
import logging; logging.basicConfig(level=logging.INFO)
from trialsim.musculoskeletal.library import build_library
build_library('$LIB', n=$N, workers=$WORKERS, timeout_s=300, speed_siblings=$SIBLINGS)
" &
BUILD=$!
echo $BUILD > runs/library_build_python.pid
while kill -0 $BUILD 2>/dev/null; do
  for _ in $(seq 60); do kill -0 $BUILD 2>/dev/null || break; sleep 10; done
  commit
done
wait $BUILD
commit
echo "library build finished"
