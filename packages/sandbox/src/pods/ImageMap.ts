/** A host path made visible inside a container. */
export interface HostBind {
  /** Path on this machine. */
  host: string;
  /** Path inside the container. */
  container: string;
}

/** What an image stands for on this machine: the host's /usr plays the image's file system. */
export interface ImageRuntime {
  /** Image reference pattern: `postgres`, `postgres:15*`, `ghcr.io/x/agent:*` (`*` matches anything). */
  match: string;
  /** Extra host paths bound read-only (e.g. the project's Node for the backup agent image). */
  binds?: HostBind[];
  /** PATH inside the container. */
  path?: string;
  /** The image's ENTRYPOINT, used when a container sets no `command`. */
  entrypoint?: string[];
  /** The image's CMD, used when a container sets neither `command` nor `args`. */
  cmd?: string[];
  /** Extra environment the image defines. */
  env?: Record<string, string>;
}

/** Images the sandbox runs out of the box, all backed by the host's /usr. */
export const DEFAULT_IMAGES: ImageRuntime[] = [
  // The postgres image's entrypoint runs any command it is given that is not a server option.
  {
    match: 'postgres',
    path: '/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin',
  },
  {
    match: 'postgres:*',
    path: '/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin',
  },
  {
    match: 'docker.io/bitnami/postgresql:*',
    path: '/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin',
  },
  {
    match: 'bitnami/postgresql:*',
    path: '/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin',
  },
  { match: 'busybox*', cmd: ['sh'] },
  { match: 'alpine*', cmd: ['/bin/sh'] },
  { match: 'debian*', cmd: ['bash'] },
];

const DEFAULT_PATH =
  '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function toRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`,
  );
}

/** Resolves container images to host runtimes; an unknown image resolves to nothing. */
export class ImageMap {
  private readonly entries: Array<{ pattern: RegExp; runtime: ImageRuntime }>;

  constructor(images: ImageRuntime[] = DEFAULT_IMAGES) {
    this.entries = images.map(runtime => ({
      pattern: toRegExp(runtime.match),
      runtime,
    }));
  }

  /** The runtime for an image reference, or undefined when the sandbox does not know it. */
  resolve(image: string): (ImageRuntime & { path: string }) | undefined {
    const found = this.entries.find(e => e.pattern.test(image));
    return found
      ? { ...found.runtime, path: found.runtime.path ?? DEFAULT_PATH }
      : undefined;
  }

  /** The patterns, for error messages. */
  describe(): string {
    return this.entries.map(e => e.runtime.match).join(', ');
  }
}
