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

/** One VLAN id on one physical network; rows exist for every id in network_vlan_ranges plus provider ids outside them while in use. */
export interface VlanAllocationRow {
  physical_network: string;
  vlan_id: number;
  allocated: number;
}

/** One VXLAN VNI; rows exist for every id in vni_ranges plus provider VNIs outside them while in use. */
export interface VxlanAllocationRow {
  vxlan_vni: number;
  allocated: number;
}

/** A physical network used by a flat network: the primary key makes it one flat network per physnet. */
export interface FlatAllocationRow {
  physical_network: string;
}

export interface Ml2Tables {
  networksegments: NetworkSegmentRow;
  ml2_vlan_allocations: VlanAllocationRow;
  ml2_vxlan_allocations: VxlanAllocationRow;
  ml2_flat_allocations: FlatAllocationRow;
}
