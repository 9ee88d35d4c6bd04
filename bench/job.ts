/**
 * The trivial SLURM job every benchmark submits, under a job name of its
 * own, and the three ways of submitting it: a relay route in sbatch mode,
 * the same sbatch command line sent directly (the floor), and a submit
 * script in the original design's style.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { installJobFiles } from "../test/support/relay-env.js";
import { stack } from "../test/support/stack.js";

/** One job script installed in the cluster user's home. */
export interface BenchJob {
  jobName: string;
  /** A routes file sending every `uva-bii/*` event to sbatch. */
  routesFile: string;
  /** The sbatch command line the relay's route runs, for the floor. */
  sbatchArgv: string[];
  /** `bash submitScript VERSION` submits the job and prints its id. */
  submitScript: string;
}

// Submitted held, the job never runs: thousands of them would otherwise
// keep the one-node cluster's slurmd busy on the machine being measured,
// and the benchmarks time submission, not execution. It would write no
// output file either.
const JOB_SCRIPT =
  "#!/bin/bash\n#SBATCH --hold\n#SBATCH --output=/dev/null\ntrue\n";

/** Installs the job under a fresh name beginning with `prefix`. */
export function benchJob(prefix: string): BenchJob {
  const jobName = `${prefix}-${randomUUID().slice(0, 8)}`;
  const { partition } = stack();
  const sbatch = `sbatch --parsable --job-name=${jobName} --partition=${partition}`;
  const dir = installJobFiles({
    "job.slurm": JOB_SCRIPT,
    // The original script took the version as $1 and called sbatch itself.
    "submit.sh": `#!/bin/bash\ncd "$(dirname "$0")"\n${sbatch} job.slurm "$1"\n`,
  });
  const script = join(dir, "job.slurm");

  const routesFile = join(dir, "routes.yaml");
  writeFileSync(
    routesFile,
    `routes:
  - repository: uva-bii/*
    sbatch:
      script: ${script}
      job-name: ${jobName}
      partition: ${partition}
`,
  );
  return {
    jobName,
    routesFile,
    // As the relay's sbatch route builds it (relay/job-command.ts).
    sbatchArgv: [
      "sbatch",
      "--parsable",
      "--export=ALL",
      `--job-name=${jobName}`,
      `--partition=${partition}`,
      script,
    ],
    submitScript: join(dir, "submit.sh"),
  };
}

/**
 * Cancels every job of this name. The jobs are held (see JOB_SCRIPT), so
 * without this they would wait in the queue until the stack stops.
 */
export function cancelJobs(job: BenchJob): void {
  execFileSync("scancel", ["--name", job.jobName]);
}
