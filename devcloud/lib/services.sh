# The devcloud's OpenStack services: names, start order, how each starts.
# Sourced by devcloud/{up,down,status}.
# shellcheck disable=SC2034  # the scripts that source this use these

API_SERVICES=(keystone placement glance neutron nova-api cinder-api)
WORKER_SERVICES=(nova-conductor nova-scheduler nova-compute cinder-scheduler cinder-volume)
OPENSTACK_SERVICES=("${API_SERVICES[@]}" "${WORKER_SERVICES[@]}")
# Started only where the machine lacks them (lib/backing.sh).
BACKING_SERVICES=(mariadb rabbitmq-epmd rabbitmq)

api_port() {
    case $1 in
        keystone) echo "$PORT_KEYSTONE" ;;   placement) echo "$PORT_PLACEMENT" ;;
        glance) echo "$PORT_GLANCE" ;;       neutron) echo "$PORT_NEUTRON" ;;
        nova-api) echo "$PORT_NOVA" ;;       cinder-api) echo "$PORT_CINDER" ;;
    esac
}

# gunicorn_service NAME MODULE ARGV [VAR=value...]: the API in one gunicorn
# worker (threads for concurrency), loaded through jiyun_devcloud.wsgi so
# that it parses ARGV rather than gunicorn's options. Keep-alive outlasts
# openstacksdk's 2 s polling: with gunicorn's 2 s default, a poll now and
# then reuses a connection the server is closing, and fails. --config
# /dev/null: not the portal's ./gunicorn.conf.py, which gunicorn reads from
# the current directory when it is given none.
gunicorn_service() {
    local name=$1 module=$2 argv=$3; shift 3
    start_service "$name" env PATH="$VENV/bin:$PATH" \
        DEVCLOUD_WSGI_MODULE="$module" DEVCLOUD_WSGI_ARGV="$argv" "$@" \
        "$VENV/bin/gunicorn" --config /dev/null --no-control-socket --name "devcloud-$name" \
        --bind "$HOST:$(api_port "$name")" --workers 1 --worker-class gthread \
        --threads 4 --timeout 300 --graceful-timeout 5 --keep-alive 75 \
        jiyun_devcloud.wsgi:application
}

launch() {
    local nova=(--config-file "$ETC/nova/nova.conf")
    local nova_db=(--config-file "$ETC/nova/nova-db.conf")   # all but compute
    local cinder=(--config-file "$ETC/cinder/cinder.conf")
    case $1 in
        keystone) gunicorn_service keystone keystone.wsgi.api "" \
                      OS_KEYSTONE_CONFIG_DIR="$ETC/keystone" ;;
        placement) gunicorn_service placement placement.wsgi.api "" \
                      OS_PLACEMENT_CONFIG_DIR="$ETC/placement" ;;
        glance) gunicorn_service glance glance.wsgi.api "" \
                      OS_GLANCE_CONFIG_DIR="$ETC/glance" ;;
        neutron) gunicorn_service neutron neutron.wsgi.api "" \
                      OS_NEUTRON_CONFIG_DIR="$ETC/neutron" \
                      OS_NEUTRON_CONFIG_FILES="neutron.conf;ml2_conf.ini" ;;
        # Nova reads these from its config dir; naming nova.conf alone in
        # OS_NOVA_CONFIG_FILES would lose the paste pipeline.
        nova-api) gunicorn_service nova-api nova.wsgi.osapi_compute "" \
                      OS_NOVA_CONFIG_DIR="$ETC/nova" \
                      OS_NOVA_CONFIG_FILES="api-paste.ini;nova.conf;nova-db.conf" ;;
        cinder-api) gunicorn_service cinder-api cinder.wsgi.api "$(printf "%q " "${cinder[@]}")" ;;
        nova-compute) start_service "$1" env PATH="$VENV/bin:$PATH" "$VENV/bin/$1" "${nova[@]}" ;;
        nova-*) start_service "$1" env PATH="$VENV/bin:$PATH" "$VENV/bin/$1" "${nova[@]}" "${nova_db[@]}" ;;
        cinder-*) start_service "$1" env PATH="$VENV/bin:$PATH" "$VENV/bin/$1" "${cinder[@]}" ;;
        *) die "no such service: $1" ;;
    esac
}
