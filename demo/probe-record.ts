import type { EventSchema } from '../shared/model/event-schema.ts';
import type { FieldSpec } from '../shared/model/field-spec.ts';

/**
 * The wire JSON of the smallest valid event of a schema, for freshness probes: text fields carry
 * `id` (padded to their minimum length, cut to their maximum), an enum its first value, numbers the value in their range
 * nearest 0, booleans false, timestamps `time`; optional fields are left out, and a field required
 * only when another has some value is there only when the values chosen require it.
 */
export function probeRecord(schema: EventSchema, id: string, time: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(schema.fields)) {
    const p = f.presence ?? 'required';
    if (p === 'optional') continue;
    if (typeof p === 'object' && !p.requiredWhen.in.includes(out[p.requiredWhen.field] as string | number | boolean)) continue;
    out[name] = valueOf(f, id, time);
  }
  return out;
}

function valueOf(f: FieldSpec, id: string, time: number): unknown {
  switch (f.type) {
    case 'string':
      // Within its length bounds: a field shorter than the id (a country code) takes its start.
      return id.padEnd(f.minLength ?? 0, '-').slice(0, f.maxLength ?? Number.POSITIVE_INFINITY);
    case 'enum':
      return f.values[0];
    case 'boolean':
      return false;
    case 'timestamp':
      return new Date(time).toISOString();
    case 'integer':
    case 'decimal':
      return Math.min(Math.max(0, f.min ?? Number.NEGATIVE_INFINITY), f.max ?? Number.POSITIVE_INFINITY);
  }
}
