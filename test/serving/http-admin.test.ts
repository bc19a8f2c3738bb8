import { afterEach, describe, expect, it } from 'vitest';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { loadConfig } from '../../shared/config.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { startHttpServer, type AdminActions, type HttpServer } from '../../serving/http-server.ts';
import { QueryService } from '../../serving/query-service.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';

const pipeline = compilePipeline(ecommerceConfig());
const TOKEN = 'a-long-admin-token-0123456789';

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server with the given admin setup; the actions record what they were asked. */
async function serve(admin: boolean) {
  const calls: string[] = [];
  let served = 'kappa_v1';
  const actions: AdminActions = {
    cutover: async (version, force) => {
      calls.push(`cutover ${version} ${force}`);
      const cutOver = force || version === 'kappa_v2';
      if (cutOver) served = version;
      return { cutOver, namespace: version, verdict: { ok: version === 'kappa_v2', diffs: [] } };
    },
    rollback: async () => {
      calls.push('rollback');
      if (served === 'kappa_v1') throw new NotFoundError('nothing to roll back to');
      const from = served;
      served = 'kappa_v1';
      return { from, to: served };
    },
  };
  const service = new QueryService({ pipeline, viewStore: new InMemoryViewStore(), batch: new InMemoryBatchPaneSource() });
  server = await startHttpServer(service, { host: '127.0.0.1', port: 0, admin: admin ? { token: TOKEN, actions } : undefined });
  const post = async (path: string, token?: string) => {
    const res = await fetch(`${server!.url}${path}`, { method: 'POST', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };
  return { post, calls };
}

describe('admin endpoints', () => {
  it('do not exist without an admin token', async () => {
    const { post, calls } = await serve(false);
    expect((await post('/v1/admin/rollback', TOKEN)).status).toBe(404);
    expect((await post('/v1/admin/cutover?version=kappa_v2', TOKEN)).status).toBe(404);
    expect(calls).toEqual([]);
  });

  it('answer 401 without the bearer token and act with it: 200 when served, 409 when the gate refuses', async () => {
    const { post, calls } = await serve(true);
    const anonymous = await post('/v1/admin/cutover?version=kappa_v2');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post('/v1/admin/rollback', 'wrong-token-of-other-length')).status).toBe(401);
    expect((await post('/v1/admin/rollback', TOKEN.replace(/.$/, 'x'))).status).toBe(401);
    expect(calls).toEqual([]);

    expect((await post('/v1/admin/cutover', TOKEN)).status).toBe(400);
    expect((await post('/v1/admin/cutover?version=kappa_v3&force=maybe', TOKEN)).status).toBe(400);
    const refused = await post('/v1/admin/cutover?version=kappa_v3', TOKEN);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ cutOver: false, verdict: { ok: false } });
    expect((await post('/v1/admin/cutover?version=kappa_v3&force=true', TOKEN)).status).toBe(200);
    expect((await post('/v1/admin/rollback', TOKEN)).body).toEqual({ from: 'kappa_v3', to: 'kappa_v1' });
    expect((await post('/v1/admin/rollback', TOKEN)).status).toBe(404);
    expect(calls).toEqual(['cutover kappa_v3 false', 'cutover kappa_v3 true', 'rollback', 'rollback']);
    const get = await fetch(`${server!.url}/v1/admin/rollback`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('need a token of 16 characters or more', () => {
    expect(() => loadConfig({ LK_ADMIN_TOKEN: 'short' }, { pipeline: ecommerceConfig() })).toThrow(/LK_ADMIN_TOKEN must be at least 16 characters/);
    expect(loadConfig({ LK_ADMIN_TOKEN: TOKEN }, { pipeline: ecommerceConfig() }).serving.adminToken).toBe(TOKEN);
    expect(loadConfig({}, { pipeline: ecommerceConfig() }).serving.adminToken).toBeUndefined();
  });
});
