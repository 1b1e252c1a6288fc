#!/usr/bin/env bash
# Turn latency through HTTP with 50 concurrent conversations on the embedded default (SQLite).
#
# Starts the reference back office and `warmline serve` on loopback, waits for /healthz, warms
# up, runs Locust headless in its own process, prints p50/p95/p99 and requests/s of "turn", and
# stops both servers on exit. See benchmarks/README.md.
#
# Environment knobs (defaults in brackets):
#   DURATION [60s]   USERS [50]   SPAWN_RATE [50]   WARMUP [10s, 0 to skip]
#   PORT [18000]     BO_PORT [18765]
#   OUTDIR [reports/bench/turn-latency-<UTC time>]  where the CSVs and logs go
#   PIN [1]          with 2+ CPUs and taskset: warmline serve on CPU 0, back office and Locust
#                    on CPU 1; PIN=0 lets the scheduler place everything
#   SERVER_CPUS [0]  AUX_CPUS [1]   the CPU lists used when PIN=1
#   PROFILE_S [0]    >0: py-spy records each server process (the workers, and the parent that
#                    started them) for that many seconds, from 10 s into the run (raw collapsed
#                    stacks in OUTDIR/profile-<pid>.txt); PYSPY_ARGS adds flags to it, e.g.
#                    PYSPY_ARGS="--native" or "--gil"; PYSPY [py-spy] the command
#   TURNS_PER_S_PER_USER [unset]  paced load: each conversation sends that many turns a second
#                    whatever the latency (USERS=200 TURNS_PER_S_PER_USER=0.75 offers 150
#                    turns/s); unset: no think time (saturation). ARRIVALS [poisson] or constant
#                    (benchmarks/locustfile.py)
#   START_LIMIT, MESSAGE_LIMIT [100000/minute, 1000000/minute]  the server's per-address limits:
#                    Locust is one address, so the defaults (meant for one customer) are lifted
#   KEEP_TMP [0]     1: keep the temporary folder (database, trained models, server logs)
#   WORKERS [1]      worker processes (`warmline serve --workers N`); more than one needs
#                    PostgreSQL and NATS, so WORKERS > 1 runs on a fresh PostgreSQL database
#   POSTGRES [0]     1: PostgreSQL even with one worker (a fresh database, dropped afterwards)
#   PG_ADMIN_URL [postgresql://postgres@127.0.0.1:5432/postgres]  where that database is made
#   NATS_URL [nats://127.0.0.1:4222]  used with PostgreSQL
#   MODEL_DIR [a temporary folder]  trained models to reuse (var/models after `make demo`)
#   REDIS_URL [unset]  WARMLINE_REDIS_URL for the server (rate limits, sessions, presence in
#                    Redis, as several hosts share them); its CPU is then reported too
#
# The summary gives the CPU per request of the server, and the CPU shares of every process on
# the machine's cores during the measured run: the server, the back office, the load generator,
# PostgreSQL (this database's connections and the server's own background processes) and NATS
# and Redis (the whole servers: shared with anything else that uses them meanwhile).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ -f .venv/bin/activate && "${VIRTUAL_ENV:-}" != "$ROOT/.venv" ]]; then
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi

DURATION="${DURATION:-60s}"
USERS="${USERS:-50}"
SPAWN_RATE="${SPAWN_RATE:-50}"
WARMUP="${WARMUP:-10s}"
PORT="${PORT:-18000}"
BO_PORT="${BO_PORT:-18765}"
PIN="${PIN:-1}"
SERVER_CPUS="${SERVER_CPUS:-0}"
AUX_CPUS="${AUX_CPUS:-1}"
PROFILE_S="${PROFILE_S:-0}"
PYSPY_ARGS="${PYSPY_ARGS:-}"
PYSPY="${PYSPY:-py-spy}"
REDIS_URL="${REDIS_URL:-}"
KEEP_TMP="${KEEP_TMP:-0}"
WORKERS="${WORKERS:-1}"
POSTGRES="${POSTGRES:-0}"
if ((WORKERS > 1)); then POSTGRES=1; fi
PG_ADMIN_URL="${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
OUTDIR="${OUTDIR:-reports/bench/turn-latency-$(date -u +%Y%m%dT%H%M%SZ)}"
HOST="http://127.0.0.1:${PORT}"

mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
TMP="$(mktemp -d -t warmline-bench.XXXXXX)"

SERVER_PIN=()
AUX_PIN=()
if [[ "$PIN" == "1" ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
  SERVER_PIN=(taskset -c "$SERVER_CPUS")
  AUX_PIN=(taskset -c "$AUX_CPUS")
  PINNING="warmline serve on CPU $SERVER_CPUS; back office and Locust on CPU $AUX_CPUS"
else
  PINNING="none (scheduler places every process)"
fi

BO_PID=""
SERVER_PID=""
SPY_PIDS=""
PG_DB=""
cleanup() {
  local pid
  for pid in $SPY_PIDS $SERVER_PID $BO_PID; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $SPY_PIDS $SERVER_PID $BO_PID; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "$PG_DB" ]]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  fi
  if [[ "$KEEP_TMP" == "1" ]]; then
    echo "kept $TMP"
  else
    cp "$TMP"/*.log "$OUTDIR"/ 2>/dev/null || true
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_busy() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$PORT" "$BO_PORT"; do
  if port_busy "$p"; then
    echo "port $p is already in use on 127.0.0.1; set PORT/BO_PORT" >&2
    exit 2
  fi
done

wait_healthy() {  # url pid name
  local deadline=$((SECONDS + 180))
  until curl -sf -o /dev/null "$1"; do
    if ! kill -0 "$2" 2>/dev/null; then
      echo "$3 exited before it was healthy; its log:" >&2
      cat "$TMP/$3.log" >&2 || true
      exit 1
    fi
    if ((SECONDS > deadline)); then
      echo "$3 not healthy after 180 s" >&2
      exit 1
    fi
    sleep 0.2
  done
}

cpu_seconds() {  # utime + stime of a pid and its child processes (the workers), in seconds
  local pids
  pids="$1 $(pgrep -P "$1" | tr '\n' ' ')"
  for pid in $pids; do cat "/proc/$pid/stat" 2>/dev/null; done |
    awk -v hz="$(getconf CLK_TCK)" '{ s += $14 + $15 } END { print s / hz }'
}

pg_pids() {  # this database's connections and PostgreSQL's background processes
  [[ -n "$PG_DB" ]] || return 0
  psql -Atq "$PG_ADMIN_URL" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$PG_DB'
    OR (backend_type <> 'client backend' AND datname IS NULL)" 2>/dev/null || true
}

cpu_table() {  # "pid seconds" for each pid given (utime + stime)
  local pid
  for pid in "$@"; do
    awk -v p="$pid" -v hz="$(getconf CLK_TCK)" '{ print p, ($14 + $15) / hz }' \
      "/proc/$pid/stat" 2>/dev/null || true
  done
}

cpu_delta() {  # before-table after-table: CPU spent between them (a pid new since counts whole)
  awk 'FILENAME == ARGV[1] { before[$1] = $2; next } { s += $2 - before[$1] }
    END { printf "%.2f\n", s }' \
    "$1" "$2"
}

"${AUX_PIN[@]}" python -m warmline.demo.backoffice --host 127.0.0.1 --port "$BO_PORT" \
  >"$TMP/backoffice.log" 2>&1 &
BO_PID=$!

# Conversations start as signed-in customers do: with an identity token Locust signs with this
# run's own identity secret.
WARMLINE_IDENTITY_SECRET="$(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
export WARMLINE_IDENTITY_SECRET

DATABASE_URL="sqlite+aiosqlite:///$TMP/bench.db"
if [[ "$POSTGRES" == "1" ]]; then
  PG_DB="warmline_bench_$$"
  psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
  DATABASE_URL="postgresql+asyncpg://${PG_ADMIN_URL#postgresql://}"
  DATABASE_URL="${DATABASE_URL%/*}/$PG_DB"
  export WARMLINE_NATS_URL="$NATS_URL"
fi
if [[ -n "$REDIS_URL" ]]; then
  export WARMLINE_REDIS_URL="$REDIS_URL"
fi

# The load talks to the airline pack only; loading just it keeps start-up short.
WARMLINE_DATABASE_URL="$DATABASE_URL" \
WARMLINE_BACKOFFICE_URL="http://127.0.0.1:$BO_PORT" \
WARMLINE_MODEL_DIR="${MODEL_DIR:-$TMP/models}" \
WARMLINE_PACKS='["airline"]' \
WARMLINE_LOG_LEVEL=warning \
WARMLINE_START_LIMIT="${START_LIMIT:-100000/minute}" \
WARMLINE_MESSAGE_LIMIT="${MESSAGE_LIMIT:-1000000/minute}" \
  "${SERVER_PIN[@]}" warmline serve --host 127.0.0.1 --port "$PORT" --workers "$WORKERS" \
  >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

wait_healthy "http://127.0.0.1:$BO_PORT/_health" "$BO_PID" backoffice
wait_healthy "$HOST/healthz" "$SERVER_PID" server

LOCUST=("${AUX_PIN[@]}" /usr/bin/time -f "%U %S" -o "$TMP/locust.cpu" locust -f benchmarks/locustfile.py --headless --host "$HOST" --only-summary
  --loglevel WARNING)

if [[ "$WARMUP" != "0" ]]; then
  echo "warm-up: $WARMUP with 10 users" >&2
  "${LOCUST[@]}" -u 10 -r 10 -t "$WARMUP" --csv "$OUTDIR/warmup" >"$OUTDIR/warmup.log" 2>&1 || true
fi

if ((PROFILE_S > 0)); then
  for pid in $SERVER_PID $(pgrep -P "$SERVER_PID"); do  # every worker, each on its own
    (sleep 10 && exec "$PYSPY" record -p "$pid" -d "$PROFILE_S" -r 100 -f raw \
      $PYSPY_ARGS -o "$OUTDIR/profile-$pid.txt" >"$OUTDIR/py-spy-$pid.log" 2>&1) &
    SPY_PIDS="$SPY_PIDS $!"
  done
fi

# The servers the run shares the cores with: PostgreSQL's processes for this database, NATS
# and Redis (whole servers, on this machine only when their URL is on loopback).
NATS_PIDS=""
REDIS_PIDS=""
if [[ "$POSTGRES" == "1" ]]; then NATS_PIDS="$(pgrep -x nats-server | tr '\n' ' ')"; fi
if [[ -n "$REDIS_URL" ]]; then REDIS_PIDS="$(pgrep -x redis-server | tr '\n' ' ')"; fi
# shellcheck disable=SC2046,SC2086
cpu_table $(pg_pids) >"$TMP/pg.cpu0"
# shellcheck disable=SC2086
cpu_table $NATS_PIDS >"$TMP/nats.cpu0"
# shellcheck disable=SC2086
cpu_table $REDIS_PIDS >"$TMP/redis.cpu0"
load_0="$(cut -d' ' -f1-3 /proc/loadavg)"
server_cpu_0="$(cpu_seconds "$SERVER_PID")"
bo_cpu_0="$(cpu_seconds "$BO_PID")"
echo "run: $USERS users, $DURATION, pinning: $PINNING" >&2
rc=0
"${LOCUST[@]}" -u "$USERS" -r "$SPAWN_RATE" -t "$DURATION" --reset-stats --csv "$OUTDIR/turns" \
  2>&1 | tee "$OUTDIR/locust.log" >&2 || rc=$?
server_cpu="$(awk -v a="$server_cpu_0" -v b="$(cpu_seconds "$SERVER_PID")" 'BEGIN { print b - a }')"
bo_cpu="$(awk -v a="$bo_cpu_0" -v b="$(cpu_seconds "$BO_PID")" 'BEGIN { print b - a }')"
# shellcheck disable=SC2046,SC2086
cpu_table $(pg_pids) >"$TMP/pg.cpu1"
# shellcheck disable=SC2086
cpu_table $NATS_PIDS >"$TMP/nats.cpu1"
# shellcheck disable=SC2086
cpu_table $REDIS_PIDS >"$TMP/redis.cpu1"
load_1="$(cut -d' ' -f1-3 /proc/loadavg)"
pg_cpu="$(cpu_delta "$TMP/pg.cpu0" "$TMP/pg.cpu1")"
nats_cpu="$(cpu_delta "$TMP/nats.cpu0" "$TMP/nats.cpu1")"
redis_cpu="$(cpu_delta "$TMP/redis.cpu0" "$TMP/redis.cpu1")"
locust_cpu="$(awk 'END { print $1 + $2 }' "$TMP/locust.cpu" 2>/dev/null || echo 0)"
if [[ -n "$SPY_PIDS" ]]; then
  # shellcheck disable=SC2086
  wait $SPY_PIDS || true
  SPY_PIDS=""
fi

CPU_MODEL="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
CPU="server=$server_cpu backoffice=$bo_cpu locust=$locust_cpu postgresql=$pg_cpu nats=$nats_cpu"
CPU="$CPU redis=$redis_cpu" LOAD="$load_0 -> $load_1" REDIS="${REDIS_URL:+ and Redis}" \
python - "$OUTDIR/turns_stats.csv" "$(nproc)" "$CPU_MODEL" "$PINNING" \
  "$USERS" "$DURATION" "$WORKERS" "$DATABASE_URL" <<'PY' | tee "$OUTDIR/summary.txt"
import csv
import os
import sys

path, cores, model, pinning, users, duration, workers, db = sys.argv[1:]
cpu = {k: float(v) for k, v in (part.split("=") for part in os.environ["CPU"].split())}
rows = {row["Name"]: row for row in csv.DictReader(open(path))}
print(f"machine: {cores} CPUs, {model}; pinning: {pinning}")
print(f"load average (1, 5, 15 min) at the start and the end: {os.environ['LOAD']}")
print(f"server: {workers} worker(s) on {db.split(':')[0]}{os.environ['REDIS']}")
pace = os.environ.get("TURNS_PER_S_PER_USER")
arrivals = "Poisson" if os.environ.get("ARRIVALS", "poisson") == "poisson" else "constant"
offered = f", {float(pace) * int(users):.0f} turns/s offered" if pace else ""
print(f"load: {users} conversations, {duration}, "
      + (f"{arrivals} arrivals, {pace} turns/s per conversation{offered}" if pace
         else "no think time"))
print(f"{'name':<6} {'requests':>8} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
      f"{'max ms':>7} {'req/s':>7}")
for name in ("turn", "start"):
    r = rows.get(name)
    if r is None:
        continue
    print(f"{name:<6} {r['Request Count']:>8} {r['Failure Count']:>5} {r['50%']:>7} {r['95%']:>7} "
          f"{r['99%']:>7} {float(r['Max Response Time']):>7.0f} {float(r['Requests/s']):>7.1f}")
turn = rows.get("turn")
if turn and int(turn["Request Count"]):
    n = int(turn["Request Count"]) + int(rows.get("start", {}).get("Request Count", 0) or 0)
    print("CPU per request (turns and starts): "
          + ", ".join(f"{name} {1000 * cpu[name] / n:.2f} ms" for name in cpu if cpu[name]))
    total = sum(cpu.values())
    if total:
        print("CPU shares (the measured run): "
              + ", ".join(f"{name} {cpu[name] / total:.0%}" for name in cpu if cpu[name])
              + f"; {total:.0f} CPU-seconds in all")
PY
echo "results in $OUTDIR" >&2
exit "$rc"
