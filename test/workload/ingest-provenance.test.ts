import { describe, expect, it } from 'vitest';
import { ingestedLine, provenanceHeaders, provenanceOf } from '../../workload/ingest-provenance.ts';

describe('ingest provenance', () => {
  it('reads back the run, line and source it stamped, a source with spaces included', () => {
    const headers = provenanceHeaders('a1b2', '/data/my events.jsonl', 42);
    expect(headers).toEqual({ 'lk-ingest': 'a1b2 42 /data/my events.jsonl' });
    expect(provenanceOf({ headers })).toEqual({ runId: 'a1b2', line: 42, source: '/data/my events.jsonl' });
    expect(ingestedLine({ headers }, 'a1b2')).toBe(42);
    expect(ingestedLine({ headers }, 'other')).toBeUndefined();
  });

  it('ignores records lk ingest did not stamp, or stamped differently', () => {
    for (const value of [undefined, '', 'run', 'run 7', 'run x /f', 'run 0 /f', ' 3 /f']) {
      const headers: Record<string, string> = value === undefined ? {} : { 'lk-ingest': value };
      expect(provenanceOf({ headers }), String(value)).toBeUndefined();
    }
  });
});
