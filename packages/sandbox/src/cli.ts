/* eslint-disable no-console */
import fs from 'fs';
import path from 'path';
import { Sandbox } from './Sandbox';

/**
 * `sandbox start [--port N] [--dir DIR]`: runs the sandbox cluster until SIGINT/SIGTERM and
 * writes `<dir>/kubeconfig` (admin token) for kubectl and the portal.
 */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'start') {
    console.error('usage: sandbox start [--port 6443] [--dir .sandbox]');
    process.exit(2);
  }
  const option = (name: string, fallback: string) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 && rest[i + 1] ? rest[i + 1] : fallback;
  };
  const port = Number(option('port', '6443'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(
      `--port "${option('port', '')}" is not a port number (0-65535)`,
    );
    process.exit(2);
  }
  const dir = path.resolve(option('dir', '.sandbox'));
  fs.mkdirSync(dir, { recursive: true });
  const sandbox = await Sandbox.start({
    port,
    rootDir: dir,
    namespaces: ['qawave', 'orders', 'analytics'],
  });
  const kubeconfig = sandbox.writeKubeconfig();
  console.log(
    `sandbox: Kubernetes API on ${sandbox.url}; kubeconfig ${kubeconfig}`,
  );
  const stop = async () => {
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch(error => {
  console.error(`sandbox: ${error.message}`);
  process.exit(1);
});
