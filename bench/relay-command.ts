/**
 * The remote command the relay sends for one event (the ledger around the
 * bootstrap around `timeout` and sbatch, with the job's environment on
 * stdin), built by the relay's own modules. Timed over an open connection
 * it shows how much of the relay's latency is spent on the cluster side.
 */
import { randomBytes } from "node:crypto";

import { jobEnvironment } from "../relay/job-command.js";
import { withLedger } from "../relay/ledger.js";
import {
  buildRemoteCommand,
  encodeEnvironment,
  shellQuote,
} from "../relay/remote-command.js";
import { jobMessage } from "../test/support/messages.js";
import { newSha } from "../test/support/publish.js";
import type { BenchJob } from "./job.js";

/** A command and its standard input, ready for SshSession.run(). */
export interface RemoteCall {
  command: string;
  stdin: Buffer;
}

// The relay's defaults: RELAY_JOB_TIMEOUT_SECONDS and RELAY_LEDGER_DIR.
const JOB_TIMEOUT_SECONDS = 60;
const LEDGER_DIR = ".bii-relay/submitted";

/** The plain sbatch command line, with nothing around it. */
export function bareSbatch(job: BenchJob): RemoteCall {
  return {
    command: job.sbatchArgv.map(shellQuote).join(" "),
    stdin: Buffer.alloc(0),
  };
}

/** What the relay would send for a new event submitting this job. */
export function relaySbatch(job: BenchJob): RemoteCall {
  const key = randomBytes(32).toString("hex");
  const message = jobMessage({ sha: newSha() });
  const command = withLedger(
    LEDGER_DIR,
    key,
    JOB_TIMEOUT_SECONDS + 60,
    buildRemoteCommand({
      argv: job.sbatchArgv,
      appendVersion: false,
      timeoutSeconds: JOB_TIMEOUT_SECONDS,
    }),
  );
  const env = jobEnvironment(message, "bench-message-id", key);
  return { command, stdin: encodeEnvironment(env) };
}
