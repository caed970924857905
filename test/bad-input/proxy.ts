/**
 * A scripted proxy in front of a sandbox: requests go through to the sandbox unless a rule
 * answers them instead (a proxy's HTML error page, 1C's error of some code, a malformed or
 * re-encoded body) or rewrites the sandbox's real answer (a field set to a hostile value). So a
 * test puts one hostile answer in the middle of an otherwise real exchange. 127.0.0.1, port 0;
 * `close()` in `after()`. Steps (`json`, `text`, `drop`, `hang`) come from `#test/onec-stub`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StubRequest, StubStep } from '#test/onec-stub';

export interface ProxiedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Rule {
  /** Which requests (method, decoded path, path and query as sent, the body) */
  readonly match: (req: { method: string; path: string; url: string; body: string }) => boolean;
  /** How many requests it takes (default: every matching one) */
  times?: number;
  /** Answer instead of the sandbox */
  readonly answer?: StubStep;
  /** Let the sandbox answer, then change its answer */
  readonly rewrite?: (answer: ProxiedAnswer) => ProxiedAnswer;
}

export interface ScriptedProxy {
  /** The proxy's URL with the target's path prefix (e.g. the 1C service root) */
  readonly baseUrl: string;
  readonly requests: { method: string; path: string; answeredBy: 'sandbox' | 'rule' }[];
  /** Adds a rule (first match wins); answers a handle to remove it */
  rule(rule: Rule): () => void;
  clear(): void;
  close(): Promise<void>;
}

/** `target` is the sandbox's base URL; the proxy keeps its path. */
export async function startProxy(target: string): Promise<ScriptedProxy> {
  const targetUrl = new URL(target);
  const rules: Rule[] = [];
  const requests: ScriptedProxy['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const url = req.url ?? '/';
        const method = req.method ?? 'GET';
        let path = url.split('?')[0]!;
        try {
          path = decodeURIComponent(path);
        } catch {
          /* keep it raw */
        }
        const rule = rules.find((r) => (r.times === undefined || r.times > 0) && r.match({ method, path, url, body: body.toString('utf8') }));
        if (rule && rule.times !== undefined) rule.times -= 1;
        requests.push({ method, path, answeredBy: rule?.answer ? 'rule' : 'sandbox' });
        if (rule?.answer) {
          const recorded: StubRequest = { method, url, headers: req.headers, body: body.toString('utf8') };
          rule.answer(recorded, res);
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'host' && k !== 'content-length' && k !== 'connection') headers[k] = Array.isArray(v) ? v.join(', ') : v;
        const upstream = await fetch(new URL(url, targetUrl.origin), { method, headers, ...(body.length ? { body } : {}) });
        let answer: ProxiedAnswer = { status: upstream.status, headers: {}, body: Buffer.from(await upstream.arrayBuffer()) };
        upstream.headers.forEach((v, k) => {
          if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'keep-alive' && k !== 'location') answer.headers[k] = v;
        });
        if (rule?.rewrite) answer = rule.rewrite(answer);
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
        res.end(answer.body);
      })().catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(599, { 'content-type': 'text/plain' });
        res.end(`proxy failed: ${String(error)}`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${targetUrl.pathname}`,
    requests,
    rule(rule) {
      rules.push(rule);
      return () => {
        const i = rules.indexOf(rule);
        if (i >= 0) rules.splice(i, 1);
      };
    },
    clear() {
      rules.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The sandbox's JSON answer with `edit` applied to the parsed body. */
export function editJson(edit: (body: any) => unknown): (answer: ProxiedAnswer) => ProxiedAnswer {
  return (answer) => ({ ...answer, body: Buffer.from(JSON.stringify(edit(JSON.parse(answer.body.toString('utf8')))), 'utf8') });
}

/** An nginx-style HTML error page, as a proxy in front of the service answers when it is down. */
export function htmlPage(status: number, title: string): StubStep {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/html' });
    res.end(`<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n`);
  };
}
