/**
 * The physical floor the relay is measured against: `sbatch --parsable` run
 * over an SSH connection that is already open, with nothing around it (no
 * queue, no checks, no ledger, no bootstrap). The same session can also
 * send the relay's own remote command, to tell the cluster side's share of
 * the relay's time from the queue's.
 */
import { readFileSync } from "node:fs";

import { findJobId } from "../relay/job-command.js";
import { SshSession } from "../relay/ssh-session.js";
import { knownHostsPolicy, stack } from "../test/support/stack.js";
import type { BenchJob } from "./job.js";
import { bareSbatch, type RemoteCall } from "./relay-command.js";

const DEADLINE_MS = 60_000;

/** One open SSH session that submits a job per call. */
export class SbatchFloor {
  private readonly session: SshSession;
  private readonly job: BenchJob;

  private constructor(session: SshSession, job: BenchJob) {
    this.session = session;
    this.job = job;
  }

  /**
   * Connects, then submits once so that the first measured call finds the
   * connection and sshd warm.
   * @param channels - commands open at once on the connection
   */
  static async open(job: BenchJob, channels: number): Promise<SbatchFloor> {
    const s = stack();
    const session = new SshSession({
      host: s.sshHost,
      port: s.sshPort,
      username: s.sshUser,
      privateKey: readFileSync(s.sshKeyPath),
      hostKey: knownHostsPolicy(s.knownHostsPath),
      maxChannels: channels,
    });
    const floor = new SbatchFloor(session, job);
    try {
      await session.connect();
      await floor.submit();
    } catch (error) {
      await session.close();
      throw error;
    }
    return floor;
  }

  /**
   * Submits one job.
   * @param build - the command to send for the job; bare sbatch by default
   * @returns its SLURM job id
   * @throws when sbatch fails or prints no job id
   */
  async submit(
    build: (job: BenchJob) => RemoteCall = bareSbatch,
  ): Promise<string> {
    const call = build(this.job);
    const result = await this.session.run(call.command, call.stdin, {
      deadlineMs: DEADLINE_MS,
    });
    const jobId = findJobId(result.stdout);
    if (result.exitCode !== 0 || jobId === undefined) {
      throw new Error(
        `floor sbatch failed (exit ${String(result.exitCode)}): ${result.stdout}${result.stderr}`,
      );
    }
    return jobId;
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.session.close();
  }
}
