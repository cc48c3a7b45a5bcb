import { parseEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ApprovalDecision,
  ApprovalList,
  ApprovalRequest,
  BackupPage,
  DrillList,
  DrillRecordEntry,
  EntityHealthResponse,
  FleetResponse,
  JobLog,
  JobSummary,
  JobsResponse,
  StoragePolicy,
  TriggerBackupResponse,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { FleetFilter, LogOptions, PgBackupApi } from './PgBackupApi';

/**
 * {@link PgBackupApi} over HTTP, through the app's discovery and fetch APIs.
 *
 * @public
 */
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

  private async fetch(url: string, init?: RequestInit): Promise<Response> {
    const response = await this.deps.fetchApi.fetch(url, init);
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return response;
  }

  private async json<T>(url: string, init?: RequestInit): Promise<T> {
    return (await (await this.fetch(url, init)).json()) as T;
  }

  private async logUrl(
    entityRef: string,
    job: string,
    options: LogOptions,
    follow: boolean,
  ): Promise<string> {
    const query = new URLSearchParams();
    if (options.pod !== undefined) query.set('pod', options.pod);
    if (options.tailLines !== undefined)
      query.set('tailLines', String(options.tailLines));
    if (follow) query.set('follow', 'true');
    const suffix = query.size > 0 ? `?${query}` : '';
    return `${await this.entityUrl(
      entityRef,
      `jobs/${encodeURIComponent(job)}/logs`,
    )}${suffix}`;
  }

  /** {@inheritDoc PgBackupApi.getHealth} */
  async getHealth(entityRef: string): Promise<EntityHealthResponse> {
    return this.json(await this.entityUrl(entityRef, 'health'));
  }

  /** {@inheritDoc PgBackupApi.getBackups} */
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

  /** {@inheritDoc PgBackupApi.getStoragePolicy} */
  async getStoragePolicy(entityRef: string): Promise<StoragePolicy> {
    return this.json(await this.entityUrl(entityRef, 'storage'));
  }

  /** {@inheritDoc PgBackupApi.getJob} */
  async getJob(entityRef: string, job: string): Promise<JobSummary> {
    return this.json(
      await this.entityUrl(entityRef, `jobs/${encodeURIComponent(job)}`),
    );
  }

  /** {@inheritDoc PgBackupApi.triggerBackup} */
  async triggerBackup(entityRef: string): Promise<TriggerBackupResponse> {
    return this.json(await this.entityUrl(entityRef, 'backups'), {
      method: 'POST',
    });
  }

  /** {@inheritDoc PgBackupApi.getJobs} */
  async getJobs(entityRef: string): Promise<JobsResponse> {
    return this.json(await this.entityUrl(entityRef, 'jobs'));
  }

  /** {@inheritDoc PgBackupApi.getJobLog} */
  async getJobLog(
    entityRef: string,
    job: string,
    options: LogOptions = {},
  ): Promise<JobLog> {
    const response = await this.fetch(
      await this.logUrl(entityRef, job, options, false),
    );
    return {
      pod: response.headers.get('X-Pod-Name') ?? options.pod ?? '',
      text: await response.text(),
    };
  }

  /** {@inheritDoc PgBackupApi.followJobLog} */
  async followJobLog(
    entityRef: string,
    job: string,
    options: LogOptions & {
      signal: AbortSignal;
      onText: (text: string) => void;
    },
  ): Promise<void> {
    const response = await this.fetch(
      await this.logUrl(entityRef, job, options, true),
      { signal: options.signal },
    );
    if (!response.body) {
      options.onText(await response.text());
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        options.onText(decoder.decode(value, { stream: true }));
      }
    } catch (error) {
      if (!options.signal.aborted) throw error;
    }
  }

  /** {@inheritDoc PgBackupApi.getFleet} */
  async getFleet(filter: FleetFilter = {}): Promise<FleetResponse> {
    const query = new URLSearchParams();
    for (const [name, values] of Object.entries(filter))
      for (const value of values ?? []) query.append(name, value);
    const base = await this.deps.discoveryApi.getBaseUrl('pg-backup');
    return this.json(`${base}/fleet${query.size > 0 ? `?${query}` : ''}`);
  }

  /** {@inheritDoc PgBackupApi.getDrills} */
  async getDrills(entityRef: string): Promise<DrillRecordEntry[]> {
    const list = await this.json<DrillList>(
      await this.entityUrl(entityRef, 'drills'),
    );
    return list.items;
  }

  /** {@inheritDoc PgBackupApi.getApprovals} */
  async getApprovals(entityRef: string): Promise<ApprovalRequest[]> {
    const list = await this.json<ApprovalList>(
      await this.entityUrl(entityRef, 'approvals'),
    );
    return list.items;
  }

  /** {@inheritDoc PgBackupApi.getPendingApprovals} */
  async getPendingApprovals(): Promise<ApprovalRequest[]> {
    const base = await this.deps.discoveryApi.getBaseUrl('pg-backup');
    const list = await this.json<ApprovalList>(
      `${base}/approvals?state=pending`,
    );
    return list.items;
  }

  /** {@inheritDoc PgBackupApi.decideApproval} */
  async decideApproval(
    id: string,
    decision: ApprovalDecision,
  ): Promise<ApprovalRequest> {
    const base = await this.deps.discoveryApi.getBaseUrl('pg-backup');
    return this.json(`${base}/approvals/${encodeURIComponent(id)}/decision`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(decision),
    });
  }
}
