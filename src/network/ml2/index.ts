/** ML2: type drivers, mechanism drivers and port binding, behind the Ml2 facade. */
export { Ml2, type Ml2Deps } from './plugin-facade.js';
export * from './types.js';
export * from './errors.js';
export { ml2Migrations } from './db/migrations.js';
export { decideBinding } from './binding.js';
export { extendNetworkDict } from './type-manager.js';
export type { MechanismDriver, PortBindingContext, PortToBind } from './drivers/mech/mech-driver.js';
export type { TypeDriver } from './drivers/type/type-driver.js';
export { MECHANISM_DRIVERS } from './drivers/mech/registry.js';
export { TYPE_DRIVERS } from './drivers/type/registry.js';
