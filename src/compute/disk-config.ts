/**
 * OS-DCF:diskConfig (nova's auto_disk_config): AUTO asks the driver to grow the root
 * partition to the flavor's disk, MANUAL leaves it alone. An image may forbid AUTO with
 * the property auto_disk_config=disabled; an image without a request decides the
 * default (nova/compute/api.py _inherit_properties_from_image, nova/utils.py).
 */
import { AutoDiskConfigDisabledByImage } from './errors.js';

/** The API's AUTO / MANUAL as nova's disk_config_from_api; absent: null (not asked). */
export function diskConfigFromApi(value: unknown): boolean | null {
  if (value === 'AUTO') return true;
  if (value === 'MANUAL') return false;
  return null;
}

export function diskConfigToApi(auto: boolean): 'AUTO' | 'MANUAL' {
  return auto ? 'AUTO' : 'MANUAL';
}

/** oslo's strutils.bool_from_string (not strict). */
function boolFromString(v: unknown): boolean {
  return ['1', 't', 'true', 'on', 'y', 'yes'].includes(String(v ?? '').trim().toLowerCase());
}

/**
 * The instance's auto_disk_config for a boot or rebuild from `image` (its properties
 * as glance shows them): the request, unless the image disables AUTO
 * (AutoDiskConfigDisabledByImage), else what the image says (default MANUAL).
 */
export function inheritAutoDiskConfig(image: object, imageRef: string, requested: boolean | null): boolean {
  const fromImage = (image as Record<string, unknown>).auto_disk_config;
  if (requested && typeof fromImage === 'string' && fromImage.trim().toLowerCase() === 'disabled') throw new AutoDiskConfigDisabledByImage(imageRef);
  return requested ?? boolFromString(fromImage);
}
