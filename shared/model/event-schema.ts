import { ConfigError } from '../errors.ts';
import type { FieldSpec } from './field-spec.ts';
import { IDENTIFIER_MAX } from './identifier.ts';

/** The fields of a schema, by name, in the order validation checks them. */
export type FieldSpecs = Readonly<Record<string, FieldSpec>>;

/**
 * The event schema of a pipeline: the fields of one event and the three roles the platform needs
 * from them. `id` dedups (copies of an event share it), `time` is the event time windows and the
 * watermark use, `logKey` is the field ingest partitions the log by (a key's events stay in order).
 */
export interface EventSchema<F extends FieldSpecs = FieldSpecs, N extends string = string> {
  readonly fields: F;
  readonly id: N;
  readonly time: N;
  readonly logKey: N;
}

/** Names the master dataset and the batch SQL use for their own columns: no field may take them. */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set(['log_partition', 'log_offset', 'log_timestamp', 'raw', 'bucket', 'key', 'file_index', 'file_row_number']);

const FIELD_NAME = /^[a-z][a-z0-9_]*$/;

/** Checks a schema at load; throws a ConfigError naming the field and what to change. */
export function checkSchema(schema: EventSchema): void {
  const names = Object.keys(schema.fields);
  if (names.length === 0) throw new ConfigError('schema: declare at least one field');
  for (const [i, name] of names.entries()) {
    const f = schema.fields[name];
    const where = `schema field ${name}`;
    if (!FIELD_NAME.test(name)) throw new ConfigError(`${where}: a field name must be snake_case (a-z, 0-9, _; starting with a letter)`);
    if (RESERVED_FIELD_NAMES.has(name)) throw new ConfigError(`${where}: the name is reserved by the master dataset; rename the field`);
    checkField(where, f);
    const p = f.presence;
    if (p !== undefined && typeof p === 'object') {
      const other = p.requiredWhen.field;
      const at = names.indexOf(other);
      if (at < 0) throw new ConfigError(`${where}: requiredWhen names ${other}, which the schema does not declare`);
      if (at >= i) throw new ConfigError(`${where}: requiredWhen names ${other}, which must be declared before ${name} (validation checks fields in order)`);
    }
  }
  const role = (r: 'id' | 'time' | 'logKey', types: readonly FieldSpec['type'][]) => {
    const name = schema[r];
    const f = schema.fields[name] as FieldSpec | undefined;
    if (!f) throw new ConfigError(`schema.${r}: ${String(name)} is not a field of the schema`);
    if (!types.includes(f.type)) throw new ConfigError(`schema.${r}: ${name} must be a ${types.join(' or ')} field, not ${f.type}`);
    if ((f.presence ?? 'required') !== 'required') throw new ConfigError(`schema.${r}: ${name} must be required`);
  };
  role('id', ['string']);
  role('time', ['timestamp']);
  // Text only: a raw line's key is read before validation (recordKey), as the string it carries.
  role('logKey', ['string', 'enum']);
}

function checkField(where: string, f: FieldSpec): void {
  switch (f.type) {
    case 'string': {
      const min = f.minLength ?? 0;
      const max = f.maxLength ?? IDENTIFIER_MAX;
      if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 0 && min <= max)) throw new ConfigError(`${where}: minLength and maxLength must be whole numbers with 0 <= minLength <= maxLength`);
      return;
    }
    case 'integer':
      if (f.min !== undefined && !Number.isSafeInteger(f.min)) throw new ConfigError(`${where}: min must be a safe integer`);
      if (f.max !== undefined && !Number.isSafeInteger(f.max)) throw new ConfigError(`${where}: max must be a safe integer`);
      if (f.min !== undefined && f.max !== undefined && f.min > f.max) throw new ConfigError(`${where}: min must be <= max`);
      return;
    case 'decimal':
      if (!(Number.isInteger(f.scale) && f.scale >= 0 && f.scale <= 6)) throw new ConfigError(`${where}: scale must be a whole number from 0 to 6`);
      if (f.min !== undefined && f.max !== undefined && f.min > f.max) throw new ConfigError(`${where}: min must be <= max`);
      for (const bound of [f.min, f.max]) {
        if (bound !== undefined && !(Number.isFinite(bound) && Math.abs(bound * 10 ** f.scale) <= MAX_SCALED)) throw new ConfigError(`${where}: min and max must be finite and at most ${MAX_SCALED / 10 ** f.scale} in size`);
      }
      return;
    case 'enum':
      if (f.values.length === 0) throw new ConfigError(`${where}: an enum needs at least one value`);
      if (new Set(f.values).size !== f.values.length) throw new ConfigError(`${where}: enum values must be distinct`);
      return;
    case 'boolean':
    case 'timestamp':
      return;
    default:
      throw new ConfigError(`${where}: type must be string, integer, decimal, boolean, timestamp or enum`);
  }
}

/** The largest scaled decimal a field holds: sums of many stay exact in a double (2^53). */
export const MAX_SCALED = 1e12;
