import { DEFAULT_VIEW_OPTIONS, ecommercePipeline, type EcommerceEvent, type EcommerceViewOptions } from '../../examples/ecommerce/pipeline.ts';
import { pipelineConfigOf } from '../../shared/compute/define-pipeline.ts';
import type { PipelineConfig } from '../../shared/compute/pipeline.ts';
import type { ViewDef } from '../../shared/compute/view-def.ts';
import { compileValidator, DEFAULT_LIMITS, type EventValidator, type ValidationLimits, type ValidationResult } from '../../shared/model/validation.ts';

/** The e-commerce reference pipeline's config (examples/ecommerce), with `overrides`: what most tests run. */
export function ecommerceConfig(overrides: Partial<PipelineConfig> = {}): PipelineConfig {
  return pipelineConfigOf(ecommercePipeline(), overrides);
}

/** The reference views, of the given sizes. */
export function ecommerceViews(o: EcommerceViewOptions = DEFAULT_VIEW_OPTIONS): ViewDef[] {
  return [...ecommercePipeline(o).views] as ViewDef[];
}

/** A validation result whose event is typed by the e-commerce schema. */
export type EcommerceValidation = Exclude<ValidationResult, { ok: true }> | { readonly ok: true; readonly event: EcommerceEvent };

const validators = new Map<ValidationLimits, EventValidator>();
function validatorFor(limits: ValidationLimits): EventValidator {
  let v = validators.get(limits);
  if (!v) validators.set(limits, (v = compileValidator(ecommercePipeline().schema, limits)));
  return v;
}

/** The e-commerce schema's validator on one raw record (limits: the defaults unless given). */
export function validateRecord(raw: string, recordTime: number, limits: ValidationLimits = DEFAULT_LIMITS): EcommerceValidation {
  return validatorFor(limits).validateRecord(raw, recordTime) as EcommerceValidation;
}

/** The e-commerce schema's validator on a parsed value. */
export function validateEvent(value: unknown, recordTime: number, limits: ValidationLimits = DEFAULT_LIMITS): EcommerceValidation {
  return validatorFor(limits).validateEvent(value, recordTime) as EcommerceValidation;
}
