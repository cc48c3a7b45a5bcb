import { AuthService } from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  BackupObjectives,
  BackupTarget,
  isPgBackupAvailable,
  readBackupTarget,
} from '@pg-backup/backstage-plugin-pg-backup-common';

const REF_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/** An annotated entity and the target its annotations describe. */
export interface ResolvedTarget {
  /** The catalog entity. */
  entity: Entity;
  /** The validated target. */
  target: BackupTarget;
}

/**
 * Resolves entity refs from requests through the catalog, with the caller's credentials, into
 * validated backup targets. This is the only way a request reaches a cluster or bucket: names
 * come from annotations, never from the request.
 */
export class EntityTargets {
  private readonly catalog: CatalogService;
  private readonly auth: AuthService;
  private readonly defaults: BackupObjectives;
  private readonly checkTarget: (target: BackupTarget) => void;

  constructor(options: {
    catalog: CatalogService;
    auth: AuthService;
    /** Objectives of databases whose entity sets none. */
    defaults: BackupObjectives;
    /** Throws for a target pg-backup cannot reach (an unconfigured cluster is a 400). */
    checkTarget?: (target: BackupTarget) => void;
  }) {
    this.catalog = options.catalog;
    this.auth = options.auth;
    this.defaults = options.defaults;
    this.checkTarget = options.checkTarget ?? (() => {});
  }

  /** Checks the parts of an entity ref taken from a URL. */
  static parseRef(
    kind: string,
    namespace: string,
    name: string,
  ): CompoundEntityRef {
    for (const [label, value] of [
      ['kind', kind],
      ['namespace', namespace],
      ['name', name],
    ] as const) {
      if (!REF_PART.test(value))
        throw new InputError(
          `invalid entity ${label} "${value.slice(
            0,
            80,
          )}": use letters, digits, '.', '_' or '-' (at most 253 characters)`,
        );
    }
    return {
      kind: kind.toLocaleLowerCase('en-US'),
      namespace: namespace.toLocaleLowerCase('en-US'),
      name,
    };
  }

  /**
   * The entity and its target; 404 when the entity is missing or not annotated, 400 when its
   * annotations are invalid. Called only after the caller's pg-backup permission on the entity
   * was granted, so the lookup itself uses the plugin's own credentials.
   */
  async resolve(ref: CompoundEntityRef): Promise<ResolvedTarget> {
    const entityRef = stringifyEntityRef(ref);
    const entity = await this.catalog.getEntityByRef(ref, {
      credentials: await this.auth.getOwnServiceCredentials(),
    });
    if (!entity) throw new NotFoundError(`entity ${entityRef} not found`);
    if (!isPgBackupAvailable(entity))
      throw new NotFoundError(
        `entity ${entityRef} has no pg-backup annotations (pg-backup.io/backup-cronjob)`,
      );
    const result = readBackupTarget(entity, this.defaults);
    if (!result.ok)
      throw new InputError(
        `entity ${entityRef} has invalid pg-backup annotations: ${result.problems
          .map(p => p.message)
          .join('; ')}`,
      );
    this.checkTarget(result.target);
    return { entity, target: result.target };
  }
}
