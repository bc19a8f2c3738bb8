import { openViewStore } from '../../infra/adapters.ts';
import { rollback } from '../../speed/kappa-cutover.ts';
import { configFrom, type Command } from '../command.ts';

/** `lk rollback`: undo a Kappa cut-over in one step. */
export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'point Kappa serving back at the previous version (the one the last cut-over replaced), in one atomic step',
  details: `
lk replay keeps the version it replaces (and --keep-older N more), so the last cut-over can always
be undone. No gate: going back is how a cut-over someone regrets is undone. Keep the version live
afterwards with \`lk speed --namespace <it>\`.`,
  options: {},
  async run(options, env) {
    const config = await configFrom(options, ['viewStore']);
    const views = await openViewStore(config);
    try {
      const r = await rollback(views);
      env.err(`rollback: kappa now serves ${r.to} (was ${r.from}); run lk speed --namespace ${r.to} to keep it live`);
      env.out(JSON.stringify(r));
      return 0;
    } finally {
      await views.close();
    }
  },
};
