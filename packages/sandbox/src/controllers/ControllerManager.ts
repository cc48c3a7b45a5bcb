import { Clock, ManualClock } from '../clock';
import { ObjectStore } from '../store/ObjectStore';

/** A controller: brings objects one step closer to their desired state at a time. */
export interface Controller {
  reconcile(now: Date): void;
}

/**
 * Runs controllers after every store change (coalesced), on a real-time interval, and after every
 * move of a {@link ManualClock}. Reconciles are synchronous and idempotent, so a change made by
 * one controller simply triggers another pass.
 */
export class ControllerManager {
  private pending = false;
  private timer?: NodeJS.Timeout;
  private readonly stops: Array<() => void> = [];
  private passes = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly controllers: Controller[],
    private readonly onError: (error: unknown) => void = error =>
      console.error('sandbox controller error', error),
  ) {}

  /** Starts reacting to changes and time. */
  start(intervalMs = 1000): void {
    this.stops.push(this.store.subscribe(() => this.schedule()));
    if (this.clock instanceof ManualClock)
      this.stops.push(this.clock.onChange(() => this.runNow()));
    this.timer = setInterval(() => this.schedule(), intervalMs);
    this.timer.unref();
    this.schedule();
  }

  /** Stops reacting. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.stops.splice(0).forEach(stop => stop());
  }

  /** Runs every controller once, now. */
  runNow(): void {
    this.passes += 1;
    // Guard against a controller that changes something on every pass.
    if (this.passes > 10_000) return;
    const now = this.clock.now();
    for (const controller of this.controllers) {
      try {
        controller.reconcile(now);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.passes = 0;
      this.runNow();
    });
  }
}
