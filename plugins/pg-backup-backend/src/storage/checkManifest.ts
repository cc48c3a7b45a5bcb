import { shownValue } from '@pg-backup/backstage-plugin-pg-backup-common';
/** The largest manifest pg-backup reads; the agent writes a few kilobytes. */
export const MAX_MANIFEST_BYTES = 1_000_000;

/** The listed object a manifest must describe. */
export interface ManifestSubject {
  /** The dump's object key. */
  key: string;
  /** The dump's size in bytes, as S3 lists it. */
  size: number;
}

/**
 * Why the manifest text of a dump cannot be trusted, or undefined when it describes the object:
 * JSON written by the agent (`formatVersion` 1) naming this key, with the object's size and a
 * SHA-256 of 64 hex digits. The checksum itself is compared with the bytes by a verification.
 */
export function checkManifest(
  text: string,
  subject: ManifestSubject,
): string | undefined {
  const name = `manifest ${subject.key}.manifest.json`;
  if (text.length > MAX_MANIFEST_BYTES)
    return `${name} is larger than ${MAX_MANIFEST_BYTES} bytes`;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return `${name} is not valid JSON`;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return `${name} is not a JSON object`;
  const manifest = data as Record<string, unknown>;
  const problems: string[] = [];
  if (manifest.formatVersion !== 1)
    problems.push(
      `formatVersion ${String(JSON.stringify(manifest.formatVersion)).slice(
        0,
        40,
      )} (expected 1)`,
    );
  if (manifest.key !== subject.key)
    problems.push(
      typeof manifest.key === 'string'
        ? `key "${shownValue(manifest.key, 120)}" is not the dump's key`
        : 'key is missing',
    );
  if (manifest.sizeBytes !== subject.size)
    problems.push(
      Number.isSafeInteger(manifest.sizeBytes)
        ? `sizeBytes ${manifest.sizeBytes} differs from the object's ${subject.size} bytes`
        : 'sizeBytes is not a byte count',
    );
  if (
    typeof manifest.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(manifest.sha256)
  )
    problems.push('sha256 is not 64 hex digits');
  return problems.length > 0
    ? `${name} does not match the dump: ${problems.join('; ')}`
    : undefined;
}
