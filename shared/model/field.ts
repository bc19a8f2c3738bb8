import type { BooleanField, DecimalField, EnumField, IntegerField, StringField, TimestampField } from './field-spec.ts';

type Options<F> = Omit<F, 'type'>;

/**
 * Builders of field declarations (`field.decimal(2, { min: 0 })`), for a schema that reads like
 * its meaning. They only fill in `type` (and keep the options' literal types, which `EventOf`
 * reads): a plain object literal declares the same field.
 */
export const field = {
  string: <const O extends Options<StringField> = object>(o?: O) => ({ type: 'string', ...o }) as { readonly type: 'string' } & O,
  integer: <const O extends Options<IntegerField> = object>(o?: O) => ({ type: 'integer', ...o }) as { readonly type: 'integer' } & O,
  decimal: <const O extends Omit<Options<DecimalField>, 'scale'> = object>(scale: number, o?: O) => ({ type: 'decimal', scale, ...o }) as { readonly type: 'decimal'; readonly scale: number } & O,
  boolean: <const O extends Options<BooleanField> = object>(o?: O) => ({ type: 'boolean', ...o }) as { readonly type: 'boolean' } & O,
  timestamp: <const O extends Options<TimestampField> = object>(o?: O) => ({ type: 'timestamp', ...o }) as { readonly type: 'timestamp' } & O,
  enum: <const V extends string, const O extends Omit<Options<EnumField<V>>, 'values'> = object>(values: readonly V[], o?: O) =>
    ({ type: 'enum', values, ...o }) as { readonly type: 'enum'; readonly values: readonly V[] } & O,
};
