import type { EventSchema } from '../shared/model/event-schema.ts';
import type { DecimalField, EnumField, FieldSpec, IntegerField } from '../shared/model/field-spec.ts';
import type { Malformer, RecordMalformation } from './malformed-record.ts';
import type { Random } from './random.ts';

/** The field-level breaks read off a schema (beside the record-level ones); each is rejected by the validator the schema compiles to. */
export type SchemaMalformation = RecordMalformation | 'missing_field' | 'wrong_type' | 'out_of_range' | 'too_many_decimals' | 'unknown_enum_value';

type Bounded = (IntegerField | DecimalField) & ({ readonly min: number } | { readonly max: number });

/**
 * A malformer for any schema: drops a required field, gives a field a value of the wrong JSON
 * type, puts a number outside its declared bounds, adds a decimal digit past the scale, or writes
 * an enum value the schema does not list, besides the record-level breaks. A kind whose fields
 * the schema lacks (no enum, no bounded number) is not made.
 */
export function schemaMalformer(schema: EventSchema): Malformer<SchemaMalformation> {
  const fields = Object.entries(schema.fields);
  const bounded = fields.filter((e): e is [string, Bounded] => (e[1].type === 'integer' || e[1].type === 'decimal') && (e[1].min !== undefined || e[1].max !== undefined));
  const decimals = fields.filter((e): e is [string, DecimalField] => e[1].type === 'decimal');
  const enums = fields.filter((e): e is [string, EnumField] => e[1].type === 'enum');
  const weights: Array<readonly [SchemaMalformation, number]> = [
    ['broken_json', 2],
    ['not_an_object', 0.5],
    ['missing_field', 2],
    ['wrong_type', 2],
    ['far_future', 1],
    ['before_2000', 1],
    ['oversized', 0.25],
  ];
  if (bounded.length > 0) weights.push(['out_of_range', 1]);
  if (decimals.length > 0) weights.push(['too_many_decimals', 1]);
  if (enums.length > 0) weights.push(['unknown_enum_value', 1]);

  return {
    weights,
    breakFields(rng, kind, o) {
      switch (kind) {
        case 'missing_field': {
          const required = fields.filter(([name, f]) => o[name] !== undefined && o[name] !== null && isRequired(f, o)).map(([name]) => name);
          delete o[rng.pick(required)];
          return true;
        }
        case 'wrong_type': {
          const present = fields.filter(([name]) => o[name] !== undefined && o[name] !== null);
          const [name, f] = rng.pick(present);
          o[name] = wrongTypeValue(rng, f, o[name]);
          return true;
        }
        case 'out_of_range': {
          const [name, f] = rng.pick(bounded);
          o[name] = outOfRange(rng, f);
          return true;
        }
        case 'too_many_decimals': {
          const [name, f] = rng.pick(decimals);
          const unit = 10 ** f.scale;
          const units = typeof o[name] === 'number' ? Math.round((o[name] as number) * unit) : rng.int(1, 100 * unit);
          // One more digit that is not zero: 19.99 at scale 2 becomes e.g. 19.993.
          o[name] = (units * 10 + rng.int(1, 9)) / (unit * 10);
          return true;
        }
        case 'unknown_enum_value': {
          const [name, f] = rng.pick(enums);
          const v = rng.pick(f.values);
          const candidates = [`${v}_x`, v.toUpperCase() === v ? v.toLowerCase() : v.toUpperCase(), 'unknown', ''].filter((c) => !f.values.includes(c));
          o[name] = rng.pick(candidates);
          return true;
        }
        default:
          return false;
      }
    },
  };
}

/** Whether the validator rejects the record without the field (for requiredWhen, judged by the raw value of the other field: right for text, enums and booleans). */
function isRequired(f: FieldSpec, o: Readonly<Record<string, unknown>>): boolean {
  const p = f.presence ?? 'required';
  if (p === 'required') return true;
  if (p === 'optional') return false;
  return p.requiredWhen.in.includes(o[p.requiredWhen.field] as string | number | boolean);
}

function wrongTypeValue(rng: Random, f: FieldSpec, v: unknown): unknown {
  switch (f.type) {
    case 'string':
    case 'enum':
      return rng.int(1, 1_000_000);
    case 'integer':
    case 'decimal':
    case 'boolean':
      return String(v);
    case 'timestamp':
      return true;
  }
}

/** A value past the field's bounds, written exactly at its scale (integer units over a power of ten print as that decimal). */
function outOfRange(rng: Random, f: Bounded): number {
  const unit = f.type === 'decimal' ? 10 ** f.scale : 1;
  const over = rng.int(1, 1_000 * unit);
  const above = f.max !== undefined && (f.min === undefined || rng.chance(0.5));
  return above ? (Math.round(f.max! * unit) + over) / unit : (Math.round(f.min! * unit) - over) / unit;
}
