import type { RejectionCode } from './rejection.ts';

/**
 * How one field of an event schema is declared: its type, whether it must be present, and its
 * limits. Plain data (the builders in `field.ts` only fill it in), so the validator, the master
 * dataset's columns and the filter language all read the same declaration.
 */
export type FieldSpec = StringField | IntegerField | DecimalField | BooleanField | TimestampField | EnumField;

/** A field may be absent (null) only when this says so. */
export type Presence =
  | 'required'
  | 'optional'
  /** Required when the earlier field `field` has one of `in`; optional otherwise. */
  | { readonly requiredWhen: { readonly field: string; readonly in: readonly (string | number | boolean)[] } };

interface FieldBase {
  readonly presence?: Presence;
  /** The rejection code of a present but invalid value (the type's own code when absent). */
  readonly invalidCode?: RejectionCode;
}

export interface StringField extends FieldBase {
  readonly type: 'string';
  /** UTF-16 code units; defaults 0 and IDENTIFIER_MAX. */
  readonly minLength?: number;
  readonly maxLength?: number;
}

export interface IntegerField extends FieldBase {
  readonly type: 'integer';
  readonly min?: number;
  readonly max?: number;
}

/**
 * A number with at most `scale` decimals, stored as the integer value * 10^scale (a price of
 * 19.99 with scale 2 is 1999) so that every layer sums it exactly. `min`/`max` are in units.
 */
export interface DecimalField extends FieldBase {
  readonly type: 'decimal';
  readonly scale: number;
  readonly min?: number;
  readonly max?: number;
}

export interface BooleanField extends FieldBase {
  readonly type: 'boolean';
}

/** ISO-8601 with a zone, or integer epoch ms; stored as epoch ms. */
export interface TimestampField extends FieldBase {
  readonly type: 'timestamp';
}

export interface EnumField<V extends string = string> extends FieldBase {
  readonly type: 'enum';
  readonly values: readonly V[];
}

/** A field's value once validated: decimals scaled, timestamps epoch ms, absent as null. */
export type FieldValue = string | number | boolean | null;

/** Whether values of the type are numbers once validated (integer, decimal, timestamp). */
export function isNumericField(f: FieldSpec): boolean {
  return f.type === 'integer' || f.type === 'decimal' || f.type === 'timestamp';
}

/** Whether values of the type are strings once validated. */
export function isTextField(f: FieldSpec): boolean {
  return f.type === 'string' || f.type === 'enum';
}
