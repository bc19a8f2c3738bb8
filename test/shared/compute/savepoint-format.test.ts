import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { descriptorJson, parseDescriptor, parseState, stateJson, type SavepointDescriptor, type SavepointState } from '../../../shared/compute/savepoint-format.ts';
import { viewFingerprint, viewSignatures } from '../../../shared/compute/view-signature.ts';
import { SavepointError } from '../../../shared/errors.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const T0 = Date.UTC(2026, 0, 1);
const pipeline = compilePipeline(ecommerceConfig());
const signatures = viewSignatures(pipeline);

const state: SavepointState = {
  format: 'lk-savepoint-state',
  version: 1,
  id: 'sp_20260101000000_ab12',
  partitions: [
    {
      partition: 0,
      // min and max start at the infinities; decimals and big sums must come back bit for bit.
      panes: [
        { view: 'user_sessions', key: 'u"1\\', start: T0, end: T0 + 1_800_000, bucket: T0, acc: [3, 0.1 + 0.2, 2 ** 53 - 1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] },
        { view: 'revenue', key: '*', start: T0 - 540_000, end: T0 + 60_000, bucket: T0, acc: [0, 0] },
      ],
      seen: { ids: ['évt-1', '{a,b}'], times: [T0, T0 + 5] },
    },
    { partition: 2, panes: [], seen: { ids: [], times: [] } },
  ],
};

const descriptor: SavepointDescriptor = {
  format: 'lk-savepoint',
  version: 1,
  id: state.id,
  createdAt: '2026-01-01T00:00:00.000Z',
  pipeline: 'examples/ecommerce/pipeline.ts',
  namespace: 'speed',
  topic: 'events',
  partitionCount: 3,
  bucketMs: pipeline.config.bucketMs,
  lateness: pipeline.config.lateness,
  dedupRetentionMs: pipeline.config.dedupRetentionMs,
  views: Object.fromEntries(Object.entries(signatures).map(([n, s]) => [n, { fingerprint: viewFingerprint(s), signature: s, panes: 1, openPanes: 1 }])),
  partitions: [
    { partition: 0, checkpoint: { partition: 0, nextOffset: 40, maxEventTime: T0 + 5, watermarkProgress: T0 + 5, lastAppendTime: T0 + 9, stats: { valid: 38, deadLetter: 1, duplicate: 1, tooLate: 0 } }, panes: 2, ids: 2 },
    { partition: 2, checkpoint: { partition: 2, nextOffset: 0, maxEventTime: null, watermarkProgress: null, lastAppendTime: null, stats: { valid: 0, deadLetter: 0, duplicate: 0, tooLate: 0 } }, panes: 0, ids: 0 },
  ],
  state: { key: 'savepoints/sp_20260101000000_ab12/state.json.gz', bytes: 10, sha256: 'ab' },
};

describe('savepoint format', () => {
  it('round-trips the state (infinities, decimals, odd keys and ids) and the descriptor through their JSON', () => {
    expect(parseState(stateJson(state), descriptor)).toEqual(state);
    const back = parseDescriptor(descriptorJson(descriptor), 'savepoint.json');
    expect(back).toEqual(descriptor);
    // The definitions read back from JSON have the same fingerprints: a restore recognises its views.
    for (const [name, v] of Object.entries(back.views)) expect(viewFingerprint(v.signature)).toBe(viewFingerprint(signatures[name]));
  });

  it('is versioned: another format or version is refused saying what to do', () => {
    const text = (o: object) => JSON.stringify({ ...descriptor, ...o });
    expect(() => parseDescriptor(text({ version: 2 }), 'k')).toThrow(/format version 2; this build reads version 1: take a new savepoint/);
    expect(() => parseDescriptor(text({ format: 'something' }), 'k')).toThrow(/not a savepoint/);
    expect(() => parseDescriptor('{', 'k')).toThrow(SavepointError);
    expect(() => parseState(JSON.stringify({ ...JSON.parse(stateJson(state)), version: 0 }), descriptor)).toThrow(/format version 0/);
  });

  it('refuses a state that is not its descriptor\'s', () => {
    const parsed = JSON.parse(stateJson(state)) as { partitions: Array<{ panes: unknown[] }> };
    expect(() => parseState(JSON.stringify({ ...parsed, id: 'sp_20260101000000_zzzz' }), descriptor)).toThrow(/belongs to savepoint sp_20260101000000_zzzz/);
    parsed.partitions[0].panes.pop();
    expect(() => parseState(JSON.stringify(parsed), descriptor)).toThrow(/partition 0: pane or id count/);
    expect(() => parseState(JSON.stringify({ ...parsed, partitions: [parsed.partitions[0]] }), descriptor)).toThrow(/partitions are not the descriptor's/);
  });
});
