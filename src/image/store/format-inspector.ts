/**
 * virtual_size from the first bytes of an upload, as glance's format_inspector does for
 * the formats Nimbus meets: raw is its own size, qcow2 states it in its header
 * (big-endian u64 at offset 24 after the "QFI\xfb" magic); anything else stays null.
 */

/** The virtual size of image data, or null when the format does not tell. */
export function virtualSize(diskFormat: string | null, size: number, head: Buffer): number | null {
  if (diskFormat === 'raw') return size;
  if (diskFormat === 'qcow2' && head.length >= 32 && head.readUInt32BE(0) === 0x514649fb) {
    return Number(head.readBigUInt64BE(24));
  }
  return null;
}
