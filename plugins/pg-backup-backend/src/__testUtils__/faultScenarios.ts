import { Fault, FaultRule, seededRandom } from '@internal/sandbox';

/** The routes a scenario exercises. */
export type ScenarioRoute =
  | 'health'
  | 'fleet'
  | 'trigger'
  | 'restore'
  | 'drill'
  | 'emergency';

/** One randomized fault scenario: which route, which faults on which upstream, and when. */
export interface FaultScenario {
  index: number;
  route: ScenarioRoute;
  kubernetes: FaultRule[];
  s3: FaultRule[];
  /** The cluster disappears this long after the request starts (operations: after the start). */
  disappearAfterMs?: number;
  /** How long it stays away (it also comes back when the faults clear). */
  goneForMs: number;
  /** How long a started operation runs under the faults before they clear. */
  faultWindowMs: number;
}

/** Faults that keep a fact from being read (latency under the timeout and real pagination do not). */
export const HARMFUL: ReadonlyArray<string> = [
  'status',
  'forbidden',
  'hang',
  'reset',
  'truncate',
  'endless-pages',
  'disappeared',
];

/** The scenarios' seeded generator: the fault proxy's own mulberry32. */
export const seeded = seededRandom;

type Target = { method?: string; path?: RegExp; query?: RegExp };

const KUBERNETES_TARGETS: Target[] = [
  { method: 'GET', path: /\/cronjobs/ },
  { method: 'GET', path: /\/jobs(\/|$)/ },
  { method: 'POST', path: /\/jobs$/ },
  { method: 'GET', path: /\/secrets\// },
  { method: 'GET', path: /\/pods/ },
  { path: /\/deployments\/[^/]+\/scale$/ },
  { path: /./ },
];

const S3_TARGETS: Target[] = [
  { method: 'GET', query: /list-type=2/ },
  { method: 'GET', query: /^(encryption|lifecycle|logging|versioning)=?$/ },
  { method: 'HEAD' },
  { method: 'GET', path: /\.(dump|json)$/ },
  {},
];

/** Weighted route choice: reads are cheap, operations run real Jobs. */
const ROUTES: Array<[ScenarioRoute, number]> = [
  ['health', 47],
  ['fleet', 30],
  ['trigger', 16],
  ['restore', 2],
  ['drill', 2],
  ['emergency', 3],
];

const FAULT_KINDS: Fault['kind'][] = [
  'latency',
  'status',
  'forbidden',
  'hang',
  'reset',
  'paginate',
  'endless-pages',
  'truncate',
  'drop-stream',
];

/** Builds scenario `index` of a run from its generator. */
export function makeScenario(
  index: number,
  random: () => number,
): FaultScenario {
  const pickOf = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)];
  const total = ROUTES.reduce((sum, [, w]) => sum + w, 0);
  let roll = random() * total;
  let route: ScenarioRoute = 'health';
  for (const [r, w] of ROUTES) {
    roll -= w;
    if (roll < 0) {
      route = r;
      break;
    }
  }
  const fault = (flavor: 'kubernetes' | 's3'): Fault => {
    const kind = pickOf(FAULT_KINDS);
    switch (kind) {
      case 'latency':
        // Well under the suite's 1.5 s upstream timeout: slow, but answered.
        return { kind, ms: 20 + Math.floor(random() * 200) };
      case 'status':
        return { kind, status: pickOf([500, 502, 503] as const) };
      case 'paginate':
        return {
          kind,
          pageSize: flavor === 's3' ? 1 + Math.floor(random() * 3) : 1,
        };
      case 'drop-stream':
        return { kind, afterMs: Math.floor(random() * 200) };
      default:
        return { kind } as Fault;
    }
  };
  const rules = (flavor: 'kubernetes' | 's3'): FaultRule[] => {
    const count = Math.floor(random() * 3);
    return Array.from({ length: count }, () => ({
      ...pickOf(flavor === 's3' ? S3_TARGETS : KUBERNETES_TARGETS),
      fault: fault(flavor),
      ...(random() < 0.3 && { probability: 0.5 }),
      ...(random() < 0.3 && { times: 1 }),
    }));
  };
  const operation = ['restore', 'drill', 'emergency'].includes(route);
  const kubernetes = rules('kubernetes');
  const s3 = rules('s3');
  const disappears = random() < (operation ? 0.5 : 0.12);
  const disappearAfterMs = Math.floor(random() * (operation ? 800 : 100));
  // Emergencies may lose the cluster for longer than their scale-back's first retries.
  const goneForMs =
    300 + Math.floor(random() * (route === 'emergency' ? 6000 : 600));
  return {
    index,
    route,
    kubernetes,
    s3,
    ...(disappears && { disappearAfterMs }),
    goneForMs,
    faultWindowMs: 100 + Math.floor(random() * 500),
  };
}

/** One line describing a scenario, for failure messages and replays. */
export function describeScenario(s: FaultScenario): string {
  const rule = (r: FaultRule) =>
    `${r.method ?? '*'} ${r.path?.source ?? ''}${
      r.query ? `?${r.query.source}` : ''
    } → ${JSON.stringify(r.fault)}${
      r.probability ? ` p=${r.probability}` : ''
    }${r.times ? ` ×${r.times}` : ''}`;
  return `#${s.index} ${s.route}; k8s [${s.kubernetes
    .map(rule)
    .join('; ')}]; s3 [${s.s3.map(rule).join('; ')}]${
    s.disappearAfterMs !== undefined
      ? `; cluster disappears after ${s.disappearAfterMs} ms for ${s.goneForMs} ms`
      : ''
  }`;
}
