import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { BadRequestError, LkError } from '../shared/errors.ts';
import { httpErrorOf, unknownViewError, type HttpErrorResponse } from './http-error.ts';
import type { QueryService } from './query-service.ts';
import { openApiDocument } from './openapi.ts';
import { SERVING_MODES } from './serving-mode.ts';
import type { ServingMetrics } from './serving-metrics.ts';
import { parseAlertRequest, parseExplainRequest, parseTopRequest, parseWindowRequest } from './window-request.ts';
import type { WindowExplainer } from './window-explainer.ts';

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port (see `url`). */
  readonly port: number;
  /** Fastify's request log (pino, to stdout); off by default. */
  readonly logger?: boolean;
  /** Receives every error answered with a 5xx (default: printed to stderr), since the response hides it. */
  readonly onInternalError?: (err: unknown) => void;
  /** Serves GET /metrics and times every request into it (serving-metrics.ts); without it /metrics is a 404. */
  readonly metrics?: ServingMetrics;
  /** Whether the process is ready to serve (GET /ready: 200 or 503 with this body); default: always ready. */
  readonly readiness?: () => Promise<Readiness>;
  /** The live dashboard's page (dashboard-page.ts), served at GET /; without it / is a 404. */
  readonly dashboard?: string;
  /** Explains single windows (GET /v1/explain/:view); without it the route answers 404 saying what it needs. */
  readonly explainer?: WindowExplainer;
  /** The admin endpoints, for requests bearing the token; without it they do not exist (404). */
  readonly admin?: { readonly token: string; readonly actions: AdminActions };
}

/** What POST /v1/admin/... does (wired by lk serve to the Kappa cut-over and rollback). */
export interface AdminActions {
  /** Serves a Kappa version if the correctness gate passes (or whatever it says with force); `cutOver` says whether it moved. */
  cutover(version: string, force: boolean): Promise<{ readonly cutOver: boolean } & Record<string, unknown>>;
  rollback(): Promise<Record<string, unknown>>;
}

/** The body of GET /ready. */
export interface Readiness {
  readonly ready: boolean;
  /** One line per check: "ok" or what is wrong. */
  readonly checks: Readonly<Record<string, string>>;
}

export interface HttpServer {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  close(): Promise<void>;
}

/** The paths of the routes below, for telling a wrong method (405) from an unknown path (404). */
const ADMIN_ROUTES: readonly RegExp[] = [/^\/v1\/admin\/cutover$/, /^\/v1\/admin\/rollback$/];
const ROUTES: readonly RegExp[] = [/^\/$/, /^\/health$/, /^\/ready$/, /^\/metrics$/, /^\/openapi\.json$/, /^\/v1\/views$/, /^\/v1\/status$/, /^\/v1\/alerts$/, /^\/v1\/views\/[^/]+$/, /^\/v1\/views\/[^/]+\/top$/, /^\/v1\/explain\/[^/]+$/];

/**
 * The HTTP API over a QueryService (the only file that imports fastify):
 *
 *   GET /                          the live dashboard (when given; dashboard-page.ts)
 *   GET /health                    liveness: {"status":"ok"}
 *   GET /v1/views                  the views, their windows and measures
 *   GET /v1/views/:view?key=&from=&to=&mode=&limit=&cursor=
 *                                  one page of the windows overlapping [from, to) and `next`;
 *                                  defaults in window-request.ts (mode=lambda, to=now,
 *                                  from=to-1h, limit=10000)
 *   GET /v1/views/:view/top?by=&n=&from=&to=&mode=
 *                                  the n keys with the largest measure `by`
 *   GET /v1/explain/:view?key=&start=&mode=
 *                                  why one window has its value (window-explanation.ts): layers and version,
 *                                  horizon and watermark, the truth where known, too-late events, duplicates
 *   GET /v1/alerts?from=&to=&mode=&rule=
 *                                  the alerts of the final windows overlapping [from, to) (alert-rule.ts)
 *   GET /v1/status                 batch horizon and run, the quality gate's last rejection, Kappa alias, streaming namespaces' progress
 *   GET /openapi.json              the API, from the schemas that validate it (openapi.ts)
 *   GET /ready                     readiness: 200 once the published batch is loaded and the stores answer, else 503
 *   GET /metrics                   Prometheus metrics (when given; serving-metrics.ts)
 *   POST /v1/admin/cutover?version=kappa_vN&force=false
 *                                  the gated Kappa cut-over: 200 when served, 409 with the verdict when refused
 *   POST /v1/admin/rollback        the previous Kappa version again
 *                                  (both only with an admin token: 401 without a matching
 *                                  `Authorization: Bearer <token>`, absent otherwise)
 *
 * Errors are `{"error":{"code","message","parameter"?}}`: 400 for a bad parameter or a malformed request, 404 for an
 * unknown view (listing the known ones) or route, 405 for another method than GET on a route, 503 when a backing
 * service is down, 500 otherwise.
 */
export async function startHttpServer(service: QueryService, options: HttpServerOptions): Promise<HttpServer> {
  const onInternalError = options.onInternalError ?? ((err: unknown) => console.error('serving: internal error:', err));
  const send = (reply: FastifyReply, r: HttpErrorResponse) => reply.code(r.status).send(r.body);
  const app = Fastify({
    logger: options.logger ?? false,
    // Errors before routing (a malformed URL) skip setErrorHandler; give them the same body.
    // The callback is generic over route types it never sees, hence the cast to a plain reply.
    frameworkErrors: (err, _request, reply) => void send(reply as unknown as FastifyReply, httpErrorOf(err)),
  });

  app.addHook('onSend', async (_request, reply) => {
    // Answers move with every speed commit; a cached one would hide exactly what the API shows.
    reply.header('cache-control', 'no-store');
  });

  const metrics = options.metrics;
  if (metrics) {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const query = request.query as Record<string, unknown> | undefined;
      const mode = !route.startsWith('/v1/views/') ? '' : typeof query?.mode === 'string' ? ((SERVING_MODES as readonly string[]).includes(query.mode) ? query.mode : 'invalid') : query?.cursor !== undefined ? 'cursor' : 'lambda';
      metrics.requests.observe({ route, mode, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.registry.exposition();
      return reply.type(contentType).send(body);
    });
  }
  const readiness = options.readiness ?? (async (): Promise<Readiness> => ({ ready: true, checks: {} }));
  app.get('/ready', async (_request, reply) => {
    const r = await readiness();
    return reply.code(r.ready ? 200 : 503).send(r);
  });
  const dashboard = options.dashboard;
  if (dashboard !== undefined) app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(dashboard));
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/v1/views', async () => ({ views: service.views() }));
  app.get('/v1/status', async () => service.status());
  app.get<{ Querystring: Record<string, unknown> }>('/v1/alerts', async (request) => service.alerts(parseAlertRequest(request.query, service.now())));
  app.get('/openapi.json', async () => openApiDocument(service.viewNames()));
  app.get<{ Params: { view: string }; Querystring: Record<string, unknown> }>('/v1/views/:view', async (request, reply) => {
    const { view } = request.params;
    const known = service.viewNames();
    if (!known.includes(view)) return send(reply, unknownViewError(view, known));
    return service.query(parseWindowRequest(view, request.query, service.now()));
  });
  app.get<{ Params: { view: string }; Querystring: Record<string, unknown> }>('/v1/views/:view/top', async (request, reply) => {
    const { view } = request.params;
    const known = service.viewNames();
    if (!known.includes(view)) return send(reply, unknownViewError(view, known));
    return service.top(parseTopRequest(view, request.query, service.now()));
  });
  const explainer = options.explainer;
  app.get<{ Params: { view: string }; Querystring: Record<string, unknown> }>('/v1/explain/:view', async (request, reply) => {
    const { view } = request.params;
    const known = service.viewNames();
    if (!known.includes(view)) return send(reply, unknownViewError(view, known));
    const q = parseExplainRequest(view, request.query, service.now());
    if (explainer === undefined) return send(reply, { status: 404, body: { error: { code: 'not_found', message: 'this server explains no windows (it was started without the log and master dataset readers); use lk explain' } } });
    return explainer.explain(q);
  });

  const admin = options.admin;
  if (admin) {
    const expected = Buffer.from(admin.token);
    const authorized = (request: FastifyRequest) => {
      const given = Buffer.from(/^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '');
      return given.length === expected.length && timingSafeEqual(given, expected);
    };
    const refuse = (reply: FastifyReply) => {
      reply.header('www-authenticate', 'Bearer');
      return send(reply, { status: 401, body: { error: { code: 'unauthorized', message: 'admin endpoints need the header Authorization: Bearer <LK_ADMIN_TOKEN>' } } });
    };
    app.post<{ Querystring: Record<string, unknown> }>('/v1/admin/cutover', async (request, reply) => {
      if (!authorized(request)) return refuse(reply);
      const version = request.query.version;
      if (typeof version !== 'string' || version === '') throw new BadRequestError('version', 'is required, e.g. ?version=kappa_v3');
      const force = request.query.force;
      if (force !== undefined && force !== 'true' && force !== 'false') throw new BadRequestError('force', 'must be true or false');
      const r = await admin.actions.cutover(version, force === 'true');
      return reply.code(r.cutOver ? 200 : 409).send(r);
    });
    app.post('/v1/admin/rollback', async (request, reply) => {
      if (!authorized(request)) return refuse(reply);
      return admin.actions.rollback();
    });
  }

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    if (admin && request.method !== 'POST' && ADMIN_ROUTES.some((r) => r.test(path))) {
      reply.header('allow', 'POST');
      return send(reply, { status: 405, body: { error: { code: 'method_not_allowed', message: `${request.method.slice(0, 20)} is not allowed on ${path}; use POST` } } });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD' && ROUTES.some((r) => r.test(path))) {
      reply.header('allow', 'GET, HEAD');
      return send(reply, { status: 405, body: { error: { code: 'method_not_allowed', message: `${request.method.slice(0, 20)} is not allowed on ${path.slice(0, 200)}; use GET` } } });
    }
    send(reply, {
      status: 404,
      body: { error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0].slice(0, 200)}; try GET /v1/views, /v1/views/:view, /v1/alerts, /v1/views/:view/top, /v1/explain/:view, /v1/status, /openapi.json, /ready, /metrics or /health` } },
    });
  });
  app.setErrorHandler((err, _request, reply) => {
    const r = httpErrorOf(err);
    if (r.status >= 500) onInternalError(err);
    send(reply, r);
  });

  const url = await app.listen({ host: options.host, port: options.port }).catch(async (err: unknown) => {
    await app.close().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new LkError(`port ${options.port} on ${options.host} is in use (another lk serve or lk run?): give another --port (or LK_PORT), 0 for a free one`, { cause: err });
    }
    throw err;
  });
  return { url, close: () => app.close() };
}
