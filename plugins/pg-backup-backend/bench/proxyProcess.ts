/* eslint-disable no-console */
// A latency proxy of the fleet benchmark in its own process, so that neither the proxying nor a
// generated S3 shares the backend's event loop (bench/fleetBenchmark.ts measures the backend's
// process). Configured by BENCH_PROXY (JSON of ProxyProcessOptions); reports its URL, and its
// counts when asked, over the IPC channel.
import { GeneratedS3 } from '@internal/sandbox';
import { BenchLayout, generatedHistories } from './benchHistories';
import { LatencyProxy } from './LatencyProxy';

/** What a proxy process forwards to, how, and how it names the calls it counts. */
export interface ProxyProcessOptions {
  target: string;
  delayMs: number;
  labels: 'kubernetes' | 's3';
  /** CA of an HTTPS target, and the key and certificate to serve HTTPS with. */
  ca?: string;
  tls?: { key: string; cert: string };
  replayGets?: boolean;
  /** Answer these histories from their rule (a GeneratedS3 in front of the target). */
  generated?: BenchLayout;
}

/** A message of the benchmark to its proxy process. */
export type ProxyRequest = { type: 'reset' } | { type: 'stats' };

const LABELS = {
  kubernetes: (method: string, p: string) =>
    `${method} ${p
      .replace(/\?.*$/, '')
      .replace(/namespaces\/[^/]+/, 'namespaces/*')
      .replace(/(cronjobs|jobs|secrets|pods)\/.*$/, '$1/*')}`,
  s3: (method: string, p: string) => {
    const query = p.includes('?')
      ? p
          .slice(p.indexOf('?') + 1)
          .split('&')[0]
          .split('=')[0]
      : '';
    return `${method} ${query || 'object'}`;
  },
};

async function main() {
  const options: ProxyProcessOptions = JSON.parse(
    process.env.BENCH_PROXY ?? '',
  );
  const generated = options.generated
    ? new GeneratedS3(options.target, generatedHistories(options.generated))
    : undefined;
  const proxy = new LatencyProxy(
    generated ? await generated.start() : options.target,
    options.delayMs,
    LABELS[options.labels],
    options.ca,
    options.tls,
  );
  proxy.replayGets = options.replayGets ?? false;
  const url = await proxy.start();
  process.on('message', (message: ProxyRequest) => {
    if (message.type === 'reset') proxy.reset();
    process.send!({
      type: message.type,
      total: proxy.total(),
      counts: Object.fromEntries(proxy.counts),
      upstreamMs: proxy.upstreamMs,
    });
  });
  process.on('SIGTERM', async () => {
    await proxy.stop();
    await generated?.stop();
    process.exit(0);
  });
  process.send!({ type: 'started', url });
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
