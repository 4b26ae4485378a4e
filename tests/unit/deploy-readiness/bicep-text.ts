/**
 * Just enough of Bicep's syntax to read infra/ as text (the Bicep CLI downloads itself and cannot
 * run here): comments, single-quoted strings with `\'` escapes and `${…}` holes, balanced
 * brackets, `resource` / `module` / `var` / `param` declarations, array and object literals of
 * strings, and a Function App's `appSettings`. Every scan is linear: a malformed file yields fewer
 * declarations (the checks then report what is missing), never a hang.
 */

/** The text with `//` and `/* *\/` comments replaced by spaces (string contents are kept). */
export function stripComments(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === "'") {
      const end = stringEnd(src, i);
      out += src.slice(i, end);
      i = end;
    } else if (ch === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? src.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (ch === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

/** Index just past the string literal that opens at `start` (a `'`); the end of text if unclosed. */
function stringEnd(src: string, start: number): number {
  let i = start + 1;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '\\') i += 2;
    else if (ch === "'") return i + 1;
    else if (ch === '\n')
      return i; // Bicep strings are one line (multi-line ''' strings are not used in infra/)
    else i += 1;
  }
  return src.length;
}

const opening: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** The bracketed text that opens at `start` (`{`, `[` or `(`), brackets included. */
export function balanced(src: string, start: number): string {
  const stack: string[] = [];
  let i = start;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === "'") {
      i = stringEnd(src, i);
      continue;
    }
    if (opening[ch]) stack.push(opening[ch]);
    else if (ch === '}' || ch === ']' || ch === ')') {
      if (stack.pop() !== ch) return src.slice(start, i + 1);
      if (stack.length === 0) return src.slice(start, i + 1);
    }
    i += 1;
  }
  return src.slice(start);
}

/** Whether every bracket in the (comment-free) text closes in order. */
export function bracketsBalance(src: string): boolean {
  const stack: string[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === "'") {
      i = stringEnd(src, i);
      continue;
    }
    if (opening[ch]) stack.push(opening[ch]);
    else if ((ch === '}' || ch === ']' || ch === ')') && stack.pop() !== ch) return false;
    i += 1;
  }
  return stack.length === 0;
}

export interface BicepDeclaration {
  readonly kind: 'resource' | 'module';
  readonly symbol: string;
  /** Resource type (without API version) or module path. */
  readonly target: string;
  readonly existing: boolean;
  /** The `if (…)` condition's text, when conditional. */
  readonly condition?: string;
  /** `for <item> in <over>` or `for (<item>, <index>) in <over>`, when a loop. */
  readonly loop?: { readonly item: string; readonly index?: string; readonly over: string };
  /** The declaration's object body, braces included. */
  readonly body: string;
}

const declarationHead = /^(resource|module) (\w+) '([^'@]+)(?:@[^']*)?'( existing)? = (if \(|\[|\{)/gm;

/** Every `resource` and `module` declaration of a (comment-free) Bicep file. */
export function declarations(src: string): BicepDeclaration[] {
  const found: BicepDeclaration[] = [];
  for (const m of src.matchAll(declarationHead)) {
    const openAt = m.index + m[0].length - 1;
    const base = {
      kind: m[1] as 'resource' | 'module',
      symbol: m[2]!,
      target: m[3]!,
      existing: Boolean(m[4]),
    };
    if (m[5] === 'if (') {
      const condition = balanced(src, openAt);
      const brace = src.indexOf('{', openAt + condition.length);
      found.push({ ...base, condition: condition.slice(1, -1), body: balanced(src, brace) });
    } else if (m[5] === '[') {
      const whole = balanced(src, openAt);
      const loop = /^\[\s*for\s+(?:\((\w+),\s*(\w+)\)|(\w+))\s+in\s+([\s\S]*?):\s*(\{|if\s*\()/.exec(whole);
      if (!loop) continue;
      const bodyAt = whole.indexOf('{', loop[0].length - 1);
      found.push({
        ...base,
        loop: { item: (loop[1] ?? loop[3])!, ...(loop[2] && { index: loop[2] }), over: loop[4]!.trim() },
        body: balanced(whole, bodyAt),
      });
    } else {
      found.push({ ...base, body: balanced(src, openAt) });
    }
  }
  return found;
}

/** `var` declarations: name → the raw expression text. */
export function variables(src: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const m of src.matchAll(/^var (\w+) = /gm)) {
    const at = m.index + m[0].length;
    const first = src[at]!;
    const value = opening[first]
      ? balanced(src, at)
      : src.slice(at, src.indexOf('\n', at) === -1 ? undefined : src.indexOf('\n', at));
    vars.set(m[1]!, value.trim());
  }
  return vars;
}

/** `param` declarations: name, type and default expression (undefined when required). */
export function parameters(src: string): { name: string; type: string; default?: string }[] {
  return [...src.matchAll(/^param (\w+) ([\w.]+)(?: = (.*))?$/gm)].map((m) => ({
    name: m[1]!,
    type: m[2]!,
    ...(m[3] !== undefined && { default: m[3].trim() }),
  }));
}

/** The string literals of an array literal (`['a', 'b']` or one per line); undefined if not one. */
export function stringArray(expr: string): string[] | undefined {
  const text = expr.trim();
  if (!text.startsWith('[') || !text.endsWith(']')) return undefined;
  const inner = text.slice(1, -1).trim();
  if (inner === '') return [];
  const items = [...inner.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]!);
  const rest = inner.replace(/'((?:[^'\\]|\\.)*)'/g, '').replace(/[\s,]/g, '');
  return rest === '' ? items : undefined;
}

/** `key: 'value'` pairs of an object literal whose values are string literals. */
export function stringObject(expr: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of expr.matchAll(/(\w+):\s*'((?:[^'\\]|\\.)*)'/g)) out[m[1]!] = m[2]!;
  return out;
}

/** A property's raw expression in an object body (first match at any depth): `name: <expr>` to end of line. */
export function property(body: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[\\s{,])${name}:\\s*`, 'm').exec(body);
  if (!m) return undefined;
  const at = m.index + m[0].length;
  const first = body[at]!;
  if (opening[first]) return balanced(body, at);
  const end = body.slice(at).search(/\n|,\s*\w+:|\s\}/);
  return body.slice(at, end === -1 ? undefined : at + end).trim();
}

/** A Function App's app settings: name → raw value expression, from `{ name: '…', value: … }` items. */
export function appSettings(src: string): Map<string, string> {
  const settings = new Map<string, string>();
  const at = src.search(/appSettings:\s*\[/);
  if (at === -1) return settings;
  const list = balanced(src, src.indexOf('[', at));
  for (const m of list.matchAll(/\{\s*name:\s*'([^']+)',\s*value:\s*([\s\S]*?)\s*\}\s*$/gm))
    settings.set(m[1]!, m[2]!);
  return settings;
}

/** Top-level keys of an object literal (braces included). */
export function topLevelKeys(body: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    if (ch === "'") {
      i = stringEnd(body, i);
      expectKey = false;
      continue;
    }
    if (expectKey) {
      const m = /^\s*(\w+)\s*:/.exec(body.slice(i, i + 200));
      expectKey = false;
      if (m) {
        keys.push(m[1]!);
        i += m[0].length;
        continue;
      }
    }
    if (opening[ch]) depth += 1;
    else if (ch === '}' || ch === ']' || ch === ')') depth -= 1;
    expectKey = depth === 1 && (ch === '{' || ch === ',' || ch === '\n');
    i += 1;
  }
  return keys;
}
