import { ConfigError, LkError, ServiceUnavailableError } from '../../shared/errors.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const CREDENTIAL_ERRORS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'CredentialsProviderError']);

/** Where a failed S3 call was going, for the message. */
export interface S3Target {
  readonly bucket: string;
  /** The endpoint setting, or undefined for AWS. */
  readonly endpoint?: string;
}

/** What the AWS SDK attaches to its errors (read by shape so this file needs no SDK import). */
interface SdkErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly Code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** The HTTP status of an SDK error, when the server answered. */
export function s3Status(err: unknown): number | undefined {
  return (err as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

/** True for "no such key/bucket" answers (a HEAD 404 has no body, so only the status says it). */
export function isS3NotFound(err: unknown): boolean {
  const name = (err as SdkErrorShape | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || s3Status(err) === 404;
}

/**
 * Turns an SDK error into the platform's errors, naming the setting to fix: S3_ENDPOINT when the
 * server cannot be reached, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when it refuses us, S3_BUCKET
 * when the bucket is missing.
 */
export function s3Error(err: unknown, target: S3Target, action: string): Error {
  if (err instanceof LkError || !(err instanceof Error)) return err instanceof Error ? err : new LkError(String(err));
  const e = err as Error & SdkErrorShape;
  const code = e.code ?? e.Code ?? e.name;
  const where = target.endpoint ?? 'AWS S3';
  const status = s3Status(err);
  if ((code !== undefined && NETWORK_CODES.has(code)) || e.name === 'TimeoutError') {
    return new ServiceUnavailableError('S3', `cannot reach ${where} to ${action} (${code}); start the S3 server or fix S3_ENDPOINT (e.g. http://127.0.0.1:9000), or use the local object store (LK_OBJECT_STORE=local)`, err);
  }
  // A refused HEAD has no body, so the SDK only knows the status ("UnknownError").
  const reason = e.name && e.name !== 'Unknown' ? `${e.name}: ${e.message}` : `HTTP ${status}`;
  if (CREDENTIAL_ERRORS.has(e.name ?? '') || status === 403) {
    return new ConfigError(`${where} denied access to bucket "${target.bucket}" (${action}; ${reason}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and the bucket's policy)`, { cause: err });
  }
  if (e.name === 'NoSuchBucket') {
    return new ConfigError(`bucket "${target.bucket}" does not exist at ${where}; create it or fix S3_BUCKET`, { cause: err });
  }
  if (status !== undefined && (status >= 500 || status === 429 || e.name === 'SlowDown')) {
    return new ServiceUnavailableError('S3', `${where} failed to ${action} (${reason}); try again`, err);
  }
  return new LkError(`S3 could not ${action} in bucket "${target.bucket}" at ${where} (${reason})`, { cause: err });
}
