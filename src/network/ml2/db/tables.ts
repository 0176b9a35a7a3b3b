/** ML2's tables: network segments and the type drivers' allocation tables. (Owned by src/network/ml2.) */
export interface NetworkSegmentRow {
  id: string;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  segment_index: number;
  is_dynamic: number;
}

export interface Ml2Tables {
  networksegments: NetworkSegmentRow;
}
