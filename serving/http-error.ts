import { BadRequestError, ConflictError, NotFoundError, ServiceUnavailableError } from '../shared/errors.ts';

/** The body of every error response. */
export interface HttpErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    /** The query parameter at fault (400s). */
    readonly parameter?: string;
    /** The known views (unknown-view 404s). */
    readonly views?: readonly string[];
  };
}

export interface HttpErrorResponse {
  readonly status: number;
  readonly body: HttpErrorBody;
}

/**
 * Maps an error to a status and body. The platform's errors keep their message (each says what to
 * do), except a 503's, which names the service's address; a 4xx from the HTTP framework itself (malformed URL, oversized request) keeps its status;
 * anything else is a 500 whose body reveals nothing of the internals (the caller logs the error).
 */
export function httpErrorOf(err: unknown): HttpErrorResponse {
  if (err instanceof BadRequestError) {
    return { status: 400, body: { error: { code: 'invalid_parameter', parameter: err.parameter, message: err.message } } };
  }
  if (err instanceof NotFoundError) return { status: 404, body: { error: { code: 'not_found', message: err.message } } };
  if (err instanceof ConflictError) return { status: 409, body: { error: { code: 'data_changed', message: err.message } } };
  if (err instanceof ServiceUnavailableError) {
    // The message names hosts, ports, users and databases: for the server log (the caller logs 5xx), not for clients.
    return { status: 503, body: { error: { code: 'service_unavailable', message: 'a backing service (view store, batch views or log) is unavailable; retry later' } } };
  }
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: { code: 'bad_request', message: (err as Error).message } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error; the server log has the details' } } };
}

/** The 404 for a view name the pipeline does not define, listing the ones it does. */
export function unknownViewError(view: string, known: readonly string[]): HttpErrorResponse {
  return {
    status: 404,
    body: { error: { code: 'unknown_view', message: `unknown view "${view.slice(0, 80)}"; known views: ${known.join(', ')}`, views: known } },
  };
}
