#!/usr/bin/env bash
# A hypervisor host as a network namespace of this machine, for several linux hosts on
# one machine ([linux_host] netns): the namespace NAME with its own ovsdb-server and
# ovs-vswitchd (run directory DIR, userspace datapath), joined to an underlay namespace
# by a veth pair. The host's underlay address sits on br-ul, a netdev OVS bridge holding
# the veth: userspace (netdev) VXLAN sends through an OVS bridge whose internal port
# carries the tunnel's local_ip (ovs-vswitchd's own route table, ovs/route/show, and its
# ARP cache, tnl/arp/show, are learned from that port), never through a kernel device
# outside OVS. (Tried: with the address on the kernel veth instead, the host pings
# its peer but VXLAN does not carry: OVS's route to the remote points at a device that
# is no OVS bridge, so the datapath cannot push the tunnel header and drops.) Needs
# root and Debian's openvswitch-switch. Never touches the root namespace's devices or
# routes.
#
#   scripts/host-netns.sh underlay-start UNDERLAY        # netns UNDERLAY with Linux bridge br-ul
#   scripts/host-netns.sh start NAME DIR UNDERLAY CIDR   # prints the db socket (unix:DIR/db.sock)
#   scripts/host-netns.sh stop NAME DIR                  # kills its OVS, deletes NAME (and its veth), removes DIR
#   scripts/host-netns.sh underlay-stop UNDERLAY
set -euo pipefail
# The host's OVS daemons are scripts/ovs-sandbox.sh's, run inside the namespace.
sandbox="$(dirname "$0")/ovs-sandbox.sh"
usage() { echo "usage: host-netns.sh underlay-start U | start NAME DIR U CIDR | stop NAME DIR | underlay-stop U" >&2; exit 2; }
cmd=${1:-}
# The underlay side of a host's veth: a name of at most 15 characters, one per host name.
ulport() { echo "hn$(printf %s "$1" | md5sum | cut -c1-12)"; }

case "$cmd" in
  underlay-start)
    u=${2:?$(usage)}
    ip netns add "$u"
    ip -n "$u" link set lo up
    ip -n "$u" link add br-ul type bridge forward_delay 0 stp_state 0
    ip -n "$u" link set br-ul up
    ;;
  underlay-stop)
    u=${2:?$(usage)}
    ip netns delete "$u" 2>/dev/null || true
    ;;
  start)
    name=${2:?$(usage)} dir=${3:?$(usage)} u=${4:?$(usage)} cidr=${5:?$(usage)}
    sock="$dir/db.sock"
    export OVS_RUNDIR="$dir" OVS_LOGDIR="$dir" OVS_DBDIR="$dir" OVS_SYSCONFDIR="$dir"
    mkdir -p "$dir"
    ip netns add "$name"
    ip -n "$name" link set lo up
    peer=$(ulport "$name")
    ip -n "$u" link add "$peer" type veth peer name ul0 netns "$name"
    ip -n "$u" link set "$peer" master br-ul up
    ip -n "$name" link set ul0 up
    OVS_SANDBOX_NETNS="$name" "$sandbox" start "$dir" >/dev/null
    ovs-vsctl --db="unix:$sock" --timeout=10 -- add-br br-ul -- set Bridge br-ul datapath_type=netdev -- add-port br-ul ul0
    ip -n "$name" addr add "$cidr" dev br-ul
    ip -n "$name" link set br-ul up
    echo "unix:$sock"
    ;;
  stop)
    name=${2:?$(usage)} dir=${3:?$(usage)}
    "$sandbox" stop "$dir"
    # Deleting the namespace takes its end of the veth pair, and so the underlay's end.
    ip netns delete "$name" 2>/dev/null || true
    ;;
  *) usage ;;
esac
