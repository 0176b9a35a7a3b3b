/** The networksegments table: ML2's record of which segments make up each network. */
import type { Kysely } from 'kysely';
import { each, statements } from '../../../db/statement.js';
import type { NeutronDB } from '../../db/schema.js';
import type { Segment, SegmentSpec } from '../types.js';
import type { NetworkSegmentRow } from './tables.js';

type Db = Kysely<NeutronDB>;

function toSegment(r: NetworkSegmentRow): Segment {
  return {
    id: r.id,
    network_id: r.network_id,
    network_type: r.network_type,
    physical_network: r.physical_network,
    segmentation_id: r.segmentation_id,
    segment_index: r.segment_index,
  };
}

/** Inserts one static segment (segments_db.add_network_segment). */
export async function insertSegment(db: Db, id: string, networkId: string, spec: SegmentSpec, index: number): Promise<Segment> {
  const row: NetworkSegmentRow = {
    id,
    network_id: networkId,
    network_type: spec.network_type,
    physical_network: spec.physical_network,
    segmentation_id: spec.segmentation_id,
    segment_index: index,
    is_dynamic: 0,
  };
  await db.insertInto('networksegments').values(row).execute();
  return toSegment(row);
}

/** Every segment of each network, by segment_index; networks without segments map to []. */
export async function selectSegments(db: Db, networkIds: string[]): Promise<Map<string, Segment[]>> {
  const out = new Map<string, Segment[]>(networkIds.map((id) => [id, []]));
  if (networkIds.length === 0) return out;
  const unique = [...new Set(networkIds)];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await segmentsOf.rows(db, { ids: unique.slice(i, i + 500) });
    for (const r of rows) out.get(r.network_id)!.push(toSegment(r));
  }
  return out;
}

/** selectSegments' statement, compiled once per number of networks. */
const segmentsOf = statements(
  (p: { ids: readonly string[] }) => String(p.ids.length),
  (db: Db, p, shapeFrom) => db.selectFrom('networksegments').selectAll().where('network_id', 'in', each(p.ids, shapeFrom.ids.length)).orderBy('network_id').orderBy('segment_index'),
);

/** Deletes every segment of a network. */
export async function deleteSegments(db: Db, networkId: string): Promise<void> {
  await db.deleteFrom('networksegments').where('network_id', '=', networkId).execute();
}
