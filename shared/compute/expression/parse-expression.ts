import { ConfigError } from '../../errors.ts';
import type { ArithOp, CompareOp, Expr } from './expression.ts';

/**
 * Parses the expression language: comparisons (= != < <= > >=), `in (...)` and `not in (...)`,
 * `and` / `or` / `not`, parentheses, + - * over numbers, field names, and literals: numbers,
 * 'single-quoted strings' ('' for a quote), true and false. Keywords are case-insensitive.
 * Field references come out unresolved (nullable false); `resolveExpression` checks them.
 * `where` names the definition in errors ("view revenue, filter").
 */
export function parseExpression(text: string, where: string): Expr {
  const tokens = tokenize(text, where);
  let at = 0;
  const peek = () => tokens[at];
  const fail = (msg: string): never => {
    const t = tokens[at];
    throw new ConfigError(`${where}: ${msg} at ${t ? `"${t.text}" (character ${t.pos + 1})` : 'the end'} of ${JSON.stringify(text)}`);
  };
  const isWord = (w: string) => peek()?.kind === 'word' && peek().text.toLowerCase() === w;
  const isSym = (s: string) => peek()?.kind === 'sym' && peek().text === s;
  const expectSym = (s: string) => {
    if (!isSym(s)) fail(`expected "${s}"`);
    at++;
  };

  const or = (): Expr => {
    let left = and();
    while (isWord('or')) {
      at++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const and = (): Expr => {
    let left = not();
    while (isWord('and')) {
      at++;
      left = { kind: 'and', left, right: not() };
    }
    return left;
  };
  const not = (): Expr => {
    if (isWord('not')) {
      at++;
      return { kind: 'not', arg: not() };
    }
    return comparison();
  };
  const comparison = (): Expr => {
    const left = sum();
    const t = peek();
    if (t?.kind === 'sym' && COMPARE_OPS.has(t.text)) {
      at++;
      return { kind: 'compare', op: t.text as CompareOp, left, right: sum() };
    }
    const negated = isWord('not') && tokens[at + 1]?.kind === 'word' && tokens[at + 1].text.toLowerCase() === 'in';
    if (negated) at++;
    if (isWord('in')) {
      at++;
      expectSym('(');
      const list: (string | number | boolean)[] = [];
      for (;;) {
        const lit = atom();
        if (lit.kind !== 'literal') fail('an in (...) list holds literals only');
        list.push((lit as { value: string | number | boolean }).value);
        if (isSym(',')) at++;
        else break;
      }
      expectSym(')');
      const node: Expr = { kind: 'in', value: left, list };
      return negated ? { kind: 'not', arg: node } : node;
    }
    if (negated) fail('expected "in" after "not"');
    return left;
  };
  const sum = (): Expr => {
    let left = product();
    while (isSym('+') || isSym('-')) {
      const op = tokens[at++].text as ArithOp;
      left = { kind: 'arith', op, left, right: product() };
    }
    return left;
  };
  const product = (): Expr => {
    let left = atom();
    while (isSym('*')) {
      at++;
      left = { kind: 'arith', op: '*', left, right: atom() };
    }
    return left;
  };
  const atom = (): Expr => {
    const t = peek();
    if (!t) return fail('expected a value');
    if (t.kind === 'number') {
      at++;
      return { kind: 'literal', value: Number(t.text) };
    }
    if (t.kind === 'string') {
      at++;
      return { kind: 'literal', value: t.value! };
    }
    if (t.kind === 'sym' && t.text === '(') {
      at++;
      const inner = or();
      expectSym(')');
      return inner;
    }
    if (t.kind === 'word') {
      const w = t.text.toLowerCase();
      if (w === 'true' || w === 'false') {
        at++;
        return { kind: 'literal', value: w === 'true' };
      }
      if (KEYWORDS.has(w)) return fail('expected a value');
      at++;
      return { kind: 'field', name: t.text, nullable: false };
    }
    return fail('expected a value');
  };

  const tree = or();
  if (at < tokens.length) fail('unexpected text');
  return tree;
}

const COMPARE_OPS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);
const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'true', 'false']);

interface Token {
  readonly kind: 'word' | 'number' | 'string' | 'sym';
  readonly text: string;
  readonly pos: number;
  /** A string literal's value (quotes removed, '' unescaped). */
  readonly value?: string;
}

function tokenize(text: string, where: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const previous = out.at(-1);
    // A minus directly before digits is a negative literal where a value is expected (not after a value).
    const valueExpected = !previous || (previous.kind === 'sym' && previous.text !== ')') || (previous.kind === 'word' && KEYWORDS.has(previous.text.toLowerCase()));
    const num = (valueExpected ? /^-?\d+(\.\d+)?/ : /^\d+(\.\d+)?/).exec(rest);
    if (num) {
      out.push({ kind: 'number', text: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (word) {
      out.push({ kind: 'word', text: word[0], pos: i });
      i += word[0].length;
      continue;
    }
    if (ch === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new ConfigError(`${where}: unterminated string starting at character ${i + 1} of ${JSON.stringify(text)}`);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j++];
      }
      out.push({ kind: 'string', text: text.slice(i, j + 1), pos: i, value });
      i = j + 1;
      continue;
    }
    const sym = /^(<=|>=|!=|<>|[=<>(),+*-])/.exec(rest);
    if (sym) {
      out.push({ kind: 'sym', text: sym[0] === '<>' ? '!=' : sym[0], pos: i });
      i += sym[0].length;
      continue;
    }
    throw new ConfigError(`${where}: unexpected character ${JSON.stringify(ch)} at character ${i + 1} of ${JSON.stringify(text)}`);
  }
  return out;
}
