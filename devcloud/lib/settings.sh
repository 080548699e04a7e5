# Generated secrets and the settings the Python helpers read from the
# environment. Sourced by devcloud/up and devcloud/measure after common.sh.

# Passwords are made once per devcloud and kept in var/state/secrets.env
# (mode 600); a new var/ gets new ones, and bootstrap starts over with them.
load_secrets() {
    local file=$STATE/secrets.env name
    mkdir -p "$STATE"
    if [[ ! -f $file ]]; then
        (umask 077
         for name in ADMIN_PASSWORD SERVICE_PASSWORD PORTAL_PASSWORD DB_PASSWORD; do
             echo "$name=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
         done > "$file.tmp")
        mv "$file.tmp" "$file"
    fi
    set -a
    # shellcheck source=/dev/null  # made above
    source "$file"
    set +a
}

export_settings() {
    load_secrets
    DB="mysql+pymysql://devcloud:$DB_PASSWORD@$HOST:$DB_PORT/$DB_PREFIX"
    TRANSPORT_URL="rabbit://$RABBIT_USER:$RABBIT_PASSWORD@$HOST:$RABBIT_PORT/$RABBIT_VHOST"
    export DEVCLOUD VAR VENV ETC DATA HOST REGION DB TRANSPORT_URL \
        PORT_KEYSTONE PORT_PLACEMENT PORT_GLANCE PORT_NEUTRON PORT_NOVA PORT_CINDER
}
