#!/usr/bin/env bash
# A private Open vSwitch for tests and the linux host driver: its own ovsdb-server and
# ovs-vswitchd (userspace datapath only on this kind of machine), run directory DIR,
# no systemd. Needs root and Debian's openvswitch-switch.
#
#   scripts/ovs-sandbox.sh start DIR   # prints the db socket (unix:DIR/db.sock)
#   scripts/ovs-sandbox.sh stop DIR    # deletes its bridges, kills both daemons, removes DIR
#
# With OVS_SANDBOX_NETNS=NAME both daemons run inside the network namespace NAME (which
# must exist): scripts/host-netns.sh's hosts.
set -euo pipefail
cmd=${1:?usage: ovs-sandbox.sh start|stop DIR}
dir=${2:?usage: ovs-sandbox.sh start|stop DIR}
sock="$dir/db.sock"
export OVS_RUNDIR="$dir" OVS_LOGDIR="$dir" OVS_DBDIR="$dir" OVS_SYSCONFDIR="$dir"
in_ns=()
[ -z "${OVS_SANDBOX_NETNS:-}" ] || in_ns=(ip netns exec "$OVS_SANDBOX_NETNS")
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ -f "$dir/conf.db" ] || ovsdb-tool create "$dir/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    ${in_ns[@]+"${in_ns[@]}"} ovsdb-server --remote="punix:$sock" --pidfile="$dir/ovsdb-server.pid" --unixctl="$dir/ovsdb-server.ctl" \
      --log-file="$dir/ovsdb-server.log" --detach "$dir/conf.db"
    ovs-vsctl --db="unix:$sock" --no-wait init
    ${in_ns[@]+"${in_ns[@]}"} ovs-vswitchd "unix:$sock" --pidfile="$dir/ovs-vswitchd.pid" --unixctl="$dir/ovs-vswitchd.ctl" \
      --log-file="$dir/ovs-vswitchd.log" --detach
    echo "unix:$sock"
    ;;
  stop)
    if [ -S "$sock" ]; then
      for br in $(ovs-vsctl --db="unix:$sock" --timeout=5 list-br 2>/dev/null); do
        ovs-vsctl --db="unix:$sock" --timeout=5 --if-exists del-br "$br" || true
      done
    fi
    for d in ovs-vswitchd ovsdb-server; do
      if [ -f "$dir/$d.pid" ]; then
        pid=$(cat "$dir/$d.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
    done
    rm -rf "$dir"
    ;;
  *) echo "usage: ovs-sandbox.sh start|stop DIR" >&2; exit 2 ;;
esac
