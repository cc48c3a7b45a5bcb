/** Where the agent writes its readable progress lines. */
export interface AgentLog {
  /** A progress line, on stdout. */
  info(line: string): void;
  /** A warning, on stderr. */
  warn(line: string): void;
  /** An error, on stderr. */
  error(line: string): void;
}

/** Replaces every occurrence of the given secret values in a text with `***`. */
export function redactSecrets(
  text: string,
  secrets: readonly string[],
): string {
  let result = text;
  for (const secret of secrets) {
    // very short values would redact ordinary words; such secrets are not worth the name anyway
    if (secret.length >= 4) result = result.split(secret).join('***');
  }
  return result;
}

/** Minimal writable sink, e.g. `process.stdout`. */
export interface LineSink {
  write(text: string): unknown;
}

/**
 * A log that writes lines to stdout/stderr and, as a last line of defence, redacts the secret
 * values it was given (passwords, AWS keys) from everything it prints.
 */
export function createAgentLog(
  secrets: readonly string[],
  out: LineSink = process.stdout,
  err: LineSink = process.stderr,
): AgentLog {
  const line = (sink: LineSink, prefix: string, text: string) =>
    sink.write(`${prefix}${redactSecrets(text, secrets)}\n`);
  return {
    info: text => line(out, '', text),
    warn: text => line(err, 'warning: ', text),
    error: text => line(err, 'error: ', text),
  };
}
