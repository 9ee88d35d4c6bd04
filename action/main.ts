/**
 * The action's entry point (dist/index.js once bundled): run the publish
 * flow and turn any error into a failed step.
 */
import { publish } from "./publish.js";
import { error } from "./workflow-commands.js";

try {
  await publish(process.env);
} catch (failure) {
  error(failure instanceof Error ? failure.message : String(failure));
  process.exitCode = 1;
}
