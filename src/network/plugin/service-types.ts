/**
 * neutron's ServiceTypeManager (neutron/db/servicetype_db.py) as Nimbus's plugins fill
 * it: with no [service_providers] configured, the only configuration registered is the
 * L3 router plugin's (its DriverController adds _LegacyPlusProviderConfiguration: the
 * dvrha, dvr, ha and single_node drivers of L3_ROUTER_NAT, none of them default).
 */

/** One provider as ProviderConfiguration.get_service_providers returns it. */
export interface ServiceProvider {
  service_type: string;
  name: string;
  driver: string;
  default: boolean;
}

const L3_DRIVERS = 'neutron.services.l3_router.service_providers';

/** The providers in registration order (a Python dict keeps insertion order). */
export const SERVICE_PROVIDERS: readonly ServiceProvider[] = Object.freeze(
  (
    [
      ['dvrha', 'dvrha.DvrHaDriver'],
      ['dvr', 'dvr.DvrDriver'],
      ['ha', 'ha.HaDriver'],
      ['single_node', 'single_node.SingleNodeDriver'],
    ] as const
  ).map(([name, driver]) => Object.freeze({ service_type: 'L3_ROUTER_NAT', name, driver: `${L3_DRIVERS}.${driver}`, default: false })),
);

/**
 * ServiceTypeManager.get_service_providers: the providers passing every filter given.
 * ProviderConfiguration._check_entry knows service_type, name, driver and default and
 * ignores any other key; filter values are the query strings unconverted, so `default`
 * (a boolean) matches no string and filtering on it answers nothing, as in neutron.
 */
export function listServiceProviders(filters: ReadonlyMap<string, readonly string[]>): ServiceProvider[] {
  return SERVICE_PROVIDERS.filter((p) =>
    (['service_type', 'name', 'driver', 'default'] as const).every((key) => {
      const want = filters.get(key);
      return !want || want.some((w) => w === p[key]);
    }),
  );
}
