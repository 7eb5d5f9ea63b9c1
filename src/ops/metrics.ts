import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics, one registry per app so tests and several apps in a process do not collide. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'wathiqa_http_request_duration_seconds',
      help: 'HTTP request durations by route group, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    signIns: new Counter({
      name: 'wathiqa_sign_ins_total',
      help: 'Sign-in attempts by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    signUps: new Counter({ name: 'wathiqa_sign_ups_total', help: 'Accounts created by sign-up', registers: [registry] }),
    tokensIssued: new Counter({
      name: 'wathiqa_tokens_issued_total',
      help: 'Tokens issued by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Coarse route groups: label values must not grow with ids or tokens in paths. */
export function routeGroup(path: string): string {
  if (path.startsWith('/interaction/')) return '/interaction';
  if (path.startsWith('/admin')) return '/admin';
  if (path.startsWith('/static/')) return '/static';
  const known = ['/auth', '/token', '/me', '/jwks', '/session/end', '/token/revocation', '/token/introspection', '/request', '/reg', '/.well-known/openid-configuration', '/healthz', '/readyz', '/metrics', '/'];
  for (const k of known) if (path === k || path.startsWith(k + '/')) return k;
  return 'other';
}
