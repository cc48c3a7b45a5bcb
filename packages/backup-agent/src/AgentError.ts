/** Exit codes of the agent: 0 done, 1 an operation or check failed, 2 refused because of bad input. */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Refused: 2,
} as const;

/** An exit code other than success. */
export type FailureExitCode = typeof ExitCode.Failed | typeof ExitCode.Refused;

/** An error whose one-line message is shown to the operator as-is, with the exit code to use. */
export class AgentError extends Error {
  readonly exitCode: FailureExitCode;

  constructor(message: string, exitCode: FailureExitCode, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AgentError';
    this.exitCode = exitCode;
  }
}

/** A failed operation (exit 1). */
export function failed(message: string, cause?: unknown): AgentError {
  return new AgentError(message, ExitCode.Failed, cause);
}

/** A refusal because of bad input (exit 2). */
export function refused(message: string, cause?: unknown): AgentError {
  return new AgentError(message, ExitCode.Refused, cause);
}

/** The `code` of a Node.js system error or a PostgreSQL error, if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The first line of an error's message. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim() || (error as Error)?.name || 'error';
}

/**
 * Turns any error into an AgentError: AgentErrors pass through; local system errors that have a
 * well-known operator remedy (disk full, missing program) get a sentence; the rest fail with
 * their first line.
 */
export function toAgentError(error: unknown, doing: string): AgentError {
  if (error instanceof AgentError) return error;
  const code = errorCode(error);
  if (code === 'ENOSPC') {
    return failed(
      `${doing}: no space left on device (ENOSPC); free space or point RESTORE_WORK_DIR at a larger volume`,
      error,
    );
  }
  if (code === 'EACCES' || code === 'EROFS') {
    const path = (error as { path?: string }).path;
    return failed(
      `${doing}: permission denied${path ? ` on ${path}` : ''} (${code})`,
      error,
    );
  }
  return failed(`${doing}: ${firstLine(error)}`, error);
}
