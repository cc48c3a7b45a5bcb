import { LoggerService } from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { JsonObject, JsonValue } from '@backstage/types';

/** One line a test logger received. */
export interface LoggedLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
}

/** A logger that keeps every line, for assertions on what the task log shows. */
export function recordingLogger(lines: LoggedLine[]): LoggerService {
  const logger: LoggerService = {
    error: message => void lines.push({ level: 'error', message }),
    warn: message => void lines.push({ level: 'warn', message }),
    info: message => void lines.push({ level: 'info', message }),
    debug: message => void lines.push({ level: 'debug', message }),
    child: () => logger,
  };
  return logger;
}

/** Options of {@link createMockActionContext}. */
export interface MockActionContextOptions<TInput extends JsonObject> {
  input: TInput;
  isDryRun?: boolean;
  signal?: AbortSignal;
  /** The initiator (default user:default/alice). */
  user?: string;
  taskId?: string;
  stepId?: string;
  /**
   * The task's stored checkpoints; pass the same map to a second run to play a retried or
   * resumed task, as the scaffolder does with the task state.
   */
  checkpoints?: Map<string, JsonValue>;
}

/**
 * A scaffolder action context as the task runner builds it, recording logs and outputs, with
 * checkpoints kept like the runner keeps them (a succeeded checkpoint is never run again).
 * The shape of `createMockActionContext` from `@backstage/plugin-scaffolder-node-test-utils`,
 * whose release-1.55 version (0.3.15) the package registry here does not serve.
 */
export function createMockActionContext<TInput extends JsonObject>(
  options: MockActionContextOptions<TInput>,
) {
  const logs: LoggedLine[] = [];
  const outputs: Record<string, unknown> = {};
  const checkpoints = options.checkpoints ?? new Map<string, JsonValue>();
  const checkpointRuns: string[] = [];
  const credentials = mockCredentials.user(
    options.user ?? 'user:default/alice',
  );
  const ctx: ActionContext<TInput, any> = {
    logger: recordingLogger(logs),
    input: options.input,
    workspacePath: '/tmp/pg-backup-action-test',
    async checkpoint(opts) {
      if (checkpoints.has(opts.key)) return checkpoints.get(opts.key) as any;
      checkpointRuns.push(opts.key);
      const value = await opts.fn();
      checkpoints.set(opts.key, (value ?? {}) as JsonValue);
      return value;
    },
    output(name, value) {
      outputs[name as string] = value;
    },
    createTemporaryDirectory: async () => '/tmp/pg-backup-action-test-tmp',
    getInitiatorCredentials: async () => credentials,
    task: { id: options.taskId ?? 'task-1' },
    step: { id: options.stepId ?? 'step-1', name: 'step' },
    isDryRun: options.isDryRun,
    signal: options.signal,
  };
  return {
    ctx,
    logs,
    outputs,
    checkpoints,
    /** Keys of the checkpoints whose function ran in this context. */
    checkpointRuns,
    /** The logged messages, one string per line. */
    text: () => logs.map(l => `${l.level}: ${l.message}`).join('\n'),
  };
}
