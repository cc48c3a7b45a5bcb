import type { Client } from 'pg';
import { errorCode, firstLine } from './AgentError';
import type { AgentLog } from './AgentLog';

// insufficient_privilege, and object_not_in_prerequisite_state (a standby in recovery)
const TOLERATED = new Set(['42501', '55000']);

/**
 * Forces a CHECKPOINT and a WAL segment switch before a checkpoint dump, so that the server's
 * own WAL archive (if any) is flushed up to this point too. Returns the LSN of the switch, or
 * undefined when the user may not do this; that is logged as a warning and the dump goes on.
 */
export async function requestCheckpoint(
  client: Client,
  log: AgentLog,
): Promise<string | undefined> {
  try {
    await client.query('CHECKPOINT');
    log.info('checkpoint: CHECKPOINT done');
  } catch (e) {
    if (!TOLERATED.has(errorCode(e) ?? '')) throw e;
    log.warn(
      `checkpoint: CHECKPOINT not possible (${firstLine(
        e,
      )}); grant pg_checkpoint to the backup user to enable it; continuing with the dump`,
    );
  }
  try {
    const result = await client.query<{ lsn: string }>(
      'SELECT pg_switch_wal()::text AS lsn',
    );
    const lsn = result.rows[0].lsn;
    log.info(`checkpoint: switched WAL at LSN ${lsn}`);
    return lsn;
  } catch (e) {
    if (!TOLERATED.has(errorCode(e) ?? '')) throw e;
    log.warn(
      `checkpoint: pg_switch_wal() not possible (${firstLine(
        e,
      )}); grant EXECUTE on pg_switch_wal() to the backup user to enable it; continuing with the dump`,
    );
    return undefined;
  }
}
