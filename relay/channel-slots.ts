/**
 * A first-come, first-served limit on the channels open at once, so that a
 * burst of commands does not exceed the server's MaxSessions.
 */
export class ChannelSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  /** @throws Error when `size` is not a whole number of at least 1 */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(
        `maxChannels ${size} is not allowed (expected a whole number of at least 1)`,
      );
    }
    this.free = size;
  }

  /**
   * Waits for a free channel; the returned function gives it back. A wait
   * that is aborted leaves the queue, so its slot goes to the next caller.
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", leave);
        let released = false;
        resolve(() => {
          if (!released) {
            released = true;
            this.release();
          }
        });
      };
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(new Error("stopped while waiting for a channel"));
      };

      if (this.free > 0) {
        this.free -= 1;
        grant();
      } else {
        this.waiting.push(grant);
        signal.addEventListener("abort", leave, { once: true });
      }
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next === undefined) {
      this.free += 1;
    } else {
      next();
    }
  }
}
