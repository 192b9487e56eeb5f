#!/usr/bin/env bash
# Run PROCESSES daphne processes (ports PORT, PORT+1, ...), one Celery worker and beat, until Ctrl-C.
set -euo pipefail
BIN=.venv/bin
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for i in $(seq 0 $((PROCESSES - 1))); do
  port=$((PORT + i))
  $BIN/daphne -b 127.0.0.1 -p "$port" config.asgi:application & pids+=($!)
  echo "daphne on http://127.0.0.1:$port"
done
$BIN/celery -A config worker -l info --concurrency 2 & pids+=($!)
$BIN/celery -A config beat -l info --schedule var/celerybeat-schedule & pids+=($!)
wait
