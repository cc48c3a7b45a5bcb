/*
 * A test backend with the real scaffolder, this module, the catalog (with the example templates),
 * permissions and a pg-backup backend: the real plugin (end-to-end tests on the sandbox world pass
 * `pgBackup: [pgBackupPlugin, ...its services]` and the world's config) or a stand-in serving the
 * contract ({@link contractPlugin}). Tasks run through `POST /api/scaffolder/v2/tasks` as a user.
 */
import path from 'node:path';
import {
  BackendFeature,
  BackstageCredentials,
  HttpAuthService,
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import permissionPlugin from '@backstage/plugin-permission-backend';
import allowAllPolicy from '@backstage/plugin-permission-backend-module-allow-all-policy';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { JsonObject } from '@backstage/types';
import { FollowTiming } from '../FollowTiming';
import { createScaffolderModulePgBackup } from '../module';
import { PgBackupContractServer } from './PgBackupContractServer';

const TEMPLATES_DIR = path.resolve(__dirname, '../../templates');

/** The example templates' files. */
export const TEMPLATE_FILES = [
  'restore-database',
  'verify-backup',
  'emergency-recovery',
  'recovery-drill',
].map(folder => path.join(TEMPLATES_DIR, folder, 'template.yaml'));

/** A backend plugin `pg-backup` that serves the contract from `server`'s logic. */
export function contractPlugin(server: PgBackupContractServer): BackendFeature {
  return createBackendPlugin({
    pluginId: 'pg-backup',
    register(env) {
      env.registerInit({
        deps: { httpRouter: coreServices.httpRouter },
        async init({ httpRouter }) {
          // The stand-in checks the mock tokens itself, recording whom they act for.
          httpRouter.addAuthPolicy({ path: '/', allow: 'unauthenticated' });
          httpRouter.use((req, res) => {
            void server.handle(req, res);
          });
        },
      });
    },
  });
}

/**
 * The mock HTTP auth service, except that a request carrying a token one plugin obtained on a
 * user's behalf is seen as that user acting through a plugin (with an `actor`), as real tokens
 * are. Without it the permission backend takes the catalog's conditional checks for direct user
 * requests and refuses them, so the scaffolder could not read templates.
 */
export const onBehalfOfHttpAuthFactory = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }) {
    const inner = mockServices.httpAuth({ pluginId: plugin.getId() });
    const service: HttpAuthService = {
      credentials: (async (
        req: Parameters<HttpAuthService['credentials']>[0],
        options?: Parameters<HttpAuthService['credentials']>[1],
      ) => {
        const credentials = (await inner.credentials(
          req,
          options,
        )) as BackstageCredentials;
        const obo = /^Bearer mock-service-token:(.+)$/.exec(
          req.headers.authorization ?? '',
        );
        const principal = credentials.principal as {
          type: string;
          userEntityRef?: string;
        };
        if (obo && principal.type === 'user' && principal.userEntityRef) {
          const userEntityRef = principal.userEntityRef;
          return mockCredentials.user(userEntityRef, {
            actor: { subject: 'plugin:on-behalf-of' },
          });
        }
        return credentials;
      }) as HttpAuthService['credentials'],
      issueUserCookie: (res, options) => inner.issueUserCookie(res, options),
    };
    return service;
  },
});

/** Options of {@link startScaffolderTestBackend}. */
export interface ScaffolderTestBackendOptions {
  /** The pg-backup backend: the real plugin and the services it needs, or {@link contractPlugin}. */
  pgBackup: BackendFeature[];
  /** More configuration; its `catalog.locations` are added to the templates'. */
  config?: JsonObject;
  /** A permission policy module; default allow-all. */
  policy?: BackendFeature;
  /** The actions' polling; default the production timing. */
  timing?: Partial<FollowTiming>;
  /** More features, e.g. notifications. */
  features?: BackendFeature[];
}

/** A scaffolder task as `GET /v2/tasks/:id` returns it. */
export interface FinishedTask {
  id: string;
  status: 'completed' | 'failed' | 'cancelled' | string;
  /** The task's log events, in order. */
  log: Array<{ stepId?: string; message: string; status?: string }>;
  /** The task's output (links, text). */
  output?: JsonObject;
}

/** Starts the backend; see the file comment. */
export async function startScaffolderTestBackend(
  options: ScaffolderTestBackendOptions,
) {
  const extra = (options.config ?? {}) as {
    catalog?: { locations?: JsonObject[]; rules?: JsonObject[] };
  };
  const config: JsonObject = {
    ...options.config,
    catalog: {
      ...extra.catalog,
      rules: [
        {
          allow: [
            'Template',
            'Resource',
            'Component',
            'System',
            'User',
            'Group',
            'Location',
          ],
        },
      ],
      locations: [
        ...TEMPLATE_FILES.map(target => ({ type: 'file', target })),
        ...(extra.catalog?.locations ?? []),
      ],
    },
    permission: { enabled: true },
  };
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      createScaffolderModulePgBackup({ timing: options.timing }),
      catalogPlugin,
      catalogModuleScaffolderEntityModel,
      permissionPlugin,
      options.policy ?? allowAllPolicy,
      onBehalfOfHttpAuthFactory,
      mockServices.rootConfig.factory({ data: config }),
      ...options.pgBackup,
      ...(options.features ?? []),
    ],
  });
  const baseUrl = `http://localhost:${backend.server.port()}`;

  /** A request as `user`, or as a backend service when `user` is undefined. */
  const call = async (
    method: string,
    url: string,
    user: string | undefined,
    body?: unknown,
  ) => {
    const response = await fetch(`${baseUrl}${url}`, {
      method,
      headers: {
        Authorization: user
          ? mockCredentials.user.header(user)
          : mockCredentials.service.header(),
        ...(body !== undefined && { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) : undefined,
    };
  };

  /** Waits until the catalog has ingested every example template. */
  const templatesReady = async (timeoutMs = 60_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      // As a service: the permission backend refuses users' unconditional list queries here.
      const res = await call(
        'GET',
        '/api/catalog/entities/by-query?filter=kind=template',
        undefined,
      );
      if ((res.body?.items?.length ?? 0) >= TEMPLATE_FILES.length) return;
      if (Date.now() > until) {
        throw new Error(`Templates not in the catalog after ${timeoutMs} ms`);
      }
      await new Promise(r => setTimeout(r, 200));
    }
  };

  /** Starts a task from a template as `user`; returns its id. */
  const startTask = async (
    template: string,
    values: JsonObject,
    user: string,
  ): Promise<string> => {
    const res = await call('POST', '/api/scaffolder/v2/tasks', user, {
      templateRef: `template:default/${template}`,
      values,
    });
    if (res.status !== 201) {
      throw new Error(
        `Task not created: ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
    return res.body.id;
  };

  /** The task's status and log so far. */
  const readTask = async (taskId: string, user: string) => {
    const task = await call('GET', `/api/scaffolder/v2/tasks/${taskId}`, user);
    const events = await call(
      'GET',
      `/api/scaffolder/v2/tasks/${taskId}/events`,
      user,
    );
    return {
      id: taskId,
      status: task.body.status,
      output: events.body
        .filter((e: { type: string }) => e.type === 'completion')
        .map((e: { body: { output?: JsonObject } }) => e.body.output)[0],
      log: events.body
        .filter((e: { type: string }) => e.type === 'log')
        .map((e: { body: FinishedTask['log'][number] }) => e.body),
    } as FinishedTask;
  };

  /** Waits until the task ends (or `timeoutMs` passes) and returns it with its log. */
  const waitForTask = async (
    taskId: string,
    user: string,
    timeoutMs = 60_000,
  ): Promise<FinishedTask> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const task = await readTask(taskId, user);
      if (['completed', 'failed', 'cancelled'].includes(task.status)) {
        return task;
      }
      if (Date.now() > until) {
        throw new Error(
          `Task ${taskId} still ${task.status} after ${timeoutMs} ms`,
        );
      }
      await new Promise(r => setTimeout(r, 100));
    }
  };

  return {
    backend,
    baseUrl,
    call,
    templatesReady,
    startTask,
    readTask,
    waitForTask,
    cancelTask: (taskId: string, user: string) =>
      call('POST', `/api/scaffolder/v2/tasks/${taskId}/cancel`, user),
    dryRun: (template: JsonObject, values: JsonObject, user: string) =>
      call('POST', '/api/scaffolder/v2/dry-run', user, {
        template,
        values,
        directoryContents: [],
      }),
  };
}
