import { badRequest, StatusError } from './errors';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

// Merge keys of the lists the suite and kubectl patch, from the Kubernetes API's patchMergeKey tags.
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  conditions: 'type',
};

/**
 * Strategic merge patch for the fields the suite and kubectl use: objects merge, lists with a
 * Kubernetes merge key (containers, env, volumes, volumeMounts, ports, ...) merge by that key and
 * honour `$patch: delete`/`$patch: replace`; other lists are replaced; `null` deletes.
 */
export function strategicMergePatch(
  target: unknown,
  patch: unknown,
  field = '',
): unknown {
  if (Array.isArray(patch)) {
    const key = MERGE_KEYS[field];
    if (!key || !Array.isArray(target))
      return patch.filter(item => !(isObject(item) && item.$patch));
    if (patch.some(item => isObject(item) && item.$patch === 'replace')) {
      return patch.filter(item => !(isObject(item) && item.$patch));
    }
    const result = [...target] as Json[];
    for (const item of patch) {
      if (!isObject(item) || item[key] === undefined) {
        throw badRequest(
          `strategic merge patch: list ${field} items must be objects with the merge key "${key}"`,
        );
      }
      const index = result.findIndex(
        existing => isObject(existing) && existing[key] === item[key],
      );
      if (item.$patch === 'delete') {
        if (index >= 0) result.splice(index, 1);
      } else if (index >= 0) {
        result[index] = strategicMergePatch(result[index], item, '') as Json;
      } else {
        result.push(item);
      }
    }
    return result;
  }
  if (!isObject(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return rest;
  }
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue; // directives such as $setElementOrder carry no data here
    if (value === null) delete result[key];
    else result[key] = strategicMergePatch(result[key], value, key);
  }
  return result;
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw badRequest(`JSON Patch path "${path}" must start with "/"`);
  return path.slice(1).split('/').map(unescape);
}

function child(container: unknown, token: string): any {
  if (Array.isArray(container)) return container[Number(token)];
  if (isObject(container)) return container[token];
  return undefined;
}

function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

function resolveParent(
  doc: unknown,
  tokens: string[],
  path: string,
): { parent: any; key: string } {
  let parent: any = doc;
  for (const token of tokens.slice(0, -1)) {
    parent = child(parent, token);
    if (parent === undefined)
      throw new StatusError(
        422,
        'Invalid',
        `JSON Patch path "${path}": parent does not exist`,
      );
  }
  return { parent, key: tokens[tokens.length - 1] };
}

function get(doc: unknown, path: string): unknown {
  let value: any = doc;
  for (const token of parsePointer(path)) {
    value = child(value, token);
    if (value === undefined)
      throw new StatusError(
        422,
        'Invalid',
        `JSON Patch path "${path}" does not exist`,
      );
  }
  return value;
}

function remove(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  const { parent, key } = resolveParent(doc, tokens, path);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) {
      throw new StatusError(
        422,
        'Invalid',
        `JSON Patch path "${path}": index out of range`,
      );
    }
    return parent.splice(index, 1)[0];
  }
  if (!isObject(parent) || !(key in parent))
    throw new StatusError(
      422,
      'Invalid',
      `JSON Patch path "${path}" does not exist`,
    );
  const value = parent[key];
  delete parent[key];
  return value;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, path);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) {
      throw new StatusError(
        422,
        'Invalid',
        `JSON Patch path "${path}": index out of range`,
      );
    }
    parent.splice(index, 0, value);
  } else if (isObject(parent)) {
    parent[key] = value as Json;
  } else {
    throw new StatusError(
      422,
      'Invalid',
      `JSON Patch path "${path}": parent is not an object or array`,
    );
  }
  return doc;
}

/** RFC 6902 JSON Patch. A body that is not an array is a 400, as on a real API server. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) {
    throw badRequest(
      'the body of a json-patch+json request must be a JSON array of operations',
    );
  }
  let doc = clone(target);
  for (const op of operations) {
    if (
      !isObject(op) ||
      typeof op.op !== 'string' ||
      typeof op.path !== 'string'
    ) {
      throw badRequest(
        `invalid JSON Patch operation ${JSON.stringify(
          op,
        )}: expected {op, path, ...}`,
      );
    }
    const path = op.path;
    switch (op.op) {
      case 'add':
        doc = add(doc, path, clone(op.value));
        break;
      case 'remove':
        remove(doc, path);
        break;
      case 'replace':
        if (parsePointer(path).length === 0) {
          doc = clone(op.value);
        } else {
          remove(doc, path);
          doc = add(doc, path, clone(op.value));
        }
        break;
      case 'move': {
        const value = remove(doc, String(op.from));
        doc = add(doc, path, value);
        break;
      }
      case 'copy':
        doc = add(doc, path, clone(get(doc, String(op.from))));
        break;
      case 'test':
        if (JSON.stringify(get(doc, path)) !== JSON.stringify(op.value)) {
          throw new StatusError(
            422,
            'Invalid',
            `JSON Patch test failed at "${path}"`,
          );
        }
        break;
      default:
        throw badRequest(`unknown JSON Patch operation "${op.op}"`);
    }
  }
  return doc;
}

/** Patch content types the server accepts. */
export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;
