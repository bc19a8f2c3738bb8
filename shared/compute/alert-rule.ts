import { ConfigError } from '../errors.ts';
import type { FieldSpecs } from '../model/event-schema.ts';
import type { Expr } from './expression/expression.ts';
import type { MeasureResults } from './aggregate.ts';
import type { MeasureOp } from './measure.ts';
import { expressionJs } from './expression/expression-js.ts';
import { parseExpression } from './expression/parse-expression.ts';
import { resolveExpression } from './expression/resolve-expression.ts';

/**
 * An alert rule as declared in a pipeline: a condition (the expression language, expression.ts)
 * over the measures of one window of a view. An alert is a pure function of a final window: the
 * rule fires for every final window whose measures satisfy `when`, so every mode that serves the
 * same final windows raises the same alerts (see alert.ts for the alert and its id).
 */
export interface AlertRule {
  /** snake_case, unique in the pipeline. */
  readonly name: string;
  /** The view whose windows the rule reads. */
  readonly view: string;
  /** A condition over the view's measure names, e.g. `transactions > 5`; measures are read as stored (cents for a sum of decimals at scale 2). */
  readonly when: string;
  readonly description?: string;
}

/** A rule with its condition resolved against the view's measures and compiled to JS. */
export interface CompiledAlertRule {
  readonly name: string;
  readonly view: string;
  readonly description: string;
  readonly when: Expr;
  /** Whether one window's named measures satisfy the rule. */
  test(measures: MeasureResults): boolean;
}

/** What a rule needs of the views: their names and measures. */
export interface RuleViews {
  readonly name: string;
  readonly measures: readonly { readonly name: string; readonly op: MeasureOp }[];
}

/** Checks and compiles the pipeline's rules; a ConfigError names the rule and what to change. */
export function compileAlertRules(rules: readonly AlertRule[], views: readonly RuleViews[]): CompiledAlertRule[] {
  const names = new Set<string>();
  return rules.map((rule) => {
    const where = `alert ${rule.name}`;
    if (!/^[a-z][a-z0-9_]*$/.test(rule.name)) throw new ConfigError(`alert name "${rule.name}" must be snake_case`);
    if (names.has(rule.name)) throw new ConfigError(`alert "${rule.name}" is defined twice`);
    names.add(rule.name);
    const view = views.find((v) => v.name === rule.view);
    if (!view) throw new ConfigError(`${where}, view: no view ${rule.view} (views: ${views.map((v) => v.name).join(', ')})`);
    // Measures are the rule's fields: numbers as stored (a count, cents), so a literal reads in those
    // units. avg and first/last have no value over no events (null, as an absent optional field);
    // a top_k is a list, which a condition cannot compare.
    const lists = view.measures.filter((m) => m.op === 'top_k').map((m) => m.name);
    const listUsed = lists.find((name) => new RegExp(`\\b${name}\\b`).test(rule.when));
    if (listUsed) throw new ConfigError(`${where}, when: ${listUsed} is a top_k (a list of values); a rule compares numbers: counts, sums, min, max, avg, first/last, distinct counts`);
    const fields: FieldSpecs = Object.fromEntries(
      view.measures.filter((m) => m.op !== 'top_k').map((m) => [m.name, { type: 'integer', ...(m.op === 'avg' || m.op === 'first' || m.op === 'last' ? { presence: 'optional' as const } : {}) }]),
    );
    const r = resolveExpression(parseExpression(rule.when, `${where}, when`), fields, `${where}, when (over the measures of view ${view.name})`);
    if (r.type.type !== 'boolean') throw new ConfigError(`${where}, when: must be a condition, ${rule.when} is a ${r.type.type}`);
    const test = new Function('m', `return ${expressionJs(r.expr, 'm')};`) as (m: MeasureResults) => boolean;
    return { name: rule.name, view: view.name, description: rule.description ?? `${view.name}: ${rule.when}`, when: r.expr, test };
  });
}
