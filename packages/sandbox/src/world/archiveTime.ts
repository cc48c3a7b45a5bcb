/**
 * A copy of a `pg_dump -Fc` archive whose header says it was created at `at` (UTC): the seeded
 * world's back-dated backups then differ byte for byte (each has its own SHA-256) and
 * `pg_restore --list` shows the date each stands for. The header (PostgreSQL's
 * `pg_backup_archiver.c`) is "PGDMP", the archive version, the int and offset sizes, the format,
 * the compression (an int before version 1.15, a byte from it), then the creation time as seven
 * ints (seconds, minutes, hours, day, month from 0, years since 1900, DST), each a sign byte and
 * `intSize` little-endian bytes. An archive of another shape is returned unchanged.
 */
export function withArchiveTime(dump: Buffer, at: Date): Buffer {
  if (dump.subarray(0, 5).toString('latin1') !== 'PGDMP') return dump;
  const [major, minor] = [dump[5], dump[6]];
  const intSize = dump[8];
  if (major !== 1 || minor < 12 || minor > 16 || intSize < 4 || intSize > 8)
    return dump;
  const compressionBytes = minor >= 15 ? 1 : 1 + intSize;
  let offset = 11 + compressionBytes;
  const copy = Buffer.from(dump);
  const fields = [
    at.getUTCSeconds(),
    at.getUTCMinutes(),
    at.getUTCHours(),
    at.getUTCDate(),
    at.getUTCMonth(),
    at.getUTCFullYear() - 1900,
    0,
  ];
  for (const value of fields) {
    copy[offset] = 0; // sign: not negative
    for (let i = 0; i < intSize; i++)
      copy[offset + 1 + i] = i < 4 ? (value >>> (8 * i)) & 0xff : 0;
    offset += 1 + intSize;
  }
  return copy;
}
