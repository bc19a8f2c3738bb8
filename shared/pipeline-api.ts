/**
 * What a pipeline file imports (`import { definePipeline, field } from 'lambdakappa/pipeline'`):
 * the package's one public entry (package.json `exports`; the pipeline loader resolves it for a
 * file anywhere, see cli/pipeline-loader.ts). Types only and pure functions: no I/O.
 */
export { definePipeline, type MeasureDefinition, type PipelineDefinition, type ViewDefinition } from './compute/define-pipeline.ts';
export type { MeasureResult, MeasureResults } from './compute/aggregate.ts';
export type { TopEntry } from './compute/measures/top-k.ts';
export type { PresentedValue, PresentedValues } from './compute/view-def.ts';
export { field } from './model/field.ts';
export type { EventOf } from './model/event.ts';
export type { EventSchema } from './model/event-schema.ts';
export type { FieldSpec, FieldValue } from './model/field-spec.ts';
export type { Window, WindowSpec } from './time/window.ts';
export type { AlertRule } from './compute/alert-rule.ts';
export type { WorkloadGenerator, WorkloadRecord } from './compute/workload-generator.ts';
