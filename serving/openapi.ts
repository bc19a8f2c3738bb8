import { ALERT_PARAMETERS, EXPLAIN_PARAMETERS, TOP_PARAMETERS, WINDOW_PARAMETERS, type ParameterTable } from './api-parameters.ts';

/**
 * The OpenAPI 3.1 document of the HTTP API, built from the parameter tables that validate the
 * requests (api-parameters.ts), so what it says is accepted is what is accepted. Responses are
 * described by shape, not field by field (query-result.ts has the types).
 */
export function openApiDocument(views: readonly string[]): Record<string, unknown> {
  const parameters = (table: ParameterTable) =>
    Object.entries(table).map(([name, schema]) => ({
      name,
      in: 'query',
      required: schema.required === true,
      description: schema.description,
      schema: { type: schema.type, ...(schema.enum ? { enum: schema.enum } : {}), ...(schema.pattern ? { pattern: schema.pattern } : {}), ...(schema.default ? { default: schema.default } : {}) },
    }));
  const view = { name: 'view', in: 'path', required: true, description: 'a view name', schema: { type: 'string', enum: views } };
  const error = { description: 'an error: {"error":{"code","message","parameter"?}}', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const ok = (description: string, schema: Record<string, unknown>) => ({ description, content: { 'application/json': { schema } } });
  const object = (required: readonly string[], properties: Record<string, unknown>) => ({ type: 'object', required, properties });
  const errors = { '400': error, '404': error, '405': error, '503': error };
  return {
    openapi: '3.1.0',
    info: { title: 'lambdakappa serving API', version: '1' },
    paths: {
      '/v1/views': { get: { summary: 'the views, their windows and measures', responses: { '200': ok('views', object(['views'], { views: { type: 'array' } })) } } },
      '/v1/views/{view}': {
        get: {
          summary: 'one page of the windows overlapping [from, to), in (key, start) order, with provenance and freshness',
          parameters: [view, ...parameters(WINDOW_PARAMETERS)],
          responses: {
            '200': ok('a page of windows; `next` is the cursor of the following page (null on the last)', object(['view', 'mode', 'windows', 'next', 'freshness'], {
              windows: { type: 'array', items: object(['key', 'start', 'end', 'layers', 'value', 'final'], {}) },
              next: { type: ['string', 'null'] },
              batchHorizon: { type: ['string', 'null'] },
              batchRun: { type: ['string', 'null'] },
              kappaVersion: { type: ['string', 'null'] },
              freshness: { type: 'object' },
            })),
            ...errors,
          },
        },
      },
      '/v1/alerts': {
        get: {
          summary: "the pipeline's alerts: its rules applied to the final windows overlapping [from, to) in one mode, one per id",
          parameters: parameters(ALERT_PARAMETERS),
          responses: { '200': ok('alerts by window start, rule, key', object(['mode', 'alerts'], { alerts: { type: 'array', items: object(['id', 'rule', 'view', 'key', 'start', 'end', 'measures'], {}) }, finalBefore: { type: ['string', 'null'] } })), ...errors },
        },
      },
      '/v1/views/{view}/top': {
        get: {
          summary: 'the top keys of a tumbling or session view by a measure over the windows overlapping [from, to)',
          parameters: [view, ...parameters(TOP_PARAMETERS)],
          responses: { '200': ok('keys by descending measure', object(['view', 'by', 'keys', 'freshness'], { keys: { type: 'array', items: object(['key', 'value', 'windows', 'layers'], {}) } })), ...errors },
        },
      },
      '/v1/explain/{view}': {
        get: {
          summary: 'why one window has its value: the layers and version that served it, the horizon and watermark, its value against the truth where the truth is known, and the too-late events, duplicates and not-yet-batched events that make the difference',
          parameters: [view, ...parameters(EXPLAIN_PARAMETERS)],
          responses: {
            '200': ok('the explanation', object(['view', 'key', 'mode', 'start', 'end', 'served', 'truth', 'tooLate', 'duplicates', 'notYetInBatch', 'summary'], {
              served: { type: 'object' },
              truth: object(['known'], { known: { type: 'boolean' } }),
              tooLate: { type: 'array', items: object(['eventId', 'eventTime', 'lateBefore', 'lateByMs', 'counted'], {}) },
              duplicates: object(['source', 'ids'], {}),
              notYetInBatch: object(['from', 'total', 'events'], {}),
              summary: { type: 'array', items: { type: 'string' } },
            })),
            ...errors,
          },
        },
      },
      '/v1/status': { get: { summary: 'batch horizon and run, the batch quality gate\'s last rejection, Kappa alias, streaming namespaces\' progress', responses: { '200': ok('status', { type: 'object' }) } } },
      '/health': { get: { summary: 'liveness', responses: { '200': ok('alive', object(['status'], { status: { const: 'ok' } })) } } },
      '/ready': { get: { summary: 'readiness: the published batch is loaded and the view store answers', responses: { '200': ok('ready', { type: 'object' }), '503': ok('not ready, with the failing checks', { type: 'object' }) } } },
      '/metrics': { get: { summary: 'Prometheus metrics (text exposition format)', responses: { '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'this document', responses: { '200': ok('OpenAPI 3.1', { type: 'object' }) } } },
    },
    components: {
      schemas: {
        Error: object(['error'], { error: object(['code', 'message'], { code: { type: 'string' }, message: { type: 'string' }, parameter: { type: 'string' }, views: { type: 'array', items: { type: 'string' } } }) }),
      },
    },
  };
}
