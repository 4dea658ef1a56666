/** 32-bit FNV-1a of the UTF-8 bytes: stable names and seeds derived from names and uids (Argo hashes node names this way). */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
