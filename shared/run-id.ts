/**
 * A run's id names its Kafka topic, PostgreSQL schema and S3 prefix, so it must be valid in all
 * three: a lowercase SQL identifier PG_SCHEMA accepts (shared/config.ts) is also a legal Kafka
 * topic name (letters, digits, `._-`, with room for `.dead-letter`) and a plain S3 key segment.
 */
export const RUN_ID_PATTERN = /^[a-z_][a-z0-9_]{0,40}$/;

/**
 * `demo_<yyyymmddhhmmss>_<4 base-36 characters>`: the UTC start time, so ids sort by age and say
 * when a leftover was made, and a random tail, so two runs in one second still differ.
 */
export function newRunId(now: Date, random: () => number = Math.random, kind = 'demo'): string {
  const stamp = now.toISOString().replace(/[^0-9]/g, '').slice(0, 14);
  let tail = '';
  for (let i = 0; i < 4; i++) tail += Math.floor(random() * 36).toString(36);
  const id = `${kind}_${stamp}_${tail}`;
  if (!RUN_ID_PATTERN.test(id)) throw new RangeError(`run id ${id} would not be a valid topic, schema and prefix name; the kind must be lowercase letters, digits and _`);
  return id;
}
