/**
 * A scripted HTTP server for protocol edge cases of the 1C client that a faithful 1C sandbox
 * does not produce (a proxy's HTML page, `Retry-After`, a 200 carrying 1C's error, a body cut
 * mid-way). Each request is answered by the next script step; requests are recorded.
 * Listens on 127.0.0.1 with port 0; `close()` in `after()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export type StubStep = (req: StubRequest, res: http.ServerResponse) => void;

export interface OneCStub {
  readonly baseUrl: string;
  readonly requests: StubRequest[];
  /** Queues steps; when the queue is empty the fallback answers (404 by default). */
  script(...steps: StubStep[]): void;
  fallback(step: StubStep): void;
  reset(): void;
  close(): Promise<void>;
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): StubStep => (_req, res) => {
  res.writeHead(status, { 'Content-Type': 'application/json;charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
};

export const text = (status: number, contentType: string, body: string, headers: Record<string, string> = {}): StubStep => (_req, res) => {
  res.writeHead(status, { 'Content-Type': contentType, ...headers });
  res.end(body);
};

/** Drops the connection without answering. */
export const drop: StubStep = (_req, res) => {
  res.socket?.destroy();
};

/** Never answers (until the client gives up). */
export const hang: StubStep = () => {};

export async function startOneCStub(): Promise<OneCStub> {
  const requests: StubRequest[] = [];
  let queue: StubStep[] = [];
  let fallbackStep: StubStep = json(404, { 'odata.error': { code: '9', message: { lang: 'ru', value: 'stub: nothing scripted' } } });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      (queue.shift() ?? fallbackStep)(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/trade/odata/standard.odata/`,
    requests,
    script: (...steps) => { queue.push(...steps); },
    fallback: (step) => { fallbackStep = step; },
    reset: () => { queue = []; requests.length = 0; },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A clock whose sleeps return at once and are recorded; time moves only when told. */
export function fakeClock(start = 1_000_000): { now(): number; sleep(ms: number): Promise<void>; random(): number; sleeps: number[]; advance(ms: number): void } {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => { sleeps.push(ms); t += ms; },
    random: () => 0.5,
    sleeps,
    advance: (ms: number) => { t += ms; },
  };
}
