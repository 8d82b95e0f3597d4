import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real HTTP server standing in for the web and for the seed's spider API. GET /<path>
 * serves a page directly; POST /spider with `url=<any url>` serves the page named by that
 * URL's path, the way the spider API answers with a page's HTML.
 *
 * Pages: /article/<id> (HTML), /slow (answers after 10 s), /flaky/<key> (503 twice, then
 * HTML), /missing (404), /huge (20 MB of HTML), /toggle/<key> (404 until `fixToggle(key)`),
 * /pdf (not HTML), /gbk (a GBK-encoded page), /redirect/<n> (n redirects, then an article),
 * /empty (HTML without text), /delay/<ms>/<id> (an article after <ms> ms).
 */
export interface SpiderServer {
  url: string;
  spiderUrl: string;
  hits: Map<string, number>;
  fixToggle(key: string): void;
  close(): Promise<void>;
}

export const HUGE_PAGE_BYTES = 20 * 1024 * 1024;

export function articleHtml(id: string): string {
  return `<!doctype html><html><head><title>Article ${id}</title><style>p{color:red}</style><script>var x = "not text";</script></head>
<body><nav>menu</nav><h1>Article ${id}</h1>
<p>The central bank raised interest rates; the stock market and finance news followed.</p>
<p>今天的金融新闻：央行宣布加息，股票市场大幅波动。</p>
<p>Football match report: the team won the championship.</p></body></html>`;
}

export async function startSpiderServer(): Promise<SpiderServer> {
  const hits = new Map<string, number>();
  const flakyCounts = new Map<string, number>();
  const fixed = new Set<string>();

  async function servePath(path: string, response: ServerResponse): Promise<void> {
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const html = (body: string, status = 200) => {
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      response.end(body);
    };
    const [, first, second] = path.split('/');
    switch (first) {
      case 'article':
        return html(articleHtml(second ?? 'x'));
      case 'delay':
        await sleep(Math.min(Number(second) || 0, 60_000));
        return html(articleHtml(path.split('/')[3] ?? 'delayed'));
      case 'slow':
        await sleep(10_000);
        return html(articleHtml('slow'));
      case 'flaky': {
        const count = (flakyCounts.get(second ?? '') ?? 0) + 1;
        flakyCounts.set(second ?? '', count);
        return count <= 2 ? html('busy', 503) : html(articleHtml(`flaky-${second}`));
      }
      case 'missing':
        return html('not found', 404);
      case 'toggle':
        return fixed.has(second ?? '') ? html(articleHtml(`toggle-${second}`)) : html('not yet', 404);
      case 'huge': {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        const paragraph = `<p>${'finance market news 金融 市场 '.repeat(40)}</p>\n`;
        const chunk = Buffer.from(paragraph.repeat(Math.ceil(65_536 / paragraph.length)));
        response.write('<html><body>');
        let sent = 0;
        while (sent < HUGE_PAGE_BYTES && !response.destroyed) {
          if (!response.write(chunk)) await new Promise((resolve) => response.once('drain', resolve));
          sent += chunk.length;
        }
        response.end('</body></html>');
        return;
      }
      case 'pdf':
        response.writeHead(200, { 'content-type': 'application/pdf' });
        return void response.end('%PDF-1.4');
      case 'gbk': {
        response.writeHead(200, { 'content-type': 'text/html; charset=gbk' });
        // "金融新闻" in GBK.
        return void response.end(Buffer.concat([Buffer.from('<html><body><p>'), Buffer.from('bdf0c8dad0c2cec5', 'hex'), Buffer.from('</p></body></html>')]));
      }
      case 'redirect': {
        const remaining = Number(second ?? 0);
        response.writeHead(302, { location: remaining > 0 ? `/redirect/${remaining - 1}` : '/article/redirected' });
        return void response.end();
      }
      case 'empty':
        return html('<html><body><script>1</script></body></html>');
      default:
        return html('unknown page', 404);
    }
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      try {
        if (request.method === 'POST' && request.url === '/spider') {
          const chunks: Buffer[] = [];
          for await (const chunk of request) chunks.push(chunk as Buffer);
          const target = new URLSearchParams(Buffer.concat(chunks).toString()).get('url') ?? '';
          return await servePath(new URL(target).pathname, response);
        }
        await servePath(new URL(request.url ?? '/', 'http://localhost').pathname, response);
      } catch {
        if (!response.headersSent) response.writeHead(500);
        response.end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spiderUrl: `http://127.0.0.1:${port}/spider`,
    hits,
    fixToggle: (key) => void fixed.add(key),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
