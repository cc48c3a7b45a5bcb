import { badRequest } from './errors';

/** A compiled selector: true when the object matches. */
export type Matcher = (object: KubeObject) => boolean;

/** The parts of an object selectors look at. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms.map(t => t.trim()).filter(t => t !== '');
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key))
    throw badRequest(
      `unable to parse requirement: invalid label key "${key}" in selector "${selector}"`,
    );
  return key;
}

function checkValue(value: string, selector: string): string {
  if (value.length > 63 || !VALUE.test(value)) {
    throw badRequest(
      `unable to parse requirement: invalid label value "${value}" in selector "${selector}"`,
    );
  }
  return value;
}

/** Parses a label selector (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`). */
export function parseLabelSelector(
  selector: string | null | undefined,
): Matcher {
  if (!selector) return () => true;
  const requirements: Requirement[] = splitTerms(selector).map(term => {
    let m = /^(\S+?)\s+(in|notin)\s+\((.*)\)$/.exec(term);
    if (m) {
      const values = m[3].split(',').map(v => checkValue(v.trim(), selector));
      return {
        key: checkKey(m[1], selector),
        op: m[2] as 'in' | 'notin',
        values,
      };
    }
    m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
    if (m) {
      const value = checkValue(m[3], selector);
      return {
        key: checkKey(m[1], selector),
        op: m[2] === '!=' ? 'notin' : 'in',
        values: [value],
      };
    }
    m = /^!\s*(\S+)$/.exec(term);
    if (m) return { key: checkKey(m[1], selector), op: '!exists' };
    return { key: checkKey(term, selector), op: 'exists' };
  });
  return object => {
    const labels = object.metadata.labels ?? {};
    return requirements.every(r => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      switch (r.op) {
        case 'exists':
          return has;
        case '!exists':
          return !has;
        case 'in':
          return has && r.values.includes(labels[r.key]);
        default:
          return !has || !r.values.includes(labels[r.key]);
      }
    });
  };
}

/** Reads a dotted field path such as `status.phase` from an object. */
function fieldValue(object: KubeObject, path: string): string | undefined {
  let value: unknown = object;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value === undefined || value === null ? undefined : String(value);
}

const FIELDS: Record<string, string[]> = {
  '*': ['metadata.name', 'metadata.namespace'],
  Pod: [
    'status.phase',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.serviceAccountName',
  ],
  Secret: ['type'],
  Event: [
    'involvedObject.kind',
    'involvedObject.name',
    'involvedObject.namespace',
    'involvedObject.uid',
    'reason',
    'type',
  ],
  Job: ['status.successful'],
  Namespace: ['status.phase'],
};

/** Parses a field selector (`=`, `==`, `!=`) over the fields Kubernetes allows for the kind. */
export function parseFieldSelector(
  selector: string | null | undefined,
  kind: string,
): Matcher {
  if (!selector) return () => true;
  const allowed = [...FIELDS['*'], ...(FIELDS[kind] ?? [])];
  const terms = splitTerms(selector).map(term => {
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!m)
      throw badRequest(
        `invalid selector: '${selector}'; can't understand '${term}'`,
      );
    if (!allowed.includes(m[1])) {
      throw badRequest(
        `field label not supported: ${
          m[1]
        } (supported for ${kind}: ${allowed.join(', ')})`,
      );
    }
    return { path: m[1], negate: m[2] === '!=', value: m[3] };
  });
  return object =>
    terms.every(t => {
      const actual = fieldValue(object, t.path) ?? '';
      return t.negate ? actual !== t.value : actual === t.value;
    });
}
