import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pipelineConfigOf, type PipelineDefinition } from '../shared/compute/define-pipeline.ts';
import { compilePipeline, type PipelineConfig } from '../shared/compute/pipeline.ts';
import { ConfigError } from '../shared/errors.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The pipeline every command loads when neither --pipeline nor LK_PIPELINE names one. */
export const DEFAULT_PIPELINE_FILE = join(ROOT, 'examples', 'ecommerce', 'pipeline.ts');

/** The module a pipeline file imports (`import { definePipeline } from 'lambdakappa/pipeline'`). */
export const PIPELINE_API = 'lambdakappa/pipeline';
const API_URL = pathToFileURL(join(ROOT, 'shared', 'pipeline-api.ts')).href;

let hooked = false;

/**
 * Resolves `lambdakappa/pipeline` to this checkout's file for a pipeline anywhere on disk. A
 * package `exports` entry alone would not do: Node resolves it only from inside the package (or
 * from a node_modules copy, whose .ts files Node refuses to strip types from).
 */
function hookApi(): void {
  if (hooked) return;
  hooked = true;
  registerHooks({
    resolve: (specifier, context, next) => (specifier === PIPELINE_API ? { url: API_URL, shortCircuit: true } : next(specifier, context)),
  });
}

/** Which pipeline file a command runs: --pipeline, else LK_PIPELINE, else the e-commerce example. */
export function pipelineFileOf(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(option ?? (env.LK_PIPELINE || DEFAULT_PIPELINE_FILE));
}

/**
 * Imports a pipeline file (TypeScript or JavaScript, default export = definePipeline(...)),
 * checks it (compilePipeline: errors name the view and field) and returns its config.
 */
export async function loadPipelineFile(file: string): Promise<PipelineConfig> {
  if (!existsSync(file)) throw new ConfigError(`pipeline file ${file} does not exist; pass --pipeline FILE (or set LK_PIPELINE)`);
  hookApi();
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new ConfigError(`pipeline file ${file} cannot be loaded: ${(err as Error).message}`, { cause: err });
  }
  const def = mod.default as PipelineDefinition | undefined;
  if (typeof def !== 'object' || def === null || typeof def.schema !== 'object' || !Array.isArray(def.views)) {
    throw new ConfigError(`pipeline file ${file} must export default definePipeline({ schema, views }) (from '${PIPELINE_API}')`);
  }
  const config = pipelineConfigOf(def);
  try {
    compilePipeline(config);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`pipeline ${file}: ${err.message}`, { cause: err });
    throw err;
  }
  return config;
}
