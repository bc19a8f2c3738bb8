/**
 * Why a raw record was rejected. Codes are stable (dead-letter headers and metrics use them);
 * messages are for people.
 */
export type RejectionCode =
  | 'oversized'
  /** Bytes that are not UTF-8 (decoded losslessly by shared/model/byte-text.ts, so they show as lone surrogates). */
  | 'invalid_utf8'
  | 'malformed_json'
  | 'not_an_object'
  | 'missing_field'
  | 'wrong_type'
  | 'unknown_event_type'
  | 'bad_price'
  | 'bad_quantity'
  | 'bad_event_time'
  | 'event_time_out_of_range';

export interface Rejection {
  readonly code: RejectionCode;
  readonly message: string;
}
