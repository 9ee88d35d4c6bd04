/**
 * A counting HTTP proxy on 127.0.0.1 in front of the SQS server: the relay
 * is pointed at it (AWS_ENDPOINT_URL_SQS) and it notes when each SQS action
 * was called, which is how an idle relay's request rate is measured.
 */
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** A running proxy; always close() it. */
export class SqsCounter {
  private readonly server: Server;
  private readonly target: URL;
  private readonly calls = new Map<string, number[]>();

  private constructor(target: URL) {
    this.target = target;
    this.server = createServer((req, res) => {
      this.forward(req, res);
    });
  }

  /**
   * Starts forwarding to `target` (the SQS server's endpoint URL).
   * @throws when it cannot listen
   */
  static async start(target: string): Promise<SqsCounter> {
    const counter = new SqsCounter(new URL(target));
    const server = counter.server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    return counter;
  }

  /** The endpoint URL to give the relay. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${String(port)}`;
  }

  /** When each call of this action arrived (ms since the epoch). */
  callsOf(action: string): number[] {
    return [...(this.calls.get(action) ?? [])];
  }

  /** When each call of any other action arrived. */
  callsExcept(action: string): number[] {
    return [...this.calls]
      .filter(([name]) => name !== action)
      .flatMap(([, times]) => times);
  }

  /** Stops listening and cuts open connections (long polls included). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
      this.server.closeAllConnections();
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    this.note(req);
    const upstream = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      res.writeHead(502).end(error.message);
    });
    req.pipe(upstream);
  }

  // The SDK's JSON protocol names the action in a header,
  // `X-Amz-Target: AmazonSQS.ReceiveMessage`.
  private note(req: IncomingMessage): void {
    const target = req.headers["x-amz-target"];
    const action =
      typeof target === "string" ? target.replace(/^AmazonSQS\./, "") : "other";
    const list = this.calls.get(action) ?? [];
    list.push(Date.now());
    this.calls.set(action, list);
  }
}
