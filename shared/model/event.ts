import type { EventSchema } from './event-schema.ts';
import type { FieldSpec, FieldValue } from './field-spec.ts';

/**
 * The event model: one validated, normalised event, each field of the pipeline's schema by name
 * (the wire format is JSON with those names; `validation.ts` builds this shape). Decimals are
 * carried as scaled integers (cents for a price of scale 2) so that every layer (JS folds, DuckDB
 * SQL, PostgreSQL) sums them exactly and batch, speed and the ground truth agree to the last digit.
 * Timestamps are epoch ms UTC; an absent optional field is null.
 */
export type Event = Readonly<Record<string, FieldValue>>;

/** The validated event of a schema, typed field by field (`EventOf<typeof schema>`), as zod's `infer`. */
export type EventOf<S extends EventSchema> = { readonly [K in keyof S['fields']]: ValueOf<S['fields'][K]> };

type ValueOf<F extends FieldSpec> = (F extends { type: 'string' | 'enum' } ? (F extends { values: readonly (infer V)[] } ? V : string) : F extends { type: 'boolean' } ? boolean : number) | (F extends { presence: 'required' } ? never : F extends { presence: unknown } ? null : never);
