/** The one domain Nimbus has: keystone's `default` domain created by bootstrap. */
export const DEFAULT_DOMAIN = {
  id: 'default',
  name: 'Default',
  description: 'The default domain',
} as const;
