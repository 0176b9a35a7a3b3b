/**
 * `[database] connection` URLs: the forms nova.conf and neutron.conf use, the database
 * each service gets from one URL, and the URL as messages may show it.
 */

/** The SQL dialects Nimbus speaks. */
export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/** A parsed `[database] connection` URL. */
export interface DatabaseUrl {
  dialect: DialectName;
  /** sqlite: the file or `:memory:`; otherwise the database name (may be empty). */
  database: string;
  /** Server URLs only: the URL the driver gets (scheme normalised, `+driver` and query removed). */
  serverUrl?: string;
}

/**
 * Parses the URL forms nova.conf and neutron.conf use: `sqlite:///abs/path`,
 * `sqlite://` (memory), a bare path, `postgresql[+psycopg2]://user:pass@host:port/db`,
 * `mysql[+pymysql]://user:pass@host:port/db?charset=utf8`. The SQLAlchemy driver suffix
 * only names the Python driver, so it is ignored, as are query parameters (the
 * connection is always utf8mb4 on MariaDB, UTF-8 on PostgreSQL).
 */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  const m = /^([a-z][a-z0-9]*)(\+[a-z0-9_]+)?:\/\//i.exec(url);
  const scheme = m?.[1]?.toLowerCase();
  if (!m || scheme === 'sqlite') {
    const path = (m ? url.slice(m[0].length) : url).replace(/\?.*$/, '').replace(/^\/(\/)/, '$1') || ':memory:';
    return { dialect: 'sqlite', database: path };
  }
  const dialect: DialectName | undefined =
    scheme === 'postgresql' || scheme === 'postgres' ? 'postgres' : scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : undefined;
  if (!dialect) throw new Error(`[database] connection: unknown database scheme ${scheme}:// (sqlite, postgresql, mysql)`);
  const u = new URL(url.replace(/^[^:]+:/, dialect === 'postgres' ? 'postgresql:' : 'mysql:'));
  u.search = '';
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return { dialect, database, serverUrl: u.toString() };
}

/**
 * The URL with its password masked as ***, for messages (secrets are never logged). The
 * password runs to the last @ before the query, as URL parsers read it, so a raw @ or /
 * in it is masked whole.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z0-9+]+:\/*[^:/@]*:)[^?#]*@/i, '$1***@');
}

/** The databases OpenStack gives each service (nova's API and cell databases are one here). */
export type ServiceDatabase = 'keystone' | 'glance' | 'nova' | 'neutron';

/**
 * The URL one service's database is at. OpenStack keeps each service in its own
 * database, so a shared `[database] connection` never puts two services in one: a URL
 * with `{service}` has it replaced by the service's name (keystone, glance, nova,
 * neutron); any other URL is a base to which `_<service>` is appended (database name on
 * a server, file name before its extension for SQLite). `sqlite://` (memory) is already
 * one database per opener.
 */
export function serviceDatabaseUrl(connection: string, service: ServiceDatabase): string {
  if (connection.includes('{service}')) return connection.replaceAll('{service}', service);
  const parsed = parseDatabaseUrl(connection);
  if (parsed.dialect === 'sqlite') {
    if (parsed.database === ':memory:') return connection;
    return connection.replace(/(\.[a-z0-9]+)?(\?.*)?$/i, (_all, ext?: string, q?: string) => `_${service}${ext ?? ''}${q ?? ''}`);
  }
  const u = new URL(connection.replace(/^[^:]+:/, 'x:'));
  const base = decodeURIComponent(u.pathname.replace(/^\//, ''));
  const name = base ? `${base}_${service}` : service;
  const scheme = connection.slice(0, connection.indexOf(':'));
  u.pathname = `/${encodeURIComponent(name)}`;
  return `${scheme}:${u.toString().slice(2)}`;
}

/** `[database]`'s URLs: the shared one and each service's own. */
export type DatabaseUrls = { connection: string } & Record<`${ServiceDatabase}_connection`, string>;

/**
 * The URL a service's database is at: its own `<service>_connection` as given (a user of
 * its own, as each service's config file has in OpenStack), else the shared
 * `connection` made the service's (serviceDatabaseUrl); null when neither is set.
 */
export function serviceConnection(urls: DatabaseUrls, service: ServiceDatabase): string | null {
  const own = urls[`${service}_connection`];
  if (own) return own;
  return urls.connection ? serviceDatabaseUrl(urls.connection, service) : null;
}
