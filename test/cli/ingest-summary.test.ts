import { describe, expect, it } from 'vitest';
import { ingestSummary } from '../../cli/ingest-summary.ts';
import type { IngestCounts } from '../../workload/ingest.ts';

const counts = (c: Partial<IngestCounts>): IngestCounts => ({ lines: 0, appended: 0, empty: 0, keyed: 0, unkeyed: 0, truncated: 0, chars: 0, found: 0, ...c });

describe('ingestSummary', () => {
  it('says what was appended, then one line with its count per reason that occurred', () => {
    const lines = ingestSummary({ topic: 'events', maxLineChars: 100, keyField: 'user_id', counts: counts({ lines: 1210, appended: 1200, empty: 10, unkeyed: 3, truncated: 2, found: 40 }) });
    expect(lines[0]).toBe('ingest: 1,200 records appended to events');
    expect(lines.slice(1).map((l) => /^ingest: ([\d,]+) /.exec(l)?.[1])).toEqual(['10', '2', '3', '40']);
    expect(lines[1]).toMatch(/empty lines skipped/);
    expect(lines[2]).toMatch(/longer than 100 characters/);
    expect(lines[3]).toMatch(/without a user_id/);
    expect(lines[4]).toMatch(/failed send/);
  });

  it('leaves out reasons that did not occur', () => {
    expect(ingestSummary({ topic: 't', maxLineChars: 100, keyField: 'user_id', counts: counts({ lines: 5, appended: 5 }) })).toEqual(['ingest: 5 records appended to t']);
  });

  it('counts the lines read but not appended when it stopped, and says the rest was not read', () => {
    const lines = ingestSummary({ topic: 't', maxLineChars: 100, keyField: 'user_id', counts: counts({ lines: 30, appended: 20 }), stopped: { notAppended: 10, reason: 'kafka: cannot reach Kafka' } });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^ingest: 10 lines read not appended \(kafka: cannot reach Kafka\); the input after line 30 was not read$/);
  });
});
