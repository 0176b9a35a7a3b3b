/**
 * One instance's metadata as nova's nova/api/metadata/base.py InstanceMetadata serves
 * it: the EC2 tree (/<version>/meta-data/..., user-data) and the OpenStack tree
 * (/openstack/<version>/meta_data.json, network_data.json, user_data,
 * vendor_data.json, vendor_data2.json), with nova's version lists and lookup rules.
 * lookup() answers a body and its MIME type, or throws MetadataPathNotFound (a 404).
 */
import { novaJson } from '../api/wire.js';
import type { Instance } from '../objects/instance.js';
import type { NetworkInfo } from '../network/model.js';
import { ec2IpInfo, getNetworkMetadata } from './network-metadata.js';

/** base.VERSIONS: the EC2 versions. */
export const EC2_VERSIONS = ['1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10', '2007-12-15', '2008-02-01', '2008-09-01', '2009-04-04'];
/** base.OPENSTACK_VERSIONS. */
export const OPENSTACK_VERSIONS = ['2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15', '2016-06-30', '2016-10-06', '2017-02-22', '2018-08-27', '2020-10-14'];
const [, GRIZZLY, HAVANA, LIBERTY, NEWTON_ONE, NEWTON_TWO, , , VICTORIA] = OPENSTACK_VERSIONS as [string, string, string, string, string, string, string, string, string];

/** base.InvalidMetadataPath: the handler answers 404. */
export class MetadataPathNotFound extends Error {}

/** What the metadata of an instance is built from (gathered by the handler). */
export interface MetadataSources {
  instance: Instance;
  nwInfo: NetworkInfo;
  /** EC2 ids: i-%08x of the instance's integer id, ami-%08x of its image. */
  ec2InstanceId: string;
  amiId: string;
  /** Names of the security groups of the instance's ports. */
  securityGroups: string[];
  keypair: { name: string; type: string; publicKey: string } | null;
  /** The address the request came from (EC2 local-ipv4 when the instance has no fixed IPv4). */
  address: string | null;
  /** [api] dhcp_domain (nova's default "novalocal"). */
  dhcpDomain: string;
  /** 512 random bytes, base64 (meta_data.json random_seed). */
  randomSeed: () => string;
  /** Today as YYYY-MM-DD: future OpenStack versions are hidden from the listing. */
  today: string;
}

type Body = { body: string | Buffer; mime: 'text/plain' | 'application/json' };

/** base.ec2_md_print: a dict as its sorted keys ("k/" for subtrees, "_name" where set), a list as lines. */
export function ec2Print(data: unknown): string | Buffer {
  if (Buffer.isBuffer(data) || typeof data === 'string') return data;
  if (Array.isArray(data)) return data.join('\n');
  if (data && typeof data === 'object') {
    const d = data as Record<string, unknown>;
    return Object.keys(d)
      .sort()
      .filter((k) => k !== '_name')
      .map((k) => {
        const v = d[k];
        if (v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v)) return '_name' in (v as object) ? String((v as { _name: unknown })._name) : `${k}/`;
        return k;
      })
      .join('\n');
  }
  return String(data);
}

/** Python's str() of a value in the EC2 tree (ints as digits). */
const pyStr = (v: unknown) => (v === null || v === undefined ? 'None' : String(v));

export class InstanceMetadata {
  readonly #s: MetadataSources;
  readonly #userData: Buffer | null;

  constructor(s: MetadataSources) {
    this.#s = s;
    this.#userData = s.instance.userData !== null ? Buffer.from(s.instance.userData, 'base64') : null;
  }

  get instance(): Instance {
    return this.#s.instance;
  }

  #hostname(): string {
    const h = this.#s.instance.hostname;
    return this.#s.dhcpDomain ? `${h}.${this.#s.dhcpDomain}` : h;
  }

  /** get_ec2_metadata for a version ("latest" is the newest). */
  ec2Metadata(version: string): Record<string, unknown> {
    const v = version === 'latest' ? EC2_VERSIONS.at(-1)! : version;
    const at = EC2_VERSIONS.indexOf(v);
    if (at < 0) throw new MetadataPathNotFound(version);
    const since = (req: string) => at >= EC2_VERSIONS.indexOf(req);
    const i = this.#s.instance;
    const ip = ec2IpInfo(this.#s.nwInfo);
    const hostname = this.#hostname();
    const md: Record<string, unknown> = {
      'ami-id': this.#s.amiId,
      'ami-launch-index': i.launchIndex,
      'ami-manifest-path': 'FIXME',
      'instance-id': this.#s.ec2InstanceId,
      hostname,
      'local-ipv4': ip.fixed_ips[0] || this.#s.address,
      'reservation-id': i.reservationId,
      'security-groups': this.#s.securityGroups,
    };
    if (i.keyName && this.#s.keypair) md['public-keys'] = { '0': { _name: `0=${i.keyName}`, 'openssh-key': this.#s.keypair.publicKey } };
    if (since('2007-01-19')) {
      md['local-hostname'] = hostname;
      md['public-hostname'] = hostname;
      md['public-ipv4'] = ip.floating_ips[0] ?? '';
    }
    if (since('2007-08-29')) md['instance-type'] = i.flavor.name;
    if (since('2007-12-15')) {
      // instance_block_mapping of an image-backed instance without volumes.
      const root = i.rootDeviceName;
      md['block-device-mapping'] = root ? { ami: root.replace(/^\/dev\//, ''), root } : { ami: 'sda1', ephemeral0: 'sda2', root: '/dev/sda1', swap: 'sda3' };
    }
    if (since('2008-02-01')) md.placement = { 'availability-zone': i.availabilityZone };
    if (since('2008-09-01')) md['instance-action'] = 'none';
    const data: Record<string, unknown> = { 'meta-data': md };
    if (this.#userData !== null) data['user-data'] = this.#userData;
    return data;
  }

  #osVersion(v: string): string {
    const version = v === 'latest' ? OPENSTACK_VERSIONS.at(-1)! : v;
    if (!OPENSTACK_VERSIONS.includes(version)) throw new MetadataPathNotFound(v);
    return version;
  }

  #since(required: string, version: string): boolean {
    return OPENSTACK_VERSIONS.indexOf(version) >= OPENSTACK_VERSIONS.indexOf(required);
  }

  /** _metadata_as_json. */
  metaDataJson(version: string): Record<string, unknown> {
    const i = this.#s.instance;
    const md: Record<string, unknown> = { uuid: i.uuid };
    if (Object.keys(i.metadata).length) md.meta = i.metadata;
    if (i.keyName && this.#s.keypair) {
      const k = this.#s.keypair;
      md.public_keys = { [k.name]: k.publicKey };
      md.keys = [{ name: k.name, type: k.type, data: k.publicKey }];
    }
    md.hostname = this.#hostname();
    md.name = i.displayName;
    md.launch_index = i.launchIndex;
    md.availability_zone = i.availabilityZone;
    if (this.#since(GRIZZLY, version)) md.random_seed = this.#s.randomSeed();
    if (this.#since(LIBERTY, version)) md.project_id = i.projectId;
    if (this.#since(NEWTON_ONE, version)) md.devices = [];
    if (this.#since(VICTORIA, version)) md.dedicated_cpus = [];
    return md;
  }

  /** base.lookup: the body at a path of the metadata tree. */
  lookup(rawPath: string): Body {
    const norm = normpath(rawPath);
    const tokens = norm === '/' ? [] : norm.split('/').slice(1);
    if (tokens[0] !== 'ec2' && tokens[0] !== 'openstack') tokens.unshift('ec2');
    if (tokens.length === 1) {
      const versions = tokens[0] === 'openstack' ? [...OPENSTACK_VERSIONS.filter((v) => v <= this.#s.today), 'latest'] : [...EC2_VERSIONS, 'latest'];
      return { body: versions.join('\n'), mime: 'text/plain' };
    }
    if (tokens[0] === 'openstack') return this.#openstack(tokens.slice(1));
    const [version, ...rest] = tokens.slice(1) as [string, ...string[]];
    return { body: ec2Print(findPath(this.ec2Metadata(version), rest)), mime: 'text/plain' };
  }

  #openstack(tokens: string[]): Body {
    if (tokens[0] === 'content') throw new MetadataPathNotFound('content');
    const version = this.#osVersion(tokens[0]!);
    const path = tokens.slice(1).join('/');
    const json = (v: unknown): Body => ({ body: novaJson(v), mime: 'application/json' });
    switch (path) {
      case '': {
        const ret = ['meta_data.json'];
        if (this.#userData !== null) ret.push('user_data');
        if (this.#since(GRIZZLY, version)) ret.push('password');
        if (this.#since(HAVANA, version)) ret.push('vendor_data.json');
        if (this.#since(LIBERTY, version)) ret.push('network_data.json');
        if (this.#since(NEWTON_TWO, version)) ret.push('vendor_data2.json');
        return { body: ret.join('\n'), mime: 'text/plain' };
      }
      case 'meta_data.json':
        return json(this.metaDataJson(version));
      case 'user_data':
        if (this.#userData === null) throw new MetadataPathNotFound(path);
        return { body: this.#userData, mime: 'text/plain' };
      case 'network_data.json':
        return json(getNetworkMetadata(this.#s.nwInfo) ?? {});
      case 'vendor_data.json':
        // [api] vendordata_providers = StaticJSON with no file: an empty object.
        if (!this.#since(HAVANA, version)) break;
        return json({});
      case 'vendor_data2.json':
        if (!this.#since(NEWTON_TWO, version)) break;
        return json({ static: {} });
      case 'password':
        // The instance's encrypted password; Nimbus keeps none, so an empty body.
        if (!this.#since(GRIZZLY, version)) break;
        return { body: '', mime: 'text/plain' };
    }
    throw new MetadataPathNotFound(path);
  }
}

/** posixpath.normpath("/" + path), keeping a trailing slash out as Python does. */
function normpath(p: string): string {
  const out: string[] = [];
  for (const part of `/${p}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** base.find_path_in_tree. */
function findPath(data: unknown, tokens: string[]): unknown {
  let cur = data;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (cur && typeof cur === 'object' && !Buffer.isBuffer(cur)) {
      if (Array.isArray(cur)) {
        // Python's `in` on a list tests membership; then indexing by a string fails.
        throw new MetadataPathNotFound(tokens.slice(0, i).join('/'));
      }
      if (!(t in (cur as object))) throw new MetadataPathNotFound(tokens.slice(0, i).join('/'));
      cur = (cur as Record<string, unknown>)[t];
    } else {
      throw new MetadataPathNotFound(tokens.slice(0, i).join('/'));
    }
  }
  return typeof cur === 'number' ? pyStr(cur) : cur;
}
