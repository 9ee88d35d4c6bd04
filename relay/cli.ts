#!/usr/bin/env node
/**
 * bii-relay's entry point. It tunes V8 for a small, long-running daemon
 * before anything else loads: the relay waits on the network, and a smaller
 * young generation and code that favours size keep an idle relay's memory
 * down (measured in bench/results/benchmarks.md) at no cost it can notice.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--optimize-for-size");
setFlagsFromString("--max-semi-space-size=1");

await import("./command-line.js");
