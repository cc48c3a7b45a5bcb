import { randomUUID } from 'crypto';
import { KubeObject } from '../api/selectors';
import { ResourceType, groupVersion, qualifiedName } from '../api/resources';
import { alreadyExists, conflict, notFound, StatusError } from '../api/errors';
import { Clock } from '../clock';

/** A change to an object, as a watch reports it. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: ResourceType;
  object: KubeObject;
  /** The object before the change (MODIFIED, DELETED). */
  previous?: KubeObject;
  resourceVersion: number;
}

/** Thrown when a watch asks for history the store no longer keeps (410 Gone). */
export class ResourceVersionTooOld extends StatusError {
  constructor(requested: number, oldest: number) {
    super(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
  }
}

const key = (namespace: string | undefined, name: string) =>
  `${namespace ?? ''}/${name}`;

/**
 * Holds every object of the sandbox in memory with a cluster-wide resourceVersion counter, and a
 * bounded history of changes for watches (older resourceVersions get 410 Gone).
 */
export class ObjectStore {
  private revision = 0;
  private readonly objects = new Map<ResourceType, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly historyLimit = 5000,
  ) {}

  /** The current resourceVersion of the whole store. */
  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch can still start from. */
  get oldestWatchableVersion(): number {
    return this.history.length === this.historyLimit
      ? this.history[0].resourceVersion
      : 0;
  }

  private table(type: ResourceType): Map<string, KubeObject> {
    let table = this.objects.get(type);
    if (!table) {
      table = new Map();
      this.objects.set(type, table);
    }
    return table;
  }

  /** Reads one object (a deep copy), or undefined. */
  find(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined {
    const found = this.table(type).get(key(namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  /** Reads one object or throws NotFound. */
  get(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject {
    const found = this.find(type, namespace, name);
    if (!found) throw notFound(type.plural, name, type.group);
    return found;
  }

  /**
   * The stored objects themselves, sorted by namespace and name, for a controller that only
   * reads them (it must not change them): a pass over 10,000 CronJobs copies none of them.
   */
  peek(type: ResourceType): readonly Readonly<KubeObject>[] {
    return [...this.table(type).entries()]
      .sort(([a], [b]) => Number(a > b) - Number(a < b))
      .map(([, o]) => o);
  }

  /** Lists objects (deep copies), sorted by namespace and name. */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    return [...this.table(type).entries()]
      .filter(
        ([, o]) =>
          namespace === undefined || o.metadata.namespace === namespace,
      )
      .sort(([a], [b]) => Number(a > b) - Number(a < b))
      .map(([, o]) => structuredClone(o));
  }

  /** Stores a new object, filling in uid, creationTimestamp, resourceVersion and generation. */
  create(type: ResourceType, object: KubeObject): KubeObject {
    const table = this.table(type);
    const k = key(object.metadata.namespace, object.metadata.name);
    if (table.has(k))
      throw alreadyExists(type.plural, object.metadata.name, type.group);
    const stored = structuredClone(object);
    stored.apiVersion = groupVersion(type);
    stored.kind = type.kind;
    stored.metadata = {
      ...stored.metadata,
      uid: (stored.metadata.uid as string | undefined) ?? randomUUID(),
      creationTimestamp: this.timestamp(),
      generation: 1,
      resourceVersion: String(++this.revision),
    };
    table.set(k, stored);
    this.emit({
      type: 'ADDED',
      resource: type,
      object: stored,
      resourceVersion: this.revision,
    });
    return structuredClone(stored);
  }

  /**
   * Replaces an object. A resourceVersion in the new object must match the stored one (409
   * Conflict otherwise); generation increases when the spec changes.
   */
  update(type: ResourceType, object: KubeObject): KubeObject {
    const table = this.table(type);
    const k = key(object.metadata.namespace, object.metadata.name);
    const current = table.get(k);
    if (!current) throw notFound(type.plural, object.metadata.name, type.group);
    const requested = object.metadata.resourceVersion;
    if (
      requested !== undefined &&
      requested !== '' &&
      requested !== current.metadata.resourceVersion
    ) {
      throw conflict(type.plural, object.metadata.name, type.group);
    }
    const stored = structuredClone(object);
    stored.apiVersion = groupVersion(type);
    stored.kind = type.kind;
    const specChanged =
      JSON.stringify(stored.spec) !== JSON.stringify(current.spec);
    stored.metadata = {
      ...stored.metadata,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      generation:
        Number(current.metadata.generation ?? 1) + (specChanged ? 1 : 0),
      resourceVersion: String(current.metadata.resourceVersion),
    };
    if (JSON.stringify(stored) === JSON.stringify(current))
      return structuredClone(current);
    stored.metadata.resourceVersion = String(++this.revision);
    table.set(k, stored);
    this.emit({
      type: 'MODIFIED',
      resource: type,
      object: stored,
      previous: current,
      resourceVersion: this.revision,
    });
    return structuredClone(stored);
  }

  /** Applies a change to the stored object through a function, retrying nothing (single-threaded). */
  mutate(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    change: (o: KubeObject) => void,
  ): KubeObject {
    const object = this.get(type, namespace, name);
    change(object);
    return this.update(type, object);
  }

  /** Removes an object; returns it as it was last stored. */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject {
    const table = this.table(type);
    const k = key(namespace, name);
    const current = table.get(k);
    if (!current) throw notFound(type.plural, name, type.group);
    table.delete(k);
    const deleted = structuredClone(current);
    deleted.metadata.resourceVersion = String(++this.revision);
    this.emit({
      type: 'DELETED',
      resource: type,
      object: deleted,
      previous: current,
      resourceVersion: this.revision,
    });
    return structuredClone(deleted);
  }

  /** Every stored object of every type (for owner-reference garbage collection). */
  all(): Array<{ type: ResourceType; object: KubeObject }> {
    const result: Array<{ type: ResourceType; object: KubeObject }> = [];
    for (const [type, table] of this.objects)
      for (const object of table.values())
        result.push({ type, object: structuredClone(object) });
    return result;
  }

  /** Events after `resourceVersion` still in history; throws ResourceVersionTooOld if trimmed. */
  eventsSince(resourceVersion: number): StoreEvent[] {
    const oldest = this.oldestWatchableVersion;
    if (oldest > 0 && resourceVersion < oldest - 1)
      throw new ResourceVersionTooOld(resourceVersion, oldest);
    return this.history.filter(e => e.resourceVersion > resourceVersion);
  }

  /** Subscribes to every change; returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.shift();
    for (const listener of [...this.listeners]) listener(event);
  }

  private timestamp(): string {
    return this.clock
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  /** A human name for error messages: `jobs.batch`. */
  static describe(type: ResourceType): string {
    return qualifiedName(type);
  }
}
