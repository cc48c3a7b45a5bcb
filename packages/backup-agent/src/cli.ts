import {
  AgentError,
  ExitCode,
  failed,
  refused,
  toAgentError,
} from './AgentError';
import { AgentLog, LineSink, createAgentLog } from './AgentLog';
import {
  AGENT_COMMANDS,
  AgentCommand,
  Environment,
  readAgentConfig,
} from './config';
import { restoreFromS3 } from './restoreFromS3';
import { runBackup } from './runBackup';
import { createS3Client } from './s3Access';
import { writeTerminationMessage } from './terminationMessage';
import { formatTerminationMessage, verifyDatabase } from './verifyDatabase';

/** Where the CLI writes and which signals it listens to; tests pass their own. */
export interface AgentIo {
  stdout: LineSink;
  stderr: LineSink;
  /** Registers a handler for SIGTERM/SIGINT; returns its removal. */
  onSignal(handler: (signal: NodeJS.Signals) => void): () => void;
}

const processIo: AgentIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  onSignal(handler) {
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
    return () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    };
  },
};

const SECRET_VARIABLES = [
  'PGPASSWORD',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];

const USAGE = `usage: backup-agent <${AGENT_COMMANDS.join(
  ' | ',
)}> (configured by environment variables; see README.md)`;

/** What each command does, for `--help`. */
const COMMAND_SUMMARIES: Record<AgentCommand, string> = {
  backup:
    'dump the database to S3 with its manifest (size, SHA-256, row counts)',
  checkpoint: 'CHECKPOINT, switch the WAL, and dump to the checkpoint prefix',
  restore: 'restore a backup from S3 into a staging database, then swap it in',
  verify:
    'compare a database with a backup manifest: tables, exact row counts, Flyway version',
};

/** `--help` and `<command> --help`, in the commander layout the API report tooling reads. */
export function helpText(command?: AgentCommand): string {
  if (command)
    return [
      `Usage: pg-backup-agent ${command}`,
      '',
      COMMAND_SUMMARIES[command],
      'Configured by environment variables; see the README.',
      '',
    ].join('\n');
  const width = Math.max(...AGENT_COMMANDS.map(c => c.length)) + 2;
  return [
    'Usage: pg-backup-agent <command>',
    '',
    'Commands:',
    ...AGENT_COMMANDS.map(c => `  ${c.padEnd(width)}${COMMAND_SUMMARIES[c]}`),
    '',
  ].join('\n');
}

function isCommand(value: string | undefined): value is AgentCommand {
  return (AGENT_COMMANDS as readonly string[]).includes(value ?? '');
}

/**
 * Runs one agent command and returns its exit code: 0 done, 1 an operation or check failed,
 * 2 refused because of bad input. Never throws; prints one clear `error:` line on failure.
 */
export async function runAgent(
  argv: string[],
  env: Environment,
  io: AgentIo = processIo,
): Promise<number> {
  // until the configuration is read, redact the secrets given directly in the environment
  let log: AgentLog = createAgentLog(
    SECRET_VARIABLES.map(name => env[name]).filter((v): v is string => !!v),
    io.stdout,
    io.stderr,
  );
  const [command, ...rest] = argv;
  const asksHelp = (arg: string | undefined) =>
    arg === '--help' || arg === '-h';
  if (asksHelp(command) && rest.length === 0) {
    io.stdout.write(helpText());
    return ExitCode.Ok;
  }
  if (isCommand(command) && asksHelp(rest[0]) && rest.length === 1) {
    io.stdout.write(helpText(command));
    return ExitCode.Ok;
  }
  if (!isCommand(command) || rest.length > 0) {
    log.error(
      command === undefined
        ? `no command given; ${USAGE}`
        : `unknown command "${argv.join(' ')}"; ${USAGE}`,
    );
    return ExitCode.Refused;
  }

  const controller = new AbortController();
  const removeSignalHandler = io.onSignal(signal => {
    if (controller.signal.aborted) return;
    log.error(`${command}: received ${signal}, stopping`);
    controller.abort(
      failed(`${command} interrupted by ${signal}; nothing was completed`),
    );
  });
  let terminationPath = env.TERMINATION_MESSAGE_PATH || '/dev/termination-log';
  try {
    const config = readAgentConfig(command, env);
    terminationPath = config.terminationMessagePath;
    log = createAgentLog(config.secrets, io.stdout, io.stderr);
    const s3Client = createS3Client(config.s3);
    const context = { s3Client, log, signal: controller.signal };
    try {
      switch (command) {
        case 'backup':
        case 'checkpoint': {
          const manifest = await runBackup(config, command, context);
          writeTerminationMessage(
            terminationPath,
            JSON.stringify({
              key: manifest.key,
              sizeBytes: manifest.sizeBytes,
              sha256: manifest.sha256,
              durationMs: manifest.durationMs,
            }),
          );
          return ExitCode.Ok;
        }
        case 'restore': {
          const result = await restoreFromS3(config, context);
          writeTerminationMessage(
            terminationPath,
            JSON.stringify({
              key: result.key,
              targetDatabase: result.targetDatabase,
              overwritten: result.overwritten,
              durationMs: result.durationMs,
              sizeBytes: result.sizeBytes,
              sha256: result.sha256,
              adopted: result.manifest === undefined,
            }),
          );
          return ExitCode.Ok;
        }
        case 'verify': {
          const report = await verifyDatabase(config, context);
          log.info(
            `verify: ${report.passed ? 'PASSED' : 'FAILED'}: ${
              report.checks.filter(c => !c.passed).length
            } of ${report.checks.length} checks failed`,
          );
          log.info(JSON.stringify(report));
          writeTerminationMessage(
            terminationPath,
            formatTerminationMessage(report),
          );
          return report.passed ? ExitCode.Ok : ExitCode.Failed;
        }
        default:
          throw refused(USAGE);
      }
    } finally {
      s3Client.destroy();
    }
  } catch (e) {
    const error: AgentError = controller.signal.aborted
      ? (controller.signal.reason as AgentError)
      : toAgentError(e, command);
    log.error(error.message);
    writeTerminationMessage(
      terminationPath,
      `${command} failed: ${error.message}`,
    );
    return error.exitCode;
  } finally {
    removeSignalHandler();
  }
}

if (require.main === module) {
  runAgent(process.argv.slice(2), process.env).then(code => {
    process.exit(code);
  });
}
