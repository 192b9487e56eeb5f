#!/usr/bin/env bash
# The tested deployment (deploy/): nginx on PORT in front of PROCESSES daphne processes on PORT+1 ..
# PORT+PROCESSES, one Celery worker and beat, until Ctrl-C.
set -euo pipefail
BIN=.venv/bin
mkdir -p var
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
ports=()
for i in $(seq 1 "$PROCESSES"); do
  port=$((PORT + i))
  ports+=("$port")
  $BIN/daphne -b 127.0.0.1 -p "$port" config.asgi:application & pids+=($!)
done
$BIN/celery -A config worker -l info --concurrency 2 & pids+=($!)
$BIN/celery -A config beat -l info & pids+=($!)
$BIN/python deploy/nginx.py run --listen "127.0.0.1:$PORT" --upstream "${ports[@]}" --dir var/nginx & pids+=($!)
echo "nginx on http://127.0.0.1:$PORT in front of daphne on ports ${ports[*]}"
wait -n
