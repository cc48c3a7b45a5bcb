import fs from 'node:fs';

/** Kubernetes reads at most this many bytes of a container's termination message. */
export const TERMINATION_MESSAGE_MAX_BYTES = 4096;

/**
 * Writes the termination message if the path is writable (it only exists inside a Kubernetes
 * container); anything else is silently skipped. Truncates to 4 KiB. Returns whether it wrote.
 */
export function writeTerminationMessage(
  file: string,
  message: string,
): boolean {
  const bytes = Buffer.from(message).subarray(0, TERMINATION_MESSAGE_MAX_BYTES);
  try {
    fs.writeFileSync(file, bytes);
    return true;
  } catch {
    return false;
  }
}
