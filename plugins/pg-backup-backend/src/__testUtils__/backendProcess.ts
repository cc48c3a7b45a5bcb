import { freePort } from '@internal/sandbox';
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { mockCredentials } from '@backstage/backend-test-utils';
import { sql } from './recoveryWorld';

const MAIN = path.join(__dirname, 'backendProcessMain.ts');
const READY_LINE = 'pg-backup-test-backend listening on ';
const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };

/**
 * Backend configuration with every plugin's database on the local PostgreSQL, in databases
 * named `<prefix><pluginId>`: backends started with the same prefix share them, as replicas do.
 */
export function withPostgres(
  config: Record<string, unknown>,
  prefix: string,
): Record<string, unknown> {
  return {
    ...config,
    backend: {
      ...(config.backend as Record<string, unknown> | undefined),
      database: { client: 'pg', connection: POSTGRES, prefix },
    },
  };
}

/** A fresh prefix for {@link withPostgres}: `pgb_<label>_<random>_`. */
export function databasePrefix(label: string): string {
  return `pgb_${label}_${Math.random().toString(36).slice(2, 8)}_`;
}

/** Drops the databases of a {@link withPostgres} prefix. */
export async function dropDatabases(prefix: string): Promise<void> {
  const rows = await sql<{ datname: string }>(
    'postgres',
    `SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%'`,
  );
  for (const { datname } of rows)
    await sql('postgres', `DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
}

/**
 * A pg-backup backend (with the catalog, the permission backend and the test policy) running in
 * its own OS process, listening on 127.0.0.1 and a free port, so that a test can kill it with
 * SIGKILL as a crash or an OOM kill would. Authorization headers of `mockCredentials` work.
 */
export class BackendProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly exited: Promise<number | null>,
    /** Everything the process wrote on stdout and stderr, one entry per line. */
    readonly lines: string[],
  ) {}

  /**
   * Starts a backend with `appConfig` (plus its listen address) and resolves once it listens.
   * `nodeEnv` is `test` unless given: Backstage's scheduler frees tasks whose run timed out (its
   * janitor) only outside `NODE_ENV=test`.
   */
  static async start(
    appConfig: Record<string, unknown>,
    options: { timeoutMs?: number; nodeEnv?: string } = {},
  ): Promise<BackendProcess> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const port = await freePort();
    const config = {
      ...appConfig,
      backend: {
        ...(appConfig.backend as Record<string, unknown> | undefined),
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { host: '127.0.0.1', port },
      },
    };
    // sucrase is a dependency of the sandbox package, whose scripts run TypeScript the same way.
    const register = require.resolve('sucrase/register/ts', {
      paths: [path.dirname(require.resolve('@internal/sandbox/package.json'))],
    });
    const child = spawn(process.execPath, ['-r', register, MAIN], {
      cwd: path.resolve(__dirname, '../..'),
      env: {
        ...process.env,
        PG_BACKUP_TEST_BACKEND_CONFIG: JSON.stringify(config),
        NODE_ENV: options.nodeEnv ?? 'test',
      },
      // stdin stays open while the test runs: the backend exits when it closes (see main).
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>(resolve =>
      child.once('exit', code => resolve(code)),
    );
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(
            `the backend process did not start within ${timeoutMs} ms:\n${lines
              .slice(-30)
              .join('\n')}`,
          ),
        );
      }, timeoutMs);
      const collect = (stream: NodeJS.ReadableStream) => {
        let rest = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          const parts = (rest + chunk).split('\n');
          rest = parts.pop()!;
          for (const line of parts) {
            lines.push(line);
            if (line.startsWith(READY_LINE)) {
              clearTimeout(timer);
              resolve(line.slice(READY_LINE.length).trim());
            }
          }
        });
      };
      collect(child.stdout!);
      collect(child.stderr!);
      exited.then(code => {
        clearTimeout(timer);
        reject(
          new Error(
            `the backend process exited with code ${code} before it started:\n${lines
              .slice(-30)
              .join('\n')}`,
          ),
        );
      });
    });
    const started = new BackendProcess(child, url, exited, lines);
    return started;
  }

  /** Calls the backend as `user` (a `mockCredentials` user token); JSON in and out. */
  async request(
    method: 'GET' | 'POST',
    route: string,
    user: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers: {
        authorization: mockCredentials.user.header(user),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: kept as text.
    }
    return { status: res.status, body: parsed };
  }

  /**
   * Waits until the catalog serves the entity of `route` (an entity route, read as `user`):
   * until then the route answers 404. Fails after `timeoutMs`.
   */
  async untilServed(
    route: string,
    user: string,
    timeoutMs = 60_000,
  ): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ((await this.request('GET', route, user)).status === 404) {
      if (Date.now() > until)
        throw new Error(`the catalog never served ${route}`);
      await new Promise(r => setTimeout(r, 100));
    }
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid!;
  }

  /** Kills the process with SIGKILL (no shutdown hook runs) and waits until it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null)
      this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the process gracefully (SIGTERM: shutdown hooks run), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
