# One-time set-up of a new devcloud: databases, vhost, schemas, Keystone's
# keys and admin, Nova's cells. Sourced by devcloud/up, which runs it only
# when var/state/bootstrapped is missing or its databases have gone.
# It starts from a clean slate (drops the devcloud's databases and data), so
# a half-finished run is simply run again.

KEYSTONE_URL="http://$HOST:$PORT_KEYSTONE/v3"

manage() {  # run a *-manage tool, its output to the bootstrap log
    say "  $(shown_args "$@")"
    "$VENV/bin/$1" "${@:2}" >> "$LOGS/bootstrap.log" 2>&1 \
        || die "$(shown_args "$@") failed; see $LOGS/bootstrap.log"
}

# The command line to show: no config paths, no secrets.
shown_args() {
    local shown=() skip=""
    for arg in "$@"; do
        if [[ -n $skip ]]; then [[ $skip == secret ]] && shown+=("…"); skip=""; continue; fi
        case $arg in
            --config-file) skip=path ;;
            --bootstrap-password|--database_connection) shown+=("$arg"); skip=secret ;;
            *) shown+=("$arg") ;;
        esac
    done
    echo "${shown[*]}"
}

# Bootstrapped, and by this var/: the stamp is here, the databases and the
# vhost exist, and they still take our password (a devcloud of another
# checkout, bootstrapped since, would have changed it).
bootstrapped() {
    [[ -f $STATE/bootstrapped ]] && databases_present && vhost_present &&
        MYSQL_PWD=$DB_PASSWORD mariadb -udevcloud -h"$HOST" -P"$DB_PORT" -e 'SELECT 1' > /dev/null 2>&1
}

bootstrap() {
    say "bootstrapping a new devcloud (log: $LOGS/bootstrap.log)"
    rm -f "$STATE/bootstrapped" "$STATE/identity-seeded"
    reset_databases
    reset_vhost
    rm -rf "$DATA"
    mkdir -p "$DATA"/{keystone,glance,neutron,nova,cinder}

    # Three lanes side by side: each tool spends most of its time importing.
    keystone_setup & nova_setup & other_schemas &
    local lane failed=0
    for lane in $(jobs -p); do wait "$lane" || failed=1; done
    ((failed == 0)) || die "bootstrap failed; see $LOGS/bootstrap.log"
    touch "$STATE/bootstrapped"
}

keystone_setup() {
    local k=(--config-file "$ETC/keystone/keystone.conf")
    manage keystone-manage "${k[@]}" db_sync
    manage keystone-manage "${k[@]}" fernet_setup --keystone-user root --keystone-group root
    manage keystone-manage "${k[@]}" receipt_setup --keystone-user root --keystone-group root
    manage keystone-manage "${k[@]}" credential_setup --keystone-user root --keystone-group root
    manage keystone-manage "${k[@]}" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
        --bootstrap-admin-url "$KEYSTONE_URL" --bootstrap-internal-url "$KEYSTONE_URL" \
        --bootstrap-public-url "$KEYSTONE_URL" --bootstrap-region-id "$REGION"
}

nova_setup() {
    local n=(--config-file "$ETC/nova/nova.conf" --config-file "$ETC/nova/nova-db.conf")
    manage nova-manage "${n[@]}" api_db sync
    manage nova-manage "${n[@]}" cell_v2 map_cell0 \
        --database_connection "${DB}nova_cell0?charset=utf8"
    # The databases are new, so cell1 cannot exist yet: no need to look.
    manage nova-manage "${n[@]}" cell_v2 create_cell --name cell1
    manage nova-manage "${n[@]}" db sync
}

other_schemas() {
    # placement-manage reads no default config path of ours: name the file.
    manage placement-manage --config-file "$ETC/placement/placement.conf" db sync
    manage glance-manage --config-file "$ETC/glance/glance-api.conf" db_sync
    manage neutron-db-manage --config-file "$ETC/neutron/neutron.conf" \
        --config-file "$ETC/neutron/ml2_conf.ini" upgrade heads
    manage cinder-manage --config-file "$ETC/cinder/cinder.conf" db sync
}

# Map the compute host into cell1 once it has registered (Nova cannot
# schedule to it before); on a running cloud it is mapped already.
discover_compute() {
    local i
    for ((i = 0; i < 60; i++)); do
        [[ -n $(db_admin -e "SELECT host FROM ${DB_PREFIX}nova_api.host_mappings
                             WHERE host = 'devcloud'") ]] && return 0
        "$VENV/bin/nova-manage" --config-file "$ETC/nova/nova.conf" \
            --config-file "$ETC/nova/nova-db.conf" cell_v2 discover_hosts >> "$LOGS/bootstrap.log" 2>&1
        sleep 2
    done
    die "nova-compute never registered; see $LOGS/nova-compute.log"
}
