# Sourced by tests/integration/test_mqttinfo_<product>.sh (after common.sh):
# starts the other brokers mqttinfo must recognize, each unprivileged, in the
# test's WORK directory, on free loopback ports, and registered for
# brokers_stop_all. Each sets <NAME>_PORT and returns non-zero (with the
# broker's log on stderr) when it does not come up.

# Erlang brokers find each other through epmd: each test gets its own, in the
# foreground on a free port, so nothing outlives the test.
start_epmd() {
  EPMD_PORT=$(free_port)
  export ERL_EPMD_PORT=$EPMD_PORT ERL_EPMD_ADDRESS=127.0.0.1
  epmd -port "$EPMD_PORT" -address 127.0.0.1 >/dev/null 2>&1 &
  BROKER_PIDS+=("$!")
  wait_port "$EPMD_PORT" 10
}

# broker_up NAME PORT SECONDS LOG: waits for the MQTT port, or shows the log.
broker_up() {
  wait_port "$2" "$3" && return 0
  echo "$1 did not start; its log:" >&2
  tail -30 "$4" >&2
  return 1
}

# RabbitMQ with its MQTT plugin, anonymous clients allowed (as guest).
start_rabbitmq() {
  local dir=$1 amqp
  mkdir -p "$dir"
  RABBITMQ_PORT=$(free_port)
  amqp=$(free_port)
  start_epmd || return 1
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$amqp
mqtt.listeners.tcp.default = 127.0.0.1:$RABBITMQ_PORT
mqtt.allow_anonymous = true
loopback_users = none
CONF
  echo '[rabbitmq_mqtt].' > "$dir/enabled_plugins"
  HOME=$dir RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log \
    RABBITMQ_NODENAME="e4mi$$@localhost" RABBITMQ_CONFIG_FILE=$dir/rabbitmq \
    RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins RABBITMQ_DIST_PORT=$(free_port) \
    RABBITMQ_PID_FILE=$dir/pid \
    setsid /usr/lib/rabbitmq/bin/rabbitmq-server > "$dir/rabbitmq.log" 2>&1 &
  BROKER_GROUPS+=("$!")
  broker_up RabbitMQ "$RABBITMQ_PORT" 60 "$dir/rabbitmq.log"
}

# ActiveMQ (Debian's 5.x), an in-memory broker with only an MQTT connector.
start_activemq() {
  local dir=$1 jar
  mkdir -p "$dir/lib"
  ACTIVEMQ_PORT=$(free_port)
  for jar in mqtt-client hawtdispatch hawtdispatch-transport; do
    ln -sf "/usr/share/java/$jar.jar" "$dir/lib/"
  done
  printf '%s\n' 'log4j.rootLogger=WARN, out' 'log4j.appender.out=org.apache.log4j.ConsoleAppender' \
    'log4j.appender.out.layout=org.apache.log4j.PatternLayout' \
    'log4j.appender.out.layout.ConversionPattern=%p %c - %m%n' > "$dir/log4j.properties"
  (cd "$dir" && exec setsid java -Xms64M -Xmx256M -Dlog4j.configuration="file:$dir/log4j.properties" \
    -Dactivemq.home=/usr/share/activemq -Dactivemq.base="$dir" -Dactivemq.data="$dir/data" \
    -Djava.io.tmpdir="$dir" -jar /usr/share/activemq/bin/activemq.jar start \
    "broker:(mqtt://127.0.0.1:$ACTIVEMQ_PORT)?persistent=false&useJmx=false&brokerName=e4mi" \
    > "$dir/activemq.log" 2>&1) &
  BROKER_GROUPS+=("$!")
  broker_up ActiveMQ "$ACTIVEMQ_PORT" 60 "$dir/activemq.log"
}

# ejabberd with mod_mqtt, anonymous authentication (any user@localhost and
# password), run as the calling user without Erlang distribution.
start_ejabberd() {
  local dir=$1 libs
  mkdir -p "$dir/spool"
  EJABBERD_PORT=$(free_port)
  libs=$(dirname "$(dirname "$(ls -d /usr/lib/*/ejabberd-*/ebin | head -1)")")
  cat > "$dir/ejabberd.yml" <<CONF
hosts:
  - localhost
loglevel: info
auth_method: [anonymous]
anonymous_protocol: login_anon
listen:
  -
    port: $EJABBERD_PORT
    ip: "127.0.0.1"
    module: mod_mqtt
modules:
  mod_mqtt: {}
CONF
  (cd "$dir" && HOME=$dir ERL_LIBS=$libs EJABBERD_CONFIG_PATH=$dir/ejabberd.yml \
    EJABBERD_LOG_PATH=$dir/ejabberd.log exec setsid erl -noinput -mnesia dir "\"$dir/spool\"" \
    -s ejabberd > "$dir/erl.log" 2>&1) &
  BROKER_GROUPS+=("$!")
  broker_up ejabberd "$EJABBERD_PORT" 60 "$dir/ejabberd.log"
}

# mosca (npm, tests/integration/mqttinfo/mosca), in memory.
start_mosca() {
  local dir=$1 node_dir="$MI_DIR/mosca"
  mkdir -p "$dir"
  [ -d "$node_dir/node_modules/mosca" ] || { echo "mosca is not installed: run scripts/install-deps.sh" >&2; return 1; }
  MOSCA_PORT=$(free_port)
  node "$node_dir/mosca-broker.js" "$MOSCA_PORT" > "$dir/mosca.log" 2>&1 &
  BROKER_PIDS+=("$!")
  broker_up mosca "$MOSCA_PORT" 20 "$dir/mosca.log"
}
