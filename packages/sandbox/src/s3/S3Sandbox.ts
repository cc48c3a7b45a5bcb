import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

/** Options for {@link S3Sandbox.start}. */
export interface S3SandboxOptions {
  /** Port to listen on; a free port on 127.0.0.1 is picked when omitted. */
  port?: number;
  /** File that receives moto's stdout/stderr; output is discarded when omitted. */
  logFile?: string;
  /** Milliseconds to wait for the server to answer; defaults to 20000. */
  startTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const MOTO_COMMAND = 'moto_server';
/** Objects per request of {@link putObjectsInBulk}. */
const BULK_OBJECTS = 2000;
const INSTALL_HINT = 'install it with: pip install "moto[server]"';

/**
 * Python launcher run with `python -c`. It is exactly `moto_server` (it calls
 * `moto.server.main()` with the same argv) plus two extra endpoints:
 * `POST /sandbox-api/s3/last-modified`, that back-dates an existing object
 * (stock moto 5.x has no way to set its clock in server mode: there is no
 * `/moto-api/time/...` endpoint, and S3 does not let clients set LastModified),
 * and `POST /sandbox-api/s3/objects`, that puts many back-dated objects in one
 * request through moto's own `put_object` (a benchmark seeds hundreds of
 * thousands; one PutObject and one back-dating each would take half an hour).
 */
const LAUNCHER = String.raw`
import datetime, json, sys
from moto.moto_server import werkzeug_app

_original_call = werkzeug_app.DomainDispatcherApplication.__call__

def _reply(start_response, status, payload):
    body = json.dumps(payload).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]

def _set_last_modified(environ, start_response):
    from moto.s3.models import s3_backends
    length = int(environ.get("CONTENT_LENGTH") or 0)
    req = json.loads(environ["wsgi.input"].read(length) or b"{}")
    when = datetime.datetime.fromisoformat(req["lastModified"].replace("Z", "+00:00"))
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    for account_id in list(s3_backends.keys()):
        for partition in list(s3_backends[account_id].keys()):
            bucket = s3_backends[account_id][partition].buckets.get(req["bucket"])
            if bucket is None:
                continue
            versions = bucket.keys.getlist(req["key"]) or []
            version_id = req.get("versionId")
            targets = [v for v in versions if version_id is None or str(v.version_id) == version_id]
            if version_id is None:
                targets = targets[-1:]
            if not targets:
                return _reply(start_response, "404 Not Found", {"error": "NoSuchKey"})
            for key in targets:
                key.last_modified = when
            return _reply(start_response, "200 OK", {"updated": len(targets)})
    return _reply(start_response, "404 Not Found", {"error": "NoSuchBucket"})

def _put_objects(environ, start_response):
    import base64
    from moto.s3.models import s3_backends
    length = int(environ.get("CONTENT_LENGTH") or 0)
    req = json.loads(environ["wsgi.input"].read(length) or b"{}")
    for account_id in list(s3_backends.keys()):
        for partition in list(s3_backends[account_id].keys()):
            backend = s3_backends[account_id][partition]
            if backend.buckets.get(req["bucket"]) is None:
                continue
            for item in req["objects"]:
                body = base64.b64decode(item["bodyBase64"])
                key = backend.put_object(req["bucket"], item["key"], body)
                if item.get("lastModified"):
                    when = datetime.datetime.fromisoformat(item["lastModified"].replace("Z", "+00:00"))
                    key.last_modified = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            return _reply(start_response, "200 OK", {"put": len(req["objects"])})
    return _reply(start_response, "404 Not Found", {"error": "NoSuchBucket"})

_ROUTES = {
    "/sandbox-api/s3/last-modified": _set_last_modified,
    "/sandbox-api/s3/objects": _put_objects,
}

def _call(self, environ, start_response):
    route = _ROUTES.get(environ.get("PATH_INFO"))
    if route is not None and environ.get("REQUEST_METHOD") == "POST":
        try:
            return route(environ, start_response)
        except Exception as e:
            return _reply(start_response, "400 Bad Request", {"error": repr(e)})
    return _original_call(self, environ, start_response)

werkzeug_app.DomainDispatcherApplication.__call__ = _call

from moto.server import main
sys.exit(main(sys.argv[1:]))
`;

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The Python interpreter that runs moto_server: the script's shebang when it is
 * a real Python script, otherwise (e.g. a pyenv shim) `python3` from PATH.
 */
function pythonFor(motoServerPath: string): string {
  try {
    const fd = fs.openSync(motoServerPath, 'r');
    const buf = Buffer.alloc(256);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    const first = buf.subarray(0, n).toString('utf8').split('\n')[0];
    const m = /^#!\s*(\S*python[0-9.]*)\s*$/.exec(first);
    if (m && fs.existsSync(m[1])) {
      return m[1];
    }
  } catch {
    // fall through
  }
  return 'python3';
}

/** A port on 127.0.0.1 nothing listens on right now (for a server started a moment later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(err => (err ? reject(err) : resolve(port)));
    });
  });
}

function isListening(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function readTail(file: string | undefined, maxBytes = 4000): string {
  if (!file) return '(output discarded; pass logFile to capture it)';
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.length > maxBytes ? `…${text.slice(-maxBytes)}` : text;
  } catch {
    return '(log file not readable)';
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** A moto server (S3 and every other moto service) on 127.0.0.1, for tests and the local sandbox. */
export class S3Sandbox {
  /** Base URL of the server, e.g. `http://127.0.0.1:54321`. */
  readonly endpoint: string;
  /** Region clients should use. */
  readonly region = 'us-east-1';
  /** Static credentials; moto accepts any. */
  readonly credentials = {
    accessKeyId: 'sandbox',
    secretAccessKey: 'sandbox-secret',
  };
  /** Port the server listens on. */
  readonly port: number;

  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #stopping: Promise<void> | undefined;

  private constructor(
    port: number,
    child: ChildProcess,
    exited: Promise<void>,
  ) {
    this.port = port;
    this.endpoint = `http://${HOST}:${port}`;
    this.#child = child;
    this.#exited = exited;
  }

  /** Starts moto in server mode and resolves once it answers HTTP requests. */
  static async start(options: S3SandboxOptions = {}): Promise<S3Sandbox> {
    const motoServer = findOnPath(MOTO_COMMAND);
    if (!motoServer) {
      throw new Error(
        `S3Sandbox: '${MOTO_COMMAND}' was not found on PATH; ${INSTALL_HINT}`,
      );
    }
    if (
      options.port !== undefined &&
      !(
        Number.isInteger(options.port) &&
        options.port > 0 &&
        options.port < 65536
      )
    ) {
      throw new Error(`S3Sandbox: invalid port ${options.port}`);
    }
    if (options.port !== undefined && (await isListening(options.port))) {
      throw new Error(
        `S3Sandbox: port ${options.port} on ${HOST} is already in use`,
      );
    }
    const port = options.port ?? (await freePort());
    const python = pythonFor(motoServer);
    const args = ['-H', HOST, '-p', String(port)];
    const commandLine = `${MOTO_COMMAND} ${args.join(
      ' ',
    )} (via ${python} -c <launcher>)`;

    let logFd: number | undefined;
    if (options.logFile) {
      fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
      logFd = fs.openSync(options.logFile, 'a');
    }
    const child = spawn(python, ['-c', LAUNCHER, ...args], {
      detached: true,
      stdio: ['ignore', logFd ?? 'ignore', logFd ?? 'ignore'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    if (logFd !== undefined) fs.closeSync(logFd);

    let exitInfo: string | undefined;
    let spawnError: Error | undefined;
    const exited = new Promise<void>(resolve => {
      child.once('exit', (code, signal) => {
        exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
        resolve();
      });
      child.once('error', err => {
        spawnError = err;
        exitInfo = `spawn error: ${err.message}`;
        resolve();
      });
    });
    // the server runs in its own process group, so make sure it does not
    // outlive this process when stop() is never called (crash, process.exit)
    const killOnExit = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    process.once('exit', killOnExit);
    exited.then(() => process.removeListener('exit', killOnExit));
    const sandbox = new S3Sandbox(port, child, exited);

    const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
    for (;;) {
      if (exitInfo) {
        const hint =
          (spawnError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
            ? `; ${INSTALL_HINT}`
            : '';
        throw new Error(
          `S3Sandbox: '${commandLine}' exited before it was ready (${exitInfo})${hint}. Log tail:\n${readTail(
            options.logFile,
          )}`,
        );
      }
      try {
        const res = await fetch(`${sandbox.endpoint}/moto-api/data.json`, {
          signal: AbortSignal.timeout(1000),
        });
        await res.arrayBuffer();
        if (res.ok) return sandbox;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await sandbox.stop();
        throw new Error(
          `S3Sandbox: '${commandLine}' did not answer on ${
            sandbox.endpoint
          } within ${
            options.startTimeoutMs ?? 20_000
          } ms. Log tail:\n${readTail(options.logFile)}`,
        );
      }
      await sleep(100);
    }
  }

  /** Configuration for `new S3Client(...)` from `@aws-sdk/client-s3`. */
  clientConfig(): S3ClientConfig {
    return {
      endpoint: this.endpoint,
      region: this.region,
      forcePathStyle: true,
      credentials: { ...this.credentials },
    };
  }

  /** Clears all moto state (buckets, objects, everything). */
  async reset(): Promise<void> {
    const res = await fetch(`${this.endpoint}/moto-api/reset`, {
      method: 'POST',
    });
    await res.arrayBuffer();
    if (!res.ok) {
      throw new Error(`S3Sandbox: reset failed with HTTP ${res.status}`);
    }
  }

  /** Back-dates an existing object's LastModified (latest version unless versionId is given). */
  async setLastModified(
    bucket: string,
    key: string,
    lastModified: Date,
    versionId?: string,
  ): Promise<void> {
    await setObjectLastModified(this.endpoint, {
      bucket,
      key,
      lastModified,
      versionId,
    });
  }

  /** Stops the server (SIGTERM to its process group, SIGKILL after 3 s); safe to call twice. */
  async stop(): Promise<void> {
    this.#stopping ??= this.#kill();
    return this.#stopping;
  }

  async #kill(): Promise<void> {
    const pid = this.#child.pid;
    if (pid === undefined || this.#child.exitCode !== null) {
      return;
    }
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    };
    signalGroup('SIGTERM');
    const killed = await Promise.race([
      this.#exited.then(() => true),
      sleep(3000).then(() => false),
    ]);
    if (!killed) {
      signalGroup('SIGKILL');
      await this.#exited;
    }
  }
}

/** Back-dates an object on a server started by {@link S3Sandbox} (uses its `/sandbox-api/s3/last-modified` endpoint). */
export async function setObjectLastModified(
  endpoint: string,
  target: {
    bucket: string;
    key: string;
    lastModified: Date;
    versionId?: string;
  },
): Promise<void> {
  const res = await fetch(`${endpoint}/sandbox-api/s3/last-modified`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      bucket: target.bucket,
      key: target.key,
      versionId: target.versionId,
      lastModified: target.lastModified.toISOString(),
    }),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(
      `S3Sandbox: could not back-date s3://${target.bucket}/${target.key}: HTTP ${res.status} ${text}`,
    );
  }
}

/**
 * Puts many objects into an existing bucket of a server started by {@link S3Sandbox} in few
 * requests (its `/sandbox-api/s3/objects` endpoint, 2,000 objects a request): for seeding large
 * histories. Each object is stored as a PutObject would store it (ETag, size, the bucket's default
 * encryption), back-dated when `lastModified` is given.
 */
export async function putObjectsInBulk(
  endpoint: string,
  bucket: string,
  objects: { key: string; body: string | Uint8Array; lastModified?: Date }[],
): Promise<void> {
  for (let start = 0; start < objects.length; start += BULK_OBJECTS) {
    const chunk = objects.slice(start, start + BULK_OBJECTS).map(object => ({
      key: object.key,
      bodyBase64: Buffer.from(object.body).toString('base64'),
      lastModified: object.lastModified?.toISOString(),
    }));
    const res = await fetch(`${endpoint}/sandbox-api/s3/objects`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ bucket, objects: chunk }),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(
        `S3Sandbox: could not put ${chunk.length} objects into s3://${bucket}: HTTP ${res.status} ${text}`,
      );
    }
  }
}
