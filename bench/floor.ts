/**
 * The physical floor the relay is measured against: `sbatch --parsable` run
 * over an SSH connection that is already open, with nothing around it (no
 * queue, no checks, no ledger, no bootstrap). The same connection can also
 * send the relay's own remote command, to tell the cluster side's share of
 * the relay's time from the queue's.
 */
import type { Client } from "ssh2";

import {
  connect,
  knownHostsPolicy,
  sshConfig,
  stack,
} from "../test/support/stack.js";
import type { BenchJob } from "./job.js";
import { bareSbatch, type RemoteCall } from "./relay-command.js";

/** How the floor's connection is set up. */
export interface FloorOptions {
  /**
   * Send each packet at once (TCP_NODELAY). ssh2 leaves Nagle's algorithm
   * on, and with it a small request can wait for the peer's delayed ACK;
   * the floor proper turns it off.
   */
  noDelay: boolean;
}

const DEADLINE_MS = 60_000;

// `sbatch --parsable` prints ID or ID;CLUSTER on a line of its own; the
// relay's command may print more lines around it.
function parsableJobId(stdout: string): string | undefined {
  return /^(\d+)(?:;[\w.-]+)?\s*$/m.exec(stdout)?.[1];
}

/**
 * Runs a command on a new channel. Like the relay, it writes stdin and
 * leaves the channel's input open: the relay's command reads to a marker.
 */
function execute(client: Client, call: RemoteCall): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`floor command ran over ${DEADLINE_MS} ms`));
    }, DEADLINE_MS);
    client.exec(call.command, (error, channel) => {
      if (error !== undefined) {
        clearTimeout(timer);
        reject(error);
        return;
      }
      let out = "";
      channel.on("data", (d: Buffer) => (out += d.toString()));
      channel.stderr.on("data", (d: Buffer) => (out += d.toString()));
      channel.on("close", (code: number | null) => {
        clearTimeout(timer);
        const jobId = parsableJobId(out);
        if (code === 0 && jobId !== undefined) {
          resolve(jobId);
        } else {
          reject(
            new Error(`floor sbatch failed (exit ${String(code)}): ${out}`),
          );
        }
      });
      if (call.stdin.length > 0) {
        channel.write(call.stdin);
      }
    });
  });
}

/** One open SSH connection that submits a job per call. */
export class SbatchFloor {
  private readonly client: Client;
  private readonly job: BenchJob;

  private constructor(client: Client, job: BenchJob) {
    this.client = client;
    this.job = job;
  }

  /**
   * Connects, verifying the stack's host key, then submits once so that
   * the first measured call finds the connection and sshd warm.
   */
  static async open(
    job: BenchJob,
    options: FloorOptions,
  ): Promise<SbatchFloor> {
    const client = await connect(
      sshConfig(knownHostsPolicy(stack().knownHostsPath)),
    );
    client.setNoDelay(options.noDelay);
    const floor = new SbatchFloor(client, job);
    try {
      await floor.submit();
    } catch (error) {
      client.end();
      throw error;
    }
    return floor;
  }

  /**
   * Submits one job.
   * @param build - the command to send for the job; bare sbatch by default
   * @returns its SLURM job id
   * @throws when the command fails or prints no job id
   */
  submit(build: (job: BenchJob) => RemoteCall = bareSbatch): Promise<string> {
    return execute(this.client, build(this.job));
  }

  /** Closes the connection. */
  close(): void {
    this.client.end();
  }
}
