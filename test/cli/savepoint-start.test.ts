import { describe, expect, it } from 'vitest';
import { savepointStartOf } from '../../cli/savepoint-start.ts';

describe('the options of a job started from a savepoint', () => {
  it('default to new views from earliest and changed views refused', () => {
    expect(savepointStartOf({}, 'sp_20260101000000_ab12')).toEqual({ id: 'sp_20260101000000_ab12', newViewsFrom: { kind: 'earliest' }, rebuildChanged: false });
    expect(savepointStartOf({ 'new-views-from': 'latest', 'rebuild-changed': true }, 'sp_20260101000000_ab12')).toEqual({ id: 'sp_20260101000000_ab12', newViewsFrom: { kind: 'latest' }, rebuildChanged: true });
    expect(savepointStartOf({}, undefined)).toBeUndefined();
  });

  it('are refused without --from savepoint:<id>, where they would do nothing', () => {
    expect(() => savepointStartOf({ 'rebuild-changed': true }, undefined)).toThrow(/--rebuild-changed.*applies only to a job started from a savepoint: add --from savepoint:<id>/);
    expect(() => savepointStartOf({ 'new-views-from': 'earliest' }, undefined)).toThrow(/--new-views-from/);
  });
});
