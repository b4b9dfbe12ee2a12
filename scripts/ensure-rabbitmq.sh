#!/usr/bin/env bash
# Make RabbitMQ answer on 127.0.0.1:5672 (guest/guest) for the integration tests: install
# Debian's rabbitmq-server where missing, start it where stopped. Idempotent.
set -euo pipefail

port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

port_open && exit 0

if ! command -v rabbitmq-server >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "ensure-rabbitmq: installing rabbitmq-server"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
    else
        echo "ensure-rabbitmq: RabbitMQ is not installed and cannot be installed here" >&2
        exit 0   # the messaging tests then say loudly that they did not run
    fi
fi

echo "ensure-rabbitmq: starting rabbitmq-server"
conf_dir=$(mktemp -d)
printf 'listeners.tcp.default = 127.0.0.1:5672\n' > "$conf_dir/rabbitmq.conf"
RABBITMQ_CONFIG_FILE="$conf_dir/rabbitmq.conf" ERL_EPMD_ADDRESS=127.0.0.1 \
    rabbitmq-server -detached
for _ in $(seq 1 120); do
    port_open && break
    sleep 0.5
done
rabbitmqctl -q await_startup >/dev/null 2>&1 || true
port_open || { echo "ensure-rabbitmq: RabbitMQ did not start" >&2; exit 0; }
