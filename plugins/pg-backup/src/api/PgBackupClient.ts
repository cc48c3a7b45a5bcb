import { parseEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  BackupPage,
  EntityHealthResponse,
  JobSummary,
  StoragePolicy,
  TriggerBackupResponse,
} from '@internal/plugin-pg-backup-common';
import { PgBackupApi } from './PgBackupApi';

/** {@link PgBackupApi} over HTTP, through the app's discovery and fetch APIs. */
export class PgBackupClient implements PgBackupApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  private async entityUrl(entityRef: string, path: string): Promise<string> {
    const { kind, namespace, name } = parseEntityRef(entityRef);
    const base = await this.deps.discoveryApi.getBaseUrl('pg-backup');
    return `${base}/entities/${[kind, namespace, name]
      .map(encodeURIComponent)
      .join('/')}/${path}`;
  }

  private async json<T>(url: string, init?: RequestInit): Promise<T> {
    const response = await this.deps.fetchApi.fetch(url, init);
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return (await response.json()) as T;
  }

  async getHealth(entityRef: string): Promise<EntityHealthResponse> {
    return this.json(await this.entityUrl(entityRef, 'health'));
  }

  async getBackups(
    entityRef: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<BackupPage> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    const suffix = query.size > 0 ? `?${query}` : '';
    return this.json(`${await this.entityUrl(entityRef, 'backups')}${suffix}`);
  }

  async getStoragePolicy(entityRef: string): Promise<StoragePolicy> {
    return this.json(await this.entityUrl(entityRef, 'storage'));
  }

  async getJob(entityRef: string, job: string): Promise<JobSummary> {
    return this.json(
      await this.entityUrl(entityRef, `jobs/${encodeURIComponent(job)}`),
    );
  }

  async triggerBackup(entityRef: string): Promise<TriggerBackupResponse> {
    return this.json(await this.entityUrl(entityRef, 'backups'), {
      method: 'POST',
    });
  }
}
