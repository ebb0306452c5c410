// The page's files (index.html, app.js, app.css), built by scripts/build.ts
// into dist/web/ and read once when the gateway starts. Every answer carries
// the strict headers: scripts and styles only from this origin, no inline
// code, no frames, no referrer, nothing cached.
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

/**
 * Only the page's own files run; connections go back to this origin only;
 * images only from here or data: URLs (none are needed today). Markdown
 * links still open, as navigations in a new tab, which CSP does not cover.
 */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/** dist/web/ beside the bundled chunk; from source, the last build's. */
function webDir(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../../dist/web/', import.meta.url)
    : new URL('./web/', import.meta.url);
}

export class StaticFiles {
  readonly #bodies = new Map<string, { body: Buffer; type: string }>();

  constructor(dir: URL = webDir()) {
    for (const [path, { file, type }] of Object.entries(FILES))
      this.#bodies.set(path, { body: readFileSync(fileURLToPath(new URL(file, dir))), type });
  }

  /** Answers `path` if it is one of the page's files; false otherwise. */
  serve(path: string, method: string, res: ServerResponse): boolean {
    const entry = this.#bodies.get(path);
    if (entry === undefined) return false;
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': entry.type, 'content-length': entry.body.length });
    res.end(method === 'HEAD' ? undefined : entry.body);
    return true;
  }
}
