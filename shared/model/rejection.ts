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
  /** A present value of the wrong type or outside its limits (unless its field names another code). */
  | 'wrong_type'
  /**
   * Codes a field can name for its invalid values (FieldSpec.invalidCode): the e-commerce example's
   * event type, price and quantity use these, as dead letters were labelled before pipelines were user code.
   */
  | 'unknown_event_type'
  | 'bad_price'
  | 'bad_quantity'
  | 'bad_event_time'
  | 'event_time_out_of_range';

export interface Rejection {
  readonly code: RejectionCode;
  readonly message: string;
}
