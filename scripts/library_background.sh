#!/usr/bin/env bash
# Build the shipped simulation library in the background and commit its progress.
#
#   nohup setsid bash scripts/library_background.sh 400 1 40 > runs/library_build.log 2>&1 &
#   (N design bodies, W workers, K bodies with imposed-speed siblings, [VERSION 3|1])
#
# VERSION 3 (default) builds trialsim/data/library_v3 (one free-speed solve per body with the
# current objective, neighbour warm start, no batch barrier); VERSION 1 resumes the v1 library
# trialsim/data/library. Library v2 (trialsim/data/library_v2) is read-only.
# PID of this loop: runs/library_build.pid (stop: kill -- -$(cat runs/library_build.pid)).
# Every ~10 min it consolidates the parquet files and commits the library folder only
# (pathspec commit, so whatever else is staged in the shared index is left alone).
# Run it from a checkout whose code does not change while it builds (a git worktree):
# every solve starts a fresh worker process that imports the code on disk.
set -u
N=${1:-400}
WORKERS=${2:-1}
SIBLINGS=${3:-0}
VERSION=${4:-3}
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export PYTHONPATH="$(pwd)${PYTHONPATH:+:$PYTHONPATH}"
case "$VERSION" in
  3) LIB=trialsim/data/library_v3 ;;
  1) LIB=trialsim/data/library ;;
  *) echo "library_background.sh: VERSION $VERSION not buildable; give 3 (current objective) or 1 (v1 library); v2 is read-only" >&2; exit 2 ;;
esac
mkdir -p runs $LIB
echo $$ > runs/library_build.pid

commit() {
  $PY -c "from trialsim.musculoskeletal.library import consolidate; consolidate('$LIB')" || return 0
  local n
  n=$(ls $LIB/sims 2>/dev/null | grep -c '\.json$')
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -e "$(git rev-parse --git-dir)/index.lock" ] && { sleep 2; continue; }
    # only paths that exist: one missing pathspec makes `git add` add nothing (v2 has no metabolics/)
    for path in $LIB/design.json $LIB/sims $LIB/solutions $LIB/metabolics $LIB/simulations.parquet $LIB/curves.parquet; do
      [ -e "$path" ] && git add "$path"
    done
    git commit -q -m "library v$VERSION: $n sims" -- $LIB && break
    sleep 2
  done
}

if [ "$VERSION" = 3 ]; then
  BUILD="from trialsim.musculoskeletal.library_v2 import build_library_v2
build_library_v2('$LIB', n=$N, workers=$WORKERS, speed_siblings=$SIBLINGS)"
else
  BUILD="from trialsim.musculoskeletal.library import build_library
build_library('$LIB', n=$N, workers=$WORKERS, timeout_s=300, speed_siblings=$SIBLINGS)"
fi
$PY -c "
import logging; logging.basicConfig(level=logging.INFO)
$BUILD
" &
BUILD_PID=$!
echo $BUILD_PID > runs/library_build_python.pid
while kill -0 $BUILD_PID 2>/dev/null; do
  for _ in $(seq 60); do kill -0 $BUILD_PID 2>/dev/null || break; sleep 10; done
  commit
done
wait $BUILD_PID
commit
echo "library build finished"
