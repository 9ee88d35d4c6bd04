/**
 * A description of the machine a benchmark ran on, for the results file:
 * absolute times mean little without it.
 */
import { execFileSync } from "node:child_process";
import { cpus, loadavg, release, totalmem, type } from "node:os";

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");
}

function slurmVersion(): string {
  try {
    return execFileSync("sbatch", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown SLURM";
  }
}

/** Where the run started: the machine and its load at that moment. */
export interface MachineStart {
  startedAt: Date;
  loadAtStart: string;
}

/** Notes the moment a run starts. */
export function machineStart(): MachineStart {
  return { startedAt: new Date(), loadAtStart: load() };
}

/**
 * Lines describing the machine and the run; load averages (1, 5 and 15
 * minutes) at the start and the end show whether it was busy meanwhile.
 */
export function describeMachine(start: MachineStart): string[] {
  const cores = cpus();
  const minutes = (Date.now() - start.startedAt.getTime()) / 60_000;
  return [
    `Run ${start.startedAt.toISOString().slice(0, 16)}Z, ${minutes.toFixed(1)} minutes`,
    `CPU: ${cores[0]?.model.trim() ?? "unknown"}, ${cores.length} cores`,
    `Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `Kernel: ${type()} ${release()}`,
    `Node ${process.version}, ${slurmVersion()}`,
    `Load average (1 / 5 / 15 min): ${start.loadAtStart} at the start, ${load()} at the end`,
  ];
}
