/** The type drivers by ml2.type_drivers name (neutron.ml2.type_drivers entry points); start-up checks names against it. */
import { FlatTypeDriver } from './flat.js';
import { LocalTypeDriver } from './local.js';
import type { TypeDriver, TypeDriverDeps } from './type-driver.js';
import { VlanTypeDriver } from './vlan.js';
import { VxlanTypeDriver } from './vxlan.js';

export const TYPE_DRIVERS: Readonly<Record<string, (deps: TypeDriverDeps) => TypeDriver>> = {
  local: () => new LocalTypeDriver(),
  flat: (deps) => new FlatTypeDriver(deps),
  vlan: (deps) => new VlanTypeDriver(deps),
  vxlan: (deps) => new VxlanTypeDriver(deps),
};
