#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A real Prometheus (Debian's) scrapes routerd's /metrics: the target must
# be up with no scrape error, and routerd's series must be queryable.
. "$(dirname "$0")/../lib.sh"
P=15351 H=15352 PROM=15353
write_t_zone "$T_DIR/t.zone" 1
echo "www A 192.0.2.80" >>"$T_DIR/t.zone"
write_t_config 1
cat >>"$T_DIR/routerd.yaml" <<CONF
switches:
  - { name: www.t.test, cdn: { cname: cust.cdn.example.net }, origin: { a: [192.0.2.9] } }
CONF
cat >"$T_DIR/prometheus.yml" <<CONF
global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: routerd
    static_configs: [ { targets: ["127.0.0.1:$H"] } ]
CONF
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P www.t.test || { fail "no answer"; finish; }
for i in 1 2 3; do q @127.0.0.1 -p $P www.t.test >/dev/null; done

prometheus --config.file="$T_DIR/prometheus.yml" --storage.tsdb.path="$T_DIR/tsdb" \
	--web.listen-address=127.0.0.1:$PROM >"$T_DIR/prometheus.log" 2>&1 &
T_PIDS+=("$!")

# Up to 30 s for a successful scrape.
for _ in $(seq 1 60); do
	targets=$(curl -s "http://127.0.0.1:$PROM/api/v1/targets" || true)
	printf '%s' "$targets" | grep -q '"health":"up"' && break
	sleep 0.5
done
expect_match "Prometheus sees routerd up" "$targets" '"health":"up"'
expect_match "with no scrape error" "$targets" '"lastError":""'
r=$(curl -s "http://127.0.0.1:$PROM/api/v1/query" --data-urlencode 'query=routerd_dns_queries_total{qtype="A",proto="udp"}')
expect_match "the query counter is stored" "$r" '"value":\[[0-9.]+,"[1-9][0-9]*"\]'
r=$(curl -s "http://127.0.0.1:$PROM/api/v1/query" --data-urlencode 'query=routerd_switch_side{side="cdn"}')
expect_match "the switch side is stored" "$r" '"switch":"www.t.test."'
stop_routerd
finish
