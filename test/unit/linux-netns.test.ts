/**
 * A linux host inside a network namespace (src/hostnet/linux/netns.ts): how each tool's
 * argv is run in the host's namespace, and each host's tunnel address from the
 * configuration (src/network/agents/ovs-agent-config.ts hostLocalIp).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/common/config.js';
import { inHostNamespace, rundirOf } from '../../src/hostnet/linux/netns.js';
import { defaultAgentConfig, hostLocalIp, parseHostPairs } from '../../src/network/agents/ovs-agent-config.js';

const NS = 'nimbus-h1';
const DIR = '/tmp/nimbus-host-h1-x';

describe('a command of a host inside a network namespace', () => {
  it('ip gets -n NS (batch too); ip netns and an ip naming a guest namespace stay as they are', () => {
    assert.deepEqual(inHostNamespace(['ip', 'link', 'add', 'qvbX', 'type', 'veth', 'peer', 'name', 'qvoX'], NS, DIR), ['ip', '-n', NS, 'link', 'add', 'qvbX', 'type', 'veth', 'peer', 'name', 'qvoX']);
    assert.deepEqual(inHostNamespace(['ip', '-batch', '-'], NS, DIR), ['ip', '-n', NS, '-batch', '-']);
    assert.deepEqual(inHostNamespace(['ip', '-details', '-json', 'link', 'show'], NS, DIR), ['ip', '-n', NS, '-details', '-json', 'link', 'show']);
    assert.deepEqual(inHostNamespace(['ip', 'netns', 'add', 'nimbus-guest'], NS, DIR), ['ip', 'netns', 'add', 'nimbus-guest']);
    assert.deepEqual(inHostNamespace(['ip', 'netns', 'exec', 'qdhcp-x', 'dnsmasq'], NS, DIR), ['ip', 'netns', 'exec', 'qdhcp-x', 'dnsmasq']);
    assert.deepEqual(inHostNamespace(['ip', '-n', 'nimbus-guest', 'link', 'set', 'eth0', 'up'], NS, DIR), ['ip', '-n', 'nimbus-guest', 'link', 'set', 'eth0', 'up']);
  });

  it('OVS through its socket or run directory; every other tool under ip netns exec', () => {
    assert.deepEqual(inHostNamespace(['ovs-vsctl', `--db=unix:${DIR}/db.sock`, 'add-port', 'br-int', 'qvoX'], NS, DIR), ['ovs-vsctl', `--db=unix:${DIR}/db.sock`, 'add-port', 'br-int', 'qvoX']);
    assert.deepEqual(inHostNamespace(['ovs-ofctl', 'dump-flows', 'br-int'], NS, DIR), ['env', `OVS_RUNDIR=${DIR}`, 'ovs-ofctl', 'dump-flows', 'br-int']);
    assert.deepEqual(inHostNamespace(['ovs-appctl', 'ovs/route/show'], NS, DIR), ['env', `OVS_RUNDIR=${DIR}`, 'ovs-appctl', '-t', `${DIR}/ovs-vswitchd.ctl`, 'ovs/route/show']);
    assert.deepEqual(inHostNamespace(['ovs-ofctl', 'dump-flows', 'br-int'], NS, null), ['ip', 'netns', 'exec', NS, 'ovs-ofctl', 'dump-flows', 'br-int']);
    assert.deepEqual(inHostNamespace(['brctl', 'addbr', 'qbrX'], NS, DIR), ['ip', 'netns', 'exec', NS, 'brctl', 'addbr', 'qbrX']);
    assert.deepEqual(inHostNamespace(['tee', '/sys/class/net/qbrX/bridge/multicast_snooping'], NS, DIR), ['ip', 'netns', 'exec', NS, 'tee', '/sys/class/net/qbrX/bridge/multicast_snooping']);
  });

  it('the run directory is the one of a unix: socket', () => {
    assert.equal(rundirOf(`unix:${DIR}/db.sock`), DIR);
    assert.equal(rundirOf('tcp:127.0.0.1:6640'), null);
    assert.equal(rundirOf(null), null);
  });
});

describe("each host's tunnel endpoint", () => {
  it('host_local_ips for its host, else [ovs] local_ip, else the made-up 10.0.x.y', () => {
    const cfg = loadConfig({ overrides: { DEFAULT: { hosts: ['a', 'b', 'c'] }, linux_host: { host_local_ips: ['a:172.31.77.1', 'b:172.31.77.2'] }, ovs: { local_ip: '192.0.2.9' } } });
    assert.equal(hostLocalIp(cfg, 'a'), '172.31.77.1');
    assert.equal(hostLocalIp(cfg, 'c'), '192.0.2.9');
    assert.equal(defaultAgentConfig(cfg, 1, 'b').tunneling_ip, '172.31.77.2');
    const plain = loadConfig({});
    assert.equal(hostLocalIp(plain, 'compute1'), null);
    assert.equal(defaultAgentConfig(plain, 0, 'compute1').tunneling_ip, '10.0.0.2');
  });

  it('host:value pairs: the value keeps its own colons; a malformed or repeated host is refused', () => {
    assert.deepEqual([...parseHostPairs('x', ['a:unix:/run/a/db.sock'])], [['a', 'unix:/run/a/db.sock']]);
    assert.throws(() => parseHostPairs('[linux_host] host_netns', ['a']), /^Error: \[linux_host\] host_netns: 'a' is not host:value$/);
    assert.throws(() => parseHostPairs('x', ['a:1', 'a:2']), /host a is given twice/);
  });
});
