/**
 * Configuration: defaults, then an INI file (like nova.conf / neutron.conf), then
 * environment variables, then command-line flags. Every option is declared once here;
 * the INI section and key, the environment name (NIMBUS_<SECTION>_<KEY>, DEFAULT's
 * options as NIMBUS_<KEY>) and the flag (--<section>-<key>, DEFAULT's as --<key>, with
 * dashes for underscores) all derive from the declaration.
 */
import { readFileSync } from 'node:fs';
import { parse as parseIni } from 'ini';

type Kind = 'str' | 'int' | 'bool' | 'list' | 'float';
interface Opt<K extends Kind, T> {
  kind: K;
  default: T;
  help: string;
}
const str = (d: string, help: string): Opt<'str', string> => ({ kind: 'str', default: d, help });
const int = (d: number, help: string): Opt<'int', number> => ({ kind: 'int', default: d, help });
const float = (d: number, help: string): Opt<'float', number> => ({ kind: 'float', default: d, help });
const bool = (d: boolean, help: string): Opt<'bool', boolean> => ({ kind: 'bool', default: d, help });
const list = (d: string[], help: string): Opt<'list', string[]> => ({ kind: 'list', default: d, help });

/** Every option Nimbus knows, by INI section. */
export const OPTIONS = {
  DEFAULT: {
    data_dir: str('./data', 'Directory holding the SQLite files, images and openrc files.'),
    bind_host: str('127.0.0.1', 'Address every API listens on unless its own *_host says otherwise.'),
    public_host: str('', 'Host name put in catalog URLs; defaults to bind_host.'),
    region: str('RegionOne', 'Region name in the service catalog.'),
    log_level: str('info', 'trace, debug, info, warn, error or silent.'),
    log_file: str('', 'Also append the logs to this file, as JSON lines (stderr gets them either way).'),
    hosts: list(['compute1', 'compute2'], 'Simulated hypervisor hosts, each with nova-compute and an OVS agent.'),
    host_driver: str('simulated', "What a host's network devices are: simulated (in memory, the default) or linux (real Linux bridges, veth pairs, namespaces and Open vSwitch; root only, see [linux_host])."),
    host: str('', "nova.conf/neutron.conf [DEFAULT] host: this process's name on the bus (compute.<host>, q-agent-notifier-*.<host>, conductor.<host>) and in os-services; empty = the machine's hostname. Used by the one-service commands (nimbus nova-compute, host, ...), not by nimbus up."),
    transport_url: str('inproc://', 'RPC bus: inproc:// (one process) or rabbit://user:pass@host:port/vhost (RabbitMQ; several hosts comma-separated, as oslo.messaging).'),
    rpc_response_timeout: float(60, "oslo.messaging: seconds a call waits for its reply before MessagingTimeout (a caller's own timeout wins)."),
    allow_resize_to_same_host: bool(false, "nova.conf [DEFAULT]: a resize may pick the server's own host (a cold migration never does: the libvirt-like driver cannot)."),
    shelved_offload_time: int(0, 'nova.conf [DEFAULT]: seconds a shelved server keeps its host before it is offloaded; 0 = at once, -1 = never.'),
    shelved_poll_interval: int(3600, 'nova.conf [DEFAULT]: seconds between the periodic checks offloading servers shelved longer than shelved_offload_time.'),
    resize_confirm_window: int(0, 'nova.conf [DEFAULT]: seconds after which a finished resize or cold migration (VERIFY_RESIZE) is confirmed automatically; 0 = never.'),
    dhcp_agent: bool(false, 'Run a neutron-dhcp-agent (dnsmasq per network in a qdhcp-<network_id> namespace) for every host; host_driver = linux only (the simulated hosts have no DHCP ports). Off: no DHCP ports, as before.'),
    state_path: str('', "neutron.conf [DEFAULT] state_path: where the DHCP agent keeps dnsmasq's files (<state_path>/dhcp/<network_id>/); empty = <data_dir>/neutron."),
    dhcp_lease_duration: int(86400, 'neutron.conf [DEFAULT]: DHCP lease seconds dnsmasq gives; -1 = infinite.'),
    dns_domain: str('openstacklocal', 'neutron.conf [DEFAULT]: domain of the host names dnsmasq hands out (host-10-0-0-3.openstacklocal).'),
    dhcp_agents_per_network: int(1, 'neutron.conf [DEFAULT]: DHCP agents a network with DHCP is scheduled to.'),
    in_process_rest: bool(true, 'Services of this process call each other\'s REST APIs without a socket (same requests and answers); false sends them over loopback TCP, e.g. to capture them.'),
  },
  oslo_messaging_rabbit: {
    heartbeat_timeout_threshold: int(60, 'Seconds without traffic after which the broker counts as down (AMQP heartbeats; 0 disables them).'),
    rabbit_retry_interval: float(1, 'Seconds before the first reconnection attempt to RabbitMQ.'),
    rabbit_retry_backoff: float(2, 'Seconds added to the wait after each failed reconnection attempt.'),
    rabbit_interval_max: float(30, 'Longest wait between reconnection attempts.'),
    rabbit_transient_queues_ttl: int(1800, 'Seconds an unused reply or fanout queue lives (x-expires).'),
    amqp_durable_queues: bool(false, 'Declare the topic exchanges and queues durable (survive a broker restart with their messages).'),
  },
  database: {
    connection: str(
      '',
      'SQL URL (sqlite:///path, postgresql[+psycopg2]://user:pass@host:port/db, mysql[+pymysql]://user:pass@host:port/db); each service gets its own database: {service} in the URL becomes keystone, glance, nova or neutron, otherwise _<service> is appended to the database name. Empty = a SQLite file per service in data_dir.',
    ),
    keystone_connection: str('', "keystone's own database URL (its own user and password, as keystone.conf's [database] connection); empty = from connection."),
    glance_connection: str('', "glance's own database URL; empty = from connection."),
    nova_connection: str('', "nova's own database URL (nova.conf's [database] connection); empty = from connection."),
    neutron_connection: str('', "neutron's own database URL (neutron.conf's [database] connection); empty = from connection."),
    max_pool_size: int(10, 'oslo.db: connections each service keeps to PostgreSQL/MariaDB at most.'),
    db_max_retries: int(10, 'oslo.db: times a transaction is retried after a deadlock or serialization failure.'),
    db_retry_interval: float(0.1, 'oslo.db: seconds before the first retry, doubled after each.'),
    db_max_retry_interval: float(10, 'oslo.db: longest wait in seconds between two retries.'),
  },
  identity: {
    host: str('', 'Listen address; empty = bind_host.'),
    port: int(5000, 'Keystone API port.'),
    public_endpoint: str('', 'URL of keystone in the catalog and openrc (e.g. a load balancer); empty = http://public_host:port.'),
    token_expiration: int(3600, 'Token lifetime in seconds.'),
    admin_password: str('admin', 'Password of the bootstrapped admin user.'),
    demo_password: str('demo', 'Password of the bootstrapped demo user.'),
    service_password: str('nimbus-service', 'Password of the nova, neutron and glance service users (project service).'),
  },
  keystone_authtoken: {
    password: str('', "keystonemiddleware: the password of this service's own user (nova, neutron or glance), with which it validates its callers' tokens, as each service's own config file sets it; empty = [nova] password for nova, [neutron] password for neutron, else [identity] service_password. Leave it empty in a file several services share."),
  },
  nova: {
    password: str('', "neutron.conf [nova]: the nova service user's password, with which neutron sends nova its events (also the password keystone bootstraps that user with); empty = [identity] service_password."),
  },
  neutron: {
    password: str('', "nova.conf [neutron]: the neutron service user's password, with which nova calls neutron (also the password keystone bootstraps that user with); empty = [identity] service_password."),
  },
  image: {
    host: str('', 'Listen address; empty = bind_host.'),
    port: int(9292, 'Glance API port.'),
    public_endpoint: str('', 'URL of glance in the catalog (e.g. a load balancer); empty = http://public_host:port.'),
  },
  network: {
    host: str('', 'Listen address; empty = bind_host.'),
    port: int(9696, 'Neutron API port.'),
    public_endpoint: str('', 'URL of neutron in the catalog (e.g. a load balancer in front of several neutron-server); empty = http://public_host:port.'),
    base_mac: str('fa:16:3e:00:00:00', 'Base MAC; the first three octets are kept, the rest random.'),
    mac_generation_retries: int(16, 'How many times to try generating a unique MAC.'),
    max_fixed_ips_per_port: int(5, 'Most fixed IPs a port may have.'),
    agent_down_time: int(75, 'Seconds after the last heartbeat an agent counts as down.'),
    global_physnet_mtu: int(1500, 'MTU of the physical networks.'),
    allow_overlapping_ips: bool(true, 'Allow overlapping IP ranges across projects.'),
    quota_network: int(100, 'Networks per project (-1 unlimited).'),
    quota_subnet: int(100, 'Subnets per project.'),
    quota_port: int(500, 'Ports per project.'),
    quota_security_group: int(10, 'Security groups per project.'),
    quota_security_group_rule: int(100, 'Security group rules per project.'),
    quota_floatingip: int(50, 'Floating IPs per project.'),
    quota_router: int(10, 'Routers per project.'),
    pagination_max_limit: int(-1, 'Largest page size; -1 for no limit.'),
    notify_nova_on_port_status_changes: bool(true, 'Send network-vif-plugged/unplugged to nova when a compute port goes ACTIVE/DOWN.'),
    notify_nova_on_port_data_changes: bool(true, 'Send network-changed/network-vif-deleted to nova when a compute port changes or goes.'),
    send_events_interval: float(2, 'Seconds neutron batches events before posting them to nova.'),
  },
  ml2: {
    type_drivers: list(['local', 'flat', 'vlan', 'vxlan'], 'Network type drivers to load.'),
    tenant_network_types: list(['vxlan'], 'Types for project networks, in order of preference.'),
    mechanism_drivers: list(['openvswitch'], 'Mechanism drivers to load, in order.'),
    flat_networks: list(['*'], 'Physical networks allowed for flat networks (* = any).'),
    network_vlan_ranges: list(['physnet1:1000:2999'], 'physnet[:min:max] entries for vlan networks.'),
    vni_ranges: list(['1:1000'], 'min:max ranges of VXLAN VNIs for project networks.'),
    path_mtu: int(0, 'Largest MTU on the overlay path; 0 = global_physnet_mtu.'),
  },
  agent: {
    report_interval: float(30, 'Seconds between OVS agent state reports.'),
    bridge_mappings: list(['physnet1:br-phys'], 'physnet:bridge pairs every simulated OVS agent reports.'),
    tunnel_types: list(['vxlan'], 'Tunnel types every simulated OVS agent reports.'),
    datapath_type: str('system', 'OVS datapath type reported by the agents (system or netdev).'),
    firewall_driver: str('iptables_hybrid', 'iptables_hybrid (hybrid plug) or openvswitch.'),
    polling_interval: float(2, 'Seconds between the OVS agents\' passes over new and removed br-int devices.'),
    ovsdb_monitor_respawn_interval: int(30, "Seconds before an OVS agent watches br-int again after losing its OVSDB monitor (host_driver = linux: ovsdb-server closed the connection)."),
  },
  ovs: {
    local_ip: str('', "[ovs] local_ip of this process's OVS agent: its tunnel endpoint address. Set: the agent builds br-tun, calls tunnel_sync and makes VXLAN tunnels to the other endpoints; empty: each simulated host reports an address of its own (10.0.x.y) and no tunnel is made. Several hosts in one process: [linux_host] host_local_ips gives each its own."),
  },
  linux_host: {
    ovsdb_socket: str('', "host_driver = linux: where ovsdb-server answers, as ovs-vsctl --db takes it (unix:/path/db.sock or tcp:IP:PORT); empty = ovs-vsctl's default (unix:/var/run/openvswitch/db.sock)."),
    datapath_type: str('netdev', 'host_driver = linux: datapath type of br-int when Nimbus makes it (netdev = userspace; system needs the openvswitch kernel module).'),
    netns: str('', "host_driver = linux: the network namespace this host is, for several hosts on one machine (each a namespace with its own ovsdb-server/ovs-vswitchd and underlay address: scripts/host-netns.sh); ip runs as `ip -n NS`, other tools under `ip netns exec NS`, OVS through ovsdb_socket (whose directory is ovs-vswitchd's run directory). Empty = the root namespace."),
    host_netns: list([], 'host_driver = linux with several [DEFAULT] hosts in one process: host:namespace pairs, each host its own namespace (as netns for one host); every host must have one.'),
    host_ovsdb_sockets: list([], "host_driver = linux with several hosts: host:socket pairs (a:unix:/run/a/db.sock), each host's own ovsdb-server (as ovsdb_socket); every host must have one."),
    host_local_ips: list([], "host:address pairs: each host's tunnel endpoint ([ovs] local_ip of its agent) when several hosts run in one process; a host not listed takes [ovs] local_ip."),
    provider_bridges: bool(false, "host_driver = linux: the OVS agent makes [agent] bridge_mappings' bridges (e.g. physnet1:br-ex) with their int-/phy- patch ports and the flat/vlan provisioning flows, as the real agent's setup_physical_bridges; off = provider networks stay unwired."),
  },
  l3_agent: {
    enabled: bool(false, 'host_driver = linux: run a neutron-l3-agent (legacy routers: qrouter- namespaces, qr-/qg- ports on br-int, SNAT and floating IPs) on every host; router ports are then bound to its host. Ignored (with a warning) by the simulated driver, whose routers stay API-only.'),
  },
  compute: {
    host: str('', 'Listen address of nova-api; empty = bind_host.'),
    port: int(8774, 'Compute API port.'),
    public_endpoint: str('', 'URL of nova-api in the catalog, without /v2.1 (e.g. a load balancer in front of several nova-api); empty = http://public_host:port.'),
    default_availability_zone: str('nova', 'Availability zone of compute hosts.'),
    vif_plugging_timeout: float(300, 'Seconds spawn waits for network-vif-plugged; 0 = do not wait.'),
    reclaim_instance_interval: int(0, 'Seconds a deleted server stays SOFT_DELETED (restorable) before nova-compute reclaims it; 0 = delete at once.'),
    vif_plugging_is_fatal: bool(true, 'Fail the build when network-vif-plugged does not come in time.'),
    network_allocate_retries: int(0, 'Retries of a failed network allocation (waits 1, 2, 4, 8, 16, 30, 30... s).'),
    max_attempts: int(3, 'Hosts a build is tried on (the first plus reschedules).'),
    service_down_time: float(60, 'Seconds after its last heartbeat a nova service counts as down.'),
    report_interval: float(10, 'Seconds between nova services\' heartbeats.'),
    host_vcpus: int(1000, 'vCPUs the fake driver reports per host (as nova\'s FakeDriver).'),
    host_memory_mb: int(800000, 'Memory (MiB) the fake driver reports per host.'),
    host_disk_gb: int(600000, 'Local disk (GiB) the fake driver reports per host.'),
    cpu_allocation_ratio: float(16, 'vCPU overcommit ratio of the scheduler.'),
    ram_allocation_ratio: float(1.5, 'RAM overcommit ratio of the scheduler.'),
    disk_allocation_ratio: float(1, 'Disk overcommit ratio of the scheduler.'),
    quota_instances: int(10, 'Servers per project (-1 unlimited).'),
    quota_cores: int(20, 'vCPUs per project (-1 unlimited).'),
    quota_ram: int(51200, 'RAM (MiB) per project (-1 unlimited).'),
    live_migration_wait_for_vif_plug: bool(true, 'nova.conf [compute]: the source waits (vif_plugging_timeout) for network-vif-plugged from the destination before a live migration starts.'),
    direct_db_access: bool(false, 'Nimbus: the embedded nova-compute reads and writes the database directly instead of through the conductor (nova\'s object indirection, the default: nova-compute holds no database handle). Only to measure the indirection\'s cost.'),
    fake_live_migration_seconds: float(0, 'Nimbus test hook: seconds the fake driver\'s live migration copies memory before it completes (abort and force-complete act during it).'),
  },
  dashboard: {
    enabled: bool(true, 'Serve the web dashboard (topology, a server\'s timeline, diagnosis, repair report, faults) from nova-api\'s process: the embedded cloud and each distributed nova-api.'),
    host: str('', 'Listen address of the dashboard; empty = bind_host.'),
    port: int(8080, 'Dashboard port (0 = any free port). A port already taken is logged as a warning and the cloud runs on without the dashboard, so a second cloud on one machine still starts.'),
  },
  metadata: {
    host: str('', 'Listen address of the metadata service (nova-api-metadata); empty = bind_host.'),
    port: int(8775, 'Metadata service port (instances reach it as 169.254.169.254 through a proxy).'),
    metadata_proxy_shared_secret: str('', 'Key of the X-Instance-ID-Signature HMAC sent by neutron\'s metadata proxy.'),
  },
  trace: {
    enabled: bool(true, 'Record each service\'s steps (API, conductor, scheduler, compute, neutron calls, binding, agent, events) for `nimbus trace`.'),
    flush_ms: int(250, 'Milliseconds a service buffers trace events before writing them in one batch (off the boot path).'),
    max_age_s: int(86400, 'Trace events older than this many seconds are deleted.'),
    otlp_endpoint: str('', 'OTLP/HTTP traces URL (e.g. http://127.0.0.1:4318/v1/traces) to export the steps to as OpenTelemetry spans; empty = no export.'),
  },
} as const;

type OptValue<O> = O extends Opt<Kind, infer T> ? T : never;
/** The resolved configuration, typed from OPTIONS. */
export type Config = {
  [S in keyof typeof OPTIONS]: { -readonly [K in keyof (typeof OPTIONS)[S]]: OptValue<(typeof OPTIONS)[S][K]> };
};

function coerce(kind: Kind, raw: unknown, where: string): unknown {
  if (kind === 'list') {
    if (Array.isArray(raw)) return raw.map(String);
    return String(raw)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  const s = String(raw).trim();
  switch (kind) {
    case 'str':
      return s;
    case 'int':
    case 'float': {
      const n = Number(s);
      if (s === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
        throw new Error(`${where}: expected ${kind === 'int' ? 'an integer' : 'a number'}, got '${s}'`);
      }
      return n;
    }
    case 'bool':
      if (/^(true|yes|on|1)$/i.test(s)) return true;
      if (/^(false|no|off|0)$/i.test(s)) return false;
      throw new Error(`${where}: expected a boolean, got '${s}'`);
  }
}

const flagName = (section: string, key: string) =>
  (section === 'DEFAULT' ? key : `${section}_${key}`).replace(/_/g, '-');
const envName = (section: string, key: string) =>
  `NIMBUS_${section === 'DEFAULT' ? '' : section.toUpperCase() + '_'}${key.toUpperCase()}`;

/** The three spellings of an option, for messages that tell the user how to set it. */
export function optionNames(section: string, key: string): { flag: string; env: string; ini: string } {
  return { flag: `--${flagName(section, key)}`, env: envName(section, key), ini: `[${section}] ${key}` };
}

export interface LoadOptions {
  /** Path of an INI file; missing file is an error only when given explicitly. */
  configFile?: string;
  /** Several INI files read in order, a later one's value winning (oslo.config's repeated --config-file). */
  configFiles?: string[];
  env?: Record<string, string | undefined>;
  /** Flags already split: { 'identity-port': '5001' }. */
  flags?: Record<string, string>;
  /** Programmatic overrides applied last (tests). */
  overrides?: DeepPartial<Config>;
}
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** Builds the configuration; throws with the option's name on a bad value or unknown flag. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? {};
  const flags = { ...(opts.flags ?? {}) };
  const ini: Record<string, Record<string, unknown>> = {};
  for (const file of [...(opts.configFile ? [opts.configFile] : []), ...(opts.configFiles ?? [])]) {
    const parsed = parseIni(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(parsed)) {
      if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign((ini[k] ??= {}), v as Record<string, unknown>);
      else (ini.DEFAULT ??= {})[k] = v;
    }
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, opts2] of Object.entries(OPTIONS)) {
    const sec: Record<string, unknown> = (out[section] = {});
    for (const [key, opt] of Object.entries(opts2) as [string, Opt<Kind, unknown>][]) {
      let value: unknown = Array.isArray(opt.default) ? [...opt.default] : opt.default;
      const fromIni = ini[section]?.[key];
      if (fromIni !== undefined) value = coerce(opt.kind, fromIni, `[${section}] ${key}`);
      const fromEnv = env[envName(section, key)];
      if (fromEnv !== undefined) value = coerce(opt.kind, fromEnv, envName(section, key));
      const f = flagName(section, key);
      if (f in flags) {
        value = coerce(opt.kind, flags[f], `--${f}`);
        delete flags[f];
      }
      const override = (opts.overrides as Record<string, Record<string, unknown>> | undefined)?.[section]?.[key];
      if (override !== undefined) value = override;
      sec[key] = value;
    }
  }
  const unknown = Object.keys(flags);
  if (unknown.length) throw new Error(`unknown option(s): ${unknown.map((f) => `--${f}`).join(', ')}`);
  return out as Config;
}

/** Text for `nimbus help`: every option with its flag, environment variable and default. */
export function describeOptions(): string {
  const lines: string[] = [];
  for (const [section, opts] of Object.entries(OPTIONS)) {
    lines.push(`[${section}]`);
    for (const [key, opt] of Object.entries(opts) as [string, Opt<Kind, unknown>][]) {
      const d = Array.isArray(opt.default) ? opt.default.join(',') : String(opt.default);
      lines.push(`  --${flagName(section, key)}  ${envName(section, key)}  (default: ${d})`);
      lines.push(`      ${opt.help}`);
    }
  }
  return lines.join('\n');
}

/** The keystone users the services authenticate as (project service). */
export type ServiceUser = 'nova' | 'neutron' | 'glance';

/**
 * The password of a service user: `[nova] password` / `[neutron] password` as nova.conf
 * and neutron.conf name the other service's credentials, else `[identity] service_password`.
 * `own` (the user a process validates tokens as) lets `[keystone_authtoken] password` win,
 * as a service's own config file sets it. Secrets come only from config files and the
 * environment: none needs a flag (a command line is visible in ps).
 */
export function servicePassword(cfg: Config, user: ServiceUser, own = false): string {
  if (own && cfg.keystone_authtoken.password) return cfg.keystone_authtoken.password;
  const named = user === 'nova' ? cfg.nova.password : user === 'neutron' ? cfg.neutron.password : '';
  return named || cfg.identity.service_password;
}

/** The address a service listens on. */
export function listenHost(cfg: Config, section: 'identity' | 'image' | 'network' | 'compute'): string {
  return cfg[section].host || cfg.DEFAULT.bind_host;
}

/** The base URL other services and clients use to reach a service. */
export function publicUrl(cfg: Config, section: 'identity' | 'image' | 'network' | 'compute', port?: number): string {
  if (cfg[section].public_endpoint) return cfg[section].public_endpoint.replace(/\/+$/, '');
  const host = cfg.DEFAULT.public_host || listenHost(cfg, section);
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port ?? cfg[section].port}`;
}
