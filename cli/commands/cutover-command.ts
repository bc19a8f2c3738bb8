import { openEventLog, openViewStore } from '../../infra/adapters.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { BadRequestError } from '../../shared/errors.ts';
import { cutOverTo } from '../../speed/kappa-cutover.ts';
import { configFrom, type Command } from '../command.ts';
import { CUTOVER_OPTIONS, printVerdict, thresholdsFrom, withGateInputs } from '../cutover-options.ts';

/** `lk cutover`: serve a finished Kappa version, through the same correctness gate as lk replay. */
export const cutoverCommand: Command = {
  name: 'cutover',
  summary: 'point Kappa serving at a finished version (lk replay --no-cutover, or one the gate refused), if the correctness gate passes',
  details: `
Compares the version with the one serving now and with the batch layer over the final windows
they share (see lk replay --help), and points the "kappa" alias at it in one atomic step when the
divergence is within the thresholds; otherwise exits 1 with the diff. --force serves it anyway.`,
  options: {
    version: { type: 'string', valueName: 'NAME', description: 'the version to serve (kappa_vN)' },
    ...CUTOVER_OPTIONS,
  },
  async run(options, env) {
    const version = options.version as string | undefined;
    if (!version) throw new BadRequestError('--version', 'name the version to serve, e.g. --version kappa_v3');
    const thresholds = thresholdsFrom(options);
    // The log holds the late topic: where the stream may differ from batch.
    const config = await configFrom(options, ['log', 'viewStore', 'objectStore']);
    const pipeline = compilePipeline(config.pipeline);
    const log = await openEventLog(config);
    const views = await openViewStore(config).catch(async (err: unknown) => {
      await log.close();
      throw err;
    });
    try {
      const r = await withGateInputs(config, pipeline, log, (inputs) => cutOverTo({ views, pipeline, ...inputs }, version, { force: Boolean(options.force), thresholds }));
      printVerdict(env, version, r.verdict, r.cutOver);
      env.err(r.cutOver ? `cutover: kappa now serves ${version} (was ${r.previous ?? 'none'})` : `cutover: refused; ${r.previous ?? 'nothing'} keeps serving`);
      return r.cutOver ? 0 : 1;
    } finally {
      await views.close();
      await log.close();
    }
  },
};
