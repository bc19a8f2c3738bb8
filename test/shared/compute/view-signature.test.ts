import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import type { ViewDef } from '../../../shared/compute/view-def.ts';
import { sameSignature, signatureChanges, viewFingerprint, viewSignatures } from '../../../shared/compute/view-signature.ts';
import { ecommerceConfig, ecommerceViews } from '../../support/ecommerce.ts';

const [product] = ecommerceViews() as [ViewDef];
const signatureOf = (def: ViewDef) => viewSignatures(compilePipeline(ecommerceConfig({ views: [def] })))[def.name];

describe('view signatures', () => {
  it('name each part of a definition that changed', () => {
    const base = signatureOf(product);
    expect(signatureChanges(base, signatureOf({ ...product, description: 'other words' }))).toEqual([]);
    expect(signatureChanges(base, signatureOf({ ...product, key: 'user_id' }))).toEqual(['key']);
    expect(signatureChanges(base, signatureOf({ ...product, filter: "event_type = 'purchase'" }))).toEqual(['filter']);
    expect(signatureChanges(base, signatureOf({ ...product, window: { kind: 'tumbling', sizeMs: 120_000 } }))).toEqual(['window']);
    expect(signatureChanges(base, signatureOf({ ...product, measures: product.measures.slice(1) }))).toEqual(['measures']);
    expect(signatureChanges(base, signatureOf({ ...product, key: 'user_id', window: { kind: 'tumbling', sizeMs: 120_000 } }))).toEqual(['key', 'window']);
  });

  it('fingerprint a definition whatever the order of its fields, and tell different ones apart', () => {
    const base = signatureOf(product);
    const reordered = JSON.parse(JSON.stringify({ window: base.window, measures: base.measures, filter: base.filter, key: base.key })) as typeof base;
    expect(sameSignature(base, reordered)).toBe(true);
    expect(viewFingerprint(reordered)).toBe(viewFingerprint(base));
    expect(viewFingerprint(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(viewFingerprint(signatureOf({ ...product, window: { kind: 'tumbling', sizeMs: 120_000 } }))).not.toBe(viewFingerprint(base));
  });
});
