/**
 * The results document: what each benchmark measured, as Markdown tables
 * with the method beside them, formatted as the repository's Prettier
 * check expects of a committed file.
 */
import { format } from "prettier";

import type { Summary } from "./stats.js";

/** One benchmark's part of the results. */
export interface Section {
  title: string;
  /** How it was measured, one paragraph. */
  method: string;
  header: string[];
  rows: string[][];
  /** What to read into the figures, one paragraph each. */
  notes: string[];
}

/** Everything one run of the benchmarks found. */
export interface Report {
  title: string;
  /** Lines describing the machine and the run. */
  machine: string[];
  /** The headline figures against the targets, when any were measured. */
  targets: Section | undefined;
  sections: Section[];
}

/** A Markdown table; Prettier aligns its columns afterwards. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(header),
    line(header.map(() => "---")),
    ...rows.map((row) => line(row)),
  ].join("\n");
}

/** A number with `digits` decimals, or "n/a" when there is none. */
export function fixed(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value)
    ? "n/a"
    : value.toFixed(digits);
}

/** "median (p10-p90)", the form every table gives a sample in. */
export function medianWithSpread(summary: Summary, digits = 0): string {
  return `${fixed(summary.median, digits)} (${fixed(summary.p10, digits)}-${fixed(summary.p90, digits)})`;
}

function sectionText(section: Section, level: string): string {
  return [
    `${level} ${section.title}`,
    section.method,
    markdownTable(section.header, section.rows),
    ...section.notes,
  ].join("\n\n");
}

/** The whole document, formatted. */
export async function renderReport(report: Report): Promise<string> {
  const parts = [
    `# ${report.title}`,
    report.machine.map((line) => `- ${line}`).join("\n"),
  ];
  if (report.targets !== undefined) {
    parts.push(sectionText(report.targets, "##"));
  }
  parts.push(...report.sections.map((s) => sectionText(s, "##")));
  return format(`${parts.join("\n\n")}\n`, { parser: "markdown" });
}
