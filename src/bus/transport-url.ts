/**
 * `transport_url` as oslo.messaging reads it: `driver://[user:pass@]host:port[,user:pass@host:port...]/vhost`.
 * Several hosts are tried in turn on (re)connection, as kombu's failover does; a host
 * without credentials inherits the first one's.
 */

/** One broker address with its credentials. */
export interface BrokerHost {
  hostname: string;
  port: number;
  username: string;
  password: string;
}

export type TransportUrl =
  | { driver: 'inproc' }
  | { driver: 'rabbit'; hosts: BrokerHost[]; vhost: string };

/** The drivers Nimbus knows, for the message naming them when another is asked for. */
export const TRANSPORT_DRIVERS = ['inproc', 'rabbit'] as const;

/** Parses a transport URL; throws naming the option and the known drivers on anything else. */
export function parseTransportUrl(url: string): TransportUrl {
  const m = /^([a-z0-9+]+):\/\/([^/]*)(?:\/(.*))?$/i.exec(url.trim());
  if (!m) throw new Error(`transport_url '${redactTransportUrl(url)}' is not of the form driver://[user:pass@]host:port/vhost`);
  const driver = m[1]!.toLowerCase();
  if (driver === 'inproc') return { driver: 'inproc' };
  // oslo.messaging's "kombu" and "amqp" (when rabbit) name the same driver.
  if (driver !== 'rabbit' && driver !== 'kombu') {
    throw new Error(`transport_url: unknown driver '${driver}' (known: ${TRANSPORT_DRIVERS.join(', ')})`);
  }
  const hosts: BrokerHost[] = [];
  for (const part of m[2]!.split(',').filter(Boolean)) {
    const at = part.lastIndexOf('@');
    const cred = at >= 0 ? part.slice(0, at) : '';
    const hostPort = at >= 0 ? part.slice(at + 1) : part;
    const colon = cred.indexOf(':');
    const first = hosts[0];
    const username = cred ? decodeURIComponent(colon >= 0 ? cred.slice(0, colon) : cred) : (first?.username ?? 'guest');
    const password = cred ? decodeURIComponent(colon >= 0 ? cred.slice(colon + 1) : '') : (first?.password ?? 'guest');
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
    if (!hp) throw new Error(`transport_url: bad host '${hostPort}'`);
    hosts.push({ hostname: hp[1]!.replace(/^\[|\]$/g, ''), port: hp[2] ? Number(hp[2]) : 5672, username, password });
  }
  if (hosts.length === 0) hosts.push({ hostname: 'localhost', port: 5672, username: 'guest', password: 'guest' });
  // oslo: an empty path is the broker's default vhost "/".
  const vhost = m[3] ? decodeURIComponent(m[3]) : '/';
  return { driver: 'rabbit', hosts, vhost };
}

/**
 * The URL with its passwords replaced by *** (as oslo.messaging masks a TransportURL),
 * fit for logs and error messages. Each host's password runs to the last @ before the
 * next host (the parser takes the last @ too, so a raw @ in a password is masked
 * whole); a URL missing its slashes is masked as well, since it is echoed in the error
 * that refuses it.
 */
export function redactTransportUrl(url: string): string {
  return url.replace(/(^[a-z0-9+]+:\/*|,)([^:/@,]*:)[^,]*@/gi, '$1$2***@');
}
