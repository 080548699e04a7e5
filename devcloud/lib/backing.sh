# MariaDB and RabbitMQ for the devcloud. Sourced by devcloud/up.
# Where the machine runs them already (this one does) they are used as they
# are and never stopped. Where it does not, they are installed from Debian's
# packages and started here on loopback as devcloud services, so `down`
# stops them like the rest.

apt_install() {
    say "installing $* from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q && apt-get install -y -q --no-install-recommends "$@"; } \
        >> "$LOGS/apt.log" 2>&1 || die "apt-get install $* failed; see $LOGS/apt.log"
}

ensure_mariadb() {
    port_open "$DB_PORT" && return 0
    [[ -x /usr/sbin/mariadbd ]] || apt_install mariadb-server mariadb-client
    port_open "$DB_PORT" && return 0      # the package's scripts started it
    say "starting MariaDB on $HOST:$DB_PORT"
    install -d -o mysql -g mysql /run/mysqld
    start_service mariadb /usr/sbin/mariadbd --user=mysql \
        --bind-address="$HOST" --port="$DB_PORT"
    wait_for 60 MariaDB port_open "$DB_PORT"
}

ensure_rabbitmq() {
    port_open "$RABBIT_PORT" && return 0
    command -v rabbitmq-server > /dev/null || apt_install rabbitmq-server
    port_open "$RABBIT_PORT" && return 0
    say "starting RabbitMQ on $HOST:$RABBIT_PORT"
    # As the rabbitmq user, in the foreground, with an epmd of our own
    # started first: Debian's wrapper (su) and Erlang's own epmd would each
    # leave our process group, so `down` could not find them.
    local as_rabbit=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups
                     env HOME=/var/lib/rabbitmq ERL_EPMD_ADDRESS="$HOST")
    start_service rabbitmq-epmd "${as_rabbit[@]}" epmd
    start_service rabbitmq "${as_rabbit[@]}" RABBITMQ_NODE_IP_ADDRESS="$HOST" \
        RABBITMQ_NODE_PORT="$RABBIT_PORT" /usr/lib/rabbitmq/bin/rabbitmq-server
    wait_for 120 RabbitMQ port_open "$RABBIT_PORT"
}

# Root's MariaDB login: TCP with an empty password as here, else the socket
# (a fresh Debian install lets the system's root in that way).
db_admin() {
    if mariadb -uroot -h"$HOST" -P"$DB_PORT" -e 'SELECT 1' > /dev/null 2>&1; then
        mariadb -uroot -h"$HOST" -P"$DB_PORT" --batch --skip-column-names "$@"
    else
        mariadb -uroot --batch --skip-column-names "$@"
    fi
}

# Drop and create the devcloud's databases, and its login, from scratch.
reset_databases() {
    local sql="" db host
    for db in "${DATABASES[@]}"; do
        sql+="DROP DATABASE IF EXISTS ${DB_PREFIX}$db;"
        sql+="CREATE DATABASE ${DB_PREFIX}$db CHARACTER SET utf8;"
    done
    # 127.0.0.1 for TCP logins under skip-name-resolve, localhost without it.
    for host in 127.0.0.1 localhost; do
        sql+="CREATE USER IF NOT EXISTS 'devcloud'@'$host';"
        sql+="ALTER USER 'devcloud'@'$host' IDENTIFIED BY '$DB_PASSWORD';"
        sql+="GRANT ALL ON \`${DB_PREFIX//_/\\_}%\`.* TO 'devcloud'@'$host';"
    done
    db_admin -e "$sql"
}

databases_present() {
    local names
    names=$(printf "'${DB_PREFIX}%s'," "${DATABASES[@]}")
    [[ $(db_admin -e "SELECT COUNT(*) FROM information_schema.schemata
                      WHERE schema_name IN (${names%,})") == "${#DATABASES[@]}" ]]
}

reset_vhost() {
    if vhost_present; then rabbitmqctl -q delete_vhost "$RABBIT_VHOST" > /dev/null; fi
    rabbitmqctl -q add_vhost "$RABBIT_VHOST" > /dev/null
    rabbitmqctl -q set_permissions -p "$RABBIT_VHOST" "$RABBIT_USER" '.*' '.*' '.*' > /dev/null
}

vhost_present() { rabbitmqctl -q list_vhosts name 2>/dev/null | grep -qx "$RABBIT_VHOST"; }
