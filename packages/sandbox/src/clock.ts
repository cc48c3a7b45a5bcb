/** Time source of the sandbox: real by default, manual in tests and demos. */
export interface Clock {
  /** The current time. */
  now(): Date;
}

/** The machine's clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told to; controllers run on every advance. */
export class ManualClock implements Clock {
  private current: number;
  private readonly listeners = new Set<() => void>();

  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }

  /** The current time. */
  now(): Date {
    return new Date(this.current);
  }

  /** Moves the clock forward and notifies listeners (the controllers). */
  advance(ms: number): void {
    this.current += ms;
    for (const listener of this.listeners) listener();
  }

  /** Sets the clock to a time (forward or back) and notifies listeners. */
  set(time: Date | string): void {
    this.current = new Date(time).getTime();
    for (const listener of this.listeners) listener();
  }

  /** Registers a function called after every change of time. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
