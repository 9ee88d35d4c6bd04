/**
 * The local stack's SQS-compatible server: fauxqs, bound to 127.0.0.1 only.
 *
 * fauxqs's own CLI and startFauxqs() listen on every interface, so the stack
 * builds the app itself and chooses the address. Its queue URLs take the
 * form `http://sqs.REGION.localhost:PORT/ACCOUNT/NAME`, which does not
 * resolve: clients pass the endpoint explicitly, as they would for any
 * SQS-compatible server.
 */
import { parseArgs } from "node:util";

import { buildApp } from "fauxqs";

const { values } = parseArgs({
  options: { port: { type: "string", default: "9324" } },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  throw new Error(
    `--port '${values.port}' is not a TCP port (expected 1-65535)`,
  );
}

const app = buildApp({ logger: false });
await app.listen({ host: "127.0.0.1", port });
console.log(`sqs server listening on http://127.0.0.1:${port}`);

const stop = (): void => {
  void app.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
