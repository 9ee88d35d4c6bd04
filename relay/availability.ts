/**
 * Whether the cluster can take work. When a submission fails because SSH or
 * the SLURM controller is unreachable (maintenance, a network outage), the
 * relay stops receiving and probes the cluster with back-off instead: the
 * messages wait in the queue, their receive counts untouched, rather than
 * being received, failed and pushed toward the dead-letter queue again and
 * again while nothing can succeed.
 */
import { backoffMs } from "./backoff.js";
import type { Logger } from "./logger.js";
import { targetName, type SshTarget } from "./routes.js";

/** Answers whether a target takes work now; never throws. */
export type Probe = (target: SshTarget) => Promise<boolean>;

/** Waits `ms`, or less if `signal` aborts; never rejects. */
export type Delay = (ms: number, signal: AbortSignal) => Promise<void>;

const PROBE_BASE_MS = 1000;
const PROBE_CAP_MS = 60_000;

// sbatch's words when the controller, not the job, is the problem.
const CONTROLLER_DOWN =
  /Unable to contact slurm controller|Slurm temporarily unavailable|Socket timed out on send\/recv|Connection refused.*slurmctld|Zero Bytes were transmitted/i;

/** Whether a failed submission's output says the controller is down. */
export function controllerUnreachable(output: string): boolean {
  return CONTROLLER_DOWN.test(output);
}

/** The cluster targets known to be down, and the wait for their return. */
export class Availability {
  private readonly down = new Map<string, SshTarget>();
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** Whether any target is known to be down. */
  get degraded(): boolean {
    return this.down.size > 0;
  }

  /** Records that a target could not take work. */
  markDown(target: SshTarget, why: string): void {
    if (!this.down.has(targetName(target))) {
      this.logger.warn(
        {
          event: "cluster_unavailable",
          ssh_target: targetName(target),
          error: why,
        },
        "the cluster cannot take work; pausing until it answers",
      );
    }
    this.down.set(targetName(target), target);
  }

  /** Records that a target took work. */
  markUp(target: SshTarget): void {
    this.down.delete(targetName(target));
  }

  /**
   * Probes every down target with back-off until all answer or `signal`
   * aborts.
   */
  async waitUntilUp(
    probe: Probe,
    delay: Delay,
    signal: AbortSignal,
    random: () => number = Math.random,
  ): Promise<void> {
    let attempt = 0;
    // A function, so the check is read afresh after each await.
    const stopped = (): boolean => signal.aborted;

    while (this.down.size > 0 && !stopped()) {
      attempt += 1;
      await delay(
        backoffMs(attempt, PROBE_BASE_MS, PROBE_CAP_MS, random),
        signal,
      );
      if (stopped()) {
        return;
      }

      for (const [key, target] of [...this.down]) {
        if (await probe(target)) {
          this.down.delete(key);
          this.logger.info(
            { event: "cluster_available", ssh_target: key, attempts: attempt },
            "the cluster answers again; resuming",
          );
        }
      }
    }
  }
}
