# Shared settings and process helpers for devcloud/{up,down,status,measure}.
# Sourced, never run. Everything the devcloud writes lives under $VAR.
# shellcheck disable=SC2034  # the scripts that source this use these

DEVCLOUD=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR=$DEVCLOUD/var
VENV=$VAR/venv
ETC=$VAR/etc        # rendered configuration, one folder per service
LOGS=$VAR/log       # one log per service
RUN=$VAR/run        # one pid file per process we started
DATA=$VAR/data      # images, volumes' state, lock files
STATE=$VAR/state    # stamps of one-time steps, generated secrets

PYTHON=${DEVCLOUD_PYTHON:-python3.11}
HOST=127.0.0.1
REGION=RegionOne

# The usual OpenStack ports + 10000: 5000 is Flask's default, and the portal
# is a Flask app on this same machine.
PORT_KEYSTONE=15000
PORT_PLACEMENT=18778
PORT_GLANCE=19292
PORT_NEUTRON=19696
PORT_NOVA=18774
PORT_CINDER=18776

# Backing services: the machine's own, shared; the devcloud keeps to its own
# databases (devcloud_*) and its own RabbitMQ vhost.
DB_PORT=3306
DB_PREFIX=devcloud_
DATABASES=(keystone placement glance neutron nova_api nova nova_cell0 cinder)
RABBIT_PORT=5672
RABBIT_USER=guest
RABBIT_PASSWORD=guest
RABBIT_VHOST=devcloud

# Seconds `down` waits after TERM before it sends KILL to a process group.
STOP_TIMEOUT=${DEVCLOUD_STOP_TIMEOUT:-20}

# Messages carry the seconds since the command began (the Python helpers
# count from DEVCLOUD_STARTED).
export DEVCLOUD_STARTED=$EPOCHSECONDS
say() { printf 'devcloud [%3ds] %s\n' "$((EPOCHSECONDS - DEVCLOUD_STARTED))" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The start time of a process in clock ticks since boot (field 22 of
# /proc/PID/stat): with the PID it names one process for good, so a PID that
# the kernel has since given to another program is never mistaken for ours.
proc_start_time() {
    local stat fields
    read -r stat 2> /dev/null < "/proc/$1/stat" || return 1
    read -ra fields <<< "${stat##*) }"     # after "pid (comm) ": comm may hold spaces
    echo "${fields[19]}"
}

# True if the process recorded in RUN/NAME.pid is still the one we started.
is_running() {
    local pidfile=$RUN/$1.pid pid started now
    [[ -f $pidfile ]] || return 1
    read -r pid started < "$pidfile"
    now=$(proc_start_time "$pid") || return 1
    [[ $now == "$started" ]]
}

pid_of() { local pid _; read -r pid _ < "$RUN/$1.pid"; echo "$pid"; }

# True while a live process is left in process group $1. `kill -0 -PGID`
# would also count zombies, which a parent that has not reaped them keeps.
group_alive() {
    local pgid=$1 stat line fields
    for stat in /proc/[0-9]*/stat; do
        read -r line 2> /dev/null < "$stat" || continue
        read -ra fields <<< "${line##*) }"     # state ppid pgrp ...
        [[ ${fields[2]} == "$pgid" && ${fields[0]} != Z ]] && return 0
    done
    return 1
}

# start_service NAME CMD... : run CMD in a session (so a process group) of
# its own, output to LOGS/NAME.log, and record "PID STARTTIME" in RUN/NAME.pid.
start_service() {
    local name=$1; shift
    mkdir -p "$LOGS" "$RUN"
    printf '\n==== %s starting: %s\n' "$(date -u +%FT%TZ)" "$*" >> "$LOGS/$name.log"
    # A background job of a script is not a group leader, so setsid(1)
    # calls setsid() and execs without forking: $! is the service's own PID.
    # fd 9 is up's lock: a service that kept it would lock out down.
    setsid "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null 9>&- &
    local pid=$!
    local started
    started=$(proc_start_time "$pid") || die "$name exited at once; see $LOGS/$name.log"
    echo "$pid $started" > "$RUN/$name.pid"
}

# stop_service NAME: TERM the process group we started, KILL it after
# STOP_TIMEOUT seconds, then forget the pid file.
stop_service() {
    local name=$1 pidfile=$RUN/$1.pid pid started
    [[ -f $pidfile ]] || return 0
    read -r pid started < "$pidfile"
    if ! is_running "$name" && [[ -e /proc/$pid ]]; then
        # The PID now names another program; our group died with our leader
        # (the kernel reuses no PID still in use as a group id).
        rm -f "$pidfile"; return 0
    fi
    if group_alive "$pid"; then
        kill -TERM -- "-$pid" 2>/dev/null
        local waited=0
        while group_alive "$pid" && (( waited < STOP_TIMEOUT * 10 )); do
            sleep 0.2; waited=$((waited + 2))
        done
        if group_alive "$pid"; then
            say "$name ignored TERM for ${STOP_TIMEOUT}s: KILL"
            kill -KILL -- "-$pid" 2>/dev/null
            while group_alive "$pid"; do sleep 0.2; done
        fi
    fi
    rm -f "$pidfile"
}

port_open() { (exec 3<> "/dev/tcp/$HOST/$1") 2> /dev/null; }

# http_answers PORT [PATH]: the API answers at all (any HTTP status < 500).
http_answers() {
    local code
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$HOST:$1${2:-/}") || return 1
    [[ $code =~ ^[1-4] ]]
}

# wait_for SECONDS WHAT CMD...: retry CMD once a second until it succeeds.
wait_for() {
    local limit=$1 what=$2; shift 2
    local i
    for ((i = 0; i < limit; i++)); do
        "$@" && return 0
        sleep 1
    done
    die "$what did not come up within ${limit}s"
}
