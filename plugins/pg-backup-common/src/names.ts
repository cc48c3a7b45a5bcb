// Naming rules of the systems a backup target points into. Each check returns undefined when the
// value is valid, or a sentence naming the value and what would be valid.

import { shownValue as shown } from './shownValue';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Checks a Kubernetes RFC 1123 label name (namespaces): at most 63 of a-z, 0-9, `-`.
 *
 * @public
 */
export function checkDnsLabel(
  value: string,
  maxLength = 63,
): string | undefined {
  if (value.length > maxLength) {
    return `"${shown(value)}" is ${
      value.length
    } characters long; at most ${maxLength} are allowed`;
  }
  if (!DNS_LABEL.test(value)) {
    return `"${shown(
      value,
    )}" is not an RFC 1123 label: use lower-case letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

/**
 * Checks a Kubernetes RFC 1123 subdomain name (most objects): at most 253 characters.
 *
 * @public
 */
export function checkDnsSubdomain(
  value: string,
  maxLength = 253,
): string | undefined {
  if (value.length > maxLength) {
    return `"${shown(value)}" is ${
      value.length
    } characters long; at most ${maxLength} are allowed`;
  }
  if (!DNS_SUBDOMAIN.test(value)) {
    return `"${shown(
      value,
    )}" is not an RFC 1123 subdomain: use lower-case letters, digits, '-' and '.', each part starting and ending with a letter or digit`;
  }
  return undefined;
}

/**
 * CronJob names are limited to 52 characters because the controller appends an 11-character
 * suffix to form Job names, which must stay within 63.
 *
 * @public
 */
export const CRONJOB_NAME_MAX_LENGTH = 52;

/**
 * Checks an S3 bucket name against the general-purpose bucket naming rules.
 *
 * @public
 */
export function checkBucketName(value: string): string | undefined {
  const rule =
    '3-63 characters of lower-case letters, digits, "." and "-", starting and ending with a letter or digit';
  if (value.length < 3 || value.length > 63) {
    return `bucket "${shown(value)}" is ${
      value.length
    } characters long; expected ${rule}`;
  }
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(value)) {
    return `bucket "${shown(
      value,
    )}" has characters S3 does not allow; expected ${rule}`;
  }
  if (value.includes('..') || value.includes('.-') || value.includes('-.')) {
    return `bucket "${shown(
      value,
    )}" has adjacent "." and "-" characters; expected ${rule}`;
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) {
    return `bucket "${shown(
      value,
    )}" is formatted as an IP address, which S3 does not allow`;
  }
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) {
    if (value.startsWith(prefix))
      return `bucket "${shown(
        value,
      )}" starts with the reserved prefix "${prefix}"`;
  }
  for (const suffix of [
    '-s3alias',
    '--ol-s3',
    '.mrap',
    '--x-s3',
    '--table-s3',
  ]) {
    if (value.endsWith(suffix))
      return `bucket "${shown(
        value,
      )}" ends with the reserved suffix "${suffix}"`;
  }
  return undefined;
}

// Characters S3 documents as safe in object keys; a prefix we accept from an annotation stays
// within them so it can never smuggle path traversal, control characters or URL syntax.
const SAFE_KEY_PART = /^[A-Za-z0-9!_.*'()-]+$/;

/**
 * Checks an S3 key prefix for backups: empty (the bucket root) or `/`-separated segments of S3's
 * safe characters ending with `/`; no leading `/`, no empty, `.` or `..` segment; at most 512 bytes.
 *
 * @public
 */
export function checkKeyPrefix(value: string): string | undefined {
  if (value === '') return undefined;
  const rule =
    "segments of letters, digits and !_.*'()- separated by '/', ending with '/', e.g. postgresql/daily/";
  if (value.length > 512) {
    return `prefix "${value.slice(0, 40)}…" is ${
      value.length
    } characters long; at most 512 are allowed`;
  }
  if (!value.endsWith('/')) {
    return `prefix "${shown(
      value,
    )}" must end with "/" so it names a folder (did you mean "${shown(
      value,
    )}/"?); expected ${rule}`;
  }
  const segments = value.slice(0, -1).split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      return `prefix "${shown(
        value,
      )}" has an empty, "." or ".." segment; expected ${rule}`;
    }
    if (!SAFE_KEY_PART.test(segment)) {
      return `prefix "${shown(
        value,
      )}" has characters outside S3's safe set in "${shown(
        segment,
      )}"; expected ${rule}`;
    }
  }
  return undefined;
}

/**
 * Checks a PostgreSQL database name as the suite accepts it: 1-63 characters, a letter or `_`
 * first, then letters, digits, `_` or `-`. Stricter than PostgreSQL so that no name ever needs
 * quoting in a shell, a URL or a Job spec.
 *
 * @public
 */
export function checkDatabaseName(value: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/.test(value)) {
    return `database name "${shown(
      value,
    )}" is not accepted: use 1-63 letters, digits, '_' or '-', starting with a letter or '_'`;
  }
  return undefined;
}

/**
 * Checks a cluster name as configured in `kubernetes.clusterLocatorMethods`.
 *
 * @public
 */
export function checkClusterName(value: string): string | undefined {
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(value)) {
    return `cluster "${shown(
      value,
    )}" is not a valid cluster name: use 1-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`;
  }
  return undefined;
}
