// Which methods each route takes, so a known path asked with another method
// is a 405 with `Allow` rather than a 404. Filled from Fastify's onRoute hook.
import type { RouteOptions } from 'fastify';

export class RouteMethods {
  readonly #routes: Array<{ readonly pattern: RegExp; readonly method: string }> = [];

  add(route: RouteOptions): void {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // `:name` parameters match one path segment.
    const source = route.url
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    for (const method of methods) this.#routes.push({ pattern: new RegExp(`^${source}$`), method });
  }

  /** The methods `url` (query string ignored) is served with; empty for an unknown path. */
  allowed(url: string): string[] {
    const path = url.split('?', 1)[0] ?? '';
    const methods = this.#routes.filter((r) => r.pattern.test(path)).map((r) => r.method);
    return [...new Set(methods)];
  }
}
