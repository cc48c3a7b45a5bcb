export interface Config {
  pgBackup?: {
    /** Settings of the pg-backup scaffolder actions. */
    scaffolder?: {
      /**
       * How many scaffolder tasks of one backend instance may wait for an approval at once
       * (pg-backup:approval:wait); more are refused. Each waiting task holds one of the
       * instance's `scaffolder.concurrentTasksLimit` worker slots, so keep it well below that
       * limit. Default 5.
       */
      maxWaitingApprovals?: number;
    };
  };
}
