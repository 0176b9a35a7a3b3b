/**
 * nova-api-metadata (nova/api/metadata/handler.py): the metadata service instances
 * reach as http://169.254.169.254. It tells which instance asks in either of nova's
 * two ways: behind neutron's metadata proxy by X-Instance-ID, X-Tenant-ID and
 * X-Instance-ID-Signature (HMAC-SHA256 of the instance id with
 * [metadata] metadata_proxy_shared_secret), or directly by the caller's address
 * (X-Forwarded-For, else the socket's), looked up among neutron's ports as nova's
 * get_fixed_ip_by_address does. nova picks one way by [neutron]
 * service_metadata_proxy; Nimbus takes the proxy's headers when they are there, so
 * one service answers both kinds of caller. Errors are webob's plain or HTML pages.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Clock, Random } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import type { Kysely } from 'kysely';
import type { NovaDB } from '../db/schema.js';
import { serviceContext } from '../context.js';
import type { NeutronAPI } from '../network/neutron.js';
import type { InstanceStore } from '../objects/instance.js';
import { KeyPairStore } from '../db/keypairs.js';
import { EC2_VERSIONS, InstanceMetadata, MetadataPathNotFound } from './instance-metadata.js';

export interface MetadataDeps {
  cfg: Config;
  log: Logger;
  clock: Clock;
  random: Random;
  db: Kysely<NovaDB>;
  instances: InstanceStore;
  network: NeutronAPI;
}

/** A webob HTTP error as a response: its status and explanation. */
class WebobError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    explanation: string,
  ) {
    super(explanation);
  }
}
const notFound = () => new WebobError(404, 'Not Found', 'The resource could not be found.');
const unknownError = () => new WebobError(500, 'Internal Server Error', 'An unknown error has occurred. Please try your request again.');

/** webob's error page: HTML when the client accepts it (or anything, as curl does), else plain text. */
function sendWebobError(req: FastifyRequest, reply: FastifyReply, e: WebobError): FastifyReply {
  const status = `${e.status} ${e.title}`;
  const accept = String(req.headers.accept ?? '');
  if (accept.includes('html') || accept.includes('*/*')) {
    const html = `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${e.message}<br /><br />\n\n\n\n </body>\n</html>`;
    return reply.code(e.status).header('content-type', 'text/html; charset=UTF-8').send(html);
  }
  return reply.code(e.status).header('content-type', 'text/plain; charset=UTF-8').send(`${status}\n\n${e.message}\n\n   `);
}

/** The HMAC-SHA256 hex digest neutron's metadata proxy signs an instance id with. */
export function instanceIdSignature(secret: string, instanceId: string): string {
  return createHmac('sha256', secret).update(instanceId).digest('hex');
}

/** Builds the metadata service's HTTP app. */
export function createMetadataApp(d: MetadataDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  const keypairs = new KeyPairStore(d.db);
  // nova's S3 image mappings number images as they are first seen (ami-%08x).
  const amiIds = new Map<string, number>();

  async function metadataFor(uuid: string, address: string | null): Promise<InstanceMetadata | null> {
    const instance = await d.instances.find(uuid);
    if (!instance) return null;
    const ctx = serviceContext(`req-${d.random.uuid()}`);
    const client = d.network.client(ctx, true);
    const nwInfo = await d.instances.networkInfo(uuid);
    const ports = await client.listPorts({ device_id: [uuid] });
    const sgIds = [...new Set(ports.flatMap((p) => (p.security_groups as string[] | undefined) ?? []))];
    const groups = sgIds.length ? await client.listSecurityGroups({ id: sgIds, fields: ['id', 'name'] }) : [];
    const byId = new Map(groups.map((g) => [g.id, g.name || g.id]));
    const securityGroups = ports.flatMap((p) => ((p.security_groups as string[] | undefined) ?? []).flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])));
    let keypair: { name: string; type: string; publicKey: string } | null = null;
    if (instance.keyName) {
      try {
        const k = await keypairs.getByName(instance.userId, instance.keyName);
        keypair = { name: k.name, type: k.type, publicKey: k.public_key ?? '' };
      } catch {
        // A keypair deleted since the boot: nova leaves the keys out.
      }
    }
    if (!amiIds.has(instance.imageRef)) amiIds.set(instance.imageRef, amiIds.size + 1);
    return new InstanceMetadata({
      instance,
      nwInfo,
      ec2InstanceId: `i-${instance.id.toString(16).padStart(8, '0')}`,
      amiId: `ami-${amiIds.get(instance.imageRef)!.toString(16).padStart(8, '0')}`,
      securityGroups,
      keypair,
      address,
      dhcpDomain: 'novalocal',
      randomSeed: () => d.random.bytes(512).toString('base64'),
      today: new Date(d.clock.now()).toISOString().slice(0, 10),
    });
  }

  /** _handle_instance_id_request: the proxy's headers, checked in nova's order. */
  async function byInstanceId(req: FastifyRequest): Promise<InstanceMetadata | null> {
    const h = req.headers;
    const instanceId = h['x-instance-id'];
    const tenantId = h['x-tenant-id'];
    const signature = h['x-instance-id-signature'];
    const forwarded = h['x-forwarded-for'];
    let msg: string | null = null;
    if (instanceId === undefined) msg = 'X-Instance-ID header is missing from request.';
    else if (signature === undefined) msg = 'X-Instance-ID-Signature header is missing from request.';
    else if (tenantId === undefined) msg = 'X-Tenant-ID header is missing from request.';
    else if (Array.isArray(instanceId)) msg = 'Multiple X-Instance-ID headers found within request.';
    else if (Array.isArray(tenantId)) msg = 'Multiple X-Tenant-ID headers found within request.';
    if (msg) throw new WebobError(400, 'Bad Request', msg);
    const id = instanceId as string;
    const expected = Buffer.from(instanceIdSignature(d.cfg.metadata.metadata_proxy_shared_secret, id));
    const given = Buffer.from(String(signature));
    if (!signature || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      d.log.warn({ instance: id, address: forwarded }, 'X-Instance-ID-Signature does not match the expected value');
      throw new WebobError(403, 'Forbidden', 'Invalid proxy request signature.');
    }
    let md: InstanceMetadata | null;
    try {
      md = await metadataFor(id, typeof forwarded === 'string' ? forwarded : null);
    } catch (e) {
      d.log.error({ err: e, instance: id }, 'Failed to get metadata for instance id');
      throw unknownError();
    }
    if (md && md.instance.projectId !== tenantId) {
      d.log.warn({ instance: id, tenant: tenantId }, 'Tenant_id does not match tenant_id of instance');
      return null;
    }
    return md;
  }

  /** _handle_remote_ip_request: the instance whose port holds the caller's fixed IP. */
  async function byRemoteAddress(req: FastifyRequest): Promise<InstanceMetadata | null> {
    const forwarded = req.headers['x-forwarded-for'];
    const address = (Array.isArray(forwarded) ? forwarded.join(', ') : forwarded) ?? req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    try {
      if (!address) return null;
      const client = d.network.client(serviceContext(`req-${d.random.uuid()}`), true);
      const ports = (await client.listPorts({ fixed_ips: `ip_address=${address}` })).filter((p) => p.device_id && p.device_owner.startsWith('compute:'));
      const uuids = [...new Set(ports.map((p) => p.device_id))];
      if (uuids.length === 0) return null;
      // FixedIpAssociatedWithMultipleInstances is not a NotFound: nova answers 500.
      if (uuids.length > 1) throw new Error(`fixed IP ${address} is associated with ${uuids.length} instances`);
      return await metadataFor(uuids[0]!, address);
    } catch (e) {
      d.log.error({ err: e, address }, 'Failed to get metadata for IP');
      throw unknownError();
    }
  }

  app.all('/*', async (req, reply) => {
    const path = decodeURIComponent(req.url.split('?')[0]!);
    try {
      if (path.split('/').every((p) => p === '' || p === '.')) {
        return reply.header('content-type', 'text/plain; charset=UTF-8').send([...EC2_VERSIONS, 'latest'].join('\n'));
      }
      const md = req.headers['x-instance-id'] !== undefined ? await byInstanceId(req) : await byRemoteAddress(req);
      if (!md) throw notFound();
      let out;
      try {
        out = md.lookup(path);
      } catch (e) {
        if (e instanceof MetadataPathNotFound) throw notFound();
        throw e;
      }
      const type = out.mime === 'application/json' ? 'application/json' : 'text/plain; charset=UTF-8';
      // A Buffer, so Fastify adds no charset to application/json.
      return reply.header('content-type', type).send(typeof out.body === 'string' ? Buffer.from(out.body, 'utf8') : out.body);
    } catch (e) {
      if (e instanceof WebobError) return sendWebobError(req, reply, e);
      d.log.error({ err: e }, 'metadata request failed');
      return sendWebobError(req, reply, unknownError());
    }
  });
  return app;
}
