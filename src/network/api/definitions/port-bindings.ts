/**
 * binding-extended's sub-resource /v2.0/ports/{port_id}/bindings (neutron-lib's
 * portbindings_extended SUB_RESOURCE_ATTRIBUTE_MAP): `host` is the member key; a POST
 * gives host, vnic_type and profile; vif_type, vif_details and status are ML2's.
 */
import type { ResourceDef } from '../resource.js';
import { isDictOrNone, isString, isValues } from '../validators.js';
import { VNIC_TYPES } from './core.js';

export const portBindingDef: ResourceDef = {
  resource: 'binding',
  collection: 'bindings',
  attrs: {
    // No validator and no default: required on POST, any value (as neutron-lib declares it).
    host: { allowPost: true, allowPut: true, isFilter: true },
    vif_type: { allowPost: false, allowPut: false, isFilter: true },
    vif_details: { allowPost: false, allowPut: false },
    vnic_type: { allowPost: true, allowPut: true, default: 'normal', validate: isValues(VNIC_TYPES), isFilter: true },
    profile: { allowPost: true, allowPut: true, default: undefined, validate: isDictOrNone },
    status: { allowPost: false, allowPut: false, isFilter: true },
    project_id: { allowPost: true, allowPut: false, validate: isString(255) },
    // populate_project_id fills tenant_id alongside project_id; the binding keeps neither.
    tenant_id: { allowPost: true, allowPut: false, isVisible: false, validate: isString(255) },
  },
};
